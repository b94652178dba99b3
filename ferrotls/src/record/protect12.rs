//! TLS 1.2 record protection: AES-GCM (RFC 5288), ChaCha20-Poly1305
//! (RFC 7905) and AES-CBC with HMAC in encrypt-then-MAC order (RFC 7366).

use super::protect::{RecordDecrypter, RecordEncrypter};
use super::{write_header, Record, MAX_FRAGMENT_LEN};
use crate::crypto::aead::{AeadAlgorithm, AeadKey, NONCE_LEN, TAG_LEN};
use crate::crypto::cbc::{AesCbcKey, MacAlgorithm, MacKey, AES_BLOCK_LEN};
use crate::crypto::rand::{RandomSource, SystemRandom};
use crate::crypto::{ct_eq, Secret};
use crate::error::Error;
use crate::msgs::enums::{ContentType, ProtocolVersion};
use crate::suites::Bulk12;

const EXPLICIT_NONCE_LEN: usize = 8;

/// RFC 5246 §6.2.3.3: additional_data = seq_num + type + version + length.
fn aad(seq: u64, typ: ContentType, len: usize) -> [u8; 13] {
    let mut a = [0u8; 13];
    a[..8].copy_from_slice(&seq.to_be_bytes());
    a[8] = typ.to_wire();
    a[9..11].copy_from_slice(&ProtocolVersion::TLSv1_2.to_wire().to_be_bytes());
    a[11..].copy_from_slice(&(len as u16).to_be_bytes());
    a
}

/// One direction's protection, built from that direction's session keys.
pub fn protection(
    bulk: Bulk12,
    mac_key: &Secret,
    key: &Secret,
    iv: &Secret,
) -> Result<Box<dyn Protection12>, Error> {
    Ok(match bulk {
        Bulk12::Aead(alg) => {
            let mut fixed = [0u8; NONCE_LEN];
            fixed[..iv.len()].copy_from_slice(iv.expose());
            Box::new(Aead12 {
                alg,
                key: AeadKey::new(alg, key.expose())?,
                iv: fixed,
            })
        }
        Bulk12::Cbc { mac, .. } => Box::new(CbcEtm {
            key: AesCbcKey::new(key.expose())?,
            mac: MacKey::new(mac, mac_key.expose()),
            mac_alg: mac,
        }),
    })
}

/// Either direction of a TLS 1.2 record protection.
pub trait Protection12: RecordEncrypter + RecordDecrypter {
    fn into_encrypter(self: Box<Self>) -> Box<dyn RecordEncrypter>;
    fn into_decrypter(self: Box<Self>) -> Box<dyn RecordDecrypter>;
}

impl<T: RecordEncrypter + RecordDecrypter + 'static> Protection12 for T {
    fn into_encrypter(self: Box<Self>) -> Box<dyn RecordEncrypter> {
        self
    }
    fn into_decrypter(self: Box<Self>) -> Box<dyn RecordDecrypter> {
        self
    }
}

struct Aead12 {
    alg: AeadAlgorithm,
    key: AeadKey,
    iv: [u8; NONCE_LEN],
}

impl Aead12 {
    fn has_explicit_nonce(&self) -> bool {
        self.alg != AeadAlgorithm::ChaCha20Poly1305
    }

    fn nonce(&self, seq: u64, explicit: Option<&[u8]>) -> [u8; NONCE_LEN] {
        let mut nonce = self.iv;
        match explicit {
            // RFC 5288 §3: salt (4 bytes from the key block) ‖ nonce_explicit.
            Some(e) => nonce[4..].copy_from_slice(e),
            // RFC 7905 §2: the IV XORed with the padded sequence number.
            None => nonce[4..]
                .iter_mut()
                .zip(seq.to_be_bytes())
                .for_each(|(n, s)| *n ^= s),
        }
        nonce
    }
}

impl RecordEncrypter for Aead12 {
    fn encrypt(
        &self,
        typ: ContentType,
        plain: &[u8],
        seq: u64,
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        let explicit = self.has_explicit_nonce().then(|| seq.to_be_bytes());
        let explicit_len = explicit.map_or(0, |e| e.len());
        write_header(
            out,
            typ,
            ProtocolVersion::TLSv1_2,
            explicit_len + plain.len() + TAG_LEN,
        );
        // The explicit nonce is the sequence number: unique per key.
        if let Some(e) = &explicit {
            out.extend_from_slice(e);
        }
        let body = out.len();
        out.extend_from_slice(plain);
        let nonce = self.nonce(seq, explicit.as_ref().map(|e| &e[..]));
        self.key.seal(nonce, &aad(seq, typ, plain.len()), out, body)
    }
}

impl RecordDecrypter for Aead12 {
    fn decrypt(&self, record: &mut Record, seq: u64) -> Result<(), Error> {
        let explicit_len = if self.has_explicit_nonce() {
            EXPLICIT_NONCE_LEN
        } else {
            0
        };
        if record.payload.len() < explicit_len + TAG_LEN {
            return Err(Error::DecryptError);
        }
        let plain_len = record.payload.len() - explicit_len - TAG_LEN;
        let nonce = self.nonce(
            seq,
            (explicit_len > 0).then(|| &record.payload[..explicit_len]),
        );
        let n = self.key.open(
            nonce,
            &aad(seq, record.typ, plain_len),
            &mut record.payload[explicit_len..],
        )?;
        record.payload.drain(..explicit_len);
        record.payload.truncate(n);
        check_plaintext_len(record)
    }
}

/// RFC 5246 §6.2.1: a TLSPlaintext fragment is at most 2^14 bytes.
fn check_plaintext_len(record: &Record) -> Result<(), Error> {
    match record.payload.len() > MAX_FRAGMENT_LEN {
        true => Err(Error::RecordOverflow),
        false => Ok(()),
    }
}

