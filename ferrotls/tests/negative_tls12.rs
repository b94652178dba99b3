//! Hostile input against TLS 1.2 (issue #7), through the public API.
//!
//! As in `negative_tls13.rs`: each case is one line with the exact `Error`
//! and the alert the side under test writes (protected alerts are opened
//! with the session keys cut from its key log's master secret).

mod common;
mod negative_support;

use std::sync::Arc;

use common::*;
use negative_support::*;

use ferrotls::crypto::cbc::{AesCbcKey, MacKey, AES_BLOCK_LEN};
use ferrotls::msgs::enums::{AlertLevel, ContentType, ExtensionType, HandshakeType};
use ferrotls::suites::Bulk12;
use ferrotls::{
    AlertDescription as A, CertificateError, CipherSuite, ClientConfig, Error,
    InvalidMessage as IM, NamedGroup, PeerIncompatible as PI, PeerMisbehaved as PM,
    ProtocolVersion, ServerConfig,
};

const GCM: CipherSuite = CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256;
const CHACHA: CipherSuite = CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256;
const CBC: CipherSuite = CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256;

fn configs_with(suite: CipherSuite) -> (ClientConfig, ServerConfig) {
    let pki = TestPki::get(KeyType::EcdsaP256);
    let mut cc = pki.client_config();
    cc.versions = vec![ProtocolVersion::TLSv1_2];
    // RFC 8422 §4: the certificate's curve must be among the client's groups.
    cc.groups = vec![NamedGroup::X25519, NamedGroup::secp256r1];
    cc.cipher_suites = vec![suite];
    cc.random = SeededRandom::new(3);
    let mut sc = pki.server_config();
    sc.versions = vec![ProtocolVersion::TLSv1_2];
    if suite == CBC {
        sc.cipher_suites.push(CBC);
    }
    sc.random = SeededRandom::new(4);
    (cc, sc)
}

fn configs() -> (ClientConfig, ServerConfig) {
    configs_with(GCM)
}

type PartsMutation = Box<dyn Fn(&mut Vec<Part>)>;

fn p(f: impl Fn(&mut Vec<Part>) + 'static) -> PartsMutation {
    Box::new(f)
}

fn msg(typ: u8, f: impl Fn(&mut Vec<u8>) + 'static) -> PartsMutation {
    p(move |ps| {
        let i = find(ps, typ);
        f(&mut ps[i].data);
        fix_len(&mut ps[i].data);
    })
}

fn replace(typ: u8, with: Vec<u8>) -> PartsMutation {
    p(move |ps| {
        let i = find(ps, typ);
        ps[i].data = with.clone();
    })
}

fn insert_before(before: u8, part: Part) -> PartsMutation {
    p(move |ps| {
        let i = find(ps, before);
        ps.insert(i, part.clone());
    })
}

fn drop_msg(typ: u8) -> PartsMutation {
    p(move |ps| {
        let i = find(ps, typ);
        ps.remove(i);
    })
}

fn plain(typ: u8, data: &[u8]) -> Part {
    Part::new(typ, data, false)
}

fn protected(typ: u8, data: &[u8]) -> Part {
    Part::new(typ, data, true)
}

fn hs_part(m: Vec<u8>) -> Part {
    plain(HANDSHAKE, &m)
}

// ------------------------------------------------- a hostile client

fn client_hello(cc: ClientConfig) -> Vec<u8> {
    let mut c = ferrotls::ClientConnection::new(Arc::new(cc), server_name("localhost")).unwrap();
    messages(&records(&take_output(&mut c))[0].body).remove(0)
}

fn server_gets(sc: &Arc<ServerConfig>, name: &str, hello: &[u8], want: &Want) {
    let (res, out) = server_verdict(sc, &Rec::new(HANDSHAKE, hello).encode());
    check_failure(name, res, &plain_alerts(&out), want);
    if let Want::Accept = want {
        let recs = records(&out);
        assert_eq!(recs[0].body[0], SERVER_HELLO, "{name}");
        // A TLS 1.2 ServerHello: no supported_versions.
        let sh = &messages(&recs[0].body)[0];
        assert!(find_extension(sh, false, 43).is_none(), "{name}");
    }
}

fn with_ext(typ: u16, body: &[u8]) -> impl Fn(&mut Vec<u8>) {
    let body = body.to_vec();
    move |m| set_extension(m, true, typ, &body)
}

fn with_cipher_suites(list: &[u16]) -> impl Fn(&mut Vec<u8>) {
    let list: Vec<u8> = list.iter().flat_map(|s| s.to_be_bytes()).collect();
    move |m| {
        let l = hello_layout(m, true);
        let len = 2 + u16_at(m, l.cipher_suites);
        splice(m, l.cipher_suites, len, &vec16(&list));
    }
}

fn with_compression(list: &[u8]) -> impl Fn(&mut Vec<u8>) {
    let list = list.to_vec();
    move |m| {
        let l = hello_layout(m, true);
        let len = 1 + usize::from(m[l.compression]);
        splice(m, l.compression, len, &vec8(&list));
    }
}

type Mutation = Box<dyn Fn(&mut Vec<u8>)>;

fn b(f: impl Fn(&mut Vec<u8>) + 'static) -> Mutation {
    Box::new(f)
}

