//! The `ferrotls` binary over loopback: our client and server against each
//! other and against peers nobody here wrote (openssl, curl, Python's ssl).
//!
//! Every spawned process is killed by a guard when its test ends, every
//! wait has a deadline, and no test asserts how long anything took.

mod common;

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use common::*;

const HELLO: &[u8] = b"hello from the test\nsecond line\n";

struct Server {
    _child: Guard,
    addr: SocketAddr,
    /// The generated self-signed certificate, when no --cert was given.
    cafile: Option<PathBuf>,
    log: Arc<Mutex<String>>,
}

impl Server {
    fn start(args: &[&str]) -> Self {
        let mut child = Command::new(BIN)
            .args(["server", "--listen", "127.0.0.1:0"])
            .args(args)
            .env_remove("SSLKEYLOGFILE")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn ferrotls server");
        let stderr = child.stderr.take().unwrap();
        let child = Guard(child);
        let (log, rx) = collect_lines(stderr);
        let mut cafile = None;
        let addr = wait_for_line(&rx, "'listening on'", |line| {
            if let Some((_, path)) = line.split_once("--cafile ") {
                cafile = Some(PathBuf::from(path));
            }
            line.strip_prefix("ferrotls: listening on ")
                .map(|a| a.parse::<SocketAddr>().expect("address"))
        });
        Self {
            _child: child,
            addr,
            cafile,
            log,
        }
    }

    fn target(&self) -> String {
        self.addr.to_string()
    }

    fn cafile(&self) -> String {
        let path = self.cafile.as_ref().expect("a generated certificate");
        path.to_str().unwrap().to_string()
    }

    fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Waits until the server's log contains `needle` (or gives up).
    fn wait_for_log(&self, needle: &str) -> String {
        let deadline = Instant::now() + DEADLINE;
        loop {
            let log = self.log();
            if log.contains(needle) {
                return log;
            }
            assert!(
                Instant::now() < deadline,
                "server never logged {needle:?}:\n{log}"
            );
            thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // The server wrote its certificate into its own temp directory.
        if let Some(dir) = self.cafile.as_ref().and_then(|c| c.parent()) {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn client(args: &[&str], input: Input) -> Output {
    run(
        Command::new(BIN)
            .arg("client")
            .args(args)
            .env_remove("SSLKEYLOGFILE"),
        input,
    )
}

/// Bytes that do not compress or repeat in short cycles (xorshift64).
fn pseudo_random(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

fn the_summary_line(stderr: &str) -> &str {
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("ferrotls: connected "))
        .collect();
    assert_eq!(lines.len(), 1, "one summary line expected:\n{stderr}");
    lines[0]
}

/// A self-signed end-entity certificate for localhost and 127.0.0.1
/// (not a CA: WebPKI refuses a CA certificate as the server's), and its
/// PKCS#8 key, as PEM files in `dir`.
fn ca_and_chain_files(dir: &TempDir) -> (String, String, String) {
    let ca_key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::CrlSign,
    ];
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "ferrotls-cli test CA");
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();
    let leaf_key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap();
    let leaf = rcgen::CertificateParams::new(vec!["localhost".to_string()])
        .unwrap()
        .signed_by(&leaf_key, &ca)
        .unwrap();
    let (ca_path, chain_path, key_path) = (
        dir.path("ca.pem"),
        dir.path("chain.pem"),
        dir.path("key.pem"),
    );
    std::fs::write(&ca_path, ca.pem()).unwrap();
    std::fs::write(&chain_path, format!("{}{}", leaf.pem(), ca.pem())).unwrap();
    std::fs::write(&key_path, leaf_key.serialize_pem()).unwrap();
    (
        path_str(&ca_path),
        path_str(&chain_path),
        path_str(&key_path),
    )
}

// ------------------------------------------------- our client, our server

#[test]
fn echo_round_trip_between_our_client_and_server() {
    let server = Server::start(&[]);
    let mut input = HELLO.to_vec();
    input.extend(pseudo_random(3 << 20));
    let out = client(
        &[&server.target(), "--cafile", &server.cafile()],
        Input::Close(input.clone()),
    );
    out.assert_success();
    assert!(out.stdout == input, "echo differs from what was sent");
    assert_eq!(
        the_summary_line(&out.stderr),
        "ferrotls: connected TLSv1.3 TLS_AES_128_GCM_SHA256 X25519MLKEM768 alpn=none"
    );
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    server.wait_for_log("connected TLSv1.3 TLS_AES_128_GCM_SHA256 X25519MLKEM768");
}

#[test]
fn negotiated_suite_group_and_alpn_show_in_the_summary() {
    let server = Server::start(&[
        "--alpn",
        "h2,http/1.1",
        "--ciphers",
        "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_256_GCM_SHA384",
    ]);
    let out = client(
        &[
            &server.target(),
            "--cafile",
            &server.cafile(),
            "--servername",
            "localhost",
            "--tls13",
            "--alpn",
            "http/1.1",
            "--groups",
            "SECP384R1",
            "--ciphers",
            "tls_aes_256_gcm_sha384:TLS_CHACHA20_POLY1305_SHA256",
        ],
        Input::Close(HELLO.to_vec()),
    );
    out.assert_success();
    assert_eq!(out.stdout, HELLO);
    // The server's suite preference decides.
    assert_eq!(
        the_summary_line(&out.stderr),
        "ferrotls: connected TLSv1.3 TLS_CHACHA20_POLY1305_SHA256 secp384r1 alpn=http/1.1"
    );
    server.wait_for_log("alpn=http/1.1 sni=localhost");
}

#[test]
fn alpn_without_overlap_fails_the_handshake() {
    let server = Server::start(&["--alpn", "h2"]);
    let out = client(
        &[
            &server.target(),
            "--cafile",
            &server.cafile(),
            "--alpn",
            "http/1.1",
        ],
        Input::Close(HELLO.to_vec()),
    );
    out.assert_failure(
        1,
        "ferrotls: handshake failed: peer sent fatal alert: no_application_protocol",
    );
    server.wait_for_log("handshake failed: no application protocol (ALPN) in common");
}

#[test]
fn client_exits_cleanly_when_the_server_closes_first() {
    // stdin stays open: the exit comes from the server's close_notify.
    let server = Server::start(&["--mode", "http"]);
    let out = client(
        &[&server.target(), "--cafile", &server.cafile()],
        Input::KeepOpen(b"GET /first HTTP/1.0\r\n\r\n".to_vec()),
    );
    out.assert_success();
    let page = out.stdout_text();
    assert!(page.starts_with("HTTP/1.0 200 OK\r\n"), "{page}");
    assert!(page.contains("protocol:         TLSv1.3\n"), "{page}");
    assert!(
        page.contains("request:          GET /first HTTP/1.0\n"),
        "{page}"
    );
}

#[test]
fn server_uses_cert_and_key_files_with_a_chain() {
    let dir = TempDir::new("chain");
    let (ca, chain, key) = ca_and_chain_files(&dir);
    let server = Server::start(&["--cert", &chain, "--key", &key]);
    assert!(server.cafile.is_none());
    let out = client(
        &[
            &server.target(),
            "--cafile",
            &ca,
            "--servername",
            "localhost",
        ],
        Input::Close(HELLO.to_vec()),
    );
    out.assert_success();
    assert_eq!(out.stdout, HELLO);
}

// ------------------------------------------------------ failures, clearly

#[test]
fn wrong_servername_fails_with_not_valid_for_name() {
    let server = Server::start(&[]);
    let out = client(
        &[
            &server.target(),
            "--cafile",
            &server.cafile(),
            "--servername",
            "foo.example",
        ],
        Input::Close(HELLO.to_vec()),
    );
    out.assert_failure(
        1,
        "ferrotls: handshake failed: invalid peer certificate: certificate is not valid for name 'foo.example'",
    );
    assert!(out.stdout.is_empty());
    server.wait_for_log("peer sent fatal alert: bad_certificate");
}

#[test]
fn unknown_issuer_fails_clearly_and_insecure_skips_the_check() {
    let server = Server::start(&[]);
    let expected =
        "ferrotls: handshake failed: invalid peer certificate: certificate is signed by an unknown issuer";
    // The bundled web roots do not know our self-signed certificate.
    let out = client(&[&server.target()], Input::Close(HELLO.to_vec()));
    out.assert_failure(1, expected);
    // Nor does an unrelated certificate.
    let dir = TempDir::new("other-ca");
    let (other, _) = self_signed_files(&dir);
    let out = client(
        &[&server.target(), "--cafile", &other],
        Input::Close(HELLO.to_vec()),
    );
    out.assert_failure(1, expected);
    let out = client(
        &[&server.target(), "--insecure"],
        Input::Close(HELLO.to_vec()),
    );
    out.assert_success();
    assert_eq!(out.stdout, HELLO);
}

#[test]
fn tls12_between_our_client_and_server() {
    // A TLS 1.2-only client against the default server.
    let server = Server::start(&[]);
    let out = client(
        &[&server.target(), "--cafile", &server.cafile(), "--tls12"],
        Input::Close(HELLO.to_vec()),
    );
    out.assert_success();
    assert_eq!(out.stdout, HELLO);
    assert_eq!(
        the_summary_line(&out.stderr),
        "ferrotls: connected TLSv1.2 TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 x25519 alpn=none"
    );
    // A default client against a TLS 1.2-only server, with a CBC suite named.
    let server = Server::start(&[
        "--tls12",
        "--ciphers",
        "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
    ]);
    let out = client(
        &[
            &server.target(),
            "--cafile",
            &server.cafile(),
            "--ciphers",
            "TLS_AES_128_GCM_SHA256:TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
        ],
        Input::Close(HELLO.to_vec()),
    );
    out.assert_success();
    assert_eq!(out.stdout, HELLO);
    assert_eq!(
        the_summary_line(&out.stderr),
        "ferrotls: connected TLSv1.2 TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA x25519 alpn=none"
    );
}

/// Every suite the library implements, as the CLI lists them.
fn all_suite_names() -> String {
    let suites = ferrotls::suites::TLS13_SUITES.iter().map(|s| s.suite);
    let suites = suites.chain(ferrotls::suites::TLS12_SUITES.iter().map(|s| s.suite));
    suites.map(|s| s.to_string()).collect::<Vec<_>>().join(", ")
}

#[test]
fn unknown_suite_and_group_names_list_the_valid_ones() {
    let out = client(
        &["127.0.0.1:1", "--ciphers", "TLS_AES_128_GCM_SHA256:TLS_FOO"],
        Input::Close(Vec::new()),
    );
    out.assert_failure(
        2,
        &format!(
            "ferrotls: unknown cipher suite 'TLS_FOO' (valid: {})",
            all_suite_names()
        ),
    );
    let out = run(
        Command::new(BIN).args(["server", "--listen", "127.0.0.1:0", "--groups", "x448"]),
        Input::Close(Vec::new()),
    );
    out.assert_failure(
        2,
        "ferrotls: group 'x448' is not supported (supported: X25519MLKEM768, x25519, secp256r1, secp384r1)",
    );
    let out = client(&["no-port-here"], Input::Close(Vec::new()));
    out.assert_failure(
        2,
        "ferrotls: bad address 'no-port-here': expected HOST:PORT",
    );
}

#[test]
fn truncation_is_reported() {
    // A Python TLS server that answers and closes TCP without close_notify,
    // while our stdin stays open (so we have not closed either).
    let dir = TempDir::new("truncation");
    let (cert, key) = self_signed_files(&dir);
    let script = r#"
import socket, ssl, sys
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(1)
ls.settimeout(60)
print(ls.getsockname()[1], flush=True)
conn, _ = ls.accept()
conn.settimeout(60)
s = ctx.wrap_socket(conn, server_side=True)
s.sendall(b"partial answer")
s.close()  # no unwrap(): no close_notify
"#;
    let mut child = Command::new("python3")
        .args(["-c", script, &cert, &key])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("python3 must be installed for this test");
    let stdout = child.stdout.take().unwrap();
    let _python = Guard(child);
    let (_, lines) = collect_lines(stdout);
    let port = wait_for_line(&lines, "the port", |l| l.trim().parse::<u16>().ok());
    let out = client(
        &[&format!("127.0.0.1:{port}"), "--cafile", &cert],
        Input::KeepOpen(Vec::new()),
    );
    out.assert_failure(
        1,
        "ferrotls: peer closed the connection without sending TLS close_notify",
    );
    assert_eq!(out.stdout, b"partial answer");
    the_summary_line(&out.stderr);
}

#[test]
fn server_survives_garbage_and_half_open_clients() {
    let server = Server::start(&[]);
    // Plain HTTP to a TLS port: the server answers with an alert and logs.
    let mut garbage = TcpStream::connect(server.addr).unwrap();
    let garbage_addr = garbage.local_addr().unwrap();
    garbage
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    garbage
        .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    let mut answer = Vec::new();
    let _ = garbage.read_to_end(&mut answer);
    // A TLS alert record (content type 21), if anything.
    assert!(answer.is_empty() || answer[0] == 21, "{answer:?}");
    server.wait_for_log(&format!("ferrotls: {garbage_addr}: handshake failed: "));

    // A ClientHello header that promises more than it sends, then EOF.
    let mut partial = TcpStream::connect(server.addr).unwrap();
    let partial_addr = partial.local_addr().unwrap();
    partial.write_all(&[22, 3, 1, 0, 200, 1, 0]).unwrap();
    partial.shutdown(std::net::Shutdown::Write).unwrap();
    server.wait_for_log(&format!("ferrotls: {partial_addr}: handshake failed: "));

    // A client that connects and says nothing holds only its own thread.
    let _silent = TcpStream::connect(server.addr).unwrap();

    let out = client(
        &[&server.target(), "--cafile", &server.cafile()],
        Input::Close(HELLO.to_vec()),
    );
    out.assert_success();
    assert_eq!(out.stdout, HELLO);
}

// ------------------------------------------------- peers we did not write

#[test]
fn openssl_s_client_talks_to_our_echo_server() {
    let server = Server::start(&[]);
    let mut child = Command::new("openssl")
        .args(["s_client", "-connect", &server.target()])
        .args(["-CAfile", &server.cafile(), "-verify_return_error"])
        .args(["-servername", "localhost", "-tls1_3"])
        // -quiet implies -ign_eof; -no_ign_eof makes stdin EOF close.
        .args(["-quiet", "-no_ign_eof", "-nocommands"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("openssl must be installed for this test");
    let mut stdin = child.stdin.take().unwrap();
    let (_, lines) = collect_lines(child.stdout.take().unwrap());
    let (errors, _) = collect_lines(child.stderr.take().unwrap());
    let mut child = Guard(child);
    stdin.write_all(b"ping from openssl\n").unwrap();
    stdin.flush().unwrap();
    wait_for_line(&lines, "the echo", |l| {
        (l == "ping from openssl").then_some(())
    });
    drop(stdin); // s_client sends close_notify; our server answers with its own.
    let deadline = Instant::now() + DEADLINE;
    let status = loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "s_client did not exit");
        thread::sleep(Duration::from_millis(10));
    };
    let errors = errors.lock().unwrap().clone();
    assert!(status.success(), "{status:?}\n{errors}");
    server.wait_for_log("connected TLSv1.3 TLS_AES_128_GCM_SHA256 x25519 alpn=none sni=localhost");
}

const PY_ECHO_8MIB: &str = r#"
import os, select, socket, ssl, sys
host, port, cafile = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ctx = ssl.create_default_context(cafile=cafile)
ctx.minimum_version = ssl.TLSVersion.TLSv1_3
s = ctx.wrap_socket(socket.create_connection((host, port), timeout=60), server_hostname="localhost")
s.setblocking(False)
data = os.urandom(8 << 20)
sent, got = 0, bytearray()
while len(got) < len(data):
    sending = sent < len(data)
    if not s.pending():
        r, w, _ = select.select([s], [s] if sending else [], [], 60)
        if not r and not w:
            sys.exit("timed out after sending %d and receiving %d bytes" % (sent, len(got)))
    if sending:
        try:
            sent += s.send(data[sent:sent + 65536])
        except (ssl.SSLWantWriteError, ssl.SSLWantReadError):
            pass
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                sys.exit("server closed after %d bytes" % len(got))
            got += chunk
    except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
        pass
if bytes(got) != data:
    sys.exit("echo differs")
version = s.version()
s.setblocking(True)
s.settimeout(60)
s.unwrap()  # our close_notify, then the server's
print("ok", len(got), version)
"#;

#[test]
fn python_sends_8_mib_through_the_echo_server() {
    let server = Server::start(&[]);
    let port = server.addr.port().to_string();
    let out = python(PY_ECHO_8MIB, &["127.0.0.1", &port, &server.cafile()]);
    out.assert_success();
    assert_eq!(out.stdout_text().trim(), format!("ok {} TLSv1.3", 8 << 20));
}

#[test]
fn curl_gets_the_http_page() {
    let server = Server::start(&["--mode", "http", "--ciphers", "TLS_AES_256_GCM_SHA384"]);
    let port = server.addr.port();
    let out = run(
        Command::new("curl")
            .args(["-sS", "--fail", "--max-time", "60"])
            .args(["--cacert", &server.cafile()])
            .args(["--resolve", &format!("localhost:{port}:127.0.0.1")])
            .arg(format!("https://localhost:{port}/hello")),
        Input::Close(Vec::new()),
    );
    out.assert_success();
    let page = out.stdout_text();
    assert!(page.contains("protocol:         TLSv1.3\n"), "{page}");
    assert!(
        page.contains("cipher suite:     TLS_AES_256_GCM_SHA384\n"),
        "{page}"
    );
    assert!(page.contains("server name:      localhost\n"), "{page}");
    assert!(
        page.contains("request:          GET /hello HTTP/1.1\n"),
        "{page}"
    );
}

#[test]
fn python_urllib_gets_the_http_page() {
    let server = Server::start(&["--mode", "http", "--alpn", "http/1.1"]);
    let script = r#"
import ssl, sys, urllib.request
ctx = ssl.create_default_context(cafile=sys.argv[2])
ctx.set_alpn_protocols(["http/1.1"])
with urllib.request.urlopen(sys.argv[1], context=ctx, timeout=60) as r:
    print(r.status, r.headers["Content-Type"])
    sys.stdout.write(r.read().decode())
"#;
    // An IP address in the URL: the certificate's IP SAN is checked.
    let url = format!("https://{}/py", server.target());
    let out = python(script, &[&url, &server.cafile()]);
    out.assert_success();
    let page = out.stdout_text();
    assert!(page.starts_with("200 text/plain"), "{page}");
    assert!(page.contains("protocol:         TLSv1.3\n"), "{page}");
    assert!(
        page.contains("cipher suite:     TLS_AES_128_GCM_SHA256\n"),
        "{page}"
    );
    assert!(page.contains("alpn:             http/1.1\n"), "{page}");
}

/// `openssl s_server` with a generated certificate; returns it with its port.
#[test]
fn our_client_against_openssl_s_server_www() {
    let dir = TempDir::new("s_server");
    let (_server, port, cert) = openssl_s_server(&dir, &["-tls1_3", "-www", "-alpn", "h2"]);
    let out = client(
        &[
            &format!("127.0.0.1:{port}"),
            "--cafile",
            &cert,
            "--alpn",
            "h2,http/1.1",
            "--ciphers",
            "TLS_AES_256_GCM_SHA384",
        ],
        Input::Close(b"GET / HTTP/1.0\r\n\r\n".to_vec()),
    );
    out.assert_success();
    // openssl 3.0 has no ML-KEM: our x25519 share beside the hybrid one is used.
    assert_eq!(
        the_summary_line(&out.stderr),
        "ferrotls: connected TLSv1.3 TLS_AES_256_GCM_SHA384 x25519 alpn=h2"
    );
    let page = out.stdout_text();
    assert!(page.starts_with("HTTP/1.0 200 ok\r\n"), "{page}");
    assert!(
        page.contains("New, TLSv1.3, Cipher is TLS_AES_256_GCM_SHA384"),
        "{page}"
    );
}

#[test]
fn our_client_against_openssl_s_server_with_hello_retry() {
    // s_server only takes secp256r1, for which our first ClientHello has
    // no key share: HelloRetryRequest (RFC 8446 §4.1.4).
    let dir = TempDir::new("s_server_hrr");
    let (_server, port, cert) = openssl_s_server(&dir, &["-tls1_3", "-rev", "-groups", "P-256"]);
    let out = client(
        &[&format!("127.0.0.1:{port}"), "--cafile", &cert],
        Input::Close(b"olleh\n".to_vec()),
    );
    out.assert_success();
    assert_eq!(
        the_summary_line(&out.stderr),
        "ferrotls: connected TLSv1.3 TLS_AES_128_GCM_SHA256 secp256r1 alpn=none"
    );
    assert!(out.stdout_text().contains("hello"), "{}", out.stdout_text());
}

#[test]
fn tls12_without_extended_master_secret_only_with_allow_no_ems() {
    // RFC 7627: gnutls-serv told not to use the extended master secret
    // (%NO_SESSION_HASH). Refused by default, with the reason; accepted
    // with --allow-no-ems.
    let dir = TempDir::new("gnutls_no_ems");
    let priority = "NORMAL:-VERS-ALL:+VERS-TLS1.2:%NO_SESSION_HASH";
    let (_server, port, cert) = gnutls_serv(&dir, &["--echo", "--priority", priority]);
    let target = format!("127.0.0.1:{port}");
    let refused = client(
        &[&target, "--cafile", &cert],
        Input::Close(b"hi\n".to_vec()),
    );
    refused.assert_failure(
        1,
        "ferrotls: handshake failed: peer is incompatible: peer does not support extended \
         master secret (RFC 7627), which is required",
    );
    let allowed = client(
        &[&target, "--cafile", &cert, "--allow-no-ems"],
        Input::Close(b"hello without ems\n".to_vec()),
    );
    allowed.assert_success();
    assert!(
        the_summary_line(&allowed.stderr).starts_with("ferrotls: connected TLSv1.2 "),
        "{}",
        allowed.stderr
    );
    assert_eq!(allowed.stdout_text(), "hello without ems\n");

    // The server side: gnutls-cli without it, refused, then let in.
    for (flag, completes) in [(None, false), (Some("--allow-no-ems"), true)] {
        let server = Server::start(flag.as_slice());
        let out = run(
            Command::new("gnutls-cli")
                .args(["--x509cafile", &server.cafile(), "--priority", priority])
                .args(["--port", &server.addr.port().to_string(), "localhost"]),
            Input::Close(b"hi\n".to_vec()),
        );
        let text = format!("{}{}", out.stdout_text(), out.stderr);
        assert_eq!(
            text.contains("Handshake was completed"),
            completes,
            "{text}"
        );
        let logged = match completes {
            true => "connected TLSv1.2",
            false => "peer does not support extended master secret",
        };
        server.wait_for_log(logged);
    }
}

// ---------------------------------------------------------------- key log

/// The (label, client random, secret) entries of an NSS key log, in
/// lowercase hex; an absent file has none.
fn key_log_entries(path: &Path) -> BTreeSet<(String, String, String)> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let parts: Vec<&str> = l.split_whitespace().collect();
            assert_eq!(parts.len(), 3, "bad key log line {l:?}");
            (
                parts[0].to_string(),
                parts[1].to_ascii_lowercase(),
                parts[2].to_ascii_lowercase(),
            )
        })
        .collect()
}

