//! Extensions: each one's encoding and decoding in one place.
//!
//! Decoding rules (RFC 8446 §4.2): an extension type may appear at most
//! once in a message (duplicates are a decode error); unknown types are
//! skipped; the body of a known extension must be consumed exactly.

use rustls_pki_types::DnsName;

use crate::codec::{encode_list, encode_opaque, encode_prefixed, Codec, LengthPrefix, Reader};
use crate::error::InvalidMessage;
use crate::msgs::enums::{
    ExtensionType, NamedGroup, ProtocolVersion, PskKeyExchangeMode, SignatureScheme,
};

/// Which of the 2^16 extension types a block has shown so far. A block is
/// at most 2^16-1 bytes, so up to 16383 (empty) extensions: RFC 8446 §4.2
/// and RFC 5246 §7.4.1.4 do not limit how many, and a client may send that
/// many (unassigned types must be ignored). Real blocks hold a dozen or
/// two: those are checked against a short list; past `LIST_MAX` types a
/// bitmap of all 2^16 keeps the check linear instead of quadratic (zeroing
/// its 8 KiB for every hello cost more than the rest of parsing it).
pub(crate) enum SeenTypes {
    List(Vec<u16>),
    Bitmap(Vec<u64>),
}

impl SeenTypes {
    const LIST_MAX: usize = 64;

    /// Room for `expected` types: allocated once for a typical block.
    pub(crate) fn with_capacity(expected: usize) -> Self {
        Self::List(Vec::with_capacity(expected))
    }

    /// How many extensions to make room for in a block of `len` bytes:
    /// each takes at least 4 (type, length), and a typical hello's count
    /// is the most worth reserving up front.
    pub(crate) fn expected(len: usize) -> usize {
        (len / 4).min(16)
    }

    /// Records `typ`; false if it was seen before.
    pub(crate) fn insert(&mut self, typ: u16) -> bool {
        match self {
            Self::List(list) if list.len() < Self::LIST_MAX => {
                let fresh = !list.contains(&typ);
                list.push(typ);
                fresh
            }
            Self::List(list) => {
                let mut bitmap = Self::Bitmap(vec![0; 1 << 10]);
                for &t in list.iter() {
                    bitmap.insert(t);
                }
                *self = bitmap;
                self.insert(typ)
            }
            Self::Bitmap(words) => {
                let (word, bit) = (usize::from(typ >> 6), 1u64 << (typ & 63));
                let fresh = words[word] & bit == 0;
                words[word] |= bit;
                fresh
            }
        }
    }
}

/// RFC 8446 §4.2.8 KeyShareEntry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyShareEntry {
    pub group: NamedGroup,
    pub payload: Vec<u8>,
}

impl Codec for KeyShareEntry {
    fn encode(&self, out: &mut Vec<u8>) {
        self.group.encode(out);
        encode_opaque(out, LengthPrefix::U16, &self.payload);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let group = NamedGroup::read(r)?;
        // key_exchange<1..2^16-1>
        let payload = r.opaque(LengthPrefix::U16)?;
        if payload.is_empty() {
            return Err(InvalidMessage::EmptyList("key_exchange"));
        }
        Ok(Self { group, payload })
    }
}

