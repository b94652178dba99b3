//! Interop with rustls 0.23 (its aws-lc-rs provider, which has
//! X25519MLKEM768), in this process over memory buffers: our client with a
//! rustls server and a rustls client with our server, for every TLS 1.3
//! suite × group × key type, HelloRetryRequest both ways, ALPN, SNI,
//! certificate failures, KeyUpdate, data both ways and close_notify.

mod common;

use std::io::{self, Read, Write};
use std::sync::Arc;

use common::*;
use ferrotls::{
    AlertDescription, CertificateError, CipherSuite, ClientConnection, ConnectionCommon, Error,
    NamedGroup, ProtocolVersion, ServerConnection,
};
use rustls::crypto::{aws_lc_rs, CryptoProvider};
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
// rustls configuration

/// The aws-lc-rs provider, TLS 1.3 suites only, narrowed to `suites` and
/// `groups` (in that order of preference) where those are not empty.
fn provider(suites: &[CipherSuite], groups: &[NamedGroup]) -> Arc<CryptoProvider> {
    let mut p = aws_lc_rs::default_provider();
    p.cipher_suites = aws_lc_rs::ALL_CIPHER_SUITES
        .iter()
        .copied()
        .filter(|s| s.tls13().is_some())
        .filter(|s| suites.is_empty() || suites.iter().any(|o| o.to_wire() == wire_suite(s)))
        .collect();
    if !groups.is_empty() {
        p.kx_groups = groups
            .iter()
            .map(|g| {
                *aws_lc_rs::ALL_KX_GROUPS
                    .iter()
                    .find(|k| u16::from(k.name()) == g.to_wire())
                    .unwrap_or_else(|| panic!("rustls has no {g}"))
            })
            .collect();
    }
    Arc::new(p)
}

fn wire_suite(s: &rustls::SupportedCipherSuite) -> u16 {
    u16::from(s.suite())
}

fn rustls_roots(pki: &TestPki) -> rustls::RootCertStore {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(pki.ca_cert.clone()).unwrap();
    roots
}

fn rustls_client_config(
    roots: rustls::RootCertStore,
    provider: Arc<CryptoProvider>,
    alpn: &[&str],
) -> Arc<rustls::ClientConfig> {
    let mut c = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    c.alpn_protocols = alpn.iter().map(|p| p.as_bytes().to_vec()).collect();
    Arc::new(c)
}

fn rustls_server_config(
    pki: &TestPki,
    provider: Arc<CryptoProvider>,
    alpn: &[&str],
) -> Arc<rustls::ServerConfig> {
    let mut c = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(pki.chain.clone(), pki.key.clone_key())
        .unwrap();
    c.alpn_protocols = alpn.iter().map(|p| p.as_bytes().to_vec()).collect();
    Arc::new(c)
}

fn rustls_client(config: Arc<rustls::ClientConfig>, name: &str) -> rustls::Connection {
    let name = rustls::pki_types::ServerName::try_from(name.to_string()).unwrap();
    rustls::Connection::Client(rustls::ClientConnection::new(config, name).unwrap())
}

fn rustls_server(config: Arc<rustls::ServerConfig>) -> rustls::Connection {
    rustls::Connection::Server(rustls::ServerConnection::new(config).unwrap())
}

fn our_client(config: ferrotls::ClientConfig, name: &str) -> ClientConnection {
    ClientConnection::new(Arc::new(config), server_name(name)).unwrap()
}

fn our_server(config: ferrotls::ServerConfig) -> ServerConnection {
    ServerConnection::new(Arc::new(config)).unwrap()
}

// ---------------------------------------------------------------------------
// Moving bytes between the two

/// Which side's `process_new_packets` failed.
#[derive(Debug)]
enum Failed {
    Ours(Error),
    Theirs(rustls::Error),
}

fn drain_ours(ours: &mut ConnectionCommon) -> Vec<u8> {
    let mut buf = Vec::new();
    while ours.wants_write() {
        ours.write_tls(&mut buf).unwrap();
    }
    buf
}

fn drain_theirs(theirs: &mut rustls::Connection) -> Vec<u8> {
    let mut buf = Vec::new();
    while theirs.wants_write() {
        theirs.write_tls(&mut buf).unwrap();
    }
    buf
}

/// Plaintext that has arrived, without waiting for more.
fn read_available(rd: &mut dyn Read, into: &mut Vec<u8>) -> io::Result<()> {
    let mut buf = [0u8; 16384];
    loop {
        match rd.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => into.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
            Err(e) => return Err(e),
        }
    }
}

/// Sends what we queued to rustls; returns the plaintext rustls received
/// (read as it arrives, so neither side's buffer limit is hit).
fn ours_to_theirs(
    ours: &mut ConnectionCommon,
    theirs: &mut rustls::Connection,
) -> Result<Vec<u8>, rustls::Error> {
    let tls = drain_ours(ours);
    let mut rd = &tls[..];
    let mut plain = Vec::new();
    while !rd.is_empty() {
        theirs.read_tls(&mut rd).unwrap();
        theirs.process_new_packets()?;
        read_available(&mut theirs.reader(), &mut plain).unwrap();
    }
    Ok(plain)
}

