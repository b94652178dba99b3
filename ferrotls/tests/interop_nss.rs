//! Interop with NSS, Firefox's TLS stack (a sixth we did not write):
//! `tstclnt` against our server and our client against `selfserv`, from
//! libnss3-tools (`.ci/run` installs it), in TLS 1.3 and TLS 1.2 with
//! ECDSA P-256/P-384 and RSA keys (NSS 3.87 has no Ed25519 in TLS):
//! suites, HelloRetryRequest both ways, resumption, and a certificate
//! request. NSS reads keys and certificates from its own database, made
//! here with `certutil` and `pk12util` (the PKCS#12 file by `openssl`).
//!
//! Nothing here may hang: every child process is killed by a guard when it
//! goes out of scope, every socket has a timeout, and every wait is
//! bounded. No assertion is about timing.

mod common;

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

use common::openssl::{
    connect, listen_on_free_port, path, strings, EchoServer, PeerProcess, PemFiles,
};
use common::*;
use ferrotls::msgs::enums::HandshakeType;
use ferrotls::{ClientConfig, NamedGroup, ProtocolVersion};

/// Runs a setup command, which must succeed.
fn run(program: &str, args: &[&str]) {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program} (is libnss3-tools installed?): {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// An NSS database trusting the PKI's CA and holding its server key and
/// chain under the nickname "server".
struct NssDb {
    /// Kept for its directory, which holds the database (removed on drop).
    _files: PemFiles,
    dir: PathBuf,
}

impl NssDb {
    fn new(kt: KeyType, tag: &str) -> Self {
        let files = PemFiles::new(TestPki::get(kt), &format!("nss-{tag}"));
        let dir = files.dir.join("nssdb");
        std::fs::create_dir(&dir).unwrap();
        let db = format!("sql:{}", path(&dir));
        run("certutil", &["-N", "-d", &db, "--empty-password"]);
        run(
            "certutil",
            &[
                "-A",
                "-d",
                &db,
                "-n",
                "ca",
                "-t",
                "C,,",
                "-i",
                path(&files.ca),
            ],
        );
        let p12 = files.dir.join("server.p12");
        run(
            "openssl",
            &[
                "pkcs12",
                "-export",
                "-in",
                path(&files.leaf),
                "-certfile",
                path(&files.intermediate),
                "-inkey",
                path(&files.key),
                "-name",
                "server",
                "-passout",
                "pass:",
                "-out",
                path(&p12),
            ],
        );
        run("pk12util", &["-i", path(&p12), "-d", &db, "-W", ""]);
        Self { _files: files, dir }
    }

    fn arg(&self) -> String {
        format!("sql:{}", path(&self.dir))
    }
}

fn nss_version(version: ProtocolVersion) -> &'static str {
    match version {
        ProtocolVersion::TLSv1_2 => "tls1.2:tls1.2",
        _ => "tls1.3:tls1.3",
    }
}

// ---------------------------------------------------------------------------
// tstclnt against our server

#[test]
fn tstclnt_talks_to_our_server() {
    // (key, version, tstclnt's groups: it sends a share for the first)
    let cases = [
        (KeyType::EcdsaP256, ProtocolVersion::TLSv1_3, None),
        (KeyType::EcdsaP256, ProtocolVersion::TLSv1_2, None),
        (KeyType::Rsa2048, ProtocolVersion::TLSv1_3, None),
        (KeyType::Rsa2048, ProtocolVersion::TLSv1_2, None),
        (KeyType::EcdsaP384, ProtocolVersion::TLSv1_3, None),
        // RFC 8446 §4.1.4: no P-521 here, so a HelloRetryRequest for P-256.
        (
            KeyType::EcdsaP256,
            ProtocolVersion::TLSv1_3,
            Some("P521,P256"),
        ),
    ];
    for (kt, version, groups) in cases {
        let ctx = format!("{kt:?} {version:?} {groups:?}");
        let db = NssDb::new(kt, "tstclnt");
        let server = EchoServer::start(TestPki::get(kt).server_config());
        let mut args = strings(&["-h", "127.0.0.1", "-p"]);
        args.push(server.addr.port().to_string());
        args.extend(strings(&["-a", "localhost", "-d", &db.arg(), "-f"]));
        args.extend(strings(&["-V", nss_version(version)]));
        if let Some(groups) = groups {
            args.extend(strings(&["-I", groups]));
        }
        // tstclnt prints what comes back, and never closes by itself:
        // once the echo is there it is stopped (our server then sees the
        // connection end without close_notify).
        let mut client = PeerProcess::spawn("tstclnt", args);
        assert!(client.send("hello from nss\n"));
        let echoed = client.wait_for(|out, _| out.contains("hello from nss"));
        assert!(echoed, "{ctx}: no echo\n{}", client.describe());
        drop(client);
        let served = server.next();
        assert_eq!(served.handshake, Ok(()), "{ctx}: {served:?}");
        assert_eq!(served.version, Some(version), "{ctx}");
        assert_eq!(served.sni.as_deref(), Some("localhost"), "{ctx}");
        assert_eq!(served.received, b"hello from nss\n", "{ctx}");
        assert_eq!(served.hrr, groups.is_some(), "{ctx}");
        if groups.is_some() {
            assert_eq!(served.group, Some(NamedGroup::secp256r1), "{ctx}");
        }
    }
}

