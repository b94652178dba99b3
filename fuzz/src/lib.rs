//! Shared pieces of the ferrotls fuzz targets: deterministic configs
//! (seeded randomness, a fixed clock), a test PKI made once per process,
//! and the in-process man in the middle from the negative tests, which
//! seals whatever the fuzzer writes with the real session keys so the
//! states after the handshake are reachable.
//!
//! Key shares still come from aws-lc's own generator, so the bytes on the
//! wire differ between runs; the plaintext each state machine sees for a
//! given input does not.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use ferrotls::pki_types::{
    CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime,
};
use ferrotls::time::FixedTime;
use ferrotls::{ClientConfig, ProtocolVersion, RootCertStore, ServerConfig};

/// What the negative tests' support module expects beside it.
pub mod common {
    pub fn server_name(name: &str) -> ferrotls::pki_types::ServerName<'static> {
        ferrotls::pki_types::ServerName::try_from(name.to_string()).unwrap()
    }
}

#[path = "../../ferrotls/tests/negative_support/mod.rs"]
pub mod support;

pub use support::*;

struct Pki {
    ca: CertificateDer<'static>,
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

/// A CA and a leaf for "localhost" (ECDSA P-256), made once.
fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| {
        use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
        let ca_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "ferrotls fuzz CA");
        let ca = CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();
        let leaf_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let leaf = CertificateParams::new(vec!["localhost".to_string()])
            .unwrap()
            .signed_by(&leaf_key, &ca)
            .unwrap();
        Pki {
            ca: ca.der().clone(),
            chain: vec![leaf.der().clone()],
            key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
        }
    })
}

/// A clock inside every certificate's validity.
fn now() -> Arc<FixedTime> {
    // rcgen's default validity starts 1975 and ends 4096.
    Arc::new(FixedTime(UnixTime::since_unix_epoch(Duration::from_secs(
        1_700_000_000,
    ))))
}

fn versions(tls13: bool, tls12: bool) -> Vec<ProtocolVersion> {
    let mut v = Vec::new();
    if tls13 {
        v.push(ProtocolVersion::TLSv1_3);
    }
    if tls12 {
        v.push(ProtocolVersion::TLSv1_2);
    }
    v
}

/// A client trusting the fuzz PKI, deterministic but for key shares.
pub fn client_config(tls13: bool, tls12: bool) -> ClientConfig {
    let mut roots = RootCertStore::empty();
    roots.add(&pki().ca).unwrap();
    let mut cc = ClientConfig::new(roots);
    cc.versions = versions(tls13, tls12);
    cc.random = SeededRandom::new(0x5eed);
    cc.time = now();
    cc
}

pub fn server_config(tls13: bool, tls12: bool) -> ServerConfig {
    let mut sc = ServerConfig::new(pki().chain.clone(), pki().key.clone_key()).unwrap();
    sc.versions = versions(tls13, tls12);
    sc.random = SeededRandom::new(0xfeed);
    sc.time = now();
    sc
}

pub fn localhost() -> ServerName<'static> {
    common::server_name("localhost")
}

/// The versions a whole-connection target enables, from its first input
/// byte: TLS 1.3 and 1.2, 1.3 only, or 1.2 only.
pub fn versions_from(byte: u8) -> (bool, bool) {
    [(true, true), (true, false), (false, true)][usize::from(byte % 3)]
}

/// Feeds raw bytes to a connection until it fails or they run out, then
/// drains its output and reads what plaintext it has.
pub fn feed_raw(conn: &mut ferrotls::ConnectionCommon, mut input: &[u8]) {
    use std::io::Read;
    let _ = take_output(conn);
    while !input.is_empty() {
        match conn.read_tls(&mut input) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        if conn.process_new_packets().is_err() {
            break;
        }
    }
    let _ = take_output(conn);
    let mut buf = [0u8; 1024];
    let _ = conn.reader().read(&mut buf);
}

/// Cuts fuzz input into records: `typ, protect, len (u16), data` each; a
/// short tail becomes one last record of whatever is left.
pub fn parts_from(mut data: &[u8]) -> Vec<Part> {
    let mut out = Vec::new();
    while data.len() >= 4 {
        let (typ, protect) = (data[0], data[1] & 1 == 1);
        let len = usize::from(u16::from_be_bytes([data[2], data[3]])).min(data.len() - 4);
        out.push(Part::new(typ, &data[4..4 + len], protect));
        data = &data[4 + len..];
    }
    out
}

/// The inverse of [`parts_from`], for the seed generator.
pub fn parts_to(parts: &[Part]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in parts {
        out.push(p.typ);
        out.push(u8::from(p.protected));
        out.extend_from_slice(&(p.data.len() as u16).to_be_bytes());
        out.extend_from_slice(&p.data);
    }
    out
}

