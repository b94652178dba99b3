//! The in-place API (`seal_into`, `open_in_place`): application data sealed
//! straight into the caller's buffer and opened where it lies. Against our
//! own buffered API, rustls in-process (TLS 1.3 with a KeyUpdate in the
//! middle, and TLS 1.2), `openssl s_server`, and hostile records.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;

use common::openssl::{s_server, PemFiles, TIMEOUT};
use common::rustls_peer::{
    self as peer, drain_ours, drain_theirs, our_client, our_server, read_available, rustls_client,
    rustls_server,
};
use common::*;
use ferrotls::{
    AlertDescription, CipherSuite, ClientConnection, ConnectionCommon, Error, Opened,
    ProtocolVersion, Sealed, ServerConnection,
};

/// Bytes that differ from record to record, so a misplaced range shows.
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
}

/// Seals all of `data` with `seal_into`, through an output buffer of
/// `out_len` bytes; returns the wire bytes.
fn seal_all(conn: &mut ConnectionCommon, data: &[u8], out_len: usize) -> Vec<u8> {
    let mut out = vec![0u8; out_len];
    let mut wire = Vec::new();
    let mut taken = 0;
    loop {
        let Sealed {
            taken: t,
            written: w,
        } = conn.seal_into(&data[taken..], &mut out).unwrap();
        wire.extend_from_slice(&out[..w]);
        taken += t;
        if taken == data.len() && !conn.wants_write() {
            return wire;
        }
        assert!(
            t > 0 || w > 0,
            "an output buffer of {out_len} bytes took nothing"
        );
    }
}

/// What `open_all` found in a buffer.
#[derive(Debug, Default)]
struct OpenedAll {
    plaintext: Vec<u8>,
    consumed: usize,
    records: usize,
    peer_has_closed: bool,
}

/// Opens every whole record in `wire` in place.
fn open_all(conn: &mut ConnectionCommon, wire: &mut [u8]) -> Result<OpenedAll, Error> {
    let mut all = OpenedAll::default();
    loop {
        let Opened {
            consumed,
            plaintext,
            peer_has_closed,
        } = conn.open_in_place(&mut wire[all.consumed..])?;
        all.peer_has_closed = peer_has_closed;
        if consumed == 0 {
            return Ok(all);
        }
        assert!(plaintext.end <= consumed, "plaintext outside its record");
        all.plaintext
            .extend_from_slice(&wire[all.consumed..][plaintext]);
        all.consumed += consumed;
        all.records += 1;
    }
}

/// Feeds `wire` through `read_tls` and reads the plaintext as it comes.
fn feed_and_read(conn: &mut ConnectionCommon, mut wire: &[u8]) -> Vec<u8> {
    let mut got = Vec::new();
    while !wire.is_empty() {
        conn.read_tls(&mut wire).unwrap();
        conn.process_new_packets().unwrap();
        read_available(&mut conn.reader(), &mut got).unwrap();
    }
    got
}

fn pair(
    client: ferrotls::ClientConfig,
    server: ferrotls::ServerConfig,
) -> (ClientConnection, ServerConnection) {
    let mut c = ClientConnection::new(Arc::new(client), server_name("localhost")).unwrap();
    let mut s = ServerConnection::new(Arc::new(server)).unwrap();
    handshake(&mut c, &mut s).unwrap();
    (c, s)
}

fn tls13_suite(suite: CipherSuite) -> (ferrotls::ClientConfig, ferrotls::ServerConfig) {
    let pki = TestPki::get(KeyType::EcdsaP256);
    let mut cc = pki.client_config();
    cc.cipher_suites = vec![suite];
    let mut sc = pki.server_config();
    sc.cipher_suites = vec![suite];
    (cc, sc)
}

fn tls12_suite(suite: CipherSuite) -> (ferrotls::ClientConfig, ferrotls::ServerConfig) {
    let (mut cc, sc) = tls13_suite(suite);
    cc.versions = vec![ProtocolVersion::TLSv1_2];
    (cc, sc)
}

