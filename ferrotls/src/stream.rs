//! Blocking I/O: a connection joined to a `Read + Write` transport.

use core::ops::DerefMut;
use std::io::{self, BufRead, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use crate::conn::ConnectionCommon;

/// A connection and a transport borrowed together.
pub struct Stream<'a, C: DerefMut<Target = ConnectionCommon>, T: Read + Write> {
    pub conn: &'a mut C,
    pub sock: &'a mut T,
    idle_timeout: Option<Duration>,
}

impl<'a, C: DerefMut<Target = ConnectionCommon>, T: Read + Write> Stream<'a, C, T> {
    pub fn new(conn: &'a mut C, sock: &'a mut T) -> Self {
        Self {
            conn,
            sock,
            idle_timeout: None,
        }
    }
}

impl<C: DerefMut<Target = ConnectionCommon>> Stream<'_, C, TcpStream> {
    /// Ends the connection — close_notify, then an error of kind
    /// `TimedOut` saying why — when nothing arrives for `timeout`.
    pub fn set_idle_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        self.sock.set_read_timeout(timeout)?;
        self.idle_timeout = timeout;
        Ok(())
    }
}

/// A socket read that timed out means the peer was idle too long: say
/// goodbye properly and report why.
fn idle_check<T: Read + Write>(
    conn: &mut ConnectionCommon,
    sock: &mut T,
    idle_timeout: Option<Duration>,
    err: io::Error,
) -> io::Error {
    let timed_out = matches!(
        err.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    );
    match (idle_timeout, timed_out) {
        (Some(t), true) => {
            conn.send_close_notify();
            let _ = conn.write_all_tls(sock);
            io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "connection idle for {}s: closed with close_notify",
                    t.as_secs_f32()
                ),
            )
        }
        _ => err,
    }
}

/// Finishes the handshake and writes anything queued.
fn complete_prior_io<T: Read + Write>(
    conn: &mut ConnectionCommon,
    sock: &mut T,
    idle_timeout: Option<Duration>,
) -> io::Result<()> {
    if let (true, Some(e)) = (conn.is_handshaking(), conn.error()) {
        return Err(io::Error::new(io::ErrorKind::InvalidData, e.clone()));
    }
    if conn.is_handshaking() {
        conn.complete_io(sock)
            .map_err(|e| idle_check(conn, sock, idle_timeout, e))?;
    }
    conn.write_all_tls(sock)?;
    Ok(())
}

/// Reads, processes and answers until plaintext has arrived or the data
/// has ended (close_notify: Ok; a transport closed without it: an error).
fn await_plaintext<T: Read + Write>(
    conn: &mut ConnectionCommon,
    sock: &mut T,
    idle_timeout: Option<Duration>,
) -> io::Result<()> {
    complete_prior_io(conn, sock, idle_timeout)?;
    loop {
        match conn.reader().fill_buf() {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            other => return other.map(|_| ()),
        }
        conn.read_tls(sock)
            .map_err(|e| idle_check(conn, sock, idle_timeout, e))?;
        conn.process_new_packets_io(sock)?;
        // Answers such as a KeyUpdate go out at once.
        conn.write_all_tls(sock)?;
    }
}

fn read<T: Read + Write>(
    conn: &mut ConnectionCommon,
    sock: &mut T,
    idle_timeout: Option<Duration>,
    buf: &mut [u8],
) -> io::Result<usize> {
    match buf.is_empty() {
        true => complete_prior_io(conn, sock, idle_timeout)?,
        false => await_plaintext(conn, sock, idle_timeout)?,
    }
    conn.reader().read(buf)
}

fn write<T: Read + Write>(
    conn: &mut ConnectionCommon,
    sock: &mut T,
    idle_timeout: Option<Duration>,
    buf: &[u8],
) -> io::Result<usize> {
    complete_prior_io(conn, sock, idle_timeout)?;
    let n = conn.writer().write(buf)?;
    // Once bytes are taken they are ours to send: an error now (EINTR,
    // WouldBlock) must not make the caller write them again (io::Write:
    // an error means nothing was written). They go out on the next write
    // or flush, which finish pending output first.
    if let Err(e) = conn.write_all_tls(sock) {
        if n == 0 {
            return Err(e);
        }
    }
    Ok(n)
}

impl<C: DerefMut<Target = ConnectionCommon>, T: Read + Write> Read for Stream<'_, C, T> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        read(self.conn, self.sock, self.idle_timeout, buf)
    }
}

/// Plaintext without a copy, a record's worth at a time (see `Reader`).
impl<C: DerefMut<Target = ConnectionCommon>, T: Read + Write> BufRead for Stream<'_, C, T> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        await_plaintext(self.conn, self.sock, self.idle_timeout)?;
        self.conn.reader().into_first_chunk()
    }

    fn consume(&mut self, amt: usize) {
        self.conn.reader().consume(amt);
    }
}

impl<C: DerefMut<Target = ConnectionCommon>, T: Read + Write> Write for Stream<'_, C, T> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        write(self.conn, self.sock, self.idle_timeout, buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        complete_prior_io(self.conn, self.sock, self.idle_timeout)
    }
}

/// A connection that owns its transport.
pub struct StreamOwned<C: DerefMut<Target = ConnectionCommon>, T: Read + Write> {
    pub conn: C,
    pub sock: T,
    idle_timeout: Option<Duration>,
}

impl<C: DerefMut<Target = ConnectionCommon>, T: Read + Write> StreamOwned<C, T> {
    pub fn new(conn: C, sock: T) -> Self {
        Self {
            conn,
            sock,
            idle_timeout: None,
        }
    }

    /// Sends close_notify and writes it out.
    pub fn close(&mut self) -> io::Result<()> {
        self.conn.send_close_notify();
        self.conn.write_all_tls(&mut self.sock).map(|_| ())
    }

    pub fn into_parts(self) -> (C, T) {
        (self.conn, self.sock)
    }
}

impl<C: DerefMut<Target = ConnectionCommon>> StreamOwned<C, TcpStream> {
    /// Ends the connection — close_notify, then an error of kind
    /// `TimedOut` saying why — when nothing arrives for `timeout`.
    pub fn set_idle_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        self.sock.set_read_timeout(timeout)?;
        self.idle_timeout = timeout;
        Ok(())
    }
}

impl<C: DerefMut<Target = ConnectionCommon>, T: Read + Write> Read for StreamOwned<C, T> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        read(&mut self.conn, &mut self.sock, self.idle_timeout, buf)
    }
}

/// Plaintext without a copy, a record's worth at a time (see `Reader`).
impl<C: DerefMut<Target = ConnectionCommon>, T: Read + Write> BufRead for StreamOwned<C, T> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        await_plaintext(&mut self.conn, &mut self.sock, self.idle_timeout)?;
        self.conn.reader().into_first_chunk()
    }

    fn consume(&mut self, amt: usize) {
        self.conn.reader().consume(amt);
    }
}

impl<C: DerefMut<Target = ConnectionCommon>, T: Read + Write> Write for StreamOwned<C, T> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        write(&mut self.conn, &mut self.sock, self.idle_timeout, buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        complete_prior_io(&mut self.conn, &mut self.sock, self.idle_timeout)
    }
}
