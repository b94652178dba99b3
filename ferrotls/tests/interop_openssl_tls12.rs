//! TLS 1.2 interop with OpenSSL 3.0's `s_server -tls1_2` and
//! `s_client -tls1_2`, both ways: ECDHE-ECDSA and ECDHE-RSA with every
//! AEAD and group, CBC with encrypt-then-MAC (and its refusal when the peer
//! turns encrypt-then-MAC off), RSA key transport, extended master secret,
//! data both ways, close_notify, and version negotiation between TLS 1.3
//! and 1.2. The machinery (child processes, PEM files, our echo server)
//! is in `common/openssl.rs`, shared with the TLS 1.3 tests.
//!
//! What each side negotiated is checked from both views: ours through the
//! connection's accessors, OpenSSL's through what it prints (`s_client`'s
//! session summary, the page `s_server -www` returns), and the
//! ServerHello's extensions straight off the wire.
//!
//! Nothing here may hang: every child process is killed by a guard when it
//! goes out of scope, every socket has a timeout, and every wait is
//! bounded. No assertion is about timing.

mod common;

use std::io::{Read, Write};

use common::openssl::*;
use common::*;
use ferrotls::suites::{tls12_suite, KeyExchange12, Tls12CipherSuite, TLS12_SUITES};
use ferrotls::{
    AlertDescription, CipherSuite, ClientConfig, Error, NamedGroup, PeerIncompatible,
    ProtocolVersion, ServerConfig,
};

use CipherSuite as CS;

// ---------------------------------------------------------------------------
// Suites, and how OpenSSL names them

const ECDHE_ECDSA_AEAD: [CipherSuite; 3] = [
    CS::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    CS::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    CS::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
];

const ECDHE_RSA_AEAD: [CipherSuite; 3] = [
    CS::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    CS::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    CS::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
];

const ECDHE_ECDSA_CBC: [CipherSuite; 4] = [
    CS::TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
    CS::TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
    CS::TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
    CS::TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384,
];

const ECDHE_RSA_CBC: [CipherSuite; 4] = [
    CS::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
    CS::TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
    CS::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
    CS::TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384,
];

/// RSA key transport: off by default, so each test names it.
const RSA_KX: [CipherSuite; 6] = [
    CS::TLS_RSA_WITH_AES_128_GCM_SHA256,
    CS::TLS_RSA_WITH_AES_256_GCM_SHA384,
    CS::TLS_RSA_WITH_AES_128_CBC_SHA,
    CS::TLS_RSA_WITH_AES_256_CBC_SHA,
    CS::TLS_RSA_WITH_AES_128_CBC_SHA256,
    CS::TLS_RSA_WITH_AES_256_CBC_SHA256,
];

/// OpenSSL's name for a TLS 1.2 suite (for `-cipher`, and in its output).
fn ossl_name(suite: CipherSuite) -> &'static str {
    match suite {
        CS::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 => "ECDHE-ECDSA-AES128-GCM-SHA256",
        CS::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 => "ECDHE-ECDSA-AES256-GCM-SHA384",
        CS::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 => "ECDHE-ECDSA-CHACHA20-POLY1305",
        CS::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 => "ECDHE-RSA-AES128-GCM-SHA256",
        CS::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 => "ECDHE-RSA-AES256-GCM-SHA384",
        CS::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 => "ECDHE-RSA-CHACHA20-POLY1305",
        CS::TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA => "ECDHE-ECDSA-AES128-SHA",
        CS::TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA => "ECDHE-ECDSA-AES256-SHA",
        CS::TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256 => "ECDHE-ECDSA-AES128-SHA256",
        CS::TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384 => "ECDHE-ECDSA-AES256-SHA384",
        CS::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA => "ECDHE-RSA-AES128-SHA",
        CS::TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA => "ECDHE-RSA-AES256-SHA",
        CS::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256 => "ECDHE-RSA-AES128-SHA256",
        CS::TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384 => "ECDHE-RSA-AES256-SHA384",
        CS::TLS_RSA_WITH_AES_128_GCM_SHA256 => "AES128-GCM-SHA256",
        CS::TLS_RSA_WITH_AES_256_GCM_SHA384 => "AES256-GCM-SHA384",
        CS::TLS_RSA_WITH_AES_128_CBC_SHA => "AES128-SHA",
        CS::TLS_RSA_WITH_AES_256_CBC_SHA => "AES256-SHA",
        CS::TLS_RSA_WITH_AES_128_CBC_SHA256 => "AES128-SHA256",
        CS::TLS_RSA_WITH_AES_256_CBC_SHA256 => "AES256-SHA256",
        other => panic!("no OpenSSL name for {other}"),
    }
}

