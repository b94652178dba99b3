//! Hostile input against TLS 1.3 (issue #7), through the public API.
//!
//! Each case is one line: what a hostile peer changes, and the exact
//! `Error` our side returns and the alert it writes (decrypted with the
//! keys its key log gave, when the alert is protected). The server is
//! tested with a hostile client, the client with a hostile server; both
//! are real connections with us in the middle.

mod common;
mod negative_support;

use std::sync::Arc;

use common::*;
use negative_support::*;

use ferrotls::crypto::sign::load_private_key;
use ferrotls::msgs::enums::{AlertLevel, ExtensionType, HandshakeType};
use ferrotls::suites::tls13_suite;
use ferrotls::tls13::key_schedule::finished_verify_data;
use ferrotls::tls13::{signed_message, SERVER_SIGNATURE_CONTEXT};
use ferrotls::{
    AlertDescription as A, CertificateError, CipherSuite, ClientConfig, Error,
    InvalidMessage as IM, NamedGroup, PeerIncompatible as PI, PeerMisbehaved as PM,
    ProtocolVersion, ServerConfig, SignatureScheme,
};

const HRR_RANDOM: [u8; 32] = RFC8446_HRR_RANDOM;

fn configs() -> (ClientConfig, ServerConfig) {
    let pki = TestPki::get(KeyType::EcdsaP256);
    let mut cc = pki.client_config();
    cc.versions = vec![ProtocolVersion::TLSv1_3];
    cc.groups = vec![NamedGroup::X25519];
    cc.cipher_suites = vec![CipherSuite::TLS_AES_128_GCM_SHA256];
    cc.random = SeededRandom::new(1);
    let mut sc = pki.server_config();
    sc.versions = vec![ProtocolVersion::TLSv1_3];
    sc.random = SeededRandom::new(2);
    (cc, sc)
}

// ------------------------------------------------- a hostile client

/// The ClientHello our configured client sends (one handshake message).
fn client_hello(cc: ClientConfig) -> Vec<u8> {
    let mut c = ferrotls::ClientConnection::new(Arc::new(cc), server_name("localhost")).unwrap();
    let recs = records(&take_output(&mut c));
    messages(&recs[0].body).remove(0)
}

/// Feeds raw bytes to a fresh server and checks what it does.
fn server_gets(sc: &Arc<ServerConfig>, name: &str, bytes: &[u8], want: &Want) {
    let (res, out) = server_verdict(sc, bytes);
    check_failure(name, res.clone(), &plain_alerts(&out), want);
    if matches!(want, Want::Accept | Want::Retry) {
        let recs = records(&out);
        assert_eq!(recs[0].typ, HANDSHAKE, "{name}");
        let sh = &recs[0].body;
        assert_eq!(sh[0], SERVER_HELLO, "{name}");
        let retry = sh[6..38] == HRR_RANDOM;
        assert_eq!(retry, matches!(want, Want::Retry), "{name}: retry?");
    }
}

fn with_ext(typ: u16, body: &[u8]) -> impl Fn(&mut Vec<u8>) {
    let body = body.to_vec();
    move |m| set_extension(m, true, typ, &body)
}

fn with_versions(v: &[u16]) -> impl Fn(&mut Vec<u8>) {
    let body: Vec<u8> = v.iter().flat_map(|v| v.to_be_bytes()).collect();
    with_ext(43, &vec8(&body))
}

fn with_groups(g: &[u16]) -> impl Fn(&mut Vec<u8>) {
    let body: Vec<u8> = g.iter().flat_map(|v| v.to_be_bytes()).collect();
    with_ext(10, &vec16(&body))
}

fn with_sigalgs(s: &[u16]) -> impl Fn(&mut Vec<u8>) {
    let body: Vec<u8> = s.iter().flat_map(|v| v.to_be_bytes()).collect();
    with_ext(13, &vec16(&body))
}

/// key_share with these (group, key_exchange) entries.
fn with_shares(shares: &[(u16, Vec<u8>)]) -> impl Fn(&mut Vec<u8>) {
    let mut list = Vec::new();
    for (g, k) in shares {
        list.extend_from_slice(&g.to_be_bytes());
        list.extend_from_slice(&vec16(k));
    }
    with_ext(51, &vec16(&list))
}

fn with_cipher_suites(list: &[u8]) -> impl Fn(&mut Vec<u8>) {
    let list = list.to_vec();
    move |m| {
        let l = hello_layout(m, true);
        let len = 2 + u16_at(m, l.cipher_suites);
        splice(m, l.cipher_suites, len, &list);
    }
}

fn with_compression(list: &[u8]) -> impl Fn(&mut Vec<u8>) {
    let list = list.to_vec();
    move |m| {
        let l = hello_layout(m, true);
        let len = 1 + usize::from(m[l.compression]);
        splice(m, l.compression, len, &list);
    }
}

fn server_name_list(entries: &[(u8, &[u8])]) -> Vec<u8> {
    let mut list = Vec::new();
    for (t, n) in entries {
        list.push(*t);
        list.extend_from_slice(&vec16(n));
    }
    vec16(&list)
}

/// OfferedPsks: identities (identity, age) and binders.
fn offered_psks(ids: &[&[u8]], binders: &[usize]) -> Vec<u8> {
    let mut i = Vec::new();
    for id in ids {
        i.extend_from_slice(&vec16(id));
        i.extend_from_slice(&[0, 0, 0, 1]);
    }
    let mut b = Vec::new();
    for len in binders {
        b.extend_from_slice(&vec8(&vec![7; *len]));
    }
    [vec16(&i), vec16(&b)].concat()
}

fn x25519_share(k: Vec<u8>) -> (u16, Vec<u8>) {
    (0x001d, k)
}

type Mutation = Box<dyn Fn(&mut Vec<u8>)>;

fn b(f: impl Fn(&mut Vec<u8>) + 'static) -> Mutation {
    Box::new(f)
}

