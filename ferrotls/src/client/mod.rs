//! The client side: configuration, the ClientHello and the states that
//! follow it.

mod config;
mod hs;
mod tls12;
mod tls13;

use core::ops::{Deref, DerefMut};
use std::sync::Arc;

use rustls_pki_types::ServerName;

pub use config::ClientConfig;

use crate::conn::{CommonState, ConnectionCommon};
use crate::error::Error;

/// A TLS client connection (sans I/O).
pub struct ClientConnection {
    inner: ConnectionCommon,
}

impl ClientConnection {
    /// Starts a handshake with `server_name`; the ClientHello is queued for
    /// `write_tls` at once.
    pub fn new(config: Arc<ClientConfig>, server_name: ServerName<'static>) -> Result<Self, Error> {
        config.validate()?;
        let mut common = CommonState::new(config.observer.clone(), config.key_log.clone());
        common.records_per_key = config.key_update_after_records;
        common.is_client = true;
        let max_message = config.max_handshake_message;
        let state = hs::start_handshake(config, server_name, &mut common)?;
        common.flush_handshake()?;
        Ok(Self {
            inner: ConnectionCommon::new(common, state, max_message),
        })
    }
}

impl Deref for ClientConnection {
    type Target = ConnectionCommon;
    fn deref(&self) -> &ConnectionCommon {
        &self.inner
    }
}

impl DerefMut for ClientConnection {
    fn deref_mut(&mut self) -> &mut ConnectionCommon {
        &mut self.inner
    }
}
