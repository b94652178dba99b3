//! What a person wants to know about a certificate — subject, issuer,
//! dates, names, key — read with a small DER walk (RFC 5280 §4.1).
//!
//! This is for display only: validation is the verifier's job
//! (rustls-webpki, in the library). Anything this walk cannot read shows
//! as unknown; it never fails and never panics on odd input.

use ferrotls::crypto::hash::HashAlgorithm;
use ferrotls::observe::hex;

use super::model::CertInfo;

const SEQUENCE: u8 = 0x30;
const SET: u8 = 0x31;
const INTEGER: u8 = 0x02;
const BIT_STRING: u8 = 0x03;
const OCTET_STRING: u8 = 0x04;
const OID: u8 = 0x06;
const UTC_TIME: u8 = 0x17;
const GENERALIZED_TIME: u8 = 0x18;
const BMP_STRING: u8 = 0x1e;
/// tbsCertificate's `[0] EXPLICIT Version` and `[3] EXPLICIT Extensions`.
const VERSION_TAG: u8 = 0xa0;
const EXTENSIONS_TAG: u8 = 0xa3;
/// GeneralName's `[2] dNSName` and `[7] iPAddress` (RFC 5280 §4.2.1.6).
const DNS_NAME_TAG: u8 = 0x82;
const IP_ADDRESS_TAG: u8 = 0x87;

/// Summarizes one certificate of a chain.
pub fn describe(position: usize, der: &[u8]) -> CertInfo {
    let tbs = Tbs::read(der);
    CertInfo {
        position,
        subject: tbs.as_ref().and_then(|t| name(t.subject)),
        issuer: tbs.as_ref().and_then(|t| name(t.issuer)),
        not_before: tbs.as_ref().and_then(|t| time(t.not_before)),
        not_after: tbs.as_ref().and_then(|t| time(t.not_after)),
        names: tbs
            .as_ref()
            .and_then(|t| t.extensions)
            .map(alt_names)
            .unwrap_or_default(),
        public_key: tbs.as_ref().and_then(|t| public_key(t.spki)),
        size: der.len(),
        sha256: hex(&HashAlgorithm::Sha256.hash(der)),
    }
}

/// One DER element: its tag and contents.
#[derive(Clone, Copy, Debug)]
struct Tlv<'a> {
    tag: u8,
    content: &'a [u8],
}

/// Reads one element from the front of `input`: (element, rest).
fn read_tlv(input: &[u8]) -> Option<(Tlv<'_>, &[u8])> {
    let (&tag, rest) = input.split_first()?;
    // Tags above 30 (multi-byte) do not occur where we look.
    if tag & 0x1f == 0x1f {
        return None;
    }
    let (&first, mut rest) = rest.split_first()?;
    let len = match first {
        short @ 0..=0x7f => usize::from(short),
        0x81..=0x84 => {
            let n = usize::from(first & 0x7f);
            let (bytes, tail) = split(rest, n)?;
            rest = tail;
            bytes
                .iter()
                .fold(0usize, |acc, &b| (acc << 8) | usize::from(b))
        }
        _ => return None,
    };
    let (content, rest) = split(rest, len)?;
    Some((Tlv { tag, content }, rest))
}

fn split(input: &[u8], n: usize) -> Option<(&[u8], &[u8])> {
    (input.len() >= n).then(|| input.split_at(n))
}

/// The elements inside a constructed element's contents, in order.
fn children(mut content: &[u8]) -> Vec<Tlv<'_>> {
    let mut out = Vec::new();
    while let Some((tlv, rest)) = read_tlv(content) {
        out.push(tlv);
        content = rest;
    }
    out
}

fn with_tag(tlv: Option<Tlv<'_>>, tag: u8) -> Option<Tlv<'_>> {
    tlv.filter(|t| t.tag == tag)
}

/// The parts of tbsCertificate we show.
struct Tbs<'a> {
    issuer: Tlv<'a>,
    not_before: Tlv<'a>,
    not_after: Tlv<'a>,
    subject: Tlv<'a>,
    spki: Tlv<'a>,
    extensions: Option<Tlv<'a>>,
}

impl<'a> Tbs<'a> {
    /// Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signature }
    fn read(der: &'a [u8]) -> Option<Self> {
        let (cert, _) = read_tlv(der)?;
        let (tbs, _) = read_tlv(with_tag(Some(cert), SEQUENCE)?.content)?;
        let mut fields = children(with_tag(Some(tbs), SEQUENCE)?.content).into_iter();
        let mut next = fields.next();
        if next.is_some_and(|t| t.tag == VERSION_TAG) {
            next = fields.next();
        }
        with_tag(next, INTEGER)?; // serialNumber
        with_tag(fields.next(), SEQUENCE)?; // signature algorithm
        let issuer = with_tag(fields.next(), SEQUENCE)?;
        let validity = children(with_tag(fields.next(), SEQUENCE)?.content);
        let subject = with_tag(fields.next(), SEQUENCE)?;
        let spki = with_tag(fields.next(), SEQUENCE)?;
        let extensions = fields.find(|t| t.tag == EXTENSIONS_TAG);
        Some(Self {
            issuer,
            not_before: *validity.first()?,
            not_after: *validity.get(1)?,
            subject,
            spki,
            extensions,
        })
    }
}

