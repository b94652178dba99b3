//! Record protection: one encrypter per sending direction, one decrypter per
//! receiving direction, each with its own sequence number.

use std::ops::Range;

use super::{header, Record, HEADER_LEN, MAX_FRAGMENT_LEN};
use crate::crypto::aead::{AeadKey, NONCE_LEN, TAG_LEN};
use crate::error::{Error, PeerMisbehaved};
use crate::msgs::enums::{ContentType, ProtocolVersion};

/// Protects outgoing records.
pub trait RecordEncrypter: Send + Sync {
    /// The length of the protected record (header included) that carries
    /// `plain_len` bytes of content.
    fn record_len(&self, plain_len: usize) -> usize;

    /// Writes one protected record (header included) carrying `plain` of
    /// type `typ`, protected with sequence number `seq`, into `out`, which
    /// is exactly `record_len(plain.len())` bytes.
    fn encrypt_into(
        &self,
        typ: ContentType,
        plain: &[u8],
        seq: u64,
        out: &mut [u8],
    ) -> Result<(), Error>;

    /// Appends one protected record to `out`.
    fn encrypt(
        &self,
        typ: ContentType,
        plain: &[u8],
        seq: u64,
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        let start = out.len();
        out.resize(start + self.record_len(plain.len()), 0);
        self.encrypt_into(typ, plain, seq, &mut out[start..])
    }
}

/// Removes protection from incoming records.
pub trait RecordDecrypter: Send + Sync {
    /// Decrypts and authenticates in place the fragment `payload` of a
    /// record whose header carried `typ` and `version`. Returns the real
    /// content type and where the plaintext now lies within `payload`.
    fn decrypt_in_place(
        &self,
        typ: ContentType,
        version: ProtocolVersion,
        payload: &mut [u8],
        seq: u64,
    ) -> Result<(ContentType, Range<usize>), Error>;

    /// As `decrypt_in_place`, but the plaintext goes into `out` (at least
    /// `payload.len()` bytes) and `payload` is left as it was; the range is
    /// within `out`. AEADs decrypt straight into `out`; others copy first.
    fn decrypt_into(
        &self,
        typ: ContentType,
        version: ProtocolVersion,
        payload: &[u8],
        seq: u64,
        out: &mut [u8],
    ) -> Result<(ContentType, Range<usize>), Error> {
        let out = out
            .get_mut(..payload.len())
            .ok_or(Error::Internal("plaintext buffer too short"))?;
        out.copy_from_slice(payload);
        self.decrypt_in_place(typ, version, out, seq)
    }

    /// Decrypts `record` (payload becomes the plaintext, typ the real
    /// content type).
    fn decrypt(&self, record: &mut Record, seq: u64) -> Result<(), Error> {
        let (typ, plain) =
            self.decrypt_in_place(record.typ, record.version, &mut record.payload, seq)?;
        record.payload.truncate(plain.end);
        record.payload.drain(..plain.start);
        record.typ = typ;
        Ok(())
    }
}

/// RFC 8446 §5.3: the per-record nonce is the IV XORed with the sequence
/// number, left-padded to the IV length.
pub fn tls13_nonce(iv: &[u8; NONCE_LEN], seq: u64) -> [u8; NONCE_LEN] {
    let mut nonce = *iv;
    for (n, s) in nonce[NONCE_LEN - 8..].iter_mut().zip(seq.to_be_bytes()) {
        *n ^= s;
    }
    nonce
}

/// TLS 1.3 record protection (RFC 8446 §5.2).
pub struct Tls13Protection {
    key: AeadKey,
    iv: [u8; NONCE_LEN],
}

impl Tls13Protection {
    pub fn new(key: AeadKey, iv: [u8; NONCE_LEN]) -> Self {
        Self { key, iv }
    }
}

impl RecordEncrypter for Tls13Protection {
    /// TLSInnerPlaintext is content ‖ type (we add no padding), then the tag.
    fn record_len(&self, plain_len: usize) -> usize {
        HEADER_LEN + plain_len + 1 + TAG_LEN
    }

    fn encrypt_into(
        &self,
        typ: ContentType,
        plain: &[u8],
        seq: u64,
        out: &mut [u8],
    ) -> Result<(), Error> {
        // RFC 8446 §5.2: the outer type is application_data and
        // legacy_record_version 0x0303; the header is the additional data.
        let aad = header(
            ContentType::ApplicationData,
            ProtocolVersion::TLSv1_2,
            plain.len() + 1 + TAG_LEN,
        );
        let (head, body) = out
            .split_first_chunk_mut::<HEADER_LEN>()
            .ok_or(Error::Internal("record buffer too short"))?;
        *head = aad;
        self.key.seal_into(
            tls13_nonce(&self.iv, seq),
            &aad,
            plain,
            &[typ.to_wire()],
            body,
        )
    }
}

impl Tls13Protection {
    /// RFC 8446 §5.2: protected records are always application_data, and
    /// hold at least a tag.
    fn check_outer(typ: ContentType, payload_len: usize) -> Result<(), Error> {
        if typ != ContentType::ApplicationData {
            return Err(Error::InappropriateMessage {
                expected: "an encrypted record",
                got: typ,
            });
        }
        match payload_len < TAG_LEN {
            true => Err(Error::DecryptError),
            false => Ok(()),
        }
    }
}

