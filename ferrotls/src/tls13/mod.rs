//! TLS 1.3 pieces shared by client and server.

pub mod key_schedule;
pub mod traffic;

use crate::conn::{CommonState, Side};
use crate::crypto::aead::AeadKey;
use crate::crypto::Secret;
use crate::error::Error;
use crate::observe::{Event, KeyStage, SecretKind};
use crate::record::protect::Tls13Protection;
use crate::suites::Tls13CipherSuite;
use key_schedule::TrafficKeys;

/// Record protection keyed from a traffic secret (RFC 8446 §7.3). The
/// secret goes to the key log, and secret and keys to an observer that
/// wants them.
pub fn protection(
    common: &CommonState,
    suite: &Tls13CipherSuite,
    traffic_secret: &Secret,
    stage: KeyStage,
    writer: Side,
) -> Result<Box<Tls13Protection>, Error> {
    let kind = match (stage, writer) {
        (KeyStage::Handshake, Side::Client) => SecretKind::ClientHandshakeTrafficSecret,
        (KeyStage::Handshake, Side::Server) => SecretKind::ServerHandshakeTrafficSecret,
        (KeyStage::Application(n), Side::Client) => SecretKind::ClientApplicationTrafficSecret(n),
        (KeyStage::Application(n), Side::Server) => SecretKind::ServerApplicationTrafficSecret(n),
    };
    common.secret(kind, traffic_secret);
    let keys = TrafficKeys::derive(suite, traffic_secret);
    if common.observing_secrets() {
        let iv = Secret::from_slice(&keys.iv);
        common.observe(|| Event::TrafficKey {
            stage,
            writer,
            key: &keys.key,
            iv: &iv,
        });
    }
    let key = AeadKey::new(suite.aead, keys.key.expose())?;
    Ok(Box::new(Tls13Protection::new(key, keys.iv)))
}

pub const SERVER_SIGNATURE_CONTEXT: &[u8] = b"TLS 1.3, server CertificateVerify";
pub const CLIENT_SIGNATURE_CONTEXT: &[u8] = b"TLS 1.3, client CertificateVerify";

/// RFC 8446 §4.4.3: the content a CertificateVerify signature covers.
pub fn signed_message(context: &[u8], transcript_hash: &[u8]) -> Vec<u8> {
    let mut m = vec![0x20u8; 64];
    m.extend_from_slice(context);
    m.push(0);
    m.extend_from_slice(transcript_hash);
    m
}
#[cfg(test)]
mod rfc8448_tests;
