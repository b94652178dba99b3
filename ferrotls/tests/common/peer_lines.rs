//! The line protocol of the test peers we build from source (the Go peer
//! in `tests/go_peer/`, the Java peer in `tests/java_peer/`): a server
//! prints "listening ADDR", then for each connection a "conn k=v ..." line
//! with its view of it and a "closed ..." line when it ends ("closed EOF"
//! after the client's close_notify); a client prints a "conn" line per
//! connection.

use std::collections::HashMap;
use std::net::SocketAddr;

use ferrotls::ProtocolVersion;

use super::openssl::PeerProcess;

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