/// Every record protection we have: TLS 1.3's three suites and TLS 1.2's
/// AES-GCM (explicit nonce), ChaCha20-Poly1305 and CBC (encrypt-then-MAC).
fn every_protection() -> Vec<(ferrotls::ClientConfig, ferrotls::ServerConfig)> {
    vec![
        tls13_suite(CipherSuite::TLS_AES_128_GCM_SHA256),
        tls13_suite(CipherSuite::TLS_AES_256_GCM_SHA384),
        tls13_suite(CipherSuite::TLS_CHACHA20_POLY1305_SHA256),
        tls12_suite(CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256),
        tls12_suite(CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256),
        tls12_suite(CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384),
    ]
}

#[test]
fn in_place_and_buffered_apis_interoperate_for_every_protection() {
    let data = pattern(100_000);
    for (cc, sc) in every_protection() {
        let (mut c, mut s) = pair(cc, sc);
        let ctx = format!("{:?}", c.negotiated_cipher_suite());

        // In place → in place, with room for several whole records.
        let mut wire = seal_all(&mut c, &data, 64 * 1024);
        let got = open_all(&mut s, &mut wire).unwrap();
        assert_eq!(got.plaintext, data, "{ctx}");
        assert_eq!((got.consumed, got.records), (wire.len(), 7), "{ctx}");

        // In place, squeezed into small output buffers (short records) →
        // buffered.
        let wire = seal_all(&mut s, &data, 1000);
        assert_eq!(feed_and_read(&mut c, &wire), data, "{ctx}");

        // Buffered → in place.
        c.writer().write_all(&data).unwrap();
        let mut wire = drain_ours(&mut c);
        assert_eq!(
            open_all(&mut s, &mut wire).unwrap().plaintext,
            data,
            "{ctx}"
        );

        // close_notify ends in-place reading.
        c.send_close_notify();
        let mut wire = drain_ours(&mut c);
        let got = open_all(&mut s, &mut wire).unwrap();
        assert!(got.peer_has_closed && got.plaintext.is_empty(), "{ctx}");
        assert_eq!(got.consumed, wire.len(), "{ctx}");
        assert_eq!(
            s.open_in_place(&mut [23, 3, 3, 0, 1, 0]).unwrap(),
            Opened {
                consumed: 0,
                plaintext: 0..0,
                peer_has_closed: true
            },
            "{ctx}: nothing is read after close_notify"
        );
    }
}

#[test]
fn records_arriving_in_pieces_are_opened_once_whole() {
    let (cc, sc) = tls13_suite(CipherSuite::TLS_AES_128_GCM_SHA256);
    let (mut c, mut s) = pair(cc, sc);
    let mut wire = seal_all(&mut c, b"split across reads", 4096);
    for cut in [0, 1, 4, 5, 6, wire.len() - 1] {
        assert_eq!(
            s.open_in_place(&mut wire[..cut]).unwrap(),
            Opened::default(),
            "{cut} bytes of {}",
            wire.len()
        );
    }
    let got = open_all(&mut s, &mut wire).unwrap();
    assert_eq!(got.plaintext, b"split across reads");
}

#[test]
fn output_too_small_for_a_record_takes_nothing() {
    let (cc, sc) = tls13_suite(CipherSuite::TLS_AES_128_GCM_SHA256);
    let (mut c, _s) = pair(cc, sc);
    // A TLS 1.3 record around one byte is 5 + 1 + 1 + 16 bytes.
    let mut out = [0u8; 23];
    assert_eq!(
        c.seal_into(b"xy", &mut out[..22]).unwrap(),
        Sealed::default()
    );
    assert_eq!(
        c.seal_into(b"xy", &mut out).unwrap(),
        Sealed {
            taken: 1,
            written: 23
        }
    );
}

#[test]
fn misuse_is_refused_without_harming_the_connection() {
    let (cc, sc) = tls13_suite(CipherSuite::TLS_AES_128_GCM_SHA256);
    let mut c = ClientConnection::new(Arc::new(cc), server_name("localhost")).unwrap();
    let mut s = ServerConnection::new(Arc::new(sc)).unwrap();
    assert_eq!(
        c.seal_into(b"early", &mut [0u8; 100]),
        Err(Error::HandshakeNotComplete)
    );
    assert_eq!(
        s.open_in_place(&mut [0u8; 100]),
        Err(Error::HandshakeNotComplete)
    );
    handshake(&mut c, &mut s).unwrap();

    // Bytes given to read_tls and not yet read come first.
    c.writer().write_all(b"buffered").unwrap();
    let buffered = drain_ours(&mut c);
    let mut wire = seal_all(&mut c, b" then in place", 4096);
    s.read_tls(&mut &buffered[..]).unwrap();
    assert!(matches!(
        s.open_in_place(&mut wire),
        Err(Error::ApiMisuse(_))
    ));
    s.process_new_packets().unwrap();
    assert!(matches!(
        s.open_in_place(&mut wire),
        Err(Error::ApiMisuse(_))
    ));
    let mut got = Vec::new();
    read_available(&mut s.reader(), &mut got).unwrap();
    assert_eq!(got, b"buffered");
    assert_eq!(
        open_all(&mut s, &mut wire).unwrap().plaintext,
        b" then in place"
    );

    c.send_close_notify();
    assert!(matches!(
        c.seal_into(b"late", &mut [0u8; 100]),
        Err(Error::ApiMisuse(_))
    ));
}

