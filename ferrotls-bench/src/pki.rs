//! A throwaway PKI per key type — CA → intermediate → leaf for
//! "localhost" — generated with rcgen when the benchmarks start.

use std::fmt;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};

use ferrotls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// The server certificate's key type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyType {
    EcdsaP256,
    Rsa2048,
}

impl KeyType {
    fn generate(self) -> Result<KeyPair, String> {
        match self {
            Self::EcdsaP256 => KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256),
            Self::Rsa2048 => {
                KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)
            }
        }
        .map_err(|e| format!("generating a {self} key: {e}"))
    }
}

impl fmt::Display for KeyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::EcdsaP256 => "ECDSA-P256",
            Self::Rsa2048 => "RSA-2048",
        })
    }
}

/// The name in the leaf certificate, and the one clients ask for.
pub const SERVER_NAME: &str = "localhost";

/// A CA certificate, and the server's chain (leaf, intermediate) and key.
pub struct Pki {
    pub key_type: KeyType,
    pub ca: CertificateDer<'static>,
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
}

impl Pki {
    pub fn generate(key_type: KeyType) -> Result<Self, String> {
        let err = |what: &str, e: rcgen::Error| format!("{key_type} {what}: {e}");
        let ca_name = format!("ferrotls-bench CA {key_type}");

        let mut ca_params =
            CertificateParams::new(Vec::<String>::new()).map_err(|e| err("CA", e))?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        ca_params
            .distinguished_name
            .push(DnType::CommonName, ca_name.as_str());
        let ca = CertifiedIssuer::self_signed(ca_params, key_type.generate()?)
            .map_err(|e| err("CA", e))?;

        let mut int_params =
            CertificateParams::new(Vec::<String>::new()).map_err(|e| err("intermediate", e))?;
        int_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        int_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        int_params.distinguished_name.push(
            DnType::CommonName,
            format!("{ca_name} intermediate").as_str(),
        );
        let intermediate = CertifiedIssuer::signed_by(int_params, key_type.generate()?, &ca)
            .map_err(|e| err("intermediate", e))?;

        let leaf_key = key_type.generate()?;
        let mut leaf_params =
            CertificateParams::new(vec![SERVER_NAME.to_string()]).map_err(|e| err("leaf", e))?;
        leaf_params
            .distinguished_name
            .push(DnType::CommonName, SERVER_NAME);
        let leaf = leaf_params
            .signed_by(&leaf_key, &intermediate)
            .map_err(|e| err("leaf", e))?;

        Ok(Self {
            key_type,
            ca: ca.der().clone(),
            chain: vec![leaf.der().clone(), intermediate.der().clone()],
            key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
        })
    }
}
