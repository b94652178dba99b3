//! Interop with peers we did not write: OpenSSL's `s_server` and
//! `s_client` (OpenSSL 3.0: TLS 1.3 with x25519, P-256 and P-384; it has
//! no ML-KEM). TLS 1.2 is in `interop_openssl_tls12.rs`; the process and
//! socket machinery both use is in `common/openssl.rs`.
//!
//! Our client talks to `s_server -www` (it answers `GET /` with a page that
//! shows what *it* negotiated, then sends close_notify) and `s_server -rev`
//! (it echoes each line reversed); `s_client` talks to our server, run in a
//! thread of this process, which echoes what it reads.
//!
//! Nothing here may hang: every child process is killed by a guard when it
//! goes out of scope, every socket has a timeout, and every wait is
//! bounded. No assertion is about timing.

mod common;

use std::io::{BufRead, Read, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use common::openssl::{self as ossl, *};
use common::*;
use ferrotls::{
    AlertDescription, CertificateError, CipherSuite, ClientConfig, Error, NamedGroup,
    PeerIncompatible, ProtocolVersion, ServerConfig, SignatureScheme,
};

/// TLS 1.3 suites; OpenSSL spells them as IANA does.
const SUITES: [CipherSuite; 3] = [
    CipherSuite::TLS_AES_128_GCM_SHA256,
    CipherSuite::TLS_AES_256_GCM_SHA384,
    CipherSuite::TLS_CHACHA20_POLY1305_SHA256,
];

fn suite_name(suite: CipherSuite) -> &'static str {
    suite.name().unwrap()
}

/// The schemes a TLS 1.3 server with this key may sign with.
fn schemes_for(kt: KeyType) -> &'static [SignatureScheme] {
    match kt {
        KeyType::EcdsaP256 => &[SignatureScheme::ECDSA_NISTP256_SHA256],
        KeyType::EcdsaP384 => &[SignatureScheme::ECDSA_NISTP384_SHA384],
        KeyType::Ed25519 => &[SignatureScheme::ED25519],
        KeyType::Rsa2048 => &[
            SignatureScheme::RSA_PSS_RSAE_SHA256,
            SignatureScheme::RSA_PSS_RSAE_SHA384,
            SignatureScheme::RSA_PSS_RSAE_SHA512,
        ],
    }
}

/// What `s_client` prints as "Peer signature type:" for our server's key.
fn ossl_signature_type(kt: KeyType) -> &'static str {
    match kt {
        KeyType::EcdsaP256 | KeyType::EcdsaP384 => "ECDSA",
        KeyType::Ed25519 => "ed25519",
        KeyType::Rsa2048 => "RSA-PSS",
    }
}

/// `openssl s_server -tls1_3 <args>`.
fn s_server(args: &[String]) -> SServer {
    let mut all = strings(&["-tls1_3"]);
    all.extend_from_slice(args);
    ossl::s_server(&all)
}

/// `openssl s_client -tls1_3`, as [`ossl::s_client`].
fn s_client(
    addr: SocketAddr,
    ca: &Path,
    name: &str,
    extra: &[&str],
    line: Option<&str>,
) -> SClientRun {
    ossl::s_client(addr, ca, name, &[&["-tls1_3"], extra].concat(), line)
}

/// `openssl s_client -tls1_3`, as [`ossl::spawn_s_client`].
fn spawn_s_client(addr: SocketAddr, ca: &Path, name: &str, extra: &[&str]) -> PeerProcess {
    ossl::spawn_s_client(addr, ca, name, &[&["-tls1_3"], extra].concat())
}

// ---------------------------------------------------------------------------
// Our client against openssl s_server

