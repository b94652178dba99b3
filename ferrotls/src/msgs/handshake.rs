//! Handshake messages (RFC 8446 §4, RFC 5246 §7.4): one struct per message,
//! each with its encoding and decoding side by side.

use rustls_pki_types::CertificateDer;

use crate::codec::{
    encode_list, encode_opaque, encode_prefixed, put_u24, Codec, LengthPrefix, Reader,
};
use crate::error::{Error, InvalidMessage};
use crate::msgs::enums::{
    CipherSuite, ExtensionType, HandshakeType, KeyUpdateRequest, NamedGroup, ProtocolVersion,
    SignatureScheme,
};
use crate::msgs::extensions::{
    CertificateExtensions, ClientExtensions, SeenTypes, ServerExtensions, ServerMessage,
};

/// RFC 8446 §4.1.3: the ServerHello.random that marks a HelloRetryRequest
/// (SHA-256 of "HelloRetryRequest").
pub const HRR_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// RFC 8446 §4.1.2 legacy_session_id<0..32>.
fn read_session_id(r: &mut Reader<'_>) -> Result<Vec<u8>, InvalidMessage> {
    let id = r.opaque(LengthPrefix::U8)?;
    if id.len() > 32 {
        return Err(InvalidMessage::InvalidLength("session_id"));
    }
    Ok(id)
}

/// RFC 8446 §4.1.2 ClientHello.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientHello {
    pub legacy_version: ProtocolVersion,
    pub random: [u8; 32],
    pub session_id: Vec<u8>,
    pub cipher_suites: Vec<CipherSuite>,
    pub compression_methods: Vec<u8>,
    pub extensions: ClientExtensions,
}

impl Codec for ClientHello {
    fn encode(&self, out: &mut Vec<u8>) {
        self.legacy_version.encode(out);
        out.extend_from_slice(&self.random);
        encode_opaque(out, LengthPrefix::U8, &self.session_id);
        encode_list(out, LengthPrefix::U16, &self.cipher_suites);
        encode_opaque(out, LengthPrefix::U8, &self.compression_methods);
        self.extensions.encode(out);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let legacy_version = ProtocolVersion::read(r)?;
        let random = r.array()?;
        let session_id = read_session_id(r)?;
        // cipher_suites<2..2^16-2>
        let cipher_suites = r.nonempty_list(LengthPrefix::U16, "cipher_suites")?;
        // legacy_compression_methods<1..2^8-1>
        let compression_methods = r.opaque(LengthPrefix::U8)?;
        if compression_methods.is_empty() {
            return Err(InvalidMessage::EmptyList("compression_methods"));
        }
        // RFC 5246 §7.4.1.2: a TLS 1.2 ClientHello may omit extensions.
        let extensions = match r.any_left() {
            true => ClientExtensions::read(r)?,
            false => ClientExtensions::default(),
        };
        Ok(Self {
            legacy_version,
            random,
            session_id,
            cipher_suites,
            compression_methods,
            extensions,
        })
    }
}

/// RFC 8446 §4.1.3 ServerHello (also the shape of HelloRetryRequest).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerHello {
    pub legacy_version: ProtocolVersion,
    pub random: [u8; 32],
    pub session_id: Vec<u8>,
    pub cipher_suite: CipherSuite,
    pub compression_method: u8,
    pub extensions: ServerExtensions,
}

impl ServerHello {
    pub fn is_retry_request(&self) -> bool {
        self.random == HRR_RANDOM
    }
}

impl Codec for ServerHello {
    fn encode(&self, out: &mut Vec<u8>) {
        self.legacy_version.encode(out);
        out.extend_from_slice(&self.random);
        encode_opaque(out, LengthPrefix::U8, &self.session_id);
        self.cipher_suite.encode(out);
        out.push(self.compression_method);
        self.extensions.encode(out);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let legacy_version = ProtocolVersion::read(r)?;
        let random: [u8; 32] = r.array()?;
        let session_id = read_session_id(r)?;
        let cipher_suite = CipherSuite::read(r)?;
        let compression_method = r.u8()?;
        let kind = match random == HRR_RANDOM {
            true => ServerMessage::HelloRetryRequest,
            false => ServerMessage::ServerHello,
        };
        let extensions = match r.any_left() {
            true => ServerExtensions::read(r, kind)?,
            false => ServerExtensions::default(),
        };
        Ok(Self {
            legacy_version,
            random,
            session_id,
            cipher_suite,
            compression_method,
            extensions,
        })
    }
}

