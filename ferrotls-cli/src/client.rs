//! `ferrotls client`: stdin to the server, the server to stdout, both
//! directions at once.
//!
//! The connection is sans-I/O and used from one thread only. Two helper
//! threads turn blocking reads (stdin, the socket) into events on one
//! channel; the main thread owns the connection, reacts to each event and
//! writes to the socket with a short write timeout, so it never waits on
//! the peer for long while the peer may be waiting on us.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream, ToSocketAddrs};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, SyncSender, TryRecvError};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use clap::Args;
use ferrotls::pki_types::ServerName;
use ferrotls::{ClientConfig, ClientConnection, Stream, StreamOwned};

use crate::deadline::ByDeadline;
use crate::keylog::KeyLogArgs;
use crate::options::{alpn_label, group_label, TlsArgs};
use crate::trust::{Trust, TrustArgs};
use crate::CliError;

/// How long connecting and the handshake may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one socket write may block before we look at new events.
const WRITE_SLICE: Duration = Duration::from_millis(20);
/// How long we try to deliver a last alert or close_notify before exiting.
const FINAL_FLUSH: Duration = Duration::from_secs(2);
/// The size of one read from stdin or the socket.
const CHUNK: usize = 16 * 1024;

#[derive(Args, Debug)]
pub struct ClientArgs {
    /// The server to connect to: HOST:PORT, or [IPv6]:PORT.
    #[arg(value_name = "HOST:PORT")]
    target: String,

    #[command(flatten)]
    trust: TrustArgs,

    #[command(flatten)]
    keylog: KeyLogArgs,

    #[command(flatten)]
    tls: TlsArgs,

    /// Like `openssl s_client -reconnect`: connect, then N more times
    /// offering the saved session; each connection's summary line says
    /// whether it resumed. stdin goes to the last connection.
    #[arg(long, value_name = "N", default_value_t = 0)]
    reconnect: u32,
}

pub fn run(args: ClientArgs) -> Result<(), CliError> {
    let (host, port) = parse_target(&args.target)?;
    let name = server_name(args.trust.servername.as_deref().unwrap_or(&host))?;
    let config = Arc::new(build_config(&args)?);
    let start = || {
        ClientConnection::new(config.clone(), name.clone())
            .map_err(|e| CliError::Usage(format!("cannot start a connection: {e}")))
    };
    for _ in 0..args.reconnect {
        handshake_only(start()?, connect(&host, port)?)?;
    }
    Session::start(start()?, connect(&host, port)?)?.run()
}

/// One connection for --reconnect: the handshake, the summary line, then
/// close_notify and reading until the server closes — TLS 1.3 session
/// tickets arrive after the handshake.
fn handshake_only(conn: ClientConnection, sock: TcpStream) -> Result<(), CliError> {
    let mut tls = StreamOwned::new(conn, sock);
    tls.conn
        .complete_io(&mut ByDeadline::new(&tls.sock, HANDSHAKE_TIMEOUT))
        .map_err(|e| CliError::Failed(format!("handshake failed: {e}")))?;
    eprintln!("ferrotls: connected {}", summary(&tls.conn));
    let _ = tls.close();
    // What the server still sends (TLS 1.3 tickets, its close_notify) is
    // read until it closes, within HANDSHAKE_TIMEOUT in all: a server
    // trickling bytes does not keep us here.
    let mut sock = ByDeadline::new(&tls.sock, HANDSHAKE_TIMEOUT);
    let mut rest = Stream::new(&mut tls.conn, &mut sock);
    let mut sink = vec![0u8; CHUNK];
    while matches!(rest.read(&mut sink), Ok(n) if n > 0) {}
    Ok(())
}

/// "TLSv1.3 TLS_AES_128_GCM_SHA256 X25519MLKEM768 alpn=h2", and
/// " resumed" when the connection resumed a session.
fn summary(conn: &ClientConnection) -> String {
    let or_unknown = |v: Option<String>| v.unwrap_or_else(|| "unknown".into());
    format!(
        "{} {} {} alpn={}{}",
        or_unknown(conn.protocol_version().map(|v| v.to_string())),
        or_unknown(conn.negotiated_cipher_suite().map(|s| s.to_string())),
        group_label(conn.negotiated_group()),
        alpn_label(conn.alpn_protocol()),
        if conn.is_resumed() { " resumed" } else { "" },
    )
}

