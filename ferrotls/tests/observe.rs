//! Handshake events and the key log.

mod common;

use std::sync::{Arc, Mutex};

use common::*;
use ferrotls::observe::{Event, KeyExchangeKind, KeyLog, Observer};
use ferrotls::{CipherSuite, ClientConnection, NamedGroup, ProtocolVersion, ServerConnection};

#[derive(Debug, Default)]
struct Recorder {
    secrets: bool,
    events: Mutex<Vec<String>>,
}

impl Observer for Recorder {
    fn event(&self, event: &Event<'_>) {
        let line = match event {
            Event::Message {
                direction,
                typ,
                encrypted,
                ..
            } => format!("{direction:?} {typ} encrypted={encrypted}"),
            Event::Secret { kind, value } => format!("secret {} {}", kind.name(), value.len()),
            Event::SessionKeys(keys) => format!(
                "session keys mac={} key={} iv={}",
                keys.client_write_mac_key().len(),
                keys.client_write_key().len(),
                keys.client_write_iv().len()
            ),
            Event::TrafficKey {
                stage, writer, key, ..
            } => format!("traffic key {stage:?} {writer:?} {}", key.len()),
            other => format!("{other:?}")
                .split([' ', '(', '{'])
                .next()
                .unwrap()
                .to_string(),
        };
        self.events.lock().unwrap().push(line);
    }

    fn wants_secrets(&self) -> bool {
        self.secrets
    }
}

/// (label, client random, secret)
type KeyLogLine = (String, Vec<u8>, Vec<u8>);

#[derive(Debug, Default)]
struct MemoryKeyLog(Mutex<Vec<KeyLogLine>>);

impl KeyLog for MemoryKeyLog {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        self.0
            .lock()
            .unwrap()
            .push((label.to_string(), client_random.to_vec(), secret.to_vec()));
    }
}

fn run(
    version: ProtocolVersion,
    secrets: bool,
) -> (Arc<Recorder>, Arc<MemoryKeyLog>, Arc<MemoryKeyLog>) {
    let pki = TestPki::get(KeyType::EcdsaP256);
    let recorder = Arc::new(Recorder {
        secrets,
        ..Default::default()
    });
    let (client_log, server_log) = (
        Arc::new(MemoryKeyLog::default()),
        Arc::new(MemoryKeyLog::default()),
    );
    let mut cc = pki.client_config();
    cc.versions = vec![version];
    cc.observer = Some(recorder.clone());
    cc.key_log = Some(client_log.clone());
    let mut sc = pki.server_config();
    sc.key_log = Some(server_log.clone());
    let mut c = ClientConnection::new(Arc::new(cc), server_name("localhost")).unwrap();
    let mut s = ServerConnection::new(Arc::new(sc)).unwrap();
    handshake(&mut c, &mut s).unwrap();
    (recorder, client_log, server_log)
}

#[test]
fn tls13_events_in_order() {
    let (rec, _, _) = run(ProtocolVersion::TLSv1_3, false);
    let events = rec.events.lock().unwrap().clone();
    let expected = [
        "ClientRandom",
        "Sent client_hello encrypted=false",
        "Received server_hello encrypted=false",
        "ServerRandom",
        "KeyExchange",
        "Sent",
        "ChangeCipherSpec",
        "Received encrypted_extensions encrypted=true",
        "Received certificate encrypted=true",
        "PeerCertificates",
        "Received certificate_verify encrypted=true",
        "Received finished encrypted=true",
        "FinishedVerified",
        "Sent finished encrypted=true",
        "HandshakeComplete",
    ];
    let filtered: Vec<&String> = events
        .iter()
        .filter(|e| !e.starts_with("Sent") || e.contains("encrypted"))
        .collect();
    // Compare in order, ignoring the CCS pair (one line "ChangeCipherSpec").
    let names: Vec<String> = filtered.iter().map(|s| s.to_string()).collect();
    let mut it = names.iter();
    for want in expected.iter().filter(|w| **w != "Sent") {
        assert!(
            it.any(|e| e.starts_with(want)),
            "missing {want} in {names:#?}"
        );
    }
    // No secrets without asking.
    assert!(!events
        .iter()
        .any(|e| e.starts_with("secret") || e.starts_with("traffic key")));
}

#[test]
fn secrets_only_when_asked() {
    let (rec, _, _) = run(ProtocolVersion::TLSv1_3, true);
    let events = rec.events.lock().unwrap().clone();
    for want in [
        "secret shared secret 64",
        "secret early secret 32",
        "secret handshake secret 32",
        "secret client handshake traffic secret 32",
        "secret server handshake traffic secret 32",
        "secret master secret 32",
        "secret client application traffic secret 0 32",
        "secret server application traffic secret 0 32",
        "secret exporter master secret 32",
        "traffic key Handshake Client 16",
        "traffic key Application(0) Server 16",
    ] {
        assert!(
            events.iter().any(|e| e == want),
            "missing {want} in {events:#?}"
        );
    }
    let (rec, _, _) = run(ProtocolVersion::TLSv1_2, true);
    let events = rec.events.lock().unwrap().clone();
    for want in [
        "secret pre-master secret 32",
        "secret master secret 48",
        "session keys mac=0 key=16 iv=4",
    ] {
        assert!(
            events.iter().any(|e| e == want),
            "missing {want} in {events:#?}"
        );
    }
}

