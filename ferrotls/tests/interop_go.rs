//! Interop with Go's crypto/tls, a fourth TLS stack we did not write:
//! `tests/go_peer/main.go`, built here with the `go` tool (`.ci/run`
//! installs golang-go), as a client of our server and as a server for our
//! client, in TLS 1.3 and TLS 1.2: ECDSA P-256/P-384, Ed25519 and RSA
//! keys, resumption by ticket in both versions, HelloRetryRequest both
//! ways, ALPN, and KeyUpdate. Each side's view of the connection (Go's
//! `conn` line, our connection's state) must agree.
//!
//! Nothing here may hang: every child process is killed by a guard when it
//! goes out of scope, every socket has a timeout, and every wait is
//! bounded. No assertion is about timing.

mod common;

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

use common::openssl::{
    check_key_updates, connect, path, strings, EchoServer, PeerProcess, PemFiles,
};
use common::peer_lines::{check_resumed_client, max_version, ConnLine, PeerServer, CLIENT_CASES};
use common::*;
use ferrotls::{ClientConfig, Error, NamedGroup, ProtocolVersion};

/// The Go peer, built once per test run.
fn go_peer() -> &'static str {
    static PEER: OnceLock<String> = OnceLock::new();
    PEER.get_or_init(|| {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/go_peer/main.go");
        let exe = Path::new(env!("CARGO_TARGET_TMPDIR")).join("go-peer");
        let built = Command::new("go")
            .arg("build")
            .arg("-o")
            .arg(&exe)
            .arg(&src)
            // Standard library only: nothing to fetch.
            .env("GOPROXY", "off")
            .output()
            .unwrap_or_else(|e| panic!("cannot run go (is golang-go installed?): {e}"));
        assert!(
            built.status.success(),
            "go build failed:\n{}",
            String::from_utf8_lossy(&built.stderr)
        );
        exe.to_str().unwrap().to_string()
    })
}

/// Whether the Go in use sends and accepts the extended master secret
/// extension (RFC 7627) in TLS 1.2: Go 1.21 and later. Before, a TLS 1.2
/// handshake with Go has none, which we refuse unless told otherwise.
fn go_has_extended_master_secret() -> bool {
    static HAS: OnceLock<bool> = OnceLock::new();
    *HAS.get_or_init(|| {
        let out = Command::new("go").arg("version").output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        // "go version go1.19.8 linux/amd64"
        let minor = text
            .split_whitespace()
            .find_map(|w| w.strip_prefix("go1."))
            .and_then(|v| v.split('.').next()?.parse::<u32>().ok());
        minor.unwrap_or_else(|| panic!("cannot read the Go version: {text}")) >= 21
    })
}

// ---------------------------------------------------------------------------
// Go's client against our server

/// Runs the Go client against `addr` to the end; whether it succeeded.
fn go_client(addr: SocketAddr, files: &PemFiles, extra: &[&str]) -> (PeerProcess, bool) {
    let mut args = strings(&["client", "-connect"]);
    args.push(addr.to_string());
    args.extend(strings(&["-ca", path(&files.ca)]));
    args.extend(strings(extra));
    let mut proc = PeerProcess::spawn(go_peer(), args);
    let ok = proc.wait_exit().success();
    (proc, ok)
}

/// As `go_client`, which must succeed; its output.
fn go_client_ok(addr: SocketAddr, files: &PemFiles, extra: &[&str]) -> String {
    let (proc, ok) = go_client(addr, files, extra);
    assert!(ok, "Go client failed\n{}", proc.describe());
    proc.stdout.text()
}

/// Our server for `kt`'s test PKI, accepting TLS 1.2 without the extended
/// master secret when the Go in use cannot send it (see
/// `tls12_without_extended_master_secret_is_refused_by_default`).
fn server_config(kt: KeyType) -> ferrotls::ServerConfig {
    let mut config = TestPki::get(kt).server_config();
    config.require_extended_master_secret = go_has_extended_master_secret();
    config
}

#[test]
fn go_client_talks_to_our_server_and_resumes() {
    // Two connections sharing Go's session cache: a full handshake, then
    // one resumed with the ticket we issued (TLS 1.3 NewSessionTicket, or
    // TLS 1.2's RFC 5077 ticket).
    for (kt, version) in CLIENT_CASES {
        let ctx = format!("{kt:?} {version:?}");
        let pki = TestPki::get(kt);
        let files = PemFiles::new(pki, "go-client");
        let server = EchoServer::start(server_config(kt));
        let text = go_client_ok(
            server.addr,
            &files,
            &["-n", "2", "-max", max_version(version)],
        );
        let go = check_resumed_client(&server, &text, version, &ctx);
        for (i, go) in go.iter().enumerate() {
            assert_eq!(go.get("resumed"), ["false", "true"][i], "{ctx}: {go:?}");
        }
    }
}

