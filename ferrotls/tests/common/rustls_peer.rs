//! rustls 0.23 (its aws-lc-rs provider) as an in-process test peer, for
//! the TLS 1.3 and TLS 1.2 interop tests: configuration for one protocol
//! version, and moving bytes between our connection and a rustls one in
//! memory.

use std::io::{self, Read, Write};
use std::sync::Arc;

use ferrotls::{
    CipherSuite, ClientConnection, ConnectionCommon, Error, NamedGroup, ProtocolVersion,
    ServerConnection,
};
use rustls::crypto::{aws_lc_rs, CryptoProvider};
use rustls::SupportedProtocolVersion;

use super::{server_name, TestPki};

// ---------------------------------------------------------------------------
// rustls configuration

/// The aws-lc-rs provider, with `version`'s suites only, narrowed to
/// `suites` and `groups` (in that order of preference) where those are
/// not empty.
pub fn provider(
    version: &'static SupportedProtocolVersion,
    suites: &[CipherSuite],
    groups: &[NamedGroup],
) -> Arc<CryptoProvider> {
    let mut p = aws_lc_rs::default_provider();
    p.cipher_suites = aws_lc_rs::ALL_CIPHER_SUITES
        .iter()
        .copied()
        .filter(|s| s.version().version == version.version)
        .filter(|s| suites.is_empty() || suites.iter().any(|o| o.to_wire() == wire_suite(s)))
        .collect();
    if !groups.is_empty() {
        p.kx_groups = groups
            .iter()
            .map(|g| {
                *aws_lc_rs::ALL_KX_GROUPS
                    .iter()
                    .find(|k| u16::from(k.name()) == g.to_wire())
                    .unwrap_or_else(|| panic!("rustls has no {g}"))
            })
            .collect();
    }
    Arc::new(p)
}

pub fn wire_suite(s: &rustls::SupportedCipherSuite) -> u16 {
    u16::from(s.suite())
}

pub fn rustls_roots(pki: &TestPki) -> rustls::RootCertStore {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(pki.ca_cert.clone()).unwrap();
    roots
}

/// A rustls client speaking only `version`.
pub fn rustls_client_config(
    version: &'static SupportedProtocolVersion,
    roots: rustls::RootCertStore,
    provider: Arc<CryptoProvider>,
    alpn: &[&str],
) -> Arc<rustls::ClientConfig> {
    let mut c = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[version])
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    c.alpn_protocols = alpn.iter().map(|p| p.as_bytes().to_vec()).collect();
    Arc::new(c)
}

/// A rustls server speaking only `version`.
pub fn rustls_server_config(
    version: &'static SupportedProtocolVersion,
    pki: &TestPki,
    provider: Arc<CryptoProvider>,
    alpn: &[&str],
) -> Arc<rustls::ServerConfig> {
    let mut c = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[version])
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(pki.chain.clone(), pki.key.clone_key())
        .unwrap();
    c.alpn_protocols = alpn.iter().map(|p| p.as_bytes().to_vec()).collect();
    Arc::new(c)
}

pub fn rustls_client(config: Arc<rustls::ClientConfig>, name: &str) -> rustls::Connection {
    let name = rustls::pki_types::ServerName::try_from(name.to_string()).unwrap();
    rustls::Connection::Client(rustls::ClientConnection::new(config, name).unwrap())
}

pub fn rustls_server(config: Arc<rustls::ServerConfig>) -> rustls::Connection {
    rustls::Connection::Server(rustls::ServerConnection::new(config).unwrap())
}

pub fn our_client(config: ferrotls::ClientConfig, name: &str) -> ClientConnection {
    ClientConnection::new(Arc::new(config), server_name(name)).unwrap()
}

pub fn our_server(config: ferrotls::ServerConfig) -> ServerConnection {
    ServerConnection::new(Arc::new(config)).unwrap()
}

// ---------------------------------------------------------------------------
// Moving bytes between the two

/// Which side's `process_new_packets` failed.
#[derive(Debug)]
pub enum Failed {
    Ours(Error),
    Theirs(rustls::Error),
}

pub fn drain_ours(ours: &mut ConnectionCommon) -> Vec<u8> {
    let mut buf = Vec::new();
    while ours.wants_write() {
        ours.write_tls(&mut buf).unwrap();
    }
    buf
}

pub fn drain_theirs(theirs: &mut rustls::Connection) -> Vec<u8> {
    let mut buf = Vec::new();
    while theirs.wants_write() {
        theirs.write_tls(&mut buf).unwrap();
    }
    buf
}

/// Plaintext that has arrived, without waiting for more.
pub fn read_available(rd: &mut dyn Read, into: &mut Vec<u8>) -> io::Result<()> {
    let mut buf = [0u8; 16384];
    loop {
        match rd.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => into.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
            Err(e) => return Err(e),
        }
    }
}

