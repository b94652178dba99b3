//! `ferrotls server`: accepts TLS connections, one thread each, and either
//! echoes what a client sends or answers one HTTP request with a page
//! naming what was negotiated (like `openssl s_server -www`).
//!
//! Deadlines per connection, each for a whole step however the client
//! spreads its bytes: 10 s for the handshake (so a half-open, silent or
//! trickling client cannot hold its thread and one of the 1024 places)
//! and, in `http` mode, for the request; 30 s to send what is queued (a
//! client that stops reading). In `echo` mode a client may pause between
//! messages for up to the idle timeout (300 s unless set).

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use ferrotls::{ServerConfig, ServerConnection};

use crate::deadline::ByDeadline;
use crate::keylog::KeyLogArgs;
use crate::options::{alpn_label, group_label, TlsArgs};
use crate::{certs, CliError};

const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);
/// After the response, how long we keep reading (and discarding) what the
/// client still sends, so closing does not reset the connection under it.
const LINGER: Duration = Duration::from_secs(2);
const LINGER_MAX_BYTES: usize = 64 * 1024;
/// The largest HTTP request head we read.
const MAX_REQUEST: usize = 16 * 1024;
const CHUNK: usize = 16 * 1024;

#[derive(Args, Debug)]
pub struct ServerArgs {
    /// The address to listen on; port 0 picks a free port (the address
    /// actually bound is printed).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:4433")]
    listen: String,

    /// The certificate chain (PEM, end-entity first). Without --cert and
    /// --key, a self-signed certificate for localhost, 127.0.0.1 and ::1
    /// is generated and its path printed.
    #[arg(long, value_name = "PEM", requires = "key")]
    cert: Option<PathBuf>,

    /// The private key for --cert (PEM: PKCS#8, SEC1 or PKCS#1).
    #[arg(long, value_name = "PEM", requires = "cert")]
    key: Option<PathBuf>,

    /// What to do with each connection.
    #[arg(long, value_enum, default_value_t = Mode::Echo)]
    mode: Mode,

    #[command(flatten)]
    keylog: KeyLogArgs,

    #[command(flatten)]
    tls: TlsArgs,

    /// Sessions older than this are not resumed (a full handshake and new
    /// keys instead). TLS 1.3 tickets say so to the client, capped at 7 days.
    #[arg(long, value_name = "SECS", default_value_t = 24 * 3600)]
    session_lifetime: u64,

    /// TLS 1.3 session tickets sent after each full handshake.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 2,
        conflicts_with = "no_tickets"
    )]
    tickets: usize,

    /// No session tickets: TLS 1.2 resumes by session ID only, TLS 1.3 does
    /// not resume.
    #[arg(long)]
    no_tickets: bool,

    /// Close a connection (with close_notify) when the client sends nothing
    /// for this long; 0: never (then silent clients can hold all 1024
    /// connection places).
    #[arg(long, value_name = "SECS", default_value_t = 300)]
    idle_timeout: u64,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// Write back what the client sends until it closes, then close_notify.
    Echo,
    /// Answer the client's HTTP request with an HTTP/1.0 text page naming
    /// the negotiated version, cipher suite, group and ALPN, then close.
    Http,
}

pub fn run(args: ServerArgs) -> Result<(), CliError> {
    let config = Arc::new(build_config(&args)?);
    let listener = TcpListener::bind(&args.listen)
        .map_err(|e| CliError::Failed(format!("cannot listen on {}: {e}", args.listen)))?;
    let addr = listener
        .local_addr()
        .map_err(|e| CliError::Failed(format!("cannot read the listening address: {e}")))?;
    eprintln!("ferrotls: listening on {addr}");
    let idle = Some(Duration::from_secs(args.idle_timeout)).filter(|d| !d.is_zero());
    for accepted in listener.incoming() {
        match accepted {
            Ok(sock) => spawn_connection(sock, config.clone(), args.mode, idle),
            Err(e) => {
                eprintln!("ferrotls: cannot accept a connection: {e}");
                // Out of file descriptors, say: do not spin while it lasts.
                thread::sleep(Duration::from_millis(100));
            }
        }
    }
    Ok(())
}