#[test]
fn go_client_and_our_server_move_megabytes_both_ways() {
    // Go writes in records that grow from about 1 KiB to 16 KiB (its
    // dynamic record sizing) while reading our echo back at once.
    let pki = TestPki::get(KeyType::EcdsaP256);
    let files = PemFiles::new(pki, "go-bulk");
    let server = EchoServer::start(server_config(KeyType::EcdsaP256));
    for max in ["1.3", "1.2"] {
        go_client_ok(server.addr, &files, &["-bytes", "3000000", "-max", max]);
        let served = server.next();
        assert_eq!(served.close, Ok(()), "{max}: {served:?}");
        assert_eq!(
            served.received.len(),
            "hello 0\n".len() + 3_000_000,
            "{max}"
        );
    }
}

#[test]
fn go_client_sends_the_key_share_our_server_asks_for() {
    // RFC 8446 §4.1.4: Go sends a share for its first group only; P-521,
    // which we do not implement, gets a HelloRetryRequest for P-256.
    let pki = TestPki::get(KeyType::EcdsaP256);
    let files = PemFiles::new(pki, "go-hrr");
    let server = EchoServer::start(pki.server_config());
    let text = go_client_ok(server.addr, &files, &["-curves", "P521,P256"]);
    let served = server.next();
    assert_eq!(served.handshake, Ok(()), "{served:?}");
    assert!(served.hrr, "no HelloRetryRequest");
    assert_eq!(served.group, Some(NamedGroup::secp256r1));
    ConnLine::all(&text)[0].agrees_with(served.version, served.suite.and_then(|s| s.name()));
}

#[test]
fn go_client_gets_our_most_preferred_protocol() {
    // RFC 7301 §3.2; with nothing in common, no_application_protocol.
    let pki = TestPki::get(KeyType::EcdsaP256);
    let files = PemFiles::new(pki, "go-alpn");
    let mut config = server_config(KeyType::EcdsaP256);
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let server = EchoServer::start(config);
    for max in ["1.3", "1.2"] {
        let text = go_client_ok(server.addr, &files, &["-alpn", "http/1.1,h2", "-max", max]);
        assert_eq!(ConnLine::all(&text)[0].get("alpn"), "h2", "{text}");
        assert_eq!(server.next().alpn.as_deref(), Some(&b"h2"[..]));
    }
    let (proc, ok) = go_client(server.addr, &files, &["-alpn", "spdy/3"]);
    assert!(!ok, "{}", proc.describe());
    assert!(
        proc.stderr.text().contains("no application protocol"),
        "{}",
        proc.describe()
    );
    assert_eq!(server.next().error, Some(Error::NoApplicationProtocol));
}

// ---------------------------------------------------------------------------
// Our client against Go's server

/// The Go server, serving `files`.
fn go_server(files: &PemFiles, extra: &[&str]) -> PeerServer {
    let mut args = strings(&["server", "-chain", path(&files.chain)]);
    args.extend(strings(&["-key", path(&files.key)]));
    args.extend(strings(extra));
    PeerServer::start(go_peer(), args)
}

/// Our client trusting `kt`'s test CA, offering `version` only (and
/// TLS 1.2 without the extended master secret if Go cannot do it).
fn client_config(kt: KeyType, version: ProtocolVersion) -> ClientConfig {
    let mut config = TestPki::get(kt).client_config();
    config.versions = vec![version];
    config.require_extended_master_secret = go_has_extended_master_secret();
    config
}

#[test]
fn our_client_talks_to_go_server_and_resumes() {
    // Go's server signs with each key type in both versions, and issues
    // tickets in both; our second connection resumes with one.
    for kt in [
        KeyType::EcdsaP256,
        KeyType::EcdsaP384,
        KeyType::Ed25519,
        KeyType::Rsa2048,
    ] {
        let files = PemFiles::new(TestPki::get(kt), &format!("go-server-{kt:?}"));
        let mut server = go_server(&files, &[]);
        let go = server.check_resumption(|v| client_config(kt, v));
        for (i, go) in go.iter().enumerate() {
            let resumed = ["false", "true"][i % 2];
            assert_eq!(go.get("resumed"), resumed, "{kt:?}: {go:?}");
        }
    }
}

