//! In-memory client↔server tests through the public API.

mod common;

use std::io::{BufRead, ErrorKind, Read, Write};
use std::sync::Arc;

use common::*;
use ferrotls::{
    AlertDescription, CertificateError, CipherSuite, ClientConnection, Error, NamedGroup,
    PeerIncompatible, ProtocolVersion, ServerConnection, SignatureScheme,
};

fn pair(
    client: ferrotls::ClientConfig,
    server: ferrotls::ServerConfig,
    name: &str,
) -> (ClientConnection, ServerConnection) {
    let c = ClientConnection::new(Arc::new(client), server_name(name)).unwrap();
    let s = ServerConnection::new(Arc::new(server)).unwrap();
    (c, s)
}

fn exchange_data(client: &mut ClientConnection, server: &mut ServerConnection) {
    client.writer().write_all(b"hello from client").unwrap();
    transfer(client, server).unwrap();
    let mut buf = [0u8; 64];
    let n = server.reader().read(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"hello from client");
    server.writer().write_all(b"hello from server").unwrap();
    transfer(server, client).unwrap();
    let n = client.reader().read(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"hello from server");
}

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

#[test]
fn every_suite_group_and_key_type() {
    for kt in ALL_KEY_TYPES {
        let pki = TestPki::get(kt);
        for suite in SUITES {
            for group in GROUPS {
                let mut cc = pki.client_config();
                cc.cipher_suites = vec![suite];
                cc.groups = vec![group];
                let (mut c, mut s) = pair(cc, pki.server_config(), "localhost");
                handshake(&mut c, &mut s).unwrap_or_else(|e| panic!("{kt:?} {suite} {group}: {e}"));
                assert_eq!(c.protocol_version(), Some(ProtocolVersion::TLSv1_3));
                assert_eq!(c.negotiated_cipher_suite(), Some(suite));
                assert_eq!(s.negotiated_cipher_suite(), Some(suite));
                assert_eq!(c.negotiated_group(), Some(group));
                assert_eq!(s.negotiated_group(), Some(group));
                assert_eq!(c.peer_certificates().map(|c| c.len()), Some(2));
                exchange_data(&mut c, &mut s);
            }
        }
    }
}

#[test]
fn every_signature_scheme() {
    let cases = [
        (KeyType::EcdsaP256, SignatureScheme::ECDSA_NISTP256_SHA256),
        (KeyType::EcdsaP384, SignatureScheme::ECDSA_NISTP384_SHA384),
        (KeyType::Ed25519, SignatureScheme::ED25519),
        (KeyType::Rsa2048, SignatureScheme::RSA_PSS_RSAE_SHA256),
        (KeyType::Rsa2048, SignatureScheme::RSA_PSS_RSAE_SHA384),
        (KeyType::Rsa2048, SignatureScheme::RSA_PSS_RSAE_SHA512),
    ];
    for (kt, scheme) in cases {
        let pki = TestPki::get(kt);
        // The client offers only `scheme`.
        let verifier = Arc::new(OnlyScheme(scheme, pki.roots()));
        let mut cc = ferrotls::ClientConfig::with_verifier(verifier);
        cc.groups = vec![NamedGroup::X25519];
        let (mut c, mut s) = pair(cc, pki.server_config(), "localhost");
        handshake(&mut c, &mut s).unwrap();
        assert_eq!(s.negotiated_signature_scheme(), Some(scheme));
        assert_eq!(c.negotiated_signature_scheme(), Some(scheme));
    }
}

#[derive(Debug)]
struct OnlyScheme(SignatureScheme, ferrotls::RootCertStore);