#[test]
fn key_logs_of_both_ends_agree() {
    let (_, client, server) = run(ProtocolVersion::TLSv1_3, false);
    let (client, server) = (
        client.0.lock().unwrap().clone(),
        server.0.lock().unwrap().clone(),
    );
    let mut labels: Vec<&str> = client.iter().map(|(l, _, _)| l.as_str()).collect();
    labels.sort();
    assert_eq!(
        labels,
        [
            "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
            "CLIENT_TRAFFIC_SECRET_0",
            "EXPORTER_SECRET",
            "SERVER_HANDSHAKE_TRAFFIC_SECRET",
            "SERVER_TRAFFIC_SECRET_0",
        ]
    );
    for line in &client {
        assert!(server.contains(line), "server did not log {}", line.0);
    }
    let (_, client, server) = run(ProtocolVersion::TLSv1_2, false);
    let (client, server) = (
        client.0.lock().unwrap().clone(),
        server.0.lock().unwrap().clone(),
    );
    assert_eq!(client.len(), 1);
    assert_eq!(client[0].0, "CLIENT_RANDOM");
    assert_eq!(client[0].2.len(), 48);
    assert_eq!(client, server);
}

#[test]
fn key_exchange_event_says_how_the_secret_was_made() {
    let pki = TestPki::get(KeyType::Rsa2048);
    for (suite, expect_transport) in [
        (CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256, true),
        (CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, false),
    ] {
        #[derive(Debug, Default)]
        struct Kx(Mutex<Option<KeyExchangeKind>>);
        impl Observer for Kx {
            fn event(&self, e: &Event<'_>) {
                if let Event::KeyExchange(k) = e {
                    *self.0.lock().unwrap() = Some(*k);
                }
            }
        }
        let kx = Arc::new(Kx::default());
        let mut cc = pki.client_config();
        cc.versions = vec![ProtocolVersion::TLSv1_2];
        cc.cipher_suites = vec![suite];
        cc.observer = Some(kx.clone());
        let mut sc = pki.server_config();
        sc.cipher_suites = vec![suite];
        let mut c = ClientConnection::new(Arc::new(cc), server_name("localhost")).unwrap();
        let mut s = ServerConnection::new(Arc::new(sc)).unwrap();
        handshake(&mut c, &mut s).unwrap();
        let seen = kx.0.lock().unwrap().unwrap();
        match seen {
            KeyExchangeKind::RsaTransported { ciphertext_len } => {
                assert!(expect_transport);
                assert_eq!(ciphertext_len, 256);
            }
            KeyExchangeKind::Agreed {
                group,
                client_share_len,
                server_share_len,
            } => {
                assert!(!expect_transport);
                assert_eq!(
                    (group, client_share_len, server_share_len),
                    (NamedGroup::X25519, 32, 32)
                );
            }
        }
    }
}

#[test]
fn handshake_complete_says_whether_the_master_secret_is_extended() {
    // RFC 7627: both ends of a TLS 1.2 handshake between us use it; the
    // notion does not apply to TLS 1.3. (A TLS 1.2 peer without it is in
    // the CLI's tests, against gnutls-serv.)
    #[derive(Debug, Default)]
    struct Done(Mutex<Option<bool>>);
    impl Observer for Done {
        fn event(&self, e: &Event<'_>) {
            if let Event::HandshakeComplete(n) = e {
                *self.0.lock().unwrap() = Some(n.extended_master_secret);
            }
        }
    }
    let pki = TestPki::get(KeyType::EcdsaP256);
    for (version, extended) in [
        (ProtocolVersion::TLSv1_2, true),
        (ProtocolVersion::TLSv1_3, false),
    ] {
        let (client_seen, server_seen) = (Arc::new(Done::default()), Arc::new(Done::default()));
        let mut cc = pki.client_config();
        cc.versions = vec![version];
        cc.observer = Some(client_seen.clone());
        let mut sc = pki.server_config();
        sc.observer = Some(server_seen.clone());
        let mut c = ClientConnection::new(Arc::new(cc), server_name("localhost")).unwrap();
        let mut s = ServerConnection::new(Arc::new(sc)).unwrap();
        handshake(&mut c, &mut s).unwrap();
        assert_eq!(
            *client_seen.0.lock().unwrap(),
            Some(extended),
            "{version:?}"
        );
        assert_eq!(
            *server_seen.0.lock().unwrap(),
            Some(extended),
            "{version:?}"
        );
    }
}

/// Anyone who can read the key log can decrypt the sessions in it: a new
/// one is its owner's alone.
#[cfg(unix)]
#[test]
fn a_new_key_log_file_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("ferrotls-keylog-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("keys.log");
    let _ = std::fs::remove_file(&path);
    let log = ferrotls::observe::KeyLogFile::create(&path).unwrap();
    log.log("CLIENT_RANDOM", &[1; 32], &[2; 48]);
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    let written = std::fs::read_to_string(&path).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(mode, 0o600);
    assert!(written.starts_with("CLIENT_RANDOM 0101"), "{written}");
}
