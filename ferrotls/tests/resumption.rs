//! Resumption in memory: TLS 1.3 tickets (stateless and single-use), and
//! the cases where a session must not resume.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use ferrotls::msgs::handshake::{HandshakeMessage, HandshakePayload};
use ferrotls::observe::KeyLog;
use ferrotls::session::{ClientSessionCache, MemorySessionStore, TicketKeys};
use ferrotls::time::TimeProvider;
use ferrotls::{
    AlertDescription, ClientConfig, ClientConnection, Error, NamedGroup, PeerMisbehaved,
    ProtocolVersion, ServerConfig, ServerConnection,
};

#[derive(Debug, Default)]
struct Secrets(Mutex<Vec<(String, Vec<u8>)>>);

impl KeyLog for Secrets {
    fn log(&self, label: &str, _client_random: &[u8], secret: &[u8]) {
        self.0
            .lock()
            .unwrap()
            .push((label.to_string(), secret.to_vec()));
    }
}

/// The client write key of TLS 1.2 connections, as an observer sees it.
#[derive(Debug, Default)]
struct WriteKeys(Mutex<Vec<u8>>);

impl ferrotls::observe::Observer for WriteKeys {
    fn event(&self, event: &ferrotls::observe::Event<'_>) {
        if let ferrotls::observe::Event::SessionKeys(keys) = event {
            *self.0.lock().unwrap() = keys.client_write_key().to_vec();
        }
    }
    fn wants_secrets(&self) -> bool {
        true
    }
}

struct Setup {
    client: ClientConfig,
    server: Arc<ServerConfig>,
    clock: Arc<TestClock>,
}

fn setup(version: ProtocolVersion) -> Setup {
    let (client, server, clock) = clocked_configs(version);
    Setup {
        client,
        server: Arc::new(server),
        clock,
    }
}

fn connect(
    client: &ClientConfig,
    server: &Arc<ServerConfig>,
) -> (ClientConnection, ServerConnection) {
    connect_to(client, server, "localhost")
}

fn traffic_secret(log: &Secrets) -> Vec<u8> {
    let lines = log.0.lock().unwrap();
    lines
        .iter()
        .find(|(l, _)| l == "CLIENT_TRAFFIC_SECRET_0")
        .map(|(_, s)| s.clone())
        .unwrap()
}

#[test]
fn tls13_ticket_resumes_with_fresh_keys() {
    let Setup {
        mut client, server, ..
    } = setup(ProtocolVersion::TLSv1_3);
    let first_log = Arc::new(Secrets::default());
    client.key_log = Some(first_log.clone());
    let (c, s) = connect(&client, &server);
    assert!(!c.is_resumed() && !s.is_resumed());

    let second_log = Arc::new(Secrets::default());
    client.key_log = Some(second_log.clone());
    let (mut c, mut s) = connect(&client, &server);
    assert!(c.is_resumed(), "client resumed");
    assert!(s.is_resumed(), "server resumed");
    assert_eq!(
        c.negotiated_group(),
        Some(NamedGroup::X25519MLKEM768),
        "psk_dhe_ke by default"
    );
    assert_eq!(
        c.peer_certificates().map(|p| p.len()),
        Some(2),
        "the session's certificates"
    );
    assert_ne!(
        traffic_secret(&first_log),
        traffic_secret(&second_log),
        "new keys"
    );
    use std::io::{Read, Write};
    c.writer().write_all(b"resumed").unwrap();
    transfer(&mut c, &mut s).unwrap();
    let mut buf = [0u8; 16];
    assert_eq!(s.reader().read(&mut buf).unwrap(), 7);
}

#[test]
fn each_ticket_is_used_once_by_the_client() {
    let Setup {
        mut client, server, ..
    } = setup(ProtocolVersion::TLSv1_3);
    client.session_cache = Some(Arc::new(ClientSessionCache::new(8, 8)));
    let mut server = (*server).clone();
    server.ticket_count = 2;
    let server = Arc::new(server);
    connect(&client, &server);
    // Two tickets → two resumptions; each resumed connection brings two more.
    for _ in 0..4 {
        let (c, _) = connect(&client, &server);
        assert!(c.is_resumed());
    }
    // Without new tickets the client has nothing left to offer.
    let mut no_more = (*server).clone();
    no_more.ticket_count = 0;
    let no_more = Arc::new(no_more);
    client.session_cache = Some(Arc::new(ClientSessionCache::new(8, 8)));
    connect(&client, &server);
    for expect in [true, true, false] {
        let (c, _) = connect(&client, &no_more);
        assert_eq!(c.is_resumed(), expect);
    }
}

