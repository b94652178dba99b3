//! Interop with rustls 0.23 (its aws-lc-rs provider, which has
//! X25519MLKEM768), in this process over memory buffers: our client with a
//! rustls server and a rustls client with our server, for every TLS 1.3
//! suite × group × key type, HelloRetryRequest both ways, ALPN, SNI,
//! certificate failures, KeyUpdate, data both ways and close_notify.
//! TLS 1.2 is in `interop_rustls_tls12.rs`; the machinery both use is in
//! `common/rustls_peer.rs`.

mod common;

use std::sync::Arc;

use common::rustls_peer::{
    self as peer, drain_theirs, exchange_data_and_close, handshake, handshake_err, our_client,
    our_server, ours_to_theirs, rustls_client, rustls_roots, rustls_server, theirs_error, Failed,
};
use common::*;
use ferrotls::{
    AlertDescription, CertificateError, CipherSuite, Error, NamedGroup, ProtocolVersion,
};
use rustls::crypto::CryptoProvider;
use rustls::HandshakeKind;

const SUITES: [CipherSuite; 3] = [
    CipherSuite::TLS_AES_128_GCM_SHA256,
    CipherSuite::TLS_AES_256_GCM_SHA384,
    CipherSuite::TLS_CHACHA20_POLY1305_SHA256,
];

const GROUPS: [NamedGroup; 4] = [
    NamedGroup::X25519MLKEM768,
    NamedGroup::X25519,
    NamedGroup::secp256r1,
    NamedGroup::secp384r1,
];

// ---------------------------------------------------------------------------
// rustls, TLS 1.3 only

fn provider(suites: &[CipherSuite], groups: &[NamedGroup]) -> Arc<CryptoProvider> {
    peer::provider(&rustls::version::TLS13, suites, groups)
}

fn rustls_client_config(
    roots: rustls::RootCertStore,
    provider: Arc<CryptoProvider>,
    alpn: &[&str],
) -> Arc<rustls::ClientConfig> {
    peer::rustls_client_config(&rustls::version::TLS13, roots, provider, alpn)
}

fn rustls_server_config(
    pki: &TestPki,
    provider: Arc<CryptoProvider>,
    alpn: &[&str],
) -> Arc<rustls::ServerConfig> {
    peer::rustls_server_config(&rustls::version::TLS13, pki, provider, alpn)
}

/// Both sides agree on TLS 1.3, the suite and the group.
fn check_agreement(ours: &ferrotls::ConnectionCommon, theirs: &rustls::Connection, ctx: &str) {
    peer::check_agreement(ours, theirs, ProtocolVersion::TLSv1_3, ctx)
}

// ---------------------------------------------------------------------------
// The matrix

#[test]
fn our_client_to_rustls_server_every_suite_group_and_key_type() {
    for kt in ALL_KEY_TYPES {
        let pki = TestPki::get(kt);
        let sc = rustls_server_config(pki, provider(&[], &GROUPS), &[]);
        for suite in SUITES {
            for group in GROUPS {
                let ctx = format!("{kt:?} {suite} {group}");
                let mut cc = pki.client_config();
                cc.cipher_suites = vec![suite];
                cc.groups = vec![group];
                let mut c = our_client(cc, "localhost");
                let mut s = rustls_server(sc.clone());
                handshake(&mut c, &mut s).unwrap_or_else(|e| panic!("{ctx}: {e:?}"));
                check_agreement(&c, &s, &ctx);
                assert_eq!(c.negotiated_cipher_suite(), Some(suite), "{ctx}");
                assert_eq!(c.negotiated_group(), Some(group), "{ctx}");
                assert_eq!(s.handshake_kind(), Some(HandshakeKind::Full), "{ctx}");
                assert_eq!(c.peer_certificates().map(|p| p.len()), Some(2));
                exchange_data_and_close(&mut c, &mut s, suite != SUITES[1]);
            }
        }
    }
}

#[test]
fn rustls_client_to_our_server_every_suite_group_and_key_type() {
    for kt in ALL_KEY_TYPES {
        let pki = TestPki::get(kt);
        for suite in SUITES {
            for group in GROUPS {
                let ctx = format!("{kt:?} {suite} {group}");
                let cc = rustls_client_config(rustls_roots(pki), provider(&[suite], &[group]), &[]);
                let mut c = rustls_client(cc, "localhost");
                let mut s = our_server(pki.server_config());
                handshake(&mut s, &mut c).unwrap_or_else(|e| panic!("{ctx}: {e:?}"));
                check_agreement(&s, &c, &ctx);
                assert_eq!(s.negotiated_cipher_suite(), Some(suite), "{ctx}");
                assert_eq!(s.negotiated_group(), Some(group), "{ctx}");
                assert_eq!(c.handshake_kind(), Some(HandshakeKind::Full), "{ctx}");
                exchange_data_and_close(&mut s, &mut c, suite == SUITES[1]);
            }
        }
    }
}