fn suite12(suite: CipherSuite) -> &'static Tls12CipherSuite {
    tls12_suite(suite).unwrap()
}

fn is_ecdhe(suite: CipherSuite) -> bool {
    suite12(suite).kx == KeyExchange12::Ecdhe
}

/// What `s_client` prints as "Peer signature type:" for our key in an
/// ECDHE ServerKeyExchange (for RSA, OpenSSL prints "RSA" or "RSA-PSS"
/// by the scheme we chose, so only the prefix is fixed).
fn ossl_signature_type(kt: KeyType) -> &'static str {
    match kt {
        KeyType::EcdsaP256 | KeyType::EcdsaP384 => "ECDSA",
        KeyType::Ed25519 => "ed25519",
        KeyType::Rsa2048 => "RSA",
    }
}

/// The curve of an ECDSA certificate. In TLS 1.2 the client's
/// supported_groups bounds it too (RFC 8422 §4): OpenSSL refuses, as
/// server or client, an ECDSA certificate whose curve the client did not
/// list, and so does our server.
fn certificate_curve(kt: KeyType) -> Option<NamedGroup> {
    match kt {
        KeyType::EcdsaP256 => Some(NamedGroup::secp256r1),
        KeyType::EcdsaP384 => Some(NamedGroup::secp384r1),
        KeyType::Ed25519 | KeyType::Rsa2048 => None,
    }
}

/// The groups a client offers to get `group` for ECDHE with a `kt`
/// certificate: `group` first (OpenSSL and we pick the client's
/// preference, or the server has only `group`), then the certificate's
/// curve.
fn client_groups(kt: KeyType, group: NamedGroup) -> Vec<NamedGroup> {
    let mut groups = vec![group];
    groups.extend(certificate_curve(kt).filter(|c| *c != group));
    groups
}

/// The same, as OpenSSL's `-groups` argument.
fn ossl_groups_arg(kt: KeyType, group: NamedGroup) -> String {
    let names: Vec<&str> = client_groups(kt, group)
        .iter()
        .map(|g| ossl_group(*g).arg)
        .collect();
    names.join(":")
}

/// Our client: TLS 1.2 only, offering just `suite`, and `group` for ECDHE.
fn client12(kt: KeyType, suite: CipherSuite, group: NamedGroup) -> ClientConfig {
    let mut cc = TestPki::get(kt).client_config();
    cc.versions = vec![ProtocolVersion::TLSv1_2];
    cc.cipher_suites = vec![suite];
    cc.groups = client_groups(kt, group);
    cc
}

/// Our server, default versions (TLS 1.3 and 1.2), with every TLS 1.2
/// suite we implement enabled after the defaults, CBC and RSA key
/// transport included.
fn server_every_suite(kt: KeyType) -> ServerConfig {
    let mut sc = TestPki::get(kt).server_config();
    for s in TLS12_SUITES {
        if !sc.cipher_suites.contains(&s.suite) {
            sc.cipher_suites.push(s.suite);
        }
    }
    sc
}

/// `s_server -tls1_2 -www` (or without `-tls1_2` if `version` is None)
/// serving `files`, accepting our three groups, plus `extra`.
fn s_server_www(files: &PemFiles, version: Option<&str>, extra: &[&str]) -> SServer {
    let mut args = files.server_args();
    args.extend(version.map(String::from));
    args.extend(strings(&["-www", "-groups", "x25519:P-256:P-384"]));
    args.extend(strings(extra));
    s_server(&args)
}

