//! Resource limits (issue #7): a peer cannot make us buffer more than the
//! caps, or keep us busy without progress. Each limit has a test that
//! reaches it exactly: the last accepted step, then the first refused one.

mod common;
mod negative_support;

use std::io::{self, Read, Write};
use std::sync::Arc;

use common::*;
use negative_support::*;

use ferrotls::msgs::enums::{AlertLevel, ExtensionType};
use ferrotls::msgs::handshake::HRR_RANDOM;
use ferrotls::{
    AlertDescription as A, CipherSuite, ClientConfig, ClientConnection, Error,
    InvalidMessage as IM, NamedGroup, PeerMisbehaved as PM, ProtocolVersion, ServerConfig,
    ServerConnection,
};

/// `conn.rs` MAX_RECEIVED_PLAINTEXT: unread plaintext before `read_tls` refuses.
const MAX_RECEIVED_PLAINTEXT: usize = 64 * 1024;
/// `record/joiner.rs` DEFAULT_MAX_HANDSHAKE_MESSAGE.
const DEFAULT_MAX_HANDSHAKE_MESSAGE: usize = 64 * 1024;
/// `record/joiner.rs` MAX_CLIENT_HELLO, the server's default: the largest
/// ClientHello RFC 8446 §4.1.2 allows.
const MAX_CLIENT_HELLO: usize = 131_396;
/// `record/deframer.rs` BUF_SIZE: the deframer holds at most two maximal
/// TLS 1.2 records.
const MAX_DEFRAMER_BUFFER: usize = 2 * (5 + (1 << 14) + 2048);

fn configs(tls13: bool) -> (ClientConfig, ServerConfig) {
    let pki = TestPki::get(KeyType::EcdsaP256);
    let version = match tls13 {
        true => ProtocolVersion::TLSv1_3,
        false => ProtocolVersion::TLSv1_2,
    };
    let mut cc = pki.client_config();
    cc.versions = vec![version];
    cc.groups = vec![NamedGroup::X25519, NamedGroup::secp256r1];
    cc.cipher_suites = vec![match tls13 {
        true => CipherSuite::TLS_AES_128_GCM_SHA256,
        false => CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    }];
    let mut sc = pki.server_config();
    sc.versions = vec![version];
    (cc, sc)
}

fn connected(tls13: bool) -> Mitm {
    let (cc, sc) = configs(tls13);
    let mut m = Mitm::new(cc, sc, tls13);
    m.handshake().unwrap();
    m.pass_to_client().unwrap();
    m
}

fn fatal(a: A) -> Vec<(AlertLevel, A)> {
    vec![(AlertLevel::Fatal, a)]
}

fn client_hello(cc: ClientConfig) -> Vec<u8> {
    let mut c = ClientConnection::new(Arc::new(cc), server_name("localhost")).unwrap();
    messages(&records(&take_output(&mut c))[0].body).remove(0)
}

// ------------------------------------------------ handshake message size

#[test]
fn handshake_messages_are_refused_from_their_header() {
    // RFC 8446 §4 / our max_handshake_message: the 4-byte header is enough.
    let (_, sc) = configs(true);
    let sc = Arc::new(sc);
    let header = |len: usize| {
        let mut h = vec![CLIENT_HELLO];
        h.extend_from_slice(&(len as u32).to_be_bytes()[1..]);
        Rec::new(HANDSHAKE, &h).encode()
    };
    let (res, out) = server_verdict(&sc, &header(MAX_CLIENT_HELLO));
    assert_eq!(
        (res, out.len()),
        (Ok(()), 0),
        "the largest message is awaited"
    );
    for len in [MAX_CLIENT_HELLO + 1, 0xff_ffff] {
        let (res, out) = server_verdict(&sc, &header(len));
        assert_eq!(res, Err(IM::HandshakeMessageTooLarge.into()), "{len}");
        assert_eq!(plain_alerts(&out), fatal(A::DecodeError), "{len}");
    }
}

