//! Interop with Java's JSSE, a fifth TLS stack we did not write:
//! `tests/java_peer/JavaPeer.java`, compiled here with `javac` (`.ci/run`
//! installs a JDK if there is none), as a client of our server and as a
//! server for our client, in TLS 1.3 and TLS 1.2: ECDSA P-256/P-384,
//! Ed25519 and RSA keys, resumption, HelloRetryRequest both ways, ALPN,
//! KeyUpdate, a certificate request, and JSSE's attempt to renegotiate.
//! Each side's view of the connection (JSSE's `conn` line, our
//! connection's state) must agree.
//!
//! Nothing here may hang: every child process is killed by a guard when it
//! goes out of scope, every socket has a timeout, and every wait is
//! bounded. No assertion is about timing.

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

use common::openssl::{check_key_updates, path, strings, EchoServer, PeerProcess, PemFiles};
use common::peer_lines::{check_resumed_client, max_version, ConnLine, PeerServer, CLIENT_CASES};
use common::*;
use ferrotls::{AlertDescription, ClientConfig, Error, NamedGroup, ProtocolVersion};

/// The directory holding the compiled Java peer, built once per run.
fn java_peer() -> &'static str {
    static PEER: OnceLock<String> = OnceLock::new();
    PEER.get_or_init(|| {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/java_peer/JavaPeer.java");
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("java-peer");
        let built = Command::new("javac")
            .arg("-d")
            .arg(&dir)
            .arg(&src)
            .output()
            .unwrap_or_else(|e| panic!("cannot run javac (is a JDK installed?): {e}"));
        assert!(
            built.status.success(),
            "javac failed:\n{}",
            String::from_utf8_lossy(&built.stderr)
        );
        dir.to_str().unwrap().to_string()
    })
}

/// `java` arguments running the peer: JVM options (`-Dname=value`), then
/// the peer's own.
fn java_args(jvm: &[&str], peer: &[&str]) -> Vec<String> {
    let mut args = strings(&["-cp", java_peer()]);
    args.extend(strings(jvm));
    args.push("JavaPeer".into());
    args.extend(strings(peer));
    args
}

// ---------------------------------------------------------------------------
// JSSE's client against our server

/// Runs the Java client against `addr` to the end; whether it succeeded.
fn java_client(
    addr: SocketAddr,
    files: &PemFiles,
    jvm: &[&str],
    extra: &[&str],
) -> (PeerProcess, bool) {
    let addr = addr.to_string();
    let mut peer = vec!["client", &addr, path(&files.ca)];
    peer.extend_from_slice(extra);
    let mut proc = PeerProcess::spawn("java", java_args(jvm, &peer));
    let ok = proc.wait_exit().success();
    (proc, ok)
}

/// As `java_client`, which must succeed; its output.
fn java_client_ok(addr: SocketAddr, files: &PemFiles, jvm: &[&str], extra: &[&str]) -> String {
    let (proc, ok) = java_client(addr, files, jvm, extra);
    assert!(ok, "Java client failed\n{}", proc.describe());
    proc.stdout.text()
}

#[test]
fn java_client_talks_to_our_server_and_resumes() {
    // Two connections from one SSLContext: a full handshake, then one
    // resumed (TLS 1.3 ticket, TLS 1.2 session ID or ticket).
    for (kt, version) in CLIENT_CASES {
        let ctx = format!("{kt:?} {version:?}");
        let pki = TestPki::get(kt);
        let files = PemFiles::new(pki, "java-client");
        let server = EchoServer::start(pki.server_config());
        let args = ["-n", "2", "-max", max_version(version)];
        let text = java_client_ok(server.addr, &files, &[], &args);
        check_resumed_client(&server, &text, version, &ctx);
    }
}

#[test]
fn java_client_resumes_tls12_by_session_id() {
    // Without tickets our server resumes TLS 1.2 by session ID, which JSSE
    // offers from its own session cache.
    let pki = TestPki::get(KeyType::EcdsaP256);
    let files = PemFiles::new(pki, "java-session-id");
    let mut config = pki.server_config();
    config.ticketer = None;
    let server = EchoServer::start(config);
    java_client_ok(server.addr, &files, &[], &["-n", "2", "-max", "1.2"]);
    for resumed in [false, true] {
        let served = server.next();
        assert_eq!(served.version, Some(ProtocolVersion::TLSv1_2), "{served:?}");
        assert_eq!(served.resumed, resumed, "{served:?}");
    }
}

#[test]
fn java_client_resumes_after_our_hello_retry_request() {
    // JSSE sends a share for its first group only: secp521r1, which we
    // lack, gets a HelloRetryRequest for secp256r1 (RFC 8446 §4.1.4); the
    // second connection offers its ticket too, so its binder covers the
    // retry (RFC 8446 §4.2.11.2).
    let pki = TestPki::get(KeyType::EcdsaP256);
    let files = PemFiles::new(pki, "java-hrr");
    let server = EchoServer::start(pki.server_config());
    let groups = ["-Djdk.tls.namedGroups=secp521r1,secp256r1"];
    java_client_ok(server.addr, &files, &groups, &["-n", "2"]);
    for resumed in [false, true] {
        let served = server.next();
        assert_eq!(served.handshake, Ok(()), "{served:?}");
        assert!(served.hrr, "no HelloRetryRequest");
        assert_eq!(served.group, Some(NamedGroup::secp256r1));
        assert_eq!(served.resumed, resumed);
    }
}

