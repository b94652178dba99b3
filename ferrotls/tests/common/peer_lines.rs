//! The line protocol of the test peers we build from source (the Go peer
//! in `tests/go_peer/`, the Java peer in `tests/java_peer/`): a server
//! prints "listening ADDR", then for each connection a "conn k=v ..." line
//! with its view of it and a "closed ..." line when it ends ("closed EOF"
//! after the client's close_notify); a client prints a "conn" line per
//! connection.

use std::collections::HashMap;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;

use ferrotls::msgs::enums::HandshakeType;
use ferrotls::{ClientConfig, NamedGroup, ProtocolVersion};

use super::openssl::{connect, read_lines, EchoServer, PeerProcess};
use super::{KeyType, Received};

const BOTH_VERSIONS: [ProtocolVersion; 2] = [ProtocolVersion::TLSv1_3, ProtocolVersion::TLSv1_2];

/// One "conn" line: a peer's view of a connection.
#[derive(Debug)]
pub struct ConnLine(HashMap<String, String>);

impl ConnLine {
    /// Every "conn" line in `text`, in order.
    pub fn all(text: &str) -> Vec<ConnLine> {
        text.lines()
            .filter_map(|l| l.strip_prefix("conn "))
            .map(|l| {
                let fields = l.split(' ').filter_map(|kv| kv.split_once('='));
                ConnLine(fields.map(|(k, v)| (k.into(), v.into())).collect())
            })
            .collect()
    }

    /// A field's value; "?" if the line has none.
    pub fn get(&self, key: &str) -> &str {
        self.0.get(key).map_or("?", String::as_str)
    }

    /// The peer saw the version and suite we negotiated ("TLSv1.3"; suites
    /// as IANA spells them).
    pub fn agrees_with(&self, version: Option<ProtocolVersion>, suite: Option<&str>) {
        let version = match version {
            Some(ProtocolVersion::TLSv1_3) => "TLSv1.3",
            Some(ProtocolVersion::TLSv1_2) => "TLSv1.2",
            other => panic!("we negotiated {other:?}"),
        };
        assert_eq!(self.get("version"), version, "{self:?}");
        assert_eq!(Some(self.get("suite")), suite, "{self:?}");
    }
}

/// The key types and versions a peer client tries against our server:
/// each key in TLS 1.3, and in TLS 1.2 where the suites differ.
pub const CLIENT_CASES: [(KeyType, ProtocolVersion); 6] = [
    (KeyType::EcdsaP256, ProtocolVersion::TLSv1_3),
    (KeyType::EcdsaP256, ProtocolVersion::TLSv1_2),
    (KeyType::Rsa2048, ProtocolVersion::TLSv1_3),
    (KeyType::Rsa2048, ProtocolVersion::TLSv1_2),
    (KeyType::Ed25519, ProtocolVersion::TLSv1_3),
    (KeyType::EcdsaP384, ProtocolVersion::TLSv1_2),
];

/// The peers' `-max` argument for `version`.
pub fn max_version(version: ProtocolVersion) -> &'static str {
    match version {
        ProtocolVersion::TLSv1_2 => "1.2",
        _ => "1.3",
    }
}

/// What a peer client printed (`text`) of its two connections to our
/// echoing `server`, the second resuming the first's session: both sides
/// agree on the version and suite, the peer saw our two certificates and
/// sent SNI, each line it sent arrived, and it closed with close_notify.
/// Returns the peer's lines, for checks of its own.
pub fn check_resumed_client(
    server: &EchoServer,
    text: &str,
    version: ProtocolVersion,
    ctx: &str,
) -> Vec<ConnLine> {
    let lines = ConnLine::all(text);
    assert_eq!(lines.len(), 2, "{ctx}: {text}");
    for (i, peer) in lines.iter().enumerate() {
        let served = server.next();
        assert_eq!(served.handshake, Ok(()), "{ctx}: {served:?}");
        assert_eq!(served.version, Some(version), "{ctx}");
        peer.agrees_with(served.version, served.suite.and_then(|s| s.name()));
        assert_eq!(served.resumed, i == 1, "{ctx}: connection {i}");
        // Our leaf and intermediate (kept with the session on resumption).
        assert_eq!(peer.get("certs"), "2", "{ctx}: {peer:?}");
        assert_eq!(served.sni.as_deref(), Some("localhost"), "{ctx}");
        assert_eq!(served.received, format!("hello {i}\n").as_bytes());
        assert_eq!(
            served.close,
            Ok(()),
            "{ctx}: the peer ends with close_notify"
        );
    }
    lines
}

/// A peer server process, started and listening.
pub struct PeerServer {
    pub proc: PeerProcess,
    pub addr: SocketAddr,
}

impl PeerServer {
    /// Starts `program` with `args` and waits for its "listening" line.
    pub fn start(program: &str, args: Vec<String>) -> Self {
        let mut proc = PeerProcess::spawn(program, args);
        assert!(
            proc.wait_for(|out, _| listening_on(out).is_some()),
            "{}",
            proc.describe()
        );
        let addr = listening_on(&proc.stdout.text()).unwrap().parse().unwrap();
        Self { proc, addr }
    }