#[test]
fn max_handshake_message_is_configurable() {
    let (cc, mut sc) = configs(true);
    let mut hello = client_hello(cc);
    sc.max_handshake_message = hello.len() - 4;
    let sc = Arc::new(sc);
    let (res, _) = server_verdict(&sc, &Rec::new(HANDSHAKE, &hello).encode());
    assert_eq!(res, Ok(()), "a message of exactly the maximum");
    add_extension(&mut hello, true, &ext(21, &[]));
    let (res, out) = server_verdict(&sc, &Rec::new(HANDSHAKE, &hello).encode());
    assert_eq!(res, Err(IM::HandshakeMessageTooLarge.into()));
    assert_eq!(plain_alerts(&out), fatal(A::DecodeError));

    // The client's limit: a server whose Certificate is larger.
    let (mut cc, sc) = configs(true);
    cc.max_handshake_message = 300;
    let mut m = Mitm::new(cc, sc, true);
    m.pass_to_server().unwrap();
    let parts = m.server_wrote();
    let cert = find(&parts, CERTIFICATE);
    assert!(parts[cert].data.len() > 304);
    assert_eq!(
        m.send_to_client(&parts),
        Err(IM::HandshakeMessageTooLarge.into())
    );
    assert_eq!(m.client_alerts(), fatal(A::DecodeError));
}

#[test]
fn a_maximal_handshake_message_is_buffered_in_pieces() {
    // A hello padded to just under the limit, in 1000-byte records: the
    // joiner holds it all, then the hello is processed.
    let (cc, sc) = configs(true);
    let mut hello = client_hello(cc);
    let pad = DEFAULT_MAX_HANDSHAKE_MESSAGE - hello.len();
    add_extension(&mut hello, true, &ext(21, &vec![0; pad]));
    assert_eq!(hello.len(), DEFAULT_MAX_HANDSHAKE_MESSAGE + 4);
    let (res, out) = server_verdict(&Arc::new(sc), &fragmented(HANDSHAKE, &hello, 1000));
    assert_eq!(res, Ok(()));
    assert_eq!(records(&out)[0].body[0], SERVER_HELLO);
}

#[test]
fn the_largest_valid_client_hello_is_accepted() {
    // RFC 8446 §4.1.2: 32767 cipher suites and a full 2^16-1 byte
    // extension block make a hello of MAX_CLIENT_HELLO - 256 bytes (we send
    // one compression method, not 255); the server answers it.
    let (cc, sc) = configs(true);
    let mut hello = client_hello(cc);
    let l = hello_layout(&hello, true);
    let len = 2 + u16_at(&hello, l.cipher_suites);
    let suites: Vec<u8> = (0..32766u16)
        .flat_map(|i| (0x0a00 + i).to_be_bytes())
        .chain(0x1301u16.to_be_bytes())
        .collect();
    splice(&mut hello, l.cipher_suites, len, &vec16(&suites));
    let at = hello_layout(&hello, true).extensions.unwrap();
    let pad = 0xffff - u16_at(&hello, at) - 4;
    add_extension(&mut hello, true, &ext(21, &vec![0; pad]));
    assert_eq!(hello.len(), 4 + MAX_CLIENT_HELLO - 254);
    let (res, out) = server_verdict(&Arc::new(sc), &fragmented(HANDSHAKE, &hello, 1 << 14));
    assert_eq!(res, Ok(()));
    assert_eq!(records(&out)[0].body[0], SERVER_HELLO);
}

// ------------------------------------------------ buffers

#[test]
fn unread_plaintext_is_bounded() {
    for tls13 in [true, false] {
        let mut m = connected(tls13);
        // The client writes far more than the server reads.
        let chunk = vec![0x61u8; 1 << 14];
        for _ in 0..16 {
            m.client.writer().write_all(&chunk).unwrap();
        }
        let wire = take_output(&mut m.client);
        let mut input = &wire[..];
        let mut refused = false;
        while !input.is_empty() {
            match m.server.read_tls(&mut input) {
                Ok(_) => {
                    let st = m.server.process_new_packets().unwrap();
                    assert!(
                        st.plaintext_bytes_to_read <= MAX_RECEIVED_PLAINTEXT + MAX_DEFRAMER_BUFFER,
                        "{}",
                        st.plaintext_bytes_to_read
                    );
                }
                Err(e) => {
                    assert_eq!(e.kind(), io::ErrorKind::Other);
                    refused = true;
                    break;
                }
            }
        }
        assert!(
            refused,
            "read_tls must refuse input once {MAX_RECEIVED_PLAINTEXT} bytes wait"
        );
        // Reading makes room again, and nothing was lost.
        let mut got = Vec::new();
        loop {
            let mut buf = [0u8; 8192];
            match m.server.reader().read(&mut buf) {
                Ok(n) if n > 0 => got.extend_from_slice(&buf[..n]),
                _ => match m.server.read_tls(&mut input) {
                    Ok(0) => break,
                    Ok(_) => {
                        m.server.process_new_packets().unwrap();
                    }
                    Err(e) => panic!("{e}"),
                },
            }
        }
        assert_eq!(got.len(), 16 << 14, "tls13={tls13}");
    }
}