/// Name ::= SEQUENCE OF SET OF { type OID, value } → "CN=x, O=y".
fn name(seq: Tlv<'_>) -> Option<String> {
    let mut parts = Vec::new();
    for rdn in children(seq.content).into_iter().filter(|t| t.tag == SET) {
        for atv in children(rdn.content) {
            let fields = children(atv.content);
            let (Some(oid), Some(value)) = (with_tag(fields.first().copied(), OID), fields.get(1))
            else {
                continue;
            };
            parts.push(format!("{}={}", attribute_name(oid.content), text(*value)));
        }
    }
    Some(match parts.is_empty() {
        true => "(empty)".into(),
        false => parts.join(", "),
    })
}

fn attribute_name(oid: &[u8]) -> String {
    match oid {
        [0x55, 0x04, 0x03] => "CN".into(),
        [0x55, 0x04, 0x06] => "C".into(),
        [0x55, 0x04, 0x07] => "L".into(),
        [0x55, 0x04, 0x08] => "ST".into(),
        [0x55, 0x04, 0x0a] => "O".into(),
        [0x55, 0x04, 0x0b] => "OU".into(),
        [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01] => "emailAddress".into(),
        other => dotted_oid(other),
    }
}

/// A string value; BMPString is UTF-16, the others are shown as UTF-8.
fn text(value: Tlv<'_>) -> String {
    match value.tag {
        BMP_STRING => {
            let units: Vec<u16> = value
                .content
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16_lossy(&units)
        }
        _ => String::from_utf8_lossy(value.content).into_owned(),
    }
    .escape_debug()
    .to_string()
}

fn dotted_oid(oid: &[u8]) -> String {
    let mut arcs: Vec<u64> = Vec::new();
    let mut acc: u64 = 0;
    for &b in oid {
        acc = (acc << 7) | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            arcs.push(acc);
            acc = 0;
        }
    }
    let Some((&first, rest)) = arcs.split_first() else {
        return "OID()".into();
    };
    let (a, b) = match first {
        0..=39 => (0, first),
        40..=79 => (1, first - 40),
        _ => (2, first - 80),
    };
    let mut out = format!("{a}.{b}");
    for arc in rest {
        out.push_str(&format!(".{arc}"));
    }
    out
}

/// UTCTime "YYMMDDHHMMSSZ" or GeneralizedTime "YYYYMMDDHHMMSSZ" →
/// "2026-01-31 12:00:00 UTC".
fn time(value: Tlv<'_>) -> Option<String> {
    let s = std::str::from_utf8(value.content).ok()?;
    let digits = s.strip_suffix('Z')?;
    let full = match (value.tag, digits.len()) {
        (UTC_TIME, 12) => {
            let yy: u32 = digits.get(..2)?.parse().ok()?;
            let century = if yy >= 50 { "19" } else { "20" };
            format!("{century}{digits}")
        }
        (GENERALIZED_TIME, 14) => digits.to_string(),
        _ => return None,
    };
    if !full.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(format!(
        "{}-{}-{} {}:{}:{} UTC",
        &full[..4],
        &full[4..6],
        &full[6..8],
        &full[8..10],
        &full[10..12],
        &full[12..14]
    ))
}

/// The subjectAltName extension's DNS names and IP addresses.
fn alt_names(extensions: Tlv<'_>) -> Vec<String> {
    let Some((list, _)) = read_tlv(extensions.content) else {
        return Vec::new();
    };
    for ext in children(list.content) {
        let fields = children(ext.content);
        let is_san = fields
            .first()
            .is_some_and(|f| f.tag == OID && f.content == [0x55, 0x1d, 0x11]);
        let value = fields.iter().rev().find(|f| f.tag == OCTET_STRING);
        if let (true, Some(value)) = (is_san, value) {
            return read_tlv(value.content)
                .map(|(seq, _)| {
                    children(seq.content)
                        .into_iter()
                        .filter_map(general_name)
                        .collect()
                })
                .unwrap_or_default();
        }
    }
    Vec::new()
}