/// Checks one handshake of our client with `s_server -www`, and the
/// server's own view of it from the page it returns.
fn check_client_against_www(
    server: &SServer,
    kt: KeyType,
    config: ClientConfig,
    suite: Option<CipherSuite>,
    group: NamedGroup,
    expect_hrr: bool,
) {
    let ctx = format!("{kt:?} {suite:?} {group}");
    let offered_one_group = config.groups.len() == 1;
    let (mut s, hs) = connect(server.addr, config, "localhost");
    hs.unwrap_or_else(|e| panic!("{ctx}: handshake: {e}\n{}", server.proc.describe()));
    assert_eq!(s.conn.protocol_version(), Some(ProtocolVersion::TLSv1_3));
    let negotiated = s.conn.negotiated_cipher_suite().unwrap();
    if let Some(suite) = suite {
        assert_eq!(negotiated, suite, "{ctx}");
    }
    assert_eq!(s.conn.negotiated_group(), Some(group), "{ctx}");
    let scheme = s.conn.negotiated_signature_scheme().unwrap();
    assert!(schemes_for(kt).contains(&scheme), "{ctx}: {scheme}");
    assert_eq!(s.conn.peer_certificates().map(|c| c.len()), Some(2));
    assert_eq!(
        starts_with_hello_retry_request(&s.sock.read),
        expect_hrr,
        "{ctx}: HelloRetryRequest"
    );
    let page = www_get(&mut s, &ctx);
    // OpenSSL's view agrees with ours.
    assert!(
        page.contains(&format!(
            "New, TLSv1.3, Cipher is {}",
            suite_name(negotiated)
        )),
        "{ctx}: page:\n{page}"
    );
    if offered_one_group {
        let shared = format!("Shared groups: {}\n", ossl_group(group).shared);
        assert!(page.contains(&shared), "{ctx}: page:\n{page}");
    }
}

fn client_matrix_against_s_server(kt: KeyType) {
    let pki = TestPki::get(kt);
    let files = PemFiles::for_key_type(kt);
    let mut args = files.server_args();
    args.extend(strings(&["-www", "-groups", "x25519:P-256:P-384"]));
    let server = s_server(&args);
    for suite in SUITES {
        for g in &GROUPS {
            let mut cc = pki.client_config();
            cc.cipher_suites = vec![suite];
            cc.groups = vec![g.group];
            check_client_against_www(&server, kt, cc, Some(suite), g.group, false);
        }
    }
    // Our defaults: key shares for X25519MLKEM768 (unknown to OpenSSL 3.0)
    // and x25519, so x25519 is chosen without a HelloRetryRequest.
    check_client_against_www(
        &server,
        kt,
        pki.client_config(),
        None,
        NamedGroup::X25519,
        false,
    );
}

#[test]
fn our_client_to_s_server_ecdsa_p256_every_suite_and_group() {
    client_matrix_against_s_server(KeyType::EcdsaP256);
}

#[test]
fn our_client_to_s_server_ecdsa_p384_every_suite_and_group() {
    client_matrix_against_s_server(KeyType::EcdsaP384);
}

#[test]
fn our_client_to_s_server_ed25519_every_suite_and_group() {
    client_matrix_against_s_server(KeyType::Ed25519);
}

#[test]
fn our_client_to_s_server_rsa2048_pss_every_suite_and_group() {
    client_matrix_against_s_server(KeyType::Rsa2048);
}

#[test]
fn our_client_to_s_server_hello_retry_request() {
    // s_server accepts one group we sent no key share for (our default
    // client shares X25519MLKEM768 + x25519), so it must ask again.
    let kt = KeyType::EcdsaP256;
    let files = PemFiles::for_key_type(kt);
    for g in [&GROUPS[1], &GROUPS[2]] {
        let mut args = files.server_args();
        args.extend(strings(&["-www", "-groups", g.arg]));
        let server = s_server(&args);
        let cc = TestPki::get(kt).client_config();
        check_client_against_www(&server, kt, cc, None, g.group, true);
    }
}

/// RFC 8446 §4.3.2, §4.4.2: a server that asks for a client certificate
/// (`s_server -verify`, which does not insist on one) gets an empty
/// Certificate and a Finished covering it; OpenSSL checks that Finished,
/// so a wrong transcript ends the handshake with decrypt_error.
#[test]
fn our_client_to_s_server_that_asks_for_a_client_certificate() {
    let kt = KeyType::EcdsaP256;
    let files = PemFiles::for_key_type(kt);
    let mut args = files.server_args();
    args.extend(strings(&["-www", "-verify", "1"]));
    let server = s_server(&args);
    let (mut s, hs) = connect(server.addr, TestPki::get(kt).client_config(), "localhost");
    hs.unwrap_or_else(|e| panic!("handshake: {e}\n{}", server.proc.describe()));
    let page = www_get(&mut s, "certificate requested");
    assert!(page.contains("New, TLSv1.3"), "page:\n{page}");
    assert!(
        page.contains("no client certificate available"),
        "s_server saw a client certificate?\n{page}"
    );
}