/// RFC 8446 §4.4.2 CertificateEntry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateEntry {
    pub cert: CertificateDer<'static>,
    pub extensions: CertificateExtensions,
}

/// RFC 8446 §4.4.2 Certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Certificate13 {
    pub context: Vec<u8>,
    pub entries: Vec<CertificateEntry>,
}

/// Refuse certificate lists with more entries than any real chain has.
pub const MAX_CERTIFICATES: usize = 16;

impl Codec for Certificate13 {
    fn encode(&self, out: &mut Vec<u8>) {
        encode_opaque(out, LengthPrefix::U8, &self.context);
        encode_prefixed(out, LengthPrefix::U24, |o| {
            for e in &self.entries {
                encode_opaque(o, LengthPrefix::U24, e.cert.as_ref());
                e.extensions.encode(o);
            }
        });
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let context = r.opaque(LengthPrefix::U8)?;
        let mut list = r.sub(LengthPrefix::U24)?;
        let mut entries = Vec::new();
        while list.any_left() {
            // cert_data<1..2^24-1>
            let cert = list.opaque(LengthPrefix::U24)?;
            if cert.is_empty() {
                return Err(InvalidMessage::EmptyList("cert_data"));
            }
            // RFC 8446 §4.4.2: Extension extensions<0..2^16-1>, decoded like
            // every other block (duplicates, bodies left over → decode_error).
            let extensions = CertificateExtensions::read(&mut list)?;
            if entries.len() == MAX_CERTIFICATES {
                return Err(InvalidMessage::InvalidLength(
                    "certificate_list: too many certificates",
                ));
            }
            entries.push(CertificateEntry {
                cert: CertificateDer::from(cert),
                extensions,
            });
        }
        Ok(Self { context, entries })
    }
}

/// RFC 8446 §4.3.2 CertificateRequest; we keep what answering it needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateRequest13 {
    pub context: Vec<u8>,
    /// Mandatory (RFC 8446 §4.3.2); `None` when the server left it out,
    /// which the receiving state refuses with missing_extension.
    pub signature_algorithms: Option<Vec<SignatureScheme>>,
    /// Every extension type received, in order (unknown ones included).
    pub received: Vec<ExtensionType>,
}

impl Codec for CertificateRequest13 {
    fn encode(&self, out: &mut Vec<u8>) {
        encode_opaque(out, LengthPrefix::U8, &self.context);
        let x = ClientExtensions {
            signature_algorithms: self.signature_algorithms.clone(),
            ..Default::default()
        };
        x.encode(out);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let context = r.opaque(LengthPrefix::U8)?;
        let x = ClientExtensions::read(r)?;
        Ok(Self {
            context,
            signature_algorithms: x.signature_algorithms,
            received: x.received,
        })
    }
}

/// CertificateVerify (RFC 8446 §4.4.3) and TLS 1.2's digitally-signed struct.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DigitallySigned {
    pub scheme: SignatureScheme,
    pub signature: Vec<u8>,
}

impl Codec for DigitallySigned {
    fn encode(&self, out: &mut Vec<u8>) {
        self.scheme.encode(out);
        encode_opaque(out, LengthPrefix::U16, &self.signature);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let scheme = SignatureScheme::read(r)?;
        let signature = r.opaque(LengthPrefix::U16)?;
        if signature.is_empty() {
            return Err(InvalidMessage::EmptyList("signature"));
        }
        Ok(Self { scheme, signature })
    }
}

/// RFC 8446 §4.6.1 NewSessionTicket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewSessionTicket13 {
    pub lifetime: u32,
    pub age_add: u32,
    pub nonce: Vec<u8>,
    pub ticket: Vec<u8>,
    pub max_early_data: Option<u32>,
}