fn labels(entries: &BTreeSet<(String, String, String)>) -> BTreeSet<&str> {
    entries.iter().map(|(label, _, _)| label.as_str()).collect()
}

const TLS13_LABELS: [&str; 5] = [
    "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
    "CLIENT_TRAFFIC_SECRET_0",
    "EXPORTER_SECRET",
    "SERVER_HANDSHAKE_TRAFFIC_SECRET",
    "SERVER_TRAFFIC_SECRET_0",
];

#[test]
fn keylog_writes_secrets_that_normal_output_never_shows() {
    for version in ["--tls13", "--tls12"] {
        let dir = TempDir::new("keylog");
        let (server_log, client_log) = (dir.path("server.keys"), dir.path("client.keys"));
        let server = Server::start(&["--keylog", &path_str(&server_log)]);
        assert!(server.log().contains("writing TLS secrets to"));

        // The server logs; the client, run normally, must not show a secret.
        let plain = client(
            &[&server.target(), "--cafile", &server.cafile(), version],
            Input::Close(HELLO.to_vec()),
        );
        plain.assert_success();
        let logged = key_log_entries(&server_log);
        assert!(!logged.is_empty(), "the server logged nothing ({version})");
        let client_output = format!("{}{}", plain.stdout_text(), plain.stderr);
        for (label, _, secret) in &logged {
            assert!(
                !client_output.contains(secret.as_str()),
                "{label} in client output"
            );
        }

        // Both ends log the same secrets for the same connection.
        let logging = client(
            &[
                &server.target(),
                "--cafile",
                &server.cafile(),
                version,
                "--keylog",
                &path_str(&client_log),
            ],
            Input::Close(HELLO.to_vec()),
        );
        logging.assert_success();
        let from_client = key_log_entries(&client_log);
        let from_server = key_log_entries(&server_log);
        assert!(!from_client.is_empty());
        assert!(from_client.is_subset(&from_server), "{from_client:?}");
        match version {
            "--tls13" => assert_eq!(labels(&from_client), TLS13_LABELS.into()),
            _ => assert_eq!(labels(&from_client), ["CLIENT_RANDOM"].into()),
        }
        server.wait_for_log("connected");
        let server_output = server.log();
        for (label, _, secret) in &from_server {
            assert!(
                !server_output.contains(secret.as_str()),
                "{label} in server log"
            );
            assert!(!logging.stdout_text().contains(secret.as_str()));
        }
    }
}

