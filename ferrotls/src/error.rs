//! Errors, and the one table that decides which alert a peer gets for each.
//!
//! Errors are at least as precise as alerts: every variant names what went
//! wrong in words a user understands, and [`Error::alert`] is the single
//! place that maps an error to the alert we send (RFC 8446 §6.2,
//! RFC 5246 §7.2.2).

use core::fmt;

use crate::msgs::enums::{AlertDescription, ContentType, ExtensionType, HandshakeType};

/// Everything that can stop a connection.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The peer sent bytes that do not decode (→ decode_error).
    InvalidMessage(InvalidMessage),
    /// A record of a content type we do not expect now (→ unexpected_message).
    InappropriateMessage {
        expected: &'static str,
        got: ContentType,
    },
    /// A handshake message we do not expect now (→ unexpected_message).
    InappropriateHandshakeMessage {
        expected: &'static str,
        got: HandshakeType,
    },
    /// The peer broke a rule of the protocol (alert depends on the rule).
    PeerMisbehaved(PeerMisbehaved),
    /// The peer and we have nothing in common (alert depends on what).
    PeerIncompatible(PeerIncompatible),
    /// A record failed authentication (→ bad_record_mac).
    DecryptError,
    /// A record exceeded the RFC's size limit (→ record_overflow).
    RecordOverflow,
    /// The peer's certificate was rejected.
    InvalidCertificate(CertificateError),
    /// ALPN was offered and nothing overlaps (→ no_application_protocol).
    NoApplicationProtocol,
    /// The peer sent us a fatal alert.
    AlertReceived(AlertDescription),
    /// Our configuration cannot work.
    InvalidConfig(String),
    /// The operation needs a completed handshake.
    HandshakeNotComplete,
    /// The API was used in a way that cannot work (the connection is
    /// unharmed; nothing is sent to the peer).
    ApiMisuse(&'static str),
    /// Something failed on our side (→ internal_error).
    Internal(&'static str),
}

/// Ways bytes fail to decode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum InvalidMessage {
    MessageTooShort,
    TrailingData(&'static str),
    EmptyList(&'static str),
    DuplicateExtension(ExtensionType),
    InvalidLength(&'static str),
    InvalidValue(&'static str),
    /// A handshake message longer than the configured maximum.
    HandshakeMessageTooLarge,
    /// A record header with a content type nobody registered (RFC 8446 §5).
    UnknownContentType(u8),
    /// A record header whose version is not a TLS version.
    InvalidRecordVersion(u16),
    /// A zero-length handshake or alert record (RFC 8446 §5.1).
    EmptyRecord(ContentType),
}

/// Protocol rules broken by the peer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PeerMisbehaved {
    SelectedUnofferedCipherSuite,
    SelectedUnofferedGroup,
    SelectedUnofferedVersion,
    SelectedUnofferedSignatureScheme,
    SelectedUnofferedProtocol,
    SentUnsolicitedExtension(ExtensionType),
    SentExtensionInWrongMessage(ExtensionType),
    WrongSessionIdEcho,
    NonZeroCompression,
    SecondHelloRetryRequest,
    HelloRetryRequestChangesNothing,
    HelloRetryRequestForOfferedKeyShare,
    ClientHelloChangedAfterRetry,
    KeyShareForUnsupportedGroup,
    DuplicateKeyShare,
    InvalidKeyShare,
    WrongKeyShareAfterRetry,
    CertificateContextNotEmpty,
    EmptyCertificateList,
    BadCertificateVerifySignature,
    BadFinished,
    IllegalChangeCipherSpec,
    TooManyChangeCipherSpecs,
    TooManyEmptyRecords,
    TooManyWarningAlerts,
    TooManyKeyUpdates,
    HandshakeDataAcrossKeyChange,
    ApplicationDataBeforeHandshake,
    EmptyApplicationProtocol,
    LegacyVersionTooLow,
    DowngradeSentinel,
    UnknownAlertLevel,
    RenegotiationNotSupported,
    ReceivedDataAfterCloseNotify,
    InnerPlaintextAllZero,
    SequenceNumberExhausted,
    /// RFC 5746 §3.4, §3.6: renegotiation_info not empty in an initial handshake.
    RenegotiationInfoNotEmpty,
    /// RFC 7507: TLS_FALLBACK_SCSV from a client we could serve a higher version.
    InappropriateFallback,
    /// RFC 8422 §5.1.2: ec_point_formats without the uncompressed format.
    MissingUncompressedPointFormat,
    /// A TLS 1.2 signature scheme that does not fit the suite's key type.
    UnsuitableSignatureScheme,
    /// A TLS 1.2 server echoed a session ID we did not offer for resumption.
    ResumedUnofferedSession,
    /// RFC 8446 §4.2.11: a PSK binder that does not verify.
    BadPskBinder,
    /// A HelloRetryRequest cookie too large for us to echo.
    OversizedCookie,
    /// RFC 8446 §4.2.11: a different number of PSK identities and binders.
    PskBindersMismatch,
    /// RFC 8446 §4.2.11: the server selected a PSK we did not offer, or one
    /// whose hash does not match the suite.
    SelectedInvalidPsk,
    /// More key shares in one ClientHello than we look at.
    TooManyKeyShares,
    /// TLS 1.2: more renegotiation requests (HelloRequest, ClientHello)
    /// than we decline before treating them as a flood.
    TooManyRenegotiationRequests,
}

/// Nothing in common with the peer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PeerIncompatible {
    NoCommonVersion,
    NoCommonCipherSuite,
    NoCommonGroup,
    NoCommonSignatureScheme,
    NoCertificateForName,
    MissingExtension(ExtensionType),
    /// TLS 1.3 ClientHello with key_share xor supported_groups (RFC 8446 §9.2).
    KeyShareWithoutSupportedGroups,
    /// RFC 7627: the peer does not do extended master secret, and we require it.
    ExtendedMasterSecretRequired,
    /// RFC 7366: a CBC suite without encrypt-then-MAC, which we refuse.
    EncryptThenMacRequired,
}

/// Why a certificate was rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CertificateError {
    BadEncoding,
    Expired,
    NotValidYet,
    UnknownIssuer,
    Revoked,
    NotValidForName { expected: String },
    BadSignature,
    UnsupportedSignatureAlgorithm,
    InvalidPurpose,
    Other(String),
}

impl Error {
    /// The one error→alert table: the alert the peer is sent for this error,
    /// or `None` where none is owed (the peer's own alert, local misuse).
    pub fn alert(&self) -> Option<AlertDescription> {
        use AlertDescription as A;
        use PeerMisbehaved as M;
        Some(match self {
            Self::InvalidMessage(m) => match m {
                InvalidMessage::UnknownContentType(_) => A::UnexpectedMessage,
                InvalidMessage::EmptyRecord(_) => A::UnexpectedMessage,
                InvalidMessage::InvalidValue(_) => A::IllegalParameter,
                _ => A::DecodeError,
            },
            Self::InappropriateMessage { .. } | Self::InappropriateHandshakeMessage { .. } => {
                A::UnexpectedMessage
            }
            Self::PeerMisbehaved(m) => match m {
                M::BadCertificateVerifySignature | M::BadFinished | M::BadPskBinder => {
                    A::DecryptError
                }
                M::IllegalChangeCipherSpec
                | M::SecondHelloRetryRequest
                | M::TooManyChangeCipherSpecs
                | M::TooManyEmptyRecords
                | M::TooManyWarningAlerts
                | M::TooManyKeyUpdates
                | M::TooManyRenegotiationRequests
                | M::HandshakeDataAcrossKeyChange
                | M::ApplicationDataBeforeHandshake
                | M::ReceivedDataAfterCloseNotify
                | M::InnerPlaintextAllZero => A::UnexpectedMessage,
                M::SentUnsolicitedExtension(_) => A::UnsupportedExtension,
                M::EmptyCertificateList => A::DecodeError,
                M::LegacyVersionTooLow => A::ProtocolVersion,
                M::RenegotiationNotSupported => A::NoRenegotiation,
                M::RenegotiationInfoNotEmpty => A::HandshakeFailure,
                M::InappropriateFallback => A::InappropriateFallback,
                M::SequenceNumberExhausted => A::InternalError,
                _ => A::IllegalParameter,
            },
            Self::PeerIncompatible(i) => match i {
                PeerIncompatible::NoCommonVersion => A::ProtocolVersion,
                PeerIncompatible::MissingExtension(_)
                | PeerIncompatible::KeyShareWithoutSupportedGroups => A::MissingExtension,
                PeerIncompatible::NoCertificateForName => A::UnrecognizedName,
                _ => A::HandshakeFailure,
            },
            Self::DecryptError => A::BadRecordMac,
            Self::RecordOverflow => A::RecordOverflow,
            Self::InvalidCertificate(c) => match c {
                CertificateError::Expired | CertificateError::NotValidYet => A::CertificateExpired,
                CertificateError::UnknownIssuer => A::UnknownCa,
                CertificateError::Revoked => A::CertificateRevoked,
                CertificateError::UnsupportedSignatureAlgorithm => A::UnsupportedCertificate,
                _ => A::BadCertificate,
            },
            Self::NoApplicationProtocol => A::NoApplicationProtocol,
            Self::Internal(_) => A::InternalError,
            Self::AlertReceived(_)
            | Self::InvalidConfig(_)
            | Self::HandshakeNotComplete
            | Self::ApiMisuse(_) => return None,
        })
    }
}

impl From<InvalidMessage> for Error {
    fn from(m: InvalidMessage) -> Self {
        Self::InvalidMessage(m)
    }
}

impl From<PeerMisbehaved> for Error {
    fn from(m: PeerMisbehaved) -> Self {
        Self::PeerMisbehaved(m)
    }
}

impl From<PeerIncompatible> for Error {
    fn from(m: PeerIncompatible) -> Self {
        Self::PeerIncompatible(m)
    }
}

impl From<CertificateError> for Error {
    fn from(c: CertificateError) -> Self {
        Self::InvalidCertificate(c)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidMessage(m) => write!(f, "peer sent a malformed message: {m}"),
            Self::InappropriateMessage { expected, got } => {
                write!(
                    f,
                    "peer sent an unexpected {got} record (expected {expected})"
                )
            }
            Self::InappropriateHandshakeMessage { expected, got } => {
                write!(
                    f,
                    "peer sent an unexpected {got} message (expected {expected})"
                )
            }
            Self::PeerMisbehaved(m) => write!(f, "peer misbehaved: {m}"),
            Self::PeerIncompatible(i) => write!(f, "peer is incompatible: {i}"),
            Self::DecryptError => f.write_str("a record failed authentication (bad_record_mac)"),
            Self::RecordOverflow => f.write_str("peer sent a record larger than TLS allows"),
            Self::InvalidCertificate(c) => write!(f, "invalid peer certificate: {c}"),
            Self::NoApplicationProtocol => {
                f.write_str("no application protocol (ALPN) in common with the peer")
            }
            Self::AlertReceived(a) => write!(f, "peer sent fatal alert: {a}"),
            Self::InvalidConfig(s) => write!(f, "invalid configuration: {s}"),
            Self::HandshakeNotComplete => f.write_str("the handshake is not complete"),
            Self::ApiMisuse(s) => write!(f, "API misuse: {s}"),
            Self::Internal(s) => write!(f, "internal error: {s}"),
        }
    }
}

