//! Checking the server's identity: certificate chains with `rustls-webpki`
//! against trust anchors and the server name, and the handshake signature
//! made with the certificate's key.

use core::fmt;
use core::time::Duration;
use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};

use rustls_pki_types::{
    AlgorithmIdentifier, CertificateDer, InvalidSignature, ServerName,
    SignatureVerificationAlgorithm, TrustAnchor, UnixTime,
};
use webpki::EndEntityCert;

use crate::crypto::hash::HashAlgorithm;
use crate::crypto::verify::{handshake_algorithms, CHAIN_ALGORITHMS, SUPPORTED_SCHEMES};
use crate::error::{CertificateError, Error};
use crate::msgs::enums::SignatureScheme;
use crate::msgs::handshake::DigitallySigned;

/// Trust anchors for server certificates.
#[derive(Clone, Debug, Default)]
pub struct RootCertStore {
    pub roots: Vec<TrustAnchor<'static>>,
}

impl RootCertStore {
    pub fn empty() -> Self {
        Self::default()
    }

    /// The Mozilla root program's anchors, bundled (`webpki-roots`).
    pub fn web_roots() -> Self {
        Self {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        }
    }

    /// Adds one trusted certificate.
    pub fn add(&mut self, der: &CertificateDer<'_>) -> Result<(), Error> {
        let anchor = webpki::anchor_from_trusted_cert(der)
            .map_err(|e| Error::InvalidConfig(format!("not a usable trust anchor: {e}")))?;
        self.roots.push(anchor.to_owned());
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.roots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.roots.is_empty()
    }
}

/// Decides whether the server is who the client asked for.
pub trait ServerCertVerifier: Send + Sync + fmt::Debug {
    /// Validates the chain for `server_name` at `now`.
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        now: UnixTime,
    ) -> Result<(), Error>;

    /// Checks a handshake signature made with the end-entity's key.
    fn verify_signature(
        &self,
        message: &[u8],
        end_entity: &CertificateDer<'_>,
        signed: &DigitallySigned,
        tls13: bool,
    ) -> Result<(), Error> {
        verify_signed_message(message, end_entity, signed, tls13)
    }

    /// The schemes we can check, in the order we offer them.
    fn supported_schemes(&self) -> Vec<SignatureScheme> {
        SUPPORTED_SCHEMES.to_vec()
    }
}

/// Verifies `signed` over `message` with the key of `end_entity`.
pub fn verify_signed_message(
    message: &[u8],
    end_entity: &CertificateDer<'_>,
    signed: &DigitallySigned,
    tls13: bool,
) -> Result<(), Error> {
    let cert = EndEntityCert::try_from(end_entity).map_err(|_| CertificateError::BadEncoding)?;
    let algs = handshake_algorithms(signed.scheme, tls13);
    if algs.iter().any(|alg| {
        cert.verify_signature(*alg, message, &signed.signature)
            .is_ok()
    }) {
        return Ok(());
    }
    Err(crate::error::PeerMisbehaved::BadCertificateVerifySignature.into())
}

/// The SubjectPublicKeyInfo of a certificate (for RSA key transport).
pub fn end_entity_spki(cert: &CertificateDer<'_>) -> Result<Vec<u8>, Error> {
    let cert = EndEntityCert::try_from(cert).map_err(|_| CertificateError::BadEncoding)?;
    Ok(cert.subject_public_key_info().as_ref().to_vec())
}

/// The default verifier: WebPKI path validation to one of `roots`.
///
/// Certificate signatures that verified are remembered
/// ([`WebPkiServerVerifier::remember_signatures`]), so a client meeting the
/// same chain again skips checking them; everything else about the chain is
/// checked for every handshake.
#[derive(Debug)]
pub struct WebPkiServerVerifier {
    roots: RootCertStore,
    signatures: VerifiedSignatures,
}

impl WebPkiServerVerifier {
    /// How many certificate signatures `new` remembers.
    pub const DEFAULT_REMEMBERED_SIGNATURES: usize = 1024;

    pub fn new(roots: RootCertStore) -> Self {
        Self {
            roots,
            signatures: VerifiedSignatures::new(Self::DEFAULT_REMEMBERED_SIGNATURES),
        }
    }

