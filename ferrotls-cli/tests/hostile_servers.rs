//! `client` and `explain` against servers that misbehave on purpose
//! (ferrotls servers in threads of this test): trickling the handshake,
//! sending without end, flooding KeyUpdates. Each command ends within its
//! documented deadlines and keeps a bounded trace.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use common::*;
use ferrotls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use ferrotls::{ServerConfig, ServerConnection, StreamOwned};

/// Far beyond every timeout the commands document (10 s).
const LIMIT: Duration = Duration::from_secs(45);

fn server_config() -> Arc<ServerConfig> {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    let cert = params.self_signed(&key).unwrap();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    Arc::new(ServerConfig::new(vec![cert.der().clone()], key).unwrap())
}

/// Serves every connection with `behave` on its own thread; returns the port.
fn hostile_server(behave: fn(TcpStream, Arc<ServerConfig>)) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let config = server_config();
    thread::spawn(move || {
        for sock in listener.incoming().flatten() {
            let config = config.clone();
            thread::spawn(move || behave(sock, config));
        }
    });
    port
}

/// Handshake, read the request, then stream data forever (until the
/// client goes away).
fn endless(sock: TcpStream, config: Arc<ServerConfig>) {
    let mut s = StreamOwned::new(ServerConnection::new(config).unwrap(), sock);
    let mut buf = [0u8; 1024];
    let _ = s.read(&mut buf);
    let _ = s.write_all(b"HTTP/1.0 200 OK\r\n\r\n");
    let chunk = [b'a'; 1024];
    while s.write_all(&chunk).and_then(|()| s.flush()).is_ok() {
        thread::sleep(Duration::from_millis(50));
    }
}

/// Handshake, read the request, then 20 000 times: a KeyUpdate and one
/// byte of data (which resets the library's KeyUpdates-in-a-row limit);
/// then close_notify.
fn key_update_flood(sock: TcpStream, config: Arc<ServerConfig>) {
    let mut s = StreamOwned::new(ServerConnection::new(config).unwrap(), sock);
    let mut buf = [0u8; 1024];
    let _ = s.read(&mut buf);
    for _ in 0..20_000 {
        if s.conn.send_key_update(false).is_err() || s.write_all(b"x").is_err() {
            return;
        }
    }
    let _ = s.close();
    let mut sink = [0u8; 1024];
    while matches!(s.read(&mut sink), Ok(n) if n > 0) {}
}

/// Reads the ClientHello, then sends the server's first flight one byte
/// every 2 s (each read of the client succeeds well within its 10 s
/// read timeout).
fn trickle_handshake(mut sock: TcpStream, config: Arc<ServerConfig>) {
    let mut conn = ServerConnection::new(config).unwrap();
    while conn.is_handshaking() && !conn.wants_write() {
        if conn.read_tls(&mut sock).map_or(true, |n| n == 0) || conn.process_new_packets().is_err()
        {
            return;
        }
    }
    let mut flight = Vec::new();
    while conn.wants_write() {
        conn.write_tls(&mut flight).unwrap();
    }
    for b in flight {
        if sock.write_all(&[b]).is_err() {
            return;
        }
        thread::sleep(Duration::from_secs(2));
    }
}

/// Runs the CLI with stdin closed; None if it was still running at LIMIT
/// (it is then killed).
fn run_limited(args: &[String]) -> Option<(std::process::ExitStatus, String, Vec<u8>)> {
    let mut child = Command::new(BIN)
        .args(args)
        .env_remove("SSLKEYLOGFILE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = read_all_on_thread(child.stdout.take().unwrap());
    let err = read_all_on_thread(child.stderr.take().unwrap());
    let child = Guard(child);
    let start = Instant::now();
    let mut child = child;
    loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            let err = String::from_utf8_lossy(&err.join().unwrap()).into_owned();
            return Some((status, err, out.join().unwrap()));
        }
        if start.elapsed() > LIMIT {
            return None; // the guard kills it
        }
        thread::sleep(Duration::from_millis(50));
    }
}

fn args(list: &[&str], port: u16) -> Vec<String> {
    list.iter()
        .map(|a| a.replace("PORT", &port.to_string()))
        .collect()
}

#[test]
fn explain_finishes_against_a_server_that_never_stops_sending() {
    let port = hostile_server(endless);
    let done = run_limited(&args(&["explain", "127.0.0.1:PORT", "--insecure"], port));
    assert!(done.is_some(), "explain still running after {LIMIT:?}");
}

#[test]
fn explain_records_a_bounded_trace_against_a_key_update_flood() {
    let port = hostile_server(key_update_flood);
    let start = Instant::now();
    let done = run_limited(&args(
        &["explain", "127.0.0.1:PORT", "--insecure", "--json"],
        port,
    ));
    let (status, err, out) =
        done.unwrap_or_else(|| panic!("explain still running after {LIMIT:?}"));
    eprintln!("explain: {status}, {:?}, stderr {err}", start.elapsed());
    let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let s = &json["sessions"][0];
    let (messages, secrets, keys) = (
        s["messages"].as_array().unwrap().len(),
        s["secrets"].as_array().unwrap().len(),
        s["keys"].as_array().unwrap().len(),
    );
    eprintln!(
        "messages {messages}, secrets {secrets}, keys {keys}, {} bytes of JSON",
        out.len()
    );
    assert!(messages <= 300, "{messages} messages recorded");
    // A key and an IV per traffic key.
    assert!(
        secrets <= 300 && keys <= 600,
        "{secrets} secrets, {keys} keys"
    );
    let last = s["messages"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .to_string();
    assert!(last.contains("more messages, not recorded"), "{last}");
}

#[test]
fn client_reconnect_moves_on_from_a_server_that_never_stops_sending() {
    // The handshake-only connection reads what follows our close_notify
    // for 10 s at most, then the next connection starts. (The last one
    // pipes the server to stdout for as long as it sends: that one is
    // the user's to end.)
    let port = hostile_server(endless);
    let mut child = Command::new(BIN)
        .args(args(
            &["client", "127.0.0.1:PORT", "--insecure", "--reconnect", "1"],
            port,
        ))
        .env_remove("SSLKEYLOGFILE")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (_, lines) = collect_lines(child.stderr.take().unwrap());
    let _child = Guard(child);
    let started = Instant::now();
    for _ in 0..2 {
        wait_for_line(&lines, "'connected'", |l| {
            l.contains("connected").then_some(())
        });
    }
    assert!(started.elapsed() < LIMIT, "{:?}", started.elapsed());
}

#[test]
fn client_gives_up_on_a_trickled_handshake_after_10_s() {
    let port = hostile_server(trickle_handshake);
    let start = Instant::now();
    let (status, err, _) =
        run_limited(&args(&["client", "127.0.0.1:PORT", "--insecure"], port)).expect("client hung");
    eprintln!("client: {status} after {:?}: {err}", start.elapsed());
    assert!(
        err.contains("no answer from the server within 10 s"),
        "{err}"
    );
}

#[test]
fn client_reconnect_gives_up_on_a_trickled_handshake() {
    let port = hostile_server(trickle_handshake);
    let done = run_limited(&args(
        &["client", "127.0.0.1:PORT", "--insecure", "--reconnect", "1"],
        port,
    ));
    assert!(
        done.is_some(),
        "client --reconnect 1 still running after {LIMIT:?}"
    );
}

#[test]
fn explain_gives_up_on_a_trickled_handshake() {
    let port = hostile_server(trickle_handshake);
    let done = run_limited(&args(&["explain", "127.0.0.1:PORT", "--insecure"], port));
    assert!(done.is_some(), "explain still running after {LIMIT:?}");
}