#[test]
#[rustfmt::skip] // one line per case
fn server_checks_every_part_of_a_tls12_client_hello() {
    let (cc, sc) = configs();
    let hello = client_hello(cc);
    assert!(
        find_extension(&hello, true, 43).is_none(),
        "a TLS 1.2 hello"
    );
    let sc = Arc::new(sc);
    let sc13 = Arc::new({
        let mut sc = configs().1;
        sc.versions = vec![ProtocolVersion::TLSv1_3, ProtocolVersion::TLSv1_2];
        sc
    });
    let gcm = GCM.to_wire();
    let cases: Vec<(&str, Mutation, Want)> = vec![
        ("unchanged", b(|_| {}), Want::Accept),
        // RFC 5246 §7.4.1.2, Appendix E.1; RFC 8446 Appendix D.5: versions.
        ("legacy_version TLS 1.1", b(|m| m[4..6].copy_from_slice(&[3, 2])), rej(PI::NoCommonVersion, A::ProtocolVersion)),
        ("legacy_version TLS 1.3", b(|m| m[4..6].copy_from_slice(&[3, 4])), Want::Accept),
        ("legacy_version 0x03ff", b(|m| m[4..6].copy_from_slice(&[3, 0xff])), Want::Accept),
        ("legacy_version SSL 3.0", b(|m| m[4..6].copy_from_slice(&[3, 0])), rej(PM::LegacyVersionTooLow, A::ProtocolVersion)),
        ("supported_versions TLS 1.2", b(|m| add_extension(m, true, &ext(43, &vec8(&[3, 3])))), Want::Accept),
        ("supported_versions TLS 1.3 only", b(|m| add_extension(m, true, &ext(43, &vec8(&[3, 4])))), rej(PI::NoCommonVersion, A::ProtocolVersion)),
        // RFC 5246 §7.4.1.2: suites and compression.
        ("only TLS 1.3 suites", b(with_cipher_suites(&[0x1301, 0x1302])), rej(PI::NoCommonCipherSuite, A::HandshakeFailure)),
        ("GREASE suite first", b(with_cipher_suites(&[0x0a0a, gcm])), Want::Accept),
        ("CBC without encrypt_then_mac", b(with_cipher_suites(&[CBC.to_wire()])), rej(PI::NoCommonCipherSuite, A::HandshakeFailure)),
        ("compression [1, 0]", b(with_compression(&[1, 0])), Want::Accept),
        ("compression [1]", b(with_compression(&[1])), rej(PM::NonZeroCompression, A::IllegalParameter)),
        ("no compression", b(with_compression(&[])), decode(IM::EmptyList("compression_methods"))),
        // RFC 7627, RFC 5746, RFC 7507, RFC 8422.
        ("no extended_master_secret", b(|m| { remove_extension(m, true, 23); }), rej(PI::ExtendedMasterSecretRequired, A::HandshakeFailure)),
        ("extended_master_secret with data", b(with_ext(23, &[0])), decode(IM::TrailingData("extension body"))),
        ("renegotiation_info not empty", b(with_ext(0xff01, &vec8(&[1; 12]))), rej(PM::RenegotiationInfoNotEmpty, A::HandshakeFailure)),
        ("renegotiation_info truncated", b(with_ext(0xff01, &[1])), decode(IM::MessageTooShort)),
        ("renegotiation SCSV", b(with_cipher_suites(&[gcm, 0x00ff])), Want::Accept),
        ("fallback SCSV, TLS 1.2 server", b(with_cipher_suites(&[gcm, 0x5600])), Want::Accept),
        ("ec_point_formats without uncompressed", b(with_ext(11, &vec8(&[1, 2]))), rej(PM::MissingUncompressedPointFormat, A::IllegalParameter)),
        ("ec_point_formats empty", b(with_ext(11, &vec8(&[]))), decode(IM::EmptyList("ec_point_formats"))),
        ("no supported_groups", b(|m| { remove_extension(m, true, 10); }), Want::Accept),
        ("only unknown groups", b(with_ext(10, &vec16(&[0x0a, 0x0a]))), rej(PI::NoCommonCipherSuite, A::HandshakeFailure)),
        ("no signature_algorithms", b(|m| { remove_extension(m, true, 13); }), rej(PI::NoCommonCipherSuite, A::HandshakeFailure)),
        ("only RSA signature algorithms", b(with_ext(13, &vec16(&[4, 1, 8, 4]))), rej(PI::NoCommonCipherSuite, A::HandshakeFailure)),
        // Unknown things are ignored.
        ("GREASE extension", b(|m| add_extension(m, true, &ext(0xdada, &[]))), Want::Accept),
        ("key_share in a TLS 1.2 hello", b(|m| add_extension(m, true, &ext(51, &vec16(&[])))), Want::Accept),
        ("unknown session ticket", b(|m| { remove_extension(m, true, 35); add_extension(m, true, &ext(35, &[9; 100])) }), Want::Accept),
        ("unknown session ID", b(|m| splice(m, 38, 1, &vec8(&[7; 32]))), Want::Accept),
        ("extra byte", b(|m| { m.push(0); fix_len(m) }), decode(IM::TrailingData("handshake message"))),
    ];
    each_case(
        &cases,
        |c| c.0.to_string(),
        |(name, mutate, want)| {
            let mut m = hello.clone();
            mutate(&mut m);
            server_gets(&sc, name, &m, want);
        },
    );
    // RFC 7507 §3: a fallback to TLS 1.2 where we speak TLS 1.3.
    let mut m = hello.clone();
    with_cipher_suites(&[gcm, 0x5600])(&mut m);
    server_gets(
        &sc13,
        "fallback SCSV",
        &m,
        &rej(PM::InappropriateFallback, A::InappropriateFallback),
    );
    // Duplicates, truncations and length fields.
    for (typ, at, len) in hello_layout(&hello, true).each {
        let mut m = hello.clone();
        add_extension(&mut m, true, &hello[at..at + 4 + len]);
        let dup = IM::DuplicateExtension(ExtensionType::from_wire(typ));
        server_gets(&sc, &format!("duplicate {typ}"), &m, &decode(dup));
    }
    let no_extensions = hello_layout(&hello, true).extensions.unwrap();
    for cut in 4..hello.len() {
        let mut m = hello[..cut].to_vec();
        fix_len(&mut m);
        let want = match cut == no_extensions {
            true => rej(PI::ExtendedMasterSecretRequired, A::HandshakeFailure),
            false => decode(IM::MessageTooShort),
        };
        server_gets(&sc, &format!("cut at {cut}"), &m, &want);
    }
    for (at, width, what) in hello_length_fields(&hello, true) {
        for delta in [-1i64, 1] {
            let mut m = hello.clone();
            bump_len(&mut m, at, width, delta);
            let (res, out) = server_verdict(&sc, &Rec::new(HANDSHAKE, &m).encode());
            if at == 1 && delta == 1 {
                assert_eq!((res, out.len()), (Ok(()), 0), "{what}");
                continue;
            }
            assert!(
                matches!(res, Err(Error::InvalidMessage(_))),
                "{what} {delta:+}: {res:?}"
            );
            assert_eq!(
                plain_alerts(&out),
                [(AlertLevel::Fatal, A::DecodeError)],
                "{what} {delta:+}"
            );
        }
    }
}

