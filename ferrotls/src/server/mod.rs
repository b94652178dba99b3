//! The server side: configuration, certificate selection, and the states
//! from ClientHello to the client's Finished.

mod config;
mod hs;
mod tls12;
mod tls13;

use core::ops::{Deref, DerefMut};
use std::sync::Arc;

use rustls_pki_types::DnsName;

pub use config::{
    CertifiedKey, ClientHelloInfo, ResolvesServerCert, ServerConfig, SingleCertResolver,
    SniResolver,
};

use crate::conn::{CommonState, ConnectionCommon};
use crate::error::Error;

/// A TLS server connection (sans I/O).
pub struct ServerConnection {
    inner: ConnectionCommon,
}

impl ServerConnection {
    pub fn new(config: Arc<ServerConfig>) -> Result<Self, Error> {
        config.validate()?;
        let max_message = config.max_handshake_message;
        let mut common = CommonState::new(config.observer.clone(), config.key_log.clone());
        common.records_per_key = config.key_update_after_records;
        let state = hs::ExpectClientHello::new(config);
        Ok(Self {
            inner: ConnectionCommon::new(common, state, max_message),
        })
    }

    /// The host name the client asked for (SNI), once known.
    pub fn server_name(&self) -> Option<&DnsName<'static>> {
        self.inner.common.negotiated.server_name.as_ref()
    }
}

impl Deref for ServerConnection {
    type Target = ConnectionCommon;
    fn deref(&self) -> &ConnectionCommon {
        &self.inner
    }
}

impl DerefMut for ServerConnection {
    fn deref_mut(&mut self) -> &mut ConnectionCommon {
        &mut self.inner
    }
}