/// Walks an extension block, calling `each(type, body)` once per extension.
/// Returns the types in the order they appeared.
fn read_extension_block(
    r: &mut Reader<'_>,
    mut each: impl FnMut(ExtensionType, &mut Reader<'_>) -> Result<(), InvalidMessage>,
) -> Result<Vec<ExtensionType>, InvalidMessage> {
    let mut block = r.sub(LengthPrefix::U16)?;
    // Room for the block's extensions, so neither list grows by steps.
    let expected = SeenTypes::expected(block.left());
    let mut seen: Vec<ExtensionType> = Vec::with_capacity(expected);
    let mut present = SeenTypes::with_capacity(expected);
    while block.any_left() {
        let typ = ExtensionType::read(&mut block)?;
        let mut body = block.sub(LengthPrefix::U16)?;
        // RFC 8446 §4.2: no more than one extension of the same type.
        if !present.insert(typ.to_wire()) {
            return Err(InvalidMessage::DuplicateExtension(typ));
        }
        seen.push(typ);
        if typ.is_known() {
            each(typ, &mut body)?;
            body.expect_empty("extension body")?;
        }
    }
    Ok(seen)
}

fn write_extension(out: &mut Vec<u8>, typ: ExtensionType, body: impl FnOnce(&mut Vec<u8>)) {
    typ.encode(out);
    encode_prefixed(out, LengthPrefix::U16, body);
}

/// RFC 7301 §3.1 ProtocolNameList: `ProtocolName<1..2^8-1>` entries, at least one.
fn read_protocol_names(r: &mut Reader<'_>) -> Result<Vec<Vec<u8>>, InvalidMessage> {
    read_opaque_list(r, LengthPrefix::U8, "ALPN protocol name", "ALPN")
}

/// A u16-prefixed list, not empty, of opaque items (each with `item_len`
/// as its length prefix), none empty.
fn read_opaque_list(
    r: &mut Reader<'_>,
    item_len: LengthPrefix,
    item: &'static str,
    list: &'static str,
) -> Result<Vec<Vec<u8>>, InvalidMessage> {
    let mut entries = r.sub(LengthPrefix::U16)?;
    let mut out = Vec::new();
    while entries.any_left() {
        let entry = entries.opaque(item_len)?;
        if entry.is_empty() {
            return Err(InvalidMessage::EmptyList(item));
        }
        out.push(entry);
    }
    if out.is_empty() {
        return Err(InvalidMessage::EmptyList(list));
    }
    Ok(out)
}

fn write_protocol_names(out: &mut Vec<u8>, names: &[Vec<u8>]) {
    encode_prefixed(out, LengthPrefix::U16, |o| {
        for n in names {
            encode_opaque(o, LengthPrefix::U8, n);
        }
    });
}

/// RFC 6066 §3 ServerNameList. Returns the host_name if it is a valid DNS
/// name; other name types are skipped, and a host name that is not a DNS
/// name (an IP literal, say) is treated as absent, as most servers do.
fn read_server_name(r: &mut Reader<'_>) -> Result<Option<DnsName<'static>>, InvalidMessage> {
    let mut list = r.sub(LengthPrefix::U16)?;
    let mut host = None;
    let mut seen_host = false;
    let seen_any = list.any_left();
    while list.any_left() {
        let name_type = list.u8()?;
        let name = list.opaque(LengthPrefix::U16)?;
        if name_type != 0 {
            continue;
        }
        // RFC 6066 §3: opaque HostName<1..2^16-1>.
        if name.is_empty() {
            return Err(InvalidMessage::EmptyList("server_name host_name"));
        }
        // RFC 6066 §3: no more than one name of the same name_type.
        if seen_host {
            return Err(InvalidMessage::InvalidValue("server_name: two host names"));
        }
        seen_host = true;
        host = core::str::from_utf8(&name)
            .ok()
            .and_then(|s| DnsName::try_from(s).ok())
            .map(|n| n.to_owned());
    }
    // RFC 6066 §3: ServerName server_name_list<1..2^16-1>.
    if !seen_any {
        return Err(InvalidMessage::EmptyList("server_name"));
    }
    Ok(host)
}

fn write_server_name(out: &mut Vec<u8>, name: &DnsName<'_>) {
    encode_prefixed(out, LengthPrefix::U16, |o| {
        o.push(0); // host_name
        encode_opaque(o, LengthPrefix::U16, name.as_ref().as_bytes());
    });
}

/// RFC 8446 §4.2.11 OfferedPsks, kept opaque until resumption uses it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OfferedPsks {
    pub identities: Vec<(Vec<u8>, u32)>,
    pub binders: Vec<Vec<u8>>,
}

impl OfferedPsks {
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let mut ids = r.sub(LengthPrefix::U16)?;
        let mut identities = Vec::new();
        while ids.any_left() {
            let id = ids.opaque(LengthPrefix::U16)?;
            if id.is_empty() {
                return Err(InvalidMessage::EmptyList("PSK identity"));
            }
            identities.push((id, ids.u32()?));
        }
        let mut list = r.sub(LengthPrefix::U16)?;
        let mut binders = Vec::new();
        while list.any_left() {
            let b = list.opaque(LengthPrefix::U8)?;
            if b.len() < 32 {
                return Err(InvalidMessage::InvalidLength("PSK binder"));
            }
            binders.push(b);
        }
        if identities.is_empty() || binders.is_empty() {
            return Err(InvalidMessage::EmptyList("pre_shared_key"));
        }
        Ok(Self {
            identities,
            binders,
        })
    }

    /// The encoded length of the binders list, which ends the ClientHello:
    /// what is cut off to get the "truncated" hello binders cover
    /// (RFC 8446 §4.2.11.2).
    pub fn binders_len(&self) -> usize {
        2 + self.binders.iter().map(|b| 1 + b.len()).sum::<usize>()
    }

    fn write(&self, out: &mut Vec<u8>) {
        encode_prefixed(out, LengthPrefix::U16, |o| {
            for (id, age) in &self.identities {
                encode_opaque(o, LengthPrefix::U16, id);
                o.extend_from_slice(&age.to_be_bytes());
            }
        });
        encode_prefixed(out, LengthPrefix::U16, |o| {
            for b in &self.binders {
                encode_opaque(o, LengthPrefix::U8, b);
            }
        });
    }
}

