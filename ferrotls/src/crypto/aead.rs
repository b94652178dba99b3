//! AEAD ciphers for record protection.

use aws_lc_rs::aead;

use crate::error::Error;

pub const TAG_LEN: usize = 16;
pub const NONCE_LEN: usize = 12;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AeadAlgorithm {
    Aes128Gcm,
    Aes256Gcm,
    ChaCha20Poly1305,
}

impl AeadAlgorithm {
    pub fn key_len(self) -> usize {
        match self {
            Self::Aes128Gcm => 16,
            Self::Aes256Gcm | Self::ChaCha20Poly1305 => 32,
        }
    }

    /// The number of records one key may protect (RFC 8446 §5.5; for
    /// ChaCha20-Poly1305 the nonce space bounds it instead).
    pub fn confidentiality_limit(self) -> u64 {
        match self {
            Self::Aes128Gcm | Self::Aes256Gcm => 1 << 24,
            Self::ChaCha20Poly1305 => u64::MAX,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Aes128Gcm => "AES-128-GCM",
            Self::Aes256Gcm => "AES-256-GCM",
            Self::ChaCha20Poly1305 => "ChaCha20-Poly1305",
        }
    }

    fn lc(self) -> &'static aead::Algorithm {
        match self {
            Self::Aes128Gcm => &aead::AES_128_GCM,
            Self::Aes256Gcm => &aead::AES_256_GCM,
            Self::ChaCha20Poly1305 => &aead::CHACHA20_POLY1305,
        }
    }
}

/// A keyed AEAD. The caller supplies a unique nonce per record.
pub struct AeadKey(aead::LessSafeKey);

impl AeadKey {
    pub fn new(alg: AeadAlgorithm, key: &[u8]) -> Result<Self, Error> {
        let key = aead::UnboundKey::new(alg.lc(), key)
            .map_err(|_| Error::Internal("bad AEAD key length"))?;
        Ok(Self(aead::LessSafeKey::new(key)))
    }

    /// Seals `plain` ‖ `extra` into `out` (ciphertext ‖ tag), which must be
    /// exactly `plain.len() + extra.len() + TAG_LEN` bytes; `plain` is only
    /// read, so nothing is copied before encryption.
    pub fn seal_into(
        &self,
        nonce: [u8; NONCE_LEN],
        aad: &[u8],
        plain: &[u8],
        extra: &[u8],
        out: &mut [u8],
    ) -> Result<(), Error> {
        if out.len() != plain.len() + extra.len() + TAG_LEN {
            return Err(Error::Internal("AEAD output of the wrong length"));
        }
        let (ciphertext, extra_and_tag) = out.split_at_mut(plain.len());
        self.0
            .seal_out_of_place_scatter(
                aead::Nonce::assume_unique_for_key(nonce),
                aead::Aad::from(aad),
                plain,
                ciphertext,
                extra,
                extra_and_tag,
            )
            .map_err(|_| Error::Internal("AEAD seal failed"))
    }

    /// Decrypts and authenticates `sealed` (ciphertext ‖ tag) into the front
    /// of `out`, leaving `sealed` untouched; returns the plaintext length.
    /// On failure `out` holds garbage.
    pub fn open_into(
        &self,
        nonce: [u8; NONCE_LEN],
        aad: &[u8],
        sealed: &[u8],
        out: &mut [u8],
    ) -> Result<usize, Error> {
        let Some(len) = sealed.len().checked_sub(TAG_LEN) else {
            return Err(Error::DecryptError);
        };
        let (ciphertext, tag) = sealed.split_at(len);
        let out = out
            .get_mut(..len)
            .ok_or(Error::Internal("AEAD output too short"))?;
        self.0
            .open_separate_gather(
                aead::Nonce::assume_unique_for_key(nonce),
                aead::Aad::from(aad),
                ciphertext,
                tag,
                out,
            )
            .map(|()| len)
            .map_err(|_| Error::DecryptError)
    }

    /// Decrypts and authenticates `buf` (ciphertext ‖ tag) in place, returning
    /// the plaintext length.
    pub fn open(&self, nonce: [u8; NONCE_LEN], aad: &[u8], buf: &mut [u8]) -> Result<usize, Error> {
        self.0
            .open_in_place(
                aead::Nonce::assume_unique_for_key(nonce),
                aead::Aad::from(aad),
                buf,
            )
            .map(|plain| plain.len())
            .map_err(|_| Error::DecryptError)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_then_open_and_tamper() {
        for alg in [
            AeadAlgorithm::Aes128Gcm,
            AeadAlgorithm::Aes256Gcm,
            AeadAlgorithm::ChaCha20Poly1305,
        ] {
            let key = AeadKey::new(alg, &vec![7u8; alg.key_len()]).unwrap();
            let mut sealed = vec![0u8; 5 + 1 + TAG_LEN];
            key.seal_into([1; 12], b"aad", b"hello", b"!", &mut sealed)
                .unwrap();
            let mut ct = sealed.clone();
            let n = key.open([1; 12], b"aad", &mut ct).unwrap();
            assert_eq!(&ct[..n], b"hello!");
            let mut out = [0u8; 32];
            let n = key.open_into([1; 12], b"aad", &sealed, &mut out).unwrap();
            assert_eq!(&out[..n], b"hello!");
            assert_eq!(
                key.open_into([1; 12], b"aa", &sealed, &mut out),
                Err(Error::DecryptError)
            );
            assert!(key
                .seal_into([1; 12], b"aad", b"hello", b"", &mut sealed)
                .is_err());
            let mut bad = sealed.clone();
            bad[0] ^= 1;
            assert_eq!(
                key.open([1; 12], b"aad", &mut bad),
                Err(Error::DecryptError)
            );
        }
    }
}
