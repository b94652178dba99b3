//! The TLS 1.3 key schedule (RFC 8446 §7.1), one type per stage:
//!
//! ```text
//! EarlySecret ──(EC)DHE──▶ HandshakeSecret ──▶ MasterSecret
//!                               │                    │
//!                   client/server handshake   client/server application
//!                   traffic secrets           traffic secrets, exporter,
//!                                             resumption master secret
//! ```
//!
//! Each stage is consumed to make the next, so application traffic keys can
//! only come from a master secret, which can only come from a handshake
//! secret that mixed in the key exchange.

use crate::crypto::aead::NONCE_LEN;
use std::sync::OnceLock;

use zeroize::Zeroizing;

use crate::crypto::hash::{HashAlgorithm, MAX_HASH_LEN};
use crate::crypto::hkdf;
use crate::crypto::Secret;
use crate::error::Error;
use crate::suites::Tls13CipherSuite;

/// RFC 8446 §7.1 HKDF-Expand-Label(Secret, Label, Context, Length).
pub fn hkdf_expand_label(
    hash: HashAlgorithm,
    secret: &[u8],
    label: &[u8],
    context: &[u8],
    len: usize,
) -> Secret {
    Secret::filled(len, |out| {
        hkdf_expand_label_into(hash, secret, label, context, out)
    })
}

/// HKDF-Expand-Label with Length = `out.len()`, written into `out`.
fn hkdf_expand_label_into(
    hash: HashAlgorithm,
    secret: &[u8],
    label: &[u8],
    context: &[u8],
    out: &mut [u8],
) -> Result<(), Error> {
    let out_len = (out.len() as u16).to_be_bytes();
    let label_len = [(6 + label.len()) as u8];
    let context_len = [context.len() as u8];
    let info: [&[u8]; 6] = [
        &out_len,
        &label_len,
        b"tls13 ",
        label,
        &context_len,
        context,
    ];
    hkdf::expand_into(hash, secret, &info, out)
}

/// RFC 8446 §7.1 Derive-Secret(Secret, Label, Messages), given the
/// transcript hash of Messages.
pub fn derive_secret(
    hash: HashAlgorithm,
    secret: &[u8],
    label: &[u8],
    transcript_hash: &[u8],
) -> Secret {
    hkdf_expand_label(hash, secret, label, transcript_hash, hash.output_len())
}

/// RFC 8446 §7.1: the "0" of the key schedule, Hash.length zero bytes.
fn zeros(hash: HashAlgorithm) -> &'static [u8] {
    &[0; MAX_HASH_LEN][..hash.output_len()]
}

/// Stage 1: HKDF-Extract(0, PSK or zeros).
pub struct EarlySecret {
    suite: &'static Tls13CipherSuite,
    secret: Secret,
    with_psk: bool,
}

/// Without a PSK the early secret, and the "derived" salt it hands the
/// handshake secret, are the same for every connection using a hash:
/// public constants (RFC 8448 §3 shows them), computed once.
struct NoPsk {
    early: Secret,
    derived: Secret,
}

fn no_psk(hash: HashAlgorithm) -> &'static NoPsk {
    static SHA256: OnceLock<NoPsk> = OnceLock::new();
    static SHA384: OnceLock<NoPsk> = OnceLock::new();
    let cell = match hash {
        HashAlgorithm::Sha256 => &SHA256,
        HashAlgorithm::Sha384 => &SHA384,
    };
    cell.get_or_init(|| {
        let early = hkdf::extract(hash, zeros(hash), zeros(hash));
        let derived = derive_secret(hash, early.expose(), b"derived", hash.empty_hash());
        NoPsk { early, derived }
    })
}

impl EarlySecret {
    pub fn new(suite: &'static Tls13CipherSuite, psk: Option<&[u8]>) -> Self {
        let secret = match psk {
            Some(psk) => hkdf::extract(suite.hash, zeros(suite.hash), psk),
            None => no_psk(suite.hash).early.clone(),
        };
        Self {
            suite,
            secret,
            with_psk: psk.is_some(),
        }
    }

    pub fn secret(&self) -> &Secret {
        &self.secret
    }

