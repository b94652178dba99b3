//! HMAC and HKDF (RFC 5869), on top of aws-lc-rs.
//!
//! HKDF-Extract is HMAC(salt, IKM) (RFC 5869 §2.2); we compute it with
//! the HMAC primitive so the resulting secret can be shown by `explain`.
//! HKDF-Expand is aws-lc-rs's own.

use aws_lc_rs::{hkdf, hmac};

use super::hash::HashAlgorithm;
use super::Secret;
use crate::error::Error;

fn hmac_alg(alg: HashAlgorithm) -> hmac::Algorithm {
    match alg {
        HashAlgorithm::Sha256 => hmac::HMAC_SHA256,
        HashAlgorithm::Sha384 => hmac::HMAC_SHA384,
    }
}

fn hkdf_alg(alg: HashAlgorithm) -> hkdf::Algorithm {
    match alg {
        HashAlgorithm::Sha256 => hkdf::HKDF_SHA256,
        HashAlgorithm::Sha384 => hkdf::HKDF_SHA384,
    }
}

/// HMAC-Hash(key, concatenation of `parts`).
pub fn hmac(alg: HashAlgorithm, key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    hmac_tag(alg, key, parts).as_ref().to_vec()
}

fn hmac_tag(alg: HashAlgorithm, key: &[u8], parts: &[&[u8]]) -> hmac::Tag {
    let key = hmac::Key::new(hmac_alg(alg), key);
    let mut ctx = hmac::Context::with_key(&key);
    for p in parts {
        ctx.update(p);
    }
    ctx.sign()
}

/// HKDF-Extract(salt, IKM) (RFC 5869 §2.2).
pub fn extract(alg: HashAlgorithm, salt: &[u8], ikm: &[u8]) -> Secret {
    Secret::from_slice(hmac_tag(alg, salt, &[ikm]).as_ref())
}

struct Len(usize);

impl hkdf::KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

/// HKDF-Expand(PRK, info, L) (RFC 5869 §2.3), `info` given in parts
/// (empty should it fail: see `Secret::filled`).
pub fn expand(alg: HashAlgorithm, prk: &[u8], info: &[&[u8]], len: usize) -> Secret {
    Secret::filled(len, |out| expand_into(alg, prk, info, out))
}

/// HKDF-Expand into `out` (L = its length), for output used on the spot:
/// a write IV, or a key the caller wipes. On an error `out` must not be used.
pub fn expand_into(
    alg: HashAlgorithm,
    prk: &[u8],
    info: &[&[u8]],
    out: &mut [u8],
) -> Result<(), Error> {
    let prk = hkdf::Prk::new_less_safe(hkdf_alg(alg), prk);
    // Only fails when L > 255 * HashLen, which our callers never ask for.
    prk.expand(info, Len(out.len()))
        .and_then(|okm| okm.fill(out))
        .map_err(|_| Error::Internal("HKDF-Expand failed"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// RFC 5869 Appendix A.1, test case 1.
    #[test]
    fn rfc5869_case1() {
        let ikm = [0x0bu8; 22];
        let salt = unhex("000102030405060708090a0b0c");
        let info = unhex("f0f1f2f3f4f5f6f7f8f9");
        let prk = extract(HashAlgorithm::Sha256, &salt, &ikm);
        assert_eq!(
            prk.expose(),
            unhex("077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5")
        );
        let okm = expand(HashAlgorithm::Sha256, prk.expose(), &[&info], 42);
        assert_eq!(
            okm.expose(),
            unhex("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865")
        );
    }
}
