//! OpenSSL's `s_server` and `s_client` as test peers, for the TLS 1.3
//! and TLS 1.2 interop tests: child processes killed on drop, their
//! output collected, PEM files in private temp dirs, our server in a
//! thread and our client over a recording socket.
//!
//! Nothing here may hang: every child process is killed by a guard when it
//! goes out of scope, every socket has a timeout, and every wait is
//! bounded. No assertion is about timing.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use ferrotls::{
    CipherSuite, ClientConfig, ClientConnection, Error, NamedGroup, ProtocolVersion, ServerConfig,
    ServerConnection, SignatureScheme, StreamOwned,
};

use super::{server_name, starts_with_hello_retry_request, unique_temp_dir, KeyType, TestPki};

/// The longest any one step may take: a child starting, a read, an exit.
pub const TIMEOUT: Duration = Duration::from_secs(15);

/// A group both OpenSSL 3.0 and we implement, and how OpenSSL names it.
pub struct OsslGroup {
    pub group: NamedGroup,
    /// For `-groups`.
    pub arg: &'static str,
    /// In `s_server -www`'s "Shared groups:" line.
    pub shared: &'static str,
    /// In `s_client`'s "Server Temp Key:" line.
    pub temp_key: &'static str,
}

pub const GROUPS: [OsslGroup; 3] = [
    OsslGroup {
        group: NamedGroup::X25519,
        arg: "x25519",
        shared: "x25519",
        temp_key: "X25519, 253 bits",
    },
    OsslGroup {
        group: NamedGroup::secp256r1,
        arg: "P-256",
        shared: "secp256r1",
        temp_key: "ECDH, prime256v1, 256 bits",
    },
    OsslGroup {
        group: NamedGroup::secp384r1,
        arg: "P-384",
        shared: "secp384r1",
        temp_key: "ECDH, secp384r1, 384 bits",
    },
];

pub fn ossl_group(group: NamedGroup) -> &'static OsslGroup {
    GROUPS.iter().find(|g| g.group == group).unwrap()
}

// ---------------------------------------------------------------------------
// Child processes and their output

/// Everything a child wrote to one pipe, collected by a thread.
#[derive(Clone, Default)]
pub struct Output(Arc<Mutex<Vec<u8>>>);

impl Output {
    pub fn drain(mut from: impl Read + Send + 'static) -> (Self, JoinHandle<()>) {
        let out = Self::default();
        let sink = out.clone();
        let handle = thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = from.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.0.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        (out, handle)
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// A peer's child process (`openssl`, `gnutls-cli`, ...), killed (and
/// reaped) when dropped.
pub struct PeerProcess {
    pub child: Child,
    pub stdin: Option<ChildStdin>,
    pub stdout: Output,
    pub stderr: Output,
    pub drains: Vec<JoinHandle<()>>,
    /// The program and its arguments, for failure messages.
    pub args: Vec<String>,
}

impl PeerProcess {
    pub fn openssl(args: Vec<String>) -> Self {
        Self::spawn("openssl", args)
    }

    pub fn spawn(program: &str, args: Vec<String>) -> Self {
        let mut child = Command::new(program)
            .args(&args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {program} (is it installed?): {e}"));
        let (stdout, h1) = Output::drain(child.stdout.take().unwrap());
        let (stderr, h2) = Output::drain(child.stderr.take().unwrap());
        let mut all = vec![program.to_string()];
        all.extend(args);
        Self {
            stdin: child.stdin.take(),
            child,
            stdout,
            stderr,
            drains: vec![h1, h2],
            args: all,
        }
    }

    /// Writes to the child's stdin; false if it is gone.
    pub fn send(&mut self, text: &str) -> bool {
        let stdin = self.stdin.as_mut().unwrap();
        stdin
            .write_all(text.as_bytes())
            .and_then(|_| stdin.flush())
            .is_ok()
    }

    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().unwrap()
    }

    /// Polls `cond` on (stdout, stderr) until it holds, the child exits or
    /// `TIMEOUT` passes; returns whether it held.
    pub fn wait_for(&mut self, cond: impl Fn(&str, &str) -> bool) -> bool {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if cond(&self.stdout.text(), &self.stderr.text()) {
                return true;
            }
            if self.exited().is_some() || Instant::now() > deadline {
                // One last look: output may have landed just before exit.
                return cond(&self.stdout.text(), &self.stderr.text());
            }
            thread::sleep(Duration::from_millis(5));
        }
    }

    /// Waits (bounded) for the child to exit and its output to be read.
    pub fn wait_exit(&mut self) -> ExitStatus {
        self.stdin = None;
        let deadline = Instant::now() + TIMEOUT;
        let status = loop {
            if let Some(status) = self.exited() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("{} did not exit in time\n{}", self.args[0], self.describe());
            }
            thread::sleep(Duration::from_millis(5));
        };
        for h in self.drains.drain(..) {
            let _ = h.join();
        }
        status
    }

