//! The registered code points of TLS, each with its IANA name.
//!
//! Every enum keeps values it does not know as `Unknown(n)`: an unknown value
//! on the wire is not an error by itself (RFC 8446 §4.1.2 says to ignore
//! unknown cipher suites, groups and extensions; RFC 8701 sends GREASE).

use crate::codec::{Codec, Reader};
use crate::error::InvalidMessage;

macro_rules! wire_enum {
    ($(#[$m:meta])* pub enum $name:ident : $ty:ident { $($var:ident = $val:literal => $text:literal,)* }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        #[allow(non_camel_case_types)]
        pub enum $name {
            $($var,)*
            Unknown($ty),
        }

        impl $name {
            pub const fn to_wire(self) -> $ty {
                match self {
                    $(Self::$var => $val,)*
                    Self::Unknown(v) => v,
                }
            }

            pub const fn from_wire(v: $ty) -> Self {
                match v {
                    $($val => Self::$var,)*
                    other => Self::Unknown(other),
                }
            }

            /// The registered name, as IANA spells it.
            pub fn name(self) -> Option<&'static str> {
                match self {
                    $(Self::$var => Some($text),)*
                    Self::Unknown(_) => None,
                }
            }

            /// Looks a value up by its registered name (case-insensitive).
            pub fn from_name(text: &str) -> Option<Self> {
                [$(Self::$var,)*].into_iter().find(|v| v.name().is_some_and(|n| n.eq_ignore_ascii_case(text)))
            }

            pub fn is_known(self) -> bool {
                !matches!(self, Self::Unknown(_))
            }
        }

        impl Codec for $name {
            const FIXED_LEN: Option<usize> = Some(core::mem::size_of::<$ty>());

            fn encode(&self, out: &mut Vec<u8>) {
                self.to_wire().encode(out)
            }
            fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
                Ok(Self::from_wire($ty::read(r)?))
            }
        }

        impl core::fmt::Display for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                match self.name() {
                    Some(n) => f.write_str(n),
                    None => write!(f, "unknown {}(0x{:x})", stringify!($name), self.to_wire()),
                }
            }
        }
    };
}

wire_enum! {
    /// RFC 8446 §5.1 ContentType.
    pub enum ContentType: u8 {
        ChangeCipherSpec = 20 => "change_cipher_spec",
        Alert = 21 => "alert",
        Handshake = 22 => "handshake",
        ApplicationData = 23 => "application_data",
    }
}

wire_enum! {
    /// ProtocolVersion (RFC 8446 §4.1.2, RFC 5246 §6.2.1).
    pub enum ProtocolVersion: u16 {
        TLSv1_0 = 0x0301 => "TLSv1.0",
        TLSv1_1 = 0x0302 => "TLSv1.1",
        TLSv1_2 = 0x0303 => "TLSv1.2",
        TLSv1_3 = 0x0304 => "TLSv1.3",
    }
}

wire_enum! {
    /// RFC 8446 §4 HandshakeType (with RFC 5246's TLS 1.2 messages).
    pub enum HandshakeType: u8 {
        HelloRequest = 0 => "hello_request",
        ClientHello = 1 => "client_hello",
        ServerHello = 2 => "server_hello",
        NewSessionTicket = 4 => "new_session_ticket",
        EndOfEarlyData = 5 => "end_of_early_data",
        EncryptedExtensions = 8 => "encrypted_extensions",
        Certificate = 11 => "certificate",
        ServerKeyExchange = 12 => "server_key_exchange",
        CertificateRequest = 13 => "certificate_request",
        ServerHelloDone = 14 => "server_hello_done",
        CertificateVerify = 15 => "certificate_verify",
        ClientKeyExchange = 16 => "client_key_exchange",
        Finished = 20 => "finished",
        CertificateStatus = 22 => "certificate_status",
        KeyUpdate = 24 => "key_update",
        MessageHash = 254 => "message_hash",
    }
}

wire_enum! {
    /// RFC 8446 §6 AlertLevel.
    pub enum AlertLevel: u8 {
        Warning = 1 => "warning",
        Fatal = 2 => "fatal",
    }
}