/// The extensions of a ClientHello.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientExtensions {
    pub server_name: Option<DnsName<'static>>,
    pub supported_groups: Option<Vec<NamedGroup>>,
    pub signature_algorithms: Option<Vec<SignatureScheme>>,
    pub signature_algorithms_cert: Option<Vec<SignatureScheme>>,
    pub supported_versions: Option<Vec<ProtocolVersion>>,
    pub key_shares: Option<Vec<KeyShareEntry>>,
    pub alpn: Option<Vec<Vec<u8>>>,
    pub cookie: Option<Vec<u8>>,
    pub psk_modes: Option<Vec<PskKeyExchangeMode>>,
    pub early_data: bool,
    pub ec_point_formats: Option<Vec<u8>>,
    pub renegotiation_info: Option<Vec<u8>>,
    pub extended_master_secret: bool,
    pub encrypt_then_mac: bool,
    pub session_ticket: Option<Vec<u8>>,
    pub pre_shared_key: Option<OfferedPsks>,
    /// Every extension type received, in order (unknown ones included).
    pub received: Vec<ExtensionType>,
}

impl ClientExtensions {
    /// Whether this ClientHello carries an extension of type `typ`; a server
    /// may only answer with extensions the client offered (RFC 8446 §4.2).
    pub fn contains(&self, typ: ExtensionType) -> bool {
        use ExtensionType as E;
        match typ {
            E::ServerName => self.server_name.is_some(),
            E::SupportedGroups => self.supported_groups.is_some(),
            E::SignatureAlgorithms => self.signature_algorithms.is_some(),
            E::SignatureAlgorithmsCert => self.signature_algorithms_cert.is_some(),
            E::SupportedVersions => self.supported_versions.is_some(),
            E::KeyShare => self.key_shares.is_some(),
            E::Alpn => self.alpn.is_some(),
            E::Cookie => self.cookie.is_some(),
            E::PskKeyExchangeModes => self.psk_modes.is_some(),
            E::EarlyData => self.early_data,
            E::EcPointFormats => self.ec_point_formats.is_some(),
            E::RenegotiationInfo => self.renegotiation_info.is_some(),
            E::ExtendedMasterSecret => self.extended_master_secret,
            E::EncryptThenMac => self.encrypt_then_mac,
            E::SessionTicket => self.session_ticket.is_some(),
            E::PreSharedKey => self.pre_shared_key.is_some(),
            _ => false,
        }
    }

