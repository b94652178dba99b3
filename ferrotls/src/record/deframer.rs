//! Bytes → records. Input may arrive in any chunking, a byte at a time
//! included; at most one maximal record plus one read is buffered.

use std::io;

use super::{read_header, Header, Record, HEADER_LEN, MAX_TLS12_CIPHERTEXT_LEN};
use crate::error::Error;

/// The buffer at full size holds two maximal records: a read can always
/// take at least one whole record without moving what is pending first.
const BUF_SIZE: usize = 2 * (HEADER_LEN + MAX_TLS12_CIPHERTEXT_LEN);
/// A new buffer starts this small (handshake flights mostly fit) and grows
/// to `BUF_SIZE` once a record or a read needs more: zeroing 36 KiB for
/// every flight cost more than the handshake's hashing.
const INITIAL_BUF_SIZE: usize = 4096;

/// Incoming bytes, cut into records. The buffer is allocated when bytes
/// arrive and, once the connection says so (after the handshake), released
/// when every byte has been returned as a record, so an idle connection
/// holds no receive buffer at all.
pub struct Deframer {
    /// Initialised once (zeroed by the allocator) and reused; `buf[start..end]`
    /// is what has arrived but not yet been returned.
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// The current maximum record length (smaller once TLS 1.3 is chosen).
    max_len: usize,
    /// Keep the buffer even when drained (while handshaking: the next
    /// flight is coming).
    keep_buffer: bool,
}

impl Default for Deframer {
    fn default() -> Self {
        Self {
            buf: Vec::new(),
            start: 0,
            end: 0,
            max_len: MAX_TLS12_CIPHERTEXT_LEN,
            keep_buffer: true,
        }
    }
}

impl Deframer {
    pub fn set_max_record_len(&mut self, max_len: usize) {
        self.max_len = max_len;
    }

    /// Whether a drained buffer is kept; letting go of it releases it now
    /// if nothing is pending.
    pub fn set_keep_buffer(&mut self, keep: bool) {
        self.keep_buffer = keep;
        self.release_if_drained();
    }

    /// Room for at least one more byte, and for the whole record at the
    /// front once its header has arrived. A full-size buffer moves pending
    /// bytes to the front only when less than a maximal record fits after
    /// them; a small one compacts at every call and grows to full size
    /// when a record or a read does not fit.
    fn make_room(&mut self) {
        if self.buf.is_empty() {
            self.buf = vec![0u8; INITIAL_BUF_SIZE];
        }
        if self.buf.len() == BUF_SIZE {
            if self.buf.len() - self.end < HEADER_LEN + MAX_TLS12_CIPHERTEXT_LEN && self.start > 0 {
                self.compact();
            }
            return;
        }
        self.compact();
        let front = self.front_record_len().map_or(0, |n| HEADER_LEN + n);
        if front > self.buf.len() || self.end == self.buf.len() {
            self.buf.resize(BUF_SIZE, 0);
        }
    }

    fn compact(&mut self) {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
    }

    /// The length field of the record at the front, once its header has
    /// arrived (checked only when the record is popped).
    fn front_record_len(&self) -> Option<usize> {
        let head = self
            .buf
            .get(self.start..self.end)?
            .first_chunk::<HEADER_LEN>()?;
        Some(usize::from(u16::from_be_bytes([head[3], head[4]])))
    }

    /// Reads once from `rd`, as much as fits. Returns the byte count (0 at EOF).
    pub fn read(&mut self, rd: &mut dyn io::Read) -> io::Result<usize> {
        self.make_room();
        if self.end == self.buf.len() {
            return Err(io::Error::other(
                "TLS input buffer full: call process_new_packets first",
            ));
        }
        let n = rd.read(&mut self.buf[self.end..])?;
        self.end += n;
        self.release_if_drained();
        Ok(n)
    }

    /// Appends bytes (for callers that already hold them); returns how many
    /// fitted.
    pub fn push(&mut self, bytes: &[u8]) -> usize {
        if bytes.is_empty() {
            return 0;
        }
        self.make_room();
        let take = bytes.len().min(self.buf.len() - self.end);
        self.buf[self.end..self.end + take].copy_from_slice(&bytes[..take]);
        self.end += take;
        take
    }

    /// An idle connection keeps no buffer.
    fn release_if_drained(&mut self) {
        if self.start == self.end && !self.keep_buffer {
            self.buf = Vec::new();
            self.start = 0;
            self.end = 0;
        }
    }

    /// The next complete record, if one has arrived.
    pub fn pop(&mut self) -> Result<Option<Record>, Error> {
        let Some((header, payload)) = self.peek()? else {
            return Ok(None);
        };
        let record = Record {
            typ: header.typ,
            version: header.version,
            payload: payload.to_vec(),
        };
        self.consume(&header);
        Ok(Some(record))
    }

    /// The next complete record's header and fragment, left in the buffer
    /// until `consume`.
    pub fn peek(&self) -> Result<Option<(Header, &[u8])>, Error> {
        let avail = &self.buf[self.start..self.end];
        let Some(header) = read_header(avail, self.max_len)? else {
            return Ok(None);
        };
        Ok(avail
            .get(HEADER_LEN..HEADER_LEN + header.len)
            .map(|payload| (header, payload)))
    }

    /// Drops the record `peek` returned.
    pub fn consume(&mut self, header: &Header) {
        self.start = (self.start + HEADER_LEN + header.len).min(self.end);
        self.release_if_drained();
    }

    /// Bytes received but not yet returned as records.
    pub fn pending(&self) -> usize {
        self.end - self.start
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
    fn small_buffer_grows_for_a_large_record_and_is_released_when_let_go() {
        let mut d = Deframer::default();
        let mut wire = vec![23u8, 3, 3, 0x30, 0x00];
        wire.extend(vec![7u8; 0x3000]);
        let mut rd = &wire[..];
        let mut got = None;
        while got.is_none() {
            assert!(d.read(&mut rd).unwrap() > 0);
            got = d.pop().unwrap();
        }
        assert_eq!(got.unwrap().payload.len(), 0x3000);
        assert_eq!(d.buf.len(), BUF_SIZE);
        d.set_keep_buffer(false);
        assert!(d.buf.is_empty());
        // Small again for the next bytes.
        d.push(&[23, 3, 3, 0, 1, 9]);
        assert_eq!(d.buf.len(), INITIAL_BUF_SIZE);
        assert_eq!(d.pop().unwrap().unwrap().payload, [9]);
        assert!(d.buf.is_empty());
    }

    #[test]
    fn buffer_is_bounded() {
        let mut d = Deframer::default();
        let mut endless = io::repeat(0x17);
        let mut total = 0;
        while let Ok(n) = d.read(&mut endless) {
            total += n;
        }
        assert!(total <= BUF_SIZE);
    }
}