    /// Remembers at most `capacity` certificate signatures (0: none, every
    /// signature is checked every time).
    pub fn remember_signatures(mut self, capacity: usize) -> Self {
        self.signatures = VerifiedSignatures::new(capacity);
        self
    }

    /// How many certificate signatures are remembered now.
    pub fn remembered_signatures(&self) -> usize {
        self.signatures.len()
    }
}

impl ServerCertVerifier for WebPkiServerVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        now: UnixTime,
    ) -> Result<(), Error> {
        let cert =
            EndEntityCert::try_from(end_entity).map_err(|e| map_webpki_error(e, server_name))?;
        let remembering = self.signatures.algorithms();
        let algorithms: [&dyn SignatureVerificationAlgorithm; CHAIN_ALGORITHMS.len()] =
            core::array::from_fn(|i| &remembering[i] as &dyn SignatureVerificationAlgorithm);
        cert.verify_for_usage(
            &algorithms,
            &self.roots.roots,
            intermediates,
            now,
            webpki::KeyUsage::server_auth(),
            None,
            None,
        )
        .map_err(|e| map_webpki_error(e, server_name))?;
        cert.verify_is_valid_for_subject_name(server_name)
            .map_err(|e| map_webpki_error(e, server_name))?;
        Ok(())
    }
}

/// The key both verification caches file an entry under: SHA-256 of a
/// fixed-width `tag`, then each part prefixed with its length, so no two
/// different inputs share an encoding.
fn cache_key<'a>(tag: &[u8], parts: impl IntoIterator<Item = &'a [u8]>) -> CacheKey {
    let mut h = HashAlgorithm::Sha256.start();
    h.update(tag);
    for part in parts {
        h.update(&(part.len() as u64).to_be_bytes());
        h.update(part);
    }
    let mut key = [0; 32];
    key.copy_from_slice(&h.finish());
    key
}

/// A SHA-256 output, as `cache_key` makes it.
type CacheKey = [u8; 32];

/// Certificate signatures that verified, so the same signature by the same
/// key over the same bytes is not checked twice.
///
/// Why reuse is safe: a signature check is a pure function of (algorithm,
/// public key, signed bytes, signature) — no clock, no name, no path. A
/// remembered success changes no outcome; validity dates, names, key usage
/// and constraints are still checked by webpki for every handshake. An
/// entry is the SHA-256 of all four inputs, length-prefixed, so a false hit
/// needs a SHA-256 collision with a signature that did verify. Failures are
/// never remembered; at most `capacity` entries are kept, the oldest go
/// first.
struct VerifiedSignatures {
    capacity: usize,
    seen: Mutex<SeenSignatures>,
}

#[derive(Default)]
struct SeenSignatures {
    set: HashSet<CacheKey>,
    oldest_first: VecDeque<CacheKey>,
}

impl VerifiedSignatures {
    fn new(capacity: usize) -> Self {
        Self {
            capacity,
            seen: Mutex::default(),
        }
    }

    /// One wrapper per chain algorithm, in `CHAIN_ALGORITHMS` order.
    fn algorithms(&self) -> [RememberingAlgorithm<'_>; CHAIN_ALGORITHMS.len()] {
        core::array::from_fn(|index| RememberingAlgorithm {
            index,
            inner: CHAIN_ALGORITHMS[index],
            memo: self,
        })
    }

    fn key(algorithm: usize, public_key: &[u8], message: &[u8], signature: &[u8]) -> CacheKey {
        cache_key(
            &(algorithm as u64).to_be_bytes(),
            [public_key, message, signature],
        )
    }

    fn contains(&self, key: &CacheKey) -> bool {
        self.seen.lock().is_ok_and(|seen| seen.set.contains(key))
    }

    fn insert(&self, key: CacheKey) {
        let Ok(mut seen) = self.seen.lock() else {
            return;
        };
        if self.capacity == 0 || seen.set.contains(&key) {
            return;
        }
        while seen.set.len() >= self.capacity {
            let Some(oldest) = seen.oldest_first.pop_front() else {
                break;
            };
            seen.set.remove(&oldest);
        }
        seen.set.insert(key);
        seen.oldest_first.push_back(key);
    }