/// The real content type and content of a decrypted TLSInnerPlaintext.
fn inner_plaintext(inner: &[u8]) -> Result<(ContentType, Range<usize>), Error> {
    // RFC 8446 §5.4: the whole TLSInnerPlaintext (content, type and
    // padding) must not exceed 2^14 + 1 octets.
    if inner.len() > MAX_FRAGMENT_LEN + 1 {
        return Err(Error::RecordOverflow);
    }
    // RFC 8446 §5.4: strip zero padding; the last non-zero byte is the type.
    let Some(type_at) = inner.iter().rposition(|&b| b != 0) else {
        return Err(PeerMisbehaved::InnerPlaintextAllZero.into());
    };
    Ok((ContentType::from_wire(inner[type_at]), 0..type_at))
}

impl RecordDecrypter for Tls13Protection {
    fn decrypt_in_place(
        &self,
        typ: ContentType,
        version: ProtocolVersion,
        payload: &mut [u8],
        seq: u64,
    ) -> Result<(ContentType, Range<usize>), Error> {
        Self::check_outer(typ, payload.len())?;
        let aad = header(typ, version, payload.len());
        let plain_len = self.key.open(tls13_nonce(&self.iv, seq), &aad, payload)?;
        inner_plaintext(&payload[..plain_len])
    }

    fn decrypt_into(
        &self,
        typ: ContentType,
        version: ProtocolVersion,
        payload: &[u8],
        seq: u64,
        out: &mut [u8],
    ) -> Result<(ContentType, Range<usize>), Error> {
        Self::check_outer(typ, payload.len())?;
        let aad = header(typ, version, payload.len());
        let plain_len = self
            .key
            .open_into(tls13_nonce(&self.iv, seq), &aad, payload, out)?;
        inner_plaintext(&out[..plain_len])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::aead::AeadAlgorithm;
    use crate::record::write_header;

    fn pair() -> Tls13Protection {
        Tls13Protection::new(
            AeadKey::new(AeadAlgorithm::Aes128Gcm, &[1; 16]).unwrap(),
            [2; 12],
        )
    }

    fn record_of(wire: &[u8]) -> Record {
        Record {
            typ: ContentType::from_wire(wire[0]),
            version: ProtocolVersion::from_wire(u16::from_be_bytes([wire[1], wire[2]])),
            payload: wire[HEADER_LEN..].to_vec(),
        }
    }

    #[test]
    fn nonce_is_iv_xor_seq() {
        let n = tls13_nonce(&[0xff; 12], 1);
        assert_eq!(n[11], 0xfe);
        assert_eq!(n[..11], [0xff; 11]);
    }

    #[test]
    fn roundtrip_with_inner_type_and_padding() {
        let p = pair();
        let mut wire = Vec::new();
        p.encrypt(ContentType::Handshake, b"hello", 7, &mut wire)
            .unwrap();
        assert_eq!(wire[0], 23);
        let mut rec = record_of(&wire);
        p.decrypt(&mut rec, 7).unwrap();
        assert_eq!(rec.typ, ContentType::Handshake);
        assert_eq!(rec.payload, b"hello");
        let mut out = [0u8; 64];
        let (typ, plain) = p
            .decrypt_into(
                ContentType::ApplicationData,
                ProtocolVersion::TLSv1_2,
                &wire[5..],
                7,
                &mut out,
            )
            .unwrap();
        assert_eq!((typ, &out[plain]), (ContentType::Handshake, &b"hello"[..]));
        // wrong sequence number → bad_record_mac
        let mut rec = record_of(&wire);
        assert_eq!(p.decrypt(&mut rec, 8), Err(Error::DecryptError));
    }

    #[test]
    fn padding_is_removed_and_all_zero_refused() {
        let p = pair();
        // Build a padded inner plaintext by hand: "hi" ‖ type 23 ‖ 00 00 00.
        let inner = [b'h', b'i', 23, 0, 0, 0];
        let mut wire = Vec::new();
        write_header(
            &mut wire,
            ContentType::ApplicationData,
            ProtocolVersion::TLSv1_2,
            inner.len() + TAG_LEN,
        );
        let aad = wire.clone();
        wire.resize(HEADER_LEN + inner.len() + TAG_LEN, 0);
        p.key
            .seal_into(
                tls13_nonce(&p.iv, 0),
                &aad,
                &inner,
                &[],
                &mut wire[HEADER_LEN..],
            )
            .unwrap();
        let mut rec = record_of(&wire);
        p.decrypt(&mut rec, 0).unwrap();
        assert_eq!(
            (rec.typ, rec.payload.as_slice()),
            (ContentType::ApplicationData, &b"hi"[..])
        );

        let inner = [0u8; 4];
        let mut wire = Vec::new();
        write_header(
            &mut wire,
            ContentType::ApplicationData,
            ProtocolVersion::TLSv1_2,
            inner.len() + TAG_LEN,
        );
        let aad = wire.clone();
        wire.resize(HEADER_LEN + inner.len() + TAG_LEN, 0);
        p.key
            .seal_into(
                tls13_nonce(&p.iv, 0),
                &aad,
                &inner,
                &[],
                &mut wire[HEADER_LEN..],
            )
            .unwrap();
        let mut rec = record_of(&wire);
        assert_eq!(
            p.decrypt(&mut rec, 0),
            Err(PeerMisbehaved::InnerPlaintextAllZero.into())
        );
    }
}