/// A real TLS 1.2 handshake up to the client's second flight
/// (ClientKeyExchange, CCS, Finished).
fn client_second_flight(cc: ClientConfig, sc: ServerConfig) -> (Mitm, Vec<Part>) {
    let mut m = Mitm::new(cc, sc, false);
    m.pass_to_server().unwrap();
    m.pass_to_client().unwrap();
    let parts = m.client_wrote();
    let types: Vec<_> = parts.iter().map(|p| (p.typ, p.hs_type())).collect();
    assert_eq!(
        types,
        [
            (HANDSHAKE, Some(CLIENT_KEY_EXCHANGE)),
            (CCS, None),
            (HANDSHAKE, Some(FINISHED))
        ]
    );
    (m, parts)
}

fn server_case_with(
    configs: (ClientConfig, ServerConfig),
    name: &str,
    mutate: &dyn Fn(&mut Vec<Part>),
    want: &Want,
) {
    let (mut m, mut parts) = client_second_flight(configs.0, configs.1);
    mutate(&mut parts);
    let res = m.send_to_server(&parts);
    let alerts = m.server_alerts();
    check_failure(name, res, &alerts, want);
    if let Want::Accept = want {
        assert!(!m.server.is_handshaking(), "{name}");
    }
}

fn server_case(name: &str, mutate: &dyn Fn(&mut Vec<Part>), want: &Want) {
    server_case_with(configs(), name, mutate, want)
}

#[test]
#[rustfmt::skip] // one line per case
fn server_checks_the_clients_second_flight() {
    let cke = |body: &[u8]| replace(CLIENT_KEY_EXCHANGE, hs(CLIENT_KEY_EXCHANGE, body));
    let cases: Vec<(&str, PartsMutation, Want)> = vec![
        ("unchanged", p(|_| {}), Want::Accept),
        ("each in 1-byte records", p(|ps| { let all = std::mem::take(ps); for part in all { for c in part.data.chunks(1) { ps.push(Part::new(part.typ, c, part.protected)) } } }), Want::Accept),
        // RFC 8422 §5.7: ClientECDiffieHellmanPublic.
        ("ClientKeyExchange empty", cke(&[]), decode(IM::MessageTooShort)),
        ("ClientKeyExchange empty point", cke(&[0]), decode(IM::EmptyList("ECPoint"))),
        ("ClientKeyExchange extra byte", msg(CLIENT_KEY_EXCHANGE, |m| m.push(0)), decode(IM::TrailingData("ClientKeyExchange"))),
        ("ClientKeyExchange point length + 1", msg(CLIENT_KEY_EXCHANGE, |m| m[4] += 1), decode(IM::MessageTooShort)),
        ("ClientKeyExchange point of 31 bytes", cke(&vec8(&[9; 31])), rej(PM::InvalidKeyShare, A::IllegalParameter)),
        ("ClientKeyExchange point of zeros", cke(&vec8(&[0; 32])), rej(PM::InvalidKeyShare, A::IllegalParameter)),
        // RFC 5246 §7.3: order.
        ("CCS before ClientKeyExchange", p(|ps| { let c = ps.remove(1); ps.insert(0, c) }), rej(Error::InappropriateMessage { expected: "ClientKeyExchange", got: ContentType::ChangeCipherSpec, }, A::UnexpectedMessage)),
        ("no ClientKeyExchange", drop_msg(CLIENT_KEY_EXCHANGE), rej(Error::InappropriateMessage { expected: "ClientKeyExchange", got: ContentType::ChangeCipherSpec, }, A::UnexpectedMessage)),
        ("Finished before CCS", p(|ps| { ps[2].protected = false; ps.swap(1, 2) }), Want::Unexpected(HandshakeType::Finished)),
        ("no CCS", p(|ps| { ps.remove(1); ps[1].protected = false }), Want::Unexpected(HandshakeType::Finished)),
        ("Certificate unasked", insert_before(CLIENT_KEY_EXCHANGE, hs_part(hs(CERTIFICATE, &[0, 0, 0]))), Want::Unexpected(HandshakeType::Certificate)),
        ("CertificateVerify unasked", insert_before(FINISHED, protected(HANDSHAKE, &hs(CERTIFICATE_VERIFY, &[4, 3, 0, 1, 0]))), Want::Unexpected(HandshakeType::CertificateVerify)),
        ("second ClientHello", insert_before(CLIENT_KEY_EXCHANGE, hs_part(client_hello(configs().0))), Want::Unexpected(HandshakeType::ClientHello)),
        ("HelloRequest from a client", insert_before(CLIENT_KEY_EXCHANGE, hs_part(hs(HELLO_REQUEST, &[]))), Want::Unexpected(HandshakeType::HelloRequest)),
        ("two ClientKeyExchanges", p(|ps| { let c = ps[0].clone(); ps.insert(0, c) }), Want::Unexpected(HandshakeType::ClientKeyExchange)),
        // RFC 5246 §7.1, §6: ChangeCipherSpec and records.
        ("CCS of 2", p(|ps| ps[1].data = vec![2]), rej(PM::IllegalChangeCipherSpec, A::UnexpectedMessage)),
        ("CCS of [1, 1]", p(|ps| ps[1].data = vec![1, 1]), rej(PM::IllegalChangeCipherSpec, A::UnexpectedMessage)),
        ("two CCS", p(|ps| ps.insert(1, plain(CCS, &[1]))), rej(Error::DecryptError, A::BadRecordMac)),
        ("protected CCS after CCS", p(|ps| ps.insert(2, protected(CCS, &[1]))), rej(Error::InappropriateMessage { expected: "Finished", got: ContentType::ChangeCipherSpec, }, A::UnexpectedMessage)),
        ("data before ClientKeyExchange", p(|ps| ps.insert(0, plain(APPDATA, b"x"))), rej(PM::ApplicationDataBeforeHandshake, A::UnexpectedMessage)),
        ("data between CCS and Finished", p(|ps| ps.insert(2, protected(APPDATA, b"x"))), rej(PM::ApplicationDataBeforeHandshake, A::UnexpectedMessage)),
        ("plaintext data after CCS", p(|ps| ps.insert(2, plain(APPDATA, b"x"))), rej(Error::DecryptError, A::BadRecordMac)),
        ("protected warning alerts", p(|ps| { for _ in 0..4 { ps.insert(2, protected(ALERT, &[1, 41])) } }), Want::Accept),
        ("protected fatal alert", p(|ps| ps.insert(2, protected(ALERT, &[2, 40]))), Want::Silent(Error::AlertReceived(A::HandshakeFailure))),
        ("plaintext fatal alert", p(|ps| ps.insert(0, plain(ALERT, &[2, 40]))), Want::Silent(Error::AlertReceived(A::HandshakeFailure))),
        // RFC 5246 §6.1, §7.1: after the client's CCS all it sends is protected.
        ("plaintext warning alert after CCS", p(|ps| ps.insert(2, plain(ALERT, &[1, 112]))), rej(Error::DecryptError, A::BadRecordMac)),
        ("plaintext fatal alert after CCS", p(|ps| ps.insert(2, plain(ALERT, &[2, 40]))), rej(Error::DecryptError, A::BadRecordMac)),
        ("heartbeat record", p(|ps| ps.insert(0, plain(24, &[1, 0, 0]))), rej(IM::UnknownContentType(24), A::UnexpectedMessage)),
        // RFC 5246 §7.4.9: Finished.
        ("Finished of 11 bytes", msg(FINISHED, |m| { m.pop(); }), decode(IM::InvalidLength("Finished verify_data"))),
        ("Finished of 13 bytes", msg(FINISHED, |m| m.push(0)), decode(IM::InvalidLength("Finished verify_data"))),
        ("Finished empty", replace(FINISHED, hs(FINISHED, &[])), decode(IM::InvalidLength("Finished verify_data"))),
        ("Finished split around data", p(|ps| { let f = ps.remove(2); ps.push(protected(HANDSHAKE, &f.data[..3])); ps.push(protected(APPDATA, b"x")); ps.push(protected(HANDSHAKE, &f.data[3..])) }), rej(Error::InappropriateMessage { expected: "the rest of a handshake message", got: ContentType::ApplicationData, }, A::UnexpectedMessage)),
    ];
    each_case(
        &cases,
        |c| c.0.to_string(),
        |(name, mutate, want)| server_case(name, mutate.as_ref(), want),
    );
}