impl fmt::Display for InvalidMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MessageTooShort => f.write_str("message truncated"),
            Self::TrailingData(w) => write!(f, "trailing bytes after {w}"),
            Self::EmptyList(w) => write!(f, "empty {w} list"),
            Self::DuplicateExtension(e) => write!(f, "extension {e} appears twice"),
            Self::InvalidLength(w) => write!(f, "invalid length of {w}"),
            Self::InvalidValue(w) => write!(f, "invalid value of {w}"),
            Self::HandshakeMessageTooLarge => f.write_str("handshake message too large"),
            Self::UnknownContentType(t) if t.is_ascii_uppercase() => write!(
                f,
                "unknown record content type {t}: the peer is not speaking TLS (plain text such as HTTP?)"
            ),
            Self::UnknownContentType(t) => write!(f, "unknown record content type {t}"),
            Self::InvalidRecordVersion(v) => write!(f, "record version 0x{v:04x} is not TLS"),
            Self::EmptyRecord(t) => write!(f, "empty {t} record"),
        }
    }
}

impl fmt::Display for PeerMisbehaved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SentUnsolicitedExtension(e) => {
                write!(f, "sent extension {e} that was not offered")
            }
            Self::SentExtensionInWrongMessage(e) => {
                write!(f, "sent extension {e} in the wrong message")
            }
            other => write!(f, "{other:?}"),
        }
    }
}

