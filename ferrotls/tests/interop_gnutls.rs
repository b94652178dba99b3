//! Interop with a third TLS stack we did not write: GnuTLS's `gnutls-cli`
//! against our server, and our client against `gnutls-serv --echo`, in
//! TLS 1.3 and TLS 1.2: ECDSA P-256/P-384, Ed25519 and RSA keys on both
//! sides, suites, groups, HelloRetryRequest, resumption
//! (tickets and session IDs), KeyUpdate, and the empty client Certificate
//! `gnutls-serv` asks for by default. `.ci/run` installs `gnutls-bin`.
//!
//! Nothing here may hang: every child process is killed by a guard when it
//! goes out of scope, every socket has a timeout, and every wait is
//! bounded. No assertion is about timing.

mod common;

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;

use common::openssl::{
    check_key_updates, connect, listen_on_free_port, path, read_lines, strings, EchoServer,
    PeerProcess, PemFiles, Served,
};
use common::*;
use ferrotls::msgs::enums::HandshakeType;
use ferrotls::{CipherSuite, ClientConfig, NamedGroup, ProtocolVersion};

const TLS13: &str = "NORMAL:-VERS-ALL:+VERS-TLS1.3";
const TLS12: &str = "NORMAL:-VERS-ALL:+VERS-TLS1.2";

/// `gnutls-cli` connected to `addr`, trusting `ca`; its stdin stays open
/// until `finish`.
fn gnutls_cli(addr: SocketAddr, ca: &str, priority: &str, extra: &[&str]) -> PeerProcess {
    let mut args = strings(&["--x509cafile", ca, "--priority", priority, "--port"]);
    args.push(addr.port().to_string());
    args.extend(strings(extra));
    args.push(addr.ip().to_string());
    PeerProcess::spawn("gnutls-cli", args)
}

/// Sends `line` and waits until `gnutls-cli` prints it back.
fn echo_through(cli: &mut PeerProcess, line: &str) {
    assert!(cli.send(line), "gnutls-cli is gone\n{}", cli.describe());
    let want = line.trim_end();
    let got = cli.wait_for(|out, _| out.lines().any(|l| l == want));
    assert!(got, "no echo of {want:?}\n{}", cli.describe());
}

/// Closes `gnutls-cli`'s stdin (it sends close_notify), waits for it to
/// exit, and returns what our server saw.
fn finish(mut cli: PeerProcess, server: &EchoServer) -> (String, Served) {
    let status = cli.wait_exit();
    let text = format!("{}\n{}", cli.stdout.text(), cli.stderr.text());
    assert!(status.success(), "gnutls-cli failed\n{}", cli.describe());
    (text, server.next())
}

fn served_ok(served: &Served, version: ProtocolVersion, text: &str) {
    assert_eq!(served.handshake, Ok(()), "{served:?}\n{text}");
    assert_eq!(served.version, Some(version), "{served:?}");
    assert_eq!(served.close, Ok(()), "gnutls-cli ends with close_notify");
}