#[test]
fn server_refuses_each_bit_of_the_clients_finished_flipped() {
    for bit in 0..96 {
        let flip = move |ps: &mut Vec<Part>| ps[2].data[4 + bit / 8] ^= 1 << (bit % 8);
        server_case(
            &format!("bit {bit}"),
            &flip,
            &rej(PM::BadFinished, A::DecryptError),
        );
    }
}

#[test]
fn every_bulk_cipher_refuses_tampered_records() {
    // RFC 5246 §6.2.3, RFC 7366 §3: a changed byte anywhere in a protected
    // record is bad_record_mac, for AEAD and CBC-HMAC alike.
    for suite in [GCM, CHACHA, CBC] {
        let (_, parts) = client_second_flight(configs_with(suite).0, configs_with(suite).1);
        let fin_len = {
            let (mut m, parts) = client_second_flight(configs_with(suite).0, configs_with(suite).1);
            m.send_to_server(&parts[..2]).unwrap();
            m.seal_for_server(&parts[2..]).len()
        };
        drop(parts);
        for at in [5, 6, fin_len / 2, fin_len - 1] {
            let (mut m, parts) = client_second_flight(configs_with(suite).0, configs_with(suite).1);
            m.send_to_server(&parts[..2]).unwrap();
            let mut wire = m.seal_for_server(&parts[2..]);
            wire[at] ^= 0x80;
            let res = deliver(&mut m.server, &wire);
            let alerts = m.server_alerts();
            check_failure(
                &format!("{suite} byte {at}"),
                res,
                &alerts,
                &rej(Error::DecryptError, A::BadRecordMac),
            );
        }
        for len in [0, 1, 15, 16, 31] {
            let (mut m, parts) = client_second_flight(configs_with(suite).0, configs_with(suite).1);
            m.send_to_server(&parts[..2]).unwrap();
            let res = deliver(&mut m.server, &Rec::new(HANDSHAKE, &vec![0; len]).encode());
            let alerts = m.server_alerts();
            check_failure(
                &format!("{suite} record of {len}"),
                res,
                &alerts,
                &rej(Error::DecryptError, A::BadRecordMac),
            );
        }
    }
}

/// Seals a CBC record by hand: IV ‖ CBC(plaintext as given) ‖ MAC, so the
/// padding can be anything while the MAC is right (RFC 7366 §3).
fn cbc_record(m: &Mitm, typ: u8, seq: u64, padded: &[u8]) -> Vec<u8> {
    let (bulk, mac_key, key, _) =
        session_keys12(&m.server_keys, &m.hellos, Writer::Client).unwrap();
    let Bulk12::Cbc { mac, .. } = bulk else {
        panic!("not CBC")
    };
    let iv = [0x42u8; AES_BLOCK_LEN];
    let mut body = padded.to_vec();
    AesCbcKey::new(key.expose())
        .unwrap()
        .encrypt(iv, &mut body)
        .unwrap();
    let iv_and_ct = [&iv[..], &body].concat();
    let mut aad = seq.to_be_bytes().to_vec();
    aad.extend_from_slice(&[typ, 3, 3]);
    aad.extend_from_slice(&(iv_and_ct.len() as u16).to_be_bytes());
    let tag = MacKey::new(mac, mac_key.expose()).sign(&[&aad, &iv_and_ct]);
    Rec::new(typ, &[iv_and_ct, tag].concat()).encode()
}

/// Makes a CBC plaintext (with its padding) from the Finished message.
type Padded = Box<dyn Fn(&[u8]) -> Vec<u8>>;

