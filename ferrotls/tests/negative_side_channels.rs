//! Side channels (issue #7): secrets never show in `Debug` output.
//!
//! Every secret a handshake makes — key log lines, what an observer that
//! wants secrets is shown, session keys, resumption PSKs — is collected;
//! then the `Debug` text of configs (with their session caches, stores and
//! ticket keys), of the sessions the client keeps, and of the TLS 1.2
//! session keys must contain none of them, in any of the forms `Debug`
//! prints bytes in.
//!
//! (Constant-time comparisons and the RSA key transport countermeasure are
//! checked by reading the code; see the notes in `crypto/mod.rs` and
//! `crypto/rsa_kx.rs`.)

mod common;
mod negative_support;

use std::sync::{Arc, Mutex};

use common::*;
use negative_support::*;

use ferrotls::observe::{Event, Observer};
use ferrotls::pki_types::UnixTime;
use ferrotls::session::{ClientSessionCache, MemorySessionStore};
use ferrotls::{CipherSuite, ClientConfig, ProtocolVersion, ServerConfig};

/// Keeps every secret an observer that wants secrets is shown, and the
/// `Debug` text of the TLS 1.2 session keys.
#[derive(Default)]
struct SecretCatcher {
    secrets: Mutex<Vec<Vec<u8>>>,
    debug: Mutex<Vec<String>>,
}

impl std::fmt::Debug for SecretCatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretCatcher(redacted)")
    }
}

impl Observer for SecretCatcher {
    fn event(&self, event: &Event<'_>) {
        let mut s = self.secrets.lock().unwrap();
        match event {
            Event::Secret { value, .. } => s.push(value.expose().to_vec()),
            Event::TrafficKey { key, .. } => s.push(key.expose().to_vec()),
            Event::SessionKeys(keys) => {
                for k in [
                    keys.client_write_mac_key(),
                    keys.server_write_mac_key(),
                    keys.client_write_key(),
                    keys.server_write_key(),
                ] {
                    s.push(k.to_vec());
                }
                self.debug.lock().unwrap().push(format!("{keys:?}"));
            }
            _ => {}
        }
    }

    fn wants_secrets(&self) -> bool {
        true
    }
}

/// Ways `Debug` can print bytes: as a list of decimals, or as hex (which
/// custom impls and `{:x?}` use).
fn forms(secret: &[u8]) -> Vec<String> {
    let window = &secret[..secret.len().min(8)];
    let decimal: Vec<String> = window.iter().map(|b| b.to_string()).collect();
    let hex_lower: String = window.iter().map(|b| format!("{b:02x}")).collect();
    let hex_list: Vec<String> = window.iter().map(|b| format!("{b:x}")).collect();
    vec![
        decimal.join(", "),
        hex_lower.clone(),
        hex_lower.to_uppercase(),
        hex_list.join(", "),
    ]
}

fn assert_no_secret(what: &str, text: &str, secrets: &[Vec<u8>]) {
    for s in secrets.iter().filter(|s| s.len() >= 8) {
        for form in forms(s) {
            assert!(
                !text.contains(&form),
                "{what} shows secret bytes ({form}):\n{text}"
            );
        }
    }
}

fn run(
    cc: ClientConfig,
    sc: ServerConfig,
    rounds: usize,
) -> (
    Arc<ClientConfig>,
    Arc<ServerConfig>,
    Vec<Vec<u8>>,
    Vec<String>,
) {
    let keys = Arc::new(Keys::default());
    let catcher = Arc::new(SecretCatcher::default());
    let mut cc = cc;
    let mut sc = sc;
    cc.key_log = Some(keys.clone());
    sc.key_log = Some(keys.clone());
    cc.observer = Some(catcher.clone());
    sc.observer = Some(catcher.clone());
    let (cc, sc) = (Arc::new(cc), Arc::new(sc));
    for _ in 0..rounds {
        let mut c = ferrotls::ClientConnection::new(cc.clone(), server_name("localhost")).unwrap();
        let mut s = ferrotls::ServerConnection::new(sc.clone()).unwrap();
        handshake(&mut c, &mut s).unwrap();
        // Tickets sent after the handshake reach the client.
        transfer(&mut s, &mut c).unwrap();
    }
    let mut secrets = keys.all();
    secrets.extend(catcher.secrets.lock().unwrap().iter().cloned());
    let debug = catcher.debug.lock().unwrap().clone();
    (cc, sc, secrets, debug)
}

#[test]
fn debug_output_shows_no_secrets() {
    let pki = TestPki::get(KeyType::EcdsaP256);
    let now = UnixTime::now();
    let cases: Vec<(&str, ClientConfig, ServerConfig)> = vec![
        (
            "TLS 1.3, stateless tickets",
            pki.client_config(),
            pki.server_config(),
        ),
        ("TLS 1.3, tickets in a store", pki.client_config(), {
            let mut sc = pki.server_config();
            sc.ticketer = None;
            sc.session_store = Some(Arc::new(MemorySessionStore::new(16)));
            sc
        }),
        (
            "TLS 1.2, session IDs",
            {
                let mut cc = pki.client_config();
                cc.versions = vec![ProtocolVersion::TLSv1_2];
                cc
            },
            {
                let mut sc = pki.server_config();
                sc.ticketer = None;
                sc
            },
        ),
        (
            "TLS 1.2, tickets",
            {
                let mut cc = pki.client_config();
                cc.versions = vec![ProtocolVersion::TLSv1_2];
                cc.cipher_suites = vec![CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA];
                cc
            },
            {
                let mut sc = pki.server_config();
                sc.cipher_suites
                    .push(CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA);
                sc
            },
        ),
    ];
    for (name, mut cc, sc) in cases {
        let cache = Arc::new(ClientSessionCache::new(8, 4));
        cc.session_cache = Some(cache.clone());
        // Two rounds: the second resumes, and new sessions are stored.
        let (cc, sc, mut secrets, keys_debug) = run(cc, sc, 2);
        let texts = vec![
            ("client config", format!("{cc:?}")),
            ("server config", format!("{sc:?}")),
            ("client config, pretty", format!("{cc:#?}")),
            ("server config, pretty", format!("{sc:#?}")),
        ];
        // What the client keeps: its sessions' own secrets join the list.
        let mut sessions = Vec::new();
        while let Some(t) = cache.take_tls13_ticket("localhost", now) {
            secrets.push(t.psk.expose().to_vec());
            sessions.push(format!("{t:?}"));
        }
        if let Some(s) = cache.tls12_session("localhost") {
            secrets.push(s.master_secret.expose().to_vec());
            sessions.push(format!("{s:?}"));
        }
        assert!(!sessions.is_empty(), "{name}: no session kept");
        assert!(secrets.len() > 5, "{name}: {} secrets", secrets.len());
        for (what, text) in &texts {
            assert_no_secret(&format!("{name}: {what}"), text, &secrets);
        }
        for text in sessions.iter().chain(&keys_debug) {
            assert_no_secret(&format!("{name}: session or keys"), text, &secrets);
        }
    }
}
