//! The two implementations behind one small interface: configurations
//! built from what a scenario fixes, connections driven in memory, and
//! the kind of handshake each side reports.

use std::fmt;
use std::io::{self, BufRead, Read, Write};
use std::sync::Arc;

use ferrotls::{CipherSuite, NamedGroup, ProtocolVersion};
use rustls::crypto::aws_lc_rs;

use crate::pki::{Pki, SERVER_NAME};

/// How a handshake is expected to go.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Resume {
    /// A full handshake; resumption is turned off on both sides.
    No,
    /// TLS 1.2: the server keeps sessions and resumes by session ID.
    SessionId,
    /// The server seals sessions into tickets (RFC 5077 / RFC 8446 §4.6.1).
    Ticket,
}

impl Resume {
    pub fn label(self) -> &'static str {
        match self {
            Self::No => "full",
            Self::SessionId => "resumed session-id",
            Self::Ticket => "resumed ticket",
        }
    }
}

/// What a scenario fixes. Everything else is each implementation's default.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Setup {
    pub version: ProtocolVersion,
    pub suite: CipherSuite,
    pub group: NamedGroup,
    pub key: crate::pki::KeyType,
    pub resume: Resume,
}

impl Setup {
    /// The handshake both sides must report for a round to count.
    pub fn expected(&self) -> Kind {
        let resumed = self.resume != Resume::No;
        Kind {
            version: Some(self.version.to_wire()),
            suite: Some(self.suite.to_wire()),
            // A resumed TLS 1.2 handshake exchanges no keys.
            group: match (resumed, self.version) {
                (true, ProtocolVersion::TLSv1_2) => None,
                _ => Some(self.group.to_wire()),
            },
            shape: match resumed {
                true => Shape::Resumed,
                false => Shape::Full,
            },
        }
    }

    /// The groups a client offers: the scenario's group, and for TLS 1.2
    /// with an ECDSA P-256 certificate also secp256r1 after it, since a
    /// TLS 1.2 client's supported_groups also names the curves it accepts
    /// in ECDSA certificates (RFC 8422 §5.1) and ferrotls's server holds
    /// clients to that. The server still picks the scenario's group (its
    /// preference); the handshake-kind check makes sure.
    pub fn client_groups(&self) -> Vec<NamedGroup> {
        let mut groups = vec![self.group];
        if self.version == ProtocolVersion::TLSv1_2
            && self.key == crate::pki::KeyType::EcdsaP256
            && self.group != NamedGroup::secp256r1
        {
            groups.push(NamedGroup::secp256r1);
        }
        groups
    }

    pub fn version_label(&self) -> &'static str {
        match self.version {
            ProtocolVersion::TLSv1_3 => "TLS1.3",
            ProtocolVersion::TLSv1_2 => "TLS1.2",
            _ => "TLS?",
        }
    }
}

/// The overall shape of a completed handshake.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Shape {
    Full,
    /// rustls reports this; ferrotls's API does not distinguish it (yet).
    FullWithHelloRetryRequest,
    Resumed,
}

/// What one side says the handshake was. Wire values, so the two
/// implementations compare without conversions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Kind {
    pub version: Option<u16>,
    pub suite: Option<u16>,
    pub group: Option<u16>,
    pub shape: Shape,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = |v: Option<String>| v.unwrap_or_else(|| "-".into());
        write!(
            f,
            "{} {} {} {}",
            name(
                self.version
                    .map(|v| ProtocolVersion::from_wire(v).to_string())
            ),
            name(self.suite.map(|v| CipherSuite::from_wire(v).to_string())),
            name(self.group.map(|v| NamedGroup::from_wire(v).to_string())),
            match self.shape {
                Shape::Full => "full",
                Shape::FullWithHelloRetryRequest => "full+HRR",
                Shape::Resumed => "resumed",
            }
        )
    }
}

