//! Cipher suites: what each one names (hash, AEAD, and in TLS 1.2 the key
//! exchange and authentication).

use crate::crypto::aead::AeadAlgorithm;
use crate::crypto::cbc::MacAlgorithm;
use crate::crypto::hash::HashAlgorithm;
use crate::error::Error;
use crate::msgs::enums::{CipherSuite, ProtocolVersion, SignatureScheme};

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

/// How a TLS 1.2 suite makes the pre-master secret.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyExchange12 {
    /// Agreed by ephemeral ECDH, signed by the server (RFC 8422).
    Ecdhe,
    /// Transported: the client encrypts it to the server's RSA key.
    Rsa,
}

/// The certificate key type a TLS 1.2 suite needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Authentication12 {
    /// ECDSA (and, per RFC 8422 §2.3, EdDSA) certificates.
    Ecdsa,
    Rsa,
}

impl Authentication12 {
    /// RFC 5246 §7.4.1.4.1, RFC 8422 §5.1.1: the signature schemes a
    /// certificate of this kind signs ServerKeyExchange with.
    pub fn allows(self, scheme: SignatureScheme) -> bool {
        use SignatureScheme as S;
        match self {
            Self::Ecdsa => {
                matches!(
                    scheme,
                    S::ECDSA_NISTP256_SHA256
                        | S::ECDSA_NISTP384_SHA384
                        | S::ECDSA_NISTP521_SHA512
                        | S::ED25519
                )
            }
            Self::Rsa => matches!(
                scheme,
                S::RSA_PKCS1_SHA256
                    | S::RSA_PKCS1_SHA384
                    | S::RSA_PKCS1_SHA512
                    | S::RSA_PSS_RSAE_SHA256
                    | S::RSA_PSS_RSAE_SHA384
                    | S::RSA_PSS_RSAE_SHA512
            ),
        }
    }
}

/// The record protection of a TLS 1.2 suite.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bulk12 {
    /// AES-GCM (RFC 5288: 4-byte implicit IV, 8-byte explicit nonce) or
    /// ChaCha20-Poly1305 (RFC 7905: 12-byte IV, no explicit nonce).
    Aead(AeadAlgorithm),
    /// AES-CBC with HMAC, only with encrypt-then-MAC (RFC 7366).
    Cbc { key_len: usize, mac: MacAlgorithm },
}

impl Bulk12 {
    pub fn mac_key_len(self) -> usize {
        match self {
            Self::Aead(_) => 0,
            Self::Cbc { mac, .. } => mac.output_len(),
        }
    }

    pub fn enc_key_len(self) -> usize {
        match self {
            Self::Aead(a) => a.key_len(),
            Self::Cbc { key_len, .. } => key_len,
        }
    }

    /// RFC 5246 §6.3: IVs come from the key block only for AEAD suites.
    pub fn fixed_iv_len(self) -> usize {
        match self {
            Self::Aead(AeadAlgorithm::ChaCha20Poly1305) => 12,
            Self::Aead(_) => 4,
            Self::Cbc { .. } => 0,
        }
    }
}

/// A TLS 1.2 cipher suite.
#[derive(Debug, PartialEq, Eq)]
pub struct Tls12CipherSuite {
    pub suite: CipherSuite,
    pub kx: KeyExchange12,
    pub auth: Authentication12,
    pub bulk: Bulk12,
    /// The PRF hash (RFC 5246 §5; SHA-384 for the *_SHA384 suites).
    pub hash: HashAlgorithm,
}

impl Tls12CipherSuite {
    pub fn is_cbc(&self) -> bool {
        matches!(self.bulk, Bulk12::Cbc { .. })
    }
}

macro_rules! tls12_suite {
    ($name:ident, $id:ident, $kx:ident, $auth:ident, $bulk:expr, $hash:ident) => {
        pub static $name: Tls12CipherSuite = Tls12CipherSuite {
            suite: CipherSuite::$id,
            kx: KeyExchange12::$kx,
            auth: Authentication12::$auth,
            bulk: $bulk,
            hash: HashAlgorithm::$hash,
        };
    };
}

