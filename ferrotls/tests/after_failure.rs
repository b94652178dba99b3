//! What a connection does once it has failed or closed: nothing more goes
//! out after a fatal alert or our close_notify (RFC 8446 §6.1, §6.2), the
//! error keeps being reported, and a transport that fails or sticks is an
//! error rather than a hang, a spin or data sent twice.

mod common;
mod negative_support;

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use common::*;
use negative_support::{hs, records, take_output, Mitm, Part, HANDSHAKE, HELLO_REQUEST};

use ferrotls::{
    AlertDescription, CipherSuite, ClientConnection, Error, NamedGroup, Opened, ProtocolVersion,
    ServerConnection, Stream, StreamOwned,
};

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

/// A transport whose next write fails once with `fail_write`.
#[derive(Default)]
struct Flaky {
    incoming: Vec<u8>,
    outgoing: Vec<u8>,
    fail_write: Option<io::ErrorKind>,
}

impl Read for Flaky {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.incoming.is_empty() {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let n = buf.len().min(self.incoming.len());
        buf[..n].copy_from_slice(&self.incoming[..n]);
        self.incoming.drain(..n);
        Ok(n)
    }
}

impl Write for Flaky {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if let Some(kind) = self.fail_write.take() {
            return Err(kind.into());
        }
        self.outgoing.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// All the plaintext `wire` carries to `s`.
fn plaintext(s: &mut ServerConnection, wire: &[u8]) -> Vec<u8> {
    feed(s, wire).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n @ 1..) = s.reader().read(&mut buf) {
        got.extend_from_slice(&buf[..n]);
    }
    got
}

#[test]
fn a_stream_write_the_transport_interrupts_is_not_sent_twice() {
    // io::Write: an error means nothing was taken; write_all retries
    // Interrupted and a non-blocking caller retries WouldBlock. The bytes
    // taken went out once, with the next write or flush.
    for kind in [io::ErrorKind::Interrupted, io::ErrorKind::WouldBlock] {
        let (mut c, mut s) = pair();
        handshake(&mut c, &mut s).unwrap();
        let mut sock = Flaky {
            fail_write: Some(kind),
            ..Flaky::default()
        };
        let mut stream = Stream::new(&mut c, &mut sock);
        let written = loop {
            match stream.write(b"hello") {
                Ok(n) => break n,
                Err(e) if e.kind() == kind => continue,
                Err(e) => panic!("{e}"),
            }
        };
        assert_eq!(written, 5);
        stream.flush().unwrap();
        assert_eq!(plaintext(&mut s, &sock.outgoing), b"hello", "{kind:?}");
    }
    // StreamOwned shares the code; once more through it.
    let (mut c, mut s) = pair();
    handshake(&mut c, &mut s).unwrap();
    let sock = Flaky {
        fail_write: Some(io::ErrorKind::Interrupted),
        ..Flaky::default()
    };
    let mut stream = StreamOwned::new(c, sock);
    stream.write_all(b"hello").unwrap();
    stream.flush().unwrap();
    assert_eq!(plaintext(&mut s, &stream.sock.outgoing), b"hello");
}

#[test]
fn a_close_notify_during_the_handshake_is_the_last_thing_sent() {
    // Stream's idle timeout can close a connection mid-handshake: the
    // rest of the handshake and the data written before it stay unsent
    // (RFC 8446 §6.1).
    let (mut c, mut s) = pair();
    c.writer()
        .write_all(b"written before the handshake")
        .unwrap();
    transfer(&mut c, &mut s).unwrap();
    c.send_close_notify();
    assert_eq!(
        take_output(&mut c),
        [21, 3, 3, 0, 2, 1, 0],
        "a plaintext close_notify"
    );
    let flight = take_output(&mut s);
    let _ = feed(&mut c, &flight);
    assert_eq!(take_output(&mut c), b"");
}

#[test]
fn a_tls12_renegotiation_request_after_our_close_notify_gets_no_answer() {
    let pki = TestPki::get(KeyType::EcdsaP256);
    let mut cc = pki.client_config();
    cc.versions = vec![ProtocolVersion::TLSv1_2];
    cc.groups = vec![NamedGroup::X25519, NamedGroup::secp256r1];
    cc.cipher_suites = vec![CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256];
    let mut sc = pki.server_config();
    sc.versions = vec![ProtocolVersion::TLSv1_2];
    let mut m = Mitm::new(cc, sc, false);
    m.handshake().unwrap();
    m.client.send_close_notify();
    assert_eq!(m.client_wrote().len(), 1, "the close_notify");
    let request = [Part::new(HANDSHAKE, &hs(HELLO_REQUEST, &[]), true)];
    m.send_to_client(&request).unwrap();
    assert!(m.client_wrote().is_empty(), "no no_renegotiation warning");
}

#[test]
fn open_in_place_says_closed_whatever_followed_the_close_notify() {
    // The close_notify came through read_tls with bytes after it, which
    // are never processed (RFC 8446 §6.1): open_in_place reports the end
    // rather than waiting for them to be read first.
    let (mut c, mut s) = pair();
    handshake(&mut c, &mut s).unwrap();
    c.send_close_notify();
    let mut wire = take_output(&mut c);
    wire.extend_from_slice(&[23, 3, 3, 0, 20]);
    wire.extend_from_slice(&[0u8; 20]);
    s.read_tls(&mut &wire[..]).unwrap();
    assert!(s.process_new_packets().unwrap().peer_has_closed);
    assert_eq!(s.reader().read(&mut [0u8; 1]).unwrap(), 0);
    assert_eq!(
        s.open_in_place(&mut [23, 3, 3, 0, 1, 0]),
        Ok(Opened {
            consumed: 0,
            plaintext: 0..0,
            peer_has_closed: true
        })
    );
}