/// Both sides must report exactly the expected kind.
pub fn check_kind(expected: &Kind, client: &Kind, server: &Kind) -> Result<(), String> {
    for (side, got) in [("client", client), ("server", server)] {
        if got != expected {
            return Err(format!("{side} reported {got}, expected {expected}"));
        }
    }
    Ok(())
}

/// One connection, either side, either implementation.
pub trait Conn {
    fn wants_write(&self) -> bool;
    fn write_tls(&mut self, out: &mut dyn Write) -> io::Result<usize>;
    fn read_tls(&mut self, input: &mut dyn Read) -> io::Result<usize>;
    fn process_new_packets(&mut self) -> Result<(), String>;
    fn is_handshaking(&self) -> bool;
    fn write_plaintext(&mut self, data: &[u8]) -> io::Result<()>;
    /// `WouldBlock` when nothing is buffered.
    fn read_plaintext(&mut self, buf: &mut [u8]) -> io::Result<usize>;
    /// Takes the plaintext `fill_buf` shows (`BufRead`, no copy) and
    /// consumes it: the byte count, 0 at the end of the data, `WouldBlock`
    /// when nothing is buffered.
    fn consume_plaintext(&mut self) -> io::Result<usize>;
    fn kind(&self) -> Kind;
    /// Lifts any cap on buffered outgoing data (rustls-bench does this
    /// for bulk transfer).
    fn unlimit_buffers(&mut self) {}
}

/// An implementation under test.
pub trait TlsImpl {
    const NAME: &'static str;
    type ClientConfig;
    type ServerConfig;
    type Client: Conn;
    type Server: Conn;

    fn client_config(setup: &Setup, pki: &Pki) -> Result<Self::ClientConfig, String>;
    fn server_config(setup: &Setup, pki: &Pki) -> Result<Self::ServerConfig, String>;
    fn new_client(config: &Self::ClientConfig) -> Result<Self::Client, String>;
    fn new_server(config: &Self::ServerConfig) -> Result<Self::Server, String>;
    /// The client config with verified chains reused between connections,
    /// where the implementation has that (otherwise unchanged).
    fn with_chain_cache(config: Self::ClientConfig) -> Self::ClientConfig {
        config
    }
}

/// Which implementation, at run time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Which {
    Ferrotls,
    Rustls,
}

impl Which {
    pub fn name(self) -> &'static str {
        match self {
            Self::Ferrotls => Ferrotls::NAME,
            Self::Rustls => Rustls::NAME,
        }
    }
}

// ---------------------------------------------------------------------------
// ferrotls

pub struct Ferrotls;

macro_rules! ferrotls_conn {
    ($t:ty) => {
        impl Conn for $t {
            fn wants_write(&self) -> bool {
                ferrotls::ConnectionCommon::wants_write(self)
            }
            fn write_tls(&mut self, out: &mut dyn Write) -> io::Result<usize> {
                ferrotls::ConnectionCommon::write_tls(self, out)
            }
            fn read_tls(&mut self, input: &mut dyn Read) -> io::Result<usize> {
                ferrotls::ConnectionCommon::read_tls(self, input)
            }
            fn process_new_packets(&mut self) -> Result<(), String> {
                ferrotls::ConnectionCommon::process_new_packets(self)
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }
            fn is_handshaking(&self) -> bool {
                ferrotls::ConnectionCommon::is_handshaking(self)
            }
            fn write_plaintext(&mut self, data: &[u8]) -> io::Result<()> {
                self.writer().write_all(data)
            }
            fn read_plaintext(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                self.reader().read(buf)
            }
            fn consume_plaintext(&mut self) -> io::Result<usize> {
                let mut reader = self.reader();
                let n = reader.fill_buf()?.len();
                reader.consume(n);
                Ok(n)
            }
            fn kind(&self) -> Kind {
                Kind {
                    version: self.protocol_version().map(|v| v.to_wire()),
                    suite: self.negotiated_cipher_suite().map(|s| s.to_wire()),
                    group: self.negotiated_group().map(|g| g.to_wire()),
                    shape: match self.is_resumed() {
                        true => Shape::Resumed,
                        false => Shape::Full,
                    },
                }
            }
        }
    };
}