    pub fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let mut x = Self::default();
        x.received = read_extension_block(r, |typ, body| {
            use ExtensionType as E;
            match typ {
                E::ServerName => x.server_name = read_server_name(body)?,
                E::SupportedGroups => {
                    x.supported_groups =
                        Some(body.nonempty_list(LengthPrefix::U16, "supported_groups")?)
                }
                E::SignatureAlgorithms => {
                    x.signature_algorithms =
                        Some(body.nonempty_list(LengthPrefix::U16, "signature_algorithms")?)
                }
                E::SignatureAlgorithmsCert => {
                    x.signature_algorithms_cert =
                        Some(body.nonempty_list(LengthPrefix::U16, "signature_algorithms_cert")?)
                }
                E::SupportedVersions => {
                    x.supported_versions =
                        Some(body.nonempty_list(LengthPrefix::U8, "supported_versions")?)
                }
                E::KeyShare => x.key_shares = Some(body.list(LengthPrefix::U16)?),
                E::Alpn => x.alpn = Some(read_protocol_names(body)?),
                E::Cookie => x.cookie = Some(read_cookie(body)?),
                E::PskKeyExchangeModes => {
                    x.psk_modes =
                        Some(body.nonempty_list(LengthPrefix::U8, "psk_key_exchange_modes")?)
                }
                E::EarlyData => x.early_data = true,
                E::EcPointFormats => {
                    x.ec_point_formats =
                        Some(body.nonempty_list(LengthPrefix::U8, "ec_point_formats")?)
                }
                E::RenegotiationInfo => x.renegotiation_info = Some(body.opaque(LengthPrefix::U8)?),
                E::ExtendedMasterSecret => x.extended_master_secret = true,
                E::EncryptThenMac => x.encrypt_then_mac = true,
                E::SessionTicket => x.session_ticket = Some(body.rest().to_vec()),
                E::PreSharedKey => x.pre_shared_key = Some(OfferedPsks::read(body)?),
                _ => {
                    body.rest();
                }
            }
            Ok(())
        })?;
        // RFC 8446 §4.2.11: pre_shared_key MUST be the last extension.
        if x.pre_shared_key.is_some() && x.received.last() != Some(&ExtensionType::PreSharedKey) {
            return Err(InvalidMessage::InvalidValue(
                "pre_shared_key is not the last extension",
            ));
        }
        Ok(x)
    }

    pub fn encode(&self, out: &mut Vec<u8>) {
        use ExtensionType as E;
        encode_prefixed(out, LengthPrefix::U16, |o| {
            if let Some(name) = &self.server_name {
                write_extension(o, E::ServerName, |b| write_server_name(b, name));
            }
            if self.extended_master_secret {
                write_extension(o, E::ExtendedMasterSecret, |_| {});
            }
            if let Some(ri) = &self.renegotiation_info {
                write_extension(o, E::RenegotiationInfo, |b| {
                    encode_opaque(b, LengthPrefix::U8, ri)
                });
            }
            if let Some(groups) = &self.supported_groups {
                write_extension(o, E::SupportedGroups, |b| {
                    encode_list(b, LengthPrefix::U16, groups)
                });
            }
            if let Some(formats) = &self.ec_point_formats {
                write_extension(o, E::EcPointFormats, |b| {
                    encode_list(b, LengthPrefix::U8, formats)
                });
            }
            if let Some(ticket) = &self.session_ticket {
                write_extension(o, E::SessionTicket, |b| b.extend_from_slice(ticket));
            }
            if let Some(alpn) = &self.alpn {
                write_extension(o, E::Alpn, |b| write_protocol_names(b, alpn));
            }
            if self.encrypt_then_mac {
                write_extension(o, E::EncryptThenMac, |_| {});
            }
            if let Some(algs) = &self.signature_algorithms {
                write_extension(o, E::SignatureAlgorithms, |b| {
                    encode_list(b, LengthPrefix::U16, algs)
                });
            }
            if let Some(algs) = &self.signature_algorithms_cert {
                write_extension(o, E::SignatureAlgorithmsCert, |b| {
                    encode_list(b, LengthPrefix::U16, algs)
                });
            }
            if let Some(shares) = &self.key_shares {
                write_extension(o, E::KeyShare, |b| {
                    encode_list(b, LengthPrefix::U16, shares)
                });
            }
            if let Some(modes) = &self.psk_modes {
                write_extension(o, E::PskKeyExchangeModes, |b| {
                    encode_list(b, LengthPrefix::U8, modes)
                });
            }
            if let Some(versions) = &self.supported_versions {
                write_extension(o, E::SupportedVersions, |b| {
                    encode_list(b, LengthPrefix::U8, versions)
                });
            }
            if let Some(cookie) = &self.cookie {
                write_extension(o, E::Cookie, |b| {
                    encode_opaque(b, LengthPrefix::U16, cookie)
                });
            }
            if self.early_data {
                write_extension(o, E::EarlyData, |_| {});
            }
            // RFC 8446 §4.2.11: pre_shared_key goes last.
            if let Some(psk) = &self.pre_shared_key {
                write_extension(o, E::PreSharedKey, |b| psk.write(b));
            }
        });
    }
}

