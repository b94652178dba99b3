//! Server configuration and certificate selection.

use core::fmt;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use rustls_pki_types::{CertificateDer, DnsName, PrivateKeyDer};

use crate::crypto::kx;
use crate::crypto::rand::{RandomSource, SystemRandom};
use crate::crypto::rsa_kx::RsaPremasterKey;
use crate::crypto::sign::{load_private_key, SigningKey};
use crate::error::Error;
use crate::msgs::enums::{CipherSuite, NamedGroup, ProtocolVersion, SignatureScheme};
use crate::observe::{KeyLog, Observer};
use crate::record::joiner::MAX_CLIENT_HELLO;
use crate::session::{MemorySessionStore, SessionStore, TicketKeys};
use crate::suites::{default_cipher_suites, validate_versions_and_suites};
use crate::time::{SystemTime, TimeProvider};

/// A certificate chain and the key for its end-entity certificate.
#[derive(Debug)]
pub struct CertifiedKey {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: Arc<dyn SigningKey>,
    /// For TLS 1.2 RSA key transport: the same RSA key, able to decrypt.
    pub rsa_decrypter: Option<Arc<RsaPremasterKey>>,
}

impl CertifiedKey {
    pub fn new(
        chain: Vec<CertificateDer<'static>>,
        key: Arc<dyn SigningKey>,
    ) -> Result<Self, Error> {
        if chain.is_empty() {
            return Err(Error::InvalidConfig("certificate chain is empty".into()));
        }
        Ok(Self {
            chain,
            key,
            rsa_decrypter: None,
        })
    }

    /// Loads the key from DER (PKCS#8, SEC1 or PKCS#1).
    pub fn from_der(
        chain: Vec<CertificateDer<'static>>,
        key: &PrivateKeyDer<'_>,
    ) -> Result<Self, Error> {
        let mut ck = Self::new(chain, load_private_key(key)?)?;
        ck.rsa_decrypter = RsaPremasterKey::from_der(key).map(Arc::new);
        Ok(ck)
    }
}

/// What a certificate resolver may look at in the ClientHello.
#[derive(Debug)]
pub struct ClientHelloInfo<'a> {
    pub server_name: Option<&'a DnsName<'a>>,
    /// The client's signature schemes (for TLS 1.3, those TLS 1.3 allows).
    pub signature_schemes: &'a [SignatureScheme],
    pub alpn: Option<&'a [Vec<u8>]>,
    pub cipher_suites: &'a [CipherSuite],
}

/// Chooses the certificate for a connection (by SNI, say).
pub trait ResolvesServerCert: Send + Sync + fmt::Debug {
    fn resolve(&self, hello: &ClientHelloInfo<'_>) -> Option<Arc<CertifiedKey>>;
}

/// One certificate for every connection.
#[derive(Debug)]
pub struct SingleCertResolver(pub Arc<CertifiedKey>);

impl ResolvesServerCert for SingleCertResolver {
    fn resolve(&self, _hello: &ClientHelloInfo<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.0.clone())
    }
}

/// Certificates chosen by the SNI host name, with an optional default
/// for clients that send no name or an unknown one.
#[derive(Debug, Default)]
pub struct SniResolver {
    by_name: HashMap<String, Arc<CertifiedKey>>,
    default: Option<Arc<CertifiedKey>>,
}

impl SniResolver {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, name: &str, key: Arc<CertifiedKey>) -> Result<(), Error> {
        let name = DnsName::try_from(name)
            .map_err(|_| Error::InvalidConfig(format!("'{name}' is not a DNS name")))?;
        self.by_name.insert(name.as_ref().to_ascii_lowercase(), key);
        Ok(())
    }

    pub fn set_default(&mut self, key: Arc<CertifiedKey>) {
        self.default = Some(key);
    }
}

impl ResolvesServerCert for SniResolver {
    fn resolve(&self, hello: &ClientHelloInfo<'_>) -> Option<Arc<CertifiedKey>> {
        hello
            .server_name
            .and_then(|n| self.by_name.get(&n.as_ref().to_ascii_lowercase()))
            .or(self.default.as_ref())
            .cloned()
    }
}

/// Sessions resume for a day by default.
pub const DEFAULT_SESSION_LIFETIME: Duration = Duration::from_secs(24 * 3600);
/// Sessions the default in-memory store keeps.
pub const DEFAULT_SESSION_STORE_SIZE: usize = 4096;

