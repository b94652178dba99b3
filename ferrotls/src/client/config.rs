//! Client configuration.

use std::sync::Arc;

use crate::crypto::kx;
use crate::crypto::rand::{RandomSource, SystemRandom};
use crate::error::Error;
use crate::msgs::enums::{CipherSuite, NamedGroup, ProtocolVersion};
use crate::observe::{KeyLog, Observer};
use crate::record::joiner::DEFAULT_MAX_HANDSHAKE_MESSAGE;
use crate::session::ClientSessionCache;
use crate::suites::{default_cipher_suites, validate_versions_and_suites};
use crate::time::{SystemTime, TimeProvider};
use crate::verify::{RootCertStore, ServerCertVerifier, WebPkiServerVerifier};

/// How a client connects. Share it between connections as an `Arc`.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// Protocol versions to offer.
    pub versions: Vec<ProtocolVersion>,
    /// Cipher suites to offer, most preferred first.
    pub cipher_suites: Vec<CipherSuite>,
    /// Key exchange groups to offer, most preferred first.
    pub groups: Vec<NamedGroup>,
    /// ALPN protocols to offer, most preferred first; empty: no ALPN.
    pub alpn_protocols: Vec<Vec<u8>>,
    /// Send the server_name extension for DNS names.
    pub enable_sni: bool,
    /// Who decides whether the server's certificate is acceptable.
    pub verifier: Arc<dyn ServerCertVerifier>,
    pub random: Arc<dyn RandomSource>,
    pub time: Arc<dyn TimeProvider>,
    /// The largest handshake message accepted from the server.
    pub max_handshake_message: usize,
    /// TLS 1.2: refuse servers without extended master secret (RFC 7627).
    pub require_extended_master_secret: bool,
    /// Where sessions for resumption are kept; `None` never resumes.
    pub session_cache: Option<Arc<ClientSessionCache>>,
    /// Also offer TLS 1.3 resumption without (EC)DHE (psk_ke). Off by default.
    pub allow_psk_ke: bool,
    /// TLS 1.3: send a KeyUpdate after this many records under one key
    /// (default: the AEAD's confidentiality limit, RFC 8446 §5.5).
    pub key_update_after_records: Option<u64>,
    /// Receives handshake events (`ferrotls explain` uses one).
    pub observer: Option<Arc<dyn Observer>>,
    /// Receives secrets in NSS key log format, e.g. [`KeyLogFile`](crate::observe::KeyLogFile).
    pub key_log: Option<Arc<dyn KeyLog>>,
}

impl ClientConfig {
    /// Defaults, trusting `roots`.
    pub fn new(roots: RootCertStore) -> Self {
        Self::with_verifier(Arc::new(WebPkiServerVerifier::new(roots)))
    }

    /// Defaults, with a custom verifier.
    pub fn with_verifier(verifier: Arc<dyn ServerCertVerifier>) -> Self {
        Self {
            versions: vec![ProtocolVersion::TLSv1_3, ProtocolVersion::TLSv1_2],
            cipher_suites: default_cipher_suites(),
            groups: kx::ALL_GROUPS.iter().map(|g| g.name()).collect(),
            alpn_protocols: Vec::new(),
            enable_sni: true,
            verifier,
            random: Arc::new(SystemRandom),
            time: Arc::new(SystemTime),
            max_handshake_message: DEFAULT_MAX_HANDSHAKE_MESSAGE,
            require_extended_master_secret: true,
            session_cache: Some(Arc::new(ClientSessionCache::new(256, 4))),
            allow_psk_ke: false,
            key_update_after_records: None,
            observer: None,
            key_log: None,
        }
    }

    pub(crate) fn supports(&self, version: ProtocolVersion) -> bool {
        self.versions.contains(&version)
    }

    /// The groups we send key shares for in the first ClientHello: the
    /// most preferred group, and x25519 beside a preferred hybrid so a
    /// server without ML-KEM needs no HelloRetryRequest.
    pub(crate) fn initial_key_share_groups(&self) -> Vec<NamedGroup> {
        let mut out: Vec<NamedGroup> = self.groups.iter().copied().take(1).collect();
        if out.first() == Some(&NamedGroup::X25519MLKEM768)
            && self.groups.contains(&NamedGroup::X25519)
        {
            out.push(NamedGroup::X25519);
        }
        out
    }

    pub(crate) fn validate(&self) -> Result<(), Error> {
        validate_versions_and_suites(&self.versions, &self.cipher_suites)?;
        if self.groups.is_empty() || self.groups.iter().any(|g| kx::group(*g).is_none()) {
            return Err(Error::InvalidConfig(
                "groups must be non-empty and implemented".into(),
            ));
        }
        if self
            .alpn_protocols
            .iter()
            .any(|p| p.is_empty() || p.len() > 255)
        {
            return Err(Error::InvalidConfig(
                "ALPN protocol names must be 1 to 255 bytes".into(),
            ));
        }
        Ok(())
    }
}
