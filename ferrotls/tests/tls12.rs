//! TLS 1.2 in memory: every suite and key exchange, version negotiation,
//! extended master secret and the downgrade sentinel.

mod common;

use std::io::{Read, Write};
use std::sync::Arc;

use common::*;
use ferrotls::crypto::rand::{RandomSource, SystemRandom};
use ferrotls::msgs::handshake::{HandshakeMessage, HandshakePayload};
use ferrotls::suites::{KeyExchange12, TLS12_SUITES};
use ferrotls::{
    AlertDescription, CipherSuite, ClientConfig, ClientConnection, Error, NamedGroup,
    PeerIncompatible, PeerMisbehaved, ProtocolVersion, ServerConfig, ServerConnection,
};

fn tls12_only<T>(mut set: impl FnMut(&mut T), config: T) -> T {
    let mut c = config;
    set(&mut c);
    c
}

fn client12(pki: &TestPki, suite: CipherSuite) -> ClientConfig {
    tls12_only(
        |c: &mut ClientConfig| {
            c.versions = vec![ProtocolVersion::TLSv1_2];
            c.cipher_suites = vec![suite];
        },
        pki.client_config(),
    )
}

fn connect(cc: ClientConfig, sc: ServerConfig) -> (ClientConnection, ServerConnection) {
    let c = ClientConnection::new(Arc::new(cc), server_name("localhost")).unwrap();
    let s = ServerConnection::new(Arc::new(sc)).unwrap();
    (c, s)
}

fn exchange(c: &mut ClientConnection, s: &mut ServerConnection) {
    let big = vec![0x42u8; 40_000];
    c.writer().write_all(&big).unwrap();
    transfer(c, s).unwrap();
    let mut got = Vec::new();
    let _ = s.reader().read_to_end(&mut got);
    assert_eq!(got, big);
    s.writer().write_all(b"pong").unwrap();
    transfer(s, c).unwrap();
    let mut buf = [0u8; 8];
    assert_eq!(c.reader().read(&mut buf).unwrap(), 4);
    c.send_close_notify();
    transfer(c, s).unwrap();
    assert_eq!(s.reader().read(&mut buf).unwrap(), 0);
}

#[test]
fn every_tls12_suite() {
    for suite in TLS12_SUITES {
        let key_types: &[KeyType] = match suite.auth {
            ferrotls::suites::Authentication12::Ecdsa => {
                &[KeyType::EcdsaP256, KeyType::EcdsaP384, KeyType::Ed25519]
            }
            ferrotls::suites::Authentication12::Rsa => &[KeyType::Rsa2048],
        };
        for &kt in key_types {
            let pki = TestPki::get(kt);
            let mut sc = pki.server_config();
            sc.cipher_suites = vec![suite.suite];
            let (mut c, mut s) = connect(client12(pki, suite.suite), sc);
            handshake(&mut c, &mut s).unwrap_or_else(|e| panic!("{:?} {kt:?}: {e}", suite.suite));
            assert_eq!(c.protocol_version(), Some(ProtocolVersion::TLSv1_2));
            assert_eq!(s.negotiated_cipher_suite(), Some(suite.suite));
            assert_eq!(c.negotiated_cipher_suite(), Some(suite.suite));
            let expect_group = (suite.kx == KeyExchange12::Ecdhe).then_some(NamedGroup::X25519);
            assert_eq!(c.negotiated_group(), expect_group);
            exchange(&mut c, &mut s);
        }
    }
}

#[test]
fn every_ecdhe_group() {
    // Ed25519: in TLS 1.2 the client's groups also bound the curve of an
    // ECDSA certificate (RFC 8422 §4), and each case offers one group only.
    let pki = TestPki::get(KeyType::Ed25519);
    for group in [
        NamedGroup::X25519,
        NamedGroup::secp256r1,
        NamedGroup::secp384r1,
    ] {
        let mut cc = client12(pki, CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256);
        cc.groups = vec![group];
        let (mut c, mut s) = connect(cc, pki.server_config());
        handshake(&mut c, &mut s).unwrap();
        assert_eq!(c.negotiated_group(), Some(group));
        assert_eq!(s.negotiated_group(), Some(group));
        exchange(&mut c, &mut s);
    }
}