#[test]
#[rustfmt::skip] // one line per case
fn server_checks_every_part_of_the_client_hello() {
    let (cc, sc) = configs();
    let hello = client_hello(cc);
    let sc = Arc::new(sc);
    let cases: Vec<(&str, Mutation, Want)> = vec![
        ("unchanged", b(|_| {}), Want::Accept),
        // RFC 8446 §4.1.2 / Appendix D.5: legacy_version.
        ("legacy_version 0x0304", b(|m| m[4..6].copy_from_slice(&[3, 4])), Want::Accept),
        ("legacy_version 0x0300", b(|m| m[4..6].copy_from_slice(&[3, 0])), rej(PM::LegacyVersionTooLow, A::ProtocolVersion)),
        ("legacy_version 0x0200", b(|m| m[4..6].copy_from_slice(&[2, 0])), rej(PM::LegacyVersionTooLow, A::ProtocolVersion)),
        // legacy_session_id<0..32>
        ("session_id of 33 bytes", b(|m| splice(m, 38, 33, &vec8(&[9; 33]))), decode(IM::InvalidLength("session_id"))),
        ("empty session_id", b(|m| splice(m, 38, 33, &[0])), Want::Accept),
        // cipher_suites<2..2^16-2>
        ("no cipher suites", b(with_cipher_suites(&[0, 0])), decode(IM::EmptyList("cipher_suites"))),
        ("odd cipher_suites", b(with_cipher_suites(&[0, 3, 0x13, 1, 0x13])), decode(IM::MessageTooShort)),
        ("only unknown and TLS 1.2 suites", b(with_cipher_suites(&[0, 4, 0x0a, 0x0a, 0xc0, 0x2f])), rej(PI::NoCommonCipherSuite, A::HandshakeFailure)),
        ("GREASE suite first", b(with_cipher_suites(&[0, 4, 0x0a, 0x0a, 0x13, 0x01])), Want::Accept),
        // legacy_compression_methods<1..2^8-1>, exactly [0] in TLS 1.3
        ("no compression methods", b(with_compression(&[0])), decode(IM::EmptyList("compression_methods"))),
        ("compression [1]", b(with_compression(&[1, 1])), rej(PM::NonZeroCompression, A::IllegalParameter)),
        ("compression [0, 1]", b(with_compression(&[2, 0, 1])), rej(PM::NonZeroCompression, A::IllegalParameter)),
        // extensions
        ("no extensions", b(|m| { let at = hello_layout(m, true).extensions.unwrap(); m.truncate(at); fix_len(m) }), rej(PI::NoCommonVersion, A::ProtocolVersion)),
        ("empty extension block", b(|m| { let at = hello_layout(m, true).extensions.unwrap(); m.truncate(at); m.extend_from_slice(&[0, 0]); fix_len(m) }), rej(PI::NoCommonVersion, A::ProtocolVersion)),
        ("extra byte after the extensions", b(|m| { m.push(0); fix_len(m) }), decode(IM::TrailingData("handshake message"))),
        ("extension header cut short", b(|m| { let at = hello_layout(m, true).extensions.unwrap(); bump_len(m, at, 2, 1); m.push(0); fix_len(m) }), decode(IM::MessageTooShort)),
        ("GREASE extension", b(|m| add_extension(m, true, &ext(0x0a0a, &[]))), Want::Accept),
        ("GREASE extension with data, first", b(|m| prepend_extension(m, true, &ext(0x1a1a, &[0]))), Want::Accept),
        ("unknown extension", b(|m| add_extension(m, true, &ext(0xfe0d, &[1, 2, 3]))), Want::Accept),
        ("padding", b(|m| add_extension(m, true, &ext(21, &[0; 200]))), Want::Accept),
        ("early_data with a body", b(|m| add_extension(m, true, &ext(42, &[0]))), decode(IM::TrailingData("extension body"))),
        ("cookie in the first hello", b(|m| add_extension(m, true, &ext(44, &vec16(&[1, 2, 3])))), Want::Accept),
        ("empty cookie", b(|m| add_extension(m, true, &ext(44, &vec16(&[])))), decode(IM::EmptyList("cookie"))),
        // supported_versions (RFC 8446 §4.2.1)
        ("supported_versions TLS 1.2 only", b(with_versions(&[0x0303])), rej(PI::NoCommonVersion, A::ProtocolVersion)),
        ("supported_versions unknown only", b(with_versions(&[0x0305, 0x7f1c])), rej(PI::NoCommonVersion, A::ProtocolVersion)),
        ("supported_versions GREASE first", b(with_versions(&[0x7a7a, 0x0304])), Want::Accept),
        ("supported_versions empty", b(with_versions(&[])), decode(IM::EmptyList("supported_versions"))),
        ("supported_versions empty body", b(with_ext(43, &[])), decode(IM::MessageTooShort)),
        ("supported_versions odd", b(with_ext(43, &[3, 3, 4, 3])), decode(IM::MessageTooShort)),
        ("supported_versions extra byte", b(with_ext(43, &[2, 3, 4, 0])), decode(IM::TrailingData("extension body"))),
        // supported_groups and key_share (RFC 8446 §4.2.7, §4.2.8, §9.2)
        ("supported_groups empty", b(with_groups(&[])), decode(IM::EmptyList("supported_groups"))),
        ("supported_groups odd", b(with_ext(10, &[0, 3, 0, 0x1d, 0])), decode(IM::MessageTooShort)),
        ("supported_groups GREASE first", b(with_groups(&[0x2a2a, 0x001d])), Want::Accept),
        ("no supported_groups", b(|m| { remove_extension(m, true, 10); }), rej(PI::KeyShareWithoutSupportedGroups, A::MissingExtension)),
        ("no key_share", b(|m| { remove_extension(m, true, 51); }), rej(PI::KeyShareWithoutSupportedGroups, A::MissingExtension)),
        ("neither groups nor shares", b(|m| { remove_extension(m, true, 10); remove_extension(m, true, 51); }), rej(PI::MissingExtension(ExtensionType::SupportedGroups), A::MissingExtension)),
        ("no client_shares", b(with_shares(&[])), Want::Retry),
        ("share for a group not offered", b(with_shares(&[(0x0017, vec![4; 65])])), rej(PM::KeyShareForUnsupportedGroup, A::IllegalParameter)),
        ("two x25519 shares", b(with_shares(&[x25519_share(vec![9; 32]), x25519_share(vec![9; 32])])), rej(PM::DuplicateKeyShare, A::IllegalParameter)),
        ("x25519 share of 31 bytes", b(with_shares(&[x25519_share(vec![9; 31])])), rej(PM::InvalidKeyShare, A::IllegalParameter)),
        ("x25519 share of 33 bytes", b(with_shares(&[x25519_share(vec![9; 33])])), rej(PM::InvalidKeyShare, A::IllegalParameter)),
        ("x25519 share of zeros", b(with_shares(&[x25519_share(vec![0; 32])])), rej(PM::InvalidKeyShare, A::IllegalParameter)),
        ("empty key_exchange", b(with_shares(&[x25519_share(vec![])])), decode(IM::EmptyList("key_exchange"))),
        ("GREASE share first", b(|m| { with_groups(&[0x0a0a, 0x001d])(m); with_shares(&[(0x0a0a, vec![0]), x25519_share(vec![9; 32])])(m) }), Want::Accept),
        // signature_algorithms (RFC 8446 §4.2.3)
        ("no signature_algorithms", b(|m| { remove_extension(m, true, 13); }), rej(PI::MissingExtension(ExtensionType::SignatureAlgorithms), A::MissingExtension)),
        ("signature_algorithms empty", b(with_sigalgs(&[])), decode(IM::EmptyList("signature_algorithms"))),
        ("signature_algorithms unknown only", b(with_sigalgs(&[0x0a0a, 0xfefe])), rej(PI::NoCommonSignatureScheme, A::HandshakeFailure)),
        ("signature_algorithms PKCS#1 only", b(with_sigalgs(&[0x0401, 0x0201])), rej(PI::NoCommonSignatureScheme, A::HandshakeFailure)),
        ("signature_algorithms GREASE first", b(with_sigalgs(&[0x0a0a, 0x0403])), Want::Accept),
        // server_name (RFC 6066 §3)
        ("server_name list empty", b(with_ext(0, &vec16(&[]))), decode(IM::EmptyList("server_name"))),
        ("server_name host name empty", b(with_ext(0, &server_name_list(&[(0, b"")]))), decode(IM::EmptyList("server_name host_name"))),
        ("server_name two host names", b(with_ext(0, &server_name_list(&[(0, b"localhost"), (0, b"a.example")]))), rej(IM::InvalidValue("server_name: two host names"), A::IllegalParameter)),
        ("server_name unknown name type", b(with_ext(0, &server_name_list(&[(7, b"x"), (0, b"localhost")]))), Want::Accept),
        ("server_name IP literal", b(with_ext(0, &server_name_list(&[(0, b"127.0.0.1")]))), Want::Accept),
        ("server_name truncated", b(with_ext(0, &[0, 5, 0, 0, 9, b'l'])), decode(IM::MessageTooShort)),
        // psk_key_exchange_modes, pre_shared_key (RFC 8446 §4.2.9, §4.2.11)
        ("psk_key_exchange_modes empty", b(with_ext(45, &vec8(&[]))), decode(IM::EmptyList("psk_key_exchange_modes"))),
        ("psk_key_exchange_modes GREASE", b(with_ext(45, &vec8(&[0x0b, 1]))), Want::Accept),
        ("pre_shared_key not last", b(|m| prepend_extension(m, true, &ext(41, &offered_psks(&[b"id"], &[32])))), rej(IM::InvalidValue("pre_shared_key is not the last extension"), A::IllegalParameter)),
        ("pre_shared_key binder of 31 bytes", b(|m| add_extension(m, true, &ext(41, &offered_psks(&[b"id"], &[31])))), decode(IM::InvalidLength("PSK binder"))),
        ("pre_shared_key without identities", b(|m| add_extension(m, true, &ext(41, &offered_psks(&[], &[32])))), decode(IM::EmptyList("pre_shared_key"))),
        ("pre_shared_key empty identity", b(|m| add_extension(m, true, &ext(41, &offered_psks(&[b""], &[32])))), decode(IM::EmptyList("PSK identity"))),
        ("pre_shared_key unknown ticket", b(|m| add_extension(m, true, &ext(41, &offered_psks(&[b"who knows"], &[32])))), Want::Accept),
        // ALPN (RFC 7301 §3.1); this server speaks none, so it ignores it
        ("ALPN list empty", b(|m| add_extension(m, true, &ext(16, &vec16(&[])))), decode(IM::EmptyList("ALPN"))),
        ("ALPN name empty", b(|m| add_extension(m, true, &ext(16, &vec16(&[0])))), decode(IM::EmptyList("ALPN protocol name"))),
        ("ALPN unknown protocol", b(|m| add_extension(m, true, &ext(16, &vec16(&vec8(b"gr34se"))))), Want::Accept),
    ];
    let mut names = std::collections::HashSet::new();
    assert!(
        cases.iter().all(|c| names.insert(c.0)),
        "duplicate case names"
    );
    each_case(
        &cases,
        |c| c.0.to_string(),
        |(name, mutate, want)| {
            let mut m = hello.clone();
            mutate(&mut m);
            server_gets(&sc, name, &Rec::new(HANDSHAKE, &m).encode(), want);
        },
    );
    // RFC 8446 §4.2: no two extensions of the same type.
    for (typ, at, len) in hello_layout(&hello, true).each {
        let mut m = hello.clone();
        add_extension(&mut m, true, &hello[at..at + 4 + len]);
        let dup = IM::DuplicateExtension(ExtensionType::from_wire(typ));
        server_gets(
            &sc,
            &format!("duplicate {typ}"),
            &Rec::new(HANDSHAKE, &m).encode(),
            &decode(dup),
        );
    }
}

#[test]
fn server_refuses_every_truncation_of_the_client_hello() {
    let (cc, sc) = configs();
    let hello = client_hello(cc);
    let sc = Arc::new(sc);
    let no_extensions = hello_layout(&hello, true).extensions.unwrap();
    for cut in 4..hello.len() {
        let mut m = hello[..cut].to_vec();
        fix_len(&mut m);
        let want = match cut == no_extensions {
            // A hello without extensions is a TLS 1.2 hello.
            true => rej(PI::NoCommonVersion, A::ProtocolVersion),
            false => decode(IM::MessageTooShort),
        };
        server_gets(
            &sc,
            &format!("cut at {cut}"),
            &Rec::new(HANDSHAKE, &m).encode(),
            &want,
        );
    }
    // Cut without fixing the header: the server waits for the rest.
    for cut in [0, 1, 3, 4, 40, hello.len() - 1] {
        let wire = Rec::new(HANDSHAKE, &hello[..cut.max(1)]).encode();
        let (res, out) = server_verdict(&sc, &wire);
        assert_eq!(res, Ok(()), "unfixed cut at {cut}");
        assert!(out.is_empty(), "unfixed cut at {cut}");
    }
}

#[test]
fn server_refuses_every_length_field_off_by_one() {
    let (cc, sc) = configs();
    let hello = client_hello(cc);
    let sc = Arc::new(sc);
    let fields = hello_length_fields(&hello, true);
    assert!(fields.len() > 15, "{fields:?}");
    for (at, width, what) in fields {
        for delta in [-1i64, 1] {
            let name = format!("{what} {delta:+}");
            let mut m = hello.clone();
            bump_len(&mut m, at, width, delta);
            let (res, out) = server_verdict(&sc, &Rec::new(HANDSHAKE, &m).encode());
            if at == 1 && delta == 1 {
                // The message now ends past the record: wait for the rest.
                assert_eq!((res, out.len()), (Ok(()), 0), "{name}");
                continue;
            }
            assert!(
                matches!(res, Err(Error::InvalidMessage(_))),
                "{name}: {res:?}"
            );
            assert_eq!(
                plain_alerts(&out),
                [(AlertLevel::Fatal, A::DecodeError)],
                "{name}"
            );
        }
    }
}