impl ferrotls::ServerCertVerifier for OnlyScheme {
    fn verify_server_cert(
        &self,
        ee: &ferrotls::pki_types::CertificateDer<'_>,
        im: &[ferrotls::pki_types::CertificateDer<'_>],
        name: &ferrotls::pki_types::ServerName<'_>,
        now: ferrotls::pki_types::UnixTime,
    ) -> Result<(), Error> {
        ferrotls::WebPkiServerVerifier::new(self.1.clone()).verify_server_cert(ee, im, name, now)
    }

    fn supported_schemes(&self) -> Vec<SignatureScheme> {
        vec![self.0]
    }
}

#[test]
fn default_client_sends_hybrid_and_x25519_shares() {
    let pki = TestPki::get(KeyType::EcdsaP256);
    let (mut c, mut s) = pair(pki.client_config(), pki.server_config(), "localhost");
    handshake(&mut c, &mut s).unwrap();
    assert_eq!(c.negotiated_group(), Some(NamedGroup::X25519MLKEM768));
    // A server without ML-KEM picks x25519 from the same ClientHello: no HRR,
    // so exactly one round trip of server data.
    let mut sc = pki.server_config();
    sc.groups = vec![NamedGroup::X25519, NamedGroup::secp256r1];
    let (mut c, mut s) = pair(pki.client_config(), sc, "localhost");
    transfer(&mut c, &mut s).unwrap();
    transfer(&mut s, &mut c).unwrap();
    assert!(!c.is_handshaking());
    assert_eq!(c.negotiated_group(), Some(NamedGroup::X25519));
}

#[test]
fn hello_retry_request_for_a_group_without_a_share() {
    let pki = TestPki::get(KeyType::EcdsaP256);
    for group in [NamedGroup::secp256r1, NamedGroup::secp384r1] {
        let mut sc = pki.server_config();
        sc.groups = vec![group];
        let (mut c, mut s) = pair(pki.client_config(), sc, "localhost");
        transfer(&mut c, &mut s).unwrap();
        transfer(&mut s, &mut c).unwrap();
        assert!(c.is_handshaking(), "first flight was a HelloRetryRequest");
        handshake(&mut c, &mut s).unwrap();
        assert_eq!(c.negotiated_group(), Some(group));
        exchange_data(&mut c, &mut s);
    }
}

#[test]
fn no_common_group_or_suite_is_handshake_failure() {
    let pki = TestPki::get(KeyType::EcdsaP256);
    let mut cc = pki.client_config();
    cc.groups = vec![NamedGroup::X25519];
    let mut sc = pki.server_config();
    sc.groups = vec![NamedGroup::secp384r1];
    let (mut c, mut s) = pair(cc, sc, "localhost");
    let err = handshake_err(&mut c, &mut s);
    assert_eq!(
        err,
        Error::PeerIncompatible(PeerIncompatible::NoCommonGroup)
    );
    assert_eq!(
        c.error(),
        Some(&Error::AlertReceived(AlertDescription::HandshakeFailure))
    );

    let mut cc = pki.client_config();
    cc.cipher_suites = vec![CipherSuite::TLS_AES_128_GCM_SHA256];
    let mut sc = pki.server_config();
    sc.cipher_suites = vec![CipherSuite::TLS_CHACHA20_POLY1305_SHA256];
    let (mut c, mut s) = pair(cc, sc, "localhost");
    let err = handshake_err(&mut c, &mut s);
    assert_eq!(
        err,
        Error::PeerIncompatible(PeerIncompatible::NoCommonCipherSuite)
    );
}

#[test]
fn alpn_picks_the_servers_most_preferred_protocol_the_client_offers() {
    // RFC 7301 §3.2: the server's preference decides, among what the
    // client offers (in whatever order).
    let pki = TestPki::get(KeyType::EcdsaP256);
    for (offer, served, want) in [
        (["h2", "http/1.1"], ["http/1.1", "h2"], "http/1.1"),
        (["http/1.1", "h2"], ["h2", "http/1.1"], "h2"),
        (["spdy/3", "h2"], ["http/1.1", "h2"], "h2"),
    ] {
        let mut cc = pki.client_config();
        cc.alpn_protocols = offer.iter().map(|p| p.as_bytes().to_vec()).collect();
        let mut sc = pki.server_config();
        sc.alpn_protocols = served.iter().map(|p| p.as_bytes().to_vec()).collect();
        let (mut c, mut s) = pair(cc, sc, "localhost");
        handshake(&mut c, &mut s).unwrap();
        assert_eq!(
            c.alpn_protocol(),
            Some(want.as_bytes()),
            "{offer:?} {served:?}"
        );
        assert_eq!(
            s.alpn_protocol(),
            Some(want.as_bytes()),
            "{offer:?} {served:?}"
        );
    }

    let mut cc = pki.client_config();
    cc.alpn_protocols = vec![b"spdy".to_vec()];
    let mut sc = pki.server_config();
    sc.alpn_protocols = vec![b"h2".to_vec()];
    let (mut c, mut s) = pair(cc, sc, "localhost");
    assert_eq!(handshake_err(&mut c, &mut s), Error::NoApplicationProtocol);
    assert_eq!(
        c.error(),
        Some(&Error::AlertReceived(
            AlertDescription::NoApplicationProtocol
        ))
    );
}

#[test]
fn wrong_name_and_unknown_issuer_fail_clearly() {
    let pki = TestPki::get(KeyType::EcdsaP256);
    let (mut c, mut s) = pair(pki.client_config(), pki.server_config(), "foo.example");
    let err = handshake_err(&mut c, &mut s);
    assert_eq!(
        err.to_string(),
        "invalid peer certificate: certificate is not valid for name 'foo.example'"
    );
    assert_eq!(
        s.error(),
        Some(&Error::AlertReceived(AlertDescription::BadCertificate))
    );

    let other = TestPki::new(KeyType::EcdsaP256);
    let (mut c, mut s) = pair(other.client_config(), pki.server_config(), "localhost");
    let err = handshake_err(&mut c, &mut s);
    assert_eq!(
        err,
        Error::InvalidCertificate(CertificateError::UnknownIssuer)
    );
    assert_eq!(
        s.error(),
        Some(&Error::AlertReceived(AlertDescription::UnknownCa))
    );
}

#[test]
fn ip_address_names_are_verified_without_sni() {
    let pki = TestPki::get(KeyType::EcdsaP256);
    for name in ["127.0.0.1", "::1"] {
        let (mut c, mut s) = pair(pki.client_config(), pki.server_config(), name);
        handshake(&mut c, &mut s).unwrap();
        assert_eq!(s.server_name(), None);
    }
    let (mut c, mut s) = pair(
        pki.client_config(),
        pki.server_config(),
        "testserver.example",
    );
    handshake(&mut c, &mut s).unwrap();
    assert_eq!(
        s.server_name().map(|n| n.as_ref()),
        Some("testserver.example")
    );
}

#[test]
fn sni_resolver_picks_certificate_by_name() {
    let a = TestPki::get(KeyType::EcdsaP256);
    let b = TestPki::get(KeyType::Ed25519);
    let mut resolver = ferrotls::SniResolver::new();
    resolver
        .add(
            "localhost",
            Arc::new(ferrotls::CertifiedKey::from_der(a.chain.clone(), &a.key).unwrap()),
        )
        .unwrap();
    resolver
        .add(
            "testserver.example",
            Arc::new(ferrotls::CertifiedKey::from_der(b.chain.clone(), &b.key).unwrap()),
        )
        .unwrap();
    let sc = Arc::new(ferrotls::ServerConfig::with_cert_resolver(Arc::new(
        resolver,
    )));
    for (name, pki, scheme) in [
        ("localhost", a, SignatureScheme::ECDSA_NISTP256_SHA256),
        ("testserver.example", b, SignatureScheme::ED25519),
    ] {
        let mut c =
            ClientConnection::new(Arc::new(pki.client_config()), server_name(name)).unwrap();
        let mut s = ServerConnection::new(sc.clone()).unwrap();
        handshake(&mut c, &mut s).unwrap();
        assert_eq!(c.negotiated_signature_scheme(), Some(scheme));
    }
    // No certificate for the name → unrecognized_name.
    let mut c =
        ClientConnection::new(Arc::new(a.client_config()), server_name("127.0.0.1")).unwrap();
    let mut s = ServerConnection::new(sc).unwrap();
    assert_eq!(
        handshake_err(&mut c, &mut s),
        Error::PeerIncompatible(PeerIncompatible::NoCertificateForName)
    );
    assert_eq!(
        c.error(),
        Some(&Error::AlertReceived(AlertDescription::UnrecognizedName))
    );
}

#[test]
fn one_byte_at_a_time() {
    let pki = TestPki::get(KeyType::EcdsaP256);
    let (mut c, mut s) = pair(pki.client_config(), pki.server_config(), "localhost");
    for _ in 0..10 {
        for (from, to) in [(
            &mut *c as &mut ferrotls::ConnectionCommon,
            &mut *s as &mut ferrotls::ConnectionCommon,
        )] {
            let mut buf = Vec::new();
            while from.wants_write() {
                from.write_tls(&mut buf).unwrap();
            }
            for b in buf {
                assert_eq!(to.read_tls(&mut &[b][..]).unwrap(), 1);
                to.process_new_packets().unwrap();
            }
        }
        let mut buf = Vec::new();
        while s.wants_write() {
            s.write_tls(&mut buf).unwrap();
        }
        for b in buf {
            c.read_tls(&mut &[b][..]).unwrap();
            c.process_new_packets().unwrap();
        }
    }
    assert!(!c.is_handshaking() && !s.is_handshaking());
    exchange_data(&mut c, &mut s);
}

#[test]
fn large_writes_are_fragmented_and_reassembled() {
    let pki = TestPki::get(KeyType::EcdsaP256);
    let (mut c, mut s) = pair(pki.client_config(), pki.server_config(), "localhost");
    handshake(&mut c, &mut s).unwrap();
    let data: Vec<u8> = (0..60_000u32).map(|i| i as u8).collect();
    assert_eq!(c.writer().write(&data).unwrap(), data.len());
    let mut wire = Vec::new();
    while c.wants_write() {
        c.write_tls(&mut wire).unwrap();
    }
    // 4 records: 3 of 2^14 and one remainder, each with 22 bytes overhead.
    assert_eq!(wire.len(), data.len() + 4 * (5 + 1 + 16));
    feed(&mut s, &wire).unwrap();
    let mut got = Vec::new();
    s.reader().read_to_end(&mut got).unwrap_err();
    assert_eq!(got, data);
}

#[test]
fn data_written_before_the_handshake_is_sent_after_it() {
    let pki = TestPki::get(KeyType::EcdsaP256);
    let (mut c, mut s) = pair(pki.client_config(), pki.server_config(), "localhost");
    c.writer().write_all(b"early").unwrap();
    handshake(&mut c, &mut s).unwrap();
    transfer(&mut c, &mut s).unwrap();
    let mut buf = [0u8; 16];
    let n = s.reader().read(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"early");
}

#[test]
fn close_notify_is_eof_and_truncation_is_an_error() {
    let pki = TestPki::get(KeyType::EcdsaP256);
    let (mut c, mut s) = pair(pki.client_config(), pki.server_config(), "localhost");
    handshake(&mut c, &mut s).unwrap();
    c.writer().write_all(b"bye").unwrap();
    c.send_close_notify();
    transfer(&mut c, &mut s).unwrap();
    let mut buf = [0u8; 8];
    assert_eq!(s.reader().read(&mut buf).unwrap(), 3);
    assert_eq!(s.reader().read(&mut buf).unwrap(), 0);
    // RFC 8446 §6.1: what comes after close_notify is not even read (it
    // used to fill the receive buffer, then fail as "buffer full").
    let after = vec![23u8; 100_000];
    for _ in 0..3 {
        assert_eq!(s.read_tls(&mut &after[..]).unwrap(), 0);
    }
    assert!(c.writer().write(b"more").is_err());
    s.send_close_notify();
    transfer(&mut s, &mut c).unwrap();
    assert_eq!(c.reader().read(&mut buf).unwrap(), 0);

    // Truncation: the transport ends without close_notify.
    let (mut c, mut s) = pair(pki.client_config(), pki.server_config(), "localhost");
    handshake(&mut c, &mut s).unwrap();
    assert_eq!(s.read_tls(&mut &b""[..]).unwrap(), 0);
    let err = s.reader().read(&mut buf).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnexpectedEof);
    let err = s.reader().fill_buf().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnexpectedEof);
    // Nothing yet, transport open: WouldBlock.
    assert_eq!(
        c.reader().read(&mut buf).unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
}