    pub fn describe(&self) -> String {
        format!(
            "{}\n--- stdout:\n{}\n--- stderr:\n{}",
            self.args.join(" "),
            self.stdout.text(),
            self.stderr.text()
        )
    }
}

impl Drop for PeerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A key type's PKI as PEM files in a private temp directory, removed on
/// drop. `s_server` wants the leaf and the rest of the chain apart,
/// `gnutls-serv` the whole chain in one file.
pub struct PemFiles {
    pub dir: PathBuf,
    pub ca: PathBuf,
    pub chain: PathBuf,
    pub leaf: PathBuf,
    pub intermediate: PathBuf,
    pub key: PathBuf,
}

impl PemFiles {
    pub fn new(pki: &TestPki, tag: &str) -> Self {
        let dir = unique_temp_dir(&format!("pem-{tag}"));
        let (ca, chain, key) = pki.write_pem_files(&dir);
        if let Some(v1) = ed25519_pkcs8_v1(pki.key.secret_der()) {
            std::fs::write(&key, v1).unwrap();
        }
        const END: &str = "-----END CERTIFICATE-----\n";
        let split = pki.chain_pem.find(END).unwrap() + END.len();
        let leaf = dir.join("leaf.pem");
        let intermediate = dir.join("intermediate.pem");
        std::fs::write(&leaf, &pki.chain_pem[..split]).unwrap();
        std::fs::write(&intermediate, &pki.chain_pem[split..]).unwrap();
        Self {
            dir,
            ca,
            chain,
            leaf,
            intermediate,
            key,
        }
    }

    pub fn for_key_type(kt: KeyType) -> Self {
        Self::new(TestPki::get(kt), &format!("{kt:?}"))
    }

    /// `s_server` arguments serving this PKI's leaf and intermediate.
    pub fn server_args(&self) -> Vec<String> {
        strings(&[
            "-cert",
            path(&self.leaf),
            "-cert_chain",
            path(&self.intermediate),
            "-key",
            path(&self.key),
        ])
    }
}