    pub fn suite(&self) -> &'static Tls13CipherSuite {
        self.suite
    }

    /// The same early secret for `suite`, which must share its hash (the
    /// secret depends on nothing else): a client keys its binder with the
    /// ticket's suite, and the server may choose another with that hash.
    pub fn for_suite(self, suite: &'static Tls13CipherSuite) -> Result<Self, Error> {
        match suite.hash == self.suite.hash {
            true => Ok(Self { suite, ..self }),
            false => Err(Error::Internal("early secret for a suite of another hash")),
        }
    }

    /// binder_key for a resumption PSK (RFC 8446 §7.1, "res binder").
    pub fn resumption_binder_key(&self) -> Secret {
        derive_secret(
            self.suite.hash,
            self.secret.expose(),
            b"res binder",
            self.suite.hash.empty_hash(),
        )
    }

    /// Mixes in the (EC)DHE / KEM shared secret.
    pub fn into_handshake(self, shared_secret: &[u8]) -> HandshakeSecret {
        let salt = match self.with_psk {
            true => derive_empty(self.suite, &self.secret),
            false => no_psk(self.suite.hash).derived.clone(),
        };
        HandshakeSecret {
            suite: self.suite,
            secret: hkdf::extract(self.suite.hash, salt.expose(), shared_secret),
        }
    }
}

/// Derive-Secret(secret, "derived", "").
fn derive_empty(suite: &Tls13CipherSuite, secret: &Secret) -> Secret {
    derive_secret(
        suite.hash,
        secret.expose(),
        b"derived",
        suite.hash.empty_hash(),
    )
}

/// Stage 2: the handshake secret.
pub struct HandshakeSecret {
    suite: &'static Tls13CipherSuite,
    secret: Secret,
}

/// The two traffic secrets of one stage, one per direction.
pub struct TrafficSecrets {
    pub client: Secret,
    pub server: Secret,
}

impl HandshakeSecret {
    pub fn secret(&self) -> &Secret {
        &self.secret
    }

    /// `[sender]_handshake_traffic_secret`, over ClientHello..ServerHello.
    pub fn traffic_secrets(&self, hello_hash: &[u8]) -> TrafficSecrets {
        let h = self.suite.hash;
        TrafficSecrets {
            client: derive_secret(h, self.secret.expose(), b"c hs traffic", hello_hash),
            server: derive_secret(h, self.secret.expose(), b"s hs traffic", hello_hash),
        }
    }

    pub fn into_master(self) -> MasterSecret {
        let salt = derive_empty(self.suite, &self.secret);
        MasterSecret {
            suite: self.suite,
            secret: hkdf::extract(self.suite.hash, salt.expose(), zeros(self.suite.hash)),
        }
    }
}

/// Stage 3: the master secret.
pub struct MasterSecret {
    suite: &'static Tls13CipherSuite,
    secret: Secret,
}

/// The application traffic secrets, one per direction.
pub struct ApplicationSecrets {
    pub client: Secret,
    pub server: Secret,
}

impl MasterSecret {
    pub fn secret(&self) -> &Secret {
        &self.secret
    }

    /// Over ClientHello..server Finished.
    pub fn application_secrets(&self, handshake_hash: &[u8]) -> ApplicationSecrets {
        let h = self.suite.hash;
        ApplicationSecrets {
            client: derive_secret(h, self.secret.expose(), b"c ap traffic", handshake_hash),
            server: derive_secret(h, self.secret.expose(), b"s ap traffic", handshake_hash),
        }
    }

    /// exporter_master_secret, over ClientHello..server Finished.
    pub fn exporter_master_secret(&self, handshake_hash: &[u8]) -> Secret {
        derive_secret(
            self.suite.hash,
            self.secret.expose(),
            b"exp master",
            handshake_hash,
        )
    }

    /// Over ClientHello..client Finished.
    pub fn resumption_master_secret(&self, handshake_hash: &[u8]) -> Secret {
        derive_secret(
            self.suite.hash,
            self.secret.expose(),
            b"res master",
            handshake_hash,
        )
    }
}

/// RFC 8446 §7.3: the write key and IV made from a traffic secret.
pub struct TrafficKeys {
    pub key: Secret,
    pub iv: [u8; NONCE_LEN],
}

