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

/// Secret bytes: never printed, zeroized on drop, compared in constant time.
#[derive(Clone, Default)]
pub struct Secret(Zeroizing<Vec<u8>>);

impl Secret {
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(Zeroizing::new(bytes))
    }

    pub fn from_slice(bytes: &[u8]) -> Self {
        Self::new(bytes.to_vec())
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
        write!(f, "Secret({} bytes, redacted)", self.0.len())
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        ct_eq(&self.0, &other.0)
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
    fn ct_eq_compares_contents_and_lengths() {
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"ab"));
    }
}