/// RFC 8446 §4.2.2 Cookie: `opaque cookie<1..2^16-1>`.
fn read_cookie(r: &mut Reader<'_>) -> Result<Vec<u8>, InvalidMessage> {
    let cookie = r.opaque(LengthPrefix::U16)?;
    if cookie.is_empty() {
        return Err(InvalidMessage::EmptyList("cookie"));
    }
    Ok(cookie)
}

/// Which server message an extension block belongs to; the key_share
/// extension has a different shape in each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerMessage {
    ServerHello,
    HelloRetryRequest,
    EncryptedExtensions,
}

/// The extensions of a ServerHello, HelloRetryRequest or EncryptedExtensions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServerExtensions {
    pub key_share: Option<KeyShareEntry>,
    pub selected_group: Option<NamedGroup>,
    pub supported_version: Option<ProtocolVersion>,
    pub cookie: Option<Vec<u8>>,
    pub pre_shared_key: Option<u16>,
    pub alpn: Option<Vec<u8>>,
    pub server_name_ack: bool,
    pub supported_groups: Option<Vec<NamedGroup>>,
    pub early_data: bool,
    pub ec_point_formats: Option<Vec<u8>>,
    pub renegotiation_info: Option<Vec<u8>>,
    pub extended_master_secret: bool,
    pub encrypt_then_mac: bool,
    pub session_ticket_ack: bool,
    /// Every extension type received, in order (unknown ones included).
    pub received: Vec<ExtensionType>,
}

impl ServerExtensions {
    pub fn read(r: &mut Reader<'_>, msg: ServerMessage) -> Result<Self, InvalidMessage> {
        let mut x = Self::default();
        x.received = read_extension_block(r, |typ, body| {
            use ExtensionType as E;
            match typ {
                E::KeyShare if msg == ServerMessage::HelloRetryRequest => {
                    x.selected_group = Some(NamedGroup::read(body)?)
                }
                E::KeyShare => x.key_share = Some(KeyShareEntry::read(body)?),
                E::SupportedVersions => x.supported_version = Some(ProtocolVersion::read(body)?),
                E::Cookie => x.cookie = Some(read_cookie(body)?),
                E::PreSharedKey => x.pre_shared_key = Some(body.u16()?),
                E::Alpn => {
                    // RFC 7301 §3.1: the server's list contains exactly one name.
                    let mut names = read_protocol_names(body)?;
                    if names.len() != 1 {
                        return Err(InvalidMessage::InvalidLength(
                            "ALPN: server must select one protocol",
                        ));
                    }
                    x.alpn = names.pop();
                }
                E::ServerName => x.server_name_ack = true,
                E::SupportedGroups => {
                    x.supported_groups =
                        Some(body.nonempty_list(LengthPrefix::U16, "supported_groups")?)
                }
                E::EarlyData => x.early_data = true,
                E::EcPointFormats => {
                    x.ec_point_formats =
                        Some(body.nonempty_list(LengthPrefix::U8, "ec_point_formats")?)
                }
                E::RenegotiationInfo => x.renegotiation_info = Some(body.opaque(LengthPrefix::U8)?),
                E::ExtendedMasterSecret => x.extended_master_secret = true,
                E::EncryptThenMac => x.encrypt_then_mac = true,
                E::SessionTicket => x.session_ticket_ack = true,
                _ => {
                    body.rest();
                }
            }
            Ok(())
        })?;
        Ok(x)
    }