#[test]
#[rustfmt::skip] // one line per case
fn cbc_padding_errors_are_bad_record_mac() {
    // RFC 5246 §6.2.3.2 / RFC 7366: with a valid MAC, wrong padding is
    // still only bad_record_mac (nothing tells padding from MAC errors).
    let fin = |ps: &[Part]| ps[2].data.clone();
    let cases: Vec<(&str, Padded, Want)> = vec![
        ("valid padding", Box::new(|f: &[u8]| pad(f, 4)), Want::Accept),
        ("padding byte wrong", Box::new(|f: &[u8]| { let mut v = pad(f, 4); let l = v.len(); v[l - 2] = 3; v }), rej(Error::DecryptError, A::BadRecordMac)),
        ("padding longer than the record", Box::new(|f: &[u8]| { let mut v = pad(f, 4); let l = v.len(); v[l - 1] = 200; v }), rej(Error::DecryptError, A::BadRecordMac)),
        ("padding of 255", Box::new(|f: &[u8]| pad(f, 255)), Want::Accept),
    ];
    each_case(
        &cases,
        |c| c.0.to_string(),
        |(name, make, want)| {
            let (mut m, parts) = client_second_flight(configs_with(CBC).0, configs_with(CBC).1);
            m.send_to_server(&parts[..2]).unwrap();
            let wire = cbc_record(&m, HANDSHAKE, 0, &make(&fin(&parts)));
            let res = deliver(&mut m.server, &wire);
            let alerts = m.server_alerts();
            check_failure(name, res, &alerts, want);
        },
    );
}

/// `data` ‖ at least `n` bytes of padding, each the padding length, ‖ the
/// padding length: a whole number of blocks (RFC 5246 §6.2.3.2).
fn pad(data: &[u8], n: usize) -> Vec<u8> {
    let mut n = n;
    while (data.len() + n + 1) % AES_BLOCK_LEN != 0 {
        n += 1;
    }
    assert!(n <= 255, "padding");
    let mut out = data.to_vec();
    out.extend(std::iter::repeat_n(n as u8, n + 1));
    out
}

// ------------------------------------------------- a hostile server

/// A real TLS 1.2 handshake up to the server's first flight
/// (ServerHello, Certificate, ServerKeyExchange, ServerHelloDone).
fn server_flight(cc: ClientConfig, sc: ServerConfig) -> (Mitm, Vec<Part>) {
    let mut m = Mitm::new(cc, sc, false);
    m.pass_to_server().unwrap();
    let parts = m.server_wrote();
    let types: Vec<_> = parts.iter().map(|p| p.hs_type()).collect();
    assert_eq!(
        types,
        [
            Some(SERVER_HELLO),
            Some(CERTIFICATE),
            Some(SERVER_KEY_EXCHANGE),
            Some(SERVER_HELLO_DONE)
        ]
    );
    (m, parts)
}

fn client_case(name: &str, mutate: &dyn Fn(&mut Vec<Part>), want: &Want) {
    let (cc, sc) = configs();
    let (mut m, mut parts) = server_flight(cc, sc);
    mutate(&mut parts);
    let res = m.send_to_client(&parts);
    let alerts = m.client_alerts();
    check_failure(name, res, &alerts, want);
}

fn ske(params: &[u8], scheme: [u8; 2], sig: &[u8]) -> Vec<u8> {
    hs(
        SERVER_KEY_EXCHANGE,
        &[params, &scheme, &vec16(sig)].concat(),
    )
}

