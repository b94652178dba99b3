//! Which sessions survive to be resumed: none of a connection that failed
//! (RFC 5246 §7.2.2: its sessions "MUST NOT be resumed"; RFC 8446 §6.2:
//! its tickets' PSKs "SHOULD be discarded"), none past the lifetime the
//! server gave (RFC 5077 §3.3), and a stored ticket is not used up by a
//! hello that cannot use it.

mod common;
mod negative_support;

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use common::*;
use negative_support::take_output;

use ferrotls::session::{MemorySessionStore, SessionStore};
use ferrotls::{
    AlertDescription, ClientConfig, ClientConnection, Error, ProtocolVersion, ServerConfig,
    ServerConnection,
};

fn connect(
    client: &ClientConfig,
    server: &Arc<ServerConfig>,
) -> (ClientConnection, ServerConnection) {
    connect_to(client, server, "localhost")
}

/// `from`'s next data record reaches `to` with a byte flipped: `to` fails
/// with bad_record_mac; with `tell`, `from` then gets that alert.
fn break_connection(
    from: &mut ferrotls::ConnectionCommon,
    to: &mut ferrotls::ConnectionCommon,
    tell: bool,
) {
    from.writer().write_all(b"hello").unwrap();
    let mut wire = take_output(from);
    let last = wire.len() - 1;
    wire[last] ^= 1;
    assert_eq!(feed(to, &wire), Err(Error::DecryptError));
    if tell {
        assert_eq!(
            transfer(to, from),
            Err(Error::AlertReceived(AlertDescription::BadRecordMac))
        );
    }
}

fn resumed(client: &ClientConfig, server: &Arc<ServerConfig>) -> bool {
    let (c, s) = connect(client, server);
    assert_eq!(c.is_resumed(), s.is_resumed());
    c.is_resumed()
}

#[test]
fn a_tls12_session_is_not_resumed_after_its_connection_failed() {
    // By ticket and by session ID; the client failing, or told by the
    // server's alert.
    for (tickets, client_fails) in [(true, true), (false, true), (true, false), (false, false)] {
        let (client, mut server, _) = clocked_configs(ProtocolVersion::TLSv1_2);
        if !tickets {
            server.ticketer = None;
        }
        let server = Arc::new(server);
        let (mut c, mut s) = connect(&client, &server);
        match client_fails {
            true => break_connection(&mut s, &mut c, false),
            false => break_connection(&mut c, &mut s, true),
        }
        let case = format!("tickets {tickets}, client fails {client_fails}");
        assert!(!resumed(&client, &server), "{case}");
        assert!(resumed(&client, &server), "{case}: the new session is");
    }
}

#[test]
fn a_tls12_session_is_not_resumed_after_a_resumption_of_it_failed() {
    let (client, server, _) = clocked_configs(ProtocolVersion::TLSv1_2);
    let server = Arc::new(server);
    connect(&client, &server);
    let (mut c, mut s) = connect(&client, &server);
    assert!(c.is_resumed());
    break_connection(&mut s, &mut c, false);
    assert!(!resumed(&client, &server));
}

#[test]
fn the_server_forgets_a_stored_session_whose_connection_failed() {
    // The client still offers it (its copy, put back): the server's store
    // no longer has it. Tickets cannot be taken back, so by session ID.
    let (client, mut server, _) = clocked_configs(ProtocolVersion::TLSv1_2);
    server.ticketer = None;
    let server = Arc::new(server);
    let (mut c, mut s) = connect(&client, &server);
    let cache = client.session_cache.clone().unwrap();
    let session = (*cache.tls12_session("localhost").unwrap()).clone();
    break_connection(&mut c, &mut s, false);
    cache.set_tls12_session("localhost", session);
    assert!(!resumed(&client, &server));
}