#[test]
fn defaults_negotiate_tls13_and_fall_back_to_tls12() {
    let pki = TestPki::get(KeyType::EcdsaP256);
    let (mut c, mut s) = connect(pki.client_config(), pki.server_config());
    handshake(&mut c, &mut s).unwrap();
    assert_eq!(c.protocol_version(), Some(ProtocolVersion::TLSv1_3));

    // A TLS 1.3-capable client against a TLS 1.2-only server gets TLS 1.2.
    let mut sc = pki.server_config();
    sc.versions = vec![ProtocolVersion::TLSv1_2];
    let (mut c, mut s) = connect(pki.client_config(), sc);
    handshake(&mut c, &mut s).unwrap();
    assert_eq!(c.protocol_version(), Some(ProtocolVersion::TLSv1_2));
    assert_eq!(
        c.negotiated_cipher_suite(),
        Some(CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)
    );
    exchange(&mut c, &mut s);

    // A TLS 1.2-only client against our default server gets TLS 1.2.
    let mut cc = pki.client_config();
    cc.versions = vec![ProtocolVersion::TLSv1_2];
    let (mut c, mut s) = connect(cc, pki.server_config());
    handshake(&mut c, &mut s).unwrap();
    assert_eq!(s.protocol_version(), Some(ProtocolVersion::TLSv1_2));

    // No version in common.
    let mut cc = pki.client_config();
    cc.versions = vec![ProtocolVersion::TLSv1_2];
    let mut sc = pki.server_config();
    sc.versions = vec![ProtocolVersion::TLSv1_3];
    let (mut c, mut s) = connect(cc, sc);
    assert_eq!(
        handshake_err(&mut c, &mut s),
        Error::PeerIncompatible(PeerIncompatible::NoCommonVersion)
    );
    assert_eq!(
        c.error(),
        Some(&Error::AlertReceived(AlertDescription::ProtocolVersion))
    );
}

/// A man in the middle strips supported_versions to force TLS 1.2; the
/// server's random carries the RFC 8446 §4.1.3 sentinel and the client
/// refuses.
#[test]
fn downgrade_sentinel_is_detected() {
    let pki = TestPki::get(KeyType::EcdsaP256);
    let (mut c, mut s) = connect(pki.client_config(), pki.server_config());
    let mut wire = Vec::new();
    c.write_tls(&mut wire).unwrap();
    let body = &wire[5..];
    let mut hello = match HandshakeMessage::read_tls13(body.to_vec()).unwrap().payload {
        HandshakePayload::ClientHello(h) => h,
        other => panic!("{other:?}"),
    };
    hello.extensions.supported_versions = None;
    hello.extensions.key_shares = None;
    let stripped = HandshakeMessage::build(HandshakePayload::ClientHello(hello)).encoding;
    let mut record = vec![22, 3, 1];
    record.extend_from_slice(&(stripped.len() as u16).to_be_bytes());
    record.extend_from_slice(&stripped);
    feed(&mut s, &record).unwrap();
    assert_eq!(s.protocol_version(), Some(ProtocolVersion::TLSv1_2));
    let err = transfer(&mut s, &mut c).unwrap_err();
    assert_eq!(
        err,
        Error::PeerMisbehaved(PeerMisbehaved::DowngradeSentinel)
    );
    let _ = transfer(&mut c, &mut s);
    assert_eq!(
        s.error(),
        Some(&Error::AlertReceived(AlertDescription::IllegalParameter))
    );
}