fn build_config(args: &ServerArgs) -> Result<ServerConfig, CliError> {
    // Bad options fail before a certificate is generated and written.
    let params = args.tls.resolve()?;
    let (chain, key) = match (&args.cert, &args.key) {
        (Some(cert), Some(key)) => (certs::load_certs(cert)?, certs::load_key(key)?),
        _ => {
            let generated = certs::self_signed()?;
            let path = certs::write_temp_cert(&generated.cert_pem)?;
            eprintln!(
                "ferrotls: generated a self-signed certificate for {}; clients can trust it with --cafile {}",
                certs::SELF_SIGNED_NAMES.join(", "),
                path.display()
            );
            (vec![generated.cert], generated.key)
        }
    };
    let mut config = ServerConfig::new(chain, key)
        .map_err(|e| CliError::Usage(format!("cannot use the certificate and key: {e}")))?;
    params.apply_to_server(&mut config);
    config.key_log = args.keylog.open()?;
    config.session_lifetime = Duration::from_secs(args.session_lifetime);
    config.ticket_count = args.tickets;
    if args.no_tickets {
        config.ticketer = None;
        config.ticket_count = 0;
    }
    // Fail now, not on every connection, if the configuration is unusable.
    let config_check = Arc::new(config.clone());
    ServerConnection::new(config_check).map_err(|e| CliError::Usage(e.to_string()))?;
    Ok(config)
}

fn spawn_connection(
    sock: TcpStream,
    config: Arc<ServerConfig>,
    mode: Mode,
    idle: Option<Duration>,
) {
    let peer = match sock.peer_addr() {
        Ok(peer) => peer,
        Err(e) => {
            eprintln!("ferrotls: connection dropped before it started: {e}");
            return;
        }
    };
    // A flood of connections must not make unbounded threads: beyond the
    // cap, new connections are closed at once (and say so in the log).
    let Some(slot) = ConnectionSlot::take() else {
        eprintln!("ferrotls: {peer}: refused: {MAX_CONNECTIONS} connections already open");
        return;
    };
    let spawned = thread::Builder::new()
        .name(format!("conn {peer}"))
        .stack_size(CONNECTION_STACK)
        .spawn(move || {
            let _slot = slot;
            if let Err(e) = serve(sock, peer, config, mode, idle) {
                eprintln!("ferrotls: {peer}: {e}");
            }
        });
    if let Err(e) = spawned {
        eprintln!("ferrotls: {peer}: cannot start a thread: {e}");
    }
}

/// Connections served at once; each holds a thread.
const MAX_CONNECTIONS: usize = 1024;
/// A connection's thread needs little stack: buffers live on the heap.
const CONNECTION_STACK: usize = 256 * 1024;

/// One of the MAX_CONNECTIONS places, given back when dropped.
struct ConnectionSlot;

static OPEN_CONNECTIONS: AtomicUsize = AtomicUsize::new(0);

impl ConnectionSlot {
    fn take() -> Option<Self> {
        OPEN_CONNECTIONS
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < MAX_CONNECTIONS).then_some(n + 1)
            })
            .ok()
            .map(|_| Self)
    }
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        OPEN_CONNECTIONS.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Why one connection failed; logged as one line with the peer address.
#[derive(Debug)]
struct ConnError(String);