#[test]
fn sslkeylogfile_is_used_unless_keylog_is_given() {
    let server = Server::start(&[]);
    let dir = TempDir::new("env-keylog");
    let (env_log, flag_log) = (dir.path("env.keys"), dir.path("flag.keys"));
    let base = ["client", &server.target(), "--cafile", &server.cafile()].map(String::from);
    let out = run(
        Command::new(BIN).args(&base).env("SSLKEYLOGFILE", &env_log),
        Input::Close(HELLO.to_vec()),
    );
    out.assert_success();
    assert_eq!(labels(&key_log_entries(&env_log)), TLS13_LABELS.into());

    std::fs::remove_file(&env_log).unwrap();
    let out = run(
        Command::new(BIN)
            .args(&base)
            .args(["--keylog", &path_str(&flag_log)])
            .env("SSLKEYLOGFILE", &env_log),
        Input::Close(HELLO.to_vec()),
    );
    out.assert_success();
    assert_eq!(labels(&key_log_entries(&flag_log)), TLS13_LABELS.into());
    assert!(!env_log.exists(), "--keylog must win over SSLKEYLOGFILE");
}

#[test]
fn ferrotls_and_openssl_key_logs_of_one_connection_agree() {
    for (ours, theirs) in [("--tls13", "-tls1_3"), ("--tls12", "-tls1_2")] {
        let dir = TempDir::new("keylog-openssl");
        let (openssl_log, ferrotls_log) = (dir.path("openssl.keys"), dir.path("ferrotls.keys"));
        let (_server, port, cert) = openssl_s_server(
            &dir,
            &[theirs, "-www", "-keylogfile", &path_str(&openssl_log)],
        );
        let out = client(
            &[
                &format!("127.0.0.1:{port}"),
                "--cafile",
                &cert,
                ours,
                "--keylog",
                &path_str(&ferrotls_log),
            ],
            Input::Close(b"GET / HTTP/1.0\r\n\r\n".to_vec()),
        );
        out.assert_success();
        let ferrotls = key_log_entries(&ferrotls_log);
        // OpenSSL has written its log by the time it served the page; the
        // wait only guards against a slow flush.
        let deadline = Instant::now() + DEADLINE;
        while key_log_entries(&openssl_log) != ferrotls && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(key_log_entries(&openssl_log), ferrotls, "{ours}");
        assert!(!ferrotls.is_empty());
    }
}