    fn len(&self) -> usize {
        self.seen.lock().map_or(0, |seen| seen.set.len())
    }
}

impl fmt::Debug for VerifiedSignatures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifiedSignatures")
            .field("capacity", &self.capacity)
            .field("len", &self.len())
            .finish()
    }
}

/// A chain algorithm that consults and fills a [`VerifiedSignatures`].
struct RememberingAlgorithm<'a> {
    /// Position in `CHAIN_ALGORITHMS`: part of every key, so a success
    /// under one algorithm never answers for another.
    index: usize,
    inner: &'static dyn SignatureVerificationAlgorithm,
    memo: &'a VerifiedSignatures,
}

impl fmt::Debug for RememberingAlgorithm<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}

impl SignatureVerificationAlgorithm for RememberingAlgorithm<'_> {
    fn verify_signature(
        &self,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), InvalidSignature> {
        if self.memo.capacity == 0 {
            return self.inner.verify_signature(public_key, message, signature);
        }
        let key = VerifiedSignatures::key(self.index, public_key, message, signature);
        if self.memo.contains(&key) {
            return Ok(());
        }
        self.inner
            .verify_signature(public_key, message, signature)?;
        self.memo.insert(key);
        Ok(())
    }

    fn public_key_alg_id(&self) -> AlgorithmIdentifier {
        self.inner.public_key_alg_id()
    }

    fn signature_alg_id(&self) -> AlgorithmIdentifier {
        self.inner.signature_alg_id()
    }

    fn fips(&self) -> bool {
        self.inner.fips()
    }
}

/// Remembers chains that verified, so a client connecting to the same
/// server again skips path validation altogether: parsing, path building,
/// names and dates (the default verifier already skips re-checking the
/// chain's signatures, see [`WebPkiServerVerifier`]). The handshake
/// signature (CertificateVerify / ServerKeyExchange) is still checked every
/// time, so the peer must still hold the certificate's key. Off unless
/// configured (`ClientConfig::verifier`): trusting a verification for a
/// while, rather than re-checking dates and names, is a policy choice.
///
/// What makes a reuse safe: an entry is keyed by the exact chain the
/// server presented and the name asked for (so only what `inner` accepted
/// can hit), and it is stored only if `inner` also accepts the chain at
/// the end of its lifetime (`ttl` from now), so a certificate expiring
/// within the window is never cached. Failures are never cached; a clock
/// set back before the entry was made misses; at most `capacity` entries
/// are kept (the oldest go first).
pub struct CachingVerifier {
    inner: Arc<dyn ServerCertVerifier>,
    ttl: Duration,
    capacity: usize,
    entries: Mutex<VecDeque<CachedChain>>,
}

struct CachedChain {
    key: CacheKey,
    /// Seconds since the epoch: the verification holds for `from..until`.
    from: u64,
    until: u64,
}

impl CachingVerifier {
    pub fn new(inner: Arc<dyn ServerCertVerifier>, ttl: Duration, capacity: usize) -> Self {
        Self {
            inner,
            ttl,
            capacity,
            entries: Mutex::new(VecDeque::new()),
        }
    }

    /// The chain as presented and the name, length-prefixed, hashed.
    fn key(
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
    ) -> CacheKey {
        // A DNS name and an IP address are told apart, not just spelt.
        let kind: &[u8] = match server_name {
            ServerName::IpAddress(_) => b"ip",
            _ => b"dn",
        };
        let name = server_name.to_str();
        let parts = core::iter::once(end_entity.as_ref())
            .chain(intermediates.iter().map(|c| c.as_ref()))
            .chain(core::iter::once(name.as_bytes()));
        cache_key(kind, parts)
    }

    fn hit(&self, key: &CacheKey, now: u64) -> bool {
        self.entries.lock().is_ok_and(|entries| {
            entries
                .iter()
                .any(|e| e.key == *key && e.from <= now && now < e.until)
        })
    }

