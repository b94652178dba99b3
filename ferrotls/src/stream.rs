//! Blocking I/O: a connection joined to a `Read + Write` transport.

use core::ops::DerefMut;
use std::io::{self, Read, Write};

use crate::conn::ConnectionCommon;

/// A connection and a transport borrowed together.
pub struct Stream<'a, C: DerefMut<Target = ConnectionCommon>, T: Read + Write> {
    pub conn: &'a mut C,
    pub sock: &'a mut T,
}

impl<'a, C: DerefMut<Target = ConnectionCommon>, T: Read + Write> Stream<'a, C, T> {
    pub fn new(conn: &'a mut C, sock: &'a mut T) -> Self {
        Self { conn, sock }
    }
}

/// Finishes the handshake and writes anything queued.
fn complete_prior_io<T: Read + Write>(conn: &mut ConnectionCommon, sock: &mut T) -> io::Result<()> {
    if conn.is_handshaking() {
        conn.complete_io(sock)?;
    }
    conn.write_all_tls(sock)?;
    Ok(())
}

fn read<T: Read + Write>(
    conn: &mut ConnectionCommon,
    sock: &mut T,
    buf: &mut [u8],
) -> io::Result<usize> {
    complete_prior_io(conn, sock)?;
    loop {
        match conn.reader().read(buf) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            other => return other,
        }
        conn.read_tls(sock)?;
        conn.process_new_packets_io(sock)?;
        // Answers such as a KeyUpdate go out at once.
        conn.write_all_tls(sock)?;
    }
}

fn write<T: Read + Write>(
    conn: &mut ConnectionCommon,
    sock: &mut T,
    buf: &[u8],
) -> io::Result<usize> {
    complete_prior_io(conn, sock)?;
    let n = conn.writer().write(buf)?;
    conn.write_all_tls(sock)?;
    Ok(n)
}

impl<C: DerefMut<Target = ConnectionCommon>, T: Read + Write> Read for Stream<'_, C, T> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        read(self.conn, self.sock, buf)
    }
}

impl<C: DerefMut<Target = ConnectionCommon>, T: Read + Write> Write for Stream<'_, C, T> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        write(self.conn, self.sock, buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        complete_prior_io(self.conn, self.sock)
    }
}

/// A connection that owns its transport.
pub struct StreamOwned<C: DerefMut<Target = ConnectionCommon>, T: Read + Write> {
    pub conn: C,
    pub sock: T,
}

impl<C: DerefMut<Target = ConnectionCommon>, T: Read + Write> StreamOwned<C, T> {
    pub fn new(conn: C, sock: T) -> Self {
        Self { conn, sock }
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

impl<C: DerefMut<Target = ConnectionCommon>, T: Read + Write> Read for StreamOwned<C, T> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        read(&mut self.conn, &mut self.sock, buf)
    }
}

impl<C: DerefMut<Target = ConnectionCommon>, T: Read + Write> Write for StreamOwned<C, T> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        write(&mut self.conn, &mut self.sock, buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        complete_prior_io(&mut self.conn, &mut self.sock)
    }
}
