//! Key exchange, shaped as a KEM (DESIGN.md): the client `start`s a share,
//! the server `encapsulate`s to it (for ECDH its "ciphertext" is its own
//! ephemeral public key), the client `decapsulate`s the server's reply.
//! TLS 1.2's ECDHE, where the server speaks first, uses `start` and
//! `decapsulate` on both sides.

use aws_lc_rs::{agreement, kem};

use super::Secret;
use crate::error::{Error, PeerMisbehaved};
use crate::msgs::enums::NamedGroup;

/// A key exchange group we implement.
pub trait KxGroup: Send + Sync {
    fn name(&self) -> NamedGroup;
    /// Generates an ephemeral key pair; its public half is our share.
    fn start(&self) -> Result<Box<dyn KxShare>, Error>;
    /// Server side of TLS 1.3: answers a client share with our share and the
    /// shared secret.
    fn encapsulate(&self, client_share: &[u8]) -> Result<(Vec<u8>, Secret), Error>;
}

/// An ephemeral private key waiting for the peer's share.
pub trait KxShare: Send + Sync {
    fn group(&self) -> NamedGroup;
    fn public(&self) -> &[u8];
    fn decapsulate(self: Box<Self>, peer_share: &[u8]) -> Result<Secret, Error>;
}

/// The groups ferrotls implements, in our default preference order.
pub static ALL_GROUPS: &[&dyn KxGroup] = &[&X25519_MLKEM768, &X25519, &SECP256R1, &SECP384R1];

/// Looks a group up by its code point.
pub fn group(name: NamedGroup) -> Option<&'static dyn KxGroup> {
    ALL_GROUPS.iter().copied().find(|g| g.name() == name)
}

fn invalid_share() -> Error {
    PeerMisbehaved::InvalidKeyShare.into()
}

#[derive(Clone, Copy)]
pub struct Ecdh {
    name: NamedGroup,
    alg: &'static agreement::Algorithm,
    public_len: usize,
}

pub static X25519: Ecdh = Ecdh {
    name: NamedGroup::X25519,
    alg: &agreement::X25519,
    public_len: 32,
};
pub static SECP256R1: Ecdh = Ecdh {
    name: NamedGroup::secp256r1,
    alg: &agreement::ECDH_P256,
    public_len: 65,
};
pub static SECP384R1: Ecdh = Ecdh {
    name: NamedGroup::secp384r1,
    alg: &agreement::ECDH_P384,
    public_len: 97,
};

impl Ecdh {
    /// RFC 8446 §4.2.8.2: NIST curves use the uncompressed point form only;
    /// X25519 public keys are 32 bytes (§4.2.8.2 / RFC 7748).
    fn check_share(&self, share: &[u8]) -> Result<(), Error> {
        let uncompressed = self.name == NamedGroup::X25519 || share.first() == Some(&4);
        match share.len() == self.public_len && uncompressed {
            true => Ok(()),
            false => Err(invalid_share()),
        }
    }
}

struct EcdhShare {
    group: Ecdh,
    private: agreement::PrivateKey,
    public: Vec<u8>,
}

impl EcdhShare {
    fn new(group: Ecdh) -> Result<Self, Error> {
        let private = agreement::PrivateKey::generate(group.alg)
            .map_err(|_| Error::Internal("key generation failed"))?;
        let public = private
            .compute_public_key()
            .map_err(|_| Error::Internal("key generation failed"))?
            .as_ref()
            .to_vec();
        Ok(Self {
            group,
            private,
            public,
        })
    }

    fn agree(&self, peer: &[u8]) -> Result<Secret, Error> {
        self.group.check_share(peer)?;
        let peer = agreement::UnparsedPublicKey::new(self.group.alg, peer);
        // RFC 8446 §7.4.2: an all-zero X25519 result is refused by aws-lc.
        agreement::agree(&self.private, peer, invalid_share(), |secret| {
            Ok(Secret::from_slice(secret))
        })
    }
}

impl KxGroup for Ecdh {
    fn name(&self) -> NamedGroup {
        self.name
    }

    fn start(&self) -> Result<Box<dyn KxShare>, Error> {
        Ok(Box::new(EcdhShare::new(*self)?))
    }

    fn encapsulate(&self, client_share: &[u8]) -> Result<(Vec<u8>, Secret), Error> {
        let ours = EcdhShare::new(*self)?;
        let secret = ours.agree(client_share)?;
        Ok((ours.public.clone(), secret))
    }
}

impl KxShare for EcdhShare {
    fn group(&self) -> NamedGroup {
        self.group.name
    }

    fn public(&self) -> &[u8] {
        &self.public
    }