/// Where in a real handshake the fuzzer's records go (first input byte).
#[derive(Clone, Copy, Debug)]
pub enum Stage {
    /// In place of the peer's first encrypted flight (TLS 1.3) or its
    /// handshake messages after the hellos (TLS 1.2).
    Handshake,
    /// After the handshake completed.
    Traffic,
}

/// A part of this type stands for one of the peer's genuine messages
/// (its first data byte picks which), so the fuzzer can replay, reorder,
/// drop and repeat real messages around its own.
pub const GENUINE: u8 = 0xff;

/// Runs a real handshake to `stage`; returns the middle and the peer's
/// genuine parts not yet delivered (`tls13` picks the version).
pub fn session(tls13: bool, stage: Stage, victim_is_client: bool) -> Option<(Mitm, Vec<Part>)> {
    let mut m = Mitm::new(
        client_config(tls13, !tls13),
        server_config(tls13, !tls13),
        tls13,
    );
    let genuine = match (stage, victim_is_client) {
        (Stage::Traffic, _) => {
            m.handshake().ok()?;
            // The server's tickets, for a client victim.
            m.server_wrote()
        }
        (Stage::Handshake, true) => {
            // The client has the ServerHello (and CCS), nothing after it.
            m.pass_to_server().ok()?;
            let mut parts = m.server_wrote();
            let hello_end = if tls13 { 2 } else { 1 };
            m.send_to_client(&parts[..hello_end]).ok()?;
            parts.split_off(hello_end)
        }
        (Stage::Handshake, false) => {
            // The server has the ClientHello and waits for the client's
            // second flight.
            m.pass_to_server().ok()?;
            m.pass_to_client().ok()?;
            m.client_wrote()
        }
    };
    Some((m, genuine))
}

/// Feeds `parts` to the victim until it fails, relaying what the victim
/// answers to the real peer and adding the peer's replies to `genuine`;
/// then drains the victim's output and reads what plaintext it has.
pub fn drive(m: &mut Mitm, victim_is_client: bool, parts: &[Part], mut genuine: Vec<Part>) {
    use std::io::{BufRead, Read};
    let mut peer_ok = true;
    for p in parts {
        let p = match (p.typ, p.data.first()) {
            (GENUINE, Some(&i)) if !genuine.is_empty() => {
                genuine[usize::from(i) % genuine.len()].clone()
            }
            (GENUINE, _) => continue,
            _ => p.clone(),
        };
        let res = match victim_is_client {
            true => m.send_to_client(std::slice::from_ref(&p)),
            false => m.send_to_server(std::slice::from_ref(&p)),
        };
        if res.is_err() {
            break;
        }
        // The real peer hears the victim's answers, and may answer them.
        if peer_ok {
            let answer = match victim_is_client {
                true => m.client_wrote(),
                false => m.server_wrote(),
            };
            peer_ok = match victim_is_client {
                true => m.send_to_server(&answer),
                false => m.send_to_client(&answer),
            }
            .is_ok();
            genuine.extend(match victim_is_client {
                true => m.server_wrote(),
                false => m.client_wrote(),
            });
        }
    }
    let conn: &mut ferrotls::ConnectionCommon = match victim_is_client {
        true => &mut m.client,
        false => &mut m.server,
    };
    let _ = take_output(conn);
    // Plaintext taken both ways in turn: copied by read, and half of each
    // record's worth at a time by fill_buf and consume.
    let mut buf = [0u8; 4096];
    for turn in 0usize.. {
        let mut reader = conn.reader();
        let taken = match turn % 2 {
            0 => reader.read(&mut buf),
            _ => reader
                .fill_buf()
                .map(|b| b.len().div_ceil(2))
                .inspect(|&n| {
                    reader.consume(n);
                }),
        };
        if !matches!(taken, Ok(n) if n > 0) {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The session seeds still drive a complete handshake (or the
    /// traffic stage), so the fuzzer starts deep.
    #[test]
    fn session_seeds_complete_handshakes() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds");
        for (target, victim_is_client, in_place, min_seeds) in [
            ("client_session", true, false, 6),
            ("server_session", false, false, 6),
            ("client_in_place", true, true, 2),
        ] {
            let mut n = 0;
            for entry in std::fs::read_dir(dir.join(target)).unwrap() {
                let path = entry.unwrap().path();
                let data = std::fs::read(&path).unwrap();
                let stage = match data[0] & 2 {
                    0 => Stage::Handshake,
                    _ => Stage::Traffic,
                };
                let (mut m, genuine) = session(data[0] & 1 == 1, stage, victim_is_client).unwrap();
                m.in_place = in_place;
                drive(&mut m, victim_is_client, &parts_from(&data[1..]), genuine);
                let victim: &ferrotls::ConnectionCommon = match victim_is_client {
                    true => &m.client,
                    false => &m.server,
                };
                assert!(!victim.is_handshaking(), "{}", path.display());
                assert_eq!(victim.error(), None, "{}", path.display());
                n += 1;
            }
            assert!(n >= min_seeds, "{target}: {n} seeds");
        }
    }
}
