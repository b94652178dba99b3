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

use zeroize::{Zeroize, Zeroizing};

/// Secrets up to this many bytes are kept inline, so deriving one
/// allocates nothing: every hash output (SHA-384's 48 bytes), traffic key,
/// IV, TLS 1.2 master secret and ECDH shared secret fits. Longer ones (a
/// TLS 1.2 key block, X25519MLKEM768's 64-byte shared secret) live on the
/// heap. At 48 a `Secret` is 56 bytes, what a 32-byte secret took as a
/// `Vec` and its allocation, so an idle connection holds no more.
const INLINE_SECRET_LEN: usize = 48;

/// Secret bytes: never printed, zeroized on drop, compared in constant time.
#[derive(Clone)]
pub struct Secret(SecretBytes);

#[derive(Clone)]
enum SecretBytes {
    Inline {
        len: u8,
        bytes: [u8; INLINE_SECRET_LEN],
    },
    Heap(Zeroizing<Vec<u8>>),
}

impl Drop for SecretBytes {
    fn drop(&mut self) {
        if let Self::Inline { bytes, .. } = self {
            bytes.zeroize();
        }
    }
}

impl Default for Secret {
    fn default() -> Self {
        Self::zeroed(0)
    }
}

impl Secret {
    /// Takes `bytes` (zeroizing the vector once they are copied inline).
    pub fn new(bytes: Vec<u8>) -> Self {
        let bytes = Zeroizing::new(bytes);
        match bytes.len() <= INLINE_SECRET_LEN {
            true => Self::from_slice(&bytes),
            false => Self(SecretBytes::Heap(bytes)),
        }
    }

    pub fn from_slice(bytes: &[u8]) -> Self {
        Self::filled(bytes.len(), |out| out.copy_from_slice(bytes))
    }

    /// `len` zero bytes.
    pub fn zeroed(len: usize) -> Self {
        match u8::try_from(len) {
            Ok(short) if len <= INLINE_SECRET_LEN => Self(SecretBytes::Inline {
                len: short,
                bytes: [0; INLINE_SECRET_LEN],
            }),
            _ => Self(SecretBytes::Heap(Zeroizing::new(vec![0; len]))),
        }
    }

    /// A secret of `len` bytes written by `fill`, in place.
    pub fn filled(len: usize, fill: impl FnOnce(&mut [u8])) -> Self {
        let mut secret = Self::zeroed(len);
        fill(secret.bytes_mut());
        secret
    }

    fn bytes_mut(&mut self) -> &mut [u8] {
        match &mut self.0 {
            SecretBytes::Inline { len, bytes } => &mut bytes[..usize::from(*len)],
            SecretBytes::Heap(bytes) => bytes,
        }
    }

    /// The secret's bytes. Callers that show them (key log, `explain`) do
    /// so only when the user asked.
    pub fn expose(&self) -> &[u8] {
        match &self.0 {
            SecretBytes::Inline { len, bytes } => &bytes[..usize::from(*len)],
            SecretBytes::Heap(bytes) => bytes,
        }
    }

    pub fn len(&self) -> usize {
        self.expose().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
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
    fn an_inline_secret_is_no_bigger_than_a_vec_and_its_bytes() {
        assert!(core::mem::size_of::<Secret>() <= 56);
    }

    #[test]
    fn secrets_of_every_length_keep_their_bytes() {
        for len in [0, 1, 32, 48, INLINE_SECRET_LEN, INLINE_SECRET_LEN + 1, 200] {
            let bytes: Vec<u8> = (0..len).map(|i| i as u8 ^ 0x5a).collect();
            let from_vec = Secret::new(bytes.clone());
            let from_slice = Secret::from_slice(&bytes);
            let filled = Secret::filled(len, |out| out.copy_from_slice(&bytes));
            for s in [&from_vec, &from_slice, &filled] {
                assert_eq!(s.expose(), &bytes[..]);
                assert_eq!(s.len(), len);
            }
            assert_eq!(from_vec.clone(), filled);
            assert_eq!(Secret::zeroed(len).expose(), vec![0; len]);
        }
        assert!(Secret::default().is_empty());
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