#[test]
#[rustfmt::skip] // one line per case
fn server_refuses_records_and_messages_out_of_place() {
    let (cc, sc) = configs();
    let hello = client_hello(cc);
    let sc = Arc::new(sc);
    let sh_body = [&[3, 3][..], &[1; 32], &[0, 0x13, 0x01, 0]].concat();
    let hello_rec = Rec::new(HANDSHAKE, &hello).encode();
    let big = vec![0u8; (1 << 14) + 1];
    let cases: Vec<(&str, Vec<u8>, Want)> = vec![
        // RFC 8446 §4: the first message is a ClientHello.
        ("ServerHello first", Rec::new(HANDSHAKE, &hs(SERVER_HELLO, &sh_body)).encode(), Want::Unexpected(HandshakeType::ServerHello)),
        ("Finished first", Rec::new(HANDSHAKE, &hs(FINISHED, &[0; 32])).encode(), Want::Unexpected(HandshakeType::Finished)),
        ("Certificate first", Rec::new(HANDSHAKE, &hs(CERTIFICATE, &[0, 0, 0, 0])).encode(), Want::Unexpected(HandshakeType::Certificate)),
        ("KeyUpdate first", Rec::new(HANDSHAKE, &hs(KEY_UPDATE, &[0])).encode(), Want::Unexpected(HandshakeType::KeyUpdate)),
        ("EndOfEarlyData first", Rec::new(HANDSHAKE, &hs(END_OF_EARLY_DATA, &[])).encode(), Want::Unexpected(HandshakeType::EndOfEarlyData)),
        ("HelloRequest first", Rec::new(HANDSHAKE, &hs(HELLO_REQUEST, &[])).encode(), Want::Unexpected(HandshakeType::HelloRequest)),
        ("unknown message first", Rec::new(HANDSHAKE, &hs(99, &[1, 2])).encode(), Want::Unexpected(HandshakeType::Unknown(99))),
        ("message_hash first", Rec::new(HANDSHAKE, &hs(254, &[0; 32])).encode(), Want::Unexpected(HandshakeType::MessageHash)),
        // RFC 8446 §5: records of each type before the ClientHello.
        ("ChangeCipherSpec first", Rec::new(CCS, &[1]).encode(), rej(PM::IllegalChangeCipherSpec, A::UnexpectedMessage)),
        ("application data first", Rec::new(APPDATA, b"GET /").encode(), rej(PM::ApplicationDataBeforeHandshake, A::UnexpectedMessage)),
        ("empty application data first", Rec::new(APPDATA, &[]).encode(), rej(PM::ApplicationDataBeforeHandshake, A::UnexpectedMessage)),
        ("fatal alert first", Rec::new(ALERT, &[2, 40]).encode(), Want::Silent(Error::AlertReceived(A::HandshakeFailure))),
        ("close_notify first", Rec::new(ALERT, &[1, 0]).encode(), Want::Silent(Error::AlertReceived(A::CloseNotify))),
        // Before a version is chosen, a warning is tolerated (and counted).
        ("warning alert first", Rec::new(ALERT, &[1, 112]).encode(), Want::Accept),
        ("alert of unknown level", Rec::new(ALERT, &[3, 40]).encode(), rej(PM::UnknownAlertLevel, A::IllegalParameter)),
        ("alert of one byte", Rec::new(ALERT, &[2]).encode(), decode(IM::MessageTooShort)),
        ("alert of three bytes", Rec::new(ALERT, &[2, 40, 0]).encode(), decode(IM::TrailingData("alert"))),
        ("empty alert", Rec::new(ALERT, &[]).encode(), rej(IM::EmptyRecord(ferrotls::msgs::enums::ContentType::Alert), A::UnexpectedMessage)),
        ("empty handshake record", Rec::new(HANDSHAKE, &[]).encode(), rej(IM::EmptyRecord(ferrotls::msgs::enums::ContentType::Handshake), A::UnexpectedMessage)),
        ("heartbeat record", Rec::new(24, &[1, 0, 0]).encode(), rej(IM::UnknownContentType(24), A::UnexpectedMessage)),
        ("record type 0", Rec::new(0, &[1]).encode(), rej(IM::UnknownContentType(0), A::UnexpectedMessage)),
        ("record type 255", Rec::new(255, &[1]).encode(), rej(IM::UnknownContentType(255), A::UnexpectedMessage)),
        ("HTTP instead of TLS", b"GET / HTTP/1.1\r\n\r\n".to_vec(), rej(IM::UnknownContentType(b'G'), A::UnexpectedMessage)),
        ("SSLv2 hello", vec![0x80, 0x2e, 1, 3, 1, 0, 0x15, 0, 0, 0, 0x10], rej(IM::UnknownContentType(0x80), A::UnexpectedMessage)),
        // RFC 8446 §5.1: the record header.
        ("record version 0x0301", raw_record(HANDSHAKE, 0x0301, hello.len() as u16, &hello), Want::Accept),
        ("record version 0x0300", raw_record(HANDSHAKE, 0x0300, hello.len() as u16, &hello), Want::Accept),
        ("record version 0x0304", raw_record(HANDSHAKE, 0x0304, hello.len() as u16, &hello), Want::Accept),
        ("record version 0x0200", raw_record(HANDSHAKE, 0x0200, hello.len() as u16, &hello), decode(IM::InvalidRecordVersion(0x0200))),
        ("record version 0xfeff", raw_record(HANDSHAKE, 0xfeff, hello.len() as u16, &hello), decode(IM::InvalidRecordVersion(0xfeff))),
        // RFC 8446 §5.1, §5.2 / RFC 5246 §6.2: sizes.
        ("plaintext record of 2^14+1", Rec::new(HANDSHAKE, &big).encode(), rej(Error::RecordOverflow, A::RecordOverflow)),
        ("header announcing 2^14+2049", raw_record(APPDATA, 0x0303, (1 << 14) + 2049, &[]), rej(Error::RecordOverflow, A::RecordOverflow)),
        ("header announcing 65535", raw_record(HANDSHAKE, 0x0303, 0xffff, &[]), rej(Error::RecordOverflow, A::RecordOverflow)),
        // RFC 8446 §5.1: fragmentation and interleaving.
        ("hello in 1-byte records", fragmented(HANDSHAKE, &hello, 1), Want::Accept),
        ("hello in 7-byte records", fragmented(HANDSHAKE, &hello, 7), Want::Accept),
        ("hello, header split", [fragmented(HANDSHAKE, &hello[..2], 2), Rec::new(HANDSHAKE, &hello[2..]).encode()].concat(), Want::Accept),
        ("empty record inside the hello", [Rec::new(HANDSHAKE, &hello[..10]).encode(), Rec::new(HANDSHAKE, &[]).encode()].concat(), rej(IM::EmptyRecord(ferrotls::msgs::enums::ContentType::Handshake), A::UnexpectedMessage)),
        ("alert inside the hello", [Rec::new(HANDSHAKE, &hello[..10]).encode(), Rec::new(ALERT, &[1, 90]).encode()].concat(), rej(Error::InappropriateMessage { expected: "the rest of a handshake message", got: ferrotls::msgs::enums::ContentType::Alert, }, A::UnexpectedMessage)),
        ("CCS inside the hello", [Rec::new(HANDSHAKE, &hello[..10]).encode(), Rec::new(CCS, &[1]).encode()].concat(), rej(Error::InappropriateMessage { expected: "the rest of a handshake message", got: ferrotls::msgs::enums::ContentType::ChangeCipherSpec, }, A::UnexpectedMessage)),
        ("data inside the hello", [Rec::new(HANDSHAKE, &hello[..10]).encode(), Rec::new(APPDATA, &[1]).encode()].concat(), rej(Error::InappropriateMessage { expected: "the rest of a handshake message", got: ferrotls::msgs::enums::ContentType::ApplicationData, }, A::UnexpectedMessage)),
        // RFC 8446 §5.1: no message may span the key change after the hello.
        ("hello and a partial message", Rec::new(HANDSHAKE, &[&hello[..], &[FINISHED, 0]].concat()).encode(), rej(PM::HandshakeDataAcrossKeyChange, A::UnexpectedMessage)),
        ("hello and a whole Finished", Rec::new(HANDSHAKE, &[hello.clone(), hs(FINISHED, &[0; 32])].concat()).encode(), rej(PM::HandshakeDataAcrossKeyChange, A::UnexpectedMessage)),
        ("two hellos in one record", Rec::new(HANDSHAKE, &[hello.clone(), hello.clone()].concat()).encode(), rej(PM::HandshakeDataAcrossKeyChange, A::UnexpectedMessage)),
        // RFC 8446 §5: a CCS right after the hello is dropped.
        ("hello then CCS", [hello_rec.clone(), Rec::new(CCS, &[1]).encode()].concat(), Want::Accept),
        ("hello then CCS of 2", [hello_rec.clone(), Rec::new(CCS, &[2]).encode()].concat(), rej(PM::IllegalChangeCipherSpec, A::UnexpectedMessage)),
        ("hello then empty CCS", [hello_rec.clone(), Rec::new(CCS, &[]).encode()].concat(), rej(PM::IllegalChangeCipherSpec, A::UnexpectedMessage)),
        ("hello then CCS of [1, 1]", [hello_rec.clone(), Rec::new(CCS, &[1, 1]).encode()].concat(), rej(PM::IllegalChangeCipherSpec, A::UnexpectedMessage)),
        // RFC 8446 §5.1: a plaintext record over 2^14 bytes, whatever its type.
        ("hello then CCS of 2^14 + 1 bytes", [hello_rec.clone(), Rec::new(CCS, &vec![1; (1 << 14) + 1]).encode()].concat(), rej(Error::RecordOverflow, A::RecordOverflow)),
        ("hello then two CCS", [hello_rec.clone(), Rec::new(CCS, &[1]).encode(), Rec::new(CCS, &[1]).encode()].concat(), Want::Accept),
        ("hello then three CCS", [hello_rec.clone(), Rec::new(CCS, &[1]).encode(), Rec::new(CCS, &[1]).encode(), Rec::new(CCS, &[1]).encode()].concat(), rej(PM::TooManyChangeCipherSpecs, A::UnexpectedMessage)),
    ];
    each_case(
        &cases,
        |c| c.0.to_string(),
        |(name, wire, want)| {
            let (res, out) = server_verdict(&sc, wire);
            // After the hello, the server's alert is protected: look at the error only.
            let alerts = match records(&out).iter().any(|r| r.typ == HANDSHAKE) {
                true => match want {
                    Want::Reject(_, a) => vec![(AlertLevel::Fatal, *a)],
                    _ => vec![],
                },
                false => plain_alerts(&out),
            };
            check_failure(name, res, &alerts, want);
        },
    );
}

// ------------------------------------------- the client's second flight

/// A real handshake up to the client's Finished: returns the middle and
/// the client's parts (CCS, Finished).
fn client_second_flight(cc: ClientConfig, sc: ServerConfig) -> (Mitm, Vec<Part>) {
    let mut m = Mitm::new(cc, sc, true);
    m.pass_to_server().unwrap();
    m.pass_to_client().unwrap();
    let parts = m.client_wrote();
    assert_eq!(parts.len(), 2, "{parts:?}");
    assert_eq!(parts[1].hs_type(), Some(FINISHED));
    (m, parts)
}

/// Sends the client's second flight, changed, to the server and checks.
fn server_case(name: &str, mutate: &dyn Fn(&mut Vec<Part>), want: &Want) {
    let (cc, sc) = configs();
    let (mut m, mut parts) = client_second_flight(cc, sc);
    mutate(&mut parts);
    let res = m.send_to_server(&parts);
    let alerts = m.server_alerts();
    check_failure(name, res, &alerts, want);
    if let Want::Accept = want {
        assert!(!m.server.is_handshaking(), "{name}");
    }
}

fn protected(typ: u8, data: &[u8]) -> Part {
    Part::new(typ, data, true)
}

fn plain(typ: u8, data: &[u8]) -> Part {
    Part::new(typ, data, false)
}