    fn decapsulate(self: Box<Self>, peer_share: &[u8]) -> Result<Secret, Error> {
        self.agree(peer_share)
    }
}

/// X25519MLKEM768 (draft-ietf-tls-ecdhe-mlkem): shares and secrets are the
/// ML-KEM-768 part followed by the X25519 part.
pub struct HybridX25519MlKem768;

pub static X25519_MLKEM768: HybridX25519MlKem768 = HybridX25519MlKem768;

const MLKEM768_ENCAPS_KEY_LEN: usize = 1184;
const MLKEM768_CIPHERTEXT_LEN: usize = 1088;

struct HybridShare {
    mlkem: kem::DecapsulationKey,
    x25519: EcdhShare,
    public: Vec<u8>,
}

impl KxGroup for HybridX25519MlKem768 {
    fn name(&self) -> NamedGroup {
        NamedGroup::X25519MLKEM768
    }

    fn start(&self) -> Result<Box<dyn KxShare>, Error> {
        let fail = |_| Error::Internal("ML-KEM key generation failed");
        let mlkem = kem::DecapsulationKey::generate(&kem::ML_KEM_768).map_err(fail)?;
        let encaps = mlkem
            .encapsulation_key()
            .map_err(fail)?
            .key_bytes()
            .map_err(fail)?;
        let x25519 = EcdhShare::new(X25519)?;
        let mut public = encaps.as_ref().to_vec();
        public.extend_from_slice(&x25519.public);
        Ok(Box::new(HybridShare {
            mlkem,
            x25519,
            public,
        }))
    }

    fn encapsulate(&self, client_share: &[u8]) -> Result<(Vec<u8>, Secret), Error> {
        if client_share.len() != MLKEM768_ENCAPS_KEY_LEN + 32 {
            return Err(invalid_share());
        }
        let (encaps, x25519_peer) = client_share.split_at(MLKEM768_ENCAPS_KEY_LEN);
        let encaps =
            kem::EncapsulationKey::new(&kem::ML_KEM_768, encaps).map_err(|_| invalid_share())?;
        let (ciphertext, mlkem_secret) = encaps.encapsulate().map_err(|_| invalid_share())?;
        let x25519 = EcdhShare::new(X25519)?;
        let x25519_secret = x25519.agree(x25519_peer)?;
        let mut share = ciphertext.as_ref().to_vec();
        share.extend_from_slice(&x25519.public);
        Ok((share, concat_secrets(mlkem_secret.as_ref(), &x25519_secret)))
    }
}

impl KxShare for HybridShare {
    fn group(&self) -> NamedGroup {
        NamedGroup::X25519MLKEM768
    }

    fn public(&self) -> &[u8] {
        &self.public
    }

    fn decapsulate(self: Box<Self>, peer_share: &[u8]) -> Result<Secret, Error> {
        if peer_share.len() != MLKEM768_CIPHERTEXT_LEN + 32 {
            return Err(invalid_share());
        }
        let (ciphertext, x25519_peer) = peer_share.split_at(MLKEM768_CIPHERTEXT_LEN);
        let mlkem_secret = self
            .mlkem
            .decapsulate(ciphertext.into())
            .map_err(|_| invalid_share())?;
        let x25519_secret = self.x25519.agree(x25519_peer)?;
        Ok(concat_secrets(mlkem_secret.as_ref(), &x25519_secret))
    }
}

fn concat_secrets(first: &[u8], second: &Secret) -> Secret {
    Secret::filled(first.len() + second.len(), |out| {
        let (head, tail) = out.split_at_mut(first.len());
        head.copy_from_slice(first);
        tail.copy_from_slice(second.expose());
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_group_agrees_with_itself() {
        for g in ALL_GROUPS {
            let client = g.start().unwrap();
            let (server_share, server_secret) = g.encapsulate(client.public()).unwrap();
            let client_secret = client.decapsulate(&server_share).unwrap();
            assert_eq!(client_secret, server_secret, "{:?}", g.name());
            assert!(!client_secret.is_empty());
        }
    }

    #[test]
    fn bad_shares_are_illegal_parameters() {
        for g in ALL_GROUPS {
            let err = g.encapsulate(&[4u8; 3]).err().unwrap();
            assert_eq!(err, Error::PeerMisbehaved(PeerMisbehaved::InvalidKeyShare));
            let client = g.start().unwrap();
            assert!(client.decapsulate(&[]).is_err());
        }
    }

    #[test]
    fn x25519_zero_point_is_refused() {
        let client = X25519.start().unwrap();
        assert!(client.decapsulate(&[0u8; 32]).is_err());
    }
}
