//! AES-CBC without padding (TLS pads records itself) and HMAC for the
//! TLS 1.2 CBC suites.

use aws_lc_rs::cipher::{self, DecryptingKey, EncryptingKey, UnboundCipherKey};
use aws_lc_rs::hmac;

use crate::error::Error;

pub const AES_BLOCK_LEN: usize = 16;

/// The record MAC of a CBC suite.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MacAlgorithm {
    Sha1,
    Sha256,
    Sha384,
}

impl MacAlgorithm {
    pub fn output_len(self) -> usize {
        match self {
            Self::Sha1 => 20,
            Self::Sha256 => 32,
            Self::Sha384 => 48,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Sha1 => "HMAC-SHA1",
            Self::Sha256 => "HMAC-SHA256",
            Self::Sha384 => "HMAC-SHA384",
        }
    }

    fn lc(self) -> hmac::Algorithm {
        match self {
            Self::Sha1 => hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
            Self::Sha256 => hmac::HMAC_SHA256,
            Self::Sha384 => hmac::HMAC_SHA384,
        }
    }
}

/// A keyed record MAC.
pub struct MacKey(hmac::Key);

impl MacKey {
    pub fn new(alg: MacAlgorithm, key: &[u8]) -> Self {
        Self(hmac::Key::new(alg.lc(), key))
    }

    pub fn sign(&self, parts: &[&[u8]]) -> Vec<u8> {
        let mut ctx = hmac::Context::with_key(&self.0);
        parts.iter().for_each(|p| ctx.update(p));
        ctx.sign().as_ref().to_vec()
    }
}

/// AES-128/256 in CBC mode, no padding.
pub struct AesCbcKey {
    enc: EncryptingKey,
    dec: DecryptingKey,
}

impl AesCbcKey {
    pub fn new(key: &[u8]) -> Result<Self, Error> {
        let alg = match key.len() {
            16 => &cipher::AES_128,
            32 => &cipher::AES_256,
            _ => return Err(Error::Internal("bad AES key length")),
        };
        let bad = |_| Error::Internal("AES-CBC key setup failed");
        let enc = EncryptingKey::cbc(UnboundCipherKey::new(alg, key).map_err(bad)?).map_err(bad)?;
        let dec = DecryptingKey::cbc(UnboundCipherKey::new(alg, key).map_err(bad)?).map_err(bad)?;
        Ok(Self { enc, dec })
    }

    /// Encrypts whole blocks in place under `iv`.
    pub fn encrypt(&self, iv: [u8; AES_BLOCK_LEN], buf: &mut [u8]) -> Result<(), Error> {
        self.enc
            .less_safe_encrypt(buf, cipher::EncryptionContext::Iv128(iv.into()))
            .map(|_| ())
            .map_err(|_| Error::Internal("AES-CBC encryption failed"))
    }

    /// Decrypts whole blocks in place under `iv`.
    pub fn decrypt(&self, iv: [u8; AES_BLOCK_LEN], buf: &mut [u8]) -> Result<(), Error> {
        self.dec
            .decrypt(buf, cipher::DecryptionContext::Iv128(iv.into()))
            .map(|_| ())
            .map_err(|_| Error::DecryptError)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cbc_roundtrip() {
        let key = AesCbcKey::new(&[3; 16]).unwrap();
        let mut buf = [7u8; 32];
        key.encrypt([1; 16], &mut buf).unwrap();
        assert_ne!(buf, [7u8; 32]);
        key.decrypt([1; 16], &mut buf).unwrap();
        assert_eq!(buf, [7u8; 32]);
    }

    /// RFC 2202 test case 2 for HMAC-SHA1.
    #[test]
    fn hmac_sha1() {
        let mac =
            MacKey::new(MacAlgorithm::Sha1, b"Jefe").sign(&[b"what do ya want ", b"for nothing?"]);
        assert_eq!(mac[..4], [0xef, 0xfc, 0xdf, 0x6a]);
        assert_eq!(mac.len(), MacAlgorithm::Sha1.output_len());
    }
}