// ---------------------------------------------------------------------------
// Our client against s_server -tls1_2

/// One handshake of our client with `s_server -www`, checked from our
/// view, from the ServerHello on the wire, and from OpenSSL's page.
fn check_client_against_www(server: &SServer, kt: KeyType, suite: CipherSuite, group: NamedGroup) {
    let ctx = format!("{kt:?} {suite} {group}");
    let (mut s, hs) = connect(server.addr, client12(kt, suite, group), "localhost");
    hs.unwrap_or_else(|e| panic!("{ctx}: handshake: {e}\n{}", server.proc.describe()));
    assert_eq!(s.conn.protocol_version(), Some(ProtocolVersion::TLSv1_2));
    assert_eq!(s.conn.negotiated_cipher_suite(), Some(suite), "{ctx}");
    let ecdhe = is_ecdhe(suite);
    assert_eq!(
        s.conn.negotiated_group(),
        ecdhe.then_some(group),
        "{ctx}: group"
    );
    // A ServerKeyExchange is signed only in ECDHE suites.
    assert_eq!(
        s.conn.negotiated_signature_scheme().is_some(),
        ecdhe,
        "{ctx}: signature scheme"
    );
    assert_eq!(s.conn.peer_certificates().map(|c| c.len()), Some(2));

    // OpenSSL's ServerHello: extended master secret always (RFC 7627
    // §5.2), encrypt-then-MAC exactly for CBC (RFC 7366 §3: not for AEAD;
    // and we offer it only when we offer a CBC suite).
    let exts = server_hello_extensions(&s.sock.read).expect("a ServerHello on the wire");
    assert!(
        exts.contains(&EXT_EXTENDED_MASTER_SECRET),
        "{ctx}: {exts:?}"
    );
    assert_eq!(
        exts.contains(&EXT_ENCRYPT_THEN_MAC),
        suite12(suite).is_cbc(),
        "{ctx}: {exts:?}"
    );

    // OpenSSL's view agrees (its "New, ..." line names the suite's
    // minimum version, so we read the session summary instead).
    let page = www_get(&mut s, &ctx);
    for want in [
        "Protocol  : TLSv1.2\n".to_string(),
        format!("Cipher    : {}\n", ossl_name(suite)),
        "Extended master secret: yes\n".to_string(),
    ] {
        assert!(page.contains(&want), "{ctx}: missing {want:?}:\n{page}");
    }
    if ecdhe {
        // Shared groups in order of preference: ours, since s_server
        // has no -serverpref.
        let shared = format!("Shared groups: {}", ossl_group(group).shared);
        assert!(page.contains(&shared), "{ctx}: page:\n{page}");
    }
}

fn client_against_s_server(kt: KeyType, suites: &[CipherSuite], groups: &[NamedGroup]) {
    let files = PemFiles::for_key_type(kt);
    let server = s_server_www(&files, Some("-tls1_2"), &[]);
    for &suite in suites {
        for &group in groups {
            check_client_against_www(&server, kt, suite, group);
        }
    }
}

const ALL_GROUPS: [NamedGroup; 3] = [
    NamedGroup::X25519,
    NamedGroup::secp256r1,
    NamedGroup::secp384r1,
];

#[test]
fn our_client_to_s_server_tls12_ecdhe_ecdsa_every_aead_and_group() {
    client_against_s_server(KeyType::EcdsaP256, &ECDHE_ECDSA_AEAD, &ALL_GROUPS);
}

#[test]
fn our_client_to_s_server_tls12_ecdhe_rsa_every_aead_and_group() {
    client_against_s_server(KeyType::Rsa2048, &ECDHE_RSA_AEAD, &ALL_GROUPS);
}

#[test]
fn our_client_to_s_server_tls12_ecdhe_cbc_with_encrypt_then_mac() {
    client_against_s_server(KeyType::EcdsaP256, &ECDHE_ECDSA_CBC, &[NamedGroup::X25519]);
    client_against_s_server(KeyType::Rsa2048, &ECDHE_RSA_CBC, &[NamedGroup::secp256r1]);
}

