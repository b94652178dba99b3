//! The clock, taken from the config so tests can fix it.

use core::fmt;

use rustls_pki_types::UnixTime;

pub trait TimeProvider: Send + Sync + fmt::Debug {
    fn now(&self) -> UnixTime;
}

/// The system clock.
#[derive(Debug, Default)]
pub struct SystemTime;

impl TimeProvider for SystemTime {
    fn now(&self) -> UnixTime {
        UnixTime::now()
    }
}

/// A clock stopped at one instant, for reproducible tests.
#[derive(Debug)]
pub struct FixedTime(pub UnixTime);

impl TimeProvider for FixedTime {
    fn now(&self) -> UnixTime {
        self.0
    }
}
