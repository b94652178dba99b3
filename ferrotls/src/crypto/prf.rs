//! The TLS 1.2 PRF (RFC 5246 §5): P_SHA256 / P_SHA384, built on the HMAC
//! of aws-lc-rs.
//!
//! A master secret keys three PRF calls in a handshake (key block, two
//! Finished messages): `PrfKey` computes the HMAC key's inner and outer
//! pads once for all of them.

use aws_lc_rs::hmac;

use super::hash::HashAlgorithm;
use super::Secret;

/// The PRF keyed with one secret.
pub struct PrfKey {
    key: hmac::Key,
}

impl PrfKey {
    pub fn new(hash: HashAlgorithm, secret: &[u8]) -> Self {
        let alg = match hash {
            HashAlgorithm::Sha256 => hmac::HMAC_SHA256,
            HashAlgorithm::Sha384 => hmac::HMAC_SHA384,
        };
        Self {
            key: hmac::Key::new(alg, secret),
        }
    }

    /// PRF(secret, label, seed) into `out` (RFC 5246 §5):
    ///
    /// ```text
    /// P_hash(secret, seed) = HMAC(secret, A(1) + seed) + HMAC(secret, A(2) + seed) + ...
    /// A(0) = seed, A(i) = HMAC(secret, A(i-1)), and seed = label + seed
    /// ```
    pub fn fill(&self, label: &[u8], seed: &[&[u8]], out: &mut [u8]) {
        let hmac_of_seed = |prefix: &[u8]| {
            let mut ctx = hmac::Context::with_key(&self.key);
            ctx.update(prefix);
            ctx.update(label);
            seed.iter().for_each(|s| ctx.update(s));
            ctx.sign()
        };
        let mut a = hmac_of_seed(&[]);
        let mut chunks = out.chunks_mut(self.key.algorithm().digest_algorithm().output_len);
        while let Some(chunk) = chunks.next() {
            let block = hmac_of_seed(a.as_ref());
            chunk.copy_from_slice(&block.as_ref()[..chunk.len()]);
            if chunks.len() > 0 {
                a = hmac::sign(&self.key, a.as_ref());
            }
        }
    }

    /// PRF(secret, label, seed), `len` bytes.
    pub fn derive(&self, label: &[u8], seed: &[&[u8]], len: usize) -> Secret {
        let mut out = vec![0u8; len];
        self.fill(label, seed, &mut out);
        Secret::new(out)
    }
}

/// PRF(secret, label, seed), `len` bytes, for a secret used once.
pub fn prf(hash: HashAlgorithm, secret: &[u8], label: &[u8], seed: &[u8], len: usize) -> Secret {
    PrfKey::new(hash, secret).derive(label, &[seed], len)
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

    /// Every output length from 1 to 200 bytes, and a seed given in parts,
    /// against aws-lc's own TLS PRF.
    #[test]
    fn matches_aws_lc_tls_prf_at_every_length() {
        use aws_lc_rs::tls_prf;
        for (hash, alg) in [
            (HashAlgorithm::Sha256, &tls_prf::P_SHA256),
            (HashAlgorithm::Sha384, &tls_prf::P_SHA384),
        ] {
            let key = PrfKey::new(hash, &[0x42; 48]);
            for len in 1..=200 {
                let ours = key.derive(b"key expansion", &[&[1; 32], &[2; 32]], len);
                let theirs = tls_prf::Secret::new(alg, &[0x42; 48])
                    .and_then(|s| s.derive(b"key expansion", &[[1u8; 32], [2u8; 32]].concat(), len))
                    .unwrap();
                assert_eq!(ours.expose(), theirs.as_ref(), "{hash:?} {len}");
            }
        }
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