#[test]
fn undeframed_input_is_bounded() {
    // read_tls without process_new_packets: the deframer refuses more
    // than two maximal records.
    let (_, sc) = configs(true);
    let mut server = ServerConnection::new(Arc::new(sc)).unwrap();
    let mut endless = io::repeat(0x16);
    let mut total = 0;
    let err = loop {
        match server.read_tls(&mut endless) {
            Ok(n) => total += n,
            Err(e) => break e,
        }
        assert!(total <= MAX_DEFRAMER_BUFFER, "{total}");
    };
    assert_eq!(err.kind(), io::ErrorKind::Other);
    assert_eq!(
        server.process_new_packets().err(),
        Some(IM::InvalidRecordVersion(0x1616).into())
    );
}

// ------------------------------------------------ counted events

#[test]
fn consecutive_empty_records_are_capped() {
    // 32 empty application data records in a row are allowed; the 33rd is
    // a flood. Data in between resets the count.
    for tls13 in [true, false] {
        let empty = || protected(APPDATA, &[]);
        let mut m = connected(tls13);
        m.send_to_server(&vec![empty(); 32]).unwrap();
        m.send_to_server(&[protected(APPDATA, b"x")]).unwrap();
        m.send_to_server(&vec![empty(); 32]).unwrap();
        assert_eq!(
            m.send_to_server(&[empty()]),
            Err(PM::TooManyEmptyRecords.into()),
            "tls13={tls13}"
        );
        assert_eq!(m.server_alerts(), fatal(A::UnexpectedMessage));
    }
    // TLS 1.3: records of only padding are empty records too.
    let mut m = connected(true);
    // The client's application key 0, as the server expects it.
    let mut tap = Tap13::new(m.server_keys.clone(), m.hellos.clone(), Writer::Client);
    tap.next_generation();
    for _ in 0..32 {
        deliver(&mut m.server, &tap.seal_inner(&[APPDATA, 0, 0, 0])).unwrap();
    }
    let wire = tap.seal_inner(&[APPDATA, 0]);
    assert_eq!(
        deliver(&mut m.server, &wire),
        Err(PM::TooManyEmptyRecords.into())
    );
}

fn protected(typ: u8, data: &[u8]) -> Part {
    Part::new(typ, data, true)
}

#[test]
fn warning_alerts_are_capped() {
    // TLS 1.2 tolerates warnings; four per connection, then it is a flood.
    let mut m = connected(false);
    let warning = protected(ALERT, &[1, 112]);
    m.send_to_server(&vec![warning.clone(); 4]).unwrap();
    assert_eq!(
        m.send_to_server(&[warning]),
        Err(PM::TooManyWarningAlerts.into())
    );
    assert_eq!(m.server_alerts(), fatal(A::UnexpectedMessage));
    // TLS 1.3: only user_canceled is not fatal (RFC 8446 §6.1).
    let mut m = connected(true);
    let canceled = protected(ALERT, &[1, 90]);
    m.send_to_client(&vec![canceled.clone(); 4]).unwrap();
    assert_eq!(
        m.send_to_client(&[canceled]),
        Err(PM::TooManyWarningAlerts.into())
    );
    assert_eq!(m.client_alerts(), fatal(A::UnexpectedMessage));
}