/// A server random source whose 32-byte draws (the random) end in `tail`.
#[derive(Debug)]
struct RandomEndingIn([u8; 8]);

impl RandomSource for RandomEndingIn {
    fn fill(&self, buf: &mut [u8]) -> Result<(), Error> {
        SystemRandom.fill(buf)?;
        if buf.len() == 32 {
            buf[24..].copy_from_slice(&self.0);
        }
        Ok(())
    }
}

/// RFC 8446 §4.1.3: a client that can do TLS 1.3 refuses a TLS 1.2
/// ServerHello whose random ends in either sentinel ("DOWNGRD" 01 for
/// TLS 1.2, 00 for 1.1 and below); one that cannot takes it.
#[test]
fn both_downgrade_sentinels_are_refused_by_a_tls13_client() {
    let pki = TestPki::get(KeyType::EcdsaP256);
    for last in [1u8, 0] {
        let sentinel = [0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44, last];
        let mut sc = pki.server_config();
        sc.versions = vec![ProtocolVersion::TLSv1_2];
        sc.random = Arc::new(RandomEndingIn(sentinel));
        let (mut c, mut s) = connect(pki.client_config(), sc.clone());
        assert_eq!(
            handshake(&mut c, &mut s),
            Err(Error::PeerMisbehaved(PeerMisbehaved::DowngradeSentinel)),
            "sentinel ending in {last}"
        );
        let (mut c, mut s) = connect(client12(pki, TLS12_SUITES[0].suite), sc);
        assert_eq!(
            handshake(&mut c, &mut s),
            Ok(()),
            "TLS 1.2-only client, {last}"
        );
    }
}

#[test]
fn extended_master_secret_is_required_unless_disabled() {
    let pki = TestPki::get(KeyType::EcdsaP256);
    // Our client always offers EMS; fake a client without it by editing the hello.
    let strip_ems = |c: &mut ClientConnection| {
        let mut wire = Vec::new();
        c.write_tls(&mut wire).unwrap();
        let mut hello = match HandshakeMessage::read_tls13(wire[5..].to_vec())
            .unwrap()
            .payload
        {
            HandshakePayload::ClientHello(h) => h,
            other => panic!("{other:?}"),
        };
        hello.extensions.extended_master_secret = false;
        let msg = HandshakeMessage::build(HandshakePayload::ClientHello(hello)).encoding;
        let mut record = vec![22, 3, 3];
        record.extend_from_slice(&(msg.len() as u16).to_be_bytes());
        record.extend_from_slice(&msg);
        record
    };
    let mut cc = pki.client_config();
    cc.versions = vec![ProtocolVersion::TLSv1_2];
    let (mut c, mut s) = connect(cc.clone(), pki.server_config());
    let record = strip_ems(&mut c);
    assert_eq!(
        feed(&mut s, &record),
        Err(Error::PeerIncompatible(
            PeerIncompatible::ExtendedMasterSecretRequired
        ))
    );
    let mut alert = Vec::new();
    s.write_tls(&mut alert).unwrap();
    assert_eq!(
        alert,
        [
            21,
            3,
            3,
            0,
            2,
            2,
            AlertDescription::HandshakeFailure.to_wire()
        ]
    );

    // With the requirement off on both sides, the classic master secret works.
    let mut sc = pki.server_config();
    sc.require_extended_master_secret = false;
    cc.require_extended_master_secret = false;
    let (mut c, mut s) = connect(cc, sc);
    let record = strip_ems(&mut c);
    feed(&mut s, &record).unwrap();
    // The server's flight answers a hello our client never sent, so only
    // check that the server got as far as choosing TLS 1.2 without EMS.
    assert_eq!(s.protocol_version(), Some(ProtocolVersion::TLSv1_2));
    assert!(s.wants_write());
}