#[test]
fn our_client_to_s_server_tls12_rsa_key_transport_gcm_and_cbc() {
    client_against_s_server(KeyType::Rsa2048, &RSA_KX, &[NamedGroup::X25519]);
}

#[test]
fn our_client_to_s_server_tls12_ecdsa_p384_and_ed25519_keys() {
    for kt in [KeyType::EcdsaP384, KeyType::Ed25519] {
        client_against_s_server(
            kt,
            &[CS::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256],
            &[NamedGroup::X25519],
        );
    }
}

/// One `s_server -rev` session (it echoes each line reversed, lines up to
/// 16 KB): 30 KB of lines in one write, so records split lines on the way
/// up, a record per line on the way back; then close_notify. If we close
/// first, s_server must see a clean end ("CONNECTION CLOSED") and answer
/// with its own close_notify; otherwise "CLOSE" makes it close first, and
/// its close_notify must read as a clean end of stream.
fn rev_session(server: &mut SServer, cc: ClientConfig, we_close_first: bool, ctx: &str) {
    let closed_before = server
        .proc
        .stderr
        .text()
        .matches("CONNECTION CLOSED")
        .count();
    let long = |n: u32| -> String { (0..n).map(|i| char::from(b'a' + (i % 26) as u8)).collect() };
    let (long1, long2) = (long(10_000), long(15_000));
    let lines = ["hello from ferrotls over TLS 1.2", &long1, &long2, "fourth"];
    let (mut s, hs) = connect(server.addr, cc, "localhost");
    hs.unwrap_or_else(|e| panic!("{ctx}: {e}\n{}", server.proc.describe()));
    assert_eq!(s.conn.protocol_version(), Some(ProtocolVersion::TLSv1_2));
    let up: String = lines.iter().map(|l| format!("{l}\n")).collect();
    s.write_all(up.as_bytes()).unwrap();
    let got = read_lines(&mut s, lines.len());
    let want: String = lines
        .iter()
        .map(|l| format!("{}\n", l.chars().rev().collect::<String>()))
        .collect();
    assert!(got == want.as_bytes(), "{ctx}: reversed lines differ");

    let mut rest = Vec::new();
    if we_close_first {
        s.close().unwrap();
        s.read_to_end(&mut rest)
            .unwrap_or_else(|e| panic!("{ctx}: s_server's close_notify in answer: {e}"));
        assert!(
            server
                .proc
                .wait_for(|_, err| err.matches("CONNECTION CLOSED").count() > closed_before),
            "{ctx}: s_server did not see a clean close\n{}",
            server.proc.describe()
        );
    } else {
        s.write_all(b"CLOSE\n").unwrap();
        s.read_to_end(&mut rest)
            .unwrap_or_else(|e| panic!("{ctx}: s_server's close_notify: {e}"));
        let _ = s.close();
    }
    assert!(rest.is_empty(), "{ctx}");
    assert_eq!(s.conn.error(), None, "{ctx}");
    assert!(
        !server.proc.stderr.text().contains("unexpected eof"),
        "{ctx}: {}",
        server.proc.describe()
    );
}

/// RFC 5246 §7.4.6: a server that asks for a client certificate
/// (`s_server -verify`, which does not insist) gets an empty Certificate;
/// our Finished and the extended master secret cover it, and OpenSSL
/// checks both.
#[test]
fn our_client_to_s_server_tls12_that_asks_for_a_client_certificate() {
    let kt = KeyType::EcdsaP256;
    let files = PemFiles::for_key_type(kt);
    let server = s_server_www(&files, Some("-tls1_2"), &["-verify", "1"]);
    for suite in [
        CS::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        CS::TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
    ] {
        let cc = client12(kt, suite, NamedGroup::X25519);
        let (mut s, hs) = connect(server.addr, cc, "localhost");
        hs.unwrap_or_else(|e| panic!("{suite}: handshake: {e}\n{}", server.proc.describe()));
        let page = www_get(&mut s, "certificate requested");
        assert!(page.contains("Protocol  : TLSv1.2\n"), "{suite}:\n{page}");
        assert!(
            page.contains("no client certificate available"),
            "{suite}: s_server saw a client certificate?\n{page}"
        );
    }
}