#[test]
fn key_updates_are_capped() {
    // RFC 8446 §4.6.3 allows KeyUpdates at any time; 32 in a row without
    // data is where we stop deriving keys for the peer.
    for requested in [false, true] {
        let mut m = connected(true);
        for _ in 0..32 {
            m.client.send_key_update(requested).unwrap();
        }
        m.pass_to_server().unwrap();
        if requested {
            // RFC 8446 §4.6.3: one answer for all the requests that came
            // while the server sent nothing; after it sends data, the
            // next request gets an answer again.
            let key_updates = |parts: Vec<Part>| {
                parts
                    .iter()
                    .filter(|p| p.hs_type() == Some(KEY_UPDATE))
                    .count()
            };
            assert_eq!(key_updates(m.server_wrote()), 1);
            m.server.writer().write_all(b"data").unwrap();
            m.client.writer().write_all(b"data").unwrap();
            m.client.send_key_update(true).unwrap();
            m.pass_to_server().unwrap();
            assert_eq!(key_updates(m.server_wrote()), 1);
            m.client.send_key_update(true).unwrap();
            m.pass_to_server().unwrap();
            assert_eq!(key_updates(m.server_wrote()), 0);
        }
        m.client
            .writer()
            .write_all(b"data resets the count")
            .unwrap();
        for _ in 0..32 {
            m.client.send_key_update(requested).unwrap();
        }
        m.pass_to_server().unwrap();
        m.server_wrote();
        m.client.send_key_update(requested).unwrap();
        assert_eq!(m.pass_to_server(), Err(PM::TooManyKeyUpdates.into()));
        assert_eq!(m.server_alerts(), fatal(A::UnexpectedMessage));
    }
}

#[test]
fn change_cipher_specs_are_capped() {
    // RFC 8446 §5 / Appendix D.4: compatibility CCS records are dropped,
    // up to two (one after each hello when there is a HelloRetryRequest).
    let (cc, sc) = configs(true);
    let mut m = Mitm::new(cc, sc, true);
    let mut hello = m.client_wrote();
    hello.push(Part::new(CCS, &[1], false));
    hello.push(Part::new(CCS, &[1], false));
    m.send_to_server(&hello).unwrap();
    assert_eq!(
        m.send_to_server(&[Part::new(CCS, &[1], false)]),
        Err(PM::TooManyChangeCipherSpecs.into())
    );
}

#[test]
fn renegotiation_requests_are_capped() {
    // RFC 5246 §7.4.1.1 / RFC 5746: each is declined with a warning; a
    // peer that keeps asking, with no application data between, is
    // flooding us with work and output.
    for from_server in [true, false] {
        let mut m = connected(false);
        let request = match from_server {
            true => hs(HELLO_REQUEST, &[]),
            false => client_hello(configs(false).0),
        };
        let mut parts = vec![protected(HANDSHAKE, &request); 4];
        parts.push(protected(APPDATA, b"data between"));
        parts.extend(vec![protected(HANDSHAKE, &request); 4]);
        let (res, alerts) = match from_server {
            true => (m.send_to_client(&parts), m.client_alerts()),
            false => (m.send_to_server(&parts), m.server_alerts()),
        };
        assert_eq!(res, Ok(()));
        assert_eq!(alerts, vec![(AlertLevel::Warning, A::NoRenegotiation); 8]);
        let one = [protected(HANDSHAKE, &request)];
        let (res, alerts) = match from_server {
            true => (m.send_to_client(&one), m.client_alerts()),
            false => (m.send_to_server(&one), m.server_alerts()),
        };
        assert_eq!(res, Err(PM::TooManyRenegotiationRequests.into()));
        assert_eq!(alerts, fatal(A::UnexpectedMessage));
    }
}

// ------------------------------------------------ list sizes

#[test]
fn extensions_per_message_are_not_capped() {
    // RFC 8446 §4.2 / RFC 5246 §7.4.1.4 set no count: thousands of
    // unassigned (ignored) extensions are accepted, and the duplicate check
    // still finds a repeat at the end of such a block, in linear time.
    let (cc, sc) = configs(true);
    let hello = client_hello(cc);
    let sc = Arc::new(sc);
    let with = |n: usize, repeat: bool| {
        let mut m = hello.clone();
        let mut exts: Vec<u8> = (0..n).flat_map(|i| ext(0x4000 + i as u16, &[])).collect();
        if repeat {
            exts.extend_from_slice(&ext(0x4000, &[]));
        }
        add_extension(&mut m, true, &exts);
        fragmented(HANDSHAKE, &m, 1 << 14)
    };
    for n in [129, 1024, 4096, 12_000] {
        let (res, _) = server_verdict(&sc, &with(n, false));
        assert_eq!(res, Ok(()), "{n} extensions");
    }
    let (res, out) = server_verdict(&sc, &with(12_000, true));
    assert_eq!(
        res,
        Err(IM::DuplicateExtension(ExtensionType::from_wire(0x4000)).into())
    );
    assert_eq!(plain_alerts(&out), fatal(A::DecodeError));
}

