//! TLS 1.2 record protection: AES-GCM (RFC 5288), ChaCha20-Poly1305
//! (RFC 7905) and AES-CBC with HMAC in encrypt-then-MAC order (RFC 7366).

use std::ops::Range;

use super::protect::{RecordDecrypter, RecordEncrypter};
use super::{header, HEADER_LEN, MAX_FRAGMENT_LEN};
use crate::crypto::aead::{AeadAlgorithm, AeadKey, NONCE_LEN, TAG_LEN};
use crate::crypto::cbc::{AesCbcKey, MacAlgorithm, MacKey, AES_BLOCK_LEN};
use crate::crypto::ct_eq;
use crate::crypto::rand::{RandomSource, SystemRandom};
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
    mac_key: &[u8],
    key: &[u8],
    iv: &[u8],
) -> Result<Box<dyn Protection12>, Error> {
    Ok(match bulk {
        Bulk12::Aead(alg) => {
            let mut fixed = [0u8; NONCE_LEN];
            fixed
                .get_mut(..iv.len())
                .ok_or(Error::Internal("TLS 1.2 IV too long"))?
                .copy_from_slice(iv);
            Box::new(Aead12 {
                alg,
                key: AeadKey::new(alg, key)?,
                iv: fixed,
            })
        }
        Bulk12::Cbc { mac, .. } => Box::new(CbcEtm {
            key: AesCbcKey::new(key)?,
            mac: MacKey::new(mac, mac_key),
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
    /// RFC 5288 §3: AES-GCM records carry an 8-byte explicit nonce;
    /// RFC 7905 §2: ChaCha20-Poly1305 records carry none.
    fn explicit_nonce_len(&self) -> usize {
        match self.alg {
            AeadAlgorithm::ChaCha20Poly1305 => 0,
            AeadAlgorithm::Aes128Gcm | AeadAlgorithm::Aes256Gcm => EXPLICIT_NONCE_LEN,
        }
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
    fn record_len(&self, plain_len: usize) -> usize {
        HEADER_LEN + self.explicit_nonce_len() + plain_len + TAG_LEN
    }

    fn encrypt_into(
        &self,
        typ: ContentType,
        plain: &[u8],
        seq: u64,
        out: &mut [u8],
    ) -> Result<(), Error> {
        let explicit_len = self.explicit_nonce_len();
        let (head, body) = split_header(out)?;
        *head = header(
            typ,
            ProtocolVersion::TLSv1_2,
            explicit_len + plain.len() + TAG_LEN,
        );
        // The explicit nonce is the sequence number: unique per key.
        let explicit = seq.to_be_bytes();
        let (explicit_out, sealed) = body.split_at_mut(explicit_len);
        explicit_out.copy_from_slice(&explicit[..explicit_len]);
        let nonce = self.nonce(seq, (explicit_len > 0).then_some(&explicit[..]));
        self.key
            .seal_into(nonce, &aad(seq, typ, plain.len()), plain, &[], sealed)
    }
}

/// What opening one TLS 1.2 AEAD record needs: the nonce, the additional
/// data, and where the sealed part starts (after any explicit nonce).
struct Opening {
    nonce: [u8; NONCE_LEN],
    aad: [u8; 13],
    sealed_at: usize,
}

impl Aead12 {
    fn opening(&self, typ: ContentType, seq: u64, payload: &[u8]) -> Result<Opening, Error> {
        let explicit_len = self.explicit_nonce_len();
        if payload.len() < explicit_len + TAG_LEN {
            return Err(Error::DecryptError);
        }
        let plain_len = payload.len() - explicit_len - TAG_LEN;
        let explicit = (explicit_len > 0).then(|| &payload[..explicit_len]);
        Ok(Opening {
            nonce: self.nonce(seq, explicit),
            aad: aad(seq, typ, plain_len),
            sealed_at: explicit_len,
        })
    }
}

impl RecordDecrypter for Aead12 {
    fn decrypt_in_place(
        &self,
        typ: ContentType,
        _version: ProtocolVersion,
        payload: &mut [u8],
        seq: u64,
    ) -> Result<(ContentType, Range<usize>), Error> {
        let o = self.opening(typ, seq, payload)?;
        let n = self
            .key
            .open(o.nonce, &o.aad, &mut payload[o.sealed_at..])?;
        check_plaintext_len(n)?;
        Ok((typ, o.sealed_at..o.sealed_at + n))
    }

    fn decrypt_into(
        &self,
        typ: ContentType,
        _version: ProtocolVersion,
        payload: &[u8],
        seq: u64,
        out: &mut [u8],
    ) -> Result<(ContentType, Range<usize>), Error> {
        let o = self.opening(typ, seq, payload)?;
        let n = self
            .key
            .open_into(o.nonce, &o.aad, &payload[o.sealed_at..], out)?;
        check_plaintext_len(n)?;
        Ok((typ, 0..n))
    }
}

/// The header and body parts of a record's output buffer.
fn split_header(out: &mut [u8]) -> Result<(&mut [u8; HEADER_LEN], &mut [u8]), Error> {
    out.split_first_chunk_mut::<HEADER_LEN>()
        .ok_or(Error::Internal("record buffer too short"))
}

/// RFC 5246 §6.2.1: a TLSPlaintext fragment is at most 2^14 bytes.
fn check_plaintext_len(len: usize) -> Result<(), Error> {
    match len > MAX_FRAGMENT_LEN {
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

    /// RFC 5246 §6.2.3.2: padding_length + 1 bytes, each padding_length,
    /// making the content a whole number of blocks.
    fn padding_len(plain_len: usize) -> usize {
        AES_BLOCK_LEN - (plain_len % AES_BLOCK_LEN)
    }
}

impl RecordEncrypter for CbcEtm {
    fn record_len(&self, plain_len: usize) -> usize {
        HEADER_LEN
            + AES_BLOCK_LEN
            + plain_len
            + Self::padding_len(plain_len)
            + self.mac_alg.output_len()
    }

    fn encrypt_into(
        &self,
        typ: ContentType,
        plain: &[u8],
        seq: u64,
        out: &mut [u8],
    ) -> Result<(), Error> {
        let pad = Self::padding_len(plain.len());
        let body_len = AES_BLOCK_LEN + plain.len() + pad;
        let (head, record) = split_header(out)?;
        *head = header(
            typ,
            ProtocolVersion::TLSv1_2,
            body_len + self.mac_alg.output_len(),
        );
        let (body, mac_out) = record.split_at_mut(body_len);
        let (iv_out, content) = body.split_at_mut(AES_BLOCK_LEN);
        let mut iv = [0u8; AES_BLOCK_LEN];
        SystemRandom.fill(&mut iv)?;
        iv_out.copy_from_slice(&iv);
        let (text, padding) = content.split_at_mut(plain.len());
        text.copy_from_slice(plain);
        padding.fill((pad - 1) as u8);
        self.key.encrypt(iv, content)?;
        mac_out.copy_from_slice(&self.mac(seq, typ, body));
        Ok(())
    }
}

impl RecordDecrypter for CbcEtm {
    fn decrypt_in_place(
        &self,
        typ: ContentType,
        _version: ProtocolVersion,
        payload: &mut [u8],
        seq: u64,
    ) -> Result<(ContentType, Range<usize>), Error> {
        let mac_len = self.mac_alg.output_len();
        let len = payload.len();
        // RFC 7366 §3: too short or not whole blocks → bad_record_mac.
        if len < AES_BLOCK_LEN * 2 + mac_len || (len - mac_len) % AES_BLOCK_LEN != 0 {
            return Err(Error::DecryptError);
        }
        let (body, their_mac) = payload.split_at_mut(len - mac_len);
        // The MAC is checked first, in constant time, over the ciphertext:
        // nothing about the plaintext or padding is revealed by failures.
        if !ct_eq(&self.mac(seq, typ, body), their_mac) {
            return Err(Error::DecryptError);
        }
        let (iv, content) = body.split_at_mut(AES_BLOCK_LEN);
        let iv: [u8; AES_BLOCK_LEN] = (&*iv)
            .try_into()
            .map_err(|_| Error::Internal("CBC IV length"))?;
        self.key.decrypt(iv, content)?;
        // RFC 5246 §6.2.3.2: every padding byte equals padding_length.
        let pad = usize::from(*content.last().ok_or(Error::DecryptError)?);
        if pad + 1 > content.len()
            || content[content.len() - pad - 1..]
                .iter()
                .any(|&b| usize::from(b) != pad)
        {
            return Err(Error::DecryptError);
        }
        let plain_len = content.len() - pad - 1;
        check_plaintext_len(plain_len)?;
        Ok((typ, AES_BLOCK_LEN..AES_BLOCK_LEN + plain_len))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Record;
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
            let mk = vec![1; b.mac_key_len()];
            let k = vec![2; b.enc_key_len()];
            let iv = vec![3; b.fixed_iv_len()];
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
                let mut out = vec![0u8; wire.len()];
                let (_, range) = p
                    .decrypt_into(
                        ContentType::ApplicationData,
                        ProtocolVersion::TLSv1_2,
                        &wire[5..],
                        5,
                        &mut out,
                    )
                    .unwrap();
                assert_eq!(out[range], plain[..], "{:?} {len} into", suite.suite);
                assert_eq!(
                    p.decrypt_into(
                        ContentType::ApplicationData,
                        ProtocolVersion::TLSv1_2,
                        &wire[5..],
                        6,
                        &mut out
                    ),
                    Err(Error::DecryptError)
                );
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