#[test]
fn expired_sessions_get_a_full_handshake() {
    let Setup {
        client,
        server,
        clock,
    } = setup(ProtocolVersion::TLSv1_3);
    let mut server = (*server).clone();
    server.session_lifetime = Duration::from_secs(60);
    let server = Arc::new(server);
    connect(&client, &server);
    clock.advance(59);
    assert!(connect(&client, &server).0.is_resumed());
    clock.advance(61);
    let (c, s) = connect(&client, &server);
    assert!(!c.is_resumed() && !s.is_resumed());
}

#[test]
fn tickets_after_resumption_keep_the_full_handshakes_lifetime() {
    // RFC 8446 §4.6.1: tickets issued after a resumption would let one
    // full handshake's keying material live forever; their lifetime
    // counts from the full handshake, while each ticket's age (§4.2.11.1)
    // still counts from when it was issued.
    let Setup {
        client,
        server,
        clock,
    } = setup(ProtocolVersion::TLSv1_3);
    let mut server = (*server).clone();
    server.session_lifetime = Duration::from_secs(100);
    server.ticket_count = 1;
    let server = Arc::new(server);
    let cache = client.session_cache.clone().unwrap();
    let newest = || cache.take_tls13_ticket("localhost", clock.now()).unwrap();
    connect(&client, &server);
    let ticket = newest();
    assert_eq!(ticket.lifetime, 100);
    cache.add_tls13_ticket("localhost", ticket);

    clock.advance(90);
    assert!(connect(&client, &server).1.is_resumed(), "at 90s");
    let ticket = newest();
    assert_eq!(ticket.lifetime, 10, "what is left of the 100s");
    cache.add_tls13_ticket("localhost", ticket);

    // A ticket issued 5s ago, for a session authenticated 95s ago.
    clock.advance(5);
    assert!(connect(&client, &server).1.is_resumed(), "at 95s");
    let mut ticket = newest();
    assert_eq!(ticket.lifetime, 5);
    // A client that keeps it too long: the server still refuses it.
    ticket.lifetime = 1000;
    cache.add_tls13_ticket("localhost", ticket);

    clock.advance(85);
    let (c, s) = connect(&client, &server);
    assert!(!c.is_resumed() && !s.is_resumed(), "at 180s");
    clock.advance(90);
    assert!(connect(&client, &server).1.is_resumed(), "at 270s");
    clock.advance(90);
    let (c, s) = connect(&client, &server);
    assert!(!c.is_resumed() && !s.is_resumed(), "at 360s");
}

#[test]
fn tampered_and_rotated_out_tickets_fall_back_without_error() {
    let Setup { client, server, .. } = setup(ProtocolVersion::TLSv1_3);
    let cache = client.session_cache.clone().unwrap();
    connect(&client, &server);
    // Flip a byte inside the sealed ticket.
    let now = client.time.now();
    let mut ticket = cache.take_tls13_ticket("localhost", now).unwrap();
    let mid = ticket.ticket.len() / 2;
    ticket.ticket[mid] ^= 0x80;
    cache.add_tls13_ticket("localhost", ticket);
    let (c, s) = connect(&client, &server);
    assert!(!c.is_resumed() && !s.is_resumed());
    // A server whose ticket keys no longer include the one that sealed it.
    let mut fresh = (*server).clone();
    fresh.ticketer = Some(Arc::new(TicketKeys::new(Arc::new(
        ferrotls::crypto::rand::SystemRandom,
    ))));
    let (c, _) = connect(&client, &Arc::new(fresh));
    assert!(!c.is_resumed());
}

#[test]
fn single_use_tickets_from_the_store_cannot_be_replayed() {
    let Setup { client, server, .. } = setup(ProtocolVersion::TLSv1_3);
    let mut server = (*server).clone();
    server.ticketer = None;
    server.session_store = Some(Arc::new(MemorySessionStore::new(16)));
    server.ticket_count = 1;
    let server = Arc::new(server);
    let cache = client.session_cache.clone().unwrap();
    connect(&client, &server);
    let ticket = cache
        .take_tls13_ticket("localhost", client.time.now())
        .unwrap();
    assert_eq!(
        ticket.ticket.len(),
        32,
        "a key into the store, not a sealed session"
    );
    cache.add_tls13_ticket("localhost", ticket.clone());
    assert!(connect(&client, &server).0.is_resumed());
    // The same ticket again: the store gave it out once.
    let _ = cache.take_tls13_ticket("localhost", client.time.now());
    cache.add_tls13_ticket("localhost", ticket);
    let (c, s) = connect(&client, &server);
    assert!(!c.is_resumed() && !s.is_resumed());
}

