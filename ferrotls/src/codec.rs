//! The wire codec: a bounds-checked `Reader`, the `Codec` trait, and the
//! length-prefixed vectors (`<0..2^8-1>`, `<0..2^16-1>`, `<0..2^24-1>`) that
//! every TLS structure is built from (RFC 8446 §3, RFC 5246 §4).
//!
//! Decoding never panics: every read is checked against what is left, and a
//! short or over-long input is an [`InvalidMessage`].

use crate::error::InvalidMessage;

/// A cursor over untrusted bytes.
pub struct Reader<'a> {
    buf: &'a [u8],
    used: usize,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Self { buf, used: 0 }
    }

    /// The next `n` bytes, or `MessageTooShort`.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], InvalidMessage> {
        if self.left() < n {
            return Err(InvalidMessage::MessageTooShort);
        }
        let out = &self.buf[self.used..self.used + n];
        self.used += n;
        Ok(out)
    }

    /// Everything not yet read.
    pub fn rest(&mut self) -> &'a [u8] {
        let out = &self.buf[self.used..];
        self.used = self.buf.len();
        out
    }

    pub fn left(&self) -> usize {
        self.buf.len() - self.used
    }

    pub fn any_left(&self) -> bool {
        self.left() > 0
    }

    /// Fails with `TrailingData(what)` unless every byte was consumed.
    pub fn expect_empty(&self, what: &'static str) -> Result<(), InvalidMessage> {
        match self.any_left() {
            true => Err(InvalidMessage::TrailingData(what)),
            false => Ok(()),
        }
    }

    pub fn u8(&mut self) -> Result<u8, InvalidMessage> {
        Ok(self.take(1)?[0])
    }

    pub fn u16(&mut self) -> Result<u16, InvalidMessage> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    pub fn u24(&mut self) -> Result<u32, InvalidMessage> {
        let b = self.take(3)?;
        Ok(u32::from_be_bytes([0, b[0], b[1], b[2]]))
    }

    pub fn u32(&mut self) -> Result<u32, InvalidMessage> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], InvalidMessage> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    /// A sub-reader over a body prefixed by a length of the given size.
    pub fn sub(&mut self, prefix: LengthPrefix) -> Result<Reader<'a>, InvalidMessage> {
        let len = match prefix {
            LengthPrefix::U8 => usize::from(self.u8()?),
            LengthPrefix::U16 => usize::from(self.u16()?),
            LengthPrefix::U24 => self.u24()? as usize,
        };
        Ok(Reader::new(self.take(len)?))
    }

    /// An opaque byte vector with a length prefix.
    pub fn opaque(&mut self, prefix: LengthPrefix) -> Result<Vec<u8>, InvalidMessage> {
        Ok(self.sub(prefix)?.rest().to_vec())
    }

    /// A length-prefixed list of `T`, each element decoded with `T::read`.
    pub fn list<T: Codec>(&mut self, prefix: LengthPrefix) -> Result<Vec<T>, InvalidMessage> {
        let mut sub = self.sub(prefix)?;
        let mut out = Vec::with_capacity(T::FIXED_LEN.map_or(0, |n| sub.left() / n));
        while sub.any_left() {
            out.push(T::read(&mut sub)?);
        }
        Ok(out)
    }

    /// Like [`Reader::list`] but an empty list is a decode error, for the
    /// vectors the RFC declares as `<1..2^n-1>` or `<2..2^n-1>`.
    pub fn nonempty_list<T: Codec>(
        &mut self,
        prefix: LengthPrefix,
        what: &'static str,
    ) -> Result<Vec<T>, InvalidMessage> {
        let out = self.list(prefix)?;
        if out.is_empty() {
            return Err(InvalidMessage::EmptyList(what));
        }
        Ok(out)
    }
}

/// The size of a vector's length prefix.
#[derive(Clone, Copy, Debug)]
pub enum LengthPrefix {
    U8,
    U16,
    U24,
}

impl LengthPrefix {
    fn max(self) -> usize {
        match self {
            Self::U8 => 0xff,
            Self::U16 => 0xffff,
            Self::U24 => 0xff_ffff,
        }
    }
}