/// `StreamOwned` as `BufRead`: `s_server -www -max_send_frag 512` sends
/// its handshake messages and its page in records of at most 512 bytes, so
/// lines cross records; `read_line` joins them, the page ends with
/// close_notify (an empty `fill_buf`), and nothing is lost between lines.
#[test]
fn our_client_reads_lines_from_s_server_in_small_records() {
    let kt = KeyType::EcdsaP256;
    let files = PemFiles::for_key_type(kt);
    let mut args = files.server_args();
    args.extend(strings(&["-www", "-max_send_frag", "512"]));
    let server = s_server(&args);
    let (mut s, hs) = connect(server.addr, TestPki::get(kt).client_config(), "localhost");
    hs.unwrap_or_else(|e| panic!("handshake: {e}\n{}", server.proc.describe()));
    s.write_all(b"GET / HTTP/1.0\r\n\r\n").unwrap();
    let mut lines = Vec::new();
    loop {
        let mut line = String::new();
        match s.read_line(&mut line) {
            Ok(0) => break,
            Ok(_) => lines.push(line),
            Err(e) => panic!("after {} lines: {e}", lines.len()),
        }
    }
    assert!(s.fill_buf().unwrap().is_empty(), "data after close_notify");
    assert_eq!(lines[0], "HTTP/1.0 200 ok\r\n");
    assert!(lines.iter().all(|l| l.ends_with('\n')), "{lines:?}");
    let page = lines.concat();
    assert!(page.len() > 2 * 512, "page of {} bytes", page.len());
    assert!(page.contains("New, TLSv1.3"), "page:\n{page}");
    // The records were as small as asked (those in the recorded prefix
    // of the server's bytes): 512 bytes of content, its type and the tag.
    let mut lens = Vec::new();
    let mut rest = &s.sock.read[..];
    while let Some((head, body)) = rest.split_first_chunk::<5>() {
        let len = usize::from(u16::from_be_bytes([head[3], head[4]]));
        lens.push(len);
        rest = body.get(len..).unwrap_or_default();
    }
    assert!(lens.iter().all(|&n| n <= 512 + 1 + 16), "{lens:?}");
    assert!(lens.contains(&(512 + 1 + 16)), "no full record: {lens:?}");
}

#[test]
fn our_client_to_s_server_rev_data_both_ways_and_close_notify() {
    let kt = KeyType::EcdsaP256;
    let pki = TestPki::get(kt);
    let files = PemFiles::for_key_type(kt);
    let mut args = files.server_args();
    args.push("-rev".into());
    let mut server = s_server(&args);

    // Several lines, one of them spanning records on the way back.
    let long: String = (0..12_000u32)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();
    let lines = ["hello from ferrotls", long.as_str(), "third line"];
    let (mut s, hs) = connect(server.addr, pki.client_config(), "localhost");
    hs.unwrap();
    for line in lines {
        s.write_all(format!("{line}\n").as_bytes()).unwrap();
    }
    let got = read_lines(&mut s, lines.len());
    let want: String = lines
        .iter()
        .map(|l| format!("{}\n", l.chars().rev().collect::<String>()))
        .collect();
    assert!(got == want.as_bytes(), "reversed lines differ");

    // "CLOSE" makes s_server shut the connection down: its close_notify
    // must read as a clean end of stream (Ok(0)), not a truncation.
    s.write_all(b"CLOSE\n").unwrap();
    let mut rest = Vec::new();
    s.read_to_end(&mut rest)
        .expect("s_server's close_notify ends the stream cleanly");
    assert!(rest.is_empty());
    let _ = s.close();

    // Now we close first: s_server must see our close_notify as the end of
    // input (it logs "CONNECTION CLOSED" only for a clean end) and answer
    // with its own.
    let (mut s, hs) = connect(server.addr, pki.client_config(), "localhost");
    hs.unwrap();
    s.write_all(b"ping\n").unwrap();
    assert_eq!(read_lines(&mut s, 1), b"gnip\n");
    s.close().unwrap();
    let mut rest = Vec::new();
    s.read_to_end(&mut rest)
        .expect("s_server answers our close_notify with its own");
    assert!(rest.is_empty());
    assert!(
        server
            .proc
            .wait_for(|_, err| err.matches("CONNECTION CLOSED").count() >= 2),
        "s_server did not see a clean close\n{}",
        server.proc.describe()
    );
    assert!(
        !server.proc.stderr.text().contains("unexpected eof"),
        "{}",
        server.proc.describe()
    );
}