#[test]
fn resumption_survives_a_hello_retry_request() {
    let Setup { client, server, .. } = setup(ProtocolVersion::TLSv1_3);
    connect(&client, &server);
    let mut p256_only = (*server).clone();
    p256_only.groups = vec![NamedGroup::secp256r1];
    let (c, s) = connect(&client, &Arc::new(p256_only));
    assert!(c.is_resumed() && s.is_resumed());
    assert_eq!(c.negotiated_group(), Some(NamedGroup::secp256r1));
}

#[test]
fn psk_ke_only_when_both_sides_allow_it() {
    let Setup {
        mut client, server, ..
    } = setup(ProtocolVersion::TLSv1_3);
    client.allow_psk_ke = true;
    connect(&client, &server);
    // The server does not allow psk_ke: psk_dhe_ke it is.
    let (c, _) = connect(&client, &server);
    assert!(c.is_resumed());
    assert!(c.negotiated_group().is_some());
    // Both allow it, and the client sends no usable share: psk_ke.
    let mut server_ke = (*server).clone();
    server_ke.allow_psk_ke = true;
    server_ke.groups = vec![NamedGroup::secp384r1];
    let mut client_ke = client.clone();
    client_ke.groups = vec![NamedGroup::X25519, NamedGroup::secp384r1];
    let server_ke = Arc::new(server_ke);
    connect(&client_ke, &server_ke);
    let (c, s) = connect(&client_ke, &server_ke);
    assert!(c.is_resumed() && s.is_resumed());
    assert_eq!(c.negotiated_group(), None, "no (EC)DHE");
}

#[test]
fn a_bad_binder_is_decrypt_error() {
    let Setup { client, server, .. } = setup(ProtocolVersion::TLSv1_3);
    connect(&client, &server);
    let mut c = ClientConnection::new(Arc::new(client), server_name("localhost")).unwrap();
    let mut s = ServerConnection::new(server).unwrap();
    let mut wire = Vec::new();
    c.write_tls(&mut wire).unwrap();
    let mut hello = match HandshakeMessage::read_tls13(wire[5..].to_vec())
        .unwrap()
        .payload
    {
        HandshakePayload::ClientHello(h) => h,
        other => panic!("{other:?}"),
    };
    let offer = hello
        .extensions
        .pre_shared_key
        .as_mut()
        .expect("a PSK is offered");
    offer.binders[0][0] ^= 1;
    let msg = HandshakeMessage::build(HandshakePayload::ClientHello(hello)).encoding;
    let mut record = wire[..3].to_vec();
    record.extend_from_slice(&(msg.len() as u16).to_be_bytes());
    record.extend_from_slice(&msg);
    assert_eq!(
        feed(&mut s, &record),
        Err(Error::PeerMisbehaved(PeerMisbehaved::BadPskBinder))
    );
    let mut alert = Vec::new();
    s.write_tls(&mut alert).unwrap();
    assert_eq!(
        alert,
        [21, 3, 3, 0, 2, 2, AlertDescription::DecryptError.to_wire()]
    );
}

#[test]
fn tls12_resumes_by_ticket_and_by_session_id_with_fresh_keys() {
    for use_tickets in [true, false] {
        let Setup {
            mut client, server, ..
        } = setup(ProtocolVersion::TLSv1_2);
        let mut server = (*server).clone();
        if !use_tickets {
            server.ticketer = None;
        }
        let server = Arc::new(server);
        let first = Arc::new(Secrets::default());
        let first_keys = Arc::new(WriteKeys::default());
        client.key_log = Some(first.clone());
        client.observer = Some(first_keys.clone());
        let (c, s) = connect(&client, &server);
        assert!(!c.is_resumed() && !s.is_resumed());
        let cached = client
            .session_cache
            .as_ref()
            .unwrap()
            .tls12_session("localhost")
            .unwrap();
        assert_eq!(
            cached.ticket.is_some(),
            use_tickets,
            "ticket issued only with a ticketer"
        );
        assert_eq!(cached.session_id.len(), 32);

        let second = Arc::new(Secrets::default());
        let second_keys = Arc::new(WriteKeys::default());
        client.key_log = Some(second.clone());
        client.observer = Some(second_keys.clone());
        let (mut c, mut s) = connect(&client, &server);
        assert!(c.is_resumed(), "tickets={use_tickets}");
        assert!(s.is_resumed(), "tickets={use_tickets}");
        assert_eq!(c.peer_certificates().map(|p| p.len()), Some(2));
        // Same master secret (CLIENT_RANDOM line), new randoms → new keys.
        let (a, b) = (
            first.0.lock().unwrap().clone(),
            second.0.lock().unwrap().clone(),
        );
        assert_eq!(a[0].1, b[0].1, "the session's master secret");
        let (k1, k2) = (
            first_keys.0.lock().unwrap().clone(),
            second_keys.0.lock().unwrap().clone(),
        );
        assert!(!k1.is_empty() && !k2.is_empty());
        assert_ne!(k1, k2, "new session keys");
        use std::io::{Read, Write};
        c.writer().write_all(b"again").unwrap();
        transfer(&mut c, &mut s).unwrap();
        let mut buf = [0u8; 8];
        assert_eq!(s.reader().read(&mut buf).unwrap(), 5);
        // Resumed connections keep resuming.
        assert!(connect(&client, &server).0.is_resumed());
    }
}