#[test]
fn our_client_to_s_server_tls12_rev_data_both_ways_and_close_notify() {
    for (kt, suites) in [
        (
            KeyType::EcdsaP256,
            &[
                CS::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
                CS::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
                CS::TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
                CS::TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384,
            ][..],
        ),
        (
            KeyType::Rsa2048,
            &[
                CS::TLS_RSA_WITH_AES_256_GCM_SHA384,
                CS::TLS_RSA_WITH_AES_128_CBC_SHA256,
            ][..],
        ),
    ] {
        let files = PemFiles::for_key_type(kt);
        let mut args = files.server_args();
        args.extend(strings(&["-tls1_2", "-rev"]));
        let mut server = s_server(&args);
        for (i, &suite) in suites.iter().enumerate() {
            for we_close_first in [true, false] {
                let ctx = format!("{kt:?} {suite} we close first: {we_close_first} #{i}");
                let cc = client12(kt, suite, NamedGroup::X25519);
                rev_session(&mut server, cc, we_close_first, &ctx);
            }
        }
    }
}

#[test]
fn our_client_refuses_cbc_from_s_server_without_encrypt_then_mac() {
    // RFC 7366 §3: we use CBC only with encrypt-then-MAC. An OpenSSL
    // server with -no_etm still picks the CBC suite we offered, without
    // the extension; we must end the handshake with handshake_failure.
    for (kt, suite) in [
        (KeyType::EcdsaP256, CS::TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA),
        (KeyType::Rsa2048, CS::TLS_RSA_WITH_AES_128_CBC_SHA),
    ] {
        let ctx = format!("{kt:?} {suite}");
        let files = PemFiles::for_key_type(kt);
        let mut server = s_server_www(&files, Some("-tls1_2"), &["-no_etm"]);
        let (s, hs) = connect(
            server.addr,
            client12(kt, suite, NamedGroup::X25519),
            "localhost",
        );
        let io_err = hs.expect_err("a CBC suite without encrypt-then-MAC must fail");
        assert!(
            io_err.to_string().contains("encrypt-then-MAC (RFC 7366)"),
            "{ctx}: {io_err}"
        );
        assert_eq!(
            s.conn.error(),
            Some(&Error::PeerIncompatible(
                PeerIncompatible::EncryptThenMacRequired
            )),
            "{ctx}"
        );
        // The ServerHello really came without encrypt-then-MAC.
        let exts = server_hello_extensions(&s.sock.read).expect("a ServerHello on the wire");
        assert!(!exts.contains(&EXT_ENCRYPT_THEN_MAC), "{ctx}: {exts:?}");
        drop(s);
        assert!(
            server
                .proc
                .wait_for(|_, err| err.contains("SSL alert number 40")),
            "{ctx}: s_server did not get handshake_failure\n{}",
            server.proc.describe()
        );
    }
}

// ---------------------------------------------------------------------------
// s_client -tls1_2 against our server

