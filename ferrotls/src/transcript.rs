//! The handshake transcript (RFC 8446 §4.4.1): the running hash of every
//! handshake message, buffered until the cipher suite names the hash.

use crate::crypto::hash::{Digest, HashAlgorithm, HashContext};
use crate::msgs::handshake::HandshakeMessage;

/// Messages kept as bytes before the hash is known (the client's view
/// until ServerHello).
#[derive(Default)]
pub struct TranscriptBuffer {
    buf: Vec<u8>,
}

impl TranscriptBuffer {
    pub fn add(&mut self, msg: &HandshakeMessage) {
        self.buf.extend_from_slice(&msg.encoding);
    }

    pub fn start_hash(self, alg: HashAlgorithm) -> Transcript {
        let mut t = Transcript {
            alg,
            ctx: alg.start(),
        };
        t.ctx.update(&self.buf);
        t
    }
}

/// The running transcript hash.
#[derive(Clone)]
pub struct Transcript {
    alg: HashAlgorithm,
    ctx: HashContext,
}

impl Transcript {
    pub fn new(alg: HashAlgorithm) -> Self {
        Self {
            alg,
            ctx: alg.start(),
        }
    }

    pub fn add(&mut self, msg: &HandshakeMessage) {
        self.ctx.update(&msg.encoding);
    }

    /// The hash of everything so far followed by `bytes`, leaving the
    /// transcript as it is (PSK binders cover a truncated ClientHello).
    pub fn hash_with(&self, bytes: &[u8]) -> Digest {
        let mut ctx = self.ctx.clone();
        ctx.update(bytes);
        ctx.finish()
    }

    /// Transcript-Hash of everything added so far.
    pub fn current(&self) -> Digest {
        self.ctx.current()
    }

    /// The final Transcript-Hash, when nothing more will be added.
    pub fn finish(self) -> Digest {
        self.ctx.finish()
    }

    /// RFC 8446 §4.4.1: after a HelloRetryRequest, ClientHello1 is replaced
    /// by a synthetic message_hash message holding its hash.
    pub fn into_retry(self) -> Self {
        let hash = self.current();
        let mut t = Self::new(self.alg);
        t.add(&HandshakeMessage::message_hash(hash.to_vec()));
        t
    }
}
