//! Test helpers: a throwaway PKI (CA → intermediate → leaf) for each key
//! type, and an in-memory pipe between two connections.
#![allow(dead_code)]

pub mod openssl;
pub mod peer_lines;
pub mod rustls_peer;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use ferrotls::msgs::enums::HandshakeType;
use ferrotls::observe::{Direction, Event, Observer};
use ferrotls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, UnixTime};
use ferrotls::time::TimeProvider;
use ferrotls::{
    ClientConfig, ClientConnection, ConnectionCommon, Error, RootCertStore, ServerConfig,
    ServerConnection,
};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair, KeyUsagePurpose};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyType {
    EcdsaP256,
    EcdsaP384,
    Ed25519,
    Rsa2048,
}

pub const ALL_KEY_TYPES: [KeyType; 4] = [
    KeyType::EcdsaP256,
    KeyType::EcdsaP384,
    KeyType::Ed25519,
    KeyType::Rsa2048,
];

impl KeyType {
    fn generate(self) -> KeyPair {
        match self {
            Self::EcdsaP256 => KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256),
            Self::EcdsaP384 => KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384),
            Self::Ed25519 => KeyPair::generate_for(&rcgen::PKCS_ED25519),
            Self::Rsa2048 => {
                KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)
            }
        }
        .expect("key generation")
    }
}

/// A CA, an intermediate and a leaf for localhost, 127.0.0.1, ::1 and
/// testserver.example.
pub struct TestPki {
    pub ca_cert: CertificateDer<'static>,
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
    pub ca_pem: String,
    pub chain_pem: String,
    pub key_pem: String,
}

pub const SERVER_NAMES: [&str; 4] = ["localhost", "127.0.0.1", "::1", "testserver.example"];

impl TestPki {
    pub fn new(kt: KeyType) -> Self {
        let ca_key = kt.generate();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        // A distinct name per CA, so two test PKIs never look related.
        static SERIAL: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let serial = SERIAL.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let ca_name = format!("ferrotls test CA {kt:?} {serial}");
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, ca_name.as_str());
        let ca = CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();

        let int_key = kt.generate();
        let mut int_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        int_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        int_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        int_params.distinguished_name.push(
            rcgen::DnType::CommonName,
            format!("{ca_name} intermediate").as_str(),
        );
        let intermediate = CertifiedIssuer::signed_by(int_params, int_key, &ca).unwrap();

        let leaf_key = kt.generate();
        let mut leaf_params =
            CertificateParams::new(SERVER_NAMES.map(String::from).to_vec()).unwrap();
        leaf_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "localhost");
        let leaf = leaf_params.signed_by(&leaf_key, &intermediate).unwrap();

        let chain = vec![leaf.der().clone(), intermediate.der().clone()];
        let chain_pem = format!("{}{}", leaf.pem(), intermediate.pem());
        Self {
            ca_cert: ca.der().clone(),
            ca_pem: ca.pem(),
            chain,
            chain_pem,
            key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
            key_pem: leaf_key.serialize_pem(),
        }
    }

    /// One PKI per key type per test binary (RSA key generation is slow).
    pub fn get(kt: KeyType) -> &'static TestPki {
        static CACHE: OnceLock<std::sync::Mutex<Vec<(KeyType, &'static TestPki)>>> =
            OnceLock::new();
        let cache = CACHE.get_or_init(Default::default);
        let mut guard = cache.lock().unwrap();
        if let Some((_, pki)) = guard.iter().find(|(k, _)| *k == kt) {
            return pki;
        }
        let pki: &'static TestPki = Box::leak(Box::new(TestPki::new(kt)));
        guard.push((kt, pki));
        pki
    }

    pub fn roots(&self) -> RootCertStore {
        let mut roots = RootCertStore::empty();
        roots.add(&self.ca_cert).unwrap();
        roots
    }

    pub fn client_config(&self) -> ClientConfig {
        ClientConfig::new(self.roots())
    }

    pub fn server_config(&self) -> ServerConfig {
        ServerConfig::new(self.chain.clone(), self.key.clone_key()).unwrap()
    }

    /// Writes CA, chain and key as PEM files into `dir`; returns their paths.
    pub fn write_pem_files(
        &self,
        dir: &std::path::Path,
    ) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
        let ca = dir.join("ca.pem");
        let chain = dir.join("chain.pem");
        let key = dir.join("key.pem");
        std::fs::write(&ca, &self.ca_pem).unwrap();
        std::fs::write(&chain, &self.chain_pem).unwrap();
        std::fs::write(&key, &self.key_pem).unwrap();
        (ca, chain, key)
    }
}

pub fn server_name(name: &str) -> ferrotls::pki_types::ServerName<'static> {
    ferrotls::pki_types::ServerName::try_from(name.to_string()).unwrap()
}

