//! The TLS options `client` and `server` share: protocol versions, cipher
//! suites, key exchange groups and ALPN, turned into config values.

use clap::Args;
use ferrotls::crypto::kx;
use ferrotls::suites::{TLS12_SUITES, TLS13_SUITES};
use ferrotls::{CipherSuite, ClientConfig, NamedGroup, ProtocolVersion, ServerConfig};

use crate::CliError;

/// The protocol versions this build can speak, most preferred first.
pub const SUPPORTED_VERSIONS: &[ProtocolVersion] =
    &[ProtocolVersion::TLSv1_3, ProtocolVersion::TLSv1_2];

#[derive(Args, Debug, Clone, Default)]
pub struct TlsArgs {
    /// Only TLS 1.3.
    #[arg(long, conflicts_with = "tls12")]
    pub tls13: bool,

    /// Only TLS 1.2.
    #[arg(long)]
    pub tls12: bool,

    /// Cipher suites, most preferred first, colon-separated IANA names
    /// (e.g. TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256).
    #[arg(long, value_name = "A:B")]
    pub ciphers: Option<String>,

    /// Key exchange groups, most preferred first, colon-separated IANA
    /// names (X25519MLKEM768, x25519, secp256r1, secp384r1).
    #[arg(long, value_name = "A:B")]
    pub groups: Option<String>,

    /// ALPN protocols, most preferred first, comma-separated (e.g. h2,http/1.1).
    #[arg(long, value_name = "a,b")]
    pub alpn: Option<String>,

    /// TLS 1.2: also accept a peer without the extended master secret
    /// (RFC 7627), as some old ones are. Its master secret is then not bound
    /// to the handshake that made it (the triple handshake attack), which
    /// is why it is refused by default.
    #[arg(long)]
    pub allow_no_ems: bool,
}

/// What the options resolve to; `None` keeps the library default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsParams {
    pub versions: Vec<ProtocolVersion>,
    pub cipher_suites: Option<Vec<CipherSuite>>,
    pub groups: Option<Vec<NamedGroup>>,
    pub alpn_protocols: Vec<Vec<u8>>,
    pub require_extended_master_secret: bool,
}

impl TlsArgs {
    pub fn resolve(&self) -> Result<TlsParams, CliError> {
        Ok(TlsParams {
            versions: self.versions()?,
            cipher_suites: self.ciphers.as_deref().map(parse_suites).transpose()?,
            groups: self.groups.as_deref().map(parse_groups).transpose()?,
            alpn_protocols: self
                .alpn
                .as_deref()
                .map(parse_alpn)
                .transpose()?
                .unwrap_or_default(),
            require_extended_master_secret: !self.allow_no_ems,
        })
    }

    fn versions(&self) -> Result<Vec<ProtocolVersion>, CliError> {
        Ok(match (self.tls13, self.tls12) {
            (true, _) => vec![ProtocolVersion::TLSv1_3],
            (_, true) => vec![ProtocolVersion::TLSv1_2],
            _ => SUPPORTED_VERSIONS.to_vec(),
        })
    }
}

impl TlsParams {
    pub fn apply_to_client(self, config: &mut ClientConfig) {
        config.versions = self.versions;
        if let Some(suites) = self.cipher_suites {
            config.cipher_suites = suites;
        }
        if let Some(groups) = self.groups {
            config.groups = groups;
        }
        config.alpn_protocols = self.alpn_protocols;
        config.require_extended_master_secret = self.require_extended_master_secret;
    }

    pub fn apply_to_server(self, config: &mut ServerConfig) {
        config.versions = self.versions;
        if let Some(suites) = self.cipher_suites {
            config.cipher_suites = suites;
        }
        if let Some(groups) = self.groups {
            config.groups = groups;
        }
        config.alpn_protocols = self.alpn_protocols;
        config.require_extended_master_secret = self.require_extended_master_secret;
    }
}

/// Every suite the library implements: TLS 1.3, then TLS 1.2 (CBC and RSA
/// key transport included: naming them is how they are switched on).
fn supported_suites() -> Vec<CipherSuite> {
    TLS13_SUITES
        .iter()
        .map(|s| s.suite)
        .chain(TLS12_SUITES.iter().map(|s| s.suite))
        .collect()
}

fn supported_groups() -> Vec<NamedGroup> {
    kx::ALL_GROUPS.iter().map(|g| g.name()).collect()
}

fn parse_suites(text: &str) -> Result<Vec<CipherSuite>, CliError> {
    parse_list(
        text,
        "cipher suite",
        CipherSuite::from_name,
        &supported_suites(),
    )
}

fn parse_groups(text: &str) -> Result<Vec<NamedGroup>, CliError> {
    parse_list(text, "group", NamedGroup::from_name, &supported_groups())
}