wire_enum! {
    /// RFC 8446 §6 AlertDescription.
    pub enum AlertDescription: u8 {
        CloseNotify = 0 => "close_notify",
        UnexpectedMessage = 10 => "unexpected_message",
        BadRecordMac = 20 => "bad_record_mac",
        DecryptionFailed = 21 => "decryption_failed",
        RecordOverflow = 22 => "record_overflow",
        DecompressionFailure = 30 => "decompression_failure",
        HandshakeFailure = 40 => "handshake_failure",
        NoCertificate = 41 => "no_certificate",
        BadCertificate = 42 => "bad_certificate",
        UnsupportedCertificate = 43 => "unsupported_certificate",
        CertificateRevoked = 44 => "certificate_revoked",
        CertificateExpired = 45 => "certificate_expired",
        CertificateUnknown = 46 => "certificate_unknown",
        IllegalParameter = 47 => "illegal_parameter",
        UnknownCa = 48 => "unknown_ca",
        AccessDenied = 49 => "access_denied",
        DecodeError = 50 => "decode_error",
        DecryptError = 51 => "decrypt_error",
        ExportRestriction = 60 => "export_restriction",
        ProtocolVersion = 70 => "protocol_version",
        InsufficientSecurity = 71 => "insufficient_security",
        InternalError = 80 => "internal_error",
        InappropriateFallback = 86 => "inappropriate_fallback",
        UserCanceled = 90 => "user_canceled",
        NoRenegotiation = 100 => "no_renegotiation",
        MissingExtension = 109 => "missing_extension",
        UnsupportedExtension = 110 => "unsupported_extension",
        CertificateUnobtainable = 111 => "certificate_unobtainable",
        UnrecognizedName = 112 => "unrecognized_name",
        BadCertificateStatusResponse = 113 => "bad_certificate_status_response",
        BadCertificateHashValue = 114 => "bad_certificate_hash_value",
        UnknownPskIdentity = 115 => "unknown_psk_identity",
        CertificateRequired = 116 => "certificate_required",
        NoApplicationProtocol = 120 => "no_application_protocol",
    }
}

wire_enum! {
    /// ExtensionType (RFC 8446 §4.2 and the RFCs that register the rest).
    pub enum ExtensionType: u16 {
        ServerName = 0 => "server_name",
        MaxFragmentLength = 1 => "max_fragment_length",
        StatusRequest = 5 => "status_request",
        SupportedGroups = 10 => "supported_groups",
        EcPointFormats = 11 => "ec_point_formats",
        SignatureAlgorithms = 13 => "signature_algorithms",
        UseSrtp = 14 => "use_srtp",
        Heartbeat = 15 => "heartbeat",
        Alpn = 16 => "application_layer_protocol_negotiation",
        SignedCertificateTimestamp = 18 => "signed_certificate_timestamp",
        ClientCertificateType = 19 => "client_certificate_type",
        ServerCertificateType = 20 => "server_certificate_type",
        Padding = 21 => "padding",
        EncryptThenMac = 22 => "encrypt_then_mac",
        ExtendedMasterSecret = 23 => "extended_master_secret",
        RecordSizeLimit = 28 => "record_size_limit",
        SessionTicket = 35 => "session_ticket",
        PreSharedKey = 41 => "pre_shared_key",
        EarlyData = 42 => "early_data",
        SupportedVersions = 43 => "supported_versions",
        Cookie = 44 => "cookie",
        PskKeyExchangeModes = 45 => "psk_key_exchange_modes",
        CertificateAuthorities = 47 => "certificate_authorities",
        OidFilters = 48 => "oid_filters",
        PostHandshakeAuth = 49 => "post_handshake_auth",
        SignatureAlgorithmsCert = 50 => "signature_algorithms_cert",
        KeyShare = 51 => "key_share",
        RenegotiationInfo = 0xff01 => "renegotiation_info",
    }
}

wire_enum! {
    /// NamedGroup (RFC 8446 §4.2.7; X25519MLKEM768 from the IANA registry).
    pub enum NamedGroup: u16 {
        secp256r1 = 0x0017 => "secp256r1",
        secp384r1 = 0x0018 => "secp384r1",
        secp521r1 = 0x0019 => "secp521r1",
        X25519 = 0x001d => "x25519",
        X448 = 0x001e => "x448",
        FFDHE2048 = 0x0100 => "ffdhe2048",
        X25519MLKEM768 = 0x11ec => "X25519MLKEM768",
    }
}

wire_enum! {
    /// SignatureScheme (RFC 8446 §4.2.3).
    pub enum SignatureScheme: u16 {
        RSA_PKCS1_SHA1 = 0x0201 => "rsa_pkcs1_sha1",
        ECDSA_SHA1_Legacy = 0x0203 => "ecdsa_sha1",
        RSA_PKCS1_SHA256 = 0x0401 => "rsa_pkcs1_sha256",
        RSA_PKCS1_SHA384 = 0x0501 => "rsa_pkcs1_sha384",
        RSA_PKCS1_SHA512 = 0x0601 => "rsa_pkcs1_sha512",
        ECDSA_NISTP256_SHA256 = 0x0403 => "ecdsa_secp256r1_sha256",
        ECDSA_NISTP384_SHA384 = 0x0503 => "ecdsa_secp384r1_sha384",
        ECDSA_NISTP521_SHA512 = 0x0603 => "ecdsa_secp521r1_sha512",
        RSA_PSS_RSAE_SHA256 = 0x0804 => "rsa_pss_rsae_sha256",
        RSA_PSS_RSAE_SHA384 = 0x0805 => "rsa_pss_rsae_sha384",
        RSA_PSS_RSAE_SHA512 = 0x0806 => "rsa_pss_rsae_sha512",
        ED25519 = 0x0807 => "ed25519",
        ED448 = 0x0808 => "ed448",
        RSA_PSS_PSS_SHA256 = 0x0809 => "rsa_pss_pss_sha256",
        RSA_PSS_PSS_SHA384 = 0x080a => "rsa_pss_pss_sha384",
        RSA_PSS_PSS_SHA512 = 0x080b => "rsa_pss_pss_sha512",
    }
}