/// Splits HOST:PORT; an IPv6 literal must be in brackets.
pub(crate) fn parse_target(target: &str) -> Result<(String, u16), CliError> {
    let bad = |why: &str| CliError::Usage(format!("bad address '{target}': {why}"));
    let (host, port) = match target.strip_prefix('[') {
        Some(rest) => rest
            .split_once("]:")
            .ok_or_else(|| bad("expected [IPv6]:PORT"))?,
        None => {
            let (host, port) = target
                .rsplit_once(':')
                .ok_or_else(|| bad("expected HOST:PORT"))?;
            if host.contains(':') {
                return Err(bad("write IPv6 addresses in brackets, as [::1]:443"));
            }
            (host, port)
        }
    };
    if host.is_empty() {
        return Err(bad("the host is empty"));
    }
    let port = port
        .parse::<u16>()
        .map_err(|_| bad("the port must be a number from 0 to 65535"))?;
    Ok((host.to_string(), port))
}

/// A DNS name, or an IP address (verified against the certificate's IP
/// addresses, and not sent as SNI: RFC 6066 §3).
pub(crate) fn server_name(name: &str) -> Result<ServerName<'static>, CliError> {
    ServerName::try_from(name.to_string())
        .map_err(|_| CliError::Usage(format!("'{name}' is neither a DNS name nor an IP address")))
}

fn build_config(args: &ClientArgs) -> Result<ClientConfig, CliError> {
    let mut config = Trust::from_args(&args.trust)?.client_config();
    args.tls.resolve()?.apply_to_client(&mut config);
    config.key_log = args.keylog.open()?;
    Ok(config)
}

pub(crate) fn connect(host: &str, port: u16) -> Result<TcpStream, CliError> {
    let addrs = (host, port)
        .to_socket_addrs()
        .map_err(|e| CliError::Failed(format!("cannot resolve {host}: {e}")))?;
    let mut last_err = None;
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, HANDSHAKE_TIMEOUT) {
            Ok(sock) => return Ok(sock),
            Err(e) => last_err = Some(format!("cannot connect to {addr}: {e}")),
        }
    }
    Err(CliError::Failed(last_err.unwrap_or_else(|| {
        format!("cannot connect: {host} has no addresses")
    })))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    Stdin,
    Net,
}

/// A chunk read by a helper thread; `Ok` and empty means end of file.
struct Event {
    source: Source,
    data: io::Result<Vec<u8>>,
}