impl Drop for PemFiles {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// OpenSSL 3.0 (and GnuTLS 3.7) cannot load an Ed25519 key in the PKCS#8
/// v2 form (RFC 5958 OneAsymmetricKey, with the public key) that
/// rcgen/aws-lc produce, so we hand them the v1 form (RFC 8410 §7): the
/// same seed, without the public key.
pub fn ed25519_pkcs8_v1(der: &[u8]) -> Option<String> {
    // SEQUENCE { INTEGER 1, SEQUENCE { OID 1.3.101.112 }, OCTET STRING {
    // OCTET STRING (32) seed }, [1] public key }
    const V2_PREFIX: [u8; 16] = [
        0x30, 0x51, 0x02, 0x01, 0x01, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    let seed = der.strip_prefix(&V2_PREFIX[..])?.get(..32)?;
    let mut v1 = vec![
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    v1.extend_from_slice(seed);
    Some(format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        base64(&v1)
    ))
}

pub fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

pub fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

pub fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

// ---------------------------------------------------------------------------
// openssl s_server, and our client against it

pub struct SServer {
    pub proc: PeerProcess,
    pub addr: SocketAddr,
}

/// Starts `openssl s_server <args>` on a free loopback port and waits
/// until it listens. Without `-tls1_3` or `-tls1_2` in `args` it speaks
/// both.
pub fn s_server(args: &[String]) -> SServer {
    let spawn = |port: u16| {
        let mut all = strings(&["s_server", "-accept"]);
        all.push(format!("127.0.0.1:{port}"));
        all.extend_from_slice(args);
        PeerProcess::openssl(all)
    };
    // s_server prints (and flushes) ACCEPT once it listens.
    let (proc, addr) = listen_on_free_port(spawn, |out, _| out.contains("ACCEPT"));
    SServer { proc, addr }
}

/// A server process on a free loopback port: `spawn` starts it on the
/// port given, `listening` tells from its (stdout, stderr) that it is
/// ready. The port is found by binding port 0 and handing the port over;
/// if someone takes it in between, another is tried.
pub fn listen_on_free_port(
    spawn: impl Fn(u16) -> PeerProcess,
    listening: impl Fn(&str, &str) -> bool,
) -> (PeerProcess, SocketAddr) {
    for _ in 0..5 {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut proc = spawn(port);
        if proc.wait_for(&listening) {
            return (proc, SocketAddr::from(([127, 0, 0, 1], port)));
        }
        proc.wait_exit();
        if !proc.stderr.text().contains("in use") {
            panic!("the server did not start\n{}", proc.describe());
        }
    }
    panic!("no free port for a server");
}

/// A socket that keeps the first bytes read and written, so tests can look
/// at the first flight on the wire (a HelloRetryRequest, say, or a TLS 1.2
/// ServerHello's extensions).
pub struct Recorded {
    pub sock: TcpStream,
    pub read: Vec<u8>,
    pub written: Vec<u8>,
}

pub const RECORD_PREFIX: usize = 1024;

impl Recorded {
    pub fn new(sock: TcpStream) -> Self {
        sock.set_read_timeout(Some(TIMEOUT)).unwrap();
        sock.set_write_timeout(Some(TIMEOUT)).unwrap();
        Self {
            sock,
            read: Vec::new(),
            written: Vec::new(),
        }
    }
}

pub fn keep_prefix(log: &mut Vec<u8>, data: &[u8]) {
    let room = RECORD_PREFIX.saturating_sub(log.len());
    log.extend_from_slice(&data[..room.min(data.len())]);
}

impl Read for Recorded {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.sock.read(buf)?;
        keep_prefix(&mut self.read, &buf[..n]);
        Ok(n)
    }
}

impl Write for Recorded {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.sock.write(buf)?;
        keep_prefix(&mut self.written, &buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.sock.flush()
    }
}

pub type ClientStream = StreamOwned<ClientConnection, Recorded>;

/// Connects our client and runs the handshake; the result is the
/// handshake's (the stream is returned either way for inspection).
pub fn connect(
    addr: SocketAddr,
    config: ClientConfig,
    name: &str,
) -> (ClientStream, io::Result<()>) {
    let sock = TcpStream::connect_timeout(&addr, TIMEOUT).unwrap();
    let conn = ClientConnection::new(Arc::new(config), server_name(name)).unwrap();
    let mut stream = StreamOwned::new(conn, Recorded::new(sock));
    let result = stream.conn.complete_io(&mut stream.sock).map(|_| ());
    (stream, result)
}

/// `GET /` from `s_server -www`: the page must end with close_notify
/// (`read_to_end` fails on a transport closed without it).
pub fn www_get(stream: &mut ClientStream, ctx: &str) -> String {
    stream.write_all(b"GET / HTTP/1.0\r\n\r\n").unwrap();
    let mut page = Vec::new();
    stream
        .read_to_end(&mut page)
        .unwrap_or_else(|e| panic!("{ctx}: reading the page to close_notify: {e}"));
    // Our close_notify in answer; openssl may have closed the socket already.
    let _ = stream.close();
    let page = String::from_utf8(page).unwrap();
    assert!(page.starts_with("HTTP/1.0 200 ok"), "{ctx}: page:\n{page}");
    page
}

/// Our client's KeyUpdates against an echoing server at `addr` (RFC 8446
/// §4.6.3): after each, a line must come back, which needs the server to
/// read on with our next key; each update_requested must be answered with
/// the server's own KeyUpdate, after which its echo reads only if we moved
/// to its next key too. `describe` tells about the server on failure.
pub fn check_key_updates(
    addr: SocketAddr,
    mut config: ClientConfig,
    describe: impl Fn() -> String,
) {
    let received = Arc::new(super::Received::default());
    config.observer = Some(received.clone());
    let (mut s, hs) = connect(addr, config, "localhost");
    hs.unwrap_or_else(|e| panic!("handshake: {e}\n{}", describe()));
    for (i, request_peer) in [(0, true), (1, false), (2, true)] {
        s.conn.send_key_update(request_peer).unwrap();
        let line = format!("after update {i}\n");
        s.write_all(line.as_bytes()).unwrap();
        assert_eq!(read_lines(&mut s, 1), line.as_bytes(), "{}", describe());
    }
    let answers = received.count(ferrotls::msgs::enums::HandshakeType::KeyUpdate);
    assert_eq!(answers, 2, "one answer per request\n{}", describe());
    let _ = s.close();
}

/// Reads from `s` until `lines` newline-terminated lines have arrived.
pub fn read_lines(s: &mut ClientStream, lines: usize) -> Vec<u8> {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while got.iter().filter(|b| **b == b'\n').count() < lines {
        let n = s.read(&mut buf).unwrap();
        assert!(n > 0, "eof after {} bytes", got.len());
        got.extend_from_slice(&buf[..n]);
    }
    got
}

// ---------------------------------------------------------------------------
// Our server, and openssl s_client against it

/// What our server saw of one connection.
#[derive(Debug)]
pub struct Served {
    pub handshake: Result<(), String>,
    pub version: Option<ProtocolVersion>,
    pub error: Option<Error>,
    pub suite: Option<CipherSuite>,
    pub group: Option<NamedGroup>,
    pub scheme: Option<SignatureScheme>,
    pub alpn: Option<Vec<u8>>,
    pub sni: Option<String>,
    /// Our first flight was a HelloRetryRequest.
    pub hrr: bool,
    pub resumed: bool,
    pub received: Vec<u8>,
    /// Ok if the client ended with close_notify.
    pub close: Result<(), String>,
}

/// Our server on a loopback port, in a thread: for each connection it
/// echoes everything until the client's close_notify, then closes too.
pub struct EchoServer {
    pub addr: SocketAddr,
    pub served: mpsc::Receiver<Served>,
    pub stop: Arc<AtomicBool>,
}

impl EchoServer {
    pub fn start(config: ServerConfig) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let config = Arc::new(config);
        let stop = Arc::new(AtomicBool::new(false));
        let (tx, rx) = mpsc::channel();
        let stopped = stop.clone();
        thread::spawn(move || {
            for sock in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(sock) = sock else { continue };
                if tx.send(serve(config.clone(), sock)).is_err() {
                    break;
                }
            }
        });
        Self {
            addr,
            served: rx,
            stop,
        }
    }

    pub fn next(&self) -> Served {
        self.served
            .recv_timeout(TIMEOUT)
            .expect("our server finished no connection in time")
    }
}

