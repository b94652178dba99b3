//! What `explain` found out, as plain owned data: the text, JSON and HTML
//! views all render these types (JSON serializes them as they are).

use serde::Serialize;

/// Everything `explain` shows: the server, and one trace per handshake.
#[derive(Debug, Serialize)]
pub struct Report {
    pub server: ServerSummary,
    /// The request sent once each handshake is done (escaped ASCII).
    pub request: String,
    pub sessions: Vec<SessionTrace>,
    /// No key value appears in two sessions.
    pub all_sessions_have_distinct_keys: bool,
}

#[derive(Debug, Serialize)]
pub struct ServerSummary {
    /// HOST:PORT as connected to.
    pub address: String,
    /// A ferrotls server started inside this process for the explanation.
    pub in_process: bool,
    /// The name the certificate was checked against (and sent as SNI).
    pub server_name: String,
    /// What the client trusted.
    pub trusted: String,
}

/// One handshake and the short exchange after it, as the client saw it.
#[derive(Debug, Default, Serialize)]
pub struct SessionTrace {
    /// 1, 2, … in the order the sessions ran.
    pub session: usize,
    pub version: Option<String>,
    pub cipher_suite: Option<String>,
    pub group: Option<String>,
    pub signature_scheme: Option<String>,
    pub alpn: Option<String>,
    pub protection: Option<Protection>,
    /// Every message both ways, in the order they happened.
    pub messages: Vec<Step>,
    pub client_random: Option<String>,
    pub server_random: Option<String>,
    pub key_exchange: Option<KeyExchange>,
    /// The secrets of the key schedule, in the order they were derived.
    pub secrets: Vec<NamedSecret>,
    /// The keys and IVs that protect records, in the order they were made.
    pub keys: Vec<SessionKey>,
    pub certificates: Vec<CertInfo>,
    pub certificate_check: Option<CertCheck>,
    /// Whose Finished message this client checked ("server").
    pub finished_verified: Vec<String>,
    pub exchange: Option<Exchange>,
    /// A short hash of all the keys: equal keys give equal fingerprints.
    pub key_fingerprint: String,
    /// Why the session failed, if it did.
    pub error: Option<String>,
}

/// Who sent something.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Party {
    Client,
    Server,
}

impl Party {
    pub fn name(self) -> &'static str {
        match self {
            Self::Client => "client",
            Self::Server => "server",
        }
    }

    /// "client → server" for what the client sends.
    pub fn arrow(self) -> &'static str {
        match self {
            Self::Client => "client → server",
            Self::Server => "server → client",
        }
    }
}

/// What kind of record a step was.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    Handshake,
    ChangeCipherSpec,
    Alert,
    ApplicationData,
}

/// One message on the wire.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub from: Party,
    pub kind: StepKind,
    /// "ClientHello", "ChangeCipherSpec", "Alert (close_notify)", …
    pub name: String,
    /// Handshake messages: with their 4-byte header. Application data:
    /// the plaintext length.
    pub length: Option<usize>,
    pub encrypted: bool,
}

/// How records are protected under the negotiated suite.
#[derive(Debug, Clone, Serialize)]
pub struct Protection {
    /// "AEAD" or "CBC-HMAC".
    pub kind: String,
    /// "AES-128-GCM", or "AES-128-CBC with HMAC-SHA1".
    pub cipher: String,
    /// The hash of the PRF (TLS 1.2) or HKDF (TLS 1.3).
    pub hash: String,
}

/// How the pre-master / shared secret came to be.
#[derive(Debug, Clone, Serialize)]
pub struct KeyExchange {
    /// "agreed" (both computed it) or "transported" (the client chose it
    /// and encrypted it to the server's RSA key).
    pub method: String,
    pub group: Option<String>,
    pub client_share_len: Option<usize>,
    pub server_share_len: Option<usize>,
    pub ciphertext_len: Option<usize>,
}

/// A secret of the key schedule.
#[derive(Debug, Clone, Serialize)]
pub struct NamedSecret {
    /// "pre-master secret", "master secret", "client handshake traffic secret", …
    pub name: String,
    /// How it is made from what came before.
    pub derivation: String,
    /// Its label in an NSS key log, if it has one.
    pub nss_label: Option<String>,
    pub length: usize,
    pub hex: String,
}

/// A key or IV that protects records in one direction.
#[derive(Debug, Clone, Serialize)]
pub struct SessionKey {
    /// "client write key", "server handshake write IV", …
    pub name: String,
    /// Who encrypts with it; the other side decrypts.
    pub writer: Party,
    /// "client → server".
    pub direction: String,
    /// "mac_key", "key" or "iv".
    pub purpose: String,
    /// TLS 1.3: "handshake" or "application 0", "application 1", ….
    pub stage: Option<String>,
    pub length: usize,
    pub hex: String,
    /// Why it is empty, or what it is for.
    pub note: Option<String>,
}

/// One certificate of the chain the server sent.
#[derive(Debug, Clone, Serialize)]
pub struct CertInfo {
    /// 0 is the server's own certificate; the rest are issuers.
    pub position: usize,
    pub subject: Option<String>,
    pub issuer: Option<String>,
    pub not_before: Option<String>,
    pub not_after: Option<String>,
    /// DNS names and IP addresses it is valid for.
    pub names: Vec<String>,
    /// "ECDSA P-256", "RSA 2048-bit", …
    pub public_key: Option<String>,
    pub size: usize,
    pub sha256: String,
}

/// What was checked about the chain, and the outcome.
#[derive(Debug, Clone, Serialize)]
pub struct CertCheck {
    pub accepted: bool,
    /// False with `--insecure`: accepted without looking.
    pub checked: bool,
    /// Each check, said plainly.
    pub checks: Vec<String>,
    pub error: Option<String>,
}

/// The request and response after the handshake.
#[derive(Debug, Clone, Serialize)]
pub struct Exchange {
    pub sent_bytes: usize,
    pub received_bytes: usize,
    /// The first line of the response (escaped ASCII).
    pub response_first_line: String,
    /// "both sides sent close_notify", or what happened instead.
    pub close: String,
}