#[test]
fn our_client_to_s_server_alpn() {
    let kt = KeyType::EcdsaP256;
    let pki = TestPki::get(kt);
    let files = PemFiles::for_key_type(kt);
    let mut args = files.server_args();
    args.extend(strings(&["-www", "-alpn", "h2,http/1.1"]));
    let server = s_server(&args);

    // OpenSSL picks by its own order among what we offer.
    for (offer, want) in [
        (vec!["http/1.1", "h2"], Some(&b"h2"[..])),
        (vec!["http/1.1"], Some(&b"http/1.1"[..])),
        (vec![], None),
    ] {
        let mut cc = pki.client_config();
        cc.alpn_protocols = offer.iter().map(|p| p.as_bytes().to_vec()).collect();
        let (mut s, hs) = connect(server.addr, cc, "localhost");
        hs.unwrap();
        assert_eq!(s.conn.alpn_protocol(), want, "offered {offer:?}");
        www_get(&mut s, "alpn");
    }

    // No protocol in common: OpenSSL refuses with no_application_protocol
    // (RFC 7301 §3.2), and we report the alert.
    let mut cc = pki.client_config();
    cc.alpn_protocols = vec![b"spdy/3".to_vec()];
    let (s, hs) = connect(server.addr, cc, "localhost");
    assert!(hs.is_err());
    assert_eq!(
        s.conn.error(),
        Some(&Error::AlertReceived(
            AlertDescription::NoApplicationProtocol
        ))
    );
}

#[test]
fn our_client_to_s_server_sni_selects_the_certificate() {
    // s_server switches to its second certificate (Ed25519) when the SNI
    // is testserver.example. It sends that one without an intermediate,
    // so our client trusts the Ed25519 intermediate directly.
    let p256 = TestPki::get(KeyType::EcdsaP256);
    let ed = TestPki::get(KeyType::Ed25519);
    let files = PemFiles::new(p256, "sni-a");
    let files2 = PemFiles::new(ed, "sni-b");
    let mut args = files.server_args();
    args.extend(strings(&[
        "-www",
        "-servername",
        "testserver.example",
        "-cert2",
        path(&files2.leaf),
        "-key2",
        path(&files2.key),
    ]));
    let server = s_server(&args);
    let mut roots = p256.roots();
    roots.add(&ed.chain[1]).unwrap();
    for (name, scheme) in [
        ("localhost", SignatureScheme::ECDSA_NISTP256_SHA256),
        ("testserver.example", SignatureScheme::ED25519),
    ] {
        let (mut s, hs) = connect(server.addr, ClientConfig::new(roots.clone()), name);
        hs.unwrap_or_else(|e| panic!("{name}: {e}\n{}", server.proc.describe()));
        assert_eq!(s.conn.negotiated_signature_scheme(), Some(scheme), "{name}");
        www_get(&mut s, name);
    }
}

#[test]
fn our_client_rejects_s_server_with_wrong_name_or_unknown_ca() {
    let kt = KeyType::EcdsaP256;
    let pki = TestPki::get(kt);
    let files = PemFiles::for_key_type(kt);
    let mut args = files.server_args();
    args.push("-www".into());
    let mut server = s_server(&args);

    // RFC 8446 §4.4.2.4 / RFC 5246 §7.2.2: a name the certificate does not
    // cover is bad_certificate (42).
    let (s, hs) = connect(server.addr, pki.client_config(), "wrong.example");
    let io_err = hs.expect_err("wrong name must fail");
    assert!(
        io_err
            .to_string()
            .contains("certificate is not valid for name 'wrong.example'"),
        "{io_err}"
    );
    assert_eq!(
        s.conn.error(),
        Some(&Error::InvalidCertificate(
            CertificateError::NotValidForName {
                expected: "wrong.example".into()
            }
        ))
    );
    drop(s);
    assert!(
        server
            .proc
            .wait_for(|_, err| err.contains("SSL alert number 42")),
        "s_server did not report bad_certificate\n{}",
        server.proc.describe()
    );

    // A chain to a CA we do not trust is unknown_ca (48).
    let stranger = TestPki::new(kt);
    let (s, hs) = connect(server.addr, stranger.client_config(), "localhost");
    let io_err = hs.expect_err("unknown CA must fail");
    assert!(io_err.to_string().contains("unknown issuer"), "{io_err}");
    assert_eq!(
        s.conn.error(),
        Some(&Error::InvalidCertificate(CertificateError::UnknownIssuer))
    );
    drop(s);
    assert!(
        server
            .proc
            .wait_for(|_, err| err.contains("SSL alert number 48")),
        "s_server did not report unknown_ca\n{}",
        server.proc.describe()
    );
}