#[test]
fn java_client_gets_our_most_preferred_protocol() {
    // RFC 7301 §3.2; with nothing in common, no_application_protocol.
    let pki = TestPki::get(KeyType::EcdsaP256);
    let files = PemFiles::new(pki, "java-alpn");
    let mut config = pki.server_config();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let server = EchoServer::start(config);
    for max in ["1.3", "1.2"] {
        let text = java_client_ok(
            server.addr,
            &files,
            &[],
            &["-alpn", "http/1.1,h2", "-max", max],
        );
        assert_eq!(ConnLine::all(&text)[0].get("alpn"), "h2", "{text}");
        assert_eq!(server.next().alpn.as_deref(), Some(&b"h2"[..]));
    }
    let (proc, ok) = java_client(server.addr, &files, &[], &["-alpn", "spdy/3"]);
    assert!(!ok, "{}", proc.describe());
    assert!(
        proc.stderr.text().contains("no_application_protocol"),
        "{}",
        proc.describe()
    );
    assert_eq!(server.next().error, Some(Error::NoApplicationProtocol));
}

#[test]
fn java_client_updates_its_keys_with_our_server() {
    // In TLS 1.3, JSSE's startHandshake() after the handshake sends a
    // KeyUpdate; its next line reaches us, and comes back, only if we read
    // on with its next key (RFC 8446 §4.6.3).
    let pki = TestPki::get(KeyType::EcdsaP256);
    let files = PemFiles::new(pki, "java-keyupdate");
    let server = EchoServer::start(pki.server_config());
    java_client_ok(server.addr, &files, &[], &["-key-update"]);
    let served = server.next();
    assert_eq!(served.received, b"hello 0\nafter update\n");
    assert_eq!(served.close, Ok(()));
}

#[test]
fn java_client_renegotiation_is_refused() {
    // In TLS 1.2 the same call asks to renegotiate: we refuse with a
    // no_renegotiation warning (RFC 5246 §7.2.2), and JSSE gives up with
    // handshake_failure.
    let pki = TestPki::get(KeyType::EcdsaP256);
    let files = PemFiles::new(pki, "java-reneg");
    let server = EchoServer::start(pki.server_config());
    let (proc, ok) = java_client(server.addr, &files, &[], &["-max", "1.2", "-key-update"]);
    assert!(!ok, "{}", proc.describe());
    assert!(
        proc.stderr.text().contains("no_renegotiation"),
        "{}",
        proc.describe()
    );
    // JSSE goes on writing until it reads our answer.
    let served = server.next();
    assert!(served.received.starts_with(b"hello 0\n"), "{served:?}");
    assert_eq!(
        served.error,
        Some(Error::AlertReceived(AlertDescription::HandshakeFailure))
    );
}

// ---------------------------------------------------------------------------
// Our client against JSSE's server

/// The Java server, serving `files`.
fn java_server(files: &PemFiles, jvm: &[&str], extra: &[&str]) -> PeerServer {
    let mut peer = vec!["server", path(&files.chain), path(&files.key)];
    peer.extend_from_slice(extra);
    PeerServer::start("java", java_args(jvm, &peer))
}

/// Our client trusting `kt`'s test CA, offering `version` only.
fn client_config(kt: KeyType, version: ProtocolVersion) -> ClientConfig {
    let mut config = TestPki::get(kt).client_config();
    config.versions = vec![version];
    config
}

#[test]
fn our_client_talks_to_java_server_and_resumes() {
    for kt in [
        KeyType::EcdsaP256,
        KeyType::EcdsaP384,
        KeyType::Ed25519,
        KeyType::Rsa2048,
    ] {
        let files = PemFiles::new(TestPki::get(kt), &format!("java-server-{kt:?}"));
        let mut server = java_server(&files, &[], &[]);
        server.check_resumption(|v| client_config(kt, v));
    }
}

#[test]
fn our_client_answers_java_servers_certificate_request() {
    let files = PemFiles::new(TestPki::get(KeyType::EcdsaP256), "java-server-certreq");
    let mut server = java_server(&files, &[], &["-request-cert"]);
    server.check_certificate_request(0, |v| client_config(KeyType::EcdsaP256, v));
}

#[test]
fn our_client_answers_java_servers_hello_retry_request() {
    // (JSSE follows both its HelloRetryRequest and its ServerHello with a
    // compatibility CCS.)
    let files = PemFiles::new(TestPki::get(KeyType::EcdsaP256), "java-server-hrr");
    let mut server = java_server(&files, &["-Djdk.tls.namedGroups=secp256r1"], &[]);
    let config = client_config(KeyType::EcdsaP256, ProtocolVersion::TLSv1_3);
    server.check_hello_retry_request(0, config);
}

#[test]
fn our_client_gets_java_servers_most_preferred_protocol() {
    let files = PemFiles::new(TestPki::get(KeyType::EcdsaP256), "java-server-alpn");
    let mut server = java_server(&files, &[], &["-alpn", "http/1.1,h2"]);
    server.check_alpn_choice(0, |v| client_config(KeyType::EcdsaP256, v));
}

#[test]
fn our_client_updates_keys_with_java_server() {
    // RFC 8446 §4.6.3: JSSE reads on with our next key after each of our
    // KeyUpdates and answers update_requested with one of its own.
    let files = PemFiles::new(TestPki::get(KeyType::EcdsaP256), "java-server-keyupdate");
    let mut server = java_server(&files, &[], &[]);
    let config = client_config(KeyType::EcdsaP256, ProtocolVersion::TLSv1_3);
    check_key_updates(server.addr, config, || server.proc.describe());
    server.conn(0);
}