impl Codec for NewSessionTicket13 {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.lifetime.to_be_bytes());
        out.extend_from_slice(&self.age_add.to_be_bytes());
        encode_opaque(out, LengthPrefix::U8, &self.nonce);
        encode_opaque(out, LengthPrefix::U16, &self.ticket);
        encode_prefixed(out, LengthPrefix::U16, |o| {
            if let Some(max) = self.max_early_data {
                o.extend_from_slice(&[0, 42, 0, 4]);
                o.extend_from_slice(&max.to_be_bytes());
            }
        });
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let lifetime = r.u32()?;
        let age_add = r.u32()?;
        let nonce = r.opaque(LengthPrefix::U8)?;
        // ticket<1..2^16-1>
        let ticket = r.opaque(LengthPrefix::U16)?;
        if ticket.is_empty() {
            return Err(InvalidMessage::EmptyList("ticket"));
        }
        let mut exts = r.sub(LengthPrefix::U16)?;
        let mut max_early_data = None;
        // As in every extension block: the duplicate check stays linear
        // however many extensions the block holds.
        let mut seen = SeenTypes::with_capacity(SeenTypes::expected(exts.left()));
        while exts.any_left() {
            let typ = exts.u16()?;
            let mut body = exts.sub(LengthPrefix::U16)?;
            if !seen.insert(typ) {
                return Err(InvalidMessage::DuplicateExtension(
                    ExtensionType::from_wire(typ),
                ));
            }
            if typ == 42 {
                max_early_data = Some(body.u32()?);
                body.expect_empty("early_data extension")?;
            }
        }
        Ok(Self {
            lifetime,
            age_add,
            nonce,
            ticket,
            max_early_data,
        })
    }
}

/// RFC 5246 §7.4.2 Certificate (TLS 1.2: no context, no extensions).
fn read_certificate_list(
    r: &mut Reader<'_>,
) -> Result<Vec<CertificateDer<'static>>, InvalidMessage> {
    let mut list = r.sub(LengthPrefix::U24)?;
    let mut out = Vec::new();
    while list.any_left() {
        let cert = list.opaque(LengthPrefix::U24)?;
        if cert.is_empty() {
            return Err(InvalidMessage::EmptyList("ASN.1Cert"));
        }
        if out.len() == MAX_CERTIFICATES {
            return Err(InvalidMessage::InvalidLength(
                "certificate_list: too many certificates",
            ));
        }
        out.push(CertificateDer::from(cert));
    }
    Ok(out)
}

fn write_certificate_list(out: &mut Vec<u8>, certs: &[CertificateDer<'static>]) {
    encode_prefixed(out, LengthPrefix::U24, |o| {
        for c in certs {
            encode_opaque(o, LengthPrefix::U24, c.as_ref());
        }
    });
}

/// RFC 8422 §5.4 ServerECDHParams: a named curve and the server's point.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EcdheParams {
    pub group: NamedGroup,
    pub public: Vec<u8>,
}

/// RFC 8422 §5.4 ECCurveType named_curve; explicit curves are not allowed.
const NAMED_CURVE: u8 = 3;

impl Codec for EcdheParams {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(NAMED_CURVE);
        self.group.encode(out);
        encode_opaque(out, LengthPrefix::U8, &self.public);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        if r.u8()? != NAMED_CURVE {
            return Err(InvalidMessage::InvalidValue("ECCurveType"));
        }
        let group = NamedGroup::read(r)?;
        // point<1..2^8-1>
        let public = r.opaque(LengthPrefix::U8)?;
        if public.is_empty() {
            return Err(InvalidMessage::EmptyList("ECPoint"));
        }
        Ok(Self { group, public })
    }
}

/// RFC 8422 §5.4 ServerKeyExchange for ECDHE: params and their signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerKeyExchange {
    pub params: EcdheParams,
    pub signed: DigitallySigned,
}

impl Codec for ServerKeyExchange {
    fn encode(&self, out: &mut Vec<u8>) {
        self.params.encode(out);
        self.signed.encode(out);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        Ok(Self {
            params: EcdheParams::read(r)?,
            signed: DigitallySigned::read(r)?,
        })
    }
}

