//! The record layer: bytes from the network become records (the deframer),
//! records are decrypted and authenticated (protection), handshake records
//! are joined into messages (the joiner), and outgoing data is cut into
//! records of at most 2^14 bytes (RFC 8446 §5.1).

pub mod deframer;
pub mod joiner;
pub mod protect;
pub mod protect12;

use crate::error::{Error, InvalidMessage};
use crate::msgs::enums::{ContentType, ProtocolVersion};

/// RFC 8446 §5.1: TLSPlaintext.length MUST NOT exceed 2^14.
pub const MAX_FRAGMENT_LEN: usize = 1 << 14;
/// RFC 8446 §5.2: TLSCiphertext.length MUST NOT exceed 2^14 + 256.
pub const MAX_TLS13_CIPHERTEXT_LEN: usize = MAX_FRAGMENT_LEN + 256;
/// RFC 5246 §6.2.3: TLSCiphertext.length MUST NOT exceed 2^14 + 2048.
pub const MAX_TLS12_CIPHERTEXT_LEN: usize = MAX_FRAGMENT_LEN + 2048;
/// type (1) + legacy_record_version (2) + length (2).
pub const HEADER_LEN: usize = 5;

/// A record as it came off the wire: header fields and the (possibly
/// encrypted) fragment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub typ: ContentType,
    pub version: ProtocolVersion,
    pub payload: Vec<u8>,
}

/// Writes a record header.
pub fn write_header(out: &mut Vec<u8>, typ: ContentType, version: ProtocolVersion, len: usize) {
    out.extend_from_slice(&header(typ, version, len));
}

/// A record header as bytes (it is also TLS 1.3's additional data).
pub fn header(typ: ContentType, version: ProtocolVersion, len: usize) -> [u8; HEADER_LEN] {
    let [v0, v1] = version.to_wire().to_be_bytes();
    let [l0, l1] = (len as u16).to_be_bytes();
    [typ.to_wire(), v0, v1, l0, l1]
}

/// A record header's fields, checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    pub typ: ContentType,
    pub version: ProtocolVersion,
    /// The fragment's length (after the header).
    pub len: usize,
}

/// Reads and checks the record header at the front of `bytes`; `None`
/// until all of its bytes have arrived.
pub fn read_header(bytes: &[u8], max_len: usize) -> Result<Option<Header>, Error> {
    let Some(&[typ, v0, v1, l0, l1]) = bytes.first_chunk::<HEADER_LEN>() else {
        return Ok(None);
    };
    let version = u16::from_be_bytes([v0, v1]);
    let len = usize::from(u16::from_be_bytes([l0, l1]));
    let typ = check_header(typ, version, len, max_len)?;
    Ok(Some(Header {
        typ,
        version: ProtocolVersion::from_wire(version),
        len,
    }))
}

/// Checks a record header, before any of its body is read.
pub fn check_header(
    typ: u8,
    version: u16,
    len: usize,
    max_len: usize,
) -> Result<ContentType, Error> {
    let typ = ContentType::from_wire(typ);
    // RFC 8446 §5: an unknown content type → unexpected_message.
    if !typ.is_known() {
        return Err(InvalidMessage::UnknownContentType(typ.to_wire()).into());
    }
    // RFC 8446 §5.1 legacy_record_version is ignored, but anything that is
    // not 3.x is not TLS at all.
    if version >> 8 != 0x03 {
        return Err(InvalidMessage::InvalidRecordVersion(version).into());
    }
    // RFC 8446 §5.2 / RFC 5246 §6.2.3: longer records → record_overflow.
    if len > max_len {
        return Err(Error::RecordOverflow);
    }
    Ok(typ)
}
