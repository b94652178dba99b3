//! SHA-256 / SHA-384 for transcripts and the key schedules.

use aws_lc_rs::digest;

/// The longest output of a `HashAlgorithm` (SHA-384).
pub const MAX_HASH_LEN: usize = 48;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HashAlgorithm {
    Sha256,
    Sha384,
}

impl HashAlgorithm {
    pub(crate) fn digest_alg(self) -> &'static digest::Algorithm {
        match self {
            Self::Sha256 => &digest::SHA256,
            Self::Sha384 => &digest::SHA384,
        }
    }

    pub fn output_len(self) -> usize {
        match self {
            Self::Sha256 => 32,
            Self::Sha384 => 48,
        }
    }

    pub fn hash(self, data: &[u8]) -> Digest {
        Digest(digest::digest(self.digest_alg(), data))
    }

    /// Hash(""), which the key schedule uses often: computed once.
    pub fn empty_hash(self) -> &'static [u8] {
        static SHA256: std::sync::OnceLock<Digest> = std::sync::OnceLock::new();
        static SHA384: std::sync::OnceLock<Digest> = std::sync::OnceLock::new();
        let cell = match self {
            Self::Sha256 => &SHA256,
            Self::Sha384 => &SHA384,
        };
        cell.get_or_init(|| self.hash(&[]))
    }

    pub fn start(self) -> HashContext {
        HashContext(digest::Context::new(self.digest_alg()))
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Sha256 => "SHA-256",
            Self::Sha384 => "SHA-384",
        }
    }
}

/// A hash output, held inline (no allocation); reads as a byte slice.
#[derive(Clone, Copy)]
pub struct Digest(digest::Digest);

impl core::ops::Deref for Digest {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        self.0.as_ref()
    }
}

impl AsRef<[u8]> for Digest {
    fn as_ref(&self) -> &[u8] {
        self
    }
}

impl core::fmt::Debug for Digest {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        for b in self.iter() {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

/// A running hash that can be forked to read intermediate values.
#[derive(Clone)]
pub struct HashContext(digest::Context);

impl HashContext {
    pub fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }

    /// The hash of everything so far, leaving the context running.
    pub fn current(&self) -> Digest {
        self.clone().finish()
    }

    /// The hash of everything, ending the context.
    pub fn finish(self) -> Digest {
        Digest(self.0.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_hash_len_holds_every_output() {
        for alg in [HashAlgorithm::Sha256, HashAlgorithm::Sha384] {
            assert!(alg.output_len() <= MAX_HASH_LEN);
            assert_eq!(alg.hash(b"").len(), alg.output_len());
        }
    }

    #[test]
    fn empty_sha256() {
        let h = HashAlgorithm::Sha256.hash(b"");
        assert_eq!(h[..4], [0xe3, 0xb0, 0xc4, 0x42]);
        let mut ctx = HashAlgorithm::Sha256.start();
        assert_eq!(*ctx.current(), h[..]);
        ctx.update(b"abc");
        assert_eq!(*ctx.current(), HashAlgorithm::Sha256.hash(b"abc")[..]);
    }
}
