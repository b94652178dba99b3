//! TLS 1.2 interop with rustls 0.23 (aws-lc-rs provider), in this process
//! over memory buffers, with rustls held to `rustls::version::TLS12`: its
//! TLS 1.2 suites (ECDHE-ECDSA and ECDHE-RSA with AES-GCM and
//! ChaCha20-Poly1305) × groups × key types, both ways; extended master
//! secret (rustls made to require it, and both sides' key logs showing the
//! same master secret); data both ways and close_notify; version
//! negotiation against a TLS 1.3-capable peer. The machinery is in
//! `common/rustls_peer.rs`, shared with the TLS 1.3 tests.

mod common;

use std::sync::{Arc, Mutex};

use common::rustls_peer::{
    check_agreement, exchange_data_and_close, handshake, our_client, our_server, provider,
    rustls_client, rustls_client_config, rustls_roots, rustls_server, rustls_server_config,
};
use common::*;
use ferrotls::{CipherSuite, NamedGroup, ProtocolVersion};
use rustls::version::TLS12;
use rustls::HandshakeKind;

use CipherSuite as CS;

const ECDSA_SUITES: [CipherSuite; 3] = [
    CS::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    CS::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    CS::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
];

const RSA_SUITES: [CipherSuite; 3] = [
    CS::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    CS::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    CS::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
];

/// The groups TLS 1.2 can use (X25519MLKEM768 is TLS 1.3 only).
const GROUPS: [NamedGroup; 3] = [
    NamedGroup::X25519,
    NamedGroup::secp256r1,
    NamedGroup::secp384r1,
];

/// Every rustls TLS 1.2 suite, with the key types that can serve it.
fn cases() -> Vec<(KeyType, CipherSuite)> {
    let mut out = Vec::new();
    for kt in [KeyType::EcdsaP256, KeyType::EcdsaP384, KeyType::Ed25519] {
        out.extend(ECDSA_SUITES.map(|s| (kt, s)));
    }
    out.extend(RSA_SUITES.map(|s| (KeyType::Rsa2048, s)));
    out
}

/// The client offers `group` first, then its certificate's curve for an
/// ECDSA key: in TLS 1.2 supported_groups also bounds that curve
/// (RFC 8422 §4), and our server keeps to it.
fn client_groups(kt: KeyType, group: NamedGroup) -> Vec<NamedGroup> {
    let curve = match kt {
        KeyType::EcdsaP256 => Some(NamedGroup::secp256r1),
        KeyType::EcdsaP384 => Some(NamedGroup::secp384r1),
        KeyType::Ed25519 | KeyType::Rsa2048 => None,
    };
    let mut groups = vec![group];
    groups.extend(curve.filter(|c| *c != group));
    groups
}

/// NSS key log lines, kept for comparison; both libraries' `KeyLog`.
#[derive(Debug, Default)]
struct Lines(Mutex<Vec<String>>);

impl Lines {
    fn push(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        let hex = ferrotls::observe::hex;
        let line = format!("{label} {} {}", hex(client_random), hex(secret));
        self.0.lock().unwrap().push(line);
    }

    fn get(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

impl ferrotls::observe::KeyLog for Lines {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        self.push(label, client_random, secret);
    }
}

impl rustls::KeyLog for Lines {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        self.push(label, client_random, secret);
    }
}

/// TLS 1.2 logs one line: CLIENT_RANDOM with the 48-byte master secret.
fn check_key_logs(ours: &Lines, theirs: &Lines, ctx: &str) {
    let ours = ours.get();
    assert_eq!(ours.len(), 1, "{ctx}: {ours:?}");
    assert!(ours[0].starts_with("CLIENT_RANDOM "), "{ctx}: {ours:?}");
    assert_eq!(ours[0].len(), "CLIENT_RANDOM ".len() + 64 + 1 + 96, "{ctx}");
    assert_eq!(ours, theirs.get(), "{ctx}: master secrets differ");
}

// ---------------------------------------------------------------------------
// The matrix

