//! Bytes → records. Input may arrive in any chunking, a byte at a time
//! included; at most one maximal record plus one read is buffered.

use std::io;

use super::{check_header, Record, HEADER_LEN, MAX_TLS12_CIPHERTEXT_LEN};
use crate::error::Error;
use crate::msgs::enums::ProtocolVersion;

/// How much one `read_tls` call asks the socket for.
const READ_SIZE: usize = 4096;
/// The buffer never grows past one maximal record plus one read.
const MAX_BUFFERED: usize = HEADER_LEN + MAX_TLS12_CIPHERTEXT_LEN + READ_SIZE;

pub struct Deframer {
    buf: Vec<u8>,
    /// Bytes at the front already returned as records.
    used: usize,
    /// The current maximum record length (smaller once TLS 1.3 is chosen).
    max_len: usize,
}

impl Default for Deframer {
    fn default() -> Self {
        Self {
            buf: Vec::new(),
            used: 0,
            max_len: MAX_TLS12_CIPHERTEXT_LEN,
        }
    }
}

impl Deframer {
    pub fn set_max_record_len(&mut self, max_len: usize) {
        self.max_len = max_len;
    }

    /// Reads once from `rd`. Returns the byte count (0 at EOF).
    pub fn read(&mut self, rd: &mut dyn io::Read) -> io::Result<usize> {
        self.compact();
        let have = self.buf.len();
        if have >= MAX_BUFFERED {
            return Err(io::Error::other(
                "TLS input buffer full: call process_new_packets first",
            ));
        }
        let want = READ_SIZE.min(MAX_BUFFERED - have);
        self.buf.resize(have + want, 0);
        let res = rd.read(&mut self.buf[have..]);
        let got = *res.as_ref().unwrap_or(&0);
        self.buf.truncate(have + got);
        res
    }

    /// Appends bytes (for callers that already hold them).
    pub fn push(&mut self, bytes: &[u8]) -> usize {
        self.compact();
        let take = bytes.len().min(MAX_BUFFERED.saturating_sub(self.buf.len()));
        self.buf.extend_from_slice(&bytes[..take]);
        take
    }

    fn compact(&mut self) {
        if self.used > 0 {
            self.buf.drain(..self.used);
            self.used = 0;
        }
    }

    /// The next complete record, if one has arrived.
    pub fn pop(&mut self) -> Result<Option<Record>, Error> {
        let avail = &self.buf[self.used..];
        if avail.len() < HEADER_LEN {
            return Ok(None);
        }
        let len = usize::from(u16::from_be_bytes([avail[3], avail[4]]));
        let version = u16::from_be_bytes([avail[1], avail[2]]);
        let typ = check_header(avail[0], version, len, self.max_len)?;
        if avail.len() < HEADER_LEN + len {
            return Ok(None);
        }
        let payload = avail[HEADER_LEN..HEADER_LEN + len].to_vec();
        self.used += HEADER_LEN + len;
        Ok(Some(Record {
            typ,
            version: ProtocolVersion::from_wire(version),
            payload,
        }))
    }

    /// Bytes received but not yet returned as records.
    pub fn pending(&self) -> usize {
        self.buf.len() - self.used
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::InvalidMessage;
    use crate::msgs::enums::ContentType;

    #[test]
    fn one_byte_at_a_time() {
        let wire = [22u8, 3, 1, 0, 3, 1, 2, 3, 23, 3, 3, 0, 1, 9];
        let mut d = Deframer::default();
        let mut got = Vec::new();
        for b in wire {
            let mut one: &[u8] = &[b];
            assert_eq!(d.read(&mut one).unwrap(), 1);
            while let Some(r) = d.pop().unwrap() {
                got.push(r);
            }
        }
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].typ, ContentType::Handshake);
        assert_eq!(got[0].payload, [1, 2, 3]);
        assert_eq!(got[1].payload, [9]);
        assert_eq!(d.pending(), 0);
    }

    #[test]
    fn bad_headers() {
        let mut d = Deframer::default();
        d.push(&[99, 3, 3, 0, 1, 0]);
        assert_eq!(d.pop(), Err(InvalidMessage::UnknownContentType(99).into()));
        let mut d = Deframer::default();
        d.push(&[22, 9, 9, 0, 1, 0]);
        assert_eq!(
            d.pop(),
            Err(InvalidMessage::InvalidRecordVersion(0x0909).into())
        );
        let mut d = Deframer::default();
        d.set_max_record_len(super::super::MAX_TLS13_CIPHERTEXT_LEN);
        d.push(&[23, 3, 3, 0x41, 0x01]);
        assert_eq!(d.pop(), Err(Error::RecordOverflow));
    }

    #[test]
    fn buffer_is_bounded() {
        let mut d = Deframer::default();
        let mut endless = io::repeat(0x17);
        let mut total = 0;
        while let Ok(n) = d.read(&mut endless) {
            total += n;
        }
        assert!(total <= MAX_BUFFERED);
    }
}