    pub fn encode(&self, out: &mut Vec<u8>) {
        use ExtensionType as E;
        encode_prefixed(out, LengthPrefix::U16, |o| {
            if let Some(v) = self.supported_version {
                write_extension(o, E::SupportedVersions, |b| v.encode(b));
            }
            if let Some(share) = &self.key_share {
                write_extension(o, E::KeyShare, |b| share.encode(b));
            }
            if let Some(group) = self.selected_group {
                write_extension(o, E::KeyShare, |b| group.encode(b));
            }
            if let Some(cookie) = &self.cookie {
                write_extension(o, E::Cookie, |b| {
                    encode_opaque(b, LengthPrefix::U16, cookie)
                });
            }
            if let Some(index) = self.pre_shared_key {
                write_extension(o, E::PreSharedKey, |b| index.encode(b));
            }
            if self.server_name_ack {
                write_extension(o, E::ServerName, |_| {});
            }
            if let Some(groups) = &self.supported_groups {
                write_extension(o, E::SupportedGroups, |b| {
                    encode_list(b, LengthPrefix::U16, groups)
                });
            }
            if let Some(proto) = &self.alpn {
                write_extension(o, E::Alpn, |b| {
                    write_protocol_names(b, core::slice::from_ref(proto))
                });
            }
            if self.early_data {
                write_extension(o, E::EarlyData, |_| {});
            }
            if let Some(ri) = &self.renegotiation_info {
                write_extension(o, E::RenegotiationInfo, |b| {
                    encode_opaque(b, LengthPrefix::U8, ri)
                });
            }
            if self.extended_master_secret {
                write_extension(o, E::ExtendedMasterSecret, |_| {});
            }
            if self.encrypt_then_mac {
                write_extension(o, E::EncryptThenMac, |_| {});
            }
            if let Some(formats) = &self.ec_point_formats {
                write_extension(o, E::EcPointFormats, |b| {
                    encode_list(b, LengthPrefix::U8, formats)
                });
            }
            if self.session_ticket_ack {
                write_extension(o, E::SessionTicket, |_| {});
            }
        });
    }
}

/// RFC 6066 §8 CertificateStatusType ocsp(1), the only one defined.
const STATUS_TYPE_OCSP: u8 = 1;

/// RFC 6066 §8 CertificateStatus: `ocsp(1)` and `opaque OCSPResponse<1..2^24-1>`.
fn read_certificate_status(r: &mut Reader<'_>) -> Result<Vec<u8>, InvalidMessage> {
    if r.u8()? != STATUS_TYPE_OCSP {
        return Err(InvalidMessage::InvalidValue(
            "CertificateStatus status_type",
        ));
    }
    let response = r.opaque(LengthPrefix::U24)?;
    if response.is_empty() {
        return Err(InvalidMessage::EmptyList("OCSPResponse"));
    }
    Ok(response)
}

/// RFC 6962 §3.3 SignedCertificateTimestampList:
/// `SerializedSCT sct_list<1..2^16-1>`, each `opaque SerializedSCT<1..2^16-1>`.
fn read_sct_list(r: &mut Reader<'_>) -> Result<Vec<Vec<u8>>, InvalidMessage> {
    read_opaque_list(r, LengthPrefix::U16, "SerializedSCT", "sct_list")
}

/// The extensions of one CertificateEntry (RFC 8446 §4.4.2). RFC 8446 §4.2
/// allows two there: status_request (an OCSP response, §4.4.2.1) and
/// signed_certificate_timestamp.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CertificateExtensions {
    pub ocsp_response: Option<Vec<u8>>,
    pub signed_certificate_timestamps: Option<Vec<Vec<u8>>>,
    /// Every extension type received, in order (unknown ones included).
    pub received: Vec<ExtensionType>,
}