#[test]
#[rustfmt::skip] // one line per case
fn server_checks_the_clients_second_flight() {
    type PartsMutation = Box<dyn Fn(&mut Vec<Part>)>;
    fn p(f: impl Fn(&mut Vec<Part>) + 'static) -> PartsMutation {
        Box::new(f)
    }
    let fin = 1;
    let ct = ferrotls::msgs::enums::ContentType::ApplicationData;
    let cases: Vec<(&str, PartsMutation, Want)> = vec![
        ("unchanged", p(|_| {}), Want::Accept),
        ("no compatibility CCS", p(|ps| { ps.remove(0); }), Want::Accept),
        ("Finished in 1-byte records", p(move |ps| { let f = ps.remove(fin); for c in f.data.chunks(1) { ps.push(protected(HANDSHAKE, c)) } }), Want::Accept),
        // RFC 8446 §4.4.4: verify_data.
        ("Finished of 31 bytes", p(move |ps| { ps[fin].data.pop(); fix_len(&mut ps[fin].data) }), decode(IM::InvalidLength("Finished verify_data"))),
        ("Finished of 33 bytes", p(move |ps| { ps[fin].data.push(0); fix_len(&mut ps[fin].data) }), decode(IM::InvalidLength("Finished verify_data"))),
        ("empty Finished", p(move |ps| ps[fin].data = hs(FINISHED, &[])), decode(IM::InvalidLength("Finished verify_data"))),
        ("Finished of 12 bytes (TLS 1.2's size)", p(move |ps| ps[fin].data = hs(FINISHED, &[0; 12])), decode(IM::InvalidLength("Finished verify_data"))),
        ("Finished of 48 bytes (SHA-384's size)", p(move |ps| ps[fin].data = hs(FINISHED, &[0; 48])), decode(IM::InvalidLength("Finished verify_data"))),
        // RFC 8446 §4.4: the messages that may come here.
        ("Certificate instead of Finished", p(move |ps| ps[fin].data = hs(CERTIFICATE, &[0, 0, 0, 0])), Want::Unexpected(HandshakeType::Certificate)),
        ("ClientHello instead of Finished", p(move |ps| ps[fin].data = hs(CLIENT_HELLO, &[])), decode(IM::MessageTooShort)),
        ("KeyUpdate before Finished", p(move |ps| ps.insert(fin, protected(HANDSHAKE, &hs(KEY_UPDATE, &[0])))), Want::Unexpected(HandshakeType::KeyUpdate)),
        ("EndOfEarlyData unasked", p(move |ps| ps.insert(fin, protected(HANDSHAKE, &hs(END_OF_EARLY_DATA, &[])))), Want::Unexpected(HandshakeType::EndOfEarlyData)),
        ("NewSessionTicket from a client", p(move |ps| { ps.insert(fin, protected(HANDSHAKE, &hs(NEW_SESSION_TICKET, &[0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1, 7, 0, 0]))) }), Want::Unexpected(HandshakeType::NewSessionTicket)),
        ("data before Finished", p(move |ps| ps.insert(fin, protected(APPDATA, b"early"))), rej(PM::ApplicationDataBeforeHandshake, A::UnexpectedMessage)),
        ("Finished in plaintext", p(move |ps| ps[fin].protected = false), rej(Error::InappropriateMessage { expected: "an encrypted record", got: ferrotls::msgs::enums::ContentType::Handshake, }, A::UnexpectedMessage)),
        // RFC 8446 §5: CCS rules.
        ("two CCS", p(|ps| ps.insert(0, plain(CCS, &[1]))), Want::Accept),
        ("three CCS", p(|ps| { ps.insert(0, plain(CCS, &[1])); ps.insert(0, plain(CCS, &[1])) }), rej(PM::TooManyChangeCipherSpecs, A::UnexpectedMessage)),
        ("protected CCS", p(move |ps| ps.insert(fin, protected(CCS, &[1]))), rej(PM::IllegalChangeCipherSpec, A::UnexpectedMessage)),
        ("CCS of 0", p(|ps| ps[0].data = vec![0]), rej(PM::IllegalChangeCipherSpec, A::UnexpectedMessage)),
        // RFC 8446 §5.1, §5.4: protected records.
        ("protected empty handshake record", p(move |ps| ps.insert(fin, protected(HANDSHAKE, &[]))), rej(IM::EmptyRecord(ferrotls::msgs::enums::ContentType::Handshake), A::UnexpectedMessage)),
        ("protected unknown type", p(move |ps| ps.insert(fin, protected(99, &[1]))), rej(IM::UnknownContentType(99), A::UnexpectedMessage)),
        ("protected heartbeat", p(move |ps| ps.insert(fin, protected(24, &[1]))), rej(IM::UnknownContentType(24), A::UnexpectedMessage)),
        ("protected fatal alert", p(move |ps| ps.insert(fin, protected(ALERT, &[2, 80]))), Want::Silent(Error::AlertReceived(A::InternalError))),
        ("protected warning alert", p(move |ps| ps.insert(fin, protected(ALERT, &[1, 112]))), Want::Silent(Error::AlertReceived(A::UnrecognizedName))),
        ("protected user_canceled", p(move |ps| ps.insert(fin, protected(ALERT, &[1, 90]))), Want::Accept),
        ("plaintext alert", p(move |ps| ps.insert(fin, plain(ALERT, &[2, 40]))), Want::Silent(Error::AlertReceived(A::HandshakeFailure))),
        ("plaintext data", p(move |ps| ps.insert(fin, plain(APPDATA, b"data"))), rej(Error::DecryptError, A::BadRecordMac)),
        ("plaintext handshake", p(move |ps| ps.insert(fin, plain(HANDSHAKE, &hs(FINISHED, &[0; 32])))), rej(Error::InappropriateMessage { expected: "an encrypted record", got: ferrotls::msgs::enums::ContentType::Handshake, }, A::UnexpectedMessage)),
        ("Finished and a partial message", p(move |ps| ps[fin].data.extend_from_slice(&[KEY_UPDATE, 0])), rej(PM::HandshakeDataAcrossKeyChange, A::UnexpectedMessage)),
        ("Finished and a KeyUpdate in one record", p(move |ps| ps[fin].data.extend_from_slice(&hs(KEY_UPDATE, &[0]))), rej(PM::HandshakeDataAcrossKeyChange, A::UnexpectedMessage)),
        ("Finished split around CCS", p(move |ps| { let f = ps.remove(fin); ps.insert(0, protected(HANDSHAKE, &f.data[..2])); ps.push(protected(HANDSHAKE, &f.data[2..])) }), rej(Error::InappropriateMessage { expected: "the rest of a handshake message", got: ferrotls::msgs::enums::ContentType::ChangeCipherSpec, }, A::UnexpectedMessage)),
        ("data interleaved in Finished", p(move |ps| { let f = ps.remove(fin); ps.push(protected(HANDSHAKE, &f.data[..2])); ps.push(protected(APPDATA, b"x")); ps.push(protected(HANDSHAKE, &f.data[2..])) }), rej(Error::InappropriateMessage { expected: "the rest of a handshake message", got: ct, }, A::UnexpectedMessage)),
    ];
    each_case(
        &cases,
        |c| c.0.to_string(),
        |(name, mutate, want)| server_case(name, mutate.as_ref(), want),
    );
}

#[test]
fn server_refuses_each_bit_of_the_clients_finished_flipped() {
    let (cc, sc) = configs();
    let (_, parts) = client_second_flight(cc, sc);
    let bits = (parts[1].data.len() - 4) * 8;
    assert_eq!(bits, 256);
    for bit in 0..bits {
        let flip = move |ps: &mut Vec<Part>| ps[1].data[4 + bit / 8] ^= 1 << (bit % 8);
        server_case(
            &format!("bit {bit}"),
            &flip,
            &rej(PM::BadFinished, A::DecryptError),
        );
    }
}

#[test]
#[rustfmt::skip] // one line per case
fn server_refuses_tampered_records() {
    // Each bit of a protected record's header, body and tag matters.
    let (cc, sc) = configs();
    let (mut m, parts) = client_second_flight(cc, sc);
    m.send_to_server(&parts[..1]).unwrap();
    let wire = m.seal_for_server(&parts[1..]);
    let len = wire.len();
    for (name, at) in [
        ("first body byte", 5),
        ("middle", len / 2),
        ("last tag byte", len - 1),
    ] {
        let (cc, sc) = configs();
        let (mut m, parts) = client_second_flight(cc, sc);
        m.send_to_server(&parts[..1]).unwrap();
        let mut wire = m.seal_for_server(&parts[1..]);
        wire[at] ^= 0x01;
        let res = deliver(&mut m.server, &wire);
        let alerts = m.server_alerts();
        check_failure(
            name,
            res,
            &alerts,
            &rej(Error::DecryptError, A::BadRecordMac),
        );
    }
    let cases: Vec<(&str, Vec<u8>, Want)> = vec![
        ("shorter than a tag", Rec::new(APPDATA, &[0; 15]).encode(), rej(Error::DecryptError, A::BadRecordMac)),
        ("empty protected record", Rec::new(APPDATA, &[]).encode(), rej(Error::DecryptError, A::BadRecordMac)),
        ("header version changed", { let mut w = wire.clone(); w[2] = 1; w }, rej(Error::DecryptError, A::BadRecordMac)),
        ("outer type handshake", { let mut w = wire.clone(); w[0] = HANDSHAKE; w }, rej(Error::InappropriateMessage { expected: "an encrypted record", got: ferrotls::msgs::enums::ContentType::Handshake, }, A::UnexpectedMessage)),
        ("over 2^14+256", raw_record(APPDATA, 0x0303, (1 << 14) + 257, &[]), rej(Error::RecordOverflow, A::RecordOverflow)),
    ];
    for (name, wire, want) in &cases {
        let (cc, sc) = configs();
        let (mut m, parts) = client_second_flight(cc, sc);
        m.send_to_server(&parts[..1]).unwrap();
        let res = deliver(&mut m.server, wire);
        let alerts = m.server_alerts();
        check_failure(name, res, &alerts, want);
    }
}

#[test]
#[rustfmt::skip] // one line per case
fn inner_plaintext_size_limits() {
    // RFC 8446 §5.4: TLSInnerPlaintext (content, type, padding) is at most
    // 2^14 + 1 bytes; padding counts.
    let full = vec![7u8; 1 << 14];
    let cases: Vec<(&str, Vec<u8>, Result<(), Error>)> = vec![
        ("2^14 bytes of data", [&full[..], &[APPDATA]].concat(), Ok(())),
        ("2^14 bytes of data, padded", [&full[..], &[APPDATA, 0]].concat(), Err(Error::RecordOverflow)),
        ("2^14+1 bytes of data", [&full[..], &[7, APPDATA]].concat(), Err(Error::RecordOverflow)),
        ("1 byte padded to 2^14+1", [&[7, APPDATA][..], &vec![0; (1 << 14) - 1]].concat(), Ok(())),
        ("1 byte padded past 2^14+1", [&[7, APPDATA][..], &vec![0; 1 << 14]].concat(), Err(Error::RecordOverflow)),
        ("only padding", vec![0; 100], Err(PM::InnerPlaintextAllZero.into())),
    ];
    for (name, inner, want) in cases {
        let (cc, sc) = configs();
        let mut m = Mitm::new(cc, sc, true);
        m.handshake().unwrap();
        let wire = seal_inner_for_server(&mut m, &inner);
        let res = deliver(&mut m.server, &wire);
        assert_eq!(res, want, "{name}");
        let alerts = m.server_alerts();
        match &want {
            Ok(()) => assert_eq!(alerts, [], "{name}"),
            Err(e) => assert_eq!(alerts, [(AlertLevel::Fatal, e.alert().unwrap())], "{name}"),
        }
        // The same through the in-place API.
        let (cc, sc) = configs();
        let mut m = Mitm::new(cc, sc, true);
        m.handshake().unwrap();
        let wire = seal_inner_for_server(&mut m, &inner);
        assert_eq!(deliver_by(&mut m.server, wire, true), want, "{name} (in place)");
    }
}

fn seal_inner_for_server(m: &mut Mitm, inner: &[u8]) -> Vec<u8> {
    // The first record under the client's application key 0.
    let mut tap = Tap13::new(m.server_keys.clone(), m.hellos.clone(), Writer::Client);
    tap.next_generation();
    tap.seal_inner(inner)
}

// ------------------------------------------------- a hostile server

/// A real handshake up to the server's flight: returns the middle and the
/// server's parts (ServerHello, CCS, EncryptedExtensions, Certificate,
/// CertificateVerify, Finished).
fn server_flight(cc: ClientConfig, sc: ServerConfig) -> (Mitm, Vec<Part>) {
    let mut m = Mitm::new(cc, sc, true);
    m.pass_to_server().unwrap();
    let parts = m.server_wrote();
    let types: Vec<_> = parts.iter().map(|p| p.hs_type()).collect();
    assert_eq!(
        types,
        [
            Some(SERVER_HELLO),
            None,
            Some(ENCRYPTED_EXTENSIONS),
            Some(CERTIFICATE),
            Some(CERTIFICATE_VERIFY),
            Some(FINISHED)
        ]
    );
    (m, parts)
}

/// Sends the server's flight, changed, to the client and checks.
fn client_case_with(
    configs: (ClientConfig, ServerConfig),
    name: &str,
    mutate: &dyn Fn(&mut Vec<Part>),
    want: &Want,
) {
    let (mut m, mut parts) = server_flight(configs.0, configs.1);
    mutate(&mut parts);
    let res = m.send_to_client(&parts);
    let alerts = m.client_alerts();
    check_failure(name, res, &alerts, want);
    if let Want::Accept = want {
        assert!(!m.client.is_handshaking(), "{name}");
    }
}

fn client_case(name: &str, mutate: &dyn Fn(&mut Vec<Part>), want: &Want) {
    client_case_with(configs(), name, mutate, want)
}

type PartsMutation = Box<dyn Fn(&mut Vec<Part>)>;

fn p(f: impl Fn(&mut Vec<Part>) + 'static) -> PartsMutation {
    Box::new(f)
}

/// Changes the message of type `typ` in place (and fixes its length).
fn msg(typ: u8, f: impl Fn(&mut Vec<u8>) + 'static) -> PartsMutation {
    p(move |ps| {
        let i = find(ps, typ);
        f(&mut ps[i].data);
        fix_len(&mut ps[i].data);
    })
}

/// Replaces the message of type `typ`.
fn replace(typ: u8, with: Vec<u8>) -> PartsMutation {
    p(move |ps| {
        let i = find(ps, typ);
        ps[i].data = with.clone();
    })
}

/// Inserts a protected handshake message before the one of type `before`.
fn insert_before(before: u8, m: Vec<u8>) -> PartsMutation {
    p(move |ps| {
        let i = find(ps, before);
        ps.insert(i, protected(HANDSHAKE, &m));
    })
}

fn drop_msg(typ: u8) -> PartsMutation {
    p(move |ps| {
        let i = find(ps, typ);
        ps.remove(i);
    })
}

