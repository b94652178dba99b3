//! The generator of the fuzz seed corpus (`fuzz/seeds/<target>/`): real
//! handshakes, cut into what each fuzz target reads. Run it by hand when
//! the wire format changes:
//!
//! ```text
//! cargo test -p ferrotls --test negative_fuzz_seeds -- --ignored
//! ```
//!
//! The input formats are those of `fuzz/fuzz_targets/*.rs`.

mod common;
mod negative_support;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use common::*;
use negative_support::*;

use ferrotls::{CipherSuite, ClientConfig, NamedGroup, ProtocolVersion, ServerConfig};

/// `fuzz/src/lib.rs` GENUINE: a part that stands for a real message.
const GENUINE: u8 = 0xff;

fn seeds_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds")
}

fn write(target: &str, name: &str, bytes: &[u8]) {
    let dir = seeds_dir().join(target);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), bytes).unwrap();
}

fn configs(tls13: bool, suite: CipherSuite) -> (ClientConfig, ServerConfig) {
    let pki = TestPki::get(KeyType::EcdsaP256);
    let v = match tls13 {
        true => ProtocolVersion::TLSv1_3,
        false => ProtocolVersion::TLSv1_2,
    };
    let mut cc = pki.client_config();
    cc.versions = vec![v];
    cc.cipher_suites = vec![suite];
    cc.groups = vec![NamedGroup::X25519, NamedGroup::secp256r1];
    let mut sc = pki.server_config();
    sc.versions = vec![v];
    sc.cipher_suites.push(suite);
    (cc, sc)
}

/// `typ, protect, len (u16), data` per part (fuzz/src/lib.rs `parts_to`).
fn parts_to(parts: &[Part]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in parts {
        out.push(p.typ);
        out.push(u8::from(p.protected));
        out.extend_from_slice(&(p.data.len() as u16).to_be_bytes());
        out.extend_from_slice(&p.data);
    }
    out
}

fn genuine(n: u8) -> Vec<Part> {
    (0..n).map(|i| Part::new(GENUINE, &[i], false)).collect()
}