#[test]
fn buf_read_gives_each_record_where_it_lies_and_ends_as_read_does() {
    let pki = TestPki::get(KeyType::EcdsaP256);
    let (mut c, mut s) = pair(pki.client_config(), pki.server_config(), "localhost");
    handshake(&mut c, &mut s).unwrap();
    for record in [&b"alpha\nbe"[..], b"ta\ngamma\n", b"del", b"ta\n"] {
        c.writer().write_all(record).unwrap();
    }
    transfer(&mut c, &mut s).unwrap();
    // One record's plaintext at a time, the same bytes until consumed.
    assert_eq!(s.reader().fill_buf().unwrap(), b"alpha\nbe");
    assert_eq!(s.reader().fill_buf().unwrap(), b"alpha\nbe");
    s.reader().consume(3);
    assert_eq!(s.reader().fill_buf().unwrap(), b"ha\nbe");
    // Consuming more than fill_buf gave stops at the record's end.
    s.reader().consume(100);
    assert_eq!(s.reader().fill_buf().unwrap(), b"ta\ngamma\n");
    // std's line reading, within a record and across two.
    let mut lines = Vec::new();
    let mut reader = s.reader();
    for _ in 0..3 {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        lines.push(line);
    }
    assert_eq!(lines, ["ta\n", "gamma\n", "delta\n"]);
    assert_eq!(
        s.reader().fill_buf().unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
    // read() and fill_buf() share one queue.
    c.writer().write_all(b"omega").unwrap();
    c.send_close_notify();
    transfer(&mut c, &mut s).unwrap();
    let mut buf = [0u8; 2];
    assert_eq!(s.reader().read(&mut buf).unwrap(), 2);
    assert_eq!(s.reader().fill_buf().unwrap(), b"ega");
    s.reader().consume(3);
    // close_notify: the end of the data, an empty slice (truncation is in
    // close_notify_is_eof_and_truncation_is_an_error).
    assert_eq!(s.reader().fill_buf().unwrap(), b"");
}

#[test]
fn tampered_records_are_bad_record_mac() {
    let pki = TestPki::get(KeyType::EcdsaP256);
    let (mut c, mut s) = pair(pki.client_config(), pki.server_config(), "localhost");
    handshake(&mut c, &mut s).unwrap();
    c.writer().write_all(b"secret").unwrap();
    let mut wire = Vec::new();
    c.write_tls(&mut wire).unwrap();
    let last = wire.len() - 1;
    wire[last] ^= 1;
    assert_eq!(feed(&mut s, &wire), Err(Error::DecryptError));
    transfer(&mut s, &mut c).unwrap_err();
    assert_eq!(
        c.error(),
        Some(&Error::AlertReceived(AlertDescription::BadRecordMac))
    );
}

#[test]
fn streams_over_real_sockets() {
    let pki = TestPki::get(KeyType::EcdsaP256);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let sc = Arc::new(pki.server_config());
    let server = std::thread::spawn(move || {
        let (sock, _) = listener.accept().unwrap();
        let conn = ServerConnection::new(sc).unwrap();
        let mut stream = ferrotls::StreamOwned::new(conn, sock);
        let mut got = Vec::new();
        stream.read_to_end(&mut got).unwrap();
        stream.write_all(&got).unwrap();
        stream.close().unwrap();
        got.len()
    });
    let sock = std::net::TcpStream::connect(addr).unwrap();
    let conn =
        ClientConnection::new(Arc::new(pki.client_config()), server_name("localhost")).unwrap();
    let mut stream = ferrotls::StreamOwned::new(conn, sock);
    let data = vec![0x5a; 100_000];
    stream.write_all(&data).unwrap();
    stream.close().unwrap();
    let mut back = Vec::new();
    stream.read_to_end(&mut back).unwrap();
    assert_eq!(back, data);
    assert_eq!(server.join().unwrap(), data.len());
}

#[test]
fn forced_key_updates_keep_data_flowing() {
    #[derive(Debug, Default)]
    struct Labels(std::sync::Mutex<Vec<String>>);
    impl ferrotls::observe::KeyLog for Labels {
        fn log(&self, label: &str, _: &[u8], _: &[u8]) {
            self.0.lock().unwrap().push(label.to_string());
        }
    }
    let pki = TestPki::get(KeyType::EcdsaP256);
    let labels = Arc::new(Labels::default());
    let mut cc = pki.client_config();
    cc.key_update_after_records = Some(1);
    cc.key_log = Some(labels.clone());
    let mut sc = pki.server_config();
    sc.key_update_after_records = Some(2);
    // No tickets: they would be records under the server's first key too.
    sc.ticket_count = 0;
    let (mut c, mut s) = pair(cc, sc, "localhost");
    handshake(&mut c, &mut s).unwrap();
    // Four records each way (3.5 × 2^14 bytes): the client rotates after
    // every record, the server after every two.
    let data: Vec<u8> = (0..7 * 8192u32).map(|i| (i % 251) as u8).collect();
    c.writer().write_all(&data).unwrap();
    s.writer().write_all(&data).unwrap();
    transfer(&mut c, &mut s).unwrap();
    transfer(&mut s, &mut c).unwrap();
    let (mut at_server, mut at_client) = (Vec::new(), Vec::new());
    let _ = s.reader().read_to_end(&mut at_server);
    let _ = c.reader().read_to_end(&mut at_client);
    assert_eq!(at_server, data);
    assert_eq!(at_client, data);
    let labels = labels.0.lock().unwrap();
    // 3 client updates (after records 1, 2, 3); 1 server update (after record 2).
    assert!(
        labels.contains(&"CLIENT_TRAFFIC_SECRET_3".to_string()),
        "{labels:?}"
    );
    assert!(
        !labels.contains(&"CLIENT_TRAFFIC_SECRET_4".to_string()),
        "{labels:?}"
    );
    assert!(
        labels.contains(&"SERVER_TRAFFIC_SECRET_1".to_string()),
        "{labels:?}"
    );
    assert!(
        !labels.contains(&"SERVER_TRAFFIC_SECRET_2".to_string()),
        "{labels:?}"
    );
}

#[test]
fn idle_connections_are_closed_with_close_notify() {
    let pki = TestPki::get(KeyType::EcdsaP256);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let sc = Arc::new(pki.server_config());
    let server = std::thread::spawn(move || {
        let (sock, _) = listener.accept().unwrap();
        let mut stream = ferrotls::StreamOwned::new(ServerConnection::new(sc).unwrap(), sock);
        stream
            .set_idle_timeout(Some(std::time::Duration::from_millis(200)))
            .unwrap();
        let mut buf = [0u8; 16];
        let n = stream.read(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"ping");
        // Now the client goes quiet (fill_buf waits as read does).
        stream.fill_buf().map(|b| b.len()).unwrap_err()
    });
    let sock = std::net::TcpStream::connect(addr).unwrap();
    sock.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let conn =
        ClientConnection::new(Arc::new(pki.client_config()), server_name("localhost")).unwrap();
    let mut stream = ferrotls::StreamOwned::new(conn, sock);
    stream.write_all(b"ping").unwrap();
    let err = server.join().unwrap();
    assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
    assert!(
        err.to_string()
            .contains("idle for 0.2s: closed with close_notify"),
        "{err}"
    );
    // The client sees a clean close, not a truncation.
    let mut rest = Vec::new();
    assert_eq!(stream.read_to_end(&mut rest).unwrap(), 0);
}

/// A HelloRetryRequest cookie too large to echo inside the second
/// ClientHello's extensions (whose total length is 16 bits) is refused
/// with an error, not a panic.
#[test]
fn an_oversized_retry_cookie_is_refused() {
    use ferrotls::msgs::enums::{CipherSuite as CS, NamedGroup as NG};
    use ferrotls::msgs::extensions::ServerExtensions;
    use ferrotls::msgs::handshake::{HandshakeMessage, HandshakePayload, ServerHello, HRR_RANDOM};
    let pki = TestPki::get(KeyType::EcdsaP256);
    // Handshake messages over 64 KiB are refused by default; a client that
    // accepts larger ones (for large certificate chains) must still not
    // echo a cookie it cannot encode.
    let mut config = pki.client_config();
    config.max_handshake_message = 1 << 17;
    let config = Arc::new(config);
    // 65515 bytes: about the largest cookie a HelloRetryRequest can carry.
    for (len, refused) in [(16 * 1024, false), (65515, true)] {
        let mut c = ClientConnection::new(config.clone(), server_name("localhost")).unwrap();
        let mut first = Vec::new();
        c.write_tls(&mut first).unwrap();
        let session_id = match HandshakeMessage::read_tls13(first[5..].to_vec())
            .unwrap()
            .payload
        {
            HandshakePayload::ClientHello(h) => h.session_id,
            other => panic!("{other:?}"),
        };
        let hrr = ServerHello {
            legacy_version: ProtocolVersion::TLSv1_2,
            random: HRR_RANDOM,
            session_id,
            cipher_suite: CS::TLS_AES_128_GCM_SHA256,
            compression_method: 0,
            extensions: ServerExtensions {
                supported_version: Some(ProtocolVersion::TLSv1_3),
                selected_group: Some(NG::secp256r1),
                cookie: Some(vec![7u8; len]),
                ..Default::default()
            },
        };
        let msg = HandshakeMessage::build(HandshakePayload::HelloRetryRequest(hrr)).encoding;
        let mut wire = Vec::new();
        for chunk in msg.chunks(16384) {
            wire.extend_from_slice(&[22, 3, 3]);
            wire.extend_from_slice(&(chunk.len() as u16).to_be_bytes());
            wire.extend_from_slice(chunk);
        }
        let result = feed(&mut c, &wire);
        match refused {
            true => assert_eq!(
                result,
                Err(Error::PeerMisbehaved(
                    ferrotls::PeerMisbehaved::OversizedCookie
                ))
            ),
            false => assert!(result.is_ok(), "cookie of {len} bytes: {result:?}"),
        }
    }
}

/// Counts path validations (and delegates them).
#[derive(Debug)]
struct CountingVerifier {
    inner: ferrotls::WebPkiServerVerifier,
    chains: std::sync::atomic::AtomicUsize,
}

impl ferrotls::ServerCertVerifier for CountingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &ferrotls::pki_types::CertificateDer<'_>,
        intermediates: &[ferrotls::pki_types::CertificateDer<'_>],
        server_name: &ferrotls::pki_types::ServerName<'_>,
        now: ferrotls::pki_types::UnixTime,
    ) -> Result<(), Error> {
        self.chains
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.inner
            .verify_server_cert(end_entity, intermediates, server_name, now)
    }
}