impl fmt::Display for ConnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn would_block(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// `handshake failed: timed out after 10 s` or `...: <the error>`.
fn io_failure(what: &str, e: &io::Error, timeout: Duration) -> ConnError {
    match would_block(e) {
        true => ConnError(format!("{what}: timed out after {} s", timeout.as_secs())),
        false => ConnError(format!("{what}: {e}")),
    }
}

fn serve(
    mut sock: TcpStream,
    peer: SocketAddr,
    config: Arc<ServerConfig>,
    mode: Mode,
    idle: Option<Duration>,
) -> Result<(), ConnError> {
    let mut conn = ServerConnection::new(config).map_err(|e| ConnError(e.to_string()))?;
    // On a bad message this also sends our alert before failing.
    conn.complete_io(&mut ByDeadline::new(&sock, HANDSHAKE_TIMEOUT))
        .map_err(|e| io_failure("handshake failed", &e, HANDSHAKE_TIMEOUT))?;
    eprintln!("ferrotls: {peer}: connected {}", summary(&conn));
    match mode {
        Mode::Echo => echo(&mut conn, &mut sock, idle),
        Mode::Http => http(&mut conn, &mut sock, peer),
    }
}

/// "TLSv1.3 TLS_AES_128_GCM_SHA256 x25519 alpn=none sni=localhost", with
/// " resumed" after it when the client resumed a session.
fn summary(conn: &ServerConnection) -> String {
    let or_unknown = |v: Option<String>| v.unwrap_or_else(|| "unknown".into());
    format!(
        "{} {} {} alpn={} sni={}{}",
        or_unknown(conn.protocol_version().map(|v| v.to_string())),
        or_unknown(conn.negotiated_cipher_suite().map(|s| s.to_string())),
        group_label(conn.negotiated_group()),
        alpn_label(conn.alpn_protocol()),
        conn.server_name().map_or("none", |n| n.as_ref()),
        if conn.is_resumed() { " resumed" } else { "" },
    )
}

/// Sends all that is queued, within WRITE_TIMEOUT in all.
fn write_all_tls(conn: &mut ServerConnection, sock: &mut TcpStream) -> Result<(), ConnError> {
    let mut sock = ByDeadline::new(sock, WRITE_TIMEOUT);
    while conn.wants_write() {
        match conn.write_tls(&mut sock) {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io_failure("cannot send", &e, WRITE_TIMEOUT)),
        }
    }
    Ok(())
}

/// Reads once from the socket and processes what arrived; `Ok(false)`
/// when the socket's read timeout (or `by`, if given) passed with nothing
/// to read. On a protocol error the connection's alert is sent before we
/// give up.
fn read_and_process(
    conn: &mut ServerConnection,
    sock: &mut TcpStream,
    by: Option<Instant>,
) -> Result<bool, ConnError> {
    loop {
        let read = match by {
            Some(deadline) => conn.read_tls(&mut ByDeadline { sock, deadline }),
            None => conn.read_tls(sock),
        };
        match read {
            Ok(_) => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if would_block(&e) => return Ok(false),
            Err(e) => return Err(ConnError(format!("connection error: {e}"))),
        }
    }
    if let Err(e) = conn.process_new_packets() {
        let _ = write_all_tls(conn, sock);
        return Err(ConnError(e.to_string()));
    }
    Ok(true)
}

/// Plaintext the client sent, `None` once it sent close_notify.
fn read_plaintext(conn: &mut ServerConnection, buf: &mut [u8]) -> Result<Option<usize>, ConnError> {
    match conn.reader().read(buf) {
        Ok(0) => Ok(None),
        Ok(n) => Ok(Some(n)),
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(Some(0)),
        // Includes a TCP close without close_notify (truncation).
        Err(e) => Err(ConnError(e.to_string())),
    }
}

/// Sends close_notify (RFC 8446 §6.1) and writes it out.
fn close(conn: &mut ServerConnection, sock: &mut TcpStream) -> Result<(), ConnError> {
    conn.send_close_notify();
    write_all_tls(conn, sock)
}

fn echo(
    conn: &mut ServerConnection,
    sock: &mut TcpStream,
    idle: Option<Duration>,
) -> Result<(), ConnError> {
    let setup = |e: io::Error| ConnError(format!("cannot set up the socket: {e}"));
    sock.set_read_timeout(idle).map_err(setup)?;
    let mut buf = vec![0u8; CHUNK];
    // The handshake may already have read the first data: drain, then read.
    loop {
        loop {
            match read_plaintext(conn, &mut buf)? {
                None => return close(conn, sock),
                Some(0) => break,
                Some(n) => conn
                    .writer()
                    .write_all(&buf[..n])
                    .map_err(|e| ConnError(format!("cannot send: {e}")))?,
            }
        }
        write_all_tls(conn, sock)?;
        if !read_and_process(conn, sock, None)? {
            // The client was silent for the idle timeout: say goodbye properly.
            close(conn, sock)?;
            let secs = idle.map_or(0, |d| d.as_secs());
            return Err(ConnError(format!(
                "idle for {secs} s: closed with close_notify"
            )));
        }
    }
}