#[test]
fn new_session_ticket_extensions_are_not_capped() {
    // A ticket with thousands of extensions is accepted, and checking them
    // for duplicates costs linear time.
    let nst = |n: usize, repeat: bool| {
        let mut exts: Vec<u8> = (0..n).flat_map(|i| ext(0xa000 + i as u16, &[])).collect();
        if repeat {
            exts.extend_from_slice(&ext(0xa000, &[]));
        }
        hs(
            NEW_SESSION_TICKET,
            &[
                &[0, 0, 0, 9, 0, 0, 0, 1, 0][..],
                &vec16(&[1]),
                &vec16(&exts),
            ]
            .concat(),
        )
    };
    let mut m = connected(true);
    m.send_to_client(&[protected(HANDSHAKE, &nst(10_000, false))])
        .unwrap();
    assert_eq!(
        m.send_to_client(&[protected(HANDSHAKE, &nst(10_000, true))]),
        Err(IM::DuplicateExtension(ExtensionType::from_wire(0xa000)).into())
    );
    assert_eq!(m.client_alerts(), fatal(A::DecodeError));
}

#[test]
fn key_shares_are_capped() {
    // 16 key shares are looked at; more are refused.
    let (cc, sc) = configs(true);
    let hello = client_hello(cc);
    let sc = Arc::new(sc);
    let with = |n: u16| {
        let mut m = hello.clone();
        let groups: Vec<u8> = (0..n)
            .flat_map(|g| (0x0a00 + g).to_be_bytes())
            .chain([0, 0x1d])
            .collect();
        set_extension(&mut m, true, 10, &vec16(&groups));
        let mut shares: Vec<u8> = Vec::new();
        for g in 0..n {
            shares.extend_from_slice(&(0x0a00 + g).to_be_bytes());
            shares.extend_from_slice(&vec16(&[1]));
        }
        shares.extend_from_slice(&[0, 0x1d]);
        shares.extend_from_slice(&vec16(&[9; 32]));
        set_extension(&mut m, true, 51, &vec16(&shares));
        Rec::new(HANDSHAKE, &m).encode()
    };
    let (res, _) = server_verdict(&sc, &with(15));
    assert_eq!(res, Ok(()));
    let (res, out) = server_verdict(&sc, &with(16));
    assert_eq!(res, Err(PM::TooManyKeyShares.into()));
    assert_eq!(plain_alerts(&out), fatal(A::IllegalParameter));
}

#[test]
#[rustfmt::skip] // one line per case
fn long_lists_are_handled() {
    // The longest lists a 64 KiB hello can carry are processed, not
    // refused, and stay linear: suites, groups, schemes, ALPN names and
    // PSK identities (only the first few identities are tried).
    let (cc, mut sc) = configs(true);
    sc.alpn_protocols = vec![b"h2".to_vec()];
    let sc = Arc::new(sc);
    let hello = client_hello(cc);
    let many = |n: u16, last: u16| -> Vec<u8> {
        (0..n)
            .flat_map(|i| (0x0a0a ^ (i << 4)).to_be_bytes())
            .chain(last.to_be_bytes())
            .collect()
    };
    type M = Box<dyn Fn(&mut Vec<u8>)>;
    let cases: Vec<(&str, M)> = vec![
        ("30000 cipher suites", Box::new(move |m: &mut Vec<u8>| { let l = hello_layout(m, true); let len = 2 + u16_at(m, l.cipher_suites); splice(m, l.cipher_suites, len, &vec16(&many(30000, 0x1301))); })),
        ("30000 groups", Box::new(move |m: &mut Vec<u8>| set_extension(m, true, 10, &vec16(&many(30000, 0x1d))))),
        ("30000 signature schemes", Box::new(move |m: &mut Vec<u8>| { set_extension(m, true, 13, &vec16(&many(30000, 0x0403))) })),
        ("20000 ALPN names", Box::new(|m: &mut Vec<u8>| { let names: Vec<u8> = (0..20000u16).flat_map(|i| vec8(&[b'x', (i % 200) as u8])).chain(vec8(b"h2")).collect(); add_extension(m, true, &ext(16, &vec16(&names))); })),
        ("1000 PSK identities", Box::new(|m: &mut Vec<u8>| { let ids: Vec<u8> = (0..1000u16).flat_map(|i| [vec16(&i.to_be_bytes()), vec![0, 0, 0, 0]].concat()).collect(); let binders: Vec<u8> = (0..1000).flat_map(|_| vec8(&[7; 32])).collect(); add_extension(m, true, &ext(41, &[vec16(&ids), vec16(&binders)].concat())); })),
    ];
    for (name, mutate) in &cases {
        let mut m = hello.clone();
        mutate(&mut m);
        assert!(
            m.len() <= DEFAULT_MAX_HANDSHAKE_MESSAGE,
            "{name}: {}",
            m.len()
        );
        let (res, out) = server_verdict(&sc, &fragmented(HANDSHAKE, &m, 1 << 14));
        assert_eq!(res, Ok(()), "{name}");
        assert_eq!(records(&out)[0].body[0], SERVER_HELLO, "{name}");
    }
}

