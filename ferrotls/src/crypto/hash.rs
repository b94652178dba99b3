//! SHA-256 / SHA-384 for transcripts and the key schedules.

use aws_lc_rs::digest;

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

    pub fn hash(self, data: &[u8]) -> Vec<u8> {
        digest::digest(self.digest_alg(), data).as_ref().to_vec()
    }

    /// Hash(""), which the key schedule uses often: computed once.
    pub fn empty_hash(self) -> &'static [u8] {
        static SHA256: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
        static SHA384: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
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

/// A running hash that can be forked to read intermediate values.
#[derive(Clone)]
pub struct HashContext(digest::Context);

impl HashContext {
    pub fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }

    /// The hash of everything so far, leaving the context running.
    pub fn current(&self) -> Vec<u8> {
        self.0.clone().finish().as_ref().to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_sha256() {
        let h = HashAlgorithm::Sha256.hash(b"");
        assert_eq!(h[..4], [0xe3, 0xb0, 0xc4, 0x42]);
        let mut ctx = HashAlgorithm::Sha256.start();
        assert_eq!(ctx.current(), h);
        ctx.update(b"abc");
        assert_eq!(ctx.current(), HashAlgorithm::Sha256.hash(b"abc"));
    }
}
