//! RSA key transport (TLS_RSA_WITH_*): the client encrypts the pre-master
//! secret to the server's certificate key with PKCS#1 v1.5 (RFC 5246
//! §7.4.7.1).

use core::fmt;

use aws_lc_rs::rsa::{
    Pkcs1PrivateDecryptingKey, Pkcs1PublicEncryptingKey, PrivateDecryptingKey, PublicEncryptingKey,
};
use rustls_pki_types::PrivateKeyDer;

use zeroize::Zeroize;

use super::{ct_eq, Secret};
use crate::error::{CertificateError, Error};

pub const PREMASTER_LEN: usize = 48;

/// Encrypts `premaster` to the RSA key in `spki` (a SubjectPublicKeyInfo).
pub fn encrypt_premaster(spki: &[u8], premaster: &[u8]) -> Result<Vec<u8>, Error> {
    let not_rsa = || CertificateError::Other("the certificate's key is not an RSA key".into());
    let key = PublicEncryptingKey::from_der(spki).map_err(|_| not_rsa())?;
    let key = Pkcs1PublicEncryptingKey::new(key).map_err(|_| not_rsa())?;
    let mut out = vec![0u8; key.ciphertext_size()];
    let n = key
        .encrypt(premaster, &mut out)
        .map_err(|_| Error::Internal("RSA encryption failed"))?
        .len();
    out.truncate(n);
    Ok(out)
}

/// A server's RSA key, able to decrypt pre-master secrets.
pub struct RsaPremasterKey(Pkcs1PrivateDecryptingKey);

impl RsaPremasterKey {
    /// `None` unless `der` is an RSA key in PKCS#8.
    pub fn from_der(der: &PrivateKeyDer<'_>) -> Option<Self> {
        let PrivateKeyDer::Pkcs8(pkcs8) = der else {
            return None;
        };
        let key = PrivateDecryptingKey::from_pkcs8(pkcs8.secret_pkcs8_der()).ok()?;
        Pkcs1PrivateDecryptingKey::new(key).ok().map(Self)
    }

    /// RFC 5246 §7.4.7.1: decrypts the EncryptedPreMasterSecret. Whatever
    /// fails — padding, length or the version in its first two bytes — the
    /// handshake continues with `fallback` (random bytes the caller drew
    /// beforehand), so every failure surfaces at the same point: a
    /// Finished that does not verify.
    pub fn decrypt_premaster(
        &self,
        ciphertext: &[u8],
        client_version: u16,
        fallback: [u8; PREMASTER_LEN],
    ) -> Secret {
        let mut buf = vec![0u8; self.0.min_output_size().max(PREMASTER_LEN)];
        let decrypted = self.0.decrypt(ciphertext, &mut buf).ok().map(|p| p.len());
        let version = client_version.to_be_bytes();
        // RFC 5246 §7.4.7.1: both checks always run, and the version is
        // compared in constant time (no early exit on its first byte).
        let good = (decrypted == Some(PREMASTER_LEN)) & ct_eq(&buf[..2], &version);
        // Select without branching on the secret's contents.
        let mask = 0u8.wrapping_sub(u8::from(good));
        let mut out = [0u8; PREMASTER_LEN];
        for (i, o) in out.iter_mut().enumerate() {
            *o = (buf[i] & mask) | (fallback[i] & !mask);
        }
        let secret = Secret::from_slice(&out);
        // Zeroize (not a plain loop the optimizer may drop as dead stores).
        out.zeroize();
        buf.zeroize();
        secret
    }
}

impl fmt::Debug for RsaPremasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RsaPremasterKey(redacted)")
    }
}