/// Parses a colon-separated list of IANA names (case-insensitive), each of
/// which must be in `supported`. Duplicates are dropped.
fn parse_list<T: Copy + PartialEq + std::fmt::Display>(
    text: &str,
    what: &str,
    from_name: fn(&str) -> Option<T>,
    supported: &[T],
) -> Result<Vec<T>, CliError> {
    let mut out = Vec::new();
    for name in text.split(':').map(str::trim) {
        if name.is_empty() {
            return Err(CliError::Usage(format!("empty {what} name in '{text}'")));
        }
        let value = match from_name(name) {
            Some(v) if supported.contains(&v) => v,
            Some(_) => {
                return Err(CliError::Usage(format!(
                    "{what} '{name}' is not supported (supported: {})",
                    join(supported)
                )))
            }
            None => {
                return Err(CliError::Usage(format!(
                    "unknown {what} '{name}' (valid: {})",
                    join(supported)
                )))
            }
        };
        if !out.contains(&value) {
            out.push(value);
        }
    }
    Ok(out)
}

fn join<T: std::fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Parses "h2,http/1.1". RFC 7301 §3.1: each protocol name is 1 to 255
/// bytes; empty names are not allowed.
fn parse_alpn(text: &str) -> Result<Vec<Vec<u8>>, CliError> {
    let mut out: Vec<Vec<u8>> = Vec::new();
    for name in text.split(',') {
        if name.is_empty() || name.len() > 255 {
            return Err(CliError::Usage(format!(
                "ALPN protocol names must be 1 to 255 bytes: '{text}'"
            )));
        }
        if !out.iter().any(|p| p == name.as_bytes()) {
            out.push(name.as_bytes().to_vec());
        }
    }
    Ok(out)
}

/// Names the key exchange group; a handshake without one (a resumed TLS
/// 1.2 session, TLS 1.3 psk_ke) says so rather than "unknown".
pub fn group_label(group: Option<ferrotls::NamedGroup>) -> String {
    group.map_or_else(|| "no-key-exchange".into(), |g| g.to_string())
}

/// Shows an ALPN protocol name: printable ASCII as is, other bytes escaped.
pub fn alpn_label(proto: Option<&[u8]>) -> String {
    match proto {
        None => "none".into(),
        Some(p) => p.escape_ascii().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> TlsArgs {
        TlsArgs::default()
    }

    #[test]
    fn names_are_case_insensitive_and_ordered() {
        let suites = parse_suites("tls_chacha20_poly1305_sha256:TLS_AES_128_GCM_SHA256").unwrap();
        assert_eq!(
            suites,
            [
                CipherSuite::TLS_CHACHA20_POLY1305_SHA256,
                CipherSuite::TLS_AES_128_GCM_SHA256
            ]
        );
        let groups = parse_groups("X25519:SECP384R1:x25519mlkem768").unwrap();
        assert_eq!(
            groups,
            [
                NamedGroup::X25519,
                NamedGroup::secp384r1,
                NamedGroup::X25519MLKEM768
            ]
        );
    }

    #[test]
    fn unknown_names_list_the_valid_ones() {
        let err = parse_groups("x25519:nosuchgroup").unwrap_err().to_string();
        assert!(err.contains("unknown group 'nosuchgroup'"), "{err}");
        assert!(err.contains("X25519MLKEM768, x25519, secp256r1, secp384r1"));
        let err = parse_suites("TLS_AES_128_CCM_SHA256")
            .unwrap_err()
            .to_string();
        assert!(err.contains("TLS_AES_128_GCM_SHA256"), "{err}");
        let err = parse_groups("x25519::secp256r1").unwrap_err().to_string();
        assert!(err.contains("empty group name"), "{err}");
    }

    #[test]
    fn registered_but_unimplemented_names_are_not_supported() {
        let err = parse_suites("TLS_FALLBACK_SCSV").unwrap_err().to_string();
        assert!(err.contains("is not supported"), "{err}");
        assert_eq!(
            parse_suites("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256").unwrap(),
            [CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]
        );
        let err = parse_groups("secp521r1").unwrap_err().to_string();
        assert!(err.contains("is not supported"), "{err}");
    }

    #[test]
    fn alpn_lists() {
        assert_eq!(
            parse_alpn("h2,http/1.1").unwrap(),
            [b"h2".to_vec(), b"http/1.1".to_vec()]
        );
        assert!(parse_alpn("h2,").is_err());
        assert!(parse_alpn(&"x".repeat(256)).is_err());
        assert_eq!(alpn_label(Some(b"h2")), "h2");
        assert_eq!(alpn_label(Some(b"a\x00")), "a\\x00");
        assert_eq!(alpn_label(None), "none");
    }

    #[test]
    fn versions() {
        assert_eq!(args().versions().unwrap(), SUPPORTED_VERSIONS);
        let tls13 = TlsArgs {
            tls13: true,
            ..args()
        };
        assert_eq!(tls13.versions().unwrap(), [ProtocolVersion::TLSv1_3]);
        let tls12 = TlsArgs {
            tls12: true,
            ..args()
        };
        assert_eq!(tls12.versions().unwrap(), [ProtocolVersion::TLSv1_2]);
    }
}