#[test]
fn rsa_key_transport_is_off_unless_named() {
    let pki = TestPki::get(KeyType::Rsa2048);
    let mut cc = pki.client_config();
    cc.versions = vec![ProtocolVersion::TLSv1_2];
    let (mut c, mut s) = connect(cc, pki.server_config());
    handshake(&mut c, &mut s).unwrap();
    assert_eq!(
        c.negotiated_cipher_suite(),
        Some(CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)
    );

    // The server names only RSA key transport; the default client does not offer it.
    let mut sc = pki.server_config();
    sc.cipher_suites = vec![CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256];
    let mut cc = pki.client_config();
    cc.versions = vec![ProtocolVersion::TLSv1_2];
    let (mut c, mut s) = connect(cc, sc);
    assert_eq!(
        handshake_err(&mut c, &mut s),
        Error::PeerIncompatible(PeerIncompatible::NoCommonCipherSuite)
    );
}

/// Captures the TLS 1.2 session keys, as an observer that asked for secrets.
#[derive(Debug, Default)]
struct Keys(std::sync::Mutex<Option<[Vec<u8>; 6]>>);

impl ferrotls::observe::Observer for Keys {
    fn event(&self, event: &ferrotls::observe::Event<'_>) {
        if let ferrotls::observe::Event::SessionKeys(k) = event {
            let keys = [
                k.client_write_mac_key(),
                k.server_write_mac_key(),
                k.client_write_key(),
                k.server_write_key(),
                k.client_write_iv(),
                k.server_write_iv(),
            ];
            *self.0.lock().unwrap() = Some(keys.map(<[u8]>::to_vec));
        }
    }
    fn wants_secrets(&self) -> bool {
        true
    }
}

/// RFC 5246 §7.4.1.1, RFC 5746: a HelloRequest after the handshake gets a
/// no_renegotiation warning and the connection carries on.
#[test]
fn renegotiation_is_refused_with_a_warning_and_the_connection_continues() {
    use ferrotls::msgs::enums::ContentType;
    use ferrotls::record::protect12::protection;
    use ferrotls::record::Record;

    let pki = TestPki::get(KeyType::EcdsaP256);
    let keys = Arc::new(Keys::default());
    let mut cc = client12(pki, CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256);
    cc.observer = Some(keys.clone());
    let mut sc = pki.server_config();
    sc.ticket_count = 0;
    let (mut c, mut s) = connect(cc, sc);
    handshake(&mut c, &mut s).unwrap();
    let k = keys.0.lock().unwrap().clone().unwrap();
    let bulk = ferrotls::suites::ECDHE_ECDSA_AES128_GCM.bulk;
    let server_writes = protection(bulk, &k[1], &k[3], &k[5]).unwrap();
    let client_writes = protection(bulk, &k[0], &k[2], &k[4]).unwrap();

    // The server's Finished was its record 0; a HelloRequest as record 1.
    let hello_request = HandshakeMessage::build(HandshakePayload::HelloRequest).encoding;
    let mut wire = Vec::new();
    server_writes
        .encrypt(ContentType::Handshake, &hello_request, 1, &mut wire)
        .unwrap();
    feed(&mut c, &wire).unwrap();

    // The client answers with a warning no_renegotiation alert (its record 1).
    let mut answer = Vec::new();
    c.write_tls(&mut answer).unwrap();
    let mut record = Record {
        typ: ContentType::from_wire(answer[0]),
        version: ProtocolVersion::TLSv1_2,
        payload: answer[5..].to_vec(),
    };
    client_writes.decrypt(&mut record, 1).unwrap();
    assert_eq!(
        (record.typ, record.payload.as_slice()),
        (ContentType::Alert, &[1u8, 100][..])
    );

    // The server tolerates the warning; data still flows from the client.
    feed(&mut s, &answer).unwrap();
    c.writer().write_all(b"still here").unwrap();
    transfer(&mut c, &mut s).unwrap();
    let mut buf = [0u8; 16];
    assert_eq!(s.reader().read(&mut buf).unwrap(), 10);
}
