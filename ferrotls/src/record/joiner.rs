//! Handshake records → handshake messages. A message may span records and
//! a record may hold several messages (RFC 8446 §5.1).

use crate::error::{Error, InvalidMessage};
use crate::msgs::handshake::HANDSHAKE_HEADER_LEN;

/// Default cap on one handshake message (certificate chains included).
pub const DEFAULT_MAX_HANDSHAKE_MESSAGE: usize = 64 * 1024;

/// The largest ClientHello the RFCs allow (RFC 8446 §4.1.2, RFC 5246
/// §7.4.1.2): version, random, a 32-byte legacy_session_id, 2^16-2 bytes of
/// cipher suites, 255 compression methods, 2^16-1 bytes of extensions. A
/// server must not refuse a valid hello for its size, so its default cap
/// is this (131396 bytes, twice the general one).
pub const MAX_CLIENT_HELLO: usize = 2 + 32 + (1 + 32) + (2 + 65534) + (1 + 255) + (2 + 65535);

pub struct Joiner {
    buf: Vec<u8>,
    /// Where the next message starts in `buf`: popping moves this offset,
    /// so a record packed with thousands of small messages is not copied
    /// over again for each one.
    start: usize,
    max_message: usize,
}

impl Joiner {
    pub fn new(max_message: usize) -> Self {
        Self {
            buf: Vec::new(),
            start: 0,
            max_message,
        }
    }

    pub fn push(&mut self, fragment: &[u8]) {
        self.buf.drain(..self.start);
        self.start = 0;
        self.buf.extend_from_slice(fragment);
    }

    /// The next complete message (header included), if there is one.
    pub fn pop(&mut self) -> Result<Option<Vec<u8>>, Error> {
        let waiting = &self.buf[self.start..];
        if waiting.len() < HANDSHAKE_HEADER_LEN {
            return Ok(None);
        }
        let len = u32::from_be_bytes([0, waiting[1], waiting[2], waiting[3]]) as usize;
        if len > self.max_message {
            return Err(InvalidMessage::HandshakeMessageTooLarge.into());
        }
        let total = HANDSHAKE_HEADER_LEN + len;
        let Some(message) = waiting.get(..total) else {
            return Ok(None);
        };
        let message = message.to_vec();
        self.start += total;
        // All used: the buffer goes too (an idle connection keeps none).
        if self.start == self.buf.len() {
            self.buf = Vec::new();
            self.start = 0;
        }
        Ok(Some(message))
    }

    /// True when no partial message is waiting; handshake messages must
    /// not span a key change (RFC 8446 §5.1).
    pub fn is_empty(&self) -> bool {
        self.start == self.buf.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_and_splits() {
        let mut j = Joiner::new(100);
        j.push(&[20, 0, 0, 2, 1]);
        assert_eq!(j.pop().unwrap(), None);
        j.push(&[2, 20, 0, 0, 0]);
        assert_eq!(j.pop().unwrap(), Some(vec![20, 0, 0, 2, 1, 2]));
        assert_eq!(j.pop().unwrap(), Some(vec![20, 0, 0, 0]));
        assert!(j.is_empty());
    }

    #[test]
    fn a_record_of_many_messages_and_a_partial_one() {
        let mut j = Joiner::new(100);
        let mut record: Vec<u8> = (0..1000u32).flat_map(|_| [0, 0, 0, 0]).collect();
        record.extend_from_slice(&[20, 0, 0, 3, 7]);
        j.push(&record);
        for _ in 0..1000 {
            assert_eq!(j.pop().unwrap(), Some(vec![0, 0, 0, 0]));
        }
        assert_eq!(j.pop().unwrap(), None);
        assert!(!j.is_empty());
        j.push(&[8, 9, 0, 0]);
        assert_eq!(j.pop().unwrap(), Some(vec![20, 0, 0, 3, 7, 8, 9]));
        assert_eq!(j.pop().unwrap(), None);
        assert!(!j.is_empty());
        j.push(&[0, 0]);
        assert_eq!(j.pop().unwrap(), Some(vec![0, 0, 0, 0]));
        assert!(j.is_empty());
        // Nothing waiting, nothing kept (idle connections hold no buffer).
        assert_eq!(j.buf.capacity(), 0);
    }

    #[test]
    fn oversized_messages_are_refused_before_buffering() {
        let mut j = Joiner::new(100);
        j.push(&[11, 0, 0, 101]);
        assert_eq!(
            j.pop(),
            Err(InvalidMessage::HandshakeMessageTooLarge.into())
        );
    }
}