#[test]
fn our_client_moves_megabytes_through_go_server() {
    let files = PemFiles::new(TestPki::get(KeyType::EcdsaP256), "go-server-bulk");
    let mut server = go_server(&files, &[]);
    for (i, version) in [ProtocolVersion::TLSv1_3, ProtocolVersion::TLSv1_2]
        .into_iter()
        .enumerate()
    {
        let config = client_config(KeyType::EcdsaP256, version);
        let (mut s, hs) = connect(server.addr, config, "localhost");
        hs.unwrap();
        let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
        // A chunk out, the same chunk back: neither side's buffers fill.
        let mut back = vec![0u8; 64 * 1024];
        for chunk in data.chunks(back.len()) {
            s.write_all(chunk).unwrap();
            s.read_exact(&mut back[..chunk.len()]).unwrap();
            assert_eq!(&back[..chunk.len()], chunk, "{version:?}");
        }
        s.close().unwrap();
        server.conn(i).agrees_with(
            Some(version),
            s.conn.negotiated_cipher_suite().and_then(|c| c.name()),
        );
    }
}

#[test]
fn our_client_answers_go_servers_certificate_request() {
    let files = PemFiles::new(TestPki::get(KeyType::EcdsaP256), "go-server-certreq");
    let mut server = go_server(&files, &["-request-cert"]);
    server.check_certificate_request(0, |v| client_config(KeyType::EcdsaP256, v));
}

#[test]
fn our_client_answers_go_servers_hello_retry_request() {
    let files = PemFiles::new(TestPki::get(KeyType::EcdsaP256), "go-server-hrr");
    let mut server = go_server(&files, &["-curves", "P256"]);
    let config = client_config(KeyType::EcdsaP256, ProtocolVersion::TLSv1_3);
    server.check_hello_retry_request(0, config);
}

#[test]
fn our_client_gets_go_servers_most_preferred_protocol() {
    let files = PemFiles::new(TestPki::get(KeyType::EcdsaP256), "go-server-alpn");
    let mut server = go_server(&files, &["-alpn", "http/1.1,h2"]);
    server.check_alpn_choice(0, |v| client_config(KeyType::EcdsaP256, v));
}

#[test]
fn our_client_updates_keys_with_go_server() {
    // RFC 8446 §4.6.3: Go reads on with our next key after each of our
    // KeyUpdates, and answers update_requested with a KeyUpdate of its own;
    // its echo after that reads only if we moved to its next key too.
    let files = PemFiles::new(TestPki::get(KeyType::EcdsaP256), "go-server-keyupdate");
    let mut server = go_server(&files, &[]);
    let config = client_config(KeyType::EcdsaP256, ProtocolVersion::TLSv1_3);
    check_key_updates(server.addr, config, || server.proc.describe());
    server.conn(0);
}

// ---------------------------------------------------------------------------
// Both ways

#[test]
fn tls12_without_extended_master_secret_is_refused_by_default() {
    // RFC 7627: by default we require the extended master secret in
    // TLS 1.2, both ways. Go before 1.21 has none: our client ends the
    // handshake with handshake_failure, our server refuses Go's client
    // the same way. A Go that has it gets through.
    let kt = KeyType::EcdsaP256;
    let pki = TestPki::get(kt);
    let files = PemFiles::new(pki, "go-ems");
    let mut go_server = go_server(&files, &["-max", "1.2"]);
    let (s, hs) = connect(go_server.addr, pki.client_config(), "localhost");
    let server = EchoServer::start(pki.server_config());
    let (client, client_ok) = go_client(server.addr, &files, &["-max", "1.2"]);
    let served = server.next();
    if go_has_extended_master_secret() {
        hs.unwrap();
        assert!(client_ok, "{}", client.describe());
        assert_eq!(served.version, Some(ProtocolVersion::TLSv1_2));
        drop(s);
        return;
    }
    let refused = Error::PeerIncompatible(ferrotls::PeerIncompatible::ExtendedMasterSecretRequired);
    let err = hs.unwrap_err();
    assert!(err.to_string().contains("extended master secret"), "{err}");
    assert_eq!(s.conn.error(), Some(&refused));
    let out = go_server.failed();
    assert!(out.contains("handshake failure"), "{out}");
    assert!(!client_ok);
    assert!(
        client.stderr.text().contains("handshake failure"),
        "{}",
        client.describe()
    );
    assert_eq!(served.error, Some(refused));
}