impl CertificateExtensions {
    /// Whether the entry carried no extensions at all.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    pub fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let mut x = Self::default();
        x.received = read_extension_block(r, |typ, body| {
            use ExtensionType as E;
            match typ {
                E::StatusRequest => x.ocsp_response = Some(read_certificate_status(body)?),
                E::SignedCertificateTimestamp => {
                    x.signed_certificate_timestamps = Some(read_sct_list(body)?)
                }
                // Known types that do not belong here are the receiver's
                // to refuse (RFC 8446 §4.2); their bodies are skipped.
                _ => {
                    body.rest();
                }
            }
            Ok(())
        })?;
        Ok(x)
    }

    pub fn encode(&self, out: &mut Vec<u8>) {
        use ExtensionType as E;
        encode_prefixed(out, LengthPrefix::U16, |o| {
            if let Some(response) = &self.ocsp_response {
                write_extension(o, E::StatusRequest, |b| {
                    b.push(STATUS_TYPE_OCSP);
                    encode_opaque(b, LengthPrefix::U24, response);
                });
            }
            if let Some(scts) = &self.signed_certificate_timestamps {
                write_extension(o, E::SignedCertificateTimestamp, |b| {
                    encode_prefixed(b, LengthPrefix::U16, |l| {
                        for sct in scts {
                            encode_opaque(l, LengthPrefix::U16, sct);
                        }
                    })
                });
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip_client(x: &ClientExtensions) -> ClientExtensions {
        let mut out = Vec::new();
        x.encode(&mut out);
        let mut r = Reader::new(&out);
        let back = ClientExtensions::read(&mut r).unwrap();
        assert!(!r.any_left());
        back
    }

    #[test]
    fn client_extensions_roundtrip() {
        let x = ClientExtensions {
            server_name: Some(DnsName::try_from("example.com").unwrap().to_owned()),
            supported_groups: Some(vec![NamedGroup::X25519, NamedGroup::secp256r1]),
            signature_algorithms: Some(vec![SignatureScheme::ED25519]),
            supported_versions: Some(vec![ProtocolVersion::TLSv1_3]),
            key_shares: Some(vec![KeyShareEntry {
                group: NamedGroup::X25519,
                payload: vec![1; 32],
            }]),
            alpn: Some(vec![b"h2".to_vec(), b"http/1.1".to_vec()]),
            psk_modes: Some(vec![PskKeyExchangeMode::PskDheKe]),
            cookie: Some(vec![5; 10]),
            ..Default::default()
        };
        let back = roundtrip_client(&x);
        assert_eq!(back.server_name, x.server_name);
        assert_eq!(back.key_shares, x.key_shares);
        assert_eq!(back.alpn, x.alpn);
        assert_eq!(back.cookie, x.cookie);
        assert_eq!(back.received.len(), 8);
    }

    #[test]
    fn seen_types_finds_duplicates_before_and_after_the_bitmap() {
        let mut seen = SeenTypes::with_capacity(0);
        for t in (0..300u16).map(|i| i * 211) {
            assert!(seen.insert(t), "{t} is new");
        }
        assert!(matches!(seen, SeenTypes::Bitmap(_)));
        // One from the list days, one from after the switch.
        assert!(!seen.insert(5 * 211));
        assert!(!seen.insert(299 * 211));
        let mut few = SeenTypes::with_capacity(0);
        assert!(few.insert(43) && few.insert(10) && !few.insert(43));
        assert!(matches!(few, SeenTypes::List(_)));
    }

    #[test]
    fn duplicates_are_decode_errors() {
        // two supported_versions extensions
        let block = [0, 10, 0, 43, 0, 3, 2, 3, 4, 0, 43, 0, 3, 2, 3, 4];
        let block = &block[..];
        let mut bytes = vec![0u8, (block.len() - 2) as u8];
        bytes.extend_from_slice(&block[2..]);
        let err = ClientExtensions::read(&mut Reader::new(&bytes)).unwrap_err();
        assert_eq!(
            err,
            InvalidMessage::DuplicateExtension(ExtensionType::SupportedVersions)
        );
    }

    #[test]
    fn unknown_extensions_are_skipped_and_trailing_bytes_refused() {
        // GREASE 0x0a0a with 2 bytes, then supported_versions
        let bytes = [0, 13, 0x0a, 0x0a, 0, 2, 9, 9, 0, 43, 0, 3, 2, 3, 4];
        let x = ClientExtensions::read(&mut Reader::new(&bytes)).unwrap();
        assert_eq!(x.supported_versions, Some(vec![ProtocolVersion::TLSv1_3]));
        // supported_versions body with an extra byte inside
        let bytes = [0, 8, 0, 43, 0, 4, 2, 3, 4, 7];
        let err = ClientExtensions::read(&mut Reader::new(&bytes)).unwrap_err();
        assert_eq!(err, InvalidMessage::TrailingData("extension body"));
    }

    #[test]
    fn server_alpn_must_name_one_protocol() {
        let mut out = Vec::new();
        encode_prefixed(&mut out, LengthPrefix::U16, |o| {
            write_extension(o, ExtensionType::Alpn, |b| {
                write_protocol_names(b, &[b"h2".to_vec(), b"x".to_vec()])
            })
        });
        assert!(
            ServerExtensions::read(&mut Reader::new(&out), ServerMessage::EncryptedExtensions)
                .is_err()
        );
    }
}