/// One good connection from `s_client -tls1_2` offering only `suite` and
/// `group`: handshake, echo, s_client's close_notify, and both views of
/// the parameters agree.
fn check_s_client_case(
    server: &EchoServer,
    files: &PemFiles,
    kt: KeyType,
    suite: CipherSuite,
    group: NamedGroup,
) -> (SClientRun, Served) {
    let line = format!("ping from s_client {kt:?} {suite} {group}\n");
    let groups = ossl_groups_arg(kt, group);
    let args = [
        "-tls1_2",
        "-servername",
        "localhost",
        "-tlsextdebug",
        "-cipher",
        ossl_name(suite),
        "-groups",
        &groups,
    ];
    let run = s_client(server.addr, &files.ca, "localhost", &args, Some(&line));
    let served = server.next();
    let ctx = format!("{kt:?} {suite} {group}\n{}", run.describe);
    assert_eq!(served.handshake, Ok(()), "{ctx}");
    assert!(run.status.success(), "{ctx}");
    assert_eq!(served.received, line.as_bytes(), "{ctx}");
    assert!(run.stdout.contains(&line), "echo missing: {ctx}");
    assert_eq!(served.close, Ok(()), "s_client's close_notify: {ctx}");
    assert!(run.stderr.contains("DONE"), "{ctx}");

    assert_eq!(served.version, Some(ProtocolVersion::TLSv1_2), "{ctx}");
    assert_eq!(served.suite, Some(suite), "{ctx}");
    let ecdhe = is_ecdhe(suite);
    assert_eq!(served.group, ecdhe.then_some(group), "{ctx}");
    assert_eq!(served.scheme.is_some(), ecdhe, "{ctx}");
    assert_eq!(served.sni.as_deref(), Some("localhost"), "{ctx}");

    let mut wants = vec![
        "Protocol  : TLSv1.2\n".to_string(),
        format!("Cipher    : {}\n", ossl_name(suite)),
        "Extended master secret: yes\n".to_string(),
        "Verify return code: 0 (ok)".to_string(),
        "TLS server extension \"extended master secret\" (id=23)".to_string(),
    ];
    if ecdhe {
        wants.push(format!("Server Temp Key: {}\n", ossl_group(group).temp_key));
        wants.push(format!("Peer signature type: {}", ossl_signature_type(kt)));
    }
    for want in wants {
        assert!(run.stdout.contains(&want), "missing {want:?}: {ctx}");
    }
    // Our ServerHello carries encrypt-then-MAC exactly for CBC suites.
    assert_eq!(
        run.stdout
            .contains("TLS server extension \"encrypt-then-mac\" (id=22)"),
        suite12(suite).is_cbc(),
        "{ctx}"
    );
    (run, served)
}

/// Our server chooses the group by its own preference, so it gets only
/// `group` for each run.
fn s_client_against_our_server(kt: KeyType, suites: &[CipherSuite], groups: &[NamedGroup]) {
    let files = PemFiles::for_key_type(kt);
    for &group in groups {
        let mut sc = server_every_suite(kt);
        sc.groups = vec![group];
        let server = EchoServer::start(sc);
        for &suite in suites {
            check_s_client_case(&server, &files, kt, suite, group);
        }
    }
}

#[test]
fn s_client_to_our_server_tls12_ecdhe_ecdsa_every_aead_and_group() {
    s_client_against_our_server(KeyType::EcdsaP256, &ECDHE_ECDSA_AEAD, &ALL_GROUPS);
}

#[test]
fn s_client_to_our_server_tls12_ecdhe_rsa_every_aead_and_group() {
    s_client_against_our_server(KeyType::Rsa2048, &ECDHE_RSA_AEAD, &ALL_GROUPS);
}

#[test]
fn s_client_to_our_server_tls12_ecdhe_cbc_with_encrypt_then_mac() {
    s_client_against_our_server(KeyType::EcdsaP256, &ECDHE_ECDSA_CBC, &[NamedGroup::X25519]);
    s_client_against_our_server(KeyType::Rsa2048, &ECDHE_RSA_CBC, &[NamedGroup::secp384r1]);
}

#[test]
fn s_client_to_our_server_tls12_rsa_key_transport_gcm_and_cbc() {
    s_client_against_our_server(KeyType::Rsa2048, &RSA_KX, &[NamedGroup::X25519]);
}

#[test]
fn s_client_to_our_server_tls12_ecdsa_p384_and_ed25519_keys() {
    for kt in [KeyType::EcdsaP384, KeyType::Ed25519] {
        s_client_against_our_server(
            kt,
            &[CS::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256],
            &[NamedGroup::secp256r1],
        );
    }
}

#[test]
fn s_client_to_our_server_tls12_large_data_both_ways() {
    // 40 KB up in one line (several records each way), echoed back.
    let kt = KeyType::EcdsaP256;
    let files = PemFiles::for_key_type(kt);
    let server = EchoServer::start(server_every_suite(kt));
    for suite in [
        CS::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        CS::TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
    ] {
        let line: String = (0..40_000u32)
            .map(|i| char::from(b'A' + (i % 26) as u8))
            .chain(std::iter::once('\n'))
            .collect();
        let args = ["-tls1_2", "-cipher", ossl_name(suite)];
        let run = s_client(server.addr, &files.ca, "localhost", &args, Some(&line));
        let served = server.next();
        assert_eq!(served.handshake, Ok(()), "{}", run.describe);
        assert_eq!(served.suite, Some(suite));
        assert!(served.received == line.as_bytes(), "{suite}: data up");
        assert!(run.stdout.contains(&line), "{suite}: data down");
        assert_eq!(served.close, Ok(()), "{suite}: s_client's close_notify");
        assert!(run.status.success(), "{}", run.describe);
    }
}