impl fmt::Display for PeerIncompatible {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoCommonVersion => f.write_str("no TLS version in common"),
            Self::NoCommonCipherSuite => f.write_str("no cipher suite in common"),
            Self::NoCommonGroup => f.write_str("no key exchange group in common"),
            Self::NoCommonSignatureScheme => f.write_str("no signature scheme in common"),
            Self::NoCertificateForName => f.write_str("no certificate for the requested name"),
            Self::MissingExtension(e) => write!(f, "required extension {e} is missing"),
            Self::KeyShareWithoutSupportedGroups => {
                f.write_str("key_share and supported_groups must be sent together")
            }
            Self::ExtendedMasterSecretRequired => {
                f.write_str("peer does not support extended master secret (RFC 7627), which is required")
            }
            Self::EncryptThenMacRequired => {
                f.write_str("CBC cipher suites are used only with encrypt-then-MAC (RFC 7366), which the peer did not negotiate")
            }
        }
    }
}

impl fmt::Display for CertificateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadEncoding => f.write_str("certificate is not valid DER"),
            Self::Expired => f.write_str("certificate has expired"),
            Self::NotValidYet => f.write_str("certificate is not valid yet"),
            Self::UnknownIssuer => f.write_str("certificate is signed by an unknown issuer"),
            Self::Revoked => f.write_str("certificate is revoked"),
            Self::NotValidForName { expected } => {
                write!(f, "certificate is not valid for name '{expected}'")
            }
            Self::BadSignature => {
                f.write_str("signature does not verify with the certificate's key")
            }
            Self::UnsupportedSignatureAlgorithm => f.write_str("unsupported signature algorithm"),
            Self::InvalidPurpose => {
                f.write_str("certificate is not valid for TLS server authentication")
            }
            Self::Other(s) => f.write_str(s),
        }
    }
}