/// Reads `rd` on a thread, one chunk per event. After each chunk the
/// thread waits for an acknowledgement on the returned channel, so at most
/// one chunk per source is in flight (back-pressure on stdin and socket).
fn spawn_source(
    source: Source,
    mut rd: impl Read + Send + 'static,
    tx: Sender<Event>,
) -> Result<SyncSender<()>, CliError> {
    let (ack_tx, ack_rx) = mpsc::sync_channel(1);
    let body = move || {
        let mut buf = vec![0u8; CHUNK];
        loop {
            let data = match rd.read(&mut buf) {
                Ok(n) => Ok(buf[..n].to_vec()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => Err(e),
            };
            let last = !matches!(&data, Ok(d) if !d.is_empty());
            if tx.send(Event { source, data }).is_err() || last || ack_rx.recv().is_err() {
                return;
            }
        }
    };
    thread::Builder::new()
        .name(format!("{source:?}").to_lowercase())
        .spawn(body)
        .map_err(|e| CliError::Failed(format!("cannot start a thread: {e}")))?;
    Ok(ack_tx)
}

fn would_block(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// What the peer's last bytes meant for the session.
enum Flow {
    Continue,
    /// The session ended cleanly.
    Closed,
}

struct Session {
    conn: ClientConnection,
    /// Written by the main thread only; a clone is read by the net thread.
    sock: TcpStream,
    events: Receiver<Event>,
    stdin_ack: SyncSender<()>,
    net_ack: SyncSender<()>,
    /// Read from stdin, not yet given to the connection (it waits for the
    /// handshake to finish).
    stdin_pending: Vec<u8>,
    /// The stdin thread waits for an acknowledgement.
    stdin_waiting: bool,
    stdin_eof: bool,
    sent_close_notify: bool,
    summary_printed: bool,
    handshake_deadline: Instant,
}

impl Session {
    fn start(conn: ClientConnection, sock: TcpStream) -> Result<Self, CliError> {
        let setup = |e: io::Error| CliError::Failed(format!("cannot set up the socket: {e}"));
        sock.set_nodelay(true).map_err(setup)?;
        sock.set_write_timeout(Some(WRITE_SLICE)).map_err(setup)?;
        let net_reader = sock.try_clone().map_err(setup)?;
        let (tx, events) = mpsc::channel();
        let net_ack = spawn_source(Source::Net, net_reader, tx.clone())?;
        let stdin_ack = spawn_source(Source::Stdin, io::stdin(), tx)?;
        Ok(Self {
            conn,
            sock,
            events,
            stdin_ack,
            net_ack,
            stdin_pending: Vec::new(),
            stdin_waiting: false,
            stdin_eof: false,
            sent_close_notify: false,
            summary_printed: false,
            handshake_deadline: Instant::now() + HANDSHAKE_TIMEOUT,
        })
    }

    fn run(mut self) -> Result<(), CliError> {
        loop {
            self.flush_tls()?;
            self.feed_stdin()?;
            self.flush_tls()?;
            if self.stdin_waiting && self.stdin_pending.is_empty() && !self.conn.wants_write() {
                self.stdin_waiting = false;
                let _ = self.stdin_ack.send(());
            }
            let Some(event) = self.next_event()? else {
                continue;
            };
            let flow = match event.source {
                Source::Stdin => self.on_stdin(event.data)?,
                Source::Net => {
                    let flow = self.on_net(event.data)?;
                    let _ = self.net_ack.send(());
                    flow
                }
            };
            if let Flow::Closed = flow {
                return Ok(());
            }
        }
    }

    /// The next event; `None` when TLS bytes wait to be written and
    /// nothing happened meanwhile.
    fn next_event(&mut self) -> Result<Option<Event>, CliError> {
        let gone = || CliError::Failed("internal error: input threads stopped".into());
        if self.conn.wants_write() {
            return match self.events.try_recv() {
                Ok(e) => Ok(Some(e)),
                Err(TryRecvError::Empty) => Ok(None),
                Err(TryRecvError::Disconnected) => Err(gone()),
            };
        }
        if !self.conn.is_handshaking() {
            return self.events.recv().map(Some).map_err(|_| gone());
        }
        let left = self
            .handshake_deadline
            .saturating_duration_since(Instant::now());
        match self.events.recv_timeout(left) {
            Ok(e) => Ok(Some(e)),
            Err(RecvTimeoutError::Timeout) => Err(CliError::Failed(format!(
                "handshake failed: no answer from the server within {} s",
                HANDSHAKE_TIMEOUT.as_secs()
            ))),
            Err(RecvTimeoutError::Disconnected) => Err(gone()),
        }
    }

    fn on_stdin(&mut self, data: io::Result<Vec<u8>>) -> Result<Flow, CliError> {
        match data {
            Ok(d) if d.is_empty() => self.stdin_eof = true,
            Ok(d) => {
                self.stdin_pending.extend_from_slice(&d);
                self.stdin_waiting = true;
            }
            Err(e) => return Err(CliError::Failed(format!("cannot read stdin: {e}"))),
        }
        Ok(Flow::Continue)
    }

    /// Hands stdin data to the connection once the handshake is done; at
    /// stdin EOF, closes our direction with close_notify (RFC 8446 §6.1)
    /// and keeps reading until the server closes.
    fn feed_stdin(&mut self) -> Result<(), CliError> {
        if self.conn.is_handshaking() {
            return Ok(());
        }
        if !self.stdin_pending.is_empty() {
            self.conn
                .writer()
                .write_all(&self.stdin_pending)
                .map_err(|e| CliError::Failed(format!("cannot send: {e}")))?;
            self.stdin_pending.clear();
        }
        if self.stdin_eof && !self.sent_close_notify {
            self.send_close_notify();
        }
        Ok(())
    }

    fn send_close_notify(&mut self) {
        self.conn.send_close_notify();
        self.sent_close_notify = true;
    }

    fn on_net(&mut self, data: io::Result<Vec<u8>>) -> Result<Flow, CliError> {
        match data {
            Ok(bytes) => self.receive(&bytes),
            Err(e) => Err(self.failure(format!("connection error: {e}"))),
        }
    }

    /// Feeds TLS bytes from the server (empty: the server closed TCP).
    fn receive(&mut self, mut bytes: &[u8]) -> Result<Flow, CliError> {
        let eof = bytes.is_empty();
        loop {
            // At EOF this reads 0 bytes, which tells the connection.
            self.conn
                .read_tls(&mut bytes)
                .map_err(|e| self.failure(format!("{e}")))?;
            self.process()?;
            if !self.conn.is_handshaking() {
                if let Flow::Closed = self.drain_plaintext()? {
                    return Ok(Flow::Closed);
                }
            }
            if bytes.is_empty() {
                break;
            }
        }
        if eof && self.conn.is_handshaking() {
            return Err(self.failure("peer closed the connection".into()));
        }
        Ok(Flow::Continue)
    }

    fn process(&mut self) -> Result<(), CliError> {
        if let Err(e) = self.conn.process_new_packets() {
            // The connection queued an alert for the server; deliver it.
            self.final_flush();
            return Err(self.failure(e.to_string()));
        }
        if !self.summary_printed && !self.conn.is_handshaking() {
            self.summary_printed = true;
            eprintln!("ferrotls: connected {}", summary(&self.conn));
        }
        Ok(())
    }

    /// Copies received plaintext to stdout.
    fn drain_plaintext(&mut self) -> Result<Flow, CliError> {
        let mut buf = vec![0u8; CHUNK];
        let mut out = io::stdout().lock();
        let flow = loop {
            match self.conn.reader().read(&mut buf) {
                Ok(0) => break self.on_close_notify(),
                Ok(n) => out
                    .write_all(&buf[..n])
                    .map_err(|e| CliError::Failed(format!("cannot write to stdout: {e}")))?,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break Flow::Continue,
                // The server closed TCP without close_notify. After our own
                // close_notify that is how many servers finish: clean.
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof && self.sent_close_notify => {
                    break Flow::Closed
                }
                Err(e) => return Err(self.failure(e.to_string())),
            }
        };
        out.flush()
            .map_err(|e| CliError::Failed(format!("cannot write to stdout: {e}")))?;
        Ok(flow)
    }

    /// The server sent close_notify: answer with ours (RFC 8446 §6.1) and
    /// finish.
    fn on_close_notify(&mut self) -> Flow {
        if !self.sent_close_notify {
            self.send_close_notify();
        }
        self.final_flush();
        let _ = self.sock.shutdown(Shutdown::Both);
        Flow::Closed
    }

    /// Writes what the socket takes now, waiting at most `WRITE_SLICE`.
    fn flush_tls(&mut self) -> Result<(), CliError> {
        while self.conn.wants_write() {
            match self.conn.write_tls(&mut self.sock) {
                Ok(0) => return Err(self.failure("connection closed while sending".into())),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if would_block(&e) => return Ok(()),
                Err(e) => return Err(self.failure(format!("cannot send: {e}"))),
            }
        }
        Ok(())
    }

    /// Best effort to deliver queued records (an alert, close_notify)
    /// before we exit.
    fn final_flush(&mut self) {
        let deadline = Instant::now() + FINAL_FLUSH;
        while self.conn.wants_write() && Instant::now() < deadline {
            if self.flush_tls().is_err() {
                return;
            }
        }
    }

    /// An error for the user, saying whether the handshake had finished.
    fn failure(&self, what: String) -> CliError {
        match self.conn.is_handshaking() {
            true => CliError::Failed(format!("handshake failed: {what}")),
            false => CliError::Failed(what),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        let ok = |t: &str| parse_target(t).unwrap();
        assert_eq!(ok("example.com:443"), ("example.com".into(), 443));
        assert_eq!(ok("127.0.0.1:4433"), ("127.0.0.1".into(), 4433));
        assert_eq!(ok("[::1]:4433"), ("::1".into(), 4433));
        for bad in [
            "example.com",
            "::1:443",
            ":443",
            "host:port",
            "host:70000",
            "[::1]",
        ] {
            assert!(parse_target(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn server_names() {
        assert!(matches!(
            server_name("127.0.0.1").unwrap(),
            ServerName::IpAddress(_)
        ));
        assert!(matches!(
            server_name("::1").unwrap(),
            ServerName::IpAddress(_)
        ));
        assert!(matches!(
            server_name("localhost").unwrap(),
            ServerName::DnsName(_)
        ));
        assert!(server_name("not a name").is_err());
    }
}