#[test]
fn gnutls_cli_talks_to_our_server() {
    // (key, priority, version, suite, group)
    let cases = [
        (
            KeyType::EcdsaP256,
            TLS13.to_string(),
            ProtocolVersion::TLSv1_3,
            CipherSuite::TLS_AES_128_GCM_SHA256,
            NamedGroup::X25519,
        ),
        (
            KeyType::Rsa2048,
            format!("{TLS13}:-CIPHER-ALL:+CHACHA20-POLY1305:-GROUP-ALL:+GROUP-SECP384R1"),
            ProtocolVersion::TLSv1_3,
            CipherSuite::TLS_CHACHA20_POLY1305_SHA256,
            NamedGroup::secp384r1,
        ),
        (
            KeyType::EcdsaP256,
            format!("{TLS13}:-CIPHER-ALL:+AES-256-GCM:-GROUP-ALL:+GROUP-SECP256R1"),
            ProtocolVersion::TLSv1_3,
            CipherSuite::TLS_AES_256_GCM_SHA384,
            NamedGroup::secp256r1,
        ),
        (
            KeyType::EcdsaP256,
            TLS12.to_string(),
            ProtocolVersion::TLSv1_2,
            CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            NamedGroup::X25519,
        ),
        (
            KeyType::Rsa2048,
            format!("{TLS12}:-CIPHER-ALL:+AES-256-GCM:-GROUP-ALL:+GROUP-SECP256R1"),
            ProtocolVersion::TLSv1_2,
            CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
            NamedGroup::secp256r1,
        ),
        (
            KeyType::EcdsaP256,
            format!("{TLS12}:-CIPHER-ALL:+CHACHA20-POLY1305"),
            ProtocolVersion::TLSv1_2,
            CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
            NamedGroup::X25519,
        ),
        (
            KeyType::EcdsaP384,
            TLS13.to_string(),
            ProtocolVersion::TLSv1_3,
            CipherSuite::TLS_AES_128_GCM_SHA256,
            NamedGroup::X25519,
        ),
        (
            KeyType::Ed25519,
            TLS13.to_string(),
            ProtocolVersion::TLSv1_3,
            CipherSuite::TLS_AES_128_GCM_SHA256,
            NamedGroup::X25519,
        ),
        (
            KeyType::Ed25519,
            TLS12.to_string(),
            ProtocolVersion::TLSv1_2,
            CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            NamedGroup::X25519,
        ),
    ];
    for (kt, priority, version, suite, group) in cases {
        let pki = TestPki::get(kt);
        let files = PemFiles::new(pki, "cli");
        let server = EchoServer::start(pki.server_config());
        let mut cli = gnutls_cli(server.addr, path(&files.ca), &priority, &[]);
        echo_through(&mut cli, "hello from gnutls\n");
        let (text, served) = finish(cli, &server);
        served_ok(&served, version, &text);
        assert_eq!(served.suite, Some(suite), "{priority}\n{text}");
        assert_eq!(served.group, Some(group), "{priority}\n{text}");
        assert!(!served.hrr, "{priority}");
        assert_eq!(served.received, b"hello from gnutls\n");
    }
}

#[test]
fn our_server_asks_gnutls_cli_for_another_key_share() {
    // RFC 8446 §4.1.4: gnutls-cli sends a share for secp521r1 only, which
    // we do not implement; we ask for secp256r1 in a HelloRetryRequest.
    let pki = TestPki::get(KeyType::EcdsaP256);
    let files = PemFiles::new(pki, "hrr");
    let server = EchoServer::start(pki.server_config());
    let priority = format!("{TLS13}:-GROUP-ALL:+GROUP-SECP521R1:+GROUP-SECP256R1");
    let mut cli = gnutls_cli(server.addr, path(&files.ca), &priority, &[]);
    echo_through(&mut cli, "after a retry\n");
    let (text, served) = finish(cli, &server);
    served_ok(&served, ProtocolVersion::TLSv1_3, &text);
    assert!(served.hrr, "{text}");
    assert_eq!(served.group, Some(NamedGroup::secp256r1));
}

#[test]
fn gnutls_cli_gets_our_most_preferred_protocol() {
    // RFC 7301 §3.2: among the protocols gnutls-cli offers, in its order,
    // we choose by ours; with none in common, no_application_protocol.
    let pki = TestPki::get(KeyType::EcdsaP256);
    let files = PemFiles::new(pki, "alpn");
    let mut config = pki.server_config();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let server = EchoServer::start(config);
    for priority in [TLS13, TLS12] {
        let offer = ["--alpn", "http/1.1", "--alpn", "h2"];
        let mut cli = gnutls_cli(server.addr, path(&files.ca), priority, &offer);
        echo_through(&mut cli, "protocol\n");
        let (text, served) = finish(cli, &server);
        assert_eq!(served.alpn.as_deref(), Some(&b"h2"[..]), "{text}");
        assert!(text.contains("Application protocol: h2"), "{text}");
    }
    let mut cli = gnutls_cli(server.addr, path(&files.ca), TLS13, &["--alpn", "spdy/3"]);
    let status = cli.wait_exit();
    let text = format!("{}\n{}", cli.stdout.text(), cli.stderr.text());
    assert!(!status.success(), "{text}");
    assert!(text.contains("Received alert [120]"), "{text}");
    let served = server.next();
    assert_eq!(served.error, Some(ferrotls::Error::NoApplicationProtocol));
}

