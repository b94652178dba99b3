//! Cipher suites: what each one names (hash, AEAD, and in TLS 1.2 the key
//! exchange and authentication).

use crate::crypto::aead::AeadAlgorithm;
use crate::crypto::hash::HashAlgorithm;
use crate::msgs::enums::CipherSuite;

/// A TLS 1.3 cipher suite: an AEAD and the hash for HKDF (RFC 8446 §B.4).
#[derive(Debug, PartialEq, Eq)]
pub struct Tls13CipherSuite {
    pub suite: CipherSuite,
    pub hash: HashAlgorithm,
    pub aead: AeadAlgorithm,
}

pub static TLS13_AES_128_GCM_SHA256: Tls13CipherSuite = Tls13CipherSuite {
    suite: CipherSuite::TLS_AES_128_GCM_SHA256,
    hash: HashAlgorithm::Sha256,
    aead: AeadAlgorithm::Aes128Gcm,
};

pub static TLS13_AES_256_GCM_SHA384: Tls13CipherSuite = Tls13CipherSuite {
    suite: CipherSuite::TLS_AES_256_GCM_SHA384,
    hash: HashAlgorithm::Sha384,
    aead: AeadAlgorithm::Aes256Gcm,
};

pub static TLS13_CHACHA20_POLY1305_SHA256: Tls13CipherSuite = Tls13CipherSuite {
    suite: CipherSuite::TLS_CHACHA20_POLY1305_SHA256,
    hash: HashAlgorithm::Sha256,
    aead: AeadAlgorithm::ChaCha20Poly1305,
};

/// Every TLS 1.3 suite we implement, in our default preference order.
pub static TLS13_SUITES: &[&Tls13CipherSuite] = &[
    &TLS13_AES_128_GCM_SHA256,
    &TLS13_AES_256_GCM_SHA384,
    &TLS13_CHACHA20_POLY1305_SHA256,
];

pub fn tls13_suite(id: CipherSuite) -> Option<&'static Tls13CipherSuite> {
    TLS13_SUITES.iter().copied().find(|s| s.suite == id)
}