#[test]
fn skipped_early_data_is_bounded() {
    // RFC 8446 §4.2.10: a server that does not accept 0-RTT skips records it
    // cannot decrypt, up to a limit (64 KiB here), then gives up.
    let (cc, sc) = configs(true);
    let mut m = Mitm::new(cc, sc, true);
    let mut parts = m.client_wrote();
    add_extension(&mut parts[0].data, true, &ext(42, &[]));
    m.send_to_server(&parts).unwrap();
    let junk = Rec::new(APPDATA, &[0x5a; 16000]).encode();
    for _ in 0..4 {
        deliver(&mut m.server, &junk).unwrap();
    }
    assert_eq!(deliver(&mut m.server, &junk), Err(Error::DecryptError));
    let alerts = m.server_alerts();
    assert_eq!(alerts, fatal(A::BadRecordMac));
}

#[test]
fn early_data_is_skipped_after_a_hello_retry_request() {
    // RFC 8446 §4.2.10: a server answering an early_data offer with a
    // HelloRetryRequest skips the client's 0-RTT records, which arrive
    // before any key exists, up to the same limit. The second ClientHello
    // may not offer early data again (§4.1.2), and once it is in, nothing
    // more is skipped.
    let (cc, mut sc) = configs(true);
    sc.groups = vec![NamedGroup::secp256r1];
    let junk = Rec::new(APPDATA, &[0x5a; 16000]).encode();
    let retried = |with_early_data_again: bool| -> (Mitm, Result<(), Error>) {
        let mut m = Mitm::new(cc.clone(), sc.clone(), true);
        let mut parts = m.client_wrote();
        add_extension(&mut parts[0].data, true, &ext(42, &[]));
        m.send_to_server(&parts).unwrap();
        let out = take_output(&mut m.server);
        let hrr = &records(&out)[0].body;
        assert_eq!((hrr[0], &hrr[6..38]), (SERVER_HELLO, &HRR_RANDOM[..]));
        deliver(&mut m.server, &junk).unwrap();
        let hrr = m.open_server_bytes(&out);
        m.send_to_client(&hrr).unwrap();
        let mut parts = m.client_wrote();
        if with_early_data_again {
            let hello = find(&parts, CLIENT_HELLO);
            add_extension(&mut parts[hello].data, true, &ext(42, &[]));
        }
        let res = m.send_to_server(&parts);
        (m, res)
    };

    let (mut m, res) = retried(false);
    res.unwrap();
    assert_eq!(m.server_wrote()[0].hs_type(), Some(SERVER_HELLO));
    assert_eq!(deliver(&mut m.server, &junk), Err(Error::DecryptError));
    assert_eq!(m.server_alerts(), fatal(A::BadRecordMac));

    let (mut m, res) = retried(true);
    assert_eq!(res, Err(PM::ClientHelloChangedAfterRetry.into()));
    assert_eq!(m.server_alerts(), fatal(A::IllegalParameter));

    // Past the limit, before the second ClientHello: plaintext data.
    let mut m = Mitm::new(cc.clone(), sc.clone(), true);
    let mut parts = m.client_wrote();
    add_extension(&mut parts[0].data, true, &ext(42, &[]));
    m.send_to_server(&parts).unwrap();
    m.server_wrote();
    for _ in 0..4 {
        deliver(&mut m.server, &junk).unwrap();
    }
    assert_eq!(
        deliver(&mut m.server, &junk),
        Err(PM::ApplicationDataBeforeHandshake.into())
    );
    assert_eq!(m.server_alerts(), fatal(A::UnexpectedMessage));
}