/// RFC 5077 §3.3 NewSessionTicket (TLS 1.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewSessionTicket12 {
    pub lifetime_hint: u32,
    pub ticket: Vec<u8>,
}

impl Codec for NewSessionTicket12 {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.lifetime_hint.to_be_bytes());
        encode_opaque(out, LengthPrefix::U16, &self.ticket);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        Ok(Self {
            lifetime_hint: r.u32()?,
            ticket: r.opaque(LengthPrefix::U16)?,
        })
    }
}

/// RFC 5246 §7.4.4 CertificateRequest; we keep what answering it needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateRequest12 {
    pub certificate_types: Vec<u8>,
    pub signature_algorithms: Vec<SignatureScheme>,
    pub authorities: Vec<u8>,
}

impl Codec for CertificateRequest12 {
    fn encode(&self, out: &mut Vec<u8>) {
        encode_opaque(out, LengthPrefix::U8, &self.certificate_types);
        encode_list(out, LengthPrefix::U16, &self.signature_algorithms);
        encode_opaque(out, LengthPrefix::U16, &self.authorities);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let certificate_types = r.opaque(LengthPrefix::U8)?;
        if certificate_types.is_empty() {
            return Err(InvalidMessage::EmptyList("certificate_types"));
        }
        let signature_algorithms =
            r.nonempty_list(LengthPrefix::U16, "supported_signature_algorithms")?;
        let authorities = r.opaque(LengthPrefix::U16)?;
        Ok(Self {
            certificate_types,
            signature_algorithms,
            authorities,
        })
    }
}

