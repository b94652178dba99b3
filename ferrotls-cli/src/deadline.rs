//! A socket with a deadline for a whole step (a handshake, a request, a
//! response): each read or write may wait only for what is left of it. A
//! socket timeout alone bounds one call, so a peer sending a byte every
//! few seconds would never reach it.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

pub struct ByDeadline<'a> {
    pub sock: &'a TcpStream,
    pub deadline: Instant,
}

impl<'a> ByDeadline<'a> {
    pub fn new(sock: &'a TcpStream, within: Duration) -> Self {
        Self {
            sock,
            deadline: Instant::now() + within,
        }
    }

    fn left(&self) -> io::Result<Duration> {
        match self.deadline.saturating_duration_since(Instant::now()) {
            left if left.is_zero() => Err(io::ErrorKind::TimedOut.into()),
            left => Ok(left),
        }
    }
}

impl Read for ByDeadline<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.sock.set_read_timeout(Some(self.left()?))?;
        let mut sock = self.sock;
        sock.read(buf)
    }
}

impl Write for ByDeadline<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.sock.set_write_timeout(Some(self.left()?))?;
        let mut sock = self.sock;
        sock.write(buf)
    }

    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        self.sock.set_write_timeout(Some(self.left()?))?;
        let mut sock = self.sock;
        sock.write_vectored(bufs)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
