//! Observability: what a handshake did, as events, and the NSS key log.
//!
//! Nothing here costs anything unless a config sets an [`Observer`] or a
//! [`KeyLog`]. Secrets reach an observer only if it says it wants them
//! ([`Observer::wants_secrets`]), and reach a key log only because the
//! application installed one.

use core::fmt;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

use rustls_pki_types::CertificateDer;

use crate::conn::{Negotiated, Side};
use crate::crypto::Secret;
use crate::error::Error;
use crate::msgs::alert::Alert;
use crate::msgs::enums::{HandshakeType, NamedGroup};
use crate::tls12::key_schedule::SessionKeys;

/// Which way something crossed the wire, from this endpoint's view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Sent,
    Received,
}

/// How the pre-master / shared secret was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyExchangeKind {
    /// Both sides computed it: (EC)DHE or a hybrid KEM.
    Agreed {
        group: NamedGroup,
        client_share_len: usize,
        server_share_len: usize,
    },
    /// The client chose it and encrypted it to the server's RSA key.
    RsaTransported { ciphertext_len: usize },
}

/// The secrets of both key schedules, by name. Non-exhaustive: a new
/// secret (a resumption PSK, say) must not break observers elsewhere.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SecretKind {
    /// TLS 1.2: the 48-byte pre-master secret.
    PreMasterSecret,
    /// TLS 1.3: the (EC)DHE / KEM shared secret.
    SharedSecret,
    /// TLS 1.2: the master secret (extended or classic).
    MasterSecret,
    EarlySecret,
    HandshakeSecret,
    ClientHandshakeTrafficSecret,
    ServerHandshakeTrafficSecret,
    /// TLS 1.3: the master secret stage of the key schedule.
    Tls13MasterSecret,
    ClientApplicationTrafficSecret(u32),
    ServerApplicationTrafficSecret(u32),
    ExporterMasterSecret,
    ResumptionMasterSecret,
}

impl SecretKind {
    /// The NSS key log label (what Wireshark reads), if it has one.
    pub fn nss_label(self) -> Option<String> {
        Some(match self {
            Self::MasterSecret => "CLIENT_RANDOM".into(),
            Self::ClientHandshakeTrafficSecret => "CLIENT_HANDSHAKE_TRAFFIC_SECRET".into(),
            Self::ServerHandshakeTrafficSecret => "SERVER_HANDSHAKE_TRAFFIC_SECRET".into(),
            Self::ClientApplicationTrafficSecret(n) => format!("CLIENT_TRAFFIC_SECRET_{n}"),
            Self::ServerApplicationTrafficSecret(n) => format!("SERVER_TRAFFIC_SECRET_{n}"),
            Self::ExporterMasterSecret => "EXPORTER_SECRET".into(),
            _ => return None,
        })
    }

    pub fn name(self) -> String {
        match self {
            Self::PreMasterSecret => "pre-master secret".into(),
            Self::SharedSecret => "shared secret".into(),
            Self::MasterSecret => "master secret".into(),
            Self::EarlySecret => "early secret".into(),
            Self::HandshakeSecret => "handshake secret".into(),
            Self::ClientHandshakeTrafficSecret => "client handshake traffic secret".into(),
            Self::ServerHandshakeTrafficSecret => "server handshake traffic secret".into(),
            Self::Tls13MasterSecret => "master secret".into(),
            Self::ClientApplicationTrafficSecret(n) => {
                format!("client application traffic secret {n}")
            }
            Self::ServerApplicationTrafficSecret(n) => {
                format!("server application traffic secret {n}")
            }
            Self::ExporterMasterSecret => "exporter master secret".into(),
            Self::ResumptionMasterSecret => "resumption master secret".into(),
        }
    }
}

/// Which traffic a TLS 1.3 key protects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyStage {
    Handshake,
    /// Application traffic, generation N (0, then one more per KeyUpdate).
    Application(u32),
}

/// Something the handshake did, in order. Secret values are wrapped in
/// [`Secret`], whose `Debug` is redacted: call `expose()` to show them.
#[derive(Debug)]
#[non_exhaustive]
pub enum Event<'a> {
    /// A handshake message; `len` includes its 4-byte header.
    Message {
        direction: Direction,
        typ: HandshakeType,
        len: usize,
        encrypted: bool,
    },
    ChangeCipherSpec {
        direction: Direction,
    },
    Alert {
        direction: Direction,
        alert: Alert,
    },
    ClientRandom(&'a [u8; 32]),
    ServerRandom(&'a [u8; 32]),
    KeyExchange(KeyExchangeKind),
    /// The server's certificate chain and whether it was accepted.
    PeerCertificates {
        chain: &'a [CertificateDer<'static>],
        result: Result<(), &'a Error>,
    },
    /// A secret (only to observers that want secrets).
    Secret {
        kind: SecretKind,
        value: &'a Secret,
    },
    /// TLS 1.2's four session keys and IVs (only to observers that want secrets).
    SessionKeys(&'a SessionKeys),
    /// A TLS 1.3 write key and IV (only to observers that want secrets).
    TrafficKey {
        stage: KeyStage,
        writer: Side,
        key: &'a Secret,
        iv: &'a Secret,
    },
    /// A Finished message was checked and matched.
    FinishedVerified {
        sender: Side,
    },
    /// The handshake is complete; this is what it agreed.
    HandshakeComplete(&'a Negotiated),
}

/// Receives handshake events. Implementations must be cheap: they run
/// inside the handshake.
pub trait Observer: Send + Sync + fmt::Debug {
    fn event(&self, event: &Event<'_>);

    /// Whether secrets and keys may be passed to this observer. Only say
    /// yes when the user asked to see them.
    fn wants_secrets(&self) -> bool {
        false
    }
}

/// Receives secrets in NSS key log form (for Wireshark and friends).
pub trait KeyLog: Send + Sync + fmt::Debug {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]);
}

/// Appends NSS key log lines to a file.
#[derive(Debug)]
pub struct KeyLogFile(Mutex<File>);

impl KeyLogFile {
    /// Opens `path` to append to, creating it if need be. Anyone who can
    /// read the file can decrypt the logged sessions, so a new file is
    /// readable by its owner only (mode 0600 on Unix); an existing one
    /// keeps its permissions.
    pub fn create(path: &Path) -> std::io::Result<Self> {
        let mut options = OpenOptions::new();
        options.create(true).append(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        Ok(Self(Mutex::new(options.open(path)?)))
    }

    /// The file named by `SSLKEYLOGFILE`, if it is set and can be opened.
    pub fn from_env() -> Option<Self> {
        let path = std::env::var_os("SSLKEYLOGFILE")?;
        Self::create(Path::new(&path)).ok()
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl KeyLog for KeyLogFile {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        let line = format!("{label} {} {}\n", hex(client_random), hex(secret));
        if let Ok(mut f) = self.0.lock() {
            // A key log that cannot be written must not break the connection.
            let _ = f.write_all(line.as_bytes());
        }
    }
}
