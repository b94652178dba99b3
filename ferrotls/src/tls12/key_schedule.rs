//! TLS 1.2 key derivation (RFC 5246 §8.1, §6.3; RFC 7627):
//!
//! ```text
//! pre-master secret ──PRF("master secret" | "extended master secret")──▶ master secret
//! master secret ──PRF("key expansion", server_random + client_random)──▶ key block
//! key block = client write MAC key ‖ server write MAC key ‖ client write key
//!           ‖ server write key ‖ client write IV ‖ server write IV
//! ```

use crate::crypto::prf::{prf, prf_into};
use crate::crypto::Secret;
use crate::suites::Tls12CipherSuite;

pub const MASTER_SECRET_LEN: usize = 48;
/// RFC 5246 §7.4.9: verify_data is 12 bytes for every suite we implement.
pub const VERIFY_DATA_LEN: usize = 12;

/// The inputs that bind the master secret to this handshake.
pub enum MasterSecretSeed<'a> {
    /// RFC 5246 §8.1: client_random + server_random.
    Randoms {
        client: &'a [u8; 32],
        server: &'a [u8; 32],
    },
    /// RFC 7627 §4: the session hash (transcript through ClientKeyExchange).
    SessionHash(&'a [u8]),
}

/// The 48-byte master secret of a TLS 1.2 session.
pub struct MasterSecret12 {
    suite: &'static Tls12CipherSuite,
    secret: Secret,
}

impl MasterSecret12 {
    pub fn derive(
        suite: &'static Tls12CipherSuite,
        premaster: &Secret,
        seed: MasterSecretSeed<'_>,
    ) -> Self {
        let secret = match seed {
            MasterSecretSeed::Randoms { client, server } => prf(
                suite.hash,
                premaster.expose(),
                b"master secret",
                &[&client[..], &server[..]].concat(),
                MASTER_SECRET_LEN,
            ),
            MasterSecretSeed::SessionHash(hash) => prf(
                suite.hash,
                premaster.expose(),
                b"extended master secret",
                hash,
                MASTER_SECRET_LEN,
            ),
        };
        Self { suite, secret }
    }

    /// A stored master secret, for an abbreviated (resumed) handshake.
    pub fn from_stored(suite: &'static Tls12CipherSuite, secret: Secret) -> Self {
        Self { suite, secret }
    }

    pub fn secret(&self) -> &Secret {
        &self.secret
    }

    /// RFC 5246 §6.3: the key block, cut into the session keys.
    pub fn session_keys(&self, client_random: &[u8; 32], server_random: &[u8; 32]) -> SessionKeys {
        let bulk = self.suite.bulk;
        let (mac, enc, iv) = (bulk.mac_key_len(), bulk.enc_key_len(), bulk.fixed_iv_len());
        let seed = [&server_random[..], &client_random[..]].concat();
        let key_block = prf(
            self.suite.hash,
            self.secret.expose(),
            b"key expansion",
            &seed,
            2 * (mac + enc + iv),
        );
        SessionKeys {
            key_block,
            mac,
            enc,
            iv,
        }
    }

    /// RFC 5246 §7.4.9: PRF(master_secret, finished_label, Hash(handshake_messages)).
    /// Empty if the PRF failed, which no Finished matches.
    pub fn verify_data(&self, label: &[u8], handshake_hash: &[u8]) -> Vec<u8> {
        let mut verify_data = vec![0; VERIFY_DATA_LEN];
        match prf_into(
            self.suite.hash,
            self.secret.expose(),
            label,
            handshake_hash,
            &mut verify_data,
        ) {
            Ok(()) => verify_data,
            Err(_) => Vec::new(),
        }
    }
}

pub const CLIENT_FINISHED_LABEL: &[u8] = b"client finished";
pub const SERVER_FINISHED_LABEL: &[u8] = b"server finished";

/// The session keys of TLS 1.2: one MAC key, write key and IV per
/// direction. MAC keys are empty for AEAD suites (the cipher
/// authenticates), IVs are empty for CBC suites (each record carries one).
/// They are read where they lie in the key block (RFC 5246 §6.3), which
/// is kept whole.
#[derive(Debug)]
pub struct SessionKeys {
    key_block: Secret,
    mac: usize,
    enc: usize,
    iv: usize,
}

