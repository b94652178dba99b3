//! Resumption against OpenSSL: `s_client -reconnect` and
//! `-sess_out`/`-sess_in` against our server, our client against
//! `s_server`, for TLS 1.2 and 1.3.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use common::openssl::{path, s_server, strings, PeerProcess, PemFiles};
use common::*;
use ferrotls::{ClientConnection, ProtocolVersion, ServerConfig, ServerConnection, StreamOwned};

const TIMEOUT: Duration = Duration::from_secs(20);

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

/// Runs s_client with `args`, sending one line and waiting for the
/// server to close; returns its stdout.
fn s_client(port: u16, ca: &std::path::Path, args: &[&str]) -> String {
    let mut all = strings(&[
        "s_client",
        "-connect",
        &format!("127.0.0.1:{port}"),
        "-CAfile",
        path(ca),
        "-ign_eof",
    ]);
    all.extend(strings(args));
    let mut client = PeerProcess::openssl(all);
    client.send("hello\n");
    client.wait_exit();
    client.stdout.text()
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
fn s_client_resumes_after_our_hello_retry_request() {
    // RFC 8446 §4.2.11.2: offering its ticket with a share for P-521 only
    // (which we lack), s_client gets a HelloRetryRequest and sends a second
    // ClientHello whose binder covers message_hash(ClientHello1),
    // the HelloRetryRequest and itself; we check it and resume.
    let pki = TestPki::get(KeyType::EcdsaP256);
    let dir = unique_temp_dir("resume-hrr");
    let (ca, _, _) = pki.write_pem_files(&dir);
    let (port, server) = serve(server_config(pki, ProtocolVersion::TLSv1_3), 2);
    let sess = dir.join("sess.pem");
    let first = s_client(port, &ca, &["-tls1_3", "-sess_out", path(&sess)]);
    assert!(first.contains("New, TLSv1.3"), "{first}");
    let retry = [
        "-tls1_3",
        "-groups",
        "P-521:P-256",
        "-msg",
        "-sess_in",
        path(&sess),
    ];
    let second = s_client(port, &ca, &retry);
    assert_eq!(second.matches(", ClientHello").count(), 2, "{second}");
    assert!(second.contains("Reused, TLSv1.3"), "{second}");
    assert_eq!(server.join().unwrap(), [false, true]);
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

#[test]
fn our_client_resumes_with_s_server() {
    let pki = TestPki::get(KeyType::EcdsaP256);
    for (flag, version) in [
        ("-tls1_3", ProtocolVersion::TLSv1_3),
        ("-tls1_2", ProtocolVersion::TLSv1_2),
    ] {
        let pem = PemFiles::for_key_type(KeyType::EcdsaP256);
        let mut args = strings(&["-www", flag]);
        args.extend(pem.server_args());
        let server = s_server(&args);
        let config = Arc::new(pki.client_config());
        let mut resumed = Vec::new();
        for _ in 0..3 {
            let sock = TcpStream::connect(server.addr).unwrap();
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
    }
}