const AES128_GCM: Bulk12 = Bulk12::Aead(AeadAlgorithm::Aes128Gcm);
const AES256_GCM: Bulk12 = Bulk12::Aead(AeadAlgorithm::Aes256Gcm);
const CHACHA20: Bulk12 = Bulk12::Aead(AeadAlgorithm::ChaCha20Poly1305);
const AES128_SHA: Bulk12 = Bulk12::Cbc {
    key_len: 16,
    mac: MacAlgorithm::Sha1,
};
const AES256_SHA: Bulk12 = Bulk12::Cbc {
    key_len: 32,
    mac: MacAlgorithm::Sha1,
};
const AES128_SHA256: Bulk12 = Bulk12::Cbc {
    key_len: 16,
    mac: MacAlgorithm::Sha256,
};
const AES256_SHA256: Bulk12 = Bulk12::Cbc {
    key_len: 32,
    mac: MacAlgorithm::Sha256,
};
const AES256_SHA384: Bulk12 = Bulk12::Cbc {
    key_len: 32,
    mac: MacAlgorithm::Sha384,
};

tls12_suite!(
    ECDHE_ECDSA_AES128_GCM,
    TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    Ecdhe,
    Ecdsa,
    AES128_GCM,
    Sha256
);
tls12_suite!(
    ECDHE_ECDSA_AES256_GCM,
    TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    Ecdhe,
    Ecdsa,
    AES256_GCM,
    Sha384
);
tls12_suite!(
    ECDHE_ECDSA_CHACHA20,
    TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    Ecdhe,
    Ecdsa,
    CHACHA20,
    Sha256
);
tls12_suite!(
    ECDHE_RSA_AES128_GCM,
    TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    Ecdhe,
    Rsa,
    AES128_GCM,
    Sha256
);
tls12_suite!(
    ECDHE_RSA_AES256_GCM,
    TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    Ecdhe,
    Rsa,
    AES256_GCM,
    Sha384
);
tls12_suite!(
    ECDHE_RSA_CHACHA20,
    TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    Ecdhe,
    Rsa,
    CHACHA20,
    Sha256
);
tls12_suite!(
    ECDHE_ECDSA_AES128_CBC_SHA,
    TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
    Ecdhe,
    Ecdsa,
    AES128_SHA,
    Sha256
);
tls12_suite!(
    ECDHE_ECDSA_AES256_CBC_SHA,
    TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
    Ecdhe,
    Ecdsa,
    AES256_SHA,
    Sha256
);
tls12_suite!(
    ECDHE_RSA_AES128_CBC_SHA,
    TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
    Ecdhe,
    Rsa,
    AES128_SHA,
    Sha256
);
tls12_suite!(
    ECDHE_RSA_AES256_CBC_SHA,
    TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
    Ecdhe,
    Rsa,
    AES256_SHA,
    Sha256
);
tls12_suite!(
    ECDHE_ECDSA_AES128_CBC_SHA256,
    TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
    Ecdhe,
    Ecdsa,
    AES128_SHA256,
    Sha256
);
tls12_suite!(
    ECDHE_ECDSA_AES256_CBC_SHA384,
    TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384,
    Ecdhe,
    Ecdsa,
    AES256_SHA384,
    Sha384
);
tls12_suite!(
    ECDHE_RSA_AES128_CBC_SHA256,
    TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
    Ecdhe,
    Rsa,
    AES128_SHA256,
    Sha256
);
tls12_suite!(
    ECDHE_RSA_AES256_CBC_SHA384,
    TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384,
    Ecdhe,
    Rsa,
    AES256_SHA384,
    Sha384
);
tls12_suite!(
    RSA_AES128_GCM,
    TLS_RSA_WITH_AES_128_GCM_SHA256,
    Rsa,
    Rsa,
    AES128_GCM,
    Sha256
);
tls12_suite!(
    RSA_AES256_GCM,
    TLS_RSA_WITH_AES_256_GCM_SHA384,
    Rsa,
    Rsa,
    AES256_GCM,
    Sha384
);
tls12_suite!(
    RSA_AES128_CBC_SHA,
    TLS_RSA_WITH_AES_128_CBC_SHA,
    Rsa,
    Rsa,
    AES128_SHA,
    Sha256
);
tls12_suite!(
    RSA_AES256_CBC_SHA,
    TLS_RSA_WITH_AES_256_CBC_SHA,
    Rsa,
    Rsa,
    AES256_SHA,
    Sha256
);
tls12_suite!(
    RSA_AES128_CBC_SHA256,
    TLS_RSA_WITH_AES_128_CBC_SHA256,
    Rsa,
    Rsa,
    AES128_SHA256,
    Sha256
);
tls12_suite!(
    RSA_AES256_CBC_SHA256,
    TLS_RSA_WITH_AES_256_CBC_SHA256,
    Rsa,
    Rsa,
    AES256_SHA256,
    Sha256
);

