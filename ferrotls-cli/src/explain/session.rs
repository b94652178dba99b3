//! One explained session: connect, handshake, send the request, read the
//! response until the server closes, close our side.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use ferrotls::pki_types::ServerName;
use ferrotls::{ClientConfig, ClientConnection, Stream, StreamOwned};

use super::model::{Exchange, Party};
use super::observer::Recorder;
use crate::client;
use crate::deadline::ByDeadline;

/// How long connecting, the handshake, sending the request and reading
/// the response may each take, in all.
const IO_TIMEOUT: Duration = Duration::from_secs(10);
/// How much of the response we keep (the rest is counted, not kept).
const KEEP: usize = 4096;
/// How much of a response we read before closing: a server that keeps
/// sending does not keep us (and the trace it makes) growing.
const MAX_RESPONSE: usize = 1 << 20;

/// Where to connect and what to call the server.
#[derive(Debug, Clone)]
pub struct Target {
    pub host: String,
    pub port: u16,
    pub name: ServerName<'static>,
}

/// Runs one session with `config` (whose observer is `recorder`).
pub fn run(
    target: &Target,
    config: ClientConfig,
    recorder: &Recorder,
    request: &[u8],
) -> Result<Exchange, String> {
    let mut conn = ClientConnection::new(Arc::new(config), target.name.clone())
        .map_err(|e| format!("cannot start a connection: {e}"))?;
    let sock = client::connect(&target.host, target.port).map_err(|e| e.to_string())?;
    set_timeouts(&sock).map_err(|e| format!("cannot set up the socket: {e}"))?;
    conn.complete_io(&mut ByDeadline::new(&sock, IO_TIMEOUT))
        .map_err(|e| format!("handshake failed: {e}"))?;
    let mut stream = StreamOwned::new(conn, sock);
    stream
        .write_all(request)
        .and_then(|()| stream.flush())
        .map_err(|e| format!("cannot send the request: {e}"))?;
    recorder.note_application_data(Party::Client, request.len());
    let response = read_response(&mut stream)?;
    if response.total > 0 {
        recorder.note_application_data(Party::Server, response.total);
    }
    let close = match (stream.close(), response.end) {
        (Err(e), _) => format!("could not send our close_notify: {e}"),
        (Ok(()), End::CloseNotify) => {
            "clean: the server sent close_notify after its response, the client answered with its own".into()
        }
        (Ok(()), End::TcpClosed) => {
            "the server closed TCP without close_notify (its response could have been cut short); the client sent close_notify".into()
        }
        (Ok(()), End::Timeout) => format!(
            "the server had not ended its response {} s after the request and kept the connection open; the client closed it with close_notify",
            IO_TIMEOUT.as_secs()
        ),
        (Ok(()), End::TooMuch) => format!(
            "the server was still sending after {} bytes; the client stopped reading and closed it with close_notify",
            response.total
        ),
    };
    Ok(Exchange {
        sent_bytes: request.len(),
        received_bytes: response.total,
        response_first_line: first_line(&response.kept),
        close,
    })
}

fn set_timeouts(sock: &TcpStream) -> io::Result<()> {
    sock.set_read_timeout(Some(IO_TIMEOUT))?;
    sock.set_write_timeout(Some(IO_TIMEOUT))?;
    sock.set_nodelay(true)
}

/// How the response ended.
enum End {
    CloseNotify,
    TcpClosed,
    Timeout,
    TooMuch,
}

struct Response {
    total: usize,
    kept: Vec<u8>,
    end: End,
}

fn read_response(
    stream: &mut StreamOwned<ClientConnection, TcpStream>,
) -> Result<Response, String> {
    let mut buf = vec![0u8; 16 * 1024];
    let (mut total, mut kept) = (0, Vec::new());
    // One deadline for the whole response, however it trickles in.
    let mut sock = ByDeadline::new(&stream.sock, IO_TIMEOUT);
    let mut stream = Stream::new(&mut stream.conn, &mut sock);
    let end = loop {
        if total >= MAX_RESPONSE {
            break End::TooMuch;
        }
        match stream.read(&mut buf) {
            Ok(0) => break End::CloseNotify,
            Ok(n) => {
                total += n;
                let room = KEEP.saturating_sub(kept.len());
                kept.extend_from_slice(&buf[..n.min(room)]);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => break End::TcpClosed,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                break End::Timeout
            }
            Err(e) => return Err(format!("reading the response failed: {e}")),
        }
    };
    Ok(Response { total, kept, end })
}

/// The first line, as escaped ASCII (it is the peer's data).
fn first_line(data: &[u8]) -> String {
    let line = data.split(|&b| b == b'\n').next().unwrap_or_default();
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    line.escape_ascii().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_lines_are_escaped() {
        assert_eq!(first_line(b"HTTP/1.0 200 OK\r\nx"), "HTTP/1.0 200 OK");
        assert_eq!(first_line(b"a\x00b"), "a\\x00b");
        assert_eq!(first_line(b""), "");
    }
}