// ---------------------------------------------------------------------------
// Our server, and openssl s_client against it

/// One good connection from s_client: handshake, echo, clean close on
/// both sides, and both sides' views of the parameters agree.
fn check_s_client_case(
    server: &EchoServer,
    files: &PemFiles,
    kt: KeyType,
    extra: &[&str],
    suite: Option<CipherSuite>,
    group: NamedGroup,
    expect_hrr: bool,
) -> (SClientRun, Served) {
    let line = format!("ping from s_client {kt:?} {suite:?} {group}\n");
    let mut args = vec!["-servername", "localhost"];
    args.extend_from_slice(extra);
    let run = s_client(server.addr, &files.ca, "localhost", &args, Some(&line));
    let served = server.next();
    let ctx = format!("{kt:?} {suite:?} {group}\n{}", run.describe);
    assert_eq!(served.handshake, Ok(()), "{ctx}");
    assert!(run.status.success(), "{ctx}");
    assert_eq!(served.received, line.as_bytes(), "{ctx}");
    assert!(run.stdout.contains(&line), "echo missing: {ctx}");
    assert_eq!(served.close, Ok(()), "s_client's close_notify: {ctx}");
    assert!(run.stderr.contains("DONE"), "{ctx}");

    let negotiated = served.suite.unwrap();
    if let Some(suite) = suite {
        assert_eq!(negotiated, suite, "{ctx}");
    }
    assert_eq!(served.group, Some(group), "{ctx}");
    assert!(schemes_for(kt).contains(&served.scheme.unwrap()), "{ctx}");
    assert_eq!(served.sni.as_deref(), Some("localhost"), "{ctx}");
    assert_eq!(served.hrr, expect_hrr, "{ctx}");
    for want in [
        format!("New, TLSv1.3, Cipher is {}", suite_name(negotiated)),
        format!("Server Temp Key: {}", ossl_group(group).temp_key),
        format!("Peer signature type: {}", ossl_signature_type(kt)),
        "Verify return code: 0 (ok)".to_string(),
    ] {
        assert!(run.stdout.contains(&want), "missing {want:?}: {ctx}");
    }
    (run, served)
}

fn s_client_matrix_against_our_server(kt: KeyType) {
    let files = PemFiles::for_key_type(kt);
    let server = EchoServer::start(TestPki::get(kt).server_config());
    for suite in SUITES {
        for g in &GROUPS {
            check_s_client_case(
                &server,
                &files,
                kt,
                &["-ciphersuites", suite_name(suite), "-groups", g.arg],
                Some(suite),
                g.group,
                false,
            );
        }
    }
    // OpenSSL's defaults: a share for x25519 only.
    check_s_client_case(&server, &files, kt, &[], None, NamedGroup::X25519, false);
}

#[test]
fn s_client_to_our_server_ecdsa_p256_every_suite_and_group() {
    s_client_matrix_against_our_server(KeyType::EcdsaP256);
}

#[test]
fn s_client_to_our_server_ecdsa_p384_every_suite_and_group() {
    s_client_matrix_against_our_server(KeyType::EcdsaP384);
}

#[test]
fn s_client_to_our_server_ed25519_every_suite_and_group() {
    s_client_matrix_against_our_server(KeyType::Ed25519);
}

#[test]
fn s_client_to_our_server_rsa2048_pss_every_suite_and_group() {
    s_client_matrix_against_our_server(KeyType::Rsa2048);
}