ferrotls_conn!(ferrotls::ClientConnection);
ferrotls_conn!(ferrotls::ServerConnection);

impl TlsImpl for Ferrotls {
    const NAME: &'static str = "ferrotls";
    type ClientConfig = Arc<ferrotls::ClientConfig>;
    type ServerConfig = Arc<ferrotls::ServerConfig>;
    type Client = ferrotls::ClientConnection;
    type Server = ferrotls::ServerConnection;

    fn client_config(setup: &Setup, pki: &Pki) -> Result<Self::ClientConfig, String> {
        let mut roots = ferrotls::RootCertStore::empty();
        roots.add(&pki.ca).map_err(|e| e.to_string())?;
        let mut c = ferrotls::ClientConfig::new(roots);
        c.versions = vec![setup.version];
        c.cipher_suites = vec![setup.suite];
        c.groups = setup.client_groups();
        if setup.resume == Resume::No {
            c.session_cache = None;
        }
        Ok(Arc::new(c))
    }

    fn server_config(setup: &Setup, pki: &Pki) -> Result<Self::ServerConfig, String> {
        let mut s = ferrotls::ServerConfig::new(pki.chain.clone(), pki.key.clone_key())
            .map_err(|e| e.to_string())?;
        match setup.resume {
            Resume::No => {
                s.ticket_count = 0;
                s.ticketer = None;
                s.session_store = None;
            }
            Resume::SessionId => s.ticketer = None,
            Resume::Ticket => s.session_store = None,
        }
        Ok(Arc::new(s))
    }

    fn new_client(config: &Self::ClientConfig) -> Result<Self::Client, String> {
        let name = ferrotls::pki_types::ServerName::try_from(SERVER_NAME)
            .map_err(|e| e.to_string())?
            .to_owned();
        ferrotls::ClientConnection::new(config.clone(), name).map_err(|e| e.to_string())
    }

    fn new_server(config: &Self::ServerConfig) -> Result<Self::Server, String> {
        ferrotls::ServerConnection::new(config.clone()).map_err(|e| e.to_string())
    }

    fn with_chain_cache(config: Self::ClientConfig) -> Self::ClientConfig {
        let mut c = (*config).clone();
        c.verifier = Arc::new(ferrotls::CachingVerifier::new(
            c.verifier.clone(),
            std::time::Duration::from_secs(600),
            256,
        ));
        Arc::new(c)
    }
}

// ---------------------------------------------------------------------------
// rustls 0.23 with aws-lc-rs

pub struct Rustls;

/// What a rustls connection (buffered or unbuffered) negotiated.
pub fn rustls_kind(common: &rustls::CommonState) -> Kind {
    Kind {
        version: common.protocol_version().map(u16::from),
        suite: common
            .negotiated_cipher_suite()
            .map(|s| u16::from(s.suite())),
        group: common
            .negotiated_key_exchange_group()
            .map(|g| u16::from(g.name())),
        shape: match common.handshake_kind() {
            Some(rustls::HandshakeKind::Resumed) => Shape::Resumed,
            Some(rustls::HandshakeKind::FullWithHelloRetryRequest) => {
                Shape::FullWithHelloRetryRequest
            }
            _ => Shape::Full,
        },
    }
}

macro_rules! rustls_conn {
    ($t:ty) => {
        impl Conn for $t {
            fn wants_write(&self) -> bool {
                (**self).wants_write()
            }
            fn write_tls(&mut self, out: &mut dyn Write) -> io::Result<usize> {
                (**self).write_tls(out)
            }
            fn read_tls(&mut self, input: &mut dyn Read) -> io::Result<usize> {
                (**self).read_tls(input)
            }
            fn process_new_packets(&mut self) -> Result<(), String> {
                (**self)
                    .process_new_packets()
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }
            fn is_handshaking(&self) -> bool {
                (**self).is_handshaking()
            }
            fn write_plaintext(&mut self, data: &[u8]) -> io::Result<()> {
                self.writer().write_all(data)
            }
            fn read_plaintext(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                self.reader().read(buf)
            }
            fn consume_plaintext(&mut self) -> io::Result<usize> {
                let mut reader = self.reader();
                let n = reader.fill_buf()?.len();
                reader.consume(n);
                Ok(n)
            }
            fn kind(&self) -> Kind {
                rustls_kind(self)
            }
            fn unlimit_buffers(&mut self) {
                self.set_buffer_limit(None);
            }
        }
    };
}