fn sh_ext(typ: u16, body: &[u8]) -> PartsMutation {
    let body = body.to_vec();
    msg(SERVER_HELLO, move |m| set_extension(m, false, typ, &body))
}

fn sh_add_ext(e: Vec<u8>) -> PartsMutation {
    msg(SERVER_HELLO, move |m| add_extension(m, false, &e))
}

/// EncryptedExtensions with this extension block body.
fn ee(block: &[u8]) -> PartsMutation {
    replace(
        ENCRYPTED_EXTENSIONS,
        hs(ENCRYPTED_EXTENSIONS, &vec16(block)),
    )
}

fn certificate13(context: &[u8], certs: &[&[u8]]) -> Vec<u8> {
    let mut list = Vec::new();
    for c in certs {
        list.extend_from_slice(&(c.len() as u32).to_be_bytes()[1..]);
        list.extend_from_slice(c);
        list.extend_from_slice(&[0, 0]);
    }
    let mut body = vec8(context);
    body.extend_from_slice(&(list.len() as u32).to_be_bytes()[1..]);
    body.extend_from_slice(&list);
    hs(CERTIFICATE, &body)
}

/// The real Certificate with the `extensions` field (length included) of
/// entry `index` replaced by `field`.
fn cert_entry_extensions(index: usize, field: &[u8]) -> PartsMutation {
    let field = field.to_vec();
    msg(CERTIFICATE, move |m| {
        // header (4), empty context (1), certificate_list length (3)
        let mut at = 4 + 1 + 3;
        for _ in 0..index {
            let cert_len = u32::from_be_bytes([0, m[at], m[at + 1], m[at + 2]]) as usize;
            at += 3 + cert_len;
            at += 2 + u16_at(m, at);
        }
        at += 3 + u32::from_be_bytes([0, m[at], m[at + 1], m[at + 2]]) as usize;
        let old = 2 + u16_at(m, at);
        splice(m, at, old, &field);
        bump_len(m, 5, 3, field.len() as i64 - old as i64);
    })
}

#[test]
#[rustfmt::skip] // one line per case
fn client_checks_every_part_of_the_server_hello() {
    let x = |k: Vec<u8>| [&[0, 0x1d][..], &vec16(&k)].concat();
    let sid = |m: &mut Vec<u8>| {
        let at = hello_layout(m, false).session_id;
        splice(m, at, 33, &vec8(&[0x55; 32]));
    };
    let cases: Vec<(&str, PartsMutation, Want)> = vec![
        ("unchanged", p(|_| {}), Want::Accept),
        ("no compatibility CCS", p(|ps| { ps.remove(1); }), Want::Accept),
        ("CCS before the ServerHello", p(|ps| { let c = ps.remove(1); ps.insert(0, c) }), Want::Accept),
        ("ServerHello in 1-byte records", p(|ps| { let sh = ps.remove(0); for (i, c) in sh.data.chunks(1).enumerate() { ps.insert(i, plain(HANDSHAKE, c)) } }), Want::Accept),
        ("flight in 3-byte records", p(|ps| { let rest: Vec<Part> = ps.drain(2..).collect(); for r in rest { for c in r.data.chunks(3) { ps.push(protected(HANDSHAKE, c)) } } }), Want::Accept),
        ("flight in one record", p(|ps| { let rest: Vec<u8> = ps.drain(2..).flat_map(|r| r.data).collect(); ps.push(protected(HANDSHAKE, &rest)) }), Want::Accept),
        // RFC 8446 §5: records of each type before the ServerHello.
        ("data before the ServerHello", p(|ps| ps.insert(0, plain(APPDATA, b"early"))), rej(PM::ApplicationDataBeforeHandshake, A::UnexpectedMessage)),
        ("heartbeat before the ServerHello", p(|ps| ps.insert(0, plain(24, &[1, 0, 0]))), rej(IM::UnknownContentType(24), A::UnexpectedMessage)),
        ("empty handshake record", p(|ps| ps.insert(0, plain(HANDSHAKE, &[]))), rej(IM::EmptyRecord(ferrotls::msgs::enums::ContentType::Handshake), A::UnexpectedMessage)),
        ("plaintext record of 2^14+1", p(|ps| ps.insert(0, plain(APPDATA, &vec![0; (1 << 14) + 1]))), rej(Error::RecordOverflow, A::RecordOverflow)),
        // Before a version is chosen, a warning is tolerated (and counted).
        ("warning alert before the ServerHello", p(|ps| ps.insert(0, plain(ALERT, &[1, 112]))), Want::Accept),
        ("close_notify before the ServerHello", p(|ps| ps.insert(0, plain(ALERT, &[1, 0]))), Want::Silent(Error::AlertReceived(A::CloseNotify))),
        // RFC 8446 §4.1.3, §4.2.1, Appendix D.5: versions.
        ("legacy_version 0x0300", msg(SERVER_HELLO, |m| m[4..6].copy_from_slice(&[3, 0])), rej(PM::LegacyVersionTooLow, A::ProtocolVersion)),
        ("legacy_version 0x0304", msg(SERVER_HELLO, |m| m[4..6].copy_from_slice(&[3, 4])), rej(PM::SelectedUnofferedVersion, A::IllegalParameter)),
        ("supported_versions TLS 1.2", sh_ext(43, &[3, 3]), rej(PM::SelectedUnofferedVersion, A::IllegalParameter)),
        ("supported_versions unknown", sh_ext(43, &[3, 5]), rej(PM::SelectedUnofferedVersion, A::IllegalParameter)),
        ("supported_versions GREASE", sh_ext(43, &[0x7a, 0x7a]), rej(PM::SelectedUnofferedVersion, A::IllegalParameter)),
        ("supported_versions list", sh_ext(43, &[2, 3, 4]), decode(IM::TrailingData("extension body"))),
        ("no supported_versions", msg(SERVER_HELLO, |m| { remove_extension(m, false, 43); }), rej(PI::NoCommonVersion, A::ProtocolVersion)),
        ("duplicate supported_versions", msg(SERVER_HELLO, |m| { let e = find_extension(m, false, 43).unwrap(); add_extension(m, false, &e) }), decode(IM::DuplicateExtension(ExtensionType::SupportedVersions))),
        // RFC 8446 §4.1.3: the other fields.
        ("wrong session_id echo", msg(SERVER_HELLO, sid), rej(PM::WrongSessionIdEcho, A::IllegalParameter)),
        ("session_id of 33 bytes", msg(SERVER_HELLO, |m| { let at = hello_layout(m, false).session_id; splice(m, at, 33, &vec8(&[1; 33])) }), decode(IM::InvalidLength("session_id"))),
        ("suite not offered", msg(SERVER_HELLO, |m| { let at = hello_layout(m, false).cipher_suites; m[at..at + 2].copy_from_slice(&[0x13, 0x02]) }), rej(PM::SelectedUnofferedCipherSuite, A::IllegalParameter)),
        ("TLS 1.2 suite", msg(SERVER_HELLO, |m| { let at = hello_layout(m, false).cipher_suites; m[at..at + 2].copy_from_slice(&[0xc0, 0x2f]) }), rej(PM::SelectedUnofferedCipherSuite, A::IllegalParameter)),
        ("GREASE suite", msg(SERVER_HELLO, |m| { let at = hello_layout(m, false).cipher_suites; m[at..at + 2].copy_from_slice(&[0x0a, 0x0a]) }), rej(PM::SelectedUnofferedCipherSuite, A::IllegalParameter)),
        ("compression 1", msg(SERVER_HELLO, |m| { let at = hello_layout(m, false).compression; m[at] = 1 }), rej(PM::NonZeroCompression, A::IllegalParameter)),
        ("extra byte at the end", msg(SERVER_HELLO, |m| m.push(0)), decode(IM::TrailingData("handshake message"))),
        // RFC 8446 §4.2.8: key_share.
        ("no key_share", msg(SERVER_HELLO, |m| { remove_extension(m, false, 51); }), rej(PI::MissingExtension(ExtensionType::KeyShare), A::MissingExtension)),
        ("share for a group not offered", sh_ext(51, &[&[0, 0x17][..], &vec16(&[4; 65])].concat()), rej(PM::SelectedUnofferedGroup, A::IllegalParameter)),
        ("x25519 share of 31 bytes", sh_ext(51, &x(vec![9; 31])), rej(PM::InvalidKeyShare, A::IllegalParameter)),
        ("x25519 share of zeros", sh_ext(51, &x(vec![0; 32])), rej(PM::InvalidKeyShare, A::IllegalParameter)),
        ("empty key_exchange", sh_ext(51, &x(vec![])), decode(IM::EmptyList("key_exchange"))),
        ("key_share of a retry request", sh_ext(51, &[0, 0x1d]), decode(IM::MessageTooShort)),
        // RFC 8446 §4.2: extensions the client did not offer, or in the wrong message.
        ("GREASE extension", sh_add_ext(ext(0x0a0a, &[])), rej(PM::SentUnsolicitedExtension(ExtensionType::Unknown(0x0a0a)), A::UnsupportedExtension)),
        ("pre_shared_key not offered", sh_add_ext(ext(41, &[0, 0])), rej(PM::SentUnsolicitedExtension(ExtensionType::PreSharedKey), A::UnsupportedExtension)),
        ("cookie in a ServerHello", sh_add_ext(ext(44, &vec16(&[1]))), rej(PM::SentExtensionInWrongMessage(ExtensionType::Cookie), A::IllegalParameter)),
        ("server_name in a ServerHello", sh_add_ext(ext(0, &[])), rej(PM::SentExtensionInWrongMessage(ExtensionType::ServerName), A::IllegalParameter)),
        ("supported_groups in a ServerHello", sh_add_ext(ext(10, &vec16(&[0, 0x1d]))), rej(PM::SentExtensionInWrongMessage(ExtensionType::SupportedGroups), A::IllegalParameter)),
        // RFC 8446 §5.1: no message may span the key change after the ServerHello.
        ("ServerHello and a partial message", p(|ps| ps[0].data.extend_from_slice(&[ENCRYPTED_EXTENSIONS, 0])), rej(PM::HandshakeDataAcrossKeyChange, A::UnexpectedMessage)),
    ];
    each_case(
        &cases,
        |c| c.0.to_string(),
        |(name, mutate, want)| client_case(name, mutate.as_ref(), want),
    );
}