#[test]
fn s_client_to_our_server_hello_retry_request() {
    // s_client sends a key share for x25519 only; our server accepting
    // just one NIST group must ask again (RFC 8446 §4.1.4).
    let kt = KeyType::EcdsaP256;
    let files = PemFiles::for_key_type(kt);
    for group in [NamedGroup::secp384r1, NamedGroup::secp256r1] {
        let mut sc = TestPki::get(kt).server_config();
        sc.groups = vec![group];
        let server = EchoServer::start(sc);
        check_s_client_case(&server, &files, kt, &[], None, group, true);
    }
}

#[test]
fn s_client_to_our_server_alpn() {
    let kt = KeyType::EcdsaP256;
    let files = PemFiles::for_key_type(kt);
    let mut sc = TestPki::get(kt).server_config();
    sc.alpn_protocols = vec![b"http/1.1".to_vec(), b"h2".to_vec()];
    let server = EchoServer::start(sc);

    // We take our most preferred protocol that the client offers (RFC 7301
    // §3.2), whatever the client's order.
    for (offer, want) in [
        ("h2,http/1.1", "http/1.1"),
        ("spdy/3,h2", "h2"),
        ("spdy/3,http/1.1", "http/1.1"),
    ] {
        let (run, served) = check_s_client_case(
            &server,
            &files,
            kt,
            &["-alpn", offer],
            None,
            NamedGroup::X25519,
            false,
        );
        assert_eq!(served.alpn.as_deref(), Some(want.as_bytes()));
        assert!(
            run.stdout.contains(&format!("ALPN protocol: {want}\n")),
            "{}",
            run.describe
        );
    }
    let (run, served) =
        check_s_client_case(&server, &files, kt, &[], None, NamedGroup::X25519, false);
    assert_eq!(served.alpn, None);
    assert!(
        run.stdout.contains("No ALPN negotiated"),
        "{}",
        run.describe
    );

    // Nothing in common: no_application_protocol (RFC 7301 §3.2).
    let run = s_client(
        server.addr,
        &files.ca,
        "localhost",
        &["-alpn", "spdy/3"],
        None,
    );
    let served = server.next();
    assert_eq!(served.error, Some(Error::NoApplicationProtocol));
    assert!(!run.status.success());
    assert!(
        run.stderr.contains("no application protocol"),
        "{}",
        run.describe
    );
}

#[test]
fn s_client_to_our_server_sni() {
    let a = TestPki::get(KeyType::EcdsaP256);
    let b = TestPki::get(KeyType::Ed25519);
    let files_a = PemFiles::new(a, "sni-a");
    let cas = files_a.dir.join("both-cas.pem");
    std::fs::write(&cas, format!("{}{}", a.ca_pem, b.ca_pem)).unwrap();

    let mut resolver = ferrotls::SniResolver::new();
    let key_a = ferrotls::CertifiedKey::from_der(a.chain.clone(), &a.key).unwrap();
    let key_b = ferrotls::CertifiedKey::from_der(b.chain.clone(), &b.key).unwrap();
    resolver.add("localhost", Arc::new(key_a)).unwrap();
    resolver.add("testserver.example", Arc::new(key_b)).unwrap();
    let server = EchoServer::start(ServerConfig::with_cert_resolver(Arc::new(resolver)));

    for (name, sig) in [("localhost", "ECDSA"), ("testserver.example", "ed25519")] {
        let line = format!("ping {name}\n");
        let run = s_client(server.addr, &cas, name, &["-servername", name], Some(&line));
        let served = server.next();
        assert_eq!(served.handshake, Ok(()), "{}", run.describe);
        assert!(run.status.success(), "{}", run.describe);
        assert_eq!(served.sni.as_deref(), Some(name));
        assert_eq!(served.close, Ok(()));
        assert!(run.stdout.contains(&line), "{}", run.describe);
        assert!(
            run.stdout
                .contains(&format!("Peer signature type: {sig}\n")),
            "{}",
            run.describe
        );
        assert!(
            run.stdout.contains("Verify return code: 0 (ok)"),
            "{}",
            run.describe
        );
    }

    // No SNI and no default certificate: unrecognized_name (RFC 6066 §3).
    let run = s_client(server.addr, &cas, "localhost", &["-noservername"], None);
    let served = server.next();
    assert_eq!(
        served.error,
        Some(Error::PeerIncompatible(
            PeerIncompatible::NoCertificateForName
        ))
    );
    assert!(!run.status.success());
    assert!(run.stderr.contains("unrecognized name"), "{}", run.describe);
}