/// AES-CBC + HMAC, encrypt-then-MAC (RFC 7366 §3): the record is
/// IV ‖ CBC(plaintext ‖ padding) ‖ MAC(seq ‖ header ‖ IV ‖ ciphertext).
struct CbcEtm {
    key: AesCbcKey,
    mac: MacKey,
    mac_alg: MacAlgorithm,
}

impl CbcEtm {
    fn mac(&self, seq: u64, typ: ContentType, iv_and_ciphertext: &[u8]) -> Vec<u8> {
        self.mac
            .sign(&[&aad(seq, typ, iv_and_ciphertext.len()), iv_and_ciphertext])
    }
}

impl RecordEncrypter for CbcEtm {
    fn encrypt(
        &self,
        typ: ContentType,
        plain: &[u8],
        seq: u64,
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        // RFC 5246 §6.2.3.2: padding_length + 1 bytes, each padding_length.
        let pad = AES_BLOCK_LEN - (plain.len() % AES_BLOCK_LEN);
        let body_len = AES_BLOCK_LEN + plain.len() + pad;
        write_header(
            out,
            typ,
            ProtocolVersion::TLSv1_2,
            body_len + self.mac_alg.output_len(),
        );
        let start = out.len();
        let mut iv = [0u8; AES_BLOCK_LEN];
        SystemRandom.fill(&mut iv)?;
        out.extend_from_slice(&iv);
        out.extend_from_slice(plain);
        out.resize(start + body_len, (pad - 1) as u8);
        self.key.encrypt(iv, &mut out[start + AES_BLOCK_LEN..])?;
        let mac = self.mac(seq, typ, &out[start..]);
        out.extend_from_slice(&mac);
        Ok(())
    }
}

impl RecordDecrypter for CbcEtm {
    fn decrypt(&self, record: &mut Record, seq: u64) -> Result<(), Error> {
        let mac_len = self.mac_alg.output_len();
        let len = record.payload.len();
        // RFC 7366 §3: too short or not whole blocks → bad_record_mac.
        if len < AES_BLOCK_LEN * 2 + mac_len || (len - mac_len) % AES_BLOCK_LEN != 0 {
            return Err(Error::DecryptError);
        }
        let (body, their_mac) = record.payload.split_at(len - mac_len);
        // The MAC is checked first, in constant time, over the ciphertext:
        // nothing about the plaintext or padding is revealed by failures.
        if !ct_eq(&self.mac(seq, record.typ, body), their_mac) {
            return Err(Error::DecryptError);
        }
        let mut iv = [0u8; AES_BLOCK_LEN];
        iv.copy_from_slice(&body[..AES_BLOCK_LEN]);
        record.payload.truncate(len - mac_len);
        record.payload.drain(..AES_BLOCK_LEN);
        self.key.decrypt(iv, &mut record.payload)?;
        // RFC 5246 §6.2.3.2: every padding byte equals padding_length.
        let pad = usize::from(*record.payload.last().ok_or(Error::DecryptError)?);
        if pad + 1 > record.payload.len()
            || record.payload[record.payload.len() - pad - 1..]
                .iter()
                .any(|&b| usize::from(b) != pad)
        {
            return Err(Error::DecryptError);
        }
        record.payload.truncate(record.payload.len() - pad - 1);
        check_plaintext_len(record)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suites::{
        ECDHE_RSA_AES128_CBC_SHA, ECDHE_RSA_AES128_GCM, ECDHE_RSA_AES256_CBC_SHA384,
        ECDHE_RSA_CHACHA20,
    };

    fn record_of(wire: &[u8]) -> Record {
        Record {
            typ: ContentType::from_wire(wire[0]),
            version: ProtocolVersion::TLSv1_2,
            payload: wire[5..].to_vec(),
        }
    }

    #[test]
    fn every_bulk_cipher_roundtrips_and_rejects_tampering() {
        for suite in [
            &ECDHE_RSA_AES128_GCM,
            &ECDHE_RSA_CHACHA20,
            &ECDHE_RSA_AES128_CBC_SHA,
            &ECDHE_RSA_AES256_CBC_SHA384,
        ] {
            let b = suite.bulk;
            let mk = Secret::from_slice(&vec![1; b.mac_key_len()]);
            let k = Secret::from_slice(&vec![2; b.enc_key_len()]);
            let iv = Secret::from_slice(&vec![3; b.fixed_iv_len()]);
            let p = protection(b, &mk, &k, &iv).unwrap();
            for len in [0usize, 1, 15, 16, 17, 1000] {
                let plain = vec![0xab; len];
                let mut wire = Vec::new();
                p.encrypt(ContentType::ApplicationData, &plain, 5, &mut wire)
                    .unwrap();
                assert_eq!(
                    usize::from(u16::from_be_bytes([wire[3], wire[4]])),
                    wire.len() - 5
                );
                let mut rec = record_of(&wire);
                p.decrypt(&mut rec, 5).unwrap();
                assert_eq!(rec.payload, plain, "{:?} {len}", suite.suite);
                // Wrong sequence number, flipped bit, wrong type: all bad_record_mac.
                assert_eq!(
                    p.decrypt(&mut record_of(&wire), 6),
                    Err(Error::DecryptError)
                );
                let mut flipped = wire.clone();
                flipped[wire.len() / 2 + 3] ^= 0x40;
                assert_eq!(
                    p.decrypt(&mut record_of(&flipped), 5),
                    Err(Error::DecryptError)
                );
                let mut retyped = record_of(&wire);
                retyped.typ = ContentType::Handshake;
                assert_eq!(p.decrypt(&mut retyped, 5), Err(Error::DecryptError));
            }
        }
    }
}