/// Every "connected" line of a client run, in order.
fn summary_lines(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.starts_with("ferrotls: connected "))
        .collect()
}

#[test]
fn reconnect_resumes_tls13_and_tls12_sessions() {
    let server = Server::start(&[]);
    for version in ["--tls13", "--tls12"] {
        let out = client(
            &[
                &server.target(),
                "--cafile",
                &server.cafile(),
                version,
                "--reconnect",
                "2",
            ],
            Input::Close(HELLO.to_vec()),
        );
        out.assert_success();
        assert_eq!(out.stdout, HELLO, "stdin goes to the last connection");
        let lines = summary_lines(&out.stderr);
        assert_eq!(lines.len(), 3, "{}", out.stderr);
        assert!(!lines[0].ends_with(" resumed"), "{}", lines[0]);
        assert!(lines[1].ends_with(" resumed"), "{}", lines[1]);
        assert!(lines[2].ends_with(" resumed"), "{}", lines[2]);
    }
    // The server's log says the same: two full handshakes (one per
    // version), four resumed. A resumed TLS 1.2 session has no key
    // exchange, and the line says so.
    let connected = |log: &str| -> Vec<String> {
        log.lines()
            .filter(|l| l.contains(": connected "))
            .map(String::from)
            .collect()
    };
    let deadline = Instant::now() + DEADLINE;
    let mut log = server.log();
    while connected(&log).len() < 6 && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(20));
        log = server.log();
    }
    let connected = connected(&log);
    let resumed = connected.iter().filter(|l| l.ends_with(" resumed"));
    assert_eq!((connected.len(), resumed.count()), (6, 4), "{log}");
    let tls12_resumed = connected
        .iter()
        .filter(|l| l.contains("TLSv1.2") && l.ends_with(" resumed"));
    assert_eq!(tls12_resumed.clone().count(), 2, "{log}");
    assert!(
        tls12_resumed
            .into_iter()
            .all(|l| l.contains(" no-key-exchange ")),
        "{log}"
    );
}

