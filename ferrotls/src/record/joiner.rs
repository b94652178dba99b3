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
    max_message: usize,
}

impl Joiner {
    pub fn new(max_message: usize) -> Self {
        Self {
            buf: Vec::new(),
            max_message,
        }
    }

    pub fn push(&mut self, fragment: &[u8]) {
        self.buf.extend_from_slice(fragment);
    }

    /// The next complete message (header included), if there is one.
    pub fn pop(&mut self) -> Result<Option<Vec<u8>>, Error> {
        if self.buf.len() < HANDSHAKE_HEADER_LEN {
            return Ok(None);
        }
        let len = u32::from_be_bytes([0, self.buf[1], self.buf[2], self.buf[3]]) as usize;
        if len > self.max_message {
            return Err(InvalidMessage::HandshakeMessageTooLarge.into());
        }
        let total = HANDSHAKE_HEADER_LEN + len;
        if self.buf.len() < total {
            return Ok(None);
        }
        let rest = self.buf.split_off(total);
        Ok(Some(core::mem::replace(&mut self.buf, rest)))
    }

    /// True when no partial message is waiting; handshake messages must
    /// not span a key change (RFC 8446 §5.1).
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
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
    fn oversized_messages_are_refused_before_buffering() {
        let mut j = Joiner::new(100);
        j.push(&[11, 0, 0, 101]);
        assert_eq!(
            j.pop(),
            Err(InvalidMessage::HandshakeMessageTooLarge.into())
        );
    }
}