/// A clock the test moves.
#[derive(Debug)]
struct SettableClock(std::sync::atomic::AtomicU64);

impl ferrotls::time::TimeProvider for SettableClock {
    fn now(&self) -> ferrotls::pki_types::UnixTime {
        let secs = self.0.load(std::sync::atomic::Ordering::Relaxed);
        ferrotls::pki_types::UnixTime::since_unix_epoch(std::time::Duration::from_secs(secs))
    }
}

#[test]
fn caching_verifier_reuses_a_verified_chain_only_while_it_stays_valid() {
    use std::sync::atomic::Ordering::Relaxed;
    let pki = TestPki::get(KeyType::EcdsaP256);
    let counting = Arc::new(CountingVerifier {
        inner: ferrotls::WebPkiServerVerifier::new(pki.roots()),
        chains: Default::default(),
    });
    let ttl = std::time::Duration::from_secs(600);
    let cache = Arc::new(ferrotls::CachingVerifier::new(counting.clone(), ttl, 8));
    let clock = Arc::new(SettableClock(1_700_000_000.into()));
    let connect = |name: &str| {
        let mut cc = ferrotls::ClientConfig::with_verifier(cache.clone());
        cc.time = clock.clone();
        cc.session_cache = None;
        let (mut c, mut s) = pair(cc, pki.server_config(), name);
        handshake(&mut c, &mut s)
    };
    let validations = || counting.chains.load(Relaxed);

    // Verified now and at the end of the window, then reused.
    connect("localhost").unwrap();
    assert_eq!(validations(), 2);
    connect("localhost").unwrap();
    connect("localhost").unwrap();
    assert_eq!(validations(), 2);
    // Another name is another entry.
    connect("testserver.example").unwrap();
    assert_eq!(validations(), 4);
    // After the window, or with the clock set back before it: verified again.
    clock.0.fetch_add(601, Relaxed);
    connect("localhost").unwrap();
    assert_eq!(validations(), 6);
    clock.0.store(1_600_000_000, Relaxed);
    connect("localhost").unwrap();
    assert_eq!(validations(), 8);
    // A leaf expiring within the window (rcgen's notAfter is 4096-01-01)
    // is verified every time.
    clock.0.store(67_090_118_400 - 300, Relaxed);
    connect("localhost").unwrap();
    connect("localhost").unwrap();
    assert_eq!(validations(), 12);
    // Failures are never cached.
    clock.0.store(1_700_000_000, Relaxed);
    for _ in 0..2 {
        assert!(matches!(
            connect("wrong.example"),
            Err(Error::InvalidCertificate(
                CertificateError::NotValidForName { .. }
            ))
        ));
    }
    assert_eq!(validations(), 14);

    // At most `capacity` entries: with one, two names take turns.
    let small = Arc::new(ferrotls::CachingVerifier::new(counting.clone(), ttl, 1));
    let connect_small = |name: &str| {
        let mut cc = ferrotls::ClientConfig::with_verifier(small.clone());
        cc.time = clock.clone();
        cc.session_cache = None;
        let (mut c, mut s) = pair(cc, pki.server_config(), name);
        handshake(&mut c, &mut s).unwrap();
    };
    for name in ["localhost", "testserver.example", "localhost"] {
        connect_small(name);
    }
    assert_eq!(validations(), 20);
    connect_small("localhost");
    assert_eq!(validations(), 20);
}