impl TrafficKeys {
    pub fn derive(suite: &Tls13CipherSuite, traffic_secret: &Secret) -> Self {
        let h = suite.hash;
        let key = hkdf_expand_label(
            h,
            traffic_secret.expose(),
            b"key",
            &[],
            suite.aead.key_len(),
        );
        let mut iv = [0u8; NONCE_LEN];
        match hkdf_expand_label_into(h, traffic_secret.expose(), b"iv", &[], &mut iv) {
            Ok(()) => Self { key, iv },
            // No key either: making the record protection fails.
            Err(_) => Self {
                key: Secret::default(),
                iv,
            },
        }
    }
}

/// RFC 8446 §4.4.4: verify_data = HMAC(finished_key, transcript hash).
pub fn finished_verify_data(
    suite: &Tls13CipherSuite,
    base_key: &Secret,
    transcript_hash: &[u8],
) -> Vec<u8> {
    let h = suite.hash;
    // Used here and wiped on return, never moved.
    let mut buf = Zeroizing::new([0u8; MAX_HASH_LEN]);
    let finished_key = &mut buf[..h.output_len()];
    match hkdf_expand_label_into(h, base_key.expose(), b"finished", &[], finished_key) {
        Ok(()) => hkdf::hmac(h, finished_key, &[transcript_hash]),
        // Empty: no Finished or binder matches it (ct_eq compares lengths).
        Err(_) => Vec::new(),
    }
}

/// RFC 8446 §4.6.1: the PSK a NewSessionTicket stands for.
pub fn resumption_psk(
    suite: &Tls13CipherSuite,
    resumption_master_secret: &Secret,
    nonce: &[u8],
) -> Secret {
    let h = suite.hash;
    hkdf_expand_label(
        h,
        resumption_master_secret.expose(),
        b"resumption",
        nonce,
        h.output_len(),
    )
}

/// RFC 8446 §4.2.11.2: a PSK binder, the Finished computation keyed by
/// the binder key over the transcript up to the binders.
pub fn psk_binder(
    suite: &Tls13CipherSuite,
    early: &EarlySecret,
    truncated_transcript_hash: &[u8],
) -> Vec<u8> {
    finished_verify_data(
        suite,
        &early.resumption_binder_key(),
        truncated_transcript_hash,
    )
}

/// RFC 8446 §7.2: application_traffic_secret_N+1.
pub fn next_traffic_secret(suite: &Tls13CipherSuite, secret: &Secret) -> Secret {
    hkdf_expand_label(
        suite.hash,
        secret.expose(),
        b"traffic upd",
        &[],
        suite.hash.output_len(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suites::{
        TLS13_AES_128_GCM_SHA256, TLS13_AES_256_GCM_SHA384, TLS13_CHACHA20_POLY1305_SHA256,
    };

    /// RFC 8446 §4.2.11: a PSK may be used with any suite of its hash. The
    /// early secret carried over from the binder equals a fresh one for the
    /// chosen suite, and keys that suite's AEAD; another hash is refused.
    #[test]
    fn an_early_secret_moves_only_to_a_suite_of_the_same_hash() {
        let psk = [7u8; 32];
        let aes = EarlySecret::new(&TLS13_AES_128_GCM_SHA256, Some(&psk));
        let fresh = EarlySecret::new(&TLS13_CHACHA20_POLY1305_SHA256, Some(&psk));
        let moved = aes.for_suite(&TLS13_CHACHA20_POLY1305_SHA256).unwrap();
        assert_eq!(moved.secret(), fresh.secret());
        assert_eq!(moved.suite().suite, TLS13_CHACHA20_POLY1305_SHA256.suite);
        let hs = moved.into_handshake(&[1; 32]);
        let secrets = hs.traffic_secrets(&[2; 32]);
        let keys = TrafficKeys::derive(&TLS13_CHACHA20_POLY1305_SHA256, &secrets.client);
        assert_eq!(keys.key.len(), 32);

        let aes = EarlySecret::new(&TLS13_AES_128_GCM_SHA256, Some(&psk));
        assert!(aes.for_suite(&TLS13_AES_256_GCM_SHA384).is_err());
    }
}
