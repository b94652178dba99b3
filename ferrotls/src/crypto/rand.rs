//! Randomness. Configs hold an `Arc<dyn RandomSource>` so tests can make a
//! handshake reproducible; the default is the system CSPRNG.

use core::fmt;

use aws_lc_rs::rand::SecureRandom;

use crate::error::Error;

pub trait RandomSource: Send + Sync + fmt::Debug {
    fn fill(&self, buf: &mut [u8]) -> Result<(), Error>;
}

/// The operating system's CSPRNG, through aws-lc-rs.
#[derive(Debug, Default)]
pub struct SystemRandom;

impl RandomSource for SystemRandom {
    fn fill(&self, buf: &mut [u8]) -> Result<(), Error> {
        aws_lc_rs::rand::SystemRandom::new()
            .fill(buf)
            .map_err(|_| Error::Internal("random number generator failed"))
    }
}