/// What the default verifier says about `chain` for `name` at `secs`.
fn verify_chain(
    verifier: &ferrotls::WebPkiServerVerifier,
    chain: &[ferrotls::pki_types::CertificateDer<'static>],
    name: &str,
    secs: u64,
) -> Result<(), Error> {
    use ferrotls::ServerCertVerifier;
    let now = ferrotls::pki_types::UnixTime::since_unix_epoch(std::time::Duration::from_secs(secs));
    verifier.verify_server_cert(&chain[0], &chain[1..], &server_name(name), now)
}

/// `chain` with the last bit of the leaf (its signature's) flipped.
fn last_bit_flipped(
    chain: &[ferrotls::pki_types::CertificateDer<'static>],
) -> Vec<ferrotls::pki_types::CertificateDer<'static>> {
    let mut leaf = chain[0].to_vec();
    if let Some(last) = leaf.last_mut() {
        *last ^= 1;
    }
    core::iter::once(leaf.into())
        .chain(chain[1..].iter().cloned())
        .collect()
}

#[test]
fn the_default_verifier_remembers_certificate_signatures_and_checks_the_rest_every_time() {
    const NOW: u64 = 1_700_000_000;
    // rcgen's validity: 1975-01-01 to 4096-01-01.
    const AFTER_EXPIRY: u64 = 67_090_118_400 + 1;
    for kt in ALL_KEY_TYPES {
        let pki = TestPki::get(kt);
        let verifier = ferrotls::WebPkiServerVerifier::new(pki.roots());
        assert_eq!(verifier.remembered_signatures(), 0);
        verify_chain(&verifier, &pki.chain, "localhost", NOW).unwrap();
        // The intermediate's (by the CA) and the leaf's (by the intermediate).
        assert_eq!(verifier.remembered_signatures(), 2, "{kt:?}");
        verify_chain(&verifier, &pki.chain, "localhost", NOW).unwrap();
        assert_eq!(verifier.remembered_signatures(), 2, "{kt:?}");

        // With both signatures remembered, names and dates still decide.
        assert!(matches!(
            verify_chain(&verifier, &pki.chain, "wrong.example", NOW),
            Err(Error::InvalidCertificate(
                CertificateError::NotValidForName { .. }
            ))
        ));
        assert!(matches!(
            verify_chain(&verifier, &pki.chain, "localhost", AFTER_EXPIRY),
            Err(Error::InvalidCertificate(CertificateError::Expired))
        ));
        assert!(matches!(
            verify_chain(&verifier, &pki.chain, "localhost", 0),
            Err(Error::InvalidCertificate(CertificateError::NotValidYet))
        ));

        // A leaf whose signature is one bit off is refused, and not kept.
        let err =
            verify_chain(&verifier, &last_bit_flipped(&pki.chain), "localhost", NOW).unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidCertificate(CertificateError::BadSignature)
            ),
            "{kt:?}: {err:?}"
        );
        assert_eq!(verifier.remembered_signatures(), 2, "{kt:?}");

        // Another PKI's chain, even of the same shape, is not trusted.
        let stranger = TestPki::new(kt);
        assert!(matches!(
            verify_chain(&verifier, &stranger.chain, "localhost", NOW),
            Err(Error::InvalidCertificate(CertificateError::UnknownIssuer))
        ));
        assert_eq!(verifier.remembered_signatures(), 2, "{kt:?}");
    }

    // A bound: the oldest go first; 0 remembers nothing and still verifies.
    let pki = TestPki::get(KeyType::EcdsaP256);
    let one = ferrotls::WebPkiServerVerifier::new(pki.roots()).remember_signatures(1);
    verify_chain(&one, &pki.chain, "localhost", NOW).unwrap();
    verify_chain(&one, &pki.chain, "localhost", NOW).unwrap();
    assert_eq!(one.remembered_signatures(), 1);
    let none = ferrotls::WebPkiServerVerifier::new(pki.roots()).remember_signatures(0);
    verify_chain(&none, &pki.chain, "localhost", NOW).unwrap();
    assert_eq!(none.remembered_signatures(), 0);
    assert!(verify_chain(&none, &last_bit_flipped(&pki.chain), "localhost", NOW).is_err());

    // Through handshakes: a client config's verifier is shared by its
    // connections, so the second handshake checks only CertificateVerify.
    let verifier = Arc::new(ferrotls::WebPkiServerVerifier::new(pki.roots()));
    for _ in 0..2 {
        let mut cc = ferrotls::ClientConfig::with_verifier(verifier.clone());
        cc.session_cache = None;
        let (mut c, mut s) = pair(cc, pki.server_config(), "localhost");
        handshake(&mut c, &mut s).unwrap();
        assert_eq!(verifier.remembered_signatures(), 2);
    }
}