rustls_conn!(rustls::ClientConnection);
rustls_conn!(rustls::ServerConnection);

fn rustls_version(v: ProtocolVersion) -> Result<&'static rustls::SupportedProtocolVersion, String> {
    match v {
        ProtocolVersion::TLSv1_3 => Ok(&rustls::version::TLS13),
        ProtocolVersion::TLSv1_2 => Ok(&rustls::version::TLS12),
        other => Err(format!("rustls does not do {other}")),
    }
}

impl TlsImpl for Rustls {
    const NAME: &'static str = "rustls";
    type ClientConfig = Arc<rustls::ClientConfig>;
    type ServerConfig = Arc<rustls::ServerConfig>;
    type Client = rustls::ClientConnection;
    type Server = rustls::ServerConnection;

    fn client_config(setup: &Setup, pki: &Pki) -> Result<Self::ClientConfig, String> {
        // Like rustls-bench: the client is narrowed to the scenario's
        // suite (and here also its group); the server keeps its defaults.
        let mut provider = aws_lc_rs::default_provider();
        provider
            .cipher_suites
            .retain(|s| u16::from(s.suite()) == setup.suite.to_wire());
        let groups = setup.client_groups();
        provider.kx_groups = groups
            .iter()
            .filter_map(|want| {
                aws_lc_rs::ALL_KX_GROUPS
                    .iter()
                    .copied()
                    .find(|g| u16::from(g.name()) == want.to_wire())
            })
            .collect();
        if provider.cipher_suites.is_empty() || provider.kx_groups.len() != groups.len() {
            return Err(format!("rustls lacks {} or {}", setup.suite, setup.group));
        }
        let mut roots = rustls::RootCertStore::empty();
        roots.add(pki.ca.clone()).map_err(|e| e.to_string())?;
        let mut c = rustls::ClientConfig::builder_with_provider(Arc::new(provider))
            .with_protocol_versions(&[rustls_version(setup.version)?])
            .map_err(|e| e.to_string())?
            .with_root_certificates(roots)
            .with_no_client_auth();
        if setup.resume == Resume::No {
            c.resumption = rustls::client::Resumption::disabled();
        }
        Ok(Arc::new(c))
    }

    fn server_config(setup: &Setup, pki: &Pki) -> Result<Self::ServerConfig, String> {
        let mut s =
            rustls::ServerConfig::builder_with_provider(Arc::new(aws_lc_rs::default_provider()))
                .with_safe_default_protocol_versions()
                .map_err(|e| e.to_string())?
                .with_no_client_auth()
                .with_single_cert(pki.chain.clone(), pki.key.clone_key())
                .map_err(|e| e.to_string())?;
        match setup.resume {
            Resume::No => {
                s.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
            }
            // The default: an in-memory session cache, no ticketer.
            Resume::SessionId => {}
            Resume::Ticket => {
                s.ticketer = aws_lc_rs::Ticketer::new().map_err(|e| e.to_string())?;
                s.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
            }
        }
        Ok(Arc::new(s))
    }

    fn new_client(config: &Self::ClientConfig) -> Result<Self::Client, String> {
        let name = rustls::pki_types::ServerName::try_from(SERVER_NAME)
            .map_err(|e| e.to_string())?
            .to_owned();
        rustls::ClientConnection::new(config.clone(), name).map_err(|e| e.to_string())
    }

    fn new_server(config: &Self::ServerConfig) -> Result<Self::Server, String> {
        rustls::ServerConnection::new(config.clone()).map_err(|e| e.to_string())
    }
}