/// Something with a wire encoding.
pub trait Codec: Sized {
    /// The size of every encoding, for types that have one: a list of
    /// them is allocated once, at its size.
    const FIXED_LEN: Option<usize> = None;

    fn encode(&self, out: &mut Vec<u8>);
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage>;

    fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }

    /// Decodes `bytes` completely: trailing bytes are an error.
    fn read_exact(bytes: &[u8], what: &'static str) -> Result<Self, InvalidMessage> {
        let mut r = Reader::new(bytes);
        let out = Self::read(&mut r)?;
        r.expect_empty(what)?;
        Ok(out)
    }
}

impl Codec for u8 {
    const FIXED_LEN: Option<usize> = Some(1);

    fn encode(&self, out: &mut Vec<u8>) {
        out.push(*self);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        r.u8()
    }
}

impl Codec for u16 {
    const FIXED_LEN: Option<usize> = Some(2);

    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_be_bytes());
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        r.u16()
    }
}

/// Writes a length-prefixed body: `body` appends the content, and the prefix
/// is filled in afterwards. Panics only on our own oversized encodings,
/// never on peer data.
pub fn encode_prefixed(out: &mut Vec<u8>, prefix: LengthPrefix, body: impl FnOnce(&mut Vec<u8>)) {
    let width = match prefix {
        LengthPrefix::U8 => 1,
        LengthPrefix::U16 => 2,
        LengthPrefix::U24 => 3,
    };
    let at = out.len();
    out.extend_from_slice(&[0u8; 3][..width]);
    body(out);
    let len = out.len() - at - width;
    assert!(
        len <= prefix.max(),
        "encoded vector exceeds its length prefix"
    );
    let be = (len as u32).to_be_bytes();
    out[at..at + width].copy_from_slice(&be[4 - width..]);
}

/// Writes an opaque byte vector with a length prefix.
pub fn encode_opaque(out: &mut Vec<u8>, prefix: LengthPrefix, bytes: &[u8]) {
    encode_prefixed(out, prefix, |o| o.extend_from_slice(bytes));
}

/// Writes a list of `T` with a length prefix.
pub fn encode_list<T: Codec>(out: &mut Vec<u8>, prefix: LengthPrefix, items: &[T]) {
    encode_prefixed(out, prefix, |o| items.iter().for_each(|i| i.encode(o)));
}

pub fn put_u24(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_be_bytes()[1..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_bounds_checked() {
        let mut r = Reader::new(&[1, 2, 3]);
        assert_eq!(r.u16(), Ok(0x0102));
        assert_eq!(r.u16(), Err(InvalidMessage::MessageTooShort));
        assert_eq!(r.u8(), Ok(3));
        assert!(!r.any_left());
    }

    #[test]
    fn sub_reader_respects_prefix() {
        let mut r = Reader::new(&[0, 2, 0xaa, 0xbb, 0xcc]);
        let mut sub = r.sub(LengthPrefix::U16).unwrap();
        assert_eq!(sub.rest(), &[0xaa, 0xbb]);
        assert_eq!(r.expect_empty("x"), Err(InvalidMessage::TrailingData("x")));
        let mut short = Reader::new(&[0, 5, 1]);
        assert!(short.sub(LengthPrefix::U16).is_err());
    }

    #[test]
    fn prefixed_roundtrip() {
        let mut out = Vec::new();
        encode_list(&mut out, LengthPrefix::U16, &[0x1301u16, 0x1302]);
        assert_eq!(out, [0, 4, 0x13, 1, 0x13, 2]);
        let mut r = Reader::new(&out);
        assert_eq!(
            r.list::<u16>(LengthPrefix::U16).unwrap(),
            vec![0x1301, 0x1302]
        );
        let mut out = Vec::new();
        encode_opaque(&mut out, LengthPrefix::U24, &[9; 3]);
        assert_eq!(out, [0, 0, 3, 9, 9, 9]);
    }

    #[test]
    fn odd_length_list_is_rejected() {
        let mut r = Reader::new(&[0, 3, 0x13, 1, 0x13]);
        assert!(r.list::<u16>(LengthPrefix::U16).is_err());
    }
}
