//! What a connection does once it has failed or closed: nothing more goes
//! out after a fatal alert or our close_notify (RFC 8446 §6.1, §6.2), the
//! error keeps being reported, and a stuck transport is an error rather
//! than a hang or a spin.

mod common;
mod negative_support;

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use common::*;
use negative_support::{records, take_output};

use ferrotls::{AlertDescription, ClientConnection, Error, ServerConnection, StreamOwned};

fn pair() -> (ClientConnection, ServerConnection) {
    let pki = TestPki::get(KeyType::EcdsaP256);
    let c = ClientConnection::new(Arc::new(pki.client_config()), server_name("localhost")).unwrap();
    let s = ServerConnection::new(Arc::new(pki.server_config())).unwrap();
    (c, s)
}

/// A connected pair where the client's next record reaches the server
/// with its last byte flipped: the server fails with bad_record_mac.
fn server_failed_on_a_bad_record() -> (ClientConnection, ServerConnection) {
    let (mut c, mut s) = pair();
    handshake(&mut c, &mut s).unwrap();
    c.writer().write_all(b"secret").unwrap();
    let mut wire = take_output(&mut c);
    let last = wire.len() - 1;
    wire[last] ^= 1;
    assert_eq!(feed(&mut s, &wire), Err(Error::DecryptError));
    (c, s)
}

#[test]
fn nothing_is_sent_after_our_fatal_alert() {
    // RFC 8446 §6.2: after a fatal alert the connection is closed "without
    // sending or receiving any additional data".
    let (_c, mut s) = server_failed_on_a_bad_record();
    let alert = take_output(&mut s);
    assert_eq!(records(&alert).len(), 1, "the fatal alert");
    let written = s.writer().write(b"after the fatal alert");
    assert_eq!(
        written.map_err(|e| e.kind()),
        Err(io::ErrorKind::InvalidData)
    );
    s.send_close_notify();
    assert_eq!(take_output(&mut s), b"", "nothing after the alert");
}

#[test]
fn nothing_is_sent_after_the_peers_fatal_alert() {
    let (mut c, mut s) = server_failed_on_a_bad_record();
    assert_eq!(
        transfer(&mut s, &mut c),
        Err(Error::AlertReceived(AlertDescription::BadRecordMac))
    );
    let written = c.writer().write(b"after the peer's fatal alert");
    assert_eq!(
        written.map_err(|e| e.kind()),
        Err(io::ErrorKind::InvalidData)
    );
    c.send_close_notify();
    assert_eq!(take_output(&mut c), b"");
}

#[test]
fn no_alert_follows_our_close_notify() {
    // RFC 8446 §6.1: close_notify says we "will not send any more messages
    // on this connection", not even the alert for a bad record after it.
    let (mut c, mut s) = pair();
    handshake(&mut c, &mut s).unwrap();
    c.send_close_notify();
    take_output(&mut c);
    s.writer().write_all(b"data").unwrap();
    let mut wire = take_output(&mut s);
    let last = wire.len() - 1;
    wire[last] ^= 1;
    assert_eq!(feed(&mut c, &wire), Err(Error::DecryptError));
    assert_eq!(take_output(&mut c), b"");
}

#[test]
fn the_reader_reports_the_error_of_a_failed_connection() {
    // Not WouldBlock: no more data will ever come.
    let (_c, mut s) = server_failed_on_a_bad_record();
    let mut buf = [0u8; 8];
    assert_eq!(
        s.reader().read(&mut buf).map_err(|e| e.kind()),
        Err(io::ErrorKind::InvalidData)
    );
}

#[test]
fn a_stream_keeps_reporting_its_error_instead_of_reading_the_socket() {
    // The peer sends a bad record, then keeps the socket open: the first
    // read fails with bad_record_mac, the second must say so again at once
    // rather than wait on the socket (here up to its 2 s read timeout).
    let pki = TestPki::get(KeyType::EcdsaP256);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let sc = Arc::new(pki.server_config());
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let server = std::thread::spawn(move || {
        let (mut sock, _) = listener.accept().unwrap();
        let mut conn = ServerConnection::new(sc).unwrap();
        conn.complete_io(&mut sock).unwrap();
        conn.writer().write_all(b"hello").unwrap();
        let mut wire = take_output(&mut conn);
        let last = wire.len() - 1;
        wire[last] ^= 1;
        sock.write_all(&wire).unwrap();
        let _ = done_rx.recv_timeout(Duration::from_secs(10));
    });
    let sock = TcpStream::connect(addr).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let conn =
        ClientConnection::new(Arc::new(pki.client_config()), server_name("localhost")).unwrap();
    let mut stream = StreamOwned::new(conn, sock);
    let mut buf = [0u8; 16];
    let first = stream.read(&mut buf).unwrap_err();
    assert_eq!(first.kind(), io::ErrorKind::InvalidData, "{first}");
    let second = stream.read(&mut buf).map_err(|e| e.kind());
    let write = stream.write(b"x").map_err(|e| e.kind());
    done_tx.send(()).unwrap();
    server.join().unwrap();
    assert_eq!(second, Err(io::ErrorKind::InvalidData));
    // Had it gone back to the socket, the timeout would be WouldBlock.
    assert_eq!(write, Err(io::ErrorKind::InvalidData));
}

#[test]
fn a_transport_that_takes_nothing_is_an_error_not_a_spin() {
    // `write` returning Ok(0) means the transport can take no more bytes
    // (std's `write_all` calls that WriteZero).
    struct Stuck;
    impl Read for Stuck {
        fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            Ok(0)
        }
    }
    impl Write for Stuck {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Ok(0)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let (c, _s) = pair();
        let mut stream = StreamOwned::new(c, Stuck);
        let _ = tx.send(stream.flush().map_err(|e| e.kind()));
    });
    let flushed = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("flush still spinning after 10 s");
    assert_eq!(flushed, Err(io::ErrorKind::WriteZero));
}