/// Every TLS 1.2 suite we implement, in our preference order.
pub static TLS12_SUITES: &[&Tls12CipherSuite] = &[
    &ECDHE_ECDSA_AES128_GCM,
    &ECDHE_ECDSA_AES256_GCM,
    &ECDHE_ECDSA_CHACHA20,
    &ECDHE_RSA_AES128_GCM,
    &ECDHE_RSA_AES256_GCM,
    &ECDHE_RSA_CHACHA20,
    &ECDHE_ECDSA_AES128_CBC_SHA256,
    &ECDHE_ECDSA_AES256_CBC_SHA384,
    &ECDHE_RSA_AES128_CBC_SHA256,
    &ECDHE_RSA_AES256_CBC_SHA384,
    &ECDHE_ECDSA_AES128_CBC_SHA,
    &ECDHE_ECDSA_AES256_CBC_SHA,
    &ECDHE_RSA_AES128_CBC_SHA,
    &ECDHE_RSA_AES256_CBC_SHA,
    &RSA_AES128_GCM,
    &RSA_AES256_GCM,
    &RSA_AES128_CBC_SHA256,
    &RSA_AES256_CBC_SHA256,
    &RSA_AES128_CBC_SHA,
    &RSA_AES256_CBC_SHA,
];

pub fn tls12_suite(id: CipherSuite) -> Option<&'static Tls12CipherSuite> {
    TLS12_SUITES.iter().copied().find(|s| s.suite == id)
}

/// The TLS 1.2 suites on by default: AEAD with ECDHE only. CBC and RSA key
/// transport are used only when named.
pub fn default_tls12_suites() -> impl Iterator<Item = &'static Tls12CipherSuite> {
    TLS12_SUITES
        .iter()
        .copied()
        .filter(|s| s.kx == KeyExchange12::Ecdhe && !s.is_cbc())
}

/// Every suite we implement: 1.3 and 1.2.
pub fn is_supported(id: CipherSuite) -> bool {
    tls13_suite(id).is_some() || tls12_suite(id).is_some()
}

/// Our default suites: every TLS 1.3 suite, then the default TLS 1.2 ones.
pub fn default_cipher_suites() -> Vec<CipherSuite> {
    TLS13_SUITES
        .iter()
        .map(|s| s.suite)
        .chain(default_tls12_suites().map(|s| s.suite))
        .collect()
}

/// A configuration must enable TLS 1.2 and/or 1.3, and name only suites we
/// implement, at least one for an enabled version.
pub fn validate_versions_and_suites(
    versions: &[ProtocolVersion],
    suites: &[CipherSuite],
) -> Result<(), Error> {
    let (v13, v12) = (
        versions.contains(&ProtocolVersion::TLSv1_3),
        versions.contains(&ProtocolVersion::TLSv1_2),
    );
    if !v13 && !v12 {
        return Err(Error::InvalidConfig("enable TLS 1.3 and/or TLS 1.2".into()));
    }
    if let Some(bad) = suites.iter().find(|s| !is_supported(**s)) {
        return Err(Error::InvalidConfig(format!(
            "cipher suite {bad} is not implemented"
        )));
    }
    let usable = suites
        .iter()
        .any(|s| (v13 && tls13_suite(*s).is_some()) || (v12 && tls12_suite(*s).is_some()));
    if !usable {
        return Err(Error::InvalidConfig(
            "no cipher suite for an enabled protocol version".into(),
        ));
    }
    Ok(())
}