#[test]
fn our_client_to_rustls_tls12_server_every_suite_group_and_key_type() {
    for (kt, suite) in cases() {
        let pki = TestPki::get(kt);
        for group in GROUPS {
            let ctx = format!("{kt:?} {suite} {group}");
            let mut sc =
                (*rustls_server_config(&TLS12, pki, provider(&TLS12, &[], &[group]), &[])).clone();
            // RFC 7627: rustls must see extended master secret from us.
            sc.require_ems = true;
            let their_log = Arc::new(Lines::default());
            sc.key_log = their_log.clone();
            let mut cc = pki.client_config();
            cc.versions = vec![ProtocolVersion::TLSv1_2];
            cc.cipher_suites = vec![suite];
            cc.groups = client_groups(kt, group);
            let our_log = Arc::new(Lines::default());
            cc.key_log = Some(our_log.clone());

            let mut c = our_client(cc, "localhost");
            let mut s = rustls_server(Arc::new(sc));
            handshake(&mut c, &mut s).unwrap_or_else(|e| panic!("{ctx}: {e:?}"));
            check_agreement(&c, &s, ProtocolVersion::TLSv1_2, &ctx);
            assert_eq!(c.negotiated_cipher_suite(), Some(suite), "{ctx}");
            assert_eq!(c.negotiated_group(), Some(group), "{ctx}");
            assert_eq!(s.handshake_kind(), Some(HandshakeKind::Full), "{ctx}");
            assert_eq!(c.peer_certificates().map(|p| p.len()), Some(2));
            check_key_logs(&our_log, &their_log, &ctx);
            exchange_data_and_close(&mut c, &mut s, group != NamedGroup::secp256r1);
        }
    }
}

#[test]
fn rustls_tls12_client_to_our_server_every_suite_group_and_key_type() {
    for (kt, suite) in cases() {
        let pki = TestPki::get(kt);
        for group in GROUPS {
            let ctx = format!("{kt:?} {suite} {group}");
            let p = provider(&TLS12, &[suite], &client_groups(kt, group));
            let mut cc = (*rustls_client_config(&TLS12, rustls_roots(pki), p, &[])).clone();
            // RFC 7627: rustls must see extended master secret from us.
            cc.require_ems = true;
            let their_log = Arc::new(Lines::default());
            cc.key_log = their_log.clone();
            // Our default server (TLS 1.3 and 1.2), held to `group`: it
            // picks by its own preference. Its random carries the
            // RFC 8446 §4.1.3 sentinel, which a TLS 1.2-only rustls
            // must accept.
            let mut sc = pki.server_config();
            sc.groups = vec![group];
            let our_log = Arc::new(Lines::default());
            sc.key_log = Some(our_log.clone());

            let mut c = rustls_client(Arc::new(cc), "localhost");
            let mut s = our_server(sc);
            handshake(&mut s, &mut c).unwrap_or_else(|e| panic!("{ctx}: {e:?}"));
            check_agreement(&s, &c, ProtocolVersion::TLSv1_2, &ctx);
            assert_eq!(s.negotiated_cipher_suite(), Some(suite), "{ctx}");
            assert_eq!(s.negotiated_group(), Some(group), "{ctx}");
            assert!(s.negotiated_signature_scheme().is_some(), "{ctx}");
            assert_eq!(c.handshake_kind(), Some(HandshakeKind::Full), "{ctx}");
            check_key_logs(&our_log, &their_log, &ctx);
            exchange_data_and_close(&mut s, &mut c, group == NamedGroup::secp256r1);
        }
    }
}

// ---------------------------------------------------------------------------
// Version negotiation

#[test]
fn tls13_capable_peers_get_tls12_from_tls12_only_peers() {
    let pki = TestPki::get(KeyType::EcdsaP256);

    // Our default client (TLS 1.3 and 1.2) against a TLS 1.2-only rustls.
    let sc = rustls_server_config(&TLS12, pki, provider(&TLS12, &[], &[]), &[]);
    let mut c = our_client(pki.client_config(), "localhost");
    let mut s = rustls_server(sc);
    handshake(&mut c, &mut s).unwrap();
    check_agreement(&c, &s, ProtocolVersion::TLSv1_2, "our default client");
    exchange_data_and_close(&mut c, &mut s, true);

    // rustls' default client (TLS 1.3 and 1.2, downgrade check on) against
    // our TLS 1.2-only server, which must not send the sentinel.
    let all = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let cc = rustls::ClientConfig::builder_with_provider(all)
        .with_protocol_versions(rustls::DEFAULT_VERSIONS)
        .unwrap()
        .with_root_certificates(rustls_roots(pki))
        .with_no_client_auth();
    let mut c = rustls_client(Arc::new(cc), "localhost");
    let mut sc = pki.server_config();
    sc.versions = vec![ProtocolVersion::TLSv1_2];
    let mut s = our_server(sc);
    handshake(&mut s, &mut c).unwrap();
    check_agreement(&s, &c, ProtocolVersion::TLSv1_2, "rustls default client");
    exchange_data_and_close(&mut s, &mut c, false);
}