/// Sends what rustls queued to us; returns the plaintext we received.
fn theirs_to_ours(
    theirs: &mut rustls::Connection,
    ours: &mut ConnectionCommon,
) -> Result<Vec<u8>, Error> {
    let tls = drain_theirs(theirs);
    let mut rd = &tls[..];
    let mut plain = Vec::new();
    while !rd.is_empty() {
        ours.read_tls(&mut rd).unwrap();
        ours.process_new_packets()?;
        read_available(&mut ours.reader(), &mut plain).unwrap();
    }
    Ok(plain)
}

/// One flight each way, starting with whoever has something to send.
fn round_trip(ours: &mut ConnectionCommon, theirs: &mut rustls::Connection) -> Result<(), Failed> {
    ours_to_theirs(ours, theirs).map_err(Failed::Theirs)?;
    theirs_to_ours(theirs, ours).map_err(Failed::Ours)?;
    Ok(())
}

/// Runs the handshake to completion (tickets and all).
fn handshake(ours: &mut ConnectionCommon, theirs: &mut rustls::Connection) -> Result<(), Failed> {
    for _ in 0..10 {
        if !ours.is_handshaking()
            && !theirs.is_handshaking()
            && !ours.wants_write()
            && !theirs.wants_write()
        {
            return Ok(());
        }
        round_trip(ours, theirs)?;
    }
    panic!("handshake did not finish");
}

/// A handshake that must fail; the failing side's alert is then
/// delivered, so both sides' errors can be checked.
fn handshake_err(ours: &mut ConnectionCommon, theirs: &mut rustls::Connection) -> Failed {
    let failed = handshake(ours, theirs).expect_err("handshake should fail");
    let _ = ours_to_theirs(ours, theirs);
    let _ = theirs_to_ours(theirs, ours);
    failed
}

fn theirs_error(theirs: &mut rustls::Connection) -> rustls::Error {
    theirs
        .process_new_packets()
        .expect_err("rustls should have failed")
}

/// Application data both ways (big enough to need several records), then
/// close_notify both ways: each side reads a clean end of stream.
fn exchange_data_and_close(
    ours: &mut ConnectionCommon,
    theirs: &mut rustls::Connection,
    we_close_first: bool,
) {
    let up: Vec<u8> = (0..40_000u32).map(|i| (i % 251) as u8).collect();
    ours.writer().write_all(&up).unwrap();
    assert!(
        ours_to_theirs(ours, theirs).unwrap() == up,
        "data to rustls"
    );

    let down: Vec<u8> = (0..50_000u32).map(|i| (i % 241) as u8).collect();
    theirs.writer().write_all(&down).unwrap();
    assert!(
        theirs_to_ours(theirs, ours).unwrap() == down,
        "data from rustls"
    );

    let mut buf = [0u8; 8];
    if we_close_first {
        ours.send_close_notify();
        ours_to_theirs(ours, theirs).unwrap();
        assert_eq!(theirs.reader().read(&mut buf).unwrap(), 0);
        theirs.send_close_notify();
        theirs_to_ours(theirs, ours).unwrap();
        assert_eq!(ours.reader().read(&mut buf).unwrap(), 0);
    } else {
        theirs.send_close_notify();
        let io = theirs_to_ours(theirs, ours).unwrap();
        assert!(io.is_empty());
        assert_eq!(ours.reader().read(&mut buf).unwrap(), 0);
        ours.send_close_notify();
        ours_to_theirs(ours, theirs).unwrap();
        assert_eq!(theirs.reader().read(&mut buf).unwrap(), 0);
    }
    assert!(ours.error().is_none());
}

/// Both sides agree on version, suite and group.
fn check_agreement(ours: &ConnectionCommon, theirs: &rustls::Connection, ctx: &str) {
    assert_eq!(
        ours.protocol_version(),
        Some(ProtocolVersion::TLSv1_3),
        "{ctx}"
    );
    assert_eq!(
        theirs.protocol_version(),
        Some(rustls::ProtocolVersion::TLSv1_3),
        "{ctx}"
    );
    let suite = ours.negotiated_cipher_suite().unwrap();
    assert_eq!(
        wire_suite(&theirs.negotiated_cipher_suite().unwrap()),
        suite.to_wire(),
        "{ctx}"
    );
    let group = ours.negotiated_group().unwrap();
    assert_eq!(
        u16::from(theirs.negotiated_key_exchange_group().unwrap().name()),
        group.to_wire(),
        "{ctx}"
    );
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
    // We pick the client's first protocol that we speak.
    for (offer, served, want) in [
        (&["h2", "http/1.1"][..], &["http/1.1", "h2"][..], Some("h2")),
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