#[test]
fn defaults_agree_on_x25519mlkem768_without_retry() {
    let pki = TestPki::get(KeyType::EcdsaP256);
    // Our client, rustls server.
    let mut c = our_client(pki.client_config(), "localhost");
    let mut s = rustls_server(rustls_server_config(pki, provider(&[], &[]), &[]));
    handshake(&mut c, &mut s).unwrap();
    check_agreement(&c, &s, "our client");
    assert_eq!(c.negotiated_group(), Some(NamedGroup::X25519MLKEM768));
    assert_eq!(s.handshake_kind(), Some(HandshakeKind::Full));
    // rustls client, our server.
    let cc = rustls_client_config(rustls_roots(pki), provider(&[], &[]), &[]);
    let mut c = rustls_client(cc, "localhost");
    let mut s = our_server(pki.server_config());
    handshake(&mut s, &mut c).unwrap();
    check_agreement(&s, &c, "rustls client");
    assert_eq!(s.negotiated_group(), Some(NamedGroup::X25519MLKEM768));
    assert_eq!(c.handshake_kind(), Some(HandshakeKind::Full));
}

// ---------------------------------------------------------------------------
// HelloRetryRequest

#[test]
fn our_client_retries_for_rustls_server() {
    // Our default client sends shares for X25519MLKEM768 and x25519 only.
    let pki = TestPki::get(KeyType::EcdsaP256);
    for group in [NamedGroup::secp256r1, NamedGroup::secp384r1] {
        let sc = rustls_server_config(pki, provider(&[], &[group]), &[]);
        let mut c = our_client(pki.client_config(), "localhost");
        let mut s = rustls_server(sc);
        // The first answer is a HelloRetryRequest: we are still
        // handshaking and have a second ClientHello to send.
        ours_to_theirs(&mut c, &mut s).unwrap();
        let first = drain_theirs(&mut s);
        assert!(starts_with_hello_retry_request(&first), "{group}");
        feed(&mut c, &first).unwrap();
        assert!(c.is_handshaking() && c.wants_write());
        handshake(&mut c, &mut s).unwrap();
        check_agreement(&c, &s, &group.to_string());
        assert_eq!(c.negotiated_group(), Some(group));
        assert_eq!(
            s.handshake_kind(),
            Some(HandshakeKind::FullWithHelloRetryRequest)
        );
        exchange_data_and_close(&mut c, &mut s, true);
    }
}

#[test]
fn our_server_retries_for_rustls_client() {
    // rustls' default client sends shares for X25519MLKEM768 and x25519.
    let pki = TestPki::get(KeyType::EcdsaP256);
    for group in [NamedGroup::secp384r1, NamedGroup::secp256r1] {
        let mut sc = pki.server_config();
        sc.groups = vec![group];
        let cc = rustls_client_config(rustls_roots(pki), provider(&[], &[]), &[]);
        let mut c = rustls_client(cc, "localhost");
        let mut s = our_server(sc);
        handshake(&mut s, &mut c).unwrap();
        check_agreement(&s, &c, &group.to_string());
        assert_eq!(s.negotiated_group(), Some(group));
        assert_eq!(
            c.handshake_kind(),
            Some(HandshakeKind::FullWithHelloRetryRequest)
        );
        exchange_data_and_close(&mut s, &mut c, false);
    }
}

// ---------------------------------------------------------------------------
// ALPN