/// How a server accepts connections. Share it as an `Arc`.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    pub versions: Vec<ProtocolVersion>,
    /// Cipher suites in our preference order (the server's order decides).
    pub cipher_suites: Vec<CipherSuite>,
    /// Groups in our preference order.
    pub groups: Vec<NamedGroup>,
    /// ALPN protocols we speak, most preferred first: the first of them
    /// the client also offers is chosen (RFC 7301 §3.2).
    pub alpn_protocols: Vec<Vec<u8>>,
    pub cert_resolver: Arc<dyn ResolvesServerCert>,
    pub random: Arc<dyn RandomSource>,
    pub time: Arc<dyn TimeProvider>,
    /// The largest handshake message accepted from a client (default: the
    /// largest valid ClientHello, `MAX_CLIENT_HELLO`).
    pub max_handshake_message: usize,
    /// TLS 1.2: refuse clients without extended master secret (RFC 7627).
    pub require_extended_master_secret: bool,
    /// Sessions older than this are not resumed: the client gets a full
    /// handshake (and new keys). TLS 1.3 tickets also say so to the
    /// client, capped at 7 days (RFC 8446 §4.6.1).
    pub session_lifetime: Duration,
    /// TLS 1.3 NewSessionTickets sent after each full handshake.
    pub ticket_count: usize,
    /// Seals sessions into tickets the client carries (stateless). With
    /// `None`, TLS 1.3 tickets are single-use keys into `session_store`,
    /// and TLS 1.2 uses session IDs only.
    pub ticketer: Option<Arc<TicketKeys>>,
    /// Server-side sessions: TLS 1.2 session IDs, and TLS 1.3 tickets when
    /// there is no `ticketer`.
    pub session_store: Option<Arc<dyn SessionStore>>,
    /// Allow TLS 1.3 resumption without (EC)DHE (psk_ke), which gives up
    /// forward secrecy for the resumed session. Off by default.
    pub allow_psk_ke: bool,
    /// TLS 1.3: send a KeyUpdate after this many records under one key
    /// (default: the AEAD's confidentiality limit, RFC 8446 §5.5).
    pub key_update_after_records: Option<u64>,
    /// Receives handshake events (`ferrotls explain` uses one).
    pub observer: Option<Arc<dyn Observer>>,
    /// Receives secrets in NSS key log format, e.g. [`KeyLogFile`](crate::observe::KeyLogFile).
    pub key_log: Option<Arc<dyn KeyLog>>,
}

impl ServerConfig {
    /// Defaults, serving one certificate chain.
    pub fn new(
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> Result<Self, Error> {
        let ck = CertifiedKey::from_der(chain, &key)?;
        Ok(Self::with_cert_resolver(Arc::new(SingleCertResolver(
            Arc::new(ck),
        ))))
    }

    pub fn with_cert_resolver(cert_resolver: Arc<dyn ResolvesServerCert>) -> Self {
        let random: Arc<dyn RandomSource> = Arc::new(SystemRandom);
        Self {
            session_lifetime: DEFAULT_SESSION_LIFETIME,
            ticket_count: 2,
            ticketer: Some(Arc::new(TicketKeys::new(random.clone()))),
            session_store: Some(Arc::new(MemorySessionStore::new(
                DEFAULT_SESSION_STORE_SIZE,
            ))),
            allow_psk_ke: false,
            key_update_after_records: None,
            versions: vec![ProtocolVersion::TLSv1_3, ProtocolVersion::TLSv1_2],
            cipher_suites: default_cipher_suites(),
            groups: kx::ALL_GROUPS.iter().map(|g| g.name()).collect(),
            alpn_protocols: Vec::new(),
            cert_resolver,
            random,
            time: Arc::new(SystemTime),
            max_handshake_message: MAX_CLIENT_HELLO,
            require_extended_master_secret: true,
            observer: None,
            key_log: None,
        }
    }

    pub(crate) fn supports(&self, version: ProtocolVersion) -> bool {
        self.versions.contains(&version)
    }

    pub(crate) fn validate(&self) -> Result<(), Error> {
        validate_versions_and_suites(&self.versions, &self.cipher_suites)?;
        if self.groups.is_empty() || self.groups.iter().any(|g| kx::group(*g).is_none()) {
            return Err(Error::InvalidConfig(
                "groups must be non-empty and implemented".into(),
            ));
        }
        Ok(())
    }
}