impl SignatureScheme {
    /// RFC 8446 §4.2.3: RSASSA-PKCS1-v1_5 and SHA-1 schemes are not for
    /// TLS 1.3 handshake signatures.
    pub fn usable_in_tls13(self) -> bool {
        matches!(
            self,
            Self::ECDSA_NISTP256_SHA256
                | Self::ECDSA_NISTP384_SHA384
                | Self::ECDSA_NISTP521_SHA512
                | Self::RSA_PSS_RSAE_SHA256
                | Self::RSA_PSS_RSAE_SHA384
                | Self::RSA_PSS_RSAE_SHA512
                | Self::ED25519
        )
    }
}

wire_enum! {
    /// CipherSuite (RFC 8446 §B.4, RFC 5246 §A.5 and the suites that followed).
    pub enum CipherSuite: u16 {
        TLS_AES_128_GCM_SHA256 = 0x1301 => "TLS_AES_128_GCM_SHA256",
        TLS_AES_256_GCM_SHA384 = 0x1302 => "TLS_AES_256_GCM_SHA384",
        TLS_CHACHA20_POLY1305_SHA256 = 0x1303 => "TLS_CHACHA20_POLY1305_SHA256",
        TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 = 0xc02b => "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 = 0xc02c => "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 = 0xc02f => "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 = 0xc030 => "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 = 0xcca8 => "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 = 0xcca9 => "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA = 0xc009 => "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
        TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA = 0xc00a => "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
        TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA = 0xc013 => "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
        TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA = 0xc014 => "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
        TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256 = 0xc023 => "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
        TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384 = 0xc024 => "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384",
        TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256 = 0xc027 => "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
        TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384 = 0xc028 => "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
        TLS_RSA_WITH_AES_128_CBC_SHA = 0x002f => "TLS_RSA_WITH_AES_128_CBC_SHA",
        TLS_RSA_WITH_AES_256_CBC_SHA = 0x0035 => "TLS_RSA_WITH_AES_256_CBC_SHA",
        TLS_RSA_WITH_AES_128_CBC_SHA256 = 0x003c => "TLS_RSA_WITH_AES_128_CBC_SHA256",
        TLS_RSA_WITH_AES_256_CBC_SHA256 = 0x003d => "TLS_RSA_WITH_AES_256_CBC_SHA256",
        TLS_RSA_WITH_AES_128_GCM_SHA256 = 0x009c => "TLS_RSA_WITH_AES_128_GCM_SHA256",
        TLS_RSA_WITH_AES_256_GCM_SHA384 = 0x009d => "TLS_RSA_WITH_AES_256_GCM_SHA384",
        TLS_EMPTY_RENEGOTIATION_INFO_SCSV = 0x00ff => "TLS_EMPTY_RENEGOTIATION_INFO_SCSV",
        TLS_FALLBACK_SCSV = 0x5600 => "TLS_FALLBACK_SCSV",
    }
}

wire_enum! {
    /// RFC 8446 §4.2.9 PskKeyExchangeMode.
    pub enum PskKeyExchangeMode: u8 {
        PskKe = 0 => "psk_ke",
        PskDheKe = 1 => "psk_dhe_ke",
    }
}

wire_enum! {
    /// RFC 8446 §4.6.3 KeyUpdateRequest.
    pub enum KeyUpdateRequest: u8 {
        UpdateNotRequested = 0 => "update_not_requested",
        UpdateRequested = 1 => "update_requested",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_values_roundtrip() {
        assert_eq!(
            CipherSuite::from_name("tls_aes_128_gcm_sha256"),
            Some(CipherSuite::TLS_AES_128_GCM_SHA256)
        );
        assert_eq!(
            NamedGroup::from_name("X25519MLKEM768").map(|g| g.to_wire()),
            Some(0x11ec)
        );
        assert_eq!(NamedGroup::from_wire(0x0a0a), NamedGroup::Unknown(0x0a0a));
        assert_eq!(
            AlertDescription::from_wire(120).to_string(),
            "no_application_protocol"
        );
        assert_eq!(
            ExtensionType::Unknown(0x1a1a).to_string(),
            "unknown ExtensionType(0x1a1a)"
        );
    }
}