impl SessionKeys {
    /// Piece `index` of the key block: client_write_MAC_key,
    /// server_write_MAC_key, client_write_key, server_write_key,
    /// client_write_IV, server_write_IV, in that order.
    fn piece(&self, index: usize) -> &[u8] {
        let (mac, enc, iv) = (self.mac, self.enc, self.iv);
        let (start, len) = match index {
            0 | 1 => (index * mac, mac),
            2 | 3 => (2 * mac + (index - 2) * enc, enc),
            _ => (2 * (mac + enc) + (index - 4) * iv, iv),
        };
        // Empty (so keying fails) if the PRF failed and left no block.
        self.key_block
            .expose()
            .get(start..start + len)
            .unwrap_or_default()
    }

    pub fn client_write_mac_key(&self) -> &[u8] {
        self.piece(0)
    }

    pub fn server_write_mac_key(&self) -> &[u8] {
        self.piece(1)
    }

    pub fn client_write_key(&self) -> &[u8] {
        self.piece(2)
    }

    pub fn server_write_key(&self) -> &[u8] {
        self.piece(3)
    }

    pub fn client_write_iv(&self) -> &[u8] {
        self.piece(4)
    }

    pub fn server_write_iv(&self) -> &[u8] {
        self.piece(5)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suites::{ECDHE_RSA_AES128_CBC_SHA, ECDHE_RSA_AES128_GCM, ECDHE_RSA_CHACHA20};

    #[test]
    fn key_block_is_cut_in_rfc_order() {
        let pms = Secret::from_slice(&[1u8; 48]);
        let (cr, sr) = ([2u8; 32], [3u8; 32]);
        let ms = MasterSecret12::derive(
            &ECDHE_RSA_AES128_CBC_SHA,
            &pms,
            MasterSecretSeed::Randoms {
                client: &cr,
                server: &sr,
            },
        );
        let keys = ms.session_keys(&cr, &sr);
        // The key block, made independently, must be the concatenation.
        let block = prf(
            crate::crypto::hash::HashAlgorithm::Sha256,
            ms.secret().expose(),
            b"key expansion",
            &[sr, cr].concat(),
            72,
        );
        let b = block.expose();
        assert_eq!(keys.client_write_mac_key(), &b[..20]);
        assert_eq!(keys.server_write_mac_key(), &b[20..40]);
        assert_eq!(keys.client_write_key(), &b[40..56]);
        assert_eq!(keys.server_write_key(), &b[56..72]);
        assert!(keys.client_write_iv().is_empty() && keys.server_write_iv().is_empty());

        let gcm = MasterSecret12::derive(
            &ECDHE_RSA_AES128_GCM,
            &pms,
            MasterSecretSeed::SessionHash(&[9; 32]),
        );
        let keys = gcm.session_keys(&cr, &sr);
        let block = prf(
            crate::crypto::hash::HashAlgorithm::Sha256,
            gcm.secret().expose(),
            b"key expansion",
            &[sr, cr].concat(),
            40,
        );
        let pieces = [
            keys.client_write_mac_key(),
            keys.server_write_mac_key(),
            keys.client_write_key(),
            keys.server_write_key(),
            keys.client_write_iv(),
            keys.server_write_iv(),
        ];
        assert_eq!(pieces.concat(), block.expose());
        assert_eq!(keys.server_write_iv(), &block.expose()[36..40]);
        assert!(keys.client_write_mac_key().is_empty());
        assert_eq!(
            (keys.client_write_key().len(), keys.client_write_iv().len()),
            (16, 4)
        );
        let chacha = MasterSecret12::derive(
            &ECDHE_RSA_CHACHA20,
            &pms,
            MasterSecretSeed::SessionHash(&[9; 32]),
        );
        assert_eq!(chacha.session_keys(&cr, &sr).server_write_iv().len(), 12);
        // Extended and classic master secrets differ for the same pre-master.
        assert_ne!(gcm.secret(), ms.secret());
    }

    /// A PRF failure leaves no key block: every key reads as empty (so
    /// keying fails) instead of panicking or reading zeros.
    #[test]
    fn a_missing_key_block_gives_empty_keys() {
        let keys = SessionKeys {
            key_block: Secret::default(),
            mac: 20,
            enc: 16,
            iv: 4,
        };
        assert!(keys.client_write_mac_key().is_empty());
        assert!(keys.server_write_key().is_empty());
        assert!(keys.server_write_iv().is_empty());
    }
}