/// The body of a handshake message, decoded. (Hellos are large; each is
/// moved a handful of times per handshake, so they are not boxed.)
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HandshakePayload {
    ClientHello(ClientHello),
    ServerHello(ServerHello),
    HelloRetryRequest(ServerHello),
    EncryptedExtensions(ServerExtensions),
    Certificate13(Certificate13),
    CertificateRequest13(CertificateRequest13),
    CertificateVerify(DigitallySigned),
    Finished(Vec<u8>),
    NewSessionTicket13(NewSessionTicket13),
    KeyUpdate(KeyUpdateRequest),
    EndOfEarlyData,
    /// RFC 8446 §4.4.1 synthetic message_hash (built, never received).
    MessageHash(Vec<u8>),
    HelloRequest,
    NewSessionTicket12(NewSessionTicket12),
    Certificate12(Vec<CertificateDer<'static>>),
    ServerKeyExchange(ServerKeyExchange),
    CertificateRequest12(CertificateRequest12),
    ServerHelloDone,
    /// RFC 5246 §7.4.7: its shape depends on the key exchange, so the
    /// state that expects it decodes the body.
    ClientKeyExchange(Vec<u8>),
    /// A message type we do not decode.
    Opaque(HandshakeType, Vec<u8>),
}

impl HandshakePayload {
    pub fn typ(&self) -> HandshakeType {
        match self {
            Self::ClientHello(_) => HandshakeType::ClientHello,
            Self::ServerHello(_) | Self::HelloRetryRequest(_) => HandshakeType::ServerHello,
            Self::EncryptedExtensions(_) => HandshakeType::EncryptedExtensions,
            Self::Certificate13(_) => HandshakeType::Certificate,
            Self::CertificateRequest13(_) => HandshakeType::CertificateRequest,
            Self::CertificateVerify(_) => HandshakeType::CertificateVerify,
            Self::Finished(_) => HandshakeType::Finished,
            Self::NewSessionTicket13(_) => HandshakeType::NewSessionTicket,
            Self::KeyUpdate(_) => HandshakeType::KeyUpdate,
            Self::EndOfEarlyData => HandshakeType::EndOfEarlyData,
            Self::MessageHash(_) => HandshakeType::MessageHash,
            Self::HelloRequest => HandshakeType::HelloRequest,
            Self::NewSessionTicket12(_) => HandshakeType::NewSessionTicket,
            Self::Certificate12(_) => HandshakeType::Certificate,
            Self::ServerKeyExchange(_) => HandshakeType::ServerKeyExchange,
            Self::CertificateRequest12(_) => HandshakeType::CertificateRequest,
            Self::ServerHelloDone => HandshakeType::ServerHelloDone,
            Self::ClientKeyExchange(_) => HandshakeType::ClientKeyExchange,
            Self::Opaque(t, _) => *t,
        }
    }

    fn encode_body(&self, out: &mut Vec<u8>) {
        match self {
            Self::ClientHello(m) => m.encode(out),
            Self::ServerHello(m) | Self::HelloRetryRequest(m) => m.encode(out),
            Self::EncryptedExtensions(x) => x.encode(out),
            Self::Certificate13(m) => m.encode(out),
            Self::CertificateRequest13(m) => m.encode(out),
            Self::CertificateVerify(m) => m.encode(out),
            Self::Finished(v)
            | Self::MessageHash(v)
            | Self::ClientKeyExchange(v)
            | Self::Opaque(_, v) => out.extend_from_slice(v),
            Self::HelloRequest | Self::ServerHelloDone => {}
            Self::Certificate12(certs) => write_certificate_list(out, certs),
            Self::ServerKeyExchange(m) => m.encode(out),
            Self::CertificateRequest12(m) => m.encode(out),
            Self::NewSessionTicket12(m) => m.encode(out),
            Self::NewSessionTicket13(m) => m.encode(out),
            Self::KeyUpdate(r) => r.encode(out),
            Self::EndOfEarlyData => {}
        }
    }

    /// Decodes a message body of type `typ` in its TLS 1.2 or 1.3 shape;
    /// the whole body must be consumed.
    fn read(typ: HandshakeType, body: &[u8], tls12: bool) -> Result<Self, InvalidMessage> {
        let mut r = Reader::new(body);
        let payload = match typ {
            HandshakeType::HelloRequest if tls12 => Self::HelloRequest,
            HandshakeType::NewSessionTicket if tls12 => {
                Self::NewSessionTicket12(NewSessionTicket12::read(&mut r)?)
            }
            HandshakeType::Certificate if tls12 => {
                Self::Certificate12(read_certificate_list(&mut r)?)
            }
            HandshakeType::ServerKeyExchange if tls12 => {
                Self::ServerKeyExchange(ServerKeyExchange::read(&mut r)?)
            }
            HandshakeType::CertificateRequest if tls12 => {
                Self::CertificateRequest12(CertificateRequest12::read(&mut r)?)
            }
            HandshakeType::ServerHelloDone if tls12 => Self::ServerHelloDone,
            HandshakeType::ClientKeyExchange if tls12 => Self::ClientKeyExchange(r.rest().to_vec()),
            HandshakeType::Finished => Self::Finished(r.rest().to_vec()),
            HandshakeType::ClientHello => Self::ClientHello(ClientHello::read(&mut r)?),
            HandshakeType::ServerHello => {
                let sh = ServerHello::read(&mut r)?;
                match sh.is_retry_request() {
                    true => Self::HelloRetryRequest(sh),
                    false => Self::ServerHello(sh),
                }
            }
            HandshakeType::EncryptedExtensions if !tls12 => Self::EncryptedExtensions(
                ServerExtensions::read(&mut r, ServerMessage::EncryptedExtensions)?,
            ),
            HandshakeType::Certificate => Self::Certificate13(Certificate13::read(&mut r)?),
            HandshakeType::CertificateRequest => {
                Self::CertificateRequest13(CertificateRequest13::read(&mut r)?)
            }
            HandshakeType::CertificateVerify => {
                Self::CertificateVerify(DigitallySigned::read(&mut r)?)
            }
            HandshakeType::NewSessionTicket if !tls12 => {
                Self::NewSessionTicket13(NewSessionTicket13::read(&mut r)?)
            }
            HandshakeType::KeyUpdate if !tls12 => {
                let req = KeyUpdateRequest::read(&mut r)?;
                // RFC 8446 §4.6.3: other values → illegal_parameter.
                if !req.is_known() {
                    return Err(InvalidMessage::InvalidValue("KeyUpdate request"));
                }
                Self::KeyUpdate(req)
            }
            HandshakeType::EndOfEarlyData if !tls12 => Self::EndOfEarlyData,
            other => Self::Opaque(other, r.rest().to_vec()),
        };
        r.expect_empty("handshake message")?;
        Ok(payload)
    }
}

/// A handshake message with its exact encoding (header included), which
/// is what the transcript hash covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HandshakeMessage {
    pub payload: HandshakePayload,
    pub encoding: Vec<u8>,
}