    fn remember(&self, entry: CachedChain) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.retain(|e| e.key != entry.key);
            while entries.len() >= self.capacity.max(1) {
                entries.pop_front();
            }
            entries.push_back(entry);
        }
    }
}

impl fmt::Debug for CachingVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CachingVerifier")
            .field("inner", &self.inner)
            .field("ttl", &self.ttl)
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

impl ServerCertVerifier for CachingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        now: UnixTime,
    ) -> Result<(), Error> {
        let key = Self::key(end_entity, intermediates, server_name);
        if self.hit(&key, now.as_secs()) {
            return Ok(());
        }
        self.inner
            .verify_server_cert(end_entity, intermediates, server_name, now)?;
        let until = now.as_secs().saturating_add(self.ttl.as_secs());
        let at_end = UnixTime::since_unix_epoch(Duration::from_secs(until));
        if self
            .inner
            .verify_server_cert(end_entity, intermediates, server_name, at_end)
            .is_ok()
        {
            self.remember(CachedChain {
                key,
                from: now.as_secs(),
                until,
            });
        }
        Ok(())
    }

    fn verify_signature(
        &self,
        message: &[u8],
        end_entity: &CertificateDer<'_>,
        signed: &DigitallySigned,
        tls13: bool,
    ) -> Result<(), Error> {
        self.inner
            .verify_signature(message, end_entity, signed, tls13)
    }

    fn supported_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_schemes()
    }
}

fn map_webpki_error(e: webpki::Error, server_name: &ServerName<'_>) -> Error {
    use webpki::Error as W;
    let c = match e {
        W::UnknownIssuer => CertificateError::UnknownIssuer,
        W::CertExpired { .. } => CertificateError::Expired,
        W::CertNotValidYet { .. } => CertificateError::NotValidYet,
        W::CertRevoked => CertificateError::Revoked,
        W::CertNotValidForName(_) => CertificateError::NotValidForName {
            expected: server_name.to_str().into_owned(),
        },
        W::InvalidSignatureForPublicKey => CertificateError::BadSignature,
        W::UnsupportedSignatureAlgorithmContext(_)
        | W::UnsupportedSignatureAlgorithmForPublicKeyContext(_) => {
            CertificateError::UnsupportedSignatureAlgorithm
        }
        W::RequiredEkuNotFoundContext(_) => CertificateError::InvalidPurpose,
        W::BadDer | W::BadDerTime | W::TrailingData(_) | W::UnsupportedCertVersion => {
            CertificateError::BadEncoding
        }
        W::CaUsedAsEndEntity => CertificateError::Other(
            "the server's certificate is a CA certificate, not a server certificate".into(),
        ),
        W::EndEntityUsedAsCa => CertificateError::Other(
            "a server certificate was used to issue another certificate".into(),
        ),
        W::NameConstraintViolation => {
            CertificateError::Other("the chain violates a CA's name constraints".into())
        }
        W::PathLenConstraintViolated => {
            CertificateError::Other("the chain is longer than a CA allows".into())
        }
        W::UnsupportedCriticalExtension => {
            CertificateError::Other("the certificate has an unsupported critical extension".into())
        }
        W::MaximumPathDepthExceeded
        | W::MaximumPathBuildCallsExceeded
        | W::MaximumSignatureChecksExceeded => CertificateError::Other(
            "the certificate chain is too long or too complex to verify".into(),
        ),
        other => CertificateError::Other(format!("{other}")),
    };
    c.into()
}

/// Verifiers that turn security off, for testing only.
pub mod danger {
    use super::*;

    /// Accepts any certificate chain for any name (`--insecure`). The
    /// handshake signature is still checked against the presented
    /// certificate, so the peer must hold its key — but anyone can make a
    /// certificate, so this proves nothing about who the peer is.
    #[derive(Debug, Default)]
    pub struct NoServerVerification;

    impl ServerCertVerifier for NoServerVerification {
        fn verify_server_cert(
            &self,
            _end_entity: &CertificateDer<'_>,
            _intermediates: &[CertificateDer<'_>],
            _server_name: &ServerName<'_>,
            _now: UnixTime,
        ) -> Result<(), Error> {
            Ok(())
        }
    }
}
