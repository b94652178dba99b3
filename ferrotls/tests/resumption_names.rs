//! Resumption and server names (RFC 6066 §3): a session made for one
//! name is not resumed under another, and a resumed TLS 1.2 ServerHello
//! carries no server_name.

mod common;
mod negative_support;

use std::sync::{Arc, Mutex};

use common::*;
use negative_support::{find_extension, messages, records, take_output, SERVER_HELLO};

use ferrotls::{
    CertifiedKey, ClientConfig, ClientConnection, ClientHelloInfo, ProtocolVersion,
    ResolvesServerCert, ServerConfig, ServerConnection,
};

/// The server's certificate resolver, remembering each name it was asked
/// for: a full handshake asks, a resumption does not.
#[derive(Debug)]
struct Asked {
    inner: Arc<dyn ResolvesServerCert>,
    names: Mutex<Vec<Option<String>>>,
}

impl ResolvesServerCert for Asked {
    fn resolve(&self, hello: &ClientHelloInfo<'_>) -> Option<Arc<CertifiedKey>> {
        let name = hello.server_name.map(|n| n.as_ref().to_string());
        self.names.lock().unwrap().push(name);
        self.inner.resolve(hello)
    }
}

impl Asked {
    fn take(&self) -> Vec<Option<String>> {
        std::mem::take(&mut *self.names.lock().unwrap())
    }
}

struct Setup {
    client: ClientConfig,
    server: Arc<ServerConfig>,
    asked: Arc<Asked>,
}

/// One ServerConfig for every name of the test PKI's certificate.
fn setup(version: ProtocolVersion, tickets: bool) -> Setup {
    let pki = TestPki::get(KeyType::EcdsaP256);
    let mut client = pki.client_config();
    client.versions = vec![version];
    let mut server = pki.server_config();
    if !tickets {
        server.ticketer = None;
    }
    let asked = Arc::new(Asked {
        inner: server.cert_resolver.clone(),
        names: Mutex::default(),
    });
    server.cert_resolver = asked.clone();
    Setup {
        client,
        server: Arc::new(server),
        asked,
    }
}

fn some(name: &str) -> Vec<Option<String>> {
    vec![Some(name.to_string())]
}

/// The client's TLS 1.2 session for "localhost", offered to `to` instead.
fn tls12_offered_to(to: &str, tickets: bool) {
    let Setup {
        client,
        server,
        asked,
    } = setup(ProtocolVersion::TLSv1_2, tickets);
    connect_to(&client, &server, "localhost");
    assert_eq!(asked.take(), some("localhost"));
    let cache = client.session_cache.clone().unwrap();
    let session = (*cache.tls12_session("localhost").unwrap()).clone();
    assert_eq!(session.ticket.is_some(), tickets);
    cache.set_tls12_session(to, session);

    // RFC 6066 §3: a full handshake, with the certificate for the new name.
    let (c, s) = connect_to(&client, &server, to);
    assert!(!c.is_resumed(), "client, tickets={tickets}, {to}");
    assert!(!s.is_resumed(), "server, tickets={tickets}, {to}");
    let sni = ServerConnection::server_name(&s).map(|n| n.as_ref().to_string());
    assert_eq!(asked.take(), vec![sni.clone()], "tickets={tickets}");
    assert_eq!(c.peer_certificates().map(|p| p.len()), Some(2));

    // The same name still resumes, and shows no certificate again.
    let (c, s) = connect_to(&client, &server, "localhost");
    assert!(c.is_resumed() && s.is_resumed(), "tickets={tickets}");
    assert_eq!(asked.take(), vec![]);
}

#[test]
fn tls12_ticket_is_not_resumed_under_another_name() {
    tls12_offered_to("testserver.example", true);
}

#[test]
fn tls12_session_id_is_not_resumed_under_another_name() {
    tls12_offered_to("testserver.example", false);
}

#[test]
fn tls12_session_with_a_name_is_not_resumed_without_one() {
    // An IP address: the client sends no server_name.
    tls12_offered_to("127.0.0.1", true);
    tls12_offered_to("127.0.0.1", false);
}

/// The client's TLS 1.3 ticket for "localhost", offered to `to` instead.
fn tls13_offered_to(to: &str) {
    let Setup {
        client,
        server,
        asked,
    } = setup(ProtocolVersion::TLSv1_3, true);
    connect_to(&client, &server, "localhost");
    assert_eq!(asked.take(), some("localhost"));
    let cache = client.session_cache.clone().unwrap();
    let now = client.time.now();
    let ticket = cache.take_tls13_ticket("localhost", now).unwrap();
    cache.add_tls13_ticket(to, ticket.clone());

    // The PSK is passed over: a full handshake, with a certificate.
    let (c, s) = connect_to(&client, &server, to);
    assert!(!c.is_resumed(), "client, {to}");
    assert!(!s.is_resumed(), "server, {to}");
    let sni = ServerConnection::server_name(&s).map(|n| n.as_ref().to_string());
    assert_eq!(asked.take(), vec![sni]);
    assert_eq!(c.peer_certificates().map(|p| p.len()), Some(2));

    // The same ticket under its own name still resumes.
    while cache.take_tls13_ticket("localhost", now).is_some() {}
    cache.add_tls13_ticket("localhost", ticket);
    let (c, s) = connect_to(&client, &server, "localhost");
    assert!(c.is_resumed() && s.is_resumed());
    assert_eq!(asked.take(), vec![]);
}

#[test]
fn tls13_ticket_is_not_used_under_another_name() {
    tls13_offered_to("testserver.example");
}

#[test]
fn tls13_ticket_with_a_name_is_not_used_without_one() {
    tls13_offered_to("127.0.0.1");
}

/// The server's ServerHello for a handshake to "localhost", and whether
/// the handshake resumed.
fn tls12_server_hello(client: &ClientConfig, server: &Arc<ServerConfig>) -> (Vec<u8>, bool) {
    let mut c = ClientConnection::new(Arc::new(client.clone()), server_name("localhost")).unwrap();
    let mut s = ServerConnection::new(server.clone()).unwrap();
    transfer(&mut c, &mut s).unwrap();
    let out = take_output(&mut s);
    let hello = messages(&records(&out)[0].body).remove(0);
    assert_eq!(hello[0], SERVER_HELLO);
    // The rest of the handshake, so the client keeps the session.
    feed(&mut c, &out).unwrap();
    handshake(&mut c, &mut s).unwrap();
    (hello, c.is_resumed() && s.is_resumed())
}

#[test]
fn resumed_tls12_server_hello_has_no_server_name() {
    for tickets in [true, false] {
        let Setup { client, server, .. } = setup(ProtocolVersion::TLSv1_2, tickets);
        let (full, resumed) = tls12_server_hello(&client, &server);
        assert!(!resumed);
        // RFC 6066 §3: an empty server_name says the name was used...
        assert_eq!(
            find_extension(&full, false, 0),
            Some(vec![0, 0, 0, 0]),
            "{tickets}"
        );
        let (resumed, was_resumed) = tls12_server_hello(&client, &server);
        assert!(was_resumed, "{tickets}");
        // ...and "when resuming a session, the server MUST NOT include a
        // server_name extension in the server hello".
        assert_eq!(find_extension(&resumed, false, 0), None, "{tickets}");
    }
}