#[test]
fn client_refuses_every_truncation_and_length_error_of_the_server_hello() {
    let (cc, sc) = configs();
    let (_, parts) = server_flight(cc, sc);
    let sh = parts[0].data.clone();
    let no_extensions = hello_layout(&sh, false).extensions.unwrap();
    let cuts: Vec<usize> = (4..sh.len()).collect();
    each_case(
        cuts,
        |c| format!("cut at {c}"),
        |&cut| {
            let want = match cut == no_extensions {
                true => rej(PI::NoCommonVersion, A::ProtocolVersion),
                false => decode(IM::MessageTooShort),
            };
            let m = move |ps: &mut Vec<Part>| {
                ps[0].data.truncate(cut);
                fix_len(&mut ps[0].data);
            };
            client_case(&format!("cut at {cut}"), &m, &want);
        },
    );
    let fields: Vec<_> = hello_length_fields(&sh, false)
        .into_iter()
        .flat_map(|f| [(f.clone(), -1i64), (f, 1)])
        .collect();
    each_case(
        fields,
        |c| format!("{:?}", c),
        |((at, width, what), delta)| {
            let (at, width, delta) = (*at, *width, *delta);
            let (cc, sc) = configs();
            let (mut m, mut parts) = server_flight(cc, sc);
            bump_len(&mut parts[0].data, at, width, delta);
            let res = m.send_to_client(&parts[..1]);
            let alerts = m.client_alerts();
            if at == 1 && delta == 1 {
                // The message now ends past the record: wait for the rest.
                assert_eq!((res, alerts), (Ok(()), vec![]), "{what} {delta:+}");
                return;
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
        },
    );
}

#[test]
#[rustfmt::skip] // one line per case
fn client_checks_the_encrypted_flight() {
    let other_pki = TestPki::get(KeyType::Ed25519);
    let foreign_leaf = other_pki.chain[0].as_ref().to_vec();
    let cr = hs(
        CERTIFICATE_REQUEST,
        &[&[0][..], &vec16(&ext(13, &vec16(&[4, 3])))].concat(),
    );
    let nst = hs(
        NEW_SESSION_TICKET,
        &[&[0, 0, 0, 9, 0, 0, 0, 1, 0][..], &vec16(&[1, 2]), &[0, 0]].concat(),
    );
    let cases: Vec<(&str, PartsMutation, Want)> = vec![
        // RFC 8446 §4.3.1: EncryptedExtensions.
        // Accepted: the failure comes at the signature, which covered the real one.
        ("EncryptedExtensions empty", ee(&[]), rej(PM::BadCertificateVerifySignature, A::DecryptError)),
        ("EncryptedExtensions with key_share", ee(&ext(51, &[0, 0x1d, 0, 1, 9])), rej(PM::SentExtensionInWrongMessage(ExtensionType::KeyShare), A::IllegalParameter)),
        ("EncryptedExtensions with supported_versions", ee(&ext(43, &[3, 4])), rej(PM::SentExtensionInWrongMessage(ExtensionType::SupportedVersions), A::IllegalParameter)),
        ("EncryptedExtensions with GREASE", ee(&ext(0x3a3a, &[])), rej(PM::SentUnsolicitedExtension(ExtensionType::Unknown(0x3a3a)), A::UnsupportedExtension)),
        ("EncryptedExtensions with ALPN unasked", ee(&ext(16, &vec16(&vec8(b"h2")))), rej(PM::SentUnsolicitedExtension(ExtensionType::Alpn), A::UnsupportedExtension)),
        ("EncryptedExtensions with early_data unasked", ee(&ext(42, &[])), rej(PM::SentUnsolicitedExtension(ExtensionType::EarlyData), A::UnsupportedExtension)),
        ("EncryptedExtensions with server_name twice", ee(&[ext(0, &[]), ext(0, &[])].concat()), decode(IM::DuplicateExtension(ExtensionType::ServerName))),
        ("EncryptedExtensions with server_name data", ee(&ext(0, &[0])), decode(IM::TrailingData("extension body"))),
        ("EncryptedExtensions truncated", replace(ENCRYPTED_EXTENSIONS, hs(ENCRYPTED_EXTENSIONS, &[0])), decode(IM::MessageTooShort)),
        ("EncryptedExtensions extra byte", replace(ENCRYPTED_EXTENSIONS, hs(ENCRYPTED_EXTENSIONS, &[0, 0, 0])), decode(IM::TrailingData("handshake message"))),
        // RFC 8446 §4.4.2: Certificate.
        ("Certificate empty", replace(CERTIFICATE, certificate13(&[], &[])), rej(PM::EmptyCertificateList, A::DecodeError)),
        ("Certificate with a context", msg(CERTIFICATE, |m| { m[4] = 1; m.insert(5, 7) }), rej(PM::CertificateContextNotEmpty, A::IllegalParameter)),
        ("Certificate not DER", replace(CERTIFICATE, certificate13(&[], &[b"junk"])), rej(CertificateError::BadEncoding, A::BadCertificate)),
        ("Certificate from another CA", replace(CERTIFICATE, certificate13(&[], &[&foreign_leaf])), rej(CertificateError::UnknownIssuer, A::UnknownCa)),
        ("Certificate entry empty", replace(CERTIFICATE, certificate13(&[], &[b""])), decode(IM::EmptyList("cert_data"))),
        ("Certificate of 17 entries", replace(CERTIFICATE, certificate13(&[], &[&b"x"[..]; 17])), decode(IM::InvalidLength("certificate_list: too many certificates"))),
        ("Certificate truncated", msg(CERTIFICATE, |m| { m.pop(); }), decode(IM::MessageTooShort)),
        // RFC 8446 §4.4.2, §4.2: CertificateEntry extensions must answer ours; we offer none.
        ("Certificate entry with an empty extension block", cert_entry_extensions(0, &[0, 0]), Want::Accept),
        ("Certificate entry with status_request unasked", cert_entry_extensions(0, &vec16(&ext(5, &[&[1][..], &[0, 0, 3], &[0x30, 1, 0]].concat()))), rej(PM::SentUnsolicitedExtension(ExtensionType::StatusRequest), A::UnsupportedExtension)),
        ("Certificate entry with SCTs unasked", cert_entry_extensions(0, &vec16(&ext(18, &vec16(&vec16(b"sct"))))), rej(PM::SentUnsolicitedExtension(ExtensionType::SignedCertificateTimestamp), A::UnsupportedExtension)),
        ("Certificate intermediate with status_request unasked", cert_entry_extensions(1, &vec16(&ext(5, &[&[1][..], &[0, 0, 1], &[0x30]].concat()))), rej(PM::SentUnsolicitedExtension(ExtensionType::StatusRequest), A::UnsupportedExtension)),
        ("Certificate entry with server_name", cert_entry_extensions(0, &vec16(&ext(0, &[]))), rej(PM::SentExtensionInWrongMessage(ExtensionType::ServerName), A::IllegalParameter)),
        ("Certificate entry with key_share", cert_entry_extensions(0, &vec16(&ext(51, &[0, 0x1d, 0, 1, 9]))), rej(PM::SentExtensionInWrongMessage(ExtensionType::KeyShare), A::IllegalParameter)),
        ("Certificate entry with GREASE", cert_entry_extensions(0, &vec16(&ext(0x3a3a, &[]))), rej(PM::SentUnsolicitedExtension(ExtensionType::Unknown(0x3a3a)), A::UnsupportedExtension)),
        ("Certificate entry with an extension block of 1 byte", cert_entry_extensions(0, &[0, 1, 0]), decode(IM::MessageTooShort)),
        ("Certificate entry with status_request twice", cert_entry_extensions(0, &vec16(&[ext(5, &[1, 0, 0, 1, 0x30]), ext(5, &[1, 0, 0, 1, 0x30])].concat())), decode(IM::DuplicateExtension(ExtensionType::StatusRequest))),
        ("Certificate entry with an empty OCSP response", cert_entry_extensions(0, &vec16(&ext(5, &[1, 0, 0, 0]))), decode(IM::EmptyList("OCSPResponse"))),
        // RFC 8446 §4.4.3: CertificateVerify.
        ("CertificateVerify scheme not offered", msg(CERTIFICATE_VERIFY, |m| m[4..6].copy_from_slice(&[4, 1])), rej(PM::SelectedUnofferedSignatureScheme, A::IllegalParameter)),
        ("CertificateVerify scheme of another key", msg(CERTIFICATE_VERIFY, |m| m[4..6].copy_from_slice(&[8, 7])), rej(PM::BadCertificateVerifySignature, A::DecryptError)),
        ("CertificateVerify signature flipped", msg(CERTIFICATE_VERIFY, |m| { let l = m.len(); m[l - 1] ^= 1 }), rej(PM::BadCertificateVerifySignature, A::DecryptError)),
        ("CertificateVerify signature empty", replace(CERTIFICATE_VERIFY, hs(CERTIFICATE_VERIFY, &[4, 3, 0, 0])), decode(IM::EmptyList("signature"))),
        ("CertificateVerify truncated", replace(CERTIFICATE_VERIFY, hs(CERTIFICATE_VERIFY, &[4])), decode(IM::MessageTooShort)),
        // RFC 8446 §4.4.4: Finished.
        ("Finished of 31 bytes", msg(FINISHED, |m| { m.pop(); }), decode(IM::InvalidLength("Finished verify_data"))),
        ("Finished of 33 bytes", msg(FINISHED, |m| m.push(0)), decode(IM::InvalidLength("Finished verify_data"))),
        // RFC 8446 §4: order.
        ("no EncryptedExtensions", drop_msg(ENCRYPTED_EXTENSIONS), Want::Unexpected(HandshakeType::Certificate)),
        ("no Certificate", drop_msg(CERTIFICATE), Want::Unexpected(HandshakeType::CertificateVerify)),
        ("no CertificateVerify", drop_msg(CERTIFICATE_VERIFY), Want::Unexpected(HandshakeType::Finished)),
        ("no Finished, data", p(|ps| { ps.pop(); ps.push(protected(APPDATA, b"hi")) }), rej(PM::ApplicationDataBeforeHandshake, A::UnexpectedMessage)),
        ("two EncryptedExtensions", insert_before(CERTIFICATE, hs(ENCRYPTED_EXTENSIONS, &[0, 0])), Want::Unexpected(HandshakeType::EncryptedExtensions)),
        ("two Certificates", insert_before(CERTIFICATE_VERIFY, certificate13(&[], &[b"x"])), Want::Unexpected(HandshakeType::Certificate)),
        ("CertificateRequest", insert_before(CERTIFICATE, cr.clone()), rej(PM::BadCertificateVerifySignature, A::DecryptError)),
        ("two CertificateRequests", p({ let cr = cr.clone(); move |ps| { let i = find(ps, CERTIFICATE); ps.insert(i, protected(HANDSHAKE, &cr)); ps.insert(i, protected(HANDSHAKE, &cr)) } }), Want::Unexpected(HandshakeType::CertificateRequest)),
        ("CertificateRequest after Certificate", insert_before(CERTIFICATE_VERIFY, cr.clone()), Want::Unexpected(HandshakeType::CertificateRequest)),
        ("CertificateRequest before EncryptedExtensions", insert_before(ENCRYPTED_EXTENSIONS, cr.clone()), Want::Unexpected(HandshakeType::CertificateRequest)),
        ("NewSessionTicket before Finished", insert_before(FINISHED, nst.clone()), Want::Unexpected(HandshakeType::NewSessionTicket)),
        ("KeyUpdate before Finished", insert_before(FINISHED, hs(KEY_UPDATE, &[0])), Want::Unexpected(HandshakeType::KeyUpdate)),
        ("ServerHello again", insert_before(ENCRYPTED_EXTENSIONS, parts_sh()), Want::Unexpected(HandshakeType::ServerHello)),
        ("EndOfEarlyData", insert_before(CERTIFICATE, hs(END_OF_EARLY_DATA, &[])), Want::Unexpected(HandshakeType::EndOfEarlyData)),
        ("HelloRequest", insert_before(CERTIFICATE, hs(HELLO_REQUEST, &[])), Want::Unexpected(HandshakeType::HelloRequest)),
        ("unknown message", insert_before(CERTIFICATE, hs(99, &[])), Want::Unexpected(HandshakeType::Unknown(99))),
        // RFC 8446 §5: records.
        ("EncryptedExtensions in plaintext", p(|ps| { let i = find(ps, ENCRYPTED_EXTENSIONS); ps[i].protected = false }), rej(Error::InappropriateMessage { expected: "an encrypted record", got: ferrotls::msgs::enums::ContentType::Handshake, }, A::UnexpectedMessage)),
        ("data before Finished", insert_data_before(FINISHED), rej(PM::ApplicationDataBeforeHandshake, A::UnexpectedMessage)),
        ("0.5-RTT data after Finished", p(|ps| ps.push(protected(APPDATA, b"half a round trip"))), Want::Accept),
        ("protected CCS", p(|ps| { let i = find(ps, CERTIFICATE); ps.insert(i, protected(CCS, &[1])) }), rej(PM::IllegalChangeCipherSpec, A::UnexpectedMessage)),
        ("two CCS", p(|ps| ps.insert(1, plain(CCS, &[1]))), Want::Accept),
        ("three CCS", p(|ps| { ps.insert(1, plain(CCS, &[1])); ps.insert(1, plain(CCS, &[1])) }), rej(PM::TooManyChangeCipherSpecs, A::UnexpectedMessage)),
        ("plaintext fatal alert", p(|ps| ps.insert(2, plain(ALERT, &[2, 40]))), Want::Silent(Error::AlertReceived(A::HandshakeFailure))),
        ("protected fatal alert", p(|ps| { let i = find(ps, CERTIFICATE); ps.insert(i, protected(ALERT, &[2, 80])) }), Want::Silent(Error::AlertReceived(A::InternalError))),
        ("Finished and a partial message", p(|ps| ps[5].data.extend_from_slice(&[NEW_SESSION_TICKET, 0])), rej(PM::HandshakeDataAcrossKeyChange, A::UnexpectedMessage)),
    ];
    each_case(
        &cases,
        |c| c.0.to_string(),
        |(name, mutate, want)| client_case(name, mutate.as_ref(), want),
    );
}

/// The server's flight with `cr` before its Certificate, and the
/// CertificateVerify and Finished made again over the changed transcript
/// (signed with the server's key, keyed with the handshake secret it
/// logged), so only what the CertificateRequest says decides the outcome.
fn flight_with_certificate_request(cr: &[u8]) -> (Mitm, Vec<Part>) {
    let (cc, sc) = configs();
    let mut m = Mitm::new(cc, sc, true);
    let first = m.client_wrote();
    m.send_to_server(&first).unwrap();
    let mut parts = m.server_wrote();
    let i = find(&parts, CERTIFICATE);
    parts.insert(i, protected(HANDSHAKE, cr));
    let suite = tls13_suite(CipherSuite::TLS_AES_128_GCM_SHA256).unwrap();
    // RFC 8446 §4.4.1: the transcript hash up to (not including) `before`.
    let transcript = |parts: &[Part], before: u8| {
        let mut bytes = first[find(&first, CLIENT_HELLO)].data.clone();
        for p in parts.iter().filter(|p| p.hs_type().is_some()) {
            if p.hs_type() == Some(before) {
                break;
            }
            bytes.extend_from_slice(&p.data);
        }
        suite.hash.hash(&bytes)
    };
    // RFC 8446 §4.4.3: CertificateVerify over ClientHello..Certificate.
    let key = load_private_key(&TestPki::get(KeyType::EcdsaP256).key).unwrap();
    let scheme = SignatureScheme::ECDSA_NISTP256_SHA256;
    let message = signed_message(
        SERVER_SIGNATURE_CONTEXT,
        &transcript(&parts, CERTIFICATE_VERIFY),
    );
    let signature = key.sign(scheme, &message).unwrap();
    let cv = find(&parts, CERTIFICATE_VERIFY);
    parts[cv].data = hs(
        CERTIFICATE_VERIFY,
        &[&scheme.to_wire().to_be_bytes()[..], &vec16(&signature)].concat(),
    );
    // RFC 8446 §4.4.4: Finished over ClientHello..CertificateVerify.
    let secret = m
        .server_keys
        .get("SERVER_HANDSHAKE_TRAFFIC_SECRET")
        .unwrap();
    let verify_data = finished_verify_data(suite, &secret, &transcript(&parts, FINISHED));
    let fin = find(&parts, FINISHED);
    parts[fin].data = hs(FINISHED, &verify_data);
    (m, parts)
}

/// RFC 8446 §4.3.2: a CertificateRequest, answered (we have no client
/// certificate) with an empty Certificate and a Finished covering it.
#[test]
#[rustfmt::skip] // one line per case
fn client_answers_a_certificate_request() {
    let cr = |exts: &[u8]| hs(CERTIFICATE_REQUEST, &[&[0][..], &vec16(exts)].concat());
    let cases: Vec<(&str, Vec<u8>, Want)> = vec![
        ("signature_algorithms", cr(&ext(13, &vec16(&[4, 3]))), Want::Accept),
        ("signature_algorithms and certificate_authorities", cr(&[ext(47, &vec16(&vec16(&[0x30, 0]))), ext(13, &vec16(&[4, 3]))].concat()), Want::Accept),
        // RFC 8446 §4.3.2: "The "signature_algorithms" extension MUST be specified".
        ("no extensions", cr(&[]), rej(PI::MissingExtension(ExtensionType::SignatureAlgorithms), A::MissingExtension)),
        ("certificate_authorities only", cr(&ext(47, &vec16(&vec16(&[0x30, 0])))), rej(PI::MissingExtension(ExtensionType::SignatureAlgorithms), A::MissingExtension)),
        ("signature_algorithms empty", cr(&ext(13, &vec16(&[]))), decode(IM::EmptyList("signature_algorithms"))),
        ("an unknown extension too", cr(&[ext(0x5a5a, &[1]), ext(13, &vec16(&[4, 3]))].concat()), Want::Accept),
        // RFC 8446 §4.2: known, but not a CertificateRequest extension.
        ("key_share", cr(&[ext(13, &vec16(&[4, 3])), ext(51, &vec16(&[]))].concat()), rej(PM::SentExtensionInWrongMessage(ExtensionType::KeyShare), A::IllegalParameter)),
        ("supported_versions", cr(&[ext(43, &vec8(&[3, 4])), ext(13, &vec16(&[4, 3]))].concat()), rej(PM::SentExtensionInWrongMessage(ExtensionType::SupportedVersions), A::IllegalParameter)),
        // RFC 8446 §4.3.2: an empty context during the handshake.
        ("a context", hs(CERTIFICATE_REQUEST, &[&[1, 7][..], &vec16(&ext(13, &vec16(&[4, 3])))].concat()), rej(PM::CertificateContextNotEmpty, A::IllegalParameter)),
    ];
    each_case(
        &cases,
        |c| c.0.to_string(),
        |(name, cr, want)| {
            let (mut m, parts) = flight_with_certificate_request(cr);
            let res = m.send_to_client(&parts);
            let wrote = m.client_wrote();
            let alerts: Vec<_> = wrote.iter().filter_map(Part::alert).collect();
            check_failure(name, res, &alerts, want);
            if let Want::Accept = want {
                assert!(!m.client.is_handshaking(), "{name}");
                // RFC 8446 §4.4.2: the request's (empty) context, no certificates.
                let certificate = &wrote[find(&wrote, CERTIFICATE)];
                assert_eq!(certificate.data, hs(CERTIFICATE, &[0, 0, 0, 0]), "{name}");
                assert_eq!(find(&wrote, FINISHED), find(&wrote, CERTIFICATE) + 1, "{name}");
            }
        },
    );
}

/// A copy of the real ServerHello.
fn parts_sh() -> Vec<u8> {
    let (cc, sc) = configs();
    server_flight(cc, sc).1[0].data.clone()
}

fn insert_data_before(typ: u8) -> PartsMutation {
    p(move |ps| {
        let i = find(ps, typ);
        ps.insert(i, protected(APPDATA, b"too early"));
    })
}

#[test]
fn client_refuses_each_bit_of_the_servers_finished_flipped() {
    for bit in 0..256 {
        let flip = move |ps: &mut Vec<Part>| ps[5].data[4 + bit / 8] ^= 1 << (bit % 8);
        client_case(
            &format!("bit {bit}"),
            &flip,
            &rej(PM::BadFinished, A::DecryptError),
        );
    }
}

#[test]
#[rustfmt::skip] // one line per case
fn client_checks_hello_retry_requests() {
    // The client offers x25519 and secp256r1 but a share for x25519 only.
    let retry_configs = || {
        let (mut cc, sc) = configs();
        cc.groups = vec![NamedGroup::X25519, NamedGroup::secp256r1];
        cc.cipher_suites = vec![
            CipherSuite::TLS_AES_128_GCM_SHA256,
            CipherSuite::TLS_AES_256_GCM_SHA384,
        ];
        (cc, sc)
    };
    let hrr = |session_id: &[u8], suite: [u8; 2], exts: &[u8]| {
        let body = [
            &[3, 3][..],
            &HRR_RANDOM,
            &vec8(session_id),
            &suite,
            &[0],
            &vec16(exts),
        ]
        .concat();
        hs(SERVER_HELLO, &body)
    };
    let sv = ext(43, &[3, 4]);
    let p256 = ext(51, &[0, 0x17]);
    type Hrr = Box<dyn Fn(&[u8]) -> Vec<Vec<u8>>>;
    let h = |f: Hrr| f;
    let cases: Vec<(&str, Hrr, Want)> = vec![
        ("a valid retry", h(Box::new({ let (sv, p256) = (sv.clone(), p256.clone()); move |sid| vec![hrr(sid, [0x13, 1], &[sv.clone(), p256.clone()].concat())] })), Want::Accept),
        ("two retries", h(Box::new({ let (sv, p256) = (sv.clone(), p256.clone()); move |sid| vec![hrr(sid, [0x13, 1], &[sv.clone(), p256.clone()].concat()); 2] })), rej(PM::SecondHelloRetryRequest, A::UnexpectedMessage)),
        ("retry for the group already shared", h(Box::new({ let sv = sv.clone(); move |sid| { vec![hrr(sid, [0x13, 1], &[sv.clone(), ext(51, &[0, 0x1d])].concat())] } })), rej(PM::HelloRetryRequestForOfferedKeyShare, A::IllegalParameter)),
        ("retry for a group not offered", h(Box::new({ let sv = sv.clone(); move |sid| { vec![hrr(sid, [0x13, 1], &[sv.clone(), ext(51, &[0, 0x18])].concat())] } })), rej(PM::SelectedUnofferedGroup, A::IllegalParameter)),
        ("retry that changes nothing", h(Box::new({ let sv = sv.clone(); move |sid| vec![hrr(sid, [0x13, 1], &sv)] })), rej(PM::HelloRetryRequestChangesNothing, A::IllegalParameter)),
        ("retry with a suite not offered", h(Box::new({ let (sv, p256) = (sv.clone(), p256.clone()); move |sid| vec![hrr(sid, [0x13, 3], &[sv.clone(), p256.clone()].concat())] })), rej(PM::SelectedUnofferedCipherSuite, A::IllegalParameter)),
        ("retry with GREASE", h(Box::new({ let (sv, p256) = (sv.clone(), p256.clone()); move |sid| { vec![hrr(sid, [0x13, 1], &[sv.clone(), p256.clone(), ext(0x4a4a, &[])].concat())] } })), rej(PM::SentUnsolicitedExtension(ExtensionType::Unknown(0x4a4a)), A::UnsupportedExtension)),
        ("retry with a cookie", h(Box::new({ let sv = sv.clone(); move |sid| { vec![hrr(sid, [0x13, 1], &[sv.clone(), ext(44, &vec16(&[1, 2]))].concat())] } })), Want::Accept),
        ("retry with an empty cookie", h(Box::new({ let sv = sv.clone(); move |sid| { vec![hrr(sid, [0x13, 1], &[sv.clone(), ext(44, &vec16(&[]))].concat())] } })), decode(IM::EmptyList("cookie"))),
        ("retry with a wrong session_id", h(Box::new({ let (sv, p256) = (sv.clone(), p256.clone()); move |_| { vec![hrr(&[1; 32], [0x13, 1], &[sv.clone(), p256.clone()].concat())] } })), rej(PM::WrongSessionIdEcho, A::IllegalParameter)),
        ("retry then ServerHello with another suite", h(Box::new({ let (sv, p256) = (sv.clone(), p256.clone()); move |sid| { let sh = hs(SERVER_HELLO, &[&[3, 3][..], &[5; 32], &vec8(sid), &[0x13, 2, 0], &vec16(&[sv.clone(), ext(51, &[&[0, 0x17][..], &vec16(&[4; 65])].concat())].concat())].concat()); vec![hrr(sid, [0x13, 1], &[sv.clone(), p256.clone()].concat()), sh] } })), rej(PM::SelectedUnofferedCipherSuite, A::IllegalParameter)),
        ("retry then ServerHello with the old group", h(Box::new({ let (sv, p256) = (sv.clone(), p256.clone()); move |sid| { let sh = hs(SERVER_HELLO, &[&[3, 3][..], &[5; 32], &vec8(sid), &[0x13, 1, 0], &vec16(&[sv.clone(), ext(51, &[&[0, 0x1d][..], &vec16(&[9; 32])].concat())].concat())].concat()); vec![hrr(sid, [0x13, 1], &[sv.clone(), p256.clone()].concat()), sh] } })), rej(PM::SelectedUnofferedGroup, A::IllegalParameter)),
        ("retry then a TLS 1.2 ServerHello", h(Box::new({ let (sv, p256) = (sv.clone(), p256.clone()); move |sid| { let sh = hs(SERVER_HELLO, &[&[3, 3][..], &[5; 32], &vec8(sid), &[0xc0, 0x2f, 0], &vec16(&[])].concat()); vec![hrr(sid, [0x13, 1], &[sv.clone(), p256.clone()].concat()), sh] } })), rej(PM::SelectedUnofferedVersion, A::IllegalParameter)),
    ];
    each_case(
        &cases,
        |c| c.0.to_string(),
        |(name, make, want)| {
            let (cc, sc) = retry_configs();
            let mut m = Mitm::new(cc, sc, true);
            let ch = m.client_wrote();
            let sid = {
                let l = hello_layout(&ch[0].data, true);
                ch[0].data[l.session_id + 1..l.cipher_suites].to_vec()
            };
            let msgs = make(&sid);
            let parts: Vec<Part> = msgs.iter().map(|m| plain(HANDSHAKE, m)).collect();
            let res = m.send_to_client(&parts);
            let out = m.client_wrote();
            let alerts: Vec<_> = out.iter().filter_map(Part::alert).collect();
            check_failure(name, res, &alerts, want);
            if let Want::Accept = want {
                // RFC 8446 §4.1.2: CCS, then the second hello with a P-256 share.
                assert_eq!(out[0].typ, CCS, "{name}");
                let ch2 = &out[1].data;
                let ks = find_extension(ch2, true, 51).unwrap();
                let group = if name.contains("cookie") {
                    [0, 0x1d]
                } else {
                    [0, 0x17]
                };
                assert_eq!(ks[6..8], group, "{name}");
                assert_eq!(
                    find_extension(ch2, true, 44).is_some(),
                    name.contains("cookie"),
                    "{name}"
                );
            }
        },
    );
}

// ------------------------------------------------- after the handshake

fn connected() -> Mitm {
    let (cc, sc) = configs();
    let mut m = Mitm::new(cc, sc, true);
    m.handshake().unwrap();
    // Tickets the server sent are read by the client.
    m.pass_to_client().unwrap();
    m
}

#[test]
#[rustfmt::skip] // one line per case
fn post_handshake_messages() {
    use std::io::Read;
    let big = vec![1u8; (1 << 14) + 1];
    let nst = |ticket: &[u8], exts: &[u8]| {
        hs(
            NEW_SESSION_TICKET,
            &[
                &[0, 0, 0, 9, 0, 0, 0, 1, 1, 5][..],
                &vec16(ticket),
                &vec16(exts),
            ]
            .concat(),
        )
    };
    // (name, from the server?, what is sent, want)
    let cases: Vec<(&str, bool, Vec<Part>, Want)> = vec![
        ("KeyUpdate, then data", true, vec![protected(HANDSHAKE, &hs(KEY_UPDATE, &[0])), protected(APPDATA, b"after")], Want::Accept),
        ("KeyUpdate requested", true, vec![protected(HANDSHAKE, &hs(KEY_UPDATE, &[1]))], Want::Accept),
        ("KeyUpdate request 2", true, vec![protected(HANDSHAKE, &hs(KEY_UPDATE, &[2]))], rej(IM::InvalidValue("KeyUpdate request"), A::IllegalParameter)),
        ("KeyUpdate empty", true, vec![protected(HANDSHAKE, &hs(KEY_UPDATE, &[]))], decode(IM::MessageTooShort)),
        ("KeyUpdate of 2 bytes", true, vec![protected(HANDSHAKE, &hs(KEY_UPDATE, &[0, 0]))], decode(IM::TrailingData("handshake message"))),
        ("KeyUpdate and more in one record", true, vec![protected(HANDSHAKE, &[hs(KEY_UPDATE, &[0]), hs(KEY_UPDATE, &[0])].concat())], rej(PM::HandshakeDataAcrossKeyChange, A::UnexpectedMessage)),
        ("NewSessionTicket", true, vec![protected(HANDSHAKE, &nst(&[1, 2, 3], &[]))], Want::Accept),
        ("NewSessionTicket with GREASE", true, vec![protected(HANDSHAKE, &nst(&[1], &ext(0x5a5a, &[])))], Want::Accept),
        ("NewSessionTicket empty ticket", true, vec![protected(HANDSHAKE, &nst(&[], &[]))], decode(IM::EmptyList("ticket"))),
        ("NewSessionTicket duplicate extension", true, vec![protected(HANDSHAKE, &nst(&[1], &[ext(42, &[0, 0, 0, 1]), ext(42, &[0, 0, 0, 1])].concat()))], decode(IM::DuplicateExtension(ExtensionType::EarlyData))),
        ("NewSessionTicket from a client", false, vec![protected(HANDSHAKE, &nst(&[1], &[]))], Want::Unexpected(HandshakeType::NewSessionTicket)),
        ("HelloRequest", true, vec![protected(HANDSHAKE, &hs(HELLO_REQUEST, &[]))], Want::Unexpected(HandshakeType::HelloRequest)),
        ("CertificateRequest", true, vec![protected(HANDSHAKE, &hs(CERTIFICATE_REQUEST, &[&[0][..], &vec16(&ext(13, &vec16(&[4, 3])))].concat()))], Want::Unexpected(HandshakeType::CertificateRequest)),
        ("ClientHello to the server", false, vec![protected(HANDSHAKE, &client_hello(configs().0))], Want::Unexpected(HandshakeType::ClientHello)),
        ("Finished again", false, vec![protected(HANDSHAKE, &hs(FINISHED, &[0; 32]))], Want::Unexpected(HandshakeType::Finished)),
        ("CCS", true, vec![plain(CCS, &[1])], rej(PM::IllegalChangeCipherSpec, A::UnexpectedMessage)),
        ("CCS to the server", false, vec![plain(CCS, &[1])], rej(PM::IllegalChangeCipherSpec, A::UnexpectedMessage)),
        ("protected CCS", true, vec![protected(CCS, &[1])], rej(PM::IllegalChangeCipherSpec, A::UnexpectedMessage)),
        ("plaintext alert", true, vec![plain(ALERT, &[2, 40])], rej(Error::InappropriateMessage { expected: "an encrypted record", got: ferrotls::msgs::enums::ContentType::Alert, }, A::UnexpectedMessage)),
        ("plaintext data", false, vec![plain(APPDATA, b"data")], rej(Error::DecryptError, A::BadRecordMac)),
        ("warning alert", true, vec![protected(ALERT, &[1, 112])], Want::Silent(Error::AlertReceived(A::UnrecognizedName))),
        ("user_canceled", true, vec![protected(ALERT, &[1, 90])], Want::Accept),
        ("2^14 bytes of data", true, vec![protected(APPDATA, &big[1..])], Want::Accept),
        ("2^14+1 bytes of data", true, vec![protected(APPDATA, &big)], rej(Error::RecordOverflow, A::RecordOverflow)),
        ("2^14+1 bytes to the server", false, vec![protected(APPDATA, &big)], rej(Error::RecordOverflow, A::RecordOverflow)),
        ("handshake message over two records", true, vec![protected(HANDSHAKE, &hs(KEY_UPDATE, &[0])[..2]), protected(HANDSHAKE, &hs(KEY_UPDATE, &[0])[2..])], Want::Accept),
        ("data inside a handshake message", true, vec![protected(HANDSHAKE, &hs(KEY_UPDATE, &[0])[..2]), protected(APPDATA, b"x")], rej(Error::InappropriateMessage { expected: "the rest of a handshake message", got: ferrotls::msgs::enums::ContentType::ApplicationData, }, A::UnexpectedMessage)),
        ("close_notify, then anything", true, vec![protected(ALERT, &[1, 0]), protected(99, b"ignored")], Want::Accept),
    ];
    // Each case through read_tls, then again through open_in_place: the
    // same alerts and errors either way.
    let cases: Vec<_> = [false, true]
        .into_iter()
        .flat_map(|in_place| cases.iter().map(move |c| (in_place, c)))
        .collect();
    each_case(
        &cases,
        |(in_place, c)| format!("{}{}", c.0, if *in_place { " (in place)" } else { "" }),
        |(in_place, (name, from_server, parts, want))| {
            let mut m = connected();
            m.in_place = *in_place;
            let (res, alerts) = match from_server {
                true => (m.send_to_client(parts), m.client_alerts()),
                false => (m.send_to_server(parts), m.server_alerts()),
            };
            check_failure(name, res, &alerts, want);
            if let (Want::Accept, true, false) = (want, *from_server, *in_place) {
                let mut buf = vec![0u8; 1 << 15];
                let n = m.client.reader().read(&mut buf).unwrap_or(0);
                let sent: usize = parts
                    .iter()
                    .filter(|p| p.typ == APPDATA)
                    .map(|p| p.data.len())
                    .sum();
                assert_eq!(n, sent, "{name}");
            }
        },
    );
}

#[test]
fn client_refuses_every_truncation_of_each_encrypted_message() {
    // The handshake header's length is fixed up, the inner ones are not:
    // every cut is a decode_error, except of Finished, whose verify_data
    // is then simply wrong (RFC 8446 §4.4.4).
    let (_, parts) = server_flight(configs().0, configs().1);
    let cuts: Vec<(usize, usize)> = (2..parts.len())
        .flat_map(|i| (1..parts[i].data.len() - 3).map(move |cut| (i, cut)))
        .collect();
    assert!(cuts.len() > 500, "{}", cuts.len());
    each_case(
        cuts,
        |c| format!("{c:?}"),
        |&(i, cut)| {
            let (mut m, mut parts) = server_flight(configs().0, configs().1);
            let typ = parts[i].data[0];
            let keep = parts[i].data.len().saturating_sub(cut).max(4);
            parts[i].data.truncate(keep);
            fix_len(&mut parts[i].data);
            let res = m.send_to_client(&parts);
            let alerts = m.client_alerts();
            let want = match typ {
                FINISHED => decode(IM::InvalidLength("Finished verify_data")),
                _ => decode(IM::MessageTooShort),
            };
            check_failure(
                &format!("message {typ} less {cut} bytes"),
                res,
                &alerts,
                &want,
            );
        },
    );
}

#[test]
fn server_refuses_every_truncation_of_the_clients_finished() {
    let (_, parts) = client_second_flight(configs().0, configs().1);
    let cuts: Vec<usize> = (4..parts[1].data.len()).collect();
    each_case(
        cuts,
        |c| format!("cut at {c}"),
        |&cut| {
            let f = move |ps: &mut Vec<Part>| {
                ps[1].data.truncate(cut);
                fix_len(&mut ps[1].data);
            };
            // RFC 8446 §4.4.4: verify_data is Hash.length bytes.
            server_case(
                &format!("cut at {cut}"),
                &f,
                &decode(IM::InvalidLength("Finished verify_data")),
            );
        },
    );
}
