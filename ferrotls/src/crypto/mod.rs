//! Cryptography: the only module that names `aws-lc-rs`.
//!
//! Everything above this module speaks in the small types defined here
//! (hash, HMAC, HKDF, AEAD, key exchange as a KEM, signing, verification,
//! randomness), so a second provider can take its place.

pub mod aead;
pub mod cbc;
pub mod hash;
pub mod hkdf;
pub mod kx;
pub mod prf;
pub mod rand;
pub mod rsa_kx;
pub mod sign;
pub mod verify;

use core::fmt;

use zeroize::Zeroizing;

use crate::error::Error;

/// Secret bytes: never printed, zeroized on drop, compared in constant time.
///
/// The bytes live on the heap on purpose: moving a `Secret` moves a
/// pointer, so no copy of the bytes is left behind in a stack frame that
/// drop cannot reach. (Keeping short secrets inline saved one allocation
/// each but under 1% of a handshake's instructions; not worth copies of
/// traffic secrets that are never wiped.) Derivations write straight into
/// the final buffer (`filled`), so each secret is allocated once.
#[derive(Clone, Default)]
pub struct Secret(Zeroizing<Vec<u8>>);

impl Secret {
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(Zeroizing::new(bytes))
    }

    pub fn from_slice(bytes: &[u8]) -> Self {
        Self::new(bytes.to_vec())
    }

    /// `len` zero bytes.
    pub fn zeroed(len: usize) -> Self {
        Self::new(vec![0; len])
    }

    /// A secret of `len` bytes written by `fill`, in place. If `fill`
    /// fails the secret is empty, so whatever is keyed or compared with it
    /// fails too (never a key of zeros).
    pub fn filled(len: usize, fill: impl FnOnce(&mut [u8]) -> Result<(), Error>) -> Self {
        let mut secret = Self::zeroed(len);
        match fill(&mut secret.0) {
            Ok(()) => secret,
            Err(_) => Self::default(),
        }
    }

    /// The secret's bytes. Callers that show them (key log, `explain`) do
    /// so only when the user asked.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({} bytes, redacted)", self.len())
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        ct_eq(self.expose(), other.expose())
    }
}

/// Constant-time equality for MACs, Finished values, binders and tickets.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    #[allow(deprecated)]
    aws_lc_rs::constant_time::verify_slices_are_equal(a, b).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted_in_debug() {
        let s = Secret::from_slice(b"hunter2");
        assert_eq!(format!("{s:?}"), "Secret(7 bytes, redacted)");
        assert!(!format!("{s:?}").contains("hunter2"));
    }

    #[test]
    fn secrets_of_every_length_keep_their_bytes() {
        for len in [0, 1, 32, 48, 64, 200] {
            let bytes: Vec<u8> = (0..len).map(|i| i as u8 ^ 0x5a).collect();
            let from_vec = Secret::new(bytes.clone());
            let from_slice = Secret::from_slice(&bytes);
            let filled = Secret::filled(len, |out| {
                out.copy_from_slice(&bytes);
                Ok(())
            });
            for s in [&from_vec, &from_slice, &filled] {
                assert_eq!(s.expose(), &bytes[..]);
                assert_eq!(s.len(), len);
            }
            assert_eq!(from_vec.clone(), filled);
            assert_eq!(Secret::zeroed(len).expose(), vec![0; len]);
        }
        assert!(Secret::default().is_empty());
        let failed = Secret::filled(32, |_| Err(Error::Internal("test")));
        assert!(failed.is_empty());
    }

    #[test]
    fn secrets_compare_by_length_and_contents() {
        let a = Secret::from_slice(&[1; 48]);
        assert_eq!(a, Secret::from_slice(&[1; 48]));
        assert_ne!(a, Secret::from_slice(&[1; 47]));
        assert_ne!(a, Secret::from_slice(&[2; 48]));
        assert_ne!(Secret::from_slice(&[1; 80]), Secret::from_slice(&[1; 81]));
    }

    #[test]
    fn ct_eq_compares_contents_and_lengths() {
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"ab"));
    }
}