/// The handshake header: msg_type (1) and length (3).
pub const HANDSHAKE_HEADER_LEN: usize = 4;

impl HandshakeMessage {
    /// Builds a message to send, encoding it once.
    pub fn build(payload: HandshakePayload) -> Self {
        // Room for most messages at once: growing by doubling from one
        // byte would allocate six times for a ServerHello.
        let mut encoding = Vec::with_capacity(256);
        encoding.push(payload.typ().to_wire());
        encode_prefixed(&mut encoding, LengthPrefix::U24, |o| payload.encode_body(o));
        Self { payload, encoding }
    }

    /// The ClientHello this message carries, taken back out once sent.
    pub fn into_client_hello(self) -> Result<ClientHello, Error> {
        match self.payload {
            HandshakePayload::ClientHello(hello) => Ok(hello),
            _ => Err(Error::Internal("not a ClientHello")),
        }
    }

    /// Fills in the one PSK binder of a ClientHello built with a placeholder
    /// of the same length. RFC 8446 §4.2.11: pre_shared_key is the last
    /// extension and its binders its last field, so the binder is the
    /// encoding's tail; the hello is not encoded a second time.
    pub fn fill_psk_binder(&mut self, binder: Vec<u8>) -> Result<(), Error> {
        let HandshakePayload::ClientHello(hello) = &mut self.payload else {
            return Err(Error::Internal("a PSK binder outside a ClientHello"));
        };
        let placeholder = match hello.extensions.pre_shared_key.as_mut() {
            Some(offer) => match offer.binders.as_mut_slice() {
                [only] if only.len() == binder.len() => only,
                _ => return Err(Error::Internal("the PSK binder placeholder")),
            },
            None => return Err(Error::Internal("a PSK binder without a PSK")),
        };
        let at = self.encoding.len() - binder.len();
        self.encoding[at..].copy_from_slice(&binder);
        *placeholder = binder;
        debug_assert_eq!(
            self.encoding,
            Self::build(self.payload.clone()).encoding,
            "the binder is the tail of the encoding"
        );
        Ok(())
    }

    /// Decodes one complete message (header and body), in its TLS 1.2
    /// shape if `tls12`, else in its TLS 1.3 shape.
    pub fn read(encoding: Vec<u8>, tls12: bool) -> Result<Self, InvalidMessage> {
        let mut r = Reader::new(&encoding);
        let typ = HandshakeType::from_wire(r.u8()?);
        let body = r.sub(LengthPrefix::U24)?.rest();
        r.expect_empty("handshake message")?;
        let payload = HandshakePayload::read(typ, body, tls12)?;
        Ok(Self { payload, encoding })
    }

    /// Decodes one complete message in its TLS 1.3 shape.
    pub fn read_tls13(encoding: Vec<u8>) -> Result<Self, InvalidMessage> {
        Self::read(encoding, false)
    }

    pub fn typ(&self) -> HandshakeType {
        self.payload.typ()
    }