#[test]
#[rustfmt::skip] // one line per case
fn client_checks_the_servers_first_flight() {
    let x25519_params = [&[3, 0, 0x1d][..], &vec8(&[9; 32])].concat();
    let sh_ext = |typ: u16, body: &'static [u8]| {
        msg(SERVER_HELLO, move |m| {
            add_extension(m, false, &ext(typ, body))
        })
    };
    let cases: Vec<(&str, PartsMutation, Want)> = vec![
        ("unchanged", p(|_| {}), Want::Accept),
        ("flight in 1-byte records", p(|ps| { let all = std::mem::take(ps); for part in all { for c in part.data.chunks(1) { ps.push(plain(HANDSHAKE, c)) } } }), Want::Accept),
        ("flight in one record", p(|ps| { let all: Vec<u8> = ps.drain(..).flat_map(|p| p.data).collect(); ps.push(plain(HANDSHAKE, &all)) }), Want::Accept),
        // RFC 5246 §7.4.1.3 and RFC 8446 §4.2.1: versions.
        ("legacy_version TLS 1.1", msg(SERVER_HELLO, |m| m[4..6].copy_from_slice(&[3, 2])), rej(PI::NoCommonVersion, A::ProtocolVersion)),
        ("legacy_version SSL 3.0", msg(SERVER_HELLO, |m| m[4..6].copy_from_slice(&[3, 0])), rej(PI::NoCommonVersion, A::ProtocolVersion)),
        ("supported_versions TLS 1.2", sh_ext(43, &[3, 3]), rej(PM::SelectedUnofferedVersion, A::IllegalParameter)),
        ("supported_versions TLS 1.3 (not offered)", sh_ext(43, &[3, 4]), rej(PM::SelectedUnofferedVersion, A::IllegalParameter)),
        ("TLS 1.3 suite", msg(SERVER_HELLO, |m| { let at = hello_layout(m, false).cipher_suites; m[at..at + 2].copy_from_slice(&[0x13, 1]) }), rej(PM::SelectedUnofferedCipherSuite, A::IllegalParameter)),
        ("suite not offered", msg(SERVER_HELLO, |m| { let at = hello_layout(m, false).cipher_suites; m[at..at + 2].copy_from_slice(&[0xc0, 0x2c]) }), rej(PM::SelectedUnofferedCipherSuite, A::IllegalParameter)),
        ("compression 1", msg(SERVER_HELLO, |m| { let at = hello_layout(m, false).compression; m[at] = 1 }), rej(PM::NonZeroCompression, A::IllegalParameter)),
        // RFC 7627, RFC 5746, RFC 5246 §7.4.1.4: extensions.
        ("no extended_master_secret", msg(SERVER_HELLO, |m| { remove_extension(m, false, 23); }), rej(PI::ExtendedMasterSecretRequired, A::HandshakeFailure)),
        ("renegotiation_info not empty", msg(SERVER_HELLO, |m| { set_extension(m, false, 0xff01, &vec8(&[1; 24])) }), rej(PM::RenegotiationInfoNotEmpty, A::HandshakeFailure)),
        ("key_share in a TLS 1.2 ServerHello", sh_ext(51, &[0, 0x1d, 0, 1, 9]), rej(PM::SentExtensionInWrongMessage(ExtensionType::KeyShare), A::IllegalParameter)),
        ("GREASE extension", sh_ext(0xeaea, &[]), rej(PM::SentUnsolicitedExtension(ExtensionType::Unknown(0xeaea)), A::UnsupportedExtension)),
        ("ALPN unasked", sh_ext(16, &[0, 3, 2, b'h', b'2']), rej(PM::SentUnsolicitedExtension(ExtensionType::Alpn), A::UnsupportedExtension)),
        ("encrypt_then_mac unasked", sh_ext(22, &[]), rej(PM::SentUnsolicitedExtension(ExtensionType::EncryptThenMac), A::UnsupportedExtension)),
        ("duplicate extended_master_secret", sh_ext(23, &[]), decode(IM::DuplicateExtension(ExtensionType::ExtendedMasterSecret))),
        ("extra byte", msg(SERVER_HELLO, |m| m.push(0)), decode(IM::TrailingData("handshake message"))),
        // RFC 5246 §7.4.2: Certificate.
        ("Certificate empty", replace(CERTIFICATE, hs(CERTIFICATE, &[0, 0, 0])), rej(PM::EmptyCertificateList, A::DecodeError)),
        ("Certificate not DER", replace(CERTIFICATE, hs(CERTIFICATE, &[0, 0, 7, 0, 0, 4, 1, 2, 3, 4])), rej(CertificateError::BadEncoding, A::BadCertificate)),
        ("Certificate entry empty", replace(CERTIFICATE, hs(CERTIFICATE, &[0, 0, 3, 0, 0, 0])), decode(IM::EmptyList("ASN.1Cert"))),
        ("Certificate truncated", msg(CERTIFICATE, |m| { m.pop(); }), decode(IM::MessageTooShort)),
        // RFC 8422 §5.4: ServerKeyExchange.
        ("ServerKeyExchange signature flipped", msg(SERVER_KEY_EXCHANGE, |m| { let l = m.len(); m[l - 1] ^= 1 }), rej(PM::BadCertificateVerifySignature, A::DecryptError)),
        ("ServerKeyExchange point changed", msg(SERVER_KEY_EXCHANGE, |m| m[9] ^= 1), rej(PM::BadCertificateVerifySignature, A::DecryptError)),
        ("ServerKeyExchange group not offered", msg(SERVER_KEY_EXCHANGE, |m| m[6] = 0x18), rej(PM::SelectedUnofferedGroup, A::IllegalParameter)),
        ("ServerKeyExchange hybrid group", replace(SERVER_KEY_EXCHANGE, ske(&[&[3, 0x11, 0xec][..], &vec8(&[1; 32])].concat(), [4, 3], &[1])), rej(PM::SelectedUnofferedGroup, A::IllegalParameter)),
        ("ServerKeyExchange explicit curve", msg(SERVER_KEY_EXCHANGE, |m| m[4] = 1), rej(IM::InvalidValue("ECCurveType"), A::IllegalParameter)),
        ("ServerKeyExchange empty point", replace(SERVER_KEY_EXCHANGE, ske(&[3, 0, 0x1d, 0], [4, 3], &[1])), decode(IM::EmptyList("ECPoint"))),
        ("ServerKeyExchange scheme not offered", replace(SERVER_KEY_EXCHANGE, ske(&x25519_params, [0x0a, 0x0a], &[1])), rej(PM::SelectedUnofferedSignatureScheme, A::IllegalParameter)),
        ("ServerKeyExchange RSA scheme for ECDSA", replace(SERVER_KEY_EXCHANGE, ske(&x25519_params, [4, 1], &[1])), rej(PM::UnsuitableSignatureScheme, A::IllegalParameter)),
        ("ServerKeyExchange empty signature", replace(SERVER_KEY_EXCHANGE, ske(&x25519_params, [4, 3], &[])), decode(IM::EmptyList("signature"))),
        ("ServerKeyExchange truncated", msg(SERVER_KEY_EXCHANGE, |m| { m.pop(); }), decode(IM::MessageTooShort)),
        // RFC 5246 §7.3: order.
        ("ServerHelloDone first", p(|ps| { let d = ps.pop().unwrap(); ps.insert(1, d) }), Want::Unexpected(HandshakeType::ServerHelloDone)),
        ("no ServerKeyExchange", drop_msg(SERVER_KEY_EXCHANGE), Want::Unexpected(HandshakeType::ServerHelloDone)),
        ("no Certificate", drop_msg(CERTIFICATE), Want::Unexpected(HandshakeType::ServerKeyExchange)),
        ("two Certificates", p(|ps| { let c = ps[1].clone(); ps.insert(1, c) }), Want::Unexpected(HandshakeType::Certificate)),
        ("CertificateRequest", insert_before(SERVER_HELLO_DONE, hs_part(hs(CERTIFICATE_REQUEST, &[1, 64, 0, 2, 4, 3, 0, 0]))), Want::Accept),
        ("two CertificateRequests", p(|ps| { let cr = hs_part(hs(CERTIFICATE_REQUEST, &[1, 64, 0, 2, 4, 3, 0, 0])); ps.insert(3, cr.clone()); ps.insert(3, cr) }), Want::Unexpected(HandshakeType::CertificateRequest)),
        ("CertificateRequest without types", insert_before(SERVER_HELLO_DONE, hs_part(hs(CERTIFICATE_REQUEST, &[0, 0, 2, 4, 3, 0, 0]))), decode(IM::EmptyList("certificate_types"))),
        // RFC 5246 §7.4.1.1: ignored while the client is negotiating.
        ("HelloRequest during the handshake", insert_before(CERTIFICATE, hs_part(hs(HELLO_REQUEST, &[]))), Want::Accept),
        ("HelloRequest before the ServerHello", insert_before(SERVER_HELLO, hs_part(hs(HELLO_REQUEST, &[]))), Want::Accept),
        ("ServerHelloDone with a body", replace(SERVER_HELLO_DONE, hs(SERVER_HELLO_DONE, &[0])), decode(IM::TrailingData("handshake message"))),
        ("data in the flight", insert_before(SERVER_HELLO_DONE, plain(APPDATA, b"x")), rej(PM::ApplicationDataBeforeHandshake, A::UnexpectedMessage)),
        ("CCS in the flight", insert_before(SERVER_HELLO_DONE, plain(CCS, &[1])), rej(Error::InappropriateMessage { expected: "ServerHelloDone", got: ContentType::ChangeCipherSpec, }, A::UnexpectedMessage)),
        // RFC 8446 §5's dropped CCS is TLS 1.3's; we offered only TLS 1.2.
        ("CCS before the ServerHello", insert_before(SERVER_HELLO, plain(CCS, &[1])), rej(PM::IllegalChangeCipherSpec, A::UnexpectedMessage)),
        ("warning alert in the flight", insert_before(SERVER_HELLO_DONE, plain(ALERT, &[1, 112])), Want::Accept),
    ];
    each_case(
        &cases,
        |c| c.0.to_string(),
        |(name, mutate, want)| client_case(name, mutate.as_ref(), want),
    );
}