fn http(
    conn: &mut ServerConnection,
    sock: &mut TcpStream,
    peer: SocketAddr,
) -> Result<(), ConnError> {
    let request = read_request(conn, sock)?;
    let response = http_response(&page(conn, peer, &request));
    conn.writer()
        .write_all(&response)
        .map_err(|e| ConnError(format!("cannot send: {e}")))?;
    close(conn, sock)?;
    linger(sock);
    Ok(())
}

/// Reads up to the end of the request head ("\r\n\r\n"); the body, if
/// any, is ignored.
fn read_request(conn: &mut ServerConnection, sock: &mut TcpStream) -> Result<Vec<u8>, ConnError> {
    let deadline = Instant::now() + REQUEST_TIMEOUT;
    let mut request = Vec::new();
    let mut buf = vec![0u8; CHUNK];
    // The handshake may already have read the first data: drain, then read.
    loop {
        let mut client_closed = false;
        loop {
            match read_plaintext(conn, &mut buf)? {
                None => {
                    client_closed = true;
                    break;
                }
                Some(0) => break,
                Some(n) => request.extend_from_slice(&buf[..n]),
            }
        }
        // A client may close its direction right after the request
        // (RFC 8446 §6.1 allows half-closed connections); we still answer.
        if request.windows(4).any(|w| w == b"\r\n\r\n") {
            return Ok(request);
        }
        if client_closed {
            return Err(ConnError(
                "client closed before sending a complete HTTP request".into(),
            ));
        }
        if request.len() > MAX_REQUEST {
            return Err(ConnError(format!(
                "HTTP request head larger than {MAX_REQUEST} bytes"
            )));
        }
        write_all_tls(conn, sock)?;
        if !read_and_process(conn, sock, Some(deadline))? {
            return Err(ConnError(format!(
                "no complete HTTP request within {} s",
                REQUEST_TIMEOUT.as_secs()
            )));
        }
    }
}

/// The text page: what `openssl s_server -www` shows, in plain text.
fn page(conn: &ServerConnection, peer: SocketAddr, request: &[u8]) -> String {
    let or_unknown = |v: Option<String>| v.unwrap_or_else(|| "unknown".into());
    let request_line = request.split(|&b| b == b'\r').next().unwrap_or_default();
    format!(
        "ferrotls server\n\
         \n\
         protocol:         {}\n\
         cipher suite:     {}\n\
         group:            {}\n\
         signature scheme: {}\n\
         alpn:             {}\n\
         server name:      {}\n\
         client:           {peer}\n\
         request:          {}\n",
        or_unknown(conn.protocol_version().map(|v| v.to_string())),
        or_unknown(conn.negotiated_cipher_suite().map(|s| s.to_string())),
        or_unknown(conn.negotiated_group().map(|g| g.to_string())),
        or_unknown(conn.negotiated_signature_scheme().map(|s| s.to_string())),
        alpn_label(conn.alpn_protocol()),
        conn.server_name().map_or("none", |n| n.as_ref()),
        request_line.escape_ascii(),
    )
}

fn http_response(body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.0 200 OK\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         Content-Length: {}\r\n\
         Connection: close\r\n\
         \r\n\
         {body}",
        body.len()
    )
    .into_bytes()
}

/// Half-closes TCP and reads what the client still sends (its
/// close_notify, a pipelined request) for a moment, so that closing the
/// socket with unread data does not send a reset that could destroy the
/// response before the client reads it.
fn linger(sock: &mut TcpStream) {
    let _ = sock.shutdown(Shutdown::Write);
    let deadline = Instant::now() + LINGER;
    let mut buf = [0u8; 4096];
    let mut total = 0;
    while total < LINGER_MAX_BYTES {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || sock.set_read_timeout(Some(left)).is_err() {
            return;
        }
        match sock.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => total += n,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn response_has_length_and_type() {
        let r = String::from_utf8(http_response("hi\n")).unwrap();
        assert!(r.starts_with("HTTP/1.0 200 OK\r\n"));
        assert!(r.contains("Content-Type: text/plain"));
        assert!(r.contains("Content-Length: 3\r\n"));
        assert!(r.ends_with("\r\n\r\nhi\n"));
    }
}