impl Drop for EchoServer {
    fn drop(&mut self) {
        // Wake the accept loop so its thread ends.
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
    }
}

pub fn serve(config: Arc<ServerConfig>, sock: TcpStream) -> Served {
    let conn = ServerConnection::new(config).unwrap();
    let mut s = StreamOwned::new(conn, Recorded::new(sock));
    let handshake = s
        .conn
        .complete_io(&mut s.sock)
        .map(|_| ())
        .map_err(|e| e.to_string());
    let mut received = Vec::new();
    let mut close = Err("no handshake".to_string());
    if handshake.is_ok() {
        let mut buf = [0u8; 4096];
        close = loop {
            match s.read(&mut buf) {
                Ok(0) => break Ok(()),
                Ok(n) => {
                    received.extend_from_slice(&buf[..n]);
                    if let Err(e) = s.write_all(&buf[..n]) {
                        break Err(e.to_string());
                    }
                }
                Err(e) => break Err(e.to_string()),
            }
        };
        // The client may be gone already.
        let _ = s.close();
    }
    Served {
        handshake,
        version: s.conn.protocol_version(),
        error: s.conn.error().cloned(),
        suite: s.conn.negotiated_cipher_suite(),
        group: s.conn.negotiated_group(),
        scheme: s.conn.negotiated_signature_scheme(),
        alpn: s.conn.alpn_protocol().map(|p| p.to_vec()),
        sni: s.conn.server_name().map(|n| n.as_ref().to_string()),
        hrr: starts_with_hello_retry_request(&s.sock.written),
        resumed: s.conn.is_resumed(),
        received,
        close,
    }
}