/// Moves every queued TLS byte from `from` to `to`, and processes it.
pub fn transfer(from: &mut ConnectionCommon, to: &mut ConnectionCommon) -> Result<usize, Error> {
    let mut buf = Vec::new();
    while from.wants_write() {
        from.write_tls(&mut buf).unwrap();
    }
    feed(to, &buf)?;
    Ok(buf.len())
}

/// Feeds raw bytes to a connection and processes them.
pub fn feed(to: &mut ConnectionCommon, mut bytes: &[u8]) -> Result<(), Error> {
    while !bytes.is_empty() {
        let n = to.read_tls(&mut bytes).unwrap();
        to.process_new_packets()?;
        if n == 0 {
            break;
        }
    }
    to.process_new_packets().map(|_| ())
}

/// Runs the handshake to completion in memory.
pub fn handshake(
    client: &mut ConnectionCommon,
    server: &mut ConnectionCommon,
) -> Result<(), Error> {
    for _ in 0..10 {
        if !client.is_handshaking()
            && !server.is_handshaking()
            && !client.wants_write()
            && !server.wants_write()
        {
            return Ok(());
        }
        transfer(client, server)?;
        transfer(server, client)?;
    }
    panic!("handshake did not finish");
}

/// One connection to `name` to completion, including what the server
/// sends after it (TLS 1.3 tickets).
pub fn connect_to(
    client: &ClientConfig,
    server: &Arc<ServerConfig>,
    name: &str,
) -> (ClientConnection, ServerConnection) {
    let mut c = ClientConnection::new(Arc::new(client.clone()), server_name(name)).unwrap();
    let mut s = ServerConnection::new(server.clone()).unwrap();
    handshake(&mut c, &mut s).unwrap();
    transfer(&mut s, &mut c).unwrap();
    (c, s)
}

/// ECDSA P-256 configs for one version, both ends on one [`TestClock`].
pub fn clocked_configs(
    version: ferrotls::ProtocolVersion,
) -> (ClientConfig, ServerConfig, Arc<TestClock>) {
    let pki = TestPki::get(KeyType::EcdsaP256);
    let clock = TestClock::new();
    let mut client = pki.client_config();
    client.versions = vec![version];
    client.time = clock.clone();
    let mut server = pki.server_config();
    server.time = clock.clone();
    (client, server, clock)
}

/// A clock tests can move, for lifetimes and ticket ages.
#[derive(Debug)]
pub struct TestClock(AtomicU64);

impl TestClock {
    pub fn new() -> Arc<Self> {
        Arc::new(Self(AtomicU64::new(1_800_000_000)))
    }

    pub fn advance(&self, secs: u64) {
        self.0.fetch_add(secs, Ordering::Relaxed);
    }

    /// Sets the time (seconds since the epoch), forwards or back.
    pub fn set(&self, secs: u64) {
        self.0.store(secs, Ordering::Relaxed);
    }
}

impl TimeProvider for TestClock {
    fn now(&self) -> UnixTime {
        UnixTime::since_unix_epoch(Duration::from_secs(self.0.load(Ordering::Relaxed)))
    }
}

/// Runs a handshake that must fail; then delivers the alert the failing
/// side queued, so both sides' errors can be inspected.
pub fn handshake_err(client: &mut ConnectionCommon, server: &mut ConnectionCommon) -> Error {
    let err = handshake(client, server).expect_err("handshake should fail");
    let _ = transfer(client, server);
    let _ = transfer(server, client);
    err
}

pub fn arc<T>(t: T) -> Arc<T> {
    Arc::new(t)
}

/// A fresh, empty directory under the system temp dir, unique to this
/// process and call (for PEM files handed to external programs).
pub fn unique_temp_dir(tag: &str) -> std::path::PathBuf {
    static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("ferrotls-{tag}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// RFC 8446 §4.1.3: the ServerHello.random that marks a HelloRetryRequest
/// (SHA-256 of "HelloRetryRequest"). Spelled out here rather than taken
/// from the library, so tests check the wire against the RFC.
pub const RFC8446_HRR_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// Whether the server's first bytes on the wire (a plaintext handshake
/// record starting with a ServerHello) are a HelloRetryRequest.
pub fn starts_with_hello_retry_request(server_bytes: &[u8]) -> bool {
    // record header (5) | msg type (1) | length (3) | legacy_version (2) | random (32)
    server_bytes.len() >= 43
        && server_bytes[0] == 22
        && server_bytes[5] == 2
        && server_bytes[11..43] == RFC8446_HRR_RANDOM
}

/// An observer of the handshake messages a connection received, by type
/// (how many ServerHellos, how many KeyUpdates).
#[derive(Debug, Default)]
pub struct Received(Mutex<Vec<HandshakeType>>);

impl Received {
    pub fn count(&self, typ: HandshakeType) -> usize {
        self.0.lock().unwrap().iter().filter(|t| **t == typ).count()
    }
}

impl Observer for Received {
    fn event(&self, event: &Event<'_>) {
        if let Event::Message {
            direction: Direction::Received,
            typ,
            ..
        } = event
        {
            self.0.lock().unwrap().push(*typ);
        }
    }
}
