//! The TLS 1.2 PRF (RFC 5246 §5): P_SHA256 / P_SHA384, from aws-lc-rs.

use aws_lc_rs::tls_prf;

use super::hash::HashAlgorithm;
use super::Secret;
use crate::error::Error;

/// PRF(secret, label, seed) truncated to `len` bytes (empty should aws-lc
/// fail: see `Secret::filled`).
pub fn prf(hash: HashAlgorithm, secret: &[u8], label: &[u8], seed: &[u8], len: usize) -> Secret {
    Secret::filled(len, |out| prf_into(hash, secret, label, seed, out))
}

/// PRF(secret, label, seed) into `out`, as many bytes as it holds. On an
/// error `out` must not be used.
pub fn prf_into(
    hash: HashAlgorithm,
    secret: &[u8],
    label: &[u8],
    seed: &[u8],
    out: &mut [u8],
) -> Result<(), Error> {
    let alg = match hash {
        HashAlgorithm::Sha256 => &tls_prf::P_SHA256,
        HashAlgorithm::Sha384 => &tls_prf::P_SHA384,
    };
    // aws-lc refuses only empty outputs and unknown digests; neither
    // happens for the fixed lengths TLS asks for.
    let derived = tls_prf::Secret::new(alg, secret).and_then(|s| s.derive(label, seed, out.len()));
    match derived {
        Ok(derived) if derived.as_ref().len() == out.len() => {
            out.copy_from_slice(derived.as_ref());
            Ok(())
        }
        _ => Err(Error::Internal("TLS PRF failed")),
    }
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

    /// The P_SHA256 vector posted to the IETF TLS list (msg03416).
    #[test]
    fn p_sha256_vector() {
        let out = prf(
            HashAlgorithm::Sha256,
            &unhex("9bbe436ba940f017b17652849a71db35"),
            b"test label",
            &unhex("a0ba9f936cda311827a6f796ffd5198c"),
            100,
        );
        assert_eq!(
            out.expose(),
            unhex(concat!(
                "e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a",
                "6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab",
                "4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff701",
                "87347b66"
            ))
        );
    }

    /// The P_SHA384 vector from the same post.
    #[test]
    fn p_sha384_vector() {
        let out = prf(
            HashAlgorithm::Sha384,
            &unhex("b80b733d6ceefcdc71566ea48e5567df"),
            b"test label",
            &unhex("cd665cf6a8447dd6ff8b27555edb7465"),
            148,
        );
        assert_eq!(
            out.expose(),
            unhex(concat!(
                "7b0c18e9ced410ed1804f2cfa34a336a1c14dffb4900bb5fd7942107e81c83cd",
                "e9ca0faa60be9fe34f82b1233c9146a0e534cb400fed2700884f9dc236f80edd",
                "8bfa961144c9e8d792eca722a7b32fc3d416d473ebc2c5fd4abfdad05d918425",
                "9b5bf8cd4d90fa0d31e2dec479e4f1a26066f2eea9a69236a3e52655c9e9aee6",
                "91c8f3a26854308d5eaa3be85e0990703d73e56f"
            ))
        );
    }
}
