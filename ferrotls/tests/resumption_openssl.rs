//! Resumption against OpenSSL: `s_client -reconnect` and
//! `-sess_out`/`-sess_in` against our server, our client against
//! `s_server`, for TLS 1.2 and 1.3.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use common::*;
use ferrotls::{ClientConnection, ProtocolVersion, ServerConfig, ServerConnection, StreamOwned};

const TIMEOUT: Duration = Duration::from_secs(20);

/// Kills the child when dropped, so no test leaves a process behind.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Our server on a free port: for each connection, read a line, send it
/// back, send close_notify. Returns the port and whether each connection
/// resumed, in order.
fn serve(config: ServerConfig, connections: usize) -> (u16, thread::JoinHandle<Vec<bool>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let config = Arc::new(config);
    let handle = thread::spawn(move || {
        let mut resumed = Vec::new();
        for _ in 0..connections {
            let (sock, _) = listener.accept().unwrap();
            sock.set_read_timeout(Some(TIMEOUT)).unwrap();
            let mut tls = StreamOwned::new(ServerConnection::new(config.clone()).unwrap(), sock);
            let mut buf = [0u8; 256];
            let n = tls.read(&mut buf).unwrap_or(0);
            let _ = tls.write_all(&buf[..n]);
            let _ = tls.close();
            resumed.push(tls.conn.is_resumed());
        }
        resumed
    });
    (port, handle)
}

/// Runs s_client with `args`, sending one line; returns its stdout.
fn s_client(port: u16, ca: &std::path::Path, args: &[&str]) -> String {
    let mut cmd = Command::new("openssl");
    cmd.args([
        "s_client",
        "-connect",
        &format!("127.0.0.1:{port}"),
        "-CAfile",
        ca.to_str().unwrap(),
        "-ign_eof",
    ]);
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = Killed(cmd.spawn().expect("openssl is installed"));
    child.0.stdin.take().unwrap().write_all(b"hello\n").unwrap();
    let mut out = String::new();
    let mut stdout = child.0.stdout.take().unwrap();
    let reader = thread::spawn(move || {
        let _ = stdout.read_to_string(&mut out);
        out
    });
    let start = Instant::now();
    while child.0.try_wait().unwrap().is_none() {
        assert!(start.elapsed() < TIMEOUT, "s_client did not finish");
        thread::sleep(Duration::from_millis(20));
    }
    reader.join().unwrap()
}

fn server_config(pki: &TestPki, version: ProtocolVersion) -> ServerConfig {
    let mut config = pki.server_config();
    config.versions = vec![version];
    config
}

#[test]
fn s_client_sess_out_and_sess_in_resume_with_our_server() {
    let pki = TestPki::get(KeyType::EcdsaP256);
    let dir = unique_temp_dir("resume-sess");
    let (ca, _, _) = pki.write_pem_files(&dir);
    for (version, flag, tag) in [
        (ProtocolVersion::TLSv1_3, "-tls1_3", "TLSv1.3"),
        (ProtocolVersion::TLSv1_2, "-tls1_2", "TLSv1.2"),
    ] {
        let (port, server) = serve(server_config(pki, version), 2);
        let sess = dir.join(format!("sess-{tag}.pem"));
        let first = s_client(port, &ca, &[flag, "-sess_out", sess.to_str().unwrap()]);
        assert!(first.contains(&format!("New, {tag}")), "{first}");
        assert!(first.contains("hello"), "echo arrived: {first}");
        let second = s_client(port, &ca, &[flag, "-sess_in", sess.to_str().unwrap()]);
        assert!(second.contains(&format!("Reused, {tag}")), "{second}");
        assert_eq!(server.join().unwrap(), [false, true], "{tag}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn s_client_reconnect_resumes_tls12_with_our_server() {
    let pki = TestPki::get(KeyType::EcdsaP256);
    let dir = unique_temp_dir("resume-reconnect");
    let (ca, _, _) = pki.write_pem_files(&dir);
    // With tickets (the default) and with session IDs only.
    for tickets in [true, false] {
        let mut config = server_config(pki, ProtocolVersion::TLSv1_2);
        if !tickets {
            config.ticketer = None;
        }
        // -reconnect: one connection, then five more offering the session.
        let (port, server) = serve(config, 6);
        let out = s_client(port, &ca, &["-tls1_2", "-reconnect"]);
        assert_eq!(
            out.matches("Reused, TLSv1.2").count(),
            5,
            "tickets={tickets}: {out}"
        );
        assert_eq!(
            server.join().unwrap(),
            [false, true, true, true, true, true]
        );
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// `openssl s_server -www` on a free port.
fn s_server(dir: &std::path::Path, pki: &TestPki, flag: &str) -> (Killed, u16) {
    let (_, chain, key) = pki.write_pem_files(dir);
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("openssl")
        .args([
            "s_server",
            "-accept",
            &format!("127.0.0.1:{port}"),
            "-www",
            flag,
        ])
        .args([
            "-cert",
            chain.to_str().unwrap(),
            "-cert_chain",
            chain.to_str().unwrap(),
            "-key",
            key.to_str().unwrap(),
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("openssl is installed");
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(start.elapsed() < TIMEOUT, "s_server did not start");
        thread::sleep(Duration::from_millis(20));
    }
    (Killed(child), port)
}

#[test]
fn our_client_resumes_with_s_server() {
    let pki = TestPki::get(KeyType::EcdsaP256);
    for (flag, version) in [
        ("-tls1_3", ProtocolVersion::TLSv1_3),
        ("-tls1_2", ProtocolVersion::TLSv1_2),
    ] {
        let dir = unique_temp_dir("resume-s-server");
        let (_server, port) = s_server(&dir, pki, flag);
        let config = Arc::new(pki.client_config());
        let mut resumed = Vec::new();
        for _ in 0..3 {
            let sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
            sock.set_read_timeout(Some(TIMEOUT)).unwrap();
            let conn = ClientConnection::new(config.clone(), server_name("localhost")).unwrap();
            let mut tls = StreamOwned::new(conn, sock);
            tls.write_all(b"GET / HTTP/1.0\r\n\r\n").unwrap();
            let mut page = Vec::new();
            let _ = tls.read_to_end(&mut page);
            assert!(
                String::from_utf8_lossy(&page).contains("HTTP/1.0 200"),
                "{flag}"
            );
            assert_eq!(tls.conn.protocol_version(), Some(version));
            resumed.push(tls.conn.is_resumed());
        }
        assert_eq!(resumed, [false, true, true], "{flag}");
        let _ = std::fs::remove_dir_all(dir);
    }
}