#[test]
fn gnutls_cli_resumes_our_sessions() {
    // TLS 1.3 tickets, TLS 1.2 tickets (RFC 5077), TLS 1.2 session IDs.
    for (priority, version) in [
        (TLS13.to_string(), ProtocolVersion::TLSv1_3),
        (TLS12.to_string(), ProtocolVersion::TLSv1_2),
        (format!("{TLS12}:%NO_TICKETS"), ProtocolVersion::TLSv1_2),
    ] {
        let pki = TestPki::get(KeyType::EcdsaP256);
        let files = PemFiles::new(pki, "resume");
        let server = EchoServer::start(pki.server_config());
        // --resume: a first connection, closed, then a second that resumes.
        let mut cli = gnutls_cli(server.addr, path(&files.ca), &priority, &["--resume"]);
        echo_through(&mut cli, "resumed\n");
        let first = server.next();
        let (text, second) = finish(cli, &server);
        assert_eq!(first.handshake, Ok(()), "{first:?}\n{text}");
        assert!(!first.resumed, "{priority}");
        served_ok(&second, version, &text);
        assert!(second.resumed, "{priority}: not resumed\n{text}");
        assert!(text.contains("This is a resumed session"), "{text}");
        assert_eq!(second.received, b"resumed\n");
    }
}

#[test]
fn gnutls_cli_updates_keys_with_our_server() {
    // RFC 8446 §4.6.3: `^rekey1^` sends KeyUpdate(update_requested),
    // `^rekey^` one with update_not_requested; after each, gnutls-cli
    // sends under its next key, so "two" and "three" only reach our
    // server, and come back, if it reads on with that key.
    let pki = TestPki::get(KeyType::EcdsaP256);
    let files = PemFiles::new(pki, "keyupdate");
    let server = EchoServer::start(pki.server_config());
    let mut cli = gnutls_cli(server.addr, path(&files.ca), TLS13, &["--inline-commands"]);
    echo_through(&mut cli, "one\n");
    assert!(cli.send("^rekey1^\n"));
    echo_through(&mut cli, "two\n");
    assert!(cli.send("^rekey^\n"));
    echo_through(&mut cli, "three\n");
    let (text, served) = finish(cli, &server);
    served_ok(&served, ProtocolVersion::TLSv1_3, &text);
    assert_eq!(served.received, b"one\ntwo\nthree\n");
}

// ---------------------------------------------------------------------------
// Our client against gnutls-serv

/// `gnutls-serv --echo` on a free loopback port, serving `files`.
struct GnutlsServ {
    proc: PeerProcess,
    addr: SocketAddr,
}

fn gnutls_serv(files: &PemFiles, extra: &[&str]) -> GnutlsServ {
    let spawn = |port: u16| {
        let mut args = strings(&[
            "--echo",
            "--x509certfile",
            path(&files.chain),
            "--x509keyfile",
            path(&files.key),
            "--port",
        ]);
        args.push(port.to_string());
        args.extend(strings(extra));
        PeerProcess::spawn("gnutls-serv", args)
    };
    // "Echo Server listening on IPv4 0.0.0.0 port N...done": "done" once
    // it is bound and listening.
    let listening = |out: &str, err: &str| {
        (out.lines().chain(err.lines())).any(|l| l.contains("IPv4") && l.ends_with("done"))
    };
    let (proc, addr) = listen_on_free_port(spawn, listening);
    GnutlsServ { proc, addr }
}

fn client_config(versions: &[ProtocolVersion]) -> ClientConfig {
    client_config_for(KeyType::EcdsaP256, versions)
}

/// Our client, trusting the CA of `kt`'s test PKI.
fn client_config_for(kt: KeyType, versions: &[ProtocolVersion]) -> ClientConfig {
    let mut config = TestPki::get(kt).client_config();
    config.versions = versions.to_vec();
    config
}

/// One connection of our client: a line echoed, then close_notify.
/// Returns whether the session was resumed.
fn echo_once(serv: &GnutlsServ, config: ClientConfig, version: ProtocolVersion) -> bool {
    let (mut s, hs) = connect(serv.addr, config, "localhost");
    hs.unwrap_or_else(|e| panic!("handshake: {e}\n{}", serv.proc.describe()));
    assert_eq!(s.conn.protocol_version(), Some(version));
    s.write_all(b"ping from ferrotls\n").unwrap();
    assert_eq!(read_lines(&mut s, 1), b"ping from ferrotls\n");
    let _ = s.close();
    s.conn.is_resumed()
}