    /// RFC 8446 §4.4.1: message_hash ‖ 00 00 Hash.length ‖ Hash(ClientHello1).
    pub fn message_hash(hash: Vec<u8>) -> Self {
        let mut encoding = vec![HandshakeType::MessageHash.to_wire()];
        put_u24(&mut encoding, hash.len() as u32);
        encoding.extend_from_slice(&hash);
        Self {
            payload: HandshakePayload::MessageHash(hash),
            encoding,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msgs::enums::NamedGroup;
    use crate::msgs::extensions::KeyShareEntry;

    fn sample_client_hello() -> ClientHello {
        ClientHello {
            legacy_version: ProtocolVersion::TLSv1_2,
            random: [7; 32],
            session_id: vec![1; 32],
            cipher_suites: vec![CipherSuite::TLS_AES_128_GCM_SHA256],
            compression_methods: vec![0],
            extensions: ClientExtensions {
                supported_versions: Some(vec![ProtocolVersion::TLSv1_3]),
                key_shares: Some(vec![KeyShareEntry {
                    group: NamedGroup::X25519,
                    payload: vec![9; 32],
                }]),
                // What decoding records: the types in wire order.
                received: vec![ExtensionType::KeyShare, ExtensionType::SupportedVersions],
                ..Default::default()
            },
        }
    }

    #[test]
    fn client_hello_roundtrip_and_truncation() {
        let msg = HandshakeMessage::build(HandshakePayload::ClientHello(sample_client_hello()));
        let back = HandshakeMessage::read_tls13(msg.encoding.clone()).unwrap();
        assert_eq!(back.payload, msg.payload);
        // Every truncation of the body (with the header's length fixed up)
        // is a decode error, never a panic — except the cut right before
        // the extension block, which is a valid extension-less hello.
        let no_extensions = msg.encoding.len() - 2 - (4 + 36) - (4 + 5);
        for cut in (HANDSHAKE_HEADER_LEN..msg.encoding.len()).filter(|&c| c != no_extensions) {
            let mut short = msg.encoding[..cut].to_vec();
            let len = (cut - HANDSHAKE_HEADER_LEN) as u32;
            short[1..4].copy_from_slice(&len.to_be_bytes()[1..]);
            assert!(HandshakeMessage::read_tls13(short).is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn hello_retry_request_is_recognised() {
        let hrr = ServerHello {
            legacy_version: ProtocolVersion::TLSv1_2,
            random: HRR_RANDOM,
            session_id: vec![],
            cipher_suite: CipherSuite::TLS_AES_128_GCM_SHA256,
            compression_method: 0,
            extensions: ServerExtensions {
                selected_group: Some(NamedGroup::secp256r1),
                supported_version: Some(ProtocolVersion::TLSv1_3),
                ..Default::default()
            },
        };
        let msg = HandshakeMessage::build(HandshakePayload::HelloRetryRequest(hrr));
        match HandshakeMessage::read_tls13(msg.encoding).unwrap().payload {
            HandshakePayload::HelloRetryRequest(h) => {
                assert_eq!(h.extensions.selected_group, Some(NamedGroup::secp256r1))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn certificate_roundtrip() {
        let c = Certificate13 {
            context: vec![],
            entries: vec![CertificateEntry {
                cert: CertificateDer::from(vec![0x30, 0]),
                extensions: CertificateExtensions::default(),
            }],
        };
        let msg = HandshakeMessage::build(HandshakePayload::Certificate13(c.clone()));
        assert_eq!(
            HandshakeMessage::read_tls13(msg.encoding).unwrap().payload,
            HandshakePayload::Certificate13(c)
        );
    }

    #[test]
    fn certificate_entry_extensions_are_decoded() {
        // RFC 8446 §4.4.2.1 status_request, RFC 6962 §3.3 SCTs, then GREASE.
        let c = Certificate13 {
            context: vec![],
            entries: vec![CertificateEntry {
                cert: CertificateDer::from(vec![0x30, 0]),
                extensions: CertificateExtensions {
                    ocsp_response: Some(vec![0x30, 3, 1, 2, 3]),
                    signed_certificate_timestamps: Some(vec![vec![1], vec![2, 2]]),
                    received: vec![
                        ExtensionType::StatusRequest,
                        ExtensionType::SignedCertificateTimestamp,
                    ],
                },
            }],
        };
        let mut msg = HandshakeMessage::build(HandshakePayload::Certificate13(c.clone())).encoding;
        assert_eq!(
            HandshakeMessage::read_tls13(msg.clone()).unwrap().payload,
            HandshakePayload::Certificate13(c)
        );
        // A one-byte extension block (lengths fixed up) does not decode.
        let entry = 4 + 1 + 3 + 3 + 2;
        msg.truncate(entry);
        msg.extend_from_slice(&[0, 1, 0]);
        msg[3] = (msg.len() - 4) as u8;
        msg[7] = (msg.len() - 8) as u8;
        assert_eq!(
            HandshakeMessage::read_tls13(msg).unwrap_err(),
            InvalidMessage::MessageTooShort
        );
    }
}