impl std::error::Error for Error {}

impl From<Error> for std::io::Error {
    fn from(e: Error) -> Self {
        std::io::Error::new(std::io::ErrorKind::InvalidData, e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names_the_rfc_alerts() {
        use AlertDescription as A;
        let cases: &[(Error, Option<A>)] = &[
            (InvalidMessage::MessageTooShort.into(), Some(A::DecodeError)),
            (PeerMisbehaved::BadFinished.into(), Some(A::DecryptError)),
            (
                PeerMisbehaved::SelectedUnofferedCipherSuite.into(),
                Some(A::IllegalParameter),
            ),
            (
                PeerIncompatible::NoCommonVersion.into(),
                Some(A::ProtocolVersion),
            ),
            (
                PeerIncompatible::NoCommonCipherSuite.into(),
                Some(A::HandshakeFailure),
            ),
            (Error::DecryptError, Some(A::BadRecordMac)),
            (Error::RecordOverflow, Some(A::RecordOverflow)),
            (CertificateError::UnknownIssuer.into(), Some(A::UnknownCa)),
            (
                CertificateError::Expired.into(),
                Some(A::CertificateExpired),
            ),
            (Error::NoApplicationProtocol, Some(A::NoApplicationProtocol)),
            (Error::AlertReceived(A::HandshakeFailure), None),
        ];
        for (err, alert) in cases {
            assert_eq!(err.alert(), *alert, "{err}");
        }
    }

    #[test]
    fn messages_are_readable() {
        let e: Error = CertificateError::NotValidForName {
            expected: "foo.example".into(),
        }
        .into();
        assert_eq!(
            e.to_string(),
            "invalid peer certificate: certificate is not valid for name 'foo.example'"
        );
    }
}