/// The record `seal_all` makes for `data`, with `f` applied to its bytes.
fn tampered(f: impl Fn(&mut Vec<u8>)) -> (ClientConnection, ServerConnection, Vec<u8>) {
    let (cc, sc) = tls13_suite(CipherSuite::TLS_AES_128_GCM_SHA256);
    let (c, mut s) = pair(cc, sc);
    let mut wire = seal_all(&mut s, b"hello", 4096);
    f(&mut wire);
    (c, s, wire)
}

#[test]
fn hostile_records_get_the_rfc_alert() {
    type Tamper = fn(&mut Vec<u8>);
    let cases: [(&str, Tamper, Error, AlertDescription); 5] = [
        (
            "a flipped tag bit",
            |w| *w.last_mut().unwrap() ^= 1,
            Error::DecryptError,
            AlertDescription::BadRecordMac,
        ),
        (
            "a flipped ciphertext bit",
            |w| w[5] ^= 0x80,
            Error::DecryptError,
            AlertDescription::BadRecordMac,
        ),
        (
            "a record shorter than a tag",
            |w| *w = vec![23, 3, 3, 0, 15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            Error::DecryptError,
            AlertDescription::BadRecordMac,
        ),
        (
            "a length over 2^14 + 256 (RFC 8446 §5.2)",
            |w| w[3..5].copy_from_slice(&0x4101u16.to_be_bytes()),
            Error::RecordOverflow,
            AlertDescription::RecordOverflow,
        ),
        (
            "an unknown content type (RFC 8446 §5)",
            |w| w[0] = 99,
            ferrotls::InvalidMessage::UnknownContentType(99).into(),
            AlertDescription::UnexpectedMessage,
        ),
    ];
    for (what, f, want, alert) in cases {
        let (mut c, mut s, mut wire) = tampered(f);
        assert_eq!(c.open_in_place(&mut wire), Err(want.clone()), "{what}");
        // The connection is dead: the same error again, and the alert
        // reaches the peer.
        assert_eq!(c.open_in_place(&mut wire), Err(want.clone()), "{what}");
        let err = transfer(&mut c, &mut s).unwrap_err();
        assert_eq!(err, Error::AlertReceived(alert), "{what}");
    }
}

#[test]
fn tls13_with_rustls_both_ways_through_a_key_update() {
    let pki = TestPki::get(KeyType::EcdsaP256);
    let roots = peer::rustls_roots(pki);
    let v = &rustls::version::TLS13;
    let data = pattern(70_000);
    for suite in [
        CipherSuite::TLS_AES_128_GCM_SHA256,
        CipherSuite::TLS_AES_256_GCM_SHA384,
        CipherSuite::TLS_CHACHA20_POLY1305_SHA256,
    ] {
        let provider = peer::provider(v, &[suite], &[]);
        // Our client, rustls server.
        let sc = peer::rustls_server_config(v, pki, provider.clone(), &[]);
        let mut ours = our_client(pki.client_config(), "localhost");
        let mut theirs = rustls_server(sc);
        peer::handshake(&mut ours, &mut theirs).unwrap();
        check_rustls_both_ways(&mut ours, &mut theirs, &data, &format!("{suite} client"));

        // Our server, rustls client.
        let cc = peer::rustls_client_config(v, roots.clone(), provider, &[]);
        let mut ours = our_server(pki.server_config());
        let mut theirs = rustls_client(cc, "localhost");
        peer::handshake(&mut ours, &mut theirs).unwrap();
        check_rustls_both_ways(&mut ours, &mut theirs, &data, &format!("{suite} server"));
    }
}

#[test]
fn tls12_with_rustls_both_ways() {
    let pki = TestPki::get(KeyType::EcdsaP256);
    let v = &rustls::version::TLS12;
    let data = pattern(70_000);
    for suite in [
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    ] {
        let provider = peer::provider(v, &[suite], &[]);
        let sc = peer::rustls_server_config(v, pki, provider, &[]);
        let mut cc = pki.client_config();
        cc.versions = vec![ProtocolVersion::TLSv1_2];
        let mut ours = our_client(cc, "localhost");
        let mut theirs = rustls_server(sc);
        peer::handshake(&mut ours, &mut theirs).unwrap();
        check_rustls_both_ways(&mut ours, &mut theirs, &data, &format!("{suite}"));
    }
}

/// Data both ways between our in-place API and rustls' buffered one; in
/// TLS 1.3 rustls then updates its keys, we open its KeyUpdate in place
/// and keep reading and writing across it.
fn check_rustls_both_ways(
    ours: &mut ConnectionCommon,
    theirs: &mut rustls::Connection,
    data: &[u8],
    ctx: &str,
) {
    theirs.set_buffer_limit(None);
    let tls13 = ours.protocol_version() == Some(ProtocolVersion::TLSv1_3);
    let rounds = if tls13 { 2 } else { 1 };
    for round in 0..rounds {
        if round == 1 {
            theirs.refresh_traffic_keys().unwrap();
        }
        theirs.writer().write_all(data).unwrap();
        let mut wire = drain_theirs(theirs);
        let got = open_all(ours, &mut wire).unwrap();
        assert_eq!(got.plaintext, data, "{ctx} round {round}: rustls → ours");
        assert_eq!(got.consumed, wire.len(), "{ctx}");
        // rustls asks for an update too: our KeyUpdate is queued, and
        // seal_into must send it before any record under the new key.
        assert_eq!(ours.wants_write(), round == 1, "{ctx} round {round}");

        let wire = seal_all(ours, data, 20_000);
        let mut left = &wire[..];
        let mut got = Vec::new();
        while !left.is_empty() {
            let n = theirs.read_tls(&mut left).unwrap();
            assert!(n > 0);
            theirs
                .process_new_packets()
                .unwrap_or_else(|e| panic!("{ctx} round {round}: rustls: {e}"));
            peer::read_available(&mut theirs.reader(), &mut got).unwrap();
        }
        assert!(got == data, "{ctx} round {round}: ours → rustls");
    }
}

#[test]
fn our_client_in_place_with_openssl_s_server() {
    let kt = KeyType::EcdsaP256;
    let pki = TestPki::get(kt);
    let files = PemFiles::for_key_type(kt);
    let mut args = files.server_args();
    args.push("-rev".into());
    let server = s_server(&args);

    let mut sock = TcpStream::connect_timeout(&server.addr, TIMEOUT).unwrap();
    sock.set_read_timeout(Some(TIMEOUT)).unwrap();
    let mut conn = our_client(pki.client_config(), "localhost");
    conn.complete_io(&mut sock).unwrap();

    // s_server -rev answers each line reversed.
    let line: Vec<u8> = pattern(12_000)
        .into_iter()
        .map(|b| b'a' + b % 26)
        .chain([b'\n'])
        .collect();
    let wire = seal_all(&mut conn, &line, 16 * 1024 + 64);
    sock.write_all(&wire).unwrap();

    let mut want: Vec<u8> = line[..line.len() - 1].iter().rev().copied().collect();
    want.push(b'\n');
    let mut buf = vec![0u8; 64 * 1024];
    let (mut filled, mut got) = (0, Vec::new());
    while got.len() < want.len() {
        let n = sock.read(&mut buf[filled..]).unwrap();
        assert!(n > 0, "eof after {} bytes", got.len());
        filled += n;
        let opened = open_all(&mut conn, &mut buf[..filled]).unwrap();
        got.extend_from_slice(&opened.plaintext);
        // Keep the incomplete record's bytes at the front.
        buf.copy_within(opened.consumed..filled, 0);
        filled -= opened.consumed;
        // Tickets s_server sends after the handshake may need no answer,
        // but anything queued goes out.
        if conn.wants_write() {
            sock.write_all(&drain_ours(&mut conn)).unwrap();
        }
    }
    assert!(got == want, "reversed line differs");
}