#[test]
fn our_server_skips_cbc_for_s_client_without_encrypt_then_mac() {
    // RFC 7366 §3: our server prefers the CBC suite here, but picks it
    // only when the client negotiates encrypt-then-MAC.
    let kt = KeyType::EcdsaP256;
    let files = PemFiles::for_key_type(kt);
    let cbc = CS::TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA;
    let gcm = CS::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256;
    let mut sc = TestPki::get(kt).server_config();
    sc.cipher_suites = vec![cbc, gcm];
    let server = EchoServer::start(sc);
    let both = format!("{}:{}", ossl_name(cbc), ossl_name(gcm));
    for (no_etm, want) in [(false, cbc), (true, gcm)] {
        let mut args = vec!["-tls1_2", "-cipher", &both, "-tlsextdebug"];
        if no_etm {
            args.push("-no_etm");
        }
        let run = s_client(server.addr, &files.ca, "localhost", &args, Some("ping\n"));
        let served = server.next();
        assert_eq!(served.handshake, Ok(()), "{}", run.describe);
        assert_eq!(served.suite, Some(want), "{}", run.describe);
        assert!(
            run.stdout
                .contains(&format!("Cipher    : {}\n", ossl_name(want))),
            "{}",
            run.describe
        );
        assert_eq!(
            run.stdout.contains("\"encrypt-then-mac\""),
            !no_etm,
            "{}",
            run.describe
        );
        assert_eq!(served.close, Ok(()), "{}", run.describe);
    }

    // CBC the only suite in common: handshake_failure (RFC 5246 §7.4.1.3).
    for (kt, suite) in [
        (KeyType::EcdsaP256, cbc),
        (KeyType::Rsa2048, CS::TLS_RSA_WITH_AES_128_CBC_SHA),
    ] {
        let files = PemFiles::for_key_type(kt);
        let server = EchoServer::start(server_every_suite(kt));
        let args = ["-tls1_2", "-cipher", ossl_name(suite), "-no_etm"];
        let run = s_client(server.addr, &files.ca, "localhost", &args, None);
        let served = server.next();
        assert_eq!(
            served.error,
            Some(Error::PeerIncompatible(
                PeerIncompatible::NoCommonCipherSuite
            )),
            "{}",
            run.describe
        );
        assert!(!run.status.success(), "{}", run.describe);
        assert!(
            run.stderr.contains("handshake failure") && run.stderr.contains("alert number 40"),
            "{}",
            run.describe
        );
    }
}

#[test]
fn tls12_ecdsa_certificate_curve_must_be_in_the_client_groups() {
    // RFC 8422 §4: a server must not negotiate an ECC suite it cannot
    // complete within the client's curves, its ECDSA key's curve
    // included. Both implementations refuse with handshake_failure
    // rather than let the client abort over the certificate.
    let kt = KeyType::EcdsaP256;
    let files = PemFiles::for_key_type(kt);
    let suite = CS::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256;

    // s_client offering x25519 only, against our P-256 certificate.
    let server = EchoServer::start(server_every_suite(kt));
    let args = ["-tls1_2", "-cipher", ossl_name(suite), "-groups", "x25519"];
    let run = s_client(server.addr, &files.ca, "localhost", &args, None);
    let served = server.next();
    assert_eq!(
        served.error,
        Some(Error::PeerIncompatible(
            PeerIncompatible::NoCommonCipherSuite
        )),
        "{}",
        run.describe
    );
    assert!(!run.status.success(), "{}", run.describe);
    assert!(run.stderr.contains("alert number 40"), "{}", run.describe);

    // Our client offering x25519 only, against s_server's.
    let mut server = s_server_www(&files, Some("-tls1_2"), &[]);
    let mut cc = client12(kt, suite, NamedGroup::X25519);
    cc.groups = vec![NamedGroup::X25519];
    let (s, hs) = connect(server.addr, cc, "localhost");
    assert!(hs.is_err());
    assert_eq!(
        s.conn.error(),
        Some(&Error::AlertReceived(AlertDescription::HandshakeFailure))
    );
    assert!(
        server
            .proc
            .wait_for(|_, err| err.contains("no shared cipher")),
        "{}",
        server.proc.describe()
    );
}

