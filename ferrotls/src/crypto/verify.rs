//! Signature verification algorithms, as `rustls-webpki` wants them: for
//! certificate chains, and for the handshake signature made with a
//! certificate's key.

use rustls_pki_types::SignatureVerificationAlgorithm;
use webpki::aws_lc_rs as algs;

use crate::msgs::enums::SignatureScheme;

/// Every algorithm a certificate in a chain may be signed with.
pub static CHAIN_ALGORITHMS: [&dyn SignatureVerificationAlgorithm; 15] = [
    algs::ECDSA_P256_SHA256,
    algs::ECDSA_P256_SHA384,
    algs::ECDSA_P384_SHA256,
    algs::ECDSA_P384_SHA384,
    algs::ECDSA_P521_SHA256,
    algs::ECDSA_P521_SHA384,
    algs::ECDSA_P521_SHA512,
    algs::ED25519,
    algs::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
    algs::RSA_PSS_2048_8192_SHA384_LEGACY_KEY,
    algs::RSA_PSS_2048_8192_SHA512_LEGACY_KEY,
    algs::RSA_PKCS1_2048_8192_SHA256,
    algs::RSA_PKCS1_2048_8192_SHA384,
    algs::RSA_PKCS1_2048_8192_SHA512,
    algs::RSA_PKCS1_3072_8192_SHA384,
];

type Algs = &'static [&'static dyn SignatureVerificationAlgorithm];

static P256_SHA256: Algs = &[algs::ECDSA_P256_SHA256];
static P384_SHA384: Algs = &[algs::ECDSA_P384_SHA384];
static P521_SHA512: Algs = &[algs::ECDSA_P521_SHA512];
static ANY_CURVE_SHA256: Algs = &[
    algs::ECDSA_P256_SHA256,
    algs::ECDSA_P384_SHA256,
    algs::ECDSA_P521_SHA256,
];
static ANY_CURVE_SHA384: Algs = &[
    algs::ECDSA_P256_SHA384,
    algs::ECDSA_P384_SHA384,
    algs::ECDSA_P521_SHA384,
];
static ED25519: Algs = &[algs::ED25519];
static PSS_SHA256: Algs = &[algs::RSA_PSS_2048_8192_SHA256_LEGACY_KEY];
static PSS_SHA384: Algs = &[algs::RSA_PSS_2048_8192_SHA384_LEGACY_KEY];
static PSS_SHA512: Algs = &[algs::RSA_PSS_2048_8192_SHA512_LEGACY_KEY];
static PKCS1_SHA256: Algs = &[algs::RSA_PKCS1_2048_8192_SHA256];
static PKCS1_SHA384: Algs = &[algs::RSA_PKCS1_2048_8192_SHA384];
static PKCS1_SHA512: Algs = &[algs::RSA_PKCS1_2048_8192_SHA512];

/// The verification algorithms a handshake signature with `scheme` may use.
/// In TLS 1.3 an ECDSA scheme fixes the curve (RFC 8446 §4.2.3); in TLS 1.2
/// it names only the hash (RFC 5246 §7.4.1.4.1), so any curve fits.
pub fn handshake_algorithms(scheme: SignatureScheme, tls13: bool) -> Algs {
    use SignatureScheme as S;
    match (scheme, tls13) {
        (S::ECDSA_NISTP256_SHA256, true) => P256_SHA256,
        (S::ECDSA_NISTP384_SHA384, true) => P384_SHA384,
        (S::ECDSA_NISTP256_SHA256, false) => ANY_CURVE_SHA256,
        (S::ECDSA_NISTP384_SHA384, false) => ANY_CURVE_SHA384,
        (S::ECDSA_NISTP521_SHA512, _) => P521_SHA512,
        (S::ED25519, _) => ED25519,
        (S::RSA_PSS_RSAE_SHA256, _) => PSS_SHA256,
        (S::RSA_PSS_RSAE_SHA384, _) => PSS_SHA384,
        (S::RSA_PSS_RSAE_SHA512, _) => PSS_SHA512,
        (S::RSA_PKCS1_SHA256, false) => PKCS1_SHA256,
        (S::RSA_PKCS1_SHA384, false) => PKCS1_SHA384,
        (S::RSA_PKCS1_SHA512, false) => PKCS1_SHA512,
        _ => &[],
    }
}

/// The schemes we can verify, in the order we offer them.
pub const SUPPORTED_SCHEMES: &[SignatureScheme] = &[
    SignatureScheme::ECDSA_NISTP256_SHA256,
    SignatureScheme::ECDSA_NISTP384_SHA384,
    SignatureScheme::ED25519,
    SignatureScheme::RSA_PSS_RSAE_SHA256,
    SignatureScheme::RSA_PSS_RSAE_SHA384,
    SignatureScheme::RSA_PSS_RSAE_SHA512,
    SignatureScheme::RSA_PKCS1_SHA256,
    SignatureScheme::RSA_PKCS1_SHA384,
    SignatureScheme::RSA_PKCS1_SHA512,
];