#[test]
fn no_tickets_leaves_tls12_session_ids_and_session_lifetime_zero_resumes_nothing() {
    let server = Server::start(&["--no-tickets"]);
    let resumed = |version: &str, server: &Server| {
        let out = client(
            &[
                &server.target(),
                "--cafile",
                &server.cafile(),
                version,
                "--reconnect",
                "1",
            ],
            Input::Close(Vec::new()),
        );
        out.assert_success();
        summary_lines(&out.stderr)[1].ends_with(" resumed")
    };
    assert!(
        resumed("--tls12", &server),
        "TLS 1.2 session IDs still resume"
    );
    assert!(
        !resumed("--tls13", &server),
        "no tickets, no TLS 1.3 resumption"
    );
    let server = Server::start(&["--session-lifetime", "0"]);
    assert!(!resumed("--tls12", &server));
    assert!(!resumed("--tls13", &server));
}

#[test]
fn clients_that_trickle_are_cut_off_at_the_step_deadline() {
    // A socket timeout bounds one read: a byte a second would never reach
    // it. The handshake and the HTTP request have 10 s each in all.
    let server = Server::start(&["--mode", "http"]);
    // A ClientHello's record header, then its bytes one a second.
    let mut hello = TcpStream::connect(server.addr).unwrap();
    hello.write_all(&[22, 3, 1, 0x40, 0]).unwrap();
    // A handshake, then the request one byte a second.
    let mut child = Command::new("openssl")
        .args(["s_client", "-connect", &server.target()])
        .args(["-CAfile", &server.cafile(), "-servername", "localhost"])
        .args(["-quiet", "-no_ign_eof", "-nocommands"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("openssl must be installed for this test");
    let mut stdin = child.stdin.take().unwrap();
    let _child = Guard(child);
    let request = format!("GET /{} HTTP/1.0\r\n\r\n", "a".repeat(60));
    let cut_off = [
        "handshake failed: timed out after 10 s",
        "no complete HTTP request within 10 s",
    ];
    let started = Instant::now();
    for byte in request.bytes() {
        let log = server.log();
        if cut_off.iter().all(|line| log.contains(line)) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "not cut off:\n{log}"
        );
        let _ = hello.write_all(&[1]);
        let _ = stdin.write_all(&[byte]).and_then(|()| stdin.flush());
        thread::sleep(Duration::from_secs(1));
    }
    for line in cut_off {
        server.wait_for_log(line);
    }
    // The trickling hello's connection is closed.
    hello.set_read_timeout(Some(DEADLINE)).unwrap();
    let mut buf = [0u8; 64];
    assert!(matches!(hello.read(&mut buf), Ok(0) | Err(_)));
}

#[test]
fn idle_timeout_closes_quiet_clients_with_close_notify() {
    let server = Server::start(&["--idle-timeout", "1"]);
    // The client keeps stdin open and says nothing more; the server closes
    // it cleanly after a second, so the client exits 0.
    let out = client(
        &[&server.target(), "--cafile", &server.cafile()],
        Input::KeepOpen(HELLO.to_vec()),
    );
    out.assert_success();
    assert_eq!(out.stdout, HELLO);
    server.wait_for_log("idle for 1 s: closed with close_notify");
}