/// Sends what we queued to rustls; returns the plaintext rustls received
/// (read as it arrives, so neither side's buffer limit is hit).
pub fn ours_to_theirs(
    ours: &mut ConnectionCommon,
    theirs: &mut rustls::Connection,
) -> Result<Vec<u8>, rustls::Error> {
    let tls = drain_ours(ours);
    let mut rd = &tls[..];
    let mut plain = Vec::new();
    while !rd.is_empty() {
        theirs.read_tls(&mut rd).unwrap();
        theirs.process_new_packets()?;
        read_available(&mut theirs.reader(), &mut plain).unwrap();
    }
    Ok(plain)
}

/// Sends what rustls queued to us; returns the plaintext we received.
pub fn theirs_to_ours(
    theirs: &mut rustls::Connection,
    ours: &mut ConnectionCommon,
) -> Result<Vec<u8>, Error> {
    let tls = drain_theirs(theirs);
    let mut rd = &tls[..];
    let mut plain = Vec::new();
    while !rd.is_empty() {
        ours.read_tls(&mut rd).unwrap();
        ours.process_new_packets()?;
        read_available(&mut ours.reader(), &mut plain).unwrap();
    }
    Ok(plain)
}

/// One flight each way, starting with whoever has something to send.
pub fn round_trip(
    ours: &mut ConnectionCommon,
    theirs: &mut rustls::Connection,
) -> Result<(), Failed> {
    ours_to_theirs(ours, theirs).map_err(Failed::Theirs)?;
    theirs_to_ours(theirs, ours).map_err(Failed::Ours)?;
    Ok(())
}

/// Runs the handshake to completion (tickets and all).
pub fn handshake(
    ours: &mut ConnectionCommon,
    theirs: &mut rustls::Connection,
) -> Result<(), Failed> {
    for _ in 0..10 {
        if !ours.is_handshaking()
            && !theirs.is_handshaking()
            && !ours.wants_write()
            && !theirs.wants_write()
        {
            return Ok(());
        }
        round_trip(ours, theirs)?;
    }
    panic!("handshake did not finish");
}

/// A handshake that must fail; the failing side's alert is then
/// delivered, so both sides' errors can be checked.
pub fn handshake_err(ours: &mut ConnectionCommon, theirs: &mut rustls::Connection) -> Failed {
    let failed = handshake(ours, theirs).expect_err("handshake should fail");
    let _ = ours_to_theirs(ours, theirs);
    let _ = theirs_to_ours(theirs, ours);
    failed
}

pub fn theirs_error(theirs: &mut rustls::Connection) -> rustls::Error {
    theirs
        .process_new_packets()
        .expect_err("rustls should have failed")
}

/// Application data both ways (big enough to need several records), then
/// close_notify both ways: each side reads a clean end of stream.
pub fn exchange_data_and_close(
    ours: &mut ConnectionCommon,
    theirs: &mut rustls::Connection,
    we_close_first: bool,
) {
    let up: Vec<u8> = (0..40_000u32).map(|i| (i % 251) as u8).collect();
    ours.writer().write_all(&up).unwrap();
    assert!(
        ours_to_theirs(ours, theirs).unwrap() == up,
        "data to rustls"
    );

    let down: Vec<u8> = (0..50_000u32).map(|i| (i % 241) as u8).collect();
    theirs.writer().write_all(&down).unwrap();
    assert!(
        theirs_to_ours(theirs, ours).unwrap() == down,
        "data from rustls"
    );

    let mut buf = [0u8; 8];
    if we_close_first {
        ours.send_close_notify();
        ours_to_theirs(ours, theirs).unwrap();
        assert_eq!(theirs.reader().read(&mut buf).unwrap(), 0);
        theirs.send_close_notify();
        theirs_to_ours(theirs, ours).unwrap();
        assert_eq!(ours.reader().read(&mut buf).unwrap(), 0);
    } else {
        theirs.send_close_notify();
        let io = theirs_to_ours(theirs, ours).unwrap();
        assert!(io.is_empty());
        assert_eq!(ours.reader().read(&mut buf).unwrap(), 0);
        ours.send_close_notify();
        ours_to_theirs(ours, theirs).unwrap();
        assert_eq!(theirs.reader().read(&mut buf).unwrap(), 0);
    }
    assert!(ours.error().is_none());
}
/// Both sides agree on `version`, the suite and the group.
pub fn check_agreement(
    ours: &ConnectionCommon,
    theirs: &rustls::Connection,
    version: ProtocolVersion,
    ctx: &str,
) {
    assert_eq!(ours.protocol_version(), Some(version), "{ctx}");
    assert_eq!(
        theirs.protocol_version().map(u16::from),
        Some(version.to_wire()),
        "{ctx}"
    );
    let suite = ours.negotiated_cipher_suite().unwrap();
    assert_eq!(
        wire_suite(&theirs.negotiated_cipher_suite().unwrap()),
        suite.to_wire(),
        "{ctx}"
    );
    let group = ours.negotiated_group().unwrap();
    assert_eq!(
        u16::from(theirs.negotiated_key_exchange_group().unwrap().name()),
        group.to_wire(),
        "{ctx}"
    );
}