#[test]
fn our_client_talks_to_gnutls_serv() {
    let pki = TestPki::get(KeyType::EcdsaP256);
    let files = PemFiles::new(pki, "serv");
    // gnutls-serv asks for a client certificate unless told not to; we
    // answer with an empty Certificate, covered by the Finished.
    for extra in [&[][..], &["--disable-client-cert"][..]] {
        let serv = gnutls_serv(&files, extra);
        for version in [ProtocolVersion::TLSv1_3, ProtocolVersion::TLSv1_2] {
            assert!(!echo_once(&serv, client_config(&[version]), version));
        }
        // Offering X25519MLKEM768 first (GnuTLS 3.7 lacks it) ends in
        // x25519 from the second key share we sent; with secp384r1 second
        // (no share sent for it), gnutls-serv asks for one in a
        // HelloRetryRequest (RFC 8446 §4.1.4): a second ServerHello.
        for (second, retries) in [(NamedGroup::X25519, 0), (NamedGroup::secp384r1, 1)] {
            let received = Arc::new(Received::default());
            let mut config = observed_client(&[ProtocolVersion::TLSv1_3], &received);
            config.groups = vec![NamedGroup::X25519MLKEM768, second];
            let (mut s, hs) = connect(serv.addr, config, "localhost");
            hs.unwrap();
            assert_eq!(s.conn.negotiated_group(), Some(second));
            assert_eq!(received.count(HandshakeType::ServerHello), 1 + retries);
            let _ = s.close();
        }
    }
}

/// Our client, with `received` watching it.
fn observed_client(versions: &[ProtocolVersion], received: &Arc<Received>) -> ClientConfig {
    let mut config = client_config(versions);
    config.observer = Some(received.clone());
    config
}

#[test]
fn our_client_updates_keys_with_gnutls_serv() {
    // RFC 8446 §4.6.3: our KeyUpdate makes gnutls-serv read with our next
    // key; when we ask (update_requested) it sends its own KeyUpdate, and
    // the echo after it only reads if we moved on to its next key too.
    let files = PemFiles::new(TestPki::get(KeyType::EcdsaP256), "serv-keyupdate");
    let serv = gnutls_serv(&files, &["--disable-client-cert"]);
    let config = client_config(&[ProtocolVersion::TLSv1_3]);
    check_key_updates(serv.addr, config, || serv.proc.describe());
}

#[test]
fn our_client_checks_each_kind_of_gnutls_serv_key() {
    // The server's CertificateVerify / ServerKeyExchange signature, made by
    // GnuTLS with each key type, checked by us in both versions.
    for kt in [KeyType::Rsa2048, KeyType::EcdsaP384, KeyType::Ed25519] {
        let files = PemFiles::new(TestPki::get(kt), &format!("serv-{kt:?}"));
        let serv = gnutls_serv(&files, &["--disable-client-cert"]);
        for version in [ProtocolVersion::TLSv1_3, ProtocolVersion::TLSv1_2] {
            let config = client_config_for(kt, &[version]);
            assert!(!echo_once(&serv, config, version), "{kt:?} {version:?}");
        }
    }
}

#[test]
fn our_client_resumes_with_gnutls_serv() {
    let pki = TestPki::get(KeyType::EcdsaP256);
    let files = PemFiles::new(pki, "serv-resume");
    // With tickets (TLS 1.3, and RFC 5077 in TLS 1.2), then TLS 1.2
    // session IDs only.
    for (extra, versions) in [
        (
            &[][..],
            &[ProtocolVersion::TLSv1_3, ProtocolVersion::TLSv1_2][..],
        ),
        (&["--noticket"][..], &[ProtocolVersion::TLSv1_2][..]),
    ] {
        let serv = gnutls_serv(&files, extra);
        for &version in versions {
            // Clones share the session cache.
            let config = client_config(&[version]);
            let resumed = |serv: &GnutlsServ| echo_once(serv, config.clone(), version);
            assert!(!resumed(&serv), "{version:?} {extra:?}: first connection");
            assert!(resumed(&serv), "{version:?} {extra:?}: second connection");
        }
    }
}
