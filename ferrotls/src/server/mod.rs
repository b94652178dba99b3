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

/// RFC 5246 §7.2.2 / RFC 8446 §6.2: what this connection kept in our
/// session store under `key` (a TLS 1.2 session ID, a TLS 1.3 ticket) is
/// removed if the connection fails. Sealed tickets cannot be taken back.
fn forget_stored_on_failure(common: &mut CommonState, config: &ServerConfig, key: &[u8]) {
    if let (Some(store), false) = (config.session_store.clone(), key.is_empty()) {
        let (key, time) = (key.to_vec(), config.time.clone());
        common.forget_on_failure(move || {
            store.take(&key, time.now());
        });
    }
}