// ---------------------------------------------------------------------------
// Our client against selfserv

/// `selfserv` on a free loopback port with the database's "server" key.
fn selfserv(db: &NssDb, kt: KeyType, extra: &[&str]) -> (PeerProcess, SocketAddr) {
    // selfserv takes an RSA key with -n and an ECDSA one with -e.
    let key_flag = match kt {
        KeyType::Rsa2048 => "-n",
        _ => "-e",
    };
    let spawn = |port: u16| {
        let mut args = strings(&["-d", &db.arg(), key_flag, "server", "-v", "-p"]);
        args.push(port.to_string());
        args.extend(strings(&["-V", "tls1.2:tls1.3"]));
        args.extend(strings(extra));
        PeerProcess::spawn("selfserv", args)
    };
    let listening = |out: &str, err: &str| {
        (out.lines().chain(err.lines())).any(|l| l.contains("About to call accept"))
    };
    listen_on_free_port(spawn, listening)
}

/// Our client trusting `kt`'s test CA, offering `version` only.
fn client_config(kt: KeyType, version: ProtocolVersion) -> ClientConfig {
    let mut config = TestPki::get(kt).client_config();
    config.versions = vec![version];
    config
}

/// `GET /` from selfserv, whose page shows the request back and ends with
/// close_notify (`read_to_end` fails on a transport closed without it).
/// Returns whether the session was resumed.
fn fetch(server: &PeerProcess, addr: SocketAddr, config: ClientConfig) -> bool {
    let version = config.versions[0];
    let (mut s, hs) = connect(addr, config, "localhost");
    hs.unwrap_or_else(|e| panic!("handshake: {e}\n{}", server.describe()));
    assert_eq!(s.conn.protocol_version(), Some(version));
    s.write_all(b"GET / HTTP/1.0\r\n\r\n").unwrap();
    let mut page = Vec::new();
    s.read_to_end(&mut page)
        .unwrap_or_else(|e| panic!("reading to close_notify: {e}\n{}", server.describe()));
    let page = String::from_utf8_lossy(&page);
    assert!(page.starts_with("HTTP/1.0 200 OK"), "{page}");
    assert!(page.contains("GET / HTTP/1.0"), "{page}");
    s.conn.is_resumed()
}

#[test]
fn our_client_talks_to_selfserv_and_resumes() {
    // -u: session tickets as well as selfserv's session cache.
    for kt in [KeyType::EcdsaP256, KeyType::EcdsaP384, KeyType::Rsa2048] {
        let db = NssDb::new(kt, "selfserv");
        let (server, addr) = selfserv(&db, kt, &["-u"]);
        for version in [ProtocolVersion::TLSv1_3, ProtocolVersion::TLSv1_2] {
            // Clones share the session cache.
            let config = client_config(kt, version);
            assert!(!fetch(&server, addr, config.clone()), "{kt:?} {version:?}");
            assert!(
                fetch(&server, addr, config),
                "{kt:?} {version:?}: not resumed"
            );
        }
    }
}

#[test]
fn our_client_answers_selfserv_hello_retry_request() {
    // selfserv takes P-256 only; we sent shares for X25519MLKEM768 and
    // x25519, so it asks for another (RFC 8446 §4.1.4).
    let db = NssDb::new(KeyType::EcdsaP256, "selfserv-hrr");
    let (server, addr) = selfserv(&db, KeyType::EcdsaP256, &["-I", "P256"]);
    let received = Arc::new(Received::default());
    let mut config = client_config(KeyType::EcdsaP256, ProtocolVersion::TLSv1_3);
    config.observer = Some(received.clone());
    assert!(!fetch(&server, addr, config));
    assert_eq!(received.count(HandshakeType::ServerHello), 2);
}

#[test]
fn our_client_answers_selfserv_certificate_request() {
    // RFC 8446 §4.4.2, RFC 5246 §7.4.6: asked (not required) for a
    // certificate we have none of, we send an empty Certificate, covered
    // by our Finished, which NSS checks.
    let db = NssDb::new(KeyType::EcdsaP256, "selfserv-certreq");
    let (server, addr) = selfserv(&db, KeyType::EcdsaP256, &["-r"]);
    for version in [ProtocolVersion::TLSv1_3, ProtocolVersion::TLSv1_2] {
        let received = Arc::new(Received::default());
        let mut config = client_config(KeyType::EcdsaP256, version);
        config.observer = Some(received.clone());
        assert!(!fetch(&server, addr, config));
        assert_eq!(received.count(HandshakeType::CertificateRequest), 1);
    }
}