#[test]
fn s_client_key_update_to_our_server() {
    // s_client's "K" command sends KeyUpdate(update_requested), "k" one
    // with update_not_requested (RFC 8446 §4.6.3). Our server must read
    // on with the client's next key and, when asked, update its own: the
    // echo after "K" only decrypts at s_client if we did.
    let kt = KeyType::EcdsaP256;
    let files = PemFiles::for_key_type(kt);
    let server = EchoServer::start(TestPki::get(kt).server_config());
    let mut proc = spawn_s_client(server.addr, &files.ca, "localhost", &[]);
    let lines = ["ping one\n", "ping two\n", "ping three\n"];
    for (i, line) in lines.iter().enumerate() {
        if i > 0 {
            let cmd = if i == 1 { "K\n" } else { "k\n" };
            assert!(proc.send(cmd), "{}", proc.describe());
            assert!(
                proc.wait_for(|_, err| err.matches("KEYUPDATE").count() == i),
                "{}",
                proc.describe()
            );
        }
        assert!(proc.send(line), "{}", proc.describe());
        assert!(
            proc.wait_for(|out, _| out.contains(line)),
            "no echo of {line:?}\n{}",
            proc.describe()
        );
    }
    let run = finish_s_client(proc);
    let served = server.next();
    assert_eq!(served.handshake, Ok(()), "{}", run.describe);
    assert_eq!(
        served.received,
        lines.concat().as_bytes(),
        "{}",
        run.describe
    );
    assert_eq!(served.close, Ok(()), "{}", run.describe);
    assert!(run.status.success(), "{}", run.describe);
}

#[test]
fn our_client_key_update_both_ways_with_s_server() {
    // Plain s_server sends its stdin to the client and prints what it
    // receives; its "K" command sends KeyUpdate(update_requested).
    let kt = KeyType::EcdsaP256;
    let pki = TestPki::get(kt);
    let files = PemFiles::for_key_type(kt);
    let mut args = files.server_args();
    args.extend(strings(&["-naccept", "1"]));
    let mut server = s_server(&args);
    let (mut s, hs) = connect(server.addr, pki.client_config(), "localhost");
    hs.unwrap();

    assert!(server.proc.send("from s_server\n"));
    assert_eq!(read_lines(&mut s, 1), b"from s_server\n");
    assert!(server.proc.send("K\n"));
    // s_server's note about it sits in a stdio buffer, so wait for the
    // KeyUpdate record itself, and process it: we must queue our own
    // KeyUpdate in answer (RFC 8446 §4.6.3).
    while !s.conn.wants_write() {
        assert!(s.conn.read_tls(&mut s.sock).unwrap() > 0, "eof");
        let io = s.conn.process_new_packets().unwrap();
        assert_eq!(io.plaintext_bytes_to_read, 0);
    }
    s.flush().unwrap();
    // Only now (a line sent together with "K" would be dropped) the next
    // line, under s_server's new key.
    assert!(server.proc.send("after key update\n"));
    assert_eq!(read_lines(&mut s, 1), b"after key update\n");
    // s_server can read this only if we switched our sending key.
    s.write_all(b"client after key update\n").unwrap();
    assert!(
        server
            .proc
            .wait_for(|out, _| out.contains("client after key update\n")),
        "{}",
        server.proc.describe()
    );
    // Now we update and ask s_server to follow: it must read our next
    // line under our new key, and its next line comes under its new one.
    s.conn.send_key_update(true).unwrap();
    s.write_all(b"client after our key update\n").unwrap();
    assert!(
        server
            .proc
            .wait_for(|out, _| out.contains("client after our key update\n")),
        "{}",
        server.proc.describe()
    );
    assert!(server.proc.send("server after our key update\n"));
    assert_eq!(read_lines(&mut s, 1), b"server after our key update\n");
    // We close; s_server answers with close_notify.
    s.close().unwrap();
    let mut rest = Vec::new();
    s.read_to_end(&mut rest)
        .expect("s_server answers our close_notify with its own");
    server.proc.wait_exit();
    assert!(
        !server.proc.stdout.text().contains("ERROR"),
        "{}",
        server.proc.describe()
    );
}