#[test]
fn client_refuses_every_truncation_and_length_error_of_the_server_hello() {
    let (_, parts) = server_flight(configs().0, configs().1);
    let sh = parts[0].data.clone();
    let no_extensions = hello_layout(&sh, false).extensions.unwrap();
    let cuts: Vec<usize> = (4..sh.len()).collect();
    each_case(
        cuts,
        |c| format!("cut at {c}"),
        |&cut| {
            let want = match cut == no_extensions {
                true => rej(PI::ExtendedMasterSecretRequired, A::HandshakeFailure),
                false => decode(IM::MessageTooShort),
            };
            let f = move |ps: &mut Vec<Part>| {
                ps.truncate(1);
                ps[0].data.truncate(cut);
                fix_len(&mut ps[0].data);
            };
            client_case(&format!("cut at {cut}"), &f, &want);
        },
    );
    for (at, width, what) in hello_length_fields(&sh, false) {
        for delta in [-1i64, 1] {
            let (mut m, mut parts) = server_flight(configs().0, configs().1);
            bump_len(&mut parts[0].data, at, width, delta);
            let res = m.send_to_client(&parts[..1]);
            let alerts = m.client_alerts();
            if at == 1 && delta == 1 {
                assert_eq!((res, alerts), (Ok(()), vec![]), "{what}");
                continue;
            }
            assert!(
                matches!(res, Err(Error::InvalidMessage(_))),
                "{what} {delta:+}: {res:?}"
            );
            assert_eq!(
                alerts,
                [(AlertLevel::Fatal, A::DecodeError)],
                "{what} {delta:+}"
            );
        }
    }
}

/// The server's last flight (NewSessionTicket, CCS, Finished).
fn server_last_flight() -> (Mitm, Vec<Part>) {
    let (cc, sc) = configs();
    let mut m = Mitm::new(cc, sc, false);
    m.pass_to_server().unwrap();
    m.pass_to_client().unwrap();
    m.pass_to_server().unwrap();
    let parts = m.server_wrote();
    let types: Vec<_> = parts.iter().map(|p| (p.typ, p.hs_type())).collect();
    assert_eq!(
        types,
        [
            (HANDSHAKE, Some(NEW_SESSION_TICKET)),
            (CCS, None),
            (HANDSHAKE, Some(FINISHED))
        ]
    );
    (m, parts)
}

#[test]
#[rustfmt::skip] // one line per case
fn client_checks_the_servers_last_flight() {
    let cases: Vec<(&str, PartsMutation, Want)> = vec![
        ("unchanged", p(|_| {}), Want::Accept),
        ("NewSessionTicket missing", drop_msg(NEW_SESSION_TICKET), rej(Error::InappropriateMessage { expected: "NewSessionTicket", got: ContentType::ChangeCipherSpec, }, A::UnexpectedMessage)),
        ("NewSessionTicket truncated", msg(NEW_SESSION_TICKET, |m| { m.pop(); }), decode(IM::MessageTooShort)),
        ("NewSessionTicket twice", p(|ps| { let t = ps[0].clone(); ps.insert(0, t) }), Want::Unexpected(HandshakeType::NewSessionTicket)),
        ("Finished before CCS", p(|ps| { ps[2].protected = false; ps.swap(1, 2) }), Want::Unexpected(HandshakeType::Finished)),
        ("CCS of 0", p(|ps| ps[1].data = vec![0]), rej(PM::IllegalChangeCipherSpec, A::UnexpectedMessage)),
        ("data between CCS and Finished", p(|ps| ps.insert(2, protected(APPDATA, b"x"))), rej(PM::ApplicationDataBeforeHandshake, A::UnexpectedMessage)),
        ("Finished of 11 bytes", msg(FINISHED, |m| { m.pop(); }), decode(IM::InvalidLength("Finished verify_data"))),
        ("ServerHelloDone instead of Finished", replace(FINISHED, hs(SERVER_HELLO_DONE, &[])), Want::Unexpected(HandshakeType::ServerHelloDone)),
    ];
    each_case(
        &cases,
        |c| c.0.to_string(),
        |(name, mutate, want)| {
            let (mut m, mut parts) = server_last_flight();
            mutate(&mut parts);
            let res = m.send_to_client(&parts);
            let alerts = m.client_alerts();
            // The failing client's alert may be protected under the keys it
            // switched to: opened by the middle either way.
            check_failure(name, res, &alerts, want);
        },
    );
    for bit in 0..96 {
        let (mut m, mut parts) = server_last_flight();
        parts[2].data[4 + bit / 8] ^= 1 << (bit % 8);
        let res = m.send_to_client(&parts);
        let alerts = m.client_alerts();
        check_failure(
            &format!("bit {bit}"),
            res,
            &alerts,
            &rej(PM::BadFinished, A::DecryptError),
        );
    }
}

