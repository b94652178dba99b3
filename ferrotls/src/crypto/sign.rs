//! Signing with the certificate's private key (CertificateVerify in 1.3,
//! ServerKeyExchange in 1.2).

use core::fmt;
use std::sync::Arc;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, EcdsaKeyPair, Ed25519KeyPair, RsaKeyPair};
use rustls_pki_types::PrivateKeyDer;

use crate::error::Error;
use crate::msgs::enums::SignatureScheme;

/// A private key that can sign handshakes. Implement it to keep the key
/// elsewhere (an HSM, a key server).
pub trait SigningKey: Send + Sync + fmt::Debug {
    /// Our preferred scheme among `offered`, or `None`.
    fn choose_scheme(&self, offered: &[SignatureScheme]) -> Option<SignatureScheme>;
    /// Signs `message` with `scheme`, which `choose_scheme` returned.
    fn sign(&self, scheme: SignatureScheme, message: &[u8]) -> Result<Vec<u8>, Error>;
    /// A short description of the key, e.g. "ECDSA P-256".
    fn describe(&self) -> String;
}

/// Loads a PKCS#8, SEC1 or PKCS#1 private key (ECDSA P-256/P-384, Ed25519, RSA).
pub fn load_private_key(der: &PrivateKeyDer<'_>) -> Result<Arc<dyn SigningKey>, Error> {
    let bytes = der.secret_der();
    let ecdsa = |alg, scheme, name| {
        let pair = match der {
            PrivateKeyDer::Pkcs8(_) => EcdsaKeyPair::from_pkcs8(alg, bytes).ok(),
            PrivateKeyDer::Sec1(_) => EcdsaKeyPair::from_private_key_der(alg, bytes).ok(),
            _ => None,
        };
        pair.map(|pair| Arc::new(EcdsaKey { pair, scheme, name }) as Arc<dyn SigningKey>)
    };
    if let Some(k) = ecdsa(
        &signature::ECDSA_P256_SHA256_ASN1_SIGNING,
        SignatureScheme::ECDSA_NISTP256_SHA256,
        "ECDSA P-256",
    ) {
        return Ok(k);
    }
    if let Some(k) = ecdsa(
        &signature::ECDSA_P384_SHA384_ASN1_SIGNING,
        SignatureScheme::ECDSA_NISTP384_SHA384,
        "ECDSA P-384",
    ) {
        return Ok(k);
    }
    if let PrivateKeyDer::Pkcs8(_) = der {
        if let Ok(pair) = Ed25519KeyPair::from_pkcs8_maybe_unchecked(bytes) {
            return Ok(Arc::new(Ed25519Key(pair)));
        }
    }
    let rsa = match der {
        PrivateKeyDer::Pkcs8(_) => RsaKeyPair::from_pkcs8(bytes).ok(),
        PrivateKeyDer::Pkcs1(_) => RsaKeyPair::from_der(bytes).ok(),
        _ => None,
    };
    match rsa {
        Some(pair) => Ok(Arc::new(RsaKey(pair))),
        None => Err(Error::InvalidConfig(
            "private key is not a supported ECDSA P-256/P-384, Ed25519 or RSA key".into(),
        )),
    }
}

fn sign_failed<E>(_: E) -> Error {
    Error::Internal("signing failed")
}

struct EcdsaKey {
    pair: EcdsaKeyPair,
    scheme: SignatureScheme,
    name: &'static str,
}

impl SigningKey for EcdsaKey {
    fn choose_scheme(&self, offered: &[SignatureScheme]) -> Option<SignatureScheme> {
        offered.contains(&self.scheme).then_some(self.scheme)
    }

    fn sign(&self, _scheme: SignatureScheme, message: &[u8]) -> Result<Vec<u8>, Error> {
        let sig = self
            .pair
            .sign(&SystemRandom::new(), message)
            .map_err(sign_failed)?;
        Ok(sig.as_ref().to_vec())
    }

    fn describe(&self) -> String {
        self.name.into()
    }
}

impl fmt::Debug for EcdsaKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningKey({})", self.name)
    }
}

struct Ed25519Key(Ed25519KeyPair);

impl SigningKey for Ed25519Key {
    fn choose_scheme(&self, offered: &[SignatureScheme]) -> Option<SignatureScheme> {
        offered
            .contains(&SignatureScheme::ED25519)
            .then_some(SignatureScheme::ED25519)
    }

    fn sign(&self, _scheme: SignatureScheme, message: &[u8]) -> Result<Vec<u8>, Error> {
        Ok(self
            .0
            .try_sign(message)
            .map_err(sign_failed)?
            .as_ref()
            .to_vec())
    }

    fn describe(&self) -> String {
        "Ed25519".into()
    }
}

impl fmt::Debug for Ed25519Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningKey(Ed25519)")
    }
}

struct RsaKey(RsaKeyPair);

/// Our preference for RSA keys: PSS first, PKCS#1 v1.5 (TLS 1.2 only) last.
const RSA_SCHEMES: &[SignatureScheme] = &[
    SignatureScheme::RSA_PSS_RSAE_SHA256,
    SignatureScheme::RSA_PSS_RSAE_SHA384,
    SignatureScheme::RSA_PSS_RSAE_SHA512,
    SignatureScheme::RSA_PKCS1_SHA256,
    SignatureScheme::RSA_PKCS1_SHA384,
    SignatureScheme::RSA_PKCS1_SHA512,
];

impl SigningKey for RsaKey {
    fn choose_scheme(&self, offered: &[SignatureScheme]) -> Option<SignatureScheme> {
        RSA_SCHEMES.iter().copied().find(|s| offered.contains(s))
    }

    fn sign(&self, scheme: SignatureScheme, message: &[u8]) -> Result<Vec<u8>, Error> {
        let padding: &'static dyn signature::RsaEncoding = match scheme {
            SignatureScheme::RSA_PSS_RSAE_SHA256 => &signature::RSA_PSS_SHA256,
            SignatureScheme::RSA_PSS_RSAE_SHA384 => &signature::RSA_PSS_SHA384,
            SignatureScheme::RSA_PSS_RSAE_SHA512 => &signature::RSA_PSS_SHA512,
            SignatureScheme::RSA_PKCS1_SHA256 => &signature::RSA_PKCS1_SHA256,
            SignatureScheme::RSA_PKCS1_SHA384 => &signature::RSA_PKCS1_SHA384,
            SignatureScheme::RSA_PKCS1_SHA512 => &signature::RSA_PKCS1_SHA512,
            _ => return Err(Error::Internal("RSA key asked for a non-RSA scheme")),
        };
        let mut sig = vec![0u8; self.0.public_modulus_len()];
        self.0
            .sign(padding, &SystemRandom::new(), message, &mut sig)
            .map_err(sign_failed)?;
        Ok(sig)
    }

    fn describe(&self) -> String {
        format!("RSA-{}", self.0.public_modulus_len() * 8)
    }
}

impl fmt::Debug for RsaKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningKey({})", self.describe())
    }
}
