//! Certificates and keys: PEM loading, trust anchors, and the self-signed
//! certificate the server makes when it is given none.

use std::path::{Path, PathBuf};

use ferrotls::crypto::rand::{RandomSource, SystemRandom};
use ferrotls::observe::hex;
use ferrotls::pki_types::pem::PemObject;
use ferrotls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use ferrotls::RootCertStore;

use crate::CliError;

/// The names the generated certificate is valid for.
pub const SELF_SIGNED_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// Every certificate in a PEM file, in order; at least one.
pub fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, CliError> {
    let fail = |e: &dyn std::fmt::Display| {
        CliError::Usage(format!(
            "cannot read certificates from {}: {e}",
            path.display()
        ))
    };
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| fail(&e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| fail(&e))?;
    if certs.is_empty() {
        return Err(fail(&"no CERTIFICATE sections found"));
    }
    Ok(certs)
}

/// The first private key (PKCS#8, SEC1 or PKCS#1) in a PEM file.
pub fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>, CliError> {
    PrivateKeyDer::from_pem_file(path).map_err(|e| {
        let e = match e {
            ferrotls::pki_types::pem::Error::NoItemsFound => "no private key found".to_string(),
            other => other.to_string(),
        };
        CliError::Usage(format!(
            "cannot read a private key from {}: {e}",
            path.display()
        ))
    })
}

/// Trust anchors from a PEM file (`--cafile`).
pub fn load_roots(path: &Path) -> Result<RootCertStore, CliError> {
    let mut roots = RootCertStore::empty();
    for cert in load_certs(path)? {
        roots
            .add(&cert)
            .map_err(|e| CliError::Usage(format!("{}: {e}", path.display())))?;
    }
    Ok(roots)
}

/// A freshly generated self-signed certificate and its key.
pub struct SelfSigned {
    pub cert: CertificateDer<'static>,
    pub key: PrivateKeyDer<'static>,
    pub cert_pem: String,
}

/// The key type of a generated certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyType {
    EcdsaP256,
    /// RSA 2048, for TLS 1.2 suites that sign or transport keys with RSA.
    Rsa2048,
}

/// An ECDSA P-256 certificate for localhost, 127.0.0.1 and ::1.
pub fn self_signed() -> Result<SelfSigned, CliError> {
    self_signed_with(KeyType::EcdsaP256)
}

/// A self-signed certificate for localhost, 127.0.0.1 and ::1.
pub fn self_signed_with(key_type: KeyType) -> Result<SelfSigned, CliError> {
    let fail = |e: rcgen::Error| CliError::Failed(format!("cannot generate a certificate: {e}"));
    let alg = match key_type {
        KeyType::EcdsaP256 => &rcgen::PKCS_ECDSA_P256_SHA256,
        KeyType::Rsa2048 => &rcgen::PKCS_RSA_SHA256,
    };
    let key = rcgen::KeyPair::generate_for(alg).map_err(fail)?;
    let mut params = rcgen::CertificateParams::new(SELF_SIGNED_NAMES.map(String::from).to_vec())
        .map_err(fail)?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "ferrotls self-signed localhost");
    let cert = params.self_signed(&key).map_err(fail)?;
    Ok(SelfSigned {
        cert: cert.der().clone(),
        key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        cert_pem: cert.pem(),
    })
}

/// Writes `pem` to `<temp dir>/ferrotls-<pid>-<random>/cert.pem`, for
/// clients to use as their trust anchor. The directory is made new, and
/// only we may write to it: one another local user made first (the name
/// is easy to guess) could swap the certificate clients are told to trust.
pub fn write_temp_cert(pem: &str) -> Result<PathBuf, CliError> {
    let dir = create_private_temp_dir()?;
    let path = dir.join("cert.pem");
    std::fs::write(&path, pem)
        .map_err(|e| CliError::Failed(format!("cannot write {}: {e}", path.display())))?;
    Ok(path)
}

/// A new directory in the temp dir, with a fresh random name, that the
/// current user alone can write to (mode 0700 on Unix).
fn create_private_temp_dir() -> Result<PathBuf, CliError> {
    let mut last = None;
    for _ in 0..8 {
        let mut suffix = [0u8; 8];
        SystemRandom
            .fill(&mut suffix)
            .map_err(|e| CliError::Failed(format!("no randomness for a temp dir: {e}")))?;
        let name = format!("ferrotls-{}-{}", std::process::id(), hex(&suffix));
        let dir = std::env::temp_dir().join(name);
        let mut builder = std::fs::DirBuilder::new();
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        match builder.create(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) => last = Some((dir, e)),
        }
    }
    let (dir, e) = last.ok_or(CliError::Failed("no temp dir".into()))?;
    Err(CliError::Failed(format!(
        "cannot create {}: {e}",
        dir.display()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generated_certificate_goes_to_a_new_private_directory() {
        let a = write_temp_cert("A").unwrap();
        let b = write_temp_cert("B").unwrap();
        assert_ne!(a.parent(), b.parent(), "a fresh directory each time");
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "A");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let dir = a.parent().unwrap();
            let mode = std::fs::metadata(dir).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o700);
        }
        for path in [a, b] {
            std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
        }
    }

    #[test]
    fn self_signed_round_trips_through_pem_and_is_a_trust_anchor() {
        let ss = self_signed().unwrap();
        let dir = std::env::temp_dir().join(format!("ferrotls-cli-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("cert.pem");
        std::fs::write(&path, &ss.cert_pem).unwrap();
        let certs = load_certs(&path).unwrap();
        assert_eq!(certs, std::slice::from_ref(&ss.cert));
        assert_eq!(load_roots(&path).unwrap().len(), 1);
        let err = load_key(&path).err().unwrap().to_string();
        assert!(err.contains("no private key found"), "{err}");
        let err = load_certs(&dir.join("missing.pem"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("missing.pem"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