pub struct SClientRun {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
    pub describe: String,
}

/// Runs `openssl s_client` against `addr`, verifying our chain to `ca` and
/// the host name `name`; `extra` holds the rest of its arguments (a
/// version flag among them, or it offers both TLS 1.3 and 1.2). If `line` is given it is sent once the
/// connection is up and must come back (we echo); then stdin is closed,
/// which makes s_client send close_notify and exit.
pub fn s_client(
    addr: SocketAddr,
    ca: &Path,
    name: &str,
    extra: &[&str],
    line: Option<&str>,
) -> SClientRun {
    let mut args = vec!["-nocommands"];
    args.extend_from_slice(extra);
    let mut proc = spawn_s_client(addr, ca, name, &args);
    if let Some(line) = line {
        if proc.send(line) {
            proc.wait_for(|out, _| out.contains(line));
        }
    }
    finish_s_client(proc)
}

/// Starts `openssl s_client` against `addr`, verifying our chain to `ca`
/// and the host name `name`; `extra` as for [`s_client`].
pub fn spawn_s_client(addr: SocketAddr, ca: &Path, name: &str, extra: &[&str]) -> PeerProcess {
    let mut args = strings(&["s_client", "-connect"]);
    args.push(addr.to_string());
    args.extend(strings(&[
        "-CAfile",
        path(ca),
        "-verify_return_error",
        "-verify_hostname",
        name,
    ]));
    args.extend(strings(extra));
    PeerProcess::openssl(args)
}

/// Closes s_client's stdin (it sends close_notify and exits) and collects
/// what it printed.
pub fn finish_s_client(mut proc: PeerProcess) -> SClientRun {
    let status = proc.wait_exit();
    SClientRun {
        status,
        stdout: proc.stdout.text(),
        stderr: proc.stderr.text(),
        describe: proc.describe(),
    }
}

/// The extension types (in order) of the ServerHello that starts `wire`,
/// a server's first bytes: record header (5) | handshake type (1) and
/// length (3) | legacy_version (2) | random (32) | session_id (1 + n) |
/// cipher_suite (2) | compression_method (1) | extensions (2 + n), as
/// RFC 5246 §7.4.1.3 lays it out. Parsed here rather than by the library,
/// so tests check the wire against the RFC. `None` if it is not there.
pub fn server_hello_extensions(wire: &[u8]) -> Option<Vec<u16>> {
    let u16_at = |b: &[u8], at: usize| Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]));
    if wire.first() != Some(&22) || wire.get(5) != Some(&2) {
        return None;
    }
    let record_len = usize::from(u16_at(wire, 3)?);
    let record = wire.get(5..5 + record_len)?;
    let msg_len = (usize::from(record[1]) << 16) | usize::from(u16_at(record, 2)?);
    let body = record.get(4..4 + msg_len)?;
    let at = 2 + 32;
    let at = at + 1 + usize::from(*body.get(at)?) + 2 + 1;
    let ext_len = usize::from(u16_at(body, at)?);
    let mut exts = body.get(at + 2..at + 2 + ext_len)?;
    let mut types = Vec::new();
    while !exts.is_empty() {
        types.push(u16_at(exts, 0)?);
        let len = usize::from(u16_at(exts, 2)?);
        exts = exts.get(4 + len..)?;
    }
    Some(types)
}

/// RFC 7366 §2: encrypt_then_mac.
pub const EXT_ENCRYPT_THEN_MAC: u16 = 22;
/// RFC 7627 §5.1: extended_master_secret.
pub const EXT_EXTENDED_MASTER_SECRET: u16 = 23;