#[test]
#[ignore = "writes fuzz/seeds; run by hand"]
fn generate_fuzz_seeds() {
    let cases = [
        ("tls13", true, CipherSuite::TLS_AES_128_GCM_SHA256),
        (
            "tls13-chacha",
            true,
            CipherSuite::TLS_CHACHA20_POLY1305_SHA256,
        ),
        (
            "tls12",
            false,
            CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        ),
        (
            "tls12-cbc",
            false,
            CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
        ),
    ];
    for (tag, tls13, suite) in cases {
        let (cc, sc) = configs(tls13, suite);
        let mut m = Mitm::new(cc, sc, tls13);
        let mut flights: Vec<(bool, Vec<u8>, Vec<Part>)> = Vec::new();
        // Record each flight: raw bytes and opened parts.
        for from_client in [true, false, true, false] {
            let conn: &mut ferrotls::ConnectionCommon = match from_client {
                true => &mut m.client,
                false => &mut m.server,
            };
            let bytes = take_output(conn);
            if bytes.is_empty() {
                continue;
            }
            // Re-open through the middle so protected messages are readable.
            let parts = match from_client {
                true => m.open_client_bytes(&bytes),
                false => m.open_server_bytes(&bytes),
            };
            let res = match from_client {
                true => m.send_to_server(&parts),
                false => m.send_to_client(&parts),
            };
            res.unwrap();
            flights.push((from_client, bytes, parts));
        }
        assert!(!m.client.is_handshaking() && !m.server.is_handshaking());
        let tls12 = u8::from(!tls13);
        // The raw connections: the first flight each side would get.
        let (_, client_hello, _) = &flights[0];
        let (_, server_flight, _) = &flights[1];
        let version_byte = if tls13 { 1 } else { 2 };
        write(
            "server",
            &format!("{tag}-hello"),
            &[&[version_byte][..], client_hello].concat(),
        );
        write(
            "server",
            &format!("{tag}-hello-any"),
            &[&[0][..], client_hello].concat(),
        );
        write(
            "client",
            &format!("{tag}-flight"),
            &[&[version_byte][..], server_flight].concat(),
        );
        write(
            "deframer",
            &format!("{tag}-client"),
            &[&[1u8 << 1][..], client_hello].concat(),
        );
        write(
            "deframer",
            &format!("{tag}-server"),
            &[&[u8::from(tls13) | (7 << 1)][..], server_flight].concat(),
        );
        // Every message, in its shape.
        for (from_client, _, parts) in &flights {
            for p in parts.iter().filter(|p| p.typ == HANDSHAKE) {
                let who = if *from_client { "c" } else { "s" };
                write(
                    "handshake_message",
                    &format!("{tag}-{who}-{}", p.data[0]),
                    &[&[tls12][..], &p.data].concat(),
                );
                if matches!(p.data[0], CLIENT_HELLO | SERVER_HELLO) {
                    let l = hello_layout(&p.data, p.data[0] == CLIENT_HELLO);
                    if let Some(at) = l.extensions {
                        let which = if p.data[0] == CLIENT_HELLO { 0 } else { 1 };
                        write(
                            "extensions",
                            &format!("{tag}-{who}-hello"),
                            &[&[which][..], &p.data[at..]].concat(),
                        );
                    }
                }
                if p.data[0] == ENCRYPTED_EXTENSIONS {
                    write(
                        "extensions",
                        &format!("{tag}-ee"),
                        &[&[3][..], &p.data[4..]].concat(),
                    );
                }
            }
        }
        // The sessions: the genuine flight, then post-handshake traffic.
        let ctl = u8::from(tls13);
        // What the harness has as genuine parts: the server's flight after
        // its hello (and, in TLS 1.2, its last flight once the client
        // answered); the client's second flight.
        let server_parts = match tls13 {
            true => flights[1].2.len() - 2,
            false => flights[1].2.len() - 1 + flights[3].2.len(),
        };
        let client_parts = flights[2].2.len();
        let after: Vec<Part> = match tls13 {
            true => vec![
                Part::new(HANDSHAKE, &hs(KEY_UPDATE, &[1]), true),
                Part::new(APPDATA, b"hello", true),
                Part::new(
                    HANDSHAKE,
                    &hs(
                        NEW_SESSION_TICKET,
                        &[
                            &[0, 0, 0, 9, 0, 0, 0, 1, 1, 5][..],
                            &vec16(&[7; 16]),
                            &vec16(&[]),
                        ]
                        .concat(),
                    ),
                    true,
                ),
                Part::new(ALERT, &[1, 0], true),
            ],
            false => vec![
                Part::new(APPDATA, b"hello", true),
                Part::new(HANDSHAKE, &hs(HELLO_REQUEST, &[]), true),
                Part::new(ALERT, &[1, 0], true),
            ],
        };
        write(
            "client_session",
            &format!("{tag}-flight"),
            &[&[ctl][..], &parts_to(&genuine(server_parts as u8))].concat(),
        );
        write(
            "client_session",
            &format!("{tag}-flight-then-data"),
            &[
                &[ctl][..],
                &parts_to(&genuine(server_parts as u8)),
                &parts_to(&after),
            ]
            .concat(),
        );
        write(
            "client_session",
            &format!("{tag}-traffic"),
            &[&[ctl | 2][..], &parts_to(&after)].concat(),
        );
        // The same records, opened through the in-place API.
        write(
            "client_in_place",
            &format!("{tag}-traffic"),
            &[&[ctl | 2][..], &parts_to(&after)].concat(),
        );
        // A server is not sent tickets; a TLS 1.2 one is asked to renegotiate.
        let hello = flights[0].2[0].data.clone();
        let after: Vec<Part> = after
            .into_iter()
            .filter(|p| p.hs_type() != Some(NEW_SESSION_TICKET))
            .map(|p| match p.hs_type() {
                Some(HELLO_REQUEST) => Part::new(HANDSHAKE, &hello, true),
                _ => p,
            })
            .collect();
        write(
            "server_session",
            &format!("{tag}-flight"),
            &[&[ctl][..], &parts_to(&genuine(client_parts as u8))].concat(),
        );
        write(
            "server_session",
            &format!("{tag}-flight-then-data"),
            &[
                &[ctl][..],
                &parts_to(&genuine(client_parts as u8)),
                &parts_to(&after),
            ]
            .concat(),
        );
        write(
            "server_session",
            &format!("{tag}-traffic"),
            &[&[ctl | 2][..], &parts_to(&after)].concat(),
        );
    }
    // A few hand-made hellos: HelloRetryRequest bait and TLS 1.2 oddities.
    let (cc, _) = configs(true, CipherSuite::TLS_AES_128_GCM_SHA256);
    let mut c = ferrotls::ClientConnection::new(Arc::new(cc), server_name("localhost")).unwrap();
    let mut hello = messages(&records(&take_output(&mut c))[0].body).remove(0);
    set_extension(&mut hello, true, 51, &vec16(&[]));
    write(
        "server",
        "tls13-hello-no-shares",
        &[&[1][..], &Rec::new(HANDSHAKE, &hello).encode()].concat(),
    );
}