#[test]
fn alpn_with_our_client() {
    let pki = TestPki::get(KeyType::EcdsaP256);
    // rustls picks by its own order among what we offer.
    for (offer, served, want) in [
        (
            &["h2", "http/1.1"][..],
            &["http/1.1", "h2"][..],
            Some("http/1.1"),
        ),
        (&["h2", "http/1.1"][..], &["h2"][..], Some("h2")),
        (&["h2"][..], &[][..], None),
        (&[][..], &["h2"][..], None),
    ] {
        let mut cc = pki.client_config();
        cc.alpn_protocols = offer.iter().map(|p| p.as_bytes().to_vec()).collect();
        let mut c = our_client(cc, "localhost");
        let mut s = rustls_server(rustls_server_config(pki, provider(&[], &[]), served));
        handshake(&mut c, &mut s).unwrap();
        assert_eq!(
            c.alpn_protocol(),
            want.map(str::as_bytes),
            "{offer:?} {served:?}"
        );
        assert_eq!(
            s.alpn_protocol(),
            want.map(str::as_bytes),
            "{offer:?} {served:?}"
        );
    }

    // Nothing in common: rustls refuses with no_application_protocol.
    let mut cc = pki.client_config();
    cc.alpn_protocols = vec![b"spdy/3".to_vec()];
    let mut c = our_client(cc, "localhost");
    let mut s = rustls_server(rustls_server_config(pki, provider(&[], &[]), &["h2"]));
    let failed = handshake_err(&mut c, &mut s);
    assert!(
        matches!(failed, Failed::Theirs(rustls::Error::NoApplicationProtocol)),
        "{failed:?}"
    );
    assert_eq!(
        c.error(),
        Some(&Error::AlertReceived(
            AlertDescription::NoApplicationProtocol
        ))
    );
}

#[test]
fn alpn_with_our_server() {
    let pki = TestPki::get(KeyType::EcdsaP256);
    // We pick our most preferred protocol that the client offers (RFC 7301
    // §3.2).
    for (offer, served, want) in [
        (
            &["h2", "http/1.1"][..],
            &["http/1.1", "h2"][..],
            Some("http/1.1"),
        ),
        (&["http/1.1", "h2"][..], &["h2", "http/1.1"][..], Some("h2")),
        (
            &["spdy/3", "http/1.1"][..],
            &["http/1.1", "h2"][..],
            Some("http/1.1"),
        ),
        (&["h2"][..], &[][..], None),
        (&[][..], &["h2"][..], None),
    ] {
        let cc = rustls_client_config(rustls_roots(pki), provider(&[], &[]), offer);
        let mut c = rustls_client(cc, "localhost");
        let mut sc = pki.server_config();
        sc.alpn_protocols = served.iter().map(|p| p.as_bytes().to_vec()).collect();
        let mut s = our_server(sc);
        handshake(&mut s, &mut c).unwrap();
        assert_eq!(
            s.alpn_protocol(),
            want.map(str::as_bytes),
            "{offer:?} {served:?}"
        );
        assert_eq!(
            c.alpn_protocol(),
            want.map(str::as_bytes),
            "{offer:?} {served:?}"
        );
    }

    // Nothing in common: we send no_application_protocol (RFC 7301 §3.2)
    // and rustls reports it.
    let cc = rustls_client_config(rustls_roots(pki), provider(&[], &[]), &["spdy/3"]);
    let mut c = rustls_client(cc, "localhost");
    let mut sc = pki.server_config();
    sc.alpn_protocols = vec![b"h2".to_vec()];
    let mut s = our_server(sc);
    let failed = handshake_err(&mut s, &mut c);
    assert!(
        matches!(failed, Failed::Ours(Error::NoApplicationProtocol)),
        "{failed:?}"
    );
    assert_eq!(
        theirs_error(&mut c),
        rustls::Error::AlertReceived(rustls::AlertDescription::NoApplicationProtocol)
    );
}

// ---------------------------------------------------------------------------
// SNI, certificate failures, KeyUpdate

#[test]
fn sni_both_ways() {
    let pki = TestPki::get(KeyType::EcdsaP256);
    // Our client sends SNI for DNS names and none for IP addresses.
    for (name, want) in [("localhost", Some("localhost")), ("127.0.0.1", None)] {
        let mut c = our_client(pki.client_config(), name);
        let mut s = rustls_server(rustls_server_config(pki, provider(&[], &[]), &[]));
        handshake(&mut c, &mut s).unwrap();
        let rustls::Connection::Server(s) = &s else {
            unreachable!()
        };
        assert_eq!(s.server_name(), want, "{name}");
    }

    // rustls' SNI picks our certificate.
    let ed = TestPki::get(KeyType::Ed25519);
    let mut resolver = ferrotls::SniResolver::new();
    for (name, p) in [("localhost", pki), ("testserver.example", ed)] {
        let key = ferrotls::CertifiedKey::from_der(p.chain.clone(), &p.key).unwrap();
        resolver.add(name, Arc::new(key)).unwrap();
    }
    let sc = ferrotls::ServerConfig::with_cert_resolver(Arc::new(resolver));
    for (name, p, scheme) in [
        (
            "localhost",
            pki,
            ferrotls::SignatureScheme::ECDSA_NISTP256_SHA256,
        ),
        ("testserver.example", ed, ferrotls::SignatureScheme::ED25519),
    ] {
        let cc = rustls_client_config(rustls_roots(p), provider(&[], &[]), &[]);
        let mut c = rustls_client(cc, name);
        let mut s = our_server(sc.clone());
        handshake(&mut s, &mut c).unwrap();
        assert_eq!(s.server_name().map(|n| n.as_ref()), Some(name));
        assert_eq!(s.negotiated_signature_scheme(), Some(scheme));
    }
}