    /// The peer's view of its `i`th connection (from 0), once it has
    /// ended, which must have been with our close_notify.
    pub fn conn(&mut self, i: usize) -> ConnLine {
        let closed = |out: &str| out.lines().filter(|l| l.starts_with("closed ")).count() > i;
        assert!(
            self.proc.wait_for(|out, _| closed(out)),
            "{}",
            self.proc.describe()
        );
        let out = self.proc.stdout.text();
        let closes: Vec<_> = out.lines().filter(|l| l.starts_with("closed ")).collect();
        assert_eq!(
            closes[i], "closed EOF",
            "our close_notify is the peer's EOF\n{out}"
        );
        ConnLine::all(&out).remove(i)
    }

    /// One connection of our client: a line echoed, then close_notify.
    /// Returns whether the session was resumed and the suite's name.
    pub fn echo_once(&self, config: ClientConfig) -> (bool, Option<&'static str>) {
        let (mut s, hs) = connect(self.addr, config, "localhost");
        hs.unwrap_or_else(|e| panic!("handshake: {e}\n{}", self.proc.describe()));
        s.write_all(b"ping from ferrotls\n").unwrap();
        assert_eq!(read_lines(&mut s, 1), b"ping from ferrotls\n");
        s.close().unwrap();
        let suite = s.conn.negotiated_cipher_suite().and_then(|s| s.name());
        (s.conn.is_resumed(), suite)
    }

    /// In each version two connections of our client sharing a session
    /// cache: the second resumes, and the peer agrees on version and suite.
    /// Returns the peer's four lines, for checks of its own.
    pub fn check_resumption(
        &mut self,
        config_for: impl Fn(ProtocolVersion) -> ClientConfig,
    ) -> Vec<ConnLine> {
        let mut lines = Vec::new();
        for version in BOTH_VERSIONS {
            // Clones share the session cache.
            let config = config_for(version);
            for resume in [false, true] {
                let (resumed, suite) = self.echo_once(config.clone());
                assert_eq!(resumed, resume, "{version:?}");
                let peer = self.conn(lines.len());
                peer.agrees_with(Some(version), suite);
                lines.push(peer);
            }
        }
        lines
    }

    /// For a server started asking for a client certificate (without
    /// requiring one): in each version, from its connection `first` on, our
    /// client sends an empty Certificate (RFC 8446 §4.4.2, RFC 5246
    /// §7.4.6), and the peer, having checked our Finished over a
    /// transcript that includes it, reports no certificate.
    pub fn check_certificate_request(
        &mut self,
        first: usize,
        config_for: impl Fn(ProtocolVersion) -> ClientConfig,
    ) {
        for (i, version) in BOTH_VERSIONS.into_iter().enumerate() {
            let (resumed, suite) = self.echo_once(config_for(version));
            assert!(!resumed);
            let peer = self.conn(first + i);
            peer.agrees_with(Some(version), suite);
            assert_eq!(peer.get("certs"), "0", "{peer:?}");
        }
    }

    /// For a server started taking P-256 only: our client's shares
    /// (X25519MLKEM768, x25519) get a HelloRetryRequest (RFC 8446 §4.1.4),
    /// and the handshake ends in P-256 after a second ServerHello.
    pub fn check_hello_retry_request(&mut self, i: usize, mut config: ClientConfig) {
        let received = Arc::new(Received::default());
        config.observer = Some(received.clone());
        let (mut s, hs) = connect(self.addr, config, "localhost");
        hs.unwrap_or_else(|e| panic!("handshake: {e}\n{}", self.proc.describe()));
        assert_eq!(s.conn.negotiated_group(), Some(NamedGroup::secp256r1));
        assert_eq!(received.count(HandshakeType::ServerHello), 2);
        s.close().unwrap();
        self.conn(i);
    }

    /// For a server started preferring [http/1.1, h2]: our client offering
    /// [h2, http/1.1] gets the server's choice (RFC 7301 §3.2), http/1.1,
    /// in each version, and the peer says so.
    pub fn check_alpn_choice(
        &mut self,
        first: usize,
        config_for: impl Fn(ProtocolVersion) -> ClientConfig,
    ) {
        for (i, version) in BOTH_VERSIONS.into_iter().enumerate() {
            let mut config = config_for(version);
            config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
            let (mut s, hs) = connect(self.addr, config, "localhost");
            hs.unwrap_or_else(|e| panic!("handshake: {e}\n{}", self.proc.describe()));
            assert_eq!(s.conn.alpn_protocol(), Some(&b"http/1.1"[..]));
            s.close().unwrap();
            assert_eq!(self.conn(first + i).get("alpn"), "http/1.1");
        }
    }

    /// Waits for a "failed" line (a handshake the peer gave up on).
    pub fn failed(&mut self) -> String {
        let failed = |out: &str, _: &str| out.lines().any(|l| l.starts_with("failed "));
        assert!(self.proc.wait_for(failed), "{}", self.proc.describe());
        self.proc.stdout.text()
    }
}

/// The address in a "listening ADDR" line.
fn listening_on(out: &str) -> Option<&str> {
    out.lines().find_map(|l| l.strip_prefix("listening "))
}