#[test]
#[rustfmt::skip] // one line per case
fn after_a_tls12_handshake() {
    let big = vec![1u8; (1 << 14) + 1];
    // (name, from the server?, what is sent, want, warnings expected back)
    let cases: Vec<(&str, bool, Vec<Part>, Want, usize)> = vec![
        // RFC 5746 §4.2 / RFC 5246 §7.4.1.1: renegotiation is declined with a warning.
        ("renegotiating ClientHello", false, vec![protected(HANDSHAKE, &client_hello(configs().0))], Want::Accept, 1),
        ("HelloRequest", true, vec![protected(HANDSHAKE, &hs(HELLO_REQUEST, &[]))], Want::Accept, 1),
        ("HelloRequest with a body", true, vec![protected(HANDSHAKE, &hs(HELLO_REQUEST, &[0]))], decode(IM::TrailingData("handshake message")), 0),
        ("HelloRequest to a server", false, vec![protected(HANDSHAKE, &hs(HELLO_REQUEST, &[]))], Want::Unexpected(HandshakeType::HelloRequest), 0),
        ("ServerHello after the handshake", true, vec![protected(HANDSHAKE, &hs(SERVER_HELLO, &[&[3, 3][..], &[1; 32], &[0, 0xc0, 0x2b, 0]].concat()))], Want::Unexpected(HandshakeType::ServerHello), 0),
        ("KeyUpdate in TLS 1.2", true, vec![protected(HANDSHAKE, &hs(KEY_UPDATE, &[0]))], Want::Unexpected(HandshakeType::KeyUpdate), 0),
        ("protected CCS", true, vec![protected(CCS, &[1])], rej(Error::InappropriateMessage { expected: "application data", got: ContentType::ChangeCipherSpec, }, A::UnexpectedMessage), 0),
        ("plaintext CCS", true, vec![plain(CCS, &[1])], rej(Error::DecryptError, A::BadRecordMac), 0),
        ("warning alerts", true, vec![protected(ALERT, &[1, 112]); 4], Want::Accept, 0),
        ("2^14 bytes of data", false, vec![protected(APPDATA, &big[1..])], Want::Accept, 0),
        ("2^14+1 bytes of data", false, vec![protected(APPDATA, &big)], rej(Error::RecordOverflow, A::RecordOverflow), 0),
        ("2^14+1 bytes to the client", true, vec![protected(APPDATA, &big)], rej(Error::RecordOverflow, A::RecordOverflow), 0),
    ];
    // Each case through read_tls, then again through open_in_place.
    let cases: Vec<_> = [false, true]
        .into_iter()
        .flat_map(|in_place| cases.iter().map(move |c| (in_place, c)))
        .collect();
    each_case(
        &cases,
        |(in_place, c)| format!("{}{}", c.0, if *in_place { " (in place)" } else { "" }),
        |(in_place, (name, from_server, parts, want, warnings))| {
            let (cc, sc) = configs();
            let mut m = Mitm::new(cc, sc, false);
            m.handshake().unwrap();
            m.in_place = *in_place;
            let (res, alerts) = match from_server {
                true => (m.send_to_client(parts), m.client_alerts()),
                false => (m.send_to_server(parts), m.server_alerts()),
            };
            let (warn, fatal): (Vec<_>, Vec<_>) =
                alerts.into_iter().partition(|a| a.0 == AlertLevel::Warning);
            assert_eq!(
                warn,
                vec![(AlertLevel::Warning, A::NoRenegotiation); *warnings],
                "{name}"
            );
            check_failure(name, res, &fatal, want);
        },
    );
}

#[test]
fn every_truncation_of_each_message() {
    // The handshake header's length is fixed up, the inner ones are not:
    // every cut is a decode_error, Finished's too (RFC 5246 §7.4.9: its
    // verify_data is 12 bytes; RFC 8446 §6.2). The server's first flight:
    let (_, parts) = server_flight(configs().0, configs().1);
    let cuts: Vec<(usize, usize)> = (1..parts.len())
        .flat_map(|i| (1..parts[i].data.len() - 3).map(move |cut| (i, cut)))
        .collect();
    assert!(cuts.len() > 300, "{}", cuts.len());
    each_case(
        cuts,
        |c| format!("server message {c:?}"),
        |&(i, cut)| {
            let f = move |ps: &mut Vec<Part>| {
                let keep = ps[i].data.len().saturating_sub(cut).max(4);
                ps[i].data.truncate(keep);
                fix_len(&mut ps[i].data);
            };
            client_case(
                &format!("server message {i} less {cut} bytes"),
                &f,
                &decode(IM::MessageTooShort),
            );
        },
    );
    // The client's second flight (ClientKeyExchange, Finished):
    let (_, parts) = client_second_flight(configs().0, configs().1);
    let cuts: Vec<(usize, usize)> = [0, 2]
        .into_iter()
        .flat_map(|i| (1..parts[i].data.len() - 3).map(move |cut| (i, cut)))
        .collect();
    each_case(
        cuts,
        |c| format!("client message {c:?}"),
        |&(i, cut)| {
            let f = move |ps: &mut Vec<Part>| {
                let keep = ps[i].data.len().saturating_sub(cut).max(4);
                ps[i].data.truncate(keep);
                fix_len(&mut ps[i].data);
            };
            let want = match i {
                2 => decode(IM::InvalidLength("Finished verify_data")),
                _ => decode(IM::MessageTooShort),
            };
            server_case(&format!("client message {i} less {cut} bytes"), &f, &want);
        },
    );
    // The server's last flight (NewSessionTicket, CCS, Finished):
    let (_, parts) = server_last_flight();
    let cuts: Vec<(usize, usize)> = [0, 2]
        .into_iter()
        .flat_map(|i| (1..parts[i].data.len() - 3).map(move |cut| (i, cut)))
        .collect();
    each_case(
        cuts,
        |c| format!("last flight {c:?}"),
        |&(i, cut)| {
            let (mut m, mut parts) = server_last_flight();
            let keep = parts[i].data.len().saturating_sub(cut).max(4);
            parts[i].data.truncate(keep);
            fix_len(&mut parts[i].data);
            let res = m.send_to_client(&parts);
            let alerts = m.client_alerts();
            let want = match i {
                2 => decode(IM::InvalidLength("Finished verify_data")),
                _ => decode(IM::MessageTooShort),
            };
            check_failure(
                &format!("last flight {i} less {cut} bytes"),
                res,
                &alerts,
                &want,
            );
        },
    );
}