#[test]
fn certificate_failures_both_ways() {
    let pki = TestPki::get(KeyType::EcdsaP256);
    let stranger = TestPki::new(KeyType::EcdsaP256);

    // Our client: wrong name → bad_certificate; unknown CA → unknown_ca.
    for (cc, name, want, alert) in [
        (
            pki.client_config(),
            "wrong.example",
            Error::InvalidCertificate(CertificateError::NotValidForName {
                expected: "wrong.example".into(),
            }),
            rustls::AlertDescription::BadCertificate,
        ),
        (
            stranger.client_config(),
            "localhost",
            Error::InvalidCertificate(CertificateError::UnknownIssuer),
            rustls::AlertDescription::UnknownCA,
        ),
    ] {
        let mut c = our_client(cc, name);
        let mut s = rustls_server(rustls_server_config(pki, provider(&[], &[]), &[]));
        let failed = handshake_err(&mut c, &mut s);
        assert!(
            matches!(&failed, Failed::Ours(e) if *e == want),
            "{failed:?}"
        );
        assert_eq!(theirs_error(&mut s), rustls::Error::AlertReceived(alert));
    }

    // rustls client: the same two failures against our server.
    for (roots, name, alert) in [
        (
            rustls_roots(pki),
            "wrong.example",
            AlertDescription::BadCertificate,
        ),
        (
            rustls_roots(&stranger),
            "localhost",
            AlertDescription::UnknownCa,
        ),
    ] {
        let cc = rustls_client_config(roots, provider(&[], &[]), &[]);
        let mut c = rustls_client(cc, name);
        let mut s = our_server(pki.server_config());
        let failed = handshake_err(&mut s, &mut c);
        assert!(
            matches!(failed, Failed::Theirs(rustls::Error::InvalidCertificate(_))),
            "{failed:?}"
        );
        assert_eq!(s.error(), Some(&Error::AlertReceived(alert)));
    }
}

#[test]
fn key_update_from_rustls() {
    let pki = TestPki::get(KeyType::EcdsaP256);
    // rustls server updates its keys; our client follows.
    let mut c = our_client(pki.client_config(), "localhost");
    let mut s = rustls_server(rustls_server_config(pki, provider(&[], &[]), &[]));
    handshake(&mut c, &mut s).unwrap();
    s.refresh_traffic_keys().unwrap();
    exchange_data_and_close(&mut c, &mut s, true);

    // rustls client updates its keys; our server follows.
    let cc = rustls_client_config(rustls_roots(pki), provider(&[], &[]), &[]);
    let mut c = rustls_client(cc, "localhost");
    let mut s = our_server(pki.server_config());
    handshake(&mut s, &mut c).unwrap();
    c.refresh_traffic_keys().unwrap();
    exchange_data_and_close(&mut s, &mut c, false);
}

#[test]
fn key_update_from_us() {
    let pki = TestPki::get(KeyType::EcdsaP256);
    // Our client updates and asks rustls to follow (RFC 8446 §4.6.3).
    let mut c = our_client(pki.client_config(), "localhost");
    let mut s = rustls_server(rustls_server_config(pki, provider(&[], &[]), &[]));
    handshake(&mut c, &mut s).unwrap();
    c.send_key_update(true).unwrap();
    exchange_data_and_close(&mut c, &mut s, true);

    // Our server updates without asking.
    let cc = rustls_client_config(rustls_roots(pki), provider(&[], &[]), &[]);
    let mut c = rustls_client(cc, "localhost");
    let mut s = our_server(pki.server_config());
    handshake(&mut s, &mut c).unwrap();
    s.send_key_update(false).unwrap();
    exchange_data_and_close(&mut s, &mut c, false);
}