#[test]
fn tls13_tickets_of_a_failed_connection_are_not_used() {
    for client_fails in [true, false] {
        let (client, server, _) = clocked_configs(ProtocolVersion::TLSv1_3);
        let server = Arc::new(server);
        let (mut c, mut s) = connect(&client, &server);
        match client_fails {
            true => break_connection(&mut s, &mut c, false),
            false => break_connection(&mut c, &mut s, true),
        }
        assert!(!resumed(&client, &server), "client fails {client_fails}");
        assert!(resumed(&client, &server), "client fails {client_fails}");
    }
}

#[test]
fn the_server_forgets_stored_tls13_tickets_whose_connection_failed() {
    let (client, mut server, _) = clocked_configs(ProtocolVersion::TLSv1_3);
    let store = Arc::new(MemorySessionStore::new(100));
    server.ticketer = None;
    server.session_store = Some(store.clone() as Arc<dyn SessionStore>);
    let server = Arc::new(server);
    let (mut c, mut s) = connect(&client, &server);
    assert_eq!(store.len(), 2, "the two tickets");
    break_connection(&mut c, &mut s, false);
    assert_eq!(store.len(), 0);
}

#[test]
fn a_stored_tls13_ticket_survives_a_replay_with_a_bad_binder() {
    // RFC 8446 §8.1: single use, but used only by a hello that proves it
    // holds the PSK: someone replaying the identity alone burns nothing.
    let (client, mut server, _) = clocked_configs(ProtocolVersion::TLSv1_3);
    let store = Arc::new(MemorySessionStore::new(100));
    server.ticketer = None;
    server.session_store = Some(store.clone() as Arc<dyn SessionStore>);
    let server = Arc::new(server);
    connect(&client, &server);
    let mut c = ClientConnection::new(Arc::new(client.clone()), server_name("localhost")).unwrap();
    let mut hello = take_output(&mut c);
    let last = hello.len() - 1; // the binder is the hello's last bytes
    hello[last] ^= 1;
    let mut s = ServerConnection::new(server.clone()).unwrap();
    assert_eq!(
        feed(&mut s, &hello),
        Err(ferrotls::PeerMisbehaved::BadPskBinder.into())
    );
    assert_eq!(store.len(), 2, "both tickets still there");
    assert!(resumed(&client, &server));
    // One used; two new ones came with the resumption.
    assert_eq!(store.len(), 3);
}

#[test]
fn a_tls12_session_is_offered_only_for_its_lifetime() {
    // RFC 5077 §3.3: the ticket's lifetime hint (here the server's 100 s
    // session_lifetime); RFC 5246 §7.4.1.2: 24 hours for a session ID.
    for tickets in [true, false] {
        let (client, mut server, clock) = clocked_configs(ProtocolVersion::TLSv1_2);
        server.session_lifetime = match tickets {
            true => Duration::from_secs(100),
            false => Duration::from_secs(7 * 24 * 3600),
        };
        if !tickets {
            server.ticketer = None;
        }
        let server = Arc::new(server);
        connect(&client, &server);
        let cache = client.session_cache.clone().unwrap();
        let lifetime = cache.tls12_session("localhost").unwrap().lifetime;
        let expected = if tickets { 100 } else { 24 * 3600 };
        assert_eq!(lifetime, Duration::from_secs(expected), "tickets {tickets}");
        clock.advance(expected - 1);
        let mut c =
            ClientConnection::new(Arc::new(client.clone()), server_name("localhost")).unwrap();
        let offered = take_output(&mut c);
        clock.advance(1);
        let mut c2 =
            ClientConnection::new(Arc::new(client.clone()), server_name("localhost")).unwrap();
        let not_offered = take_output(&mut c2);
        // The cached session's ID (or ticket) is in the first hello only.
        let session = cache.tls12_session("localhost").unwrap();
        let token = session.ticket.clone().unwrap_or(session.session_id.clone());
        let holds = |hello: &[u8]| hello.windows(token.len()).any(|w| w == token);
        assert!(
            holds(&offered),
            "tickets {tickets}: offered before it expires"
        );
        assert!(!holds(&not_offered), "tickets {tickets}: not offered after");
    }
}