// ---------------------------------------------------------------------------
// Version negotiation

#[test]
fn our_default_client_gets_tls12_from_s_server_tls1_2_and_tls13_by_default() {
    let kt = KeyType::EcdsaP256;
    let pki = TestPki::get(kt);
    let files = PemFiles::for_key_type(kt);
    for (version, want, page_version) in [
        (Some("-tls1_2"), ProtocolVersion::TLSv1_2, "TLSv1.2"),
        (None, ProtocolVersion::TLSv1_3, "TLSv1.3"),
    ] {
        let ctx = format!("s_server {version:?}");
        let server = s_server_www(&files, version, &[]);
        // Our default client offers TLS 1.3 and 1.2. A TLS 1.2-only
        // OpenSSL must not put the RFC 8446 §4.1.3 downgrade sentinel in
        // its random (we would refuse it).
        let (mut s, hs) = connect(server.addr, pki.client_config(), "localhost");
        hs.unwrap_or_else(|e| panic!("{ctx}: {e}\n{}", server.proc.describe()));
        assert_eq!(s.conn.protocol_version(), Some(want), "{ctx}");
        let suite = s.conn.negotiated_cipher_suite().unwrap();
        if want == ProtocolVersion::TLSv1_2 {
            assert_eq!(suite, CS::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256);
        }
        assert_eq!(s.conn.negotiated_group(), Some(NamedGroup::X25519));
        let page = www_get(&mut s, &ctx);
        let want_line = format!("Protocol  : {page_version}\n");
        assert!(page.contains(&want_line), "{ctx}: page:\n{page}");
    }
}

#[test]
fn s_client_gets_tls13_by_default_and_tls12_when_asked_from_our_default_server() {
    let kt = KeyType::EcdsaP256;
    let files = PemFiles::for_key_type(kt);
    let server = EchoServer::start(TestPki::get(kt).server_config());
    for (version, want, printed) in [
        (None, ProtocolVersion::TLSv1_3, "TLSv1.3"),
        (Some("-tls1_2"), ProtocolVersion::TLSv1_2, "TLSv1.2"),
    ] {
        let args: Vec<&str> = version.into_iter().collect();
        let run = s_client(
            server.addr,
            &files.ca,
            "localhost",
            &args,
            Some("version ping\n"),
        );
        let served = server.next();
        assert_eq!(served.handshake, Ok(()), "{}", run.describe);
        assert_eq!(served.version, Some(want), "{}", run.describe);
        assert!(
            run.stdout.contains(&format!("Protocol  : {printed}\n")),
            "{}",
            run.describe
        );
        assert_eq!(served.close, Ok(()), "{}", run.describe);
        assert!(run.status.success(), "{}", run.describe);
    }

    // A TLS 1.3-only server and a TLS 1.2-only client have no version in
    // common: protocol_version (RFC 8446 §4.2.1, RFC 5246 §E.1).
    let mut sc = TestPki::get(kt).server_config();
    sc.versions = vec![ProtocolVersion::TLSv1_3];
    let server = EchoServer::start(sc);
    let run = s_client(server.addr, &files.ca, "localhost", &["-tls1_2"], None);
    let served = server.next();
    assert_eq!(
        served.error,
        Some(Error::PeerIncompatible(PeerIncompatible::NoCommonVersion)),
        "{}",
        run.describe
    );
    assert!(!run.status.success());
    assert!(run.stderr.contains("alert number 70"), "{}", run.describe);
}