fn general_name(name: Tlv<'_>) -> Option<String> {
    match name.tag {
        DNS_NAME_TAG => Some(
            String::from_utf8_lossy(name.content)
                .escape_debug()
                .to_string(),
        ),
        IP_ADDRESS_TAG => match name.content.len() {
            4 => {
                let octets: [u8; 4] = name.content.try_into().ok()?;
                Some(std::net::Ipv4Addr::from(octets).to_string())
            }
            16 => {
                let octets: [u8; 16] = name.content.try_into().ok()?;
                Some(std::net::Ipv6Addr::from(octets).to_string())
            }
            _ => None,
        },
        _ => None,
    }
}

/// SubjectPublicKeyInfo → "ECDSA P-256", "RSA 2048-bit", "Ed25519".
fn public_key(spki: Tlv<'_>) -> Option<String> {
    let fields = children(spki.content);
    let alg = children(with_tag(fields.first().copied(), SEQUENCE)?.content);
    let oid = with_tag(alg.first().copied(), OID)?.content;
    let param = alg.get(1).filter(|p| p.tag == OID).map(|p| p.content);
    Some(match oid {
        // id-ecPublicKey (RFC 5480), with the curve as parameter.
        [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01] => match param {
            Some([0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07]) => "ECDSA P-256".into(),
            Some([0x2b, 0x81, 0x04, 0x00, 0x22]) => "ECDSA P-384".into(),
            Some([0x2b, 0x81, 0x04, 0x00, 0x23]) => "ECDSA P-521".into(),
            Some(curve) => format!("EC ({})", dotted_oid(curve)),
            None => "EC".into(),
        },
        [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01] => {
            rsa_size(fields.get(1)).map_or("RSA".into(), |bits| format!("RSA {bits}-bit"))
        }
        [0x2b, 0x65, 0x70] => "Ed25519".into(),
        [0x2b, 0x65, 0x71] => "Ed448".into(),
        other => dotted_oid(other),
    })
}

/// The bit length of an RSAPublicKey's modulus (RFC 8017 §A.1.1).
fn rsa_size(bits: Option<&Tlv<'_>>) -> Option<usize> {
    let bits = with_tag(bits.copied(), BIT_STRING)?;
    let (_unused_bits, key) = bits.content.split_first()?;
    let (seq, _) = read_tlv(key)?;
    let modulus = with_tag(children(seq.content).first().copied(), INTEGER)?.content;
    let significant: &[u8] = match modulus.iter().position(|&b| b != 0) {
        Some(i) => &modulus[i..],
        None => &[],
    };
    let first = significant.first()?;
    Some((significant.len() - 1) * 8 + (8 - first.leading_zeros() as usize))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generated(alg: &'static rcgen::SignatureAlgorithm) -> Vec<u8> {
        let key = rcgen::KeyPair::generate_for(alg).unwrap();
        let mut params =
            rcgen::CertificateParams::new(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "explain test");
        params
            .distinguished_name
            .push(rcgen::DnType::OrganizationName, "ferrotls");
        params.self_signed(&key).unwrap().der().to_vec()
    }

    #[test]
    fn reads_a_generated_certificate() {
        let der = generated(&rcgen::PKCS_ECDSA_P256_SHA256);
        let info = describe(0, &der);
        assert_eq!(info.subject.as_deref(), Some("CN=explain test, O=ferrotls"));
        assert_eq!(info.issuer, info.subject);
        assert_eq!(info.names, ["localhost", "127.0.0.1"]);
        assert_eq!(info.public_key.as_deref(), Some("ECDSA P-256"));
        assert_eq!(info.not_before.as_deref(), Some("1975-01-01 00:00:00 UTC"));
        assert_eq!(info.not_after.as_deref(), Some("4096-01-01 00:00:00 UTC"));
        assert_eq!(info.size, der.len());
        assert_eq!(info.sha256.len(), 64);
    }

    #[test]
    fn reads_rsa_key_sizes() {
        let der = generated(&rcgen::PKCS_RSA_SHA256);
        assert_eq!(
            describe(0, &der).public_key.as_deref(),
            Some("RSA 2048-bit")
        );
    }

    #[test]
    fn garbage_shows_as_unknown_without_panicking() {
        let der = generated(&rcgen::PKCS_ED25519);
        for cut in 0..der.len() {
            let info = describe(1, &der[..cut]);
            assert_eq!(info.size, cut);
        }
        let info = describe(0, &[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]);
        assert!(info.subject.is_none());
        assert_eq!(describe(0, &der).public_key.as_deref(), Some("Ed25519"));
    }

    #[test]
    fn oids_and_times() {
        assert_eq!(
            dotted_oid(&[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d]),
            "1.2.840.113549"
        );
        let utc = Tlv {
            tag: UTC_TIME,
            content: b"491231235959Z",
        };
        assert_eq!(time(utc).as_deref(), Some("2049-12-31 23:59:59 UTC"));
        let bad = Tlv {
            tag: UTC_TIME,
            content: b"4912312359xxZ",
        };
        assert_eq!(time(bad), None);
    }
}