#[test]
fn tls12_expired_sessions_and_lost_stores_get_full_handshakes() {
    let Setup {
        client,
        server,
        clock,
    } = setup(ProtocolVersion::TLSv1_2);
    let mut server = (*server).clone();
    server.session_lifetime = Duration::from_secs(100);
    server.ticketer = None;
    let server = Arc::new(server);
    connect(&client, &server);
    clock.advance(101);
    let (c, s) = connect(&client, &server);
    assert!(!c.is_resumed() && !s.is_resumed());
    // A server that forgot the session (new store): full handshake.
    let mut forgetful = (*server).clone();
    forgetful.session_store = Some(Arc::new(MemorySessionStore::new(16)));
    let (c, _) = connect(&client, &Arc::new(forgetful));
    assert!(!c.is_resumed());
}

#[test]
fn tls12_renewed_tickets_keep_the_session_age() {
    // ServerConfig::session_lifetime: sessions older than it are not
    // resumed. A ticket renewed on resumption (RFC 5077 §3.3) is the same
    // session and the same master secret, so its age counts from the full
    // handshake that made it.
    for use_tickets in [true, false] {
        let Setup {
            client,
            server,
            clock,
        } = setup(ProtocolVersion::TLSv1_2);
        let mut server = (*server).clone();
        server.session_lifetime = Duration::from_secs(100);
        if !use_tickets {
            server.ticketer = None;
        }
        let server = Arc::new(server);
        let cache = client.session_cache.clone().unwrap();
        connect(&client, &server);
        let first = cache.tls12_session("localhost").unwrap();
        for (at, resumed) in [(90, true), (180, false), (270, true), (360, false)] {
            clock.advance(90);
            let (c, s) = connect(&client, &server);
            assert_eq!(
                c.is_resumed(),
                resumed,
                "client at {at}s, tickets={use_tickets}"
            );
            assert_eq!(
                s.is_resumed(),
                resumed,
                "server at {at}s, tickets={use_tickets}"
            );
            if at == 90 && use_tickets {
                let renewed = cache.tls12_session("localhost").unwrap();
                assert_ne!(renewed.ticket, first.ticket, "a renewed ticket");
            }
        }
    }
}

#[test]
fn tls12_session_without_ems_is_not_resumed_by_an_ems_client() {
    // RFC 7627 §5.3: a session made without extended master secret is not
    // resumed once both offer it; here the server no longer requires it,
    // the client's stored session claims no EMS.
    let Setup { client, server, .. } = setup(ProtocolVersion::TLSv1_2);
    connect(&client, &server);
    let cache = client.session_cache.clone().unwrap();
    let mut session = (*cache.tls12_session("localhost").unwrap()).clone();
    assert!(session.extended_master_secret);
    session.extended_master_secret = false;
    cache.set_tls12_session("localhost", session);
    // The server's ticket still says EMS: the client sees the server resume
    // with EMS where its own record says none, and refuses (handshake_failure).
    let mut c = ClientConnection::new(Arc::new(client), server_name("localhost")).unwrap();
    let mut s = ServerConnection::new(server).unwrap();
    let err = handshake_err(&mut c, &mut s);
    assert_eq!(
        err,
        Error::PeerIncompatible(ferrotls::PeerIncompatible::ExtendedMasterSecretRequired)
    );
    assert_eq!(
        s.error(),
        Some(&Error::AlertReceived(AlertDescription::HandshakeFailure))
    );
}

#[test]
fn a_ticket_flood_is_not_kept() {
    let Setup {
        mut client, server, ..
    } = setup(ProtocolVersion::TLSv1_3);
    let cache = Arc::new(ClientSessionCache::new(4, 1000));
    client.session_cache = Some(cache.clone());
    let mut server = (*server).clone();
    server.ticket_count = 200;
    connect(&client, &Arc::new(server));
    let now = client.time.now();
    let mut kept = 0;
    while cache.take_tls13_ticket("localhost", now).is_some() {
        kept += 1;
    }
    assert_eq!(kept, ferrotls::tls13::traffic::MAX_TICKETS_KEPT);
}
