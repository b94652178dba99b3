//! Turns what the observer recorded into a [`SessionTrace`]: names, hex
//! values, and a plain-words note for each secret and key.

use ferrotls::crypto::hash::HashAlgorithm;
use ferrotls::crypto::Secret;
use ferrotls::observe::{hex, KeyExchangeKind, KeyStage, SecretKind};
use ferrotls::suites::{tls12_suite, tls13_suite, Bulk12, KeyExchange12, Tls12CipherSuite};
use ferrotls::{CipherSuite, Negotiated, ProtocolVersion, Side};

use super::certinfo;
use super::model::{
    CertCheck, Exchange, KeyExchange, NamedSecret, Party, Protection, SessionKey, SessionTrace,
    Step, StepKind,
};
use super::observer::{ChainOutcome, Keys12, Recording, TrafficKey};
use crate::options::alpn_label;

/// What the trace needs to know beyond the recording.
#[derive(Debug, Clone)]
pub struct TraceContext {
    pub session: usize,
    pub server_name: String,
    /// What the client trusted, said for a person.
    pub trusted: String,
    /// False with `--insecure`.
    pub checks_certificates: bool,
    /// False with `--allow-no-ems`: a TLS 1.2 master secret may then be
    /// the classic one.
    pub requires_extended_master_secret: bool,
}

/// Builds the trace of one session from its recording and outcome.
pub fn build(
    mut rec: Recording,
    cx: &TraceContext,
    outcome: Result<Exchange, String>,
) -> SessionTrace {
    let steps = std::mem::take(&mut rec.steps);
    let negotiated = rec.negotiated.clone().unwrap_or_default();
    let suite = negotiated.suite;
    // Known once the handshake completed, or when we insisted on it.
    let ems = match (&rec.negotiated, cx.requires_extended_master_secret) {
        (Some(n), _) => Some(n.extended_master_secret),
        (None, true) => Some(true),
        (None, false) => None,
    };
    let mut trace = SessionTrace {
        session: cx.session,
        version: negotiated.version.map(|v| v.to_string()),
        cipher_suite: suite.map(|s| s.to_string()),
        group: negotiated.group.map(|g| g.to_string()),
        signature_scheme: negotiated.signature_scheme.map(|s| s.to_string()),
        alpn: rec
            .negotiated
            .as_ref()
            .map(|n| alpn_label(n.alpn.as_deref())),
        protection: suite.and_then(protection),
        messages: with_retry_named(steps),
        client_random: rec.client_random.map(|r| hex(&r)),
        server_random: rec.server_random.map(|r| hex(&r)),
        key_exchange: rec.key_exchange.map(key_exchange),
        secrets: rec
            .secrets
            .iter()
            .map(|(kind, value)| named_secret(*kind, value, rec.key_exchange, ems))
            .collect(),
        keys: session_keys(&rec, suite),
        certificates: rec
            .chain
            .iter()
            .flat_map(|c| c.chain.iter().enumerate())
            .map(|(i, der)| certinfo::describe(i, der))
            .collect(),
        certificate_check: rec
            .chain
            .as_ref()
            .map(|c| certificate_check(c, cx, rec.negotiated.as_ref(), rec.key_exchange)),
        finished_verified: rec
            .finished_verified
            .iter()
            .map(|s| party(*s).name().to_string())
            .collect(),
        ..SessionTrace::default()
    };
    trace.key_fingerprint = key_fingerprint(&trace);
    match outcome {
        Ok(exchange) => trace.exchange = Some(exchange),
        Err(e) => trace.error = Some(e),
    }
    trace
}

fn party(side: Side) -> Party {
    match side {
        Side::Client => Party::Client,
        Side::Server => Party::Server,
    }
}

/// A HelloRetryRequest travels as a ServerHello (RFC 8446 §4.1.4); it is
/// the one the client answers with a second ClientHello.
fn with_retry_named(mut steps: Vec<Step>) -> Vec<Step> {
    let is = |s: &Step, from: Party, name: &str| {
        s.kind == StepKind::Handshake && s.from == from && s.name == name
    };
    // From the end: whether a ClientHello comes after this step.
    let mut client_hello_later = false;
    for step in steps.iter_mut().rev() {
        if is(step, Party::Server, "ServerHello") && client_hello_later {
            step.name = "HelloRetryRequest".into();
        }
        client_hello_later |= is(step, Party::Client, "ClientHello");
    }
    steps
}

fn protection(suite: CipherSuite) -> Option<Protection> {
    if let Some(s) = tls13_suite(suite) {
        return Some(Protection {
            kind: "AEAD".into(),
            cipher: s.aead.name().into(),
            hash: s.hash.name().into(),
        });
    }
    let s = tls12_suite(suite)?;
    Some(match s.bulk {
        Bulk12::Aead(aead) => Protection {
            kind: "AEAD".into(),
            cipher: aead.name().into(),
            hash: s.hash.name().into(),
        },
        Bulk12::Cbc { key_len, mac } => Protection {
            kind: "CBC-HMAC".into(),
            cipher: format!("AES-{}-CBC with {}", key_len * 8, mac.name()),
            hash: s.hash.name().into(),
        },
    })
}

fn key_exchange(kind: KeyExchangeKind) -> KeyExchange {
    match kind {
        KeyExchangeKind::Agreed {
            group,
            client_share_len,
            server_share_len,
        } => KeyExchange {
            method: "agreed".into(),
            group: Some(group.to_string()),
            client_share_len: Some(client_share_len),
            server_share_len: Some(server_share_len),
            ciphertext_len: None,
        },
        KeyExchangeKind::RsaTransported { ciphertext_len } => KeyExchange {
            method: "transported".into(),
            group: None,
            client_share_len: None,
            server_share_len: None,
            ciphertext_len: Some(ciphertext_len),
        },
    }
}

fn named_secret(
    kind: SecretKind,
    value: &Secret,
    kx: Option<KeyExchangeKind>,
    ems: Option<bool>,
) -> NamedSecret {
    NamedSecret {
        name: kind.name(),
        derivation: derivation(kind, kx, ems),
        nss_label: kind.nss_label(),
        length: value.len(),
        hex: hex(value.expose()),
    }
}

/// How each secret is made (RFC 5246 §8.1, RFC 7627 §4, RFC 8446 §7.1);
/// `ems`: whether a TLS 1.2 master secret is the extended one, if known.
fn derivation(kind: SecretKind, kx: Option<KeyExchangeKind>, ems: Option<bool>) -> String {
    use SecretKind as K;
    let text = match kind {
        K::PreMasterSecret => match kx {
            Some(KeyExchangeKind::RsaTransported { .. }) => {
                "chosen by the client (2-byte version + 46 random bytes) and sent encrypted to the server's RSA key"
            }
            _ => "the ECDHE result: each side combined its private key with the other's public share",
        },
        K::SharedSecret => {
            "the (EC)DHE / KEM result: each side combined its private key with the other's key share"
        }
        K::MasterSecret => match ems {
            Some(true) => {
                "PRF(pre-master secret, \"extended master secret\", hash of the handshake up to ClientKeyExchange) (RFC 7627)"
            }
            Some(false) => {
                "PRF(pre-master secret, \"master secret\", client random + server random) (RFC 5246 §8.1): the classic one, without the extended master secret, so not bound to this handshake"
            }
            None => {
                "PRF of the pre-master secret: with the handshake's hash (RFC 7627) or, if the server does not do that, the randoms only (RFC 5246 §8.1); the handshake did not finish, so which is not known here"
            }
        },
        K::EarlySecret => "HKDF-Extract(salt 0, PSK; all zeros without resumption)",
        K::HandshakeSecret => {
            "HKDF-Extract(Derive-Secret(early secret, \"derived\", \"\"), shared secret)"
        }
        K::ClientHandshakeTrafficSecret => {
            "Derive-Secret(handshake secret, \"c hs traffic\", ClientHello..ServerHello)"
        }
        K::ServerHandshakeTrafficSecret => {
            "Derive-Secret(handshake secret, \"s hs traffic\", ClientHello..ServerHello)"
        }
        K::Tls13MasterSecret => {
            "HKDF-Extract(Derive-Secret(handshake secret, \"derived\", \"\"), 0)"
        }
        K::ClientApplicationTrafficSecret(0) => {
            "Derive-Secret(master secret, \"c ap traffic\", ClientHello..server Finished)"
        }
        K::ServerApplicationTrafficSecret(0) => {
            "Derive-Secret(master secret, \"s ap traffic\", ClientHello..server Finished)"
        }
        K::ClientApplicationTrafficSecret(_) | K::ServerApplicationTrafficSecret(_) => {
            "HKDF-Expand-Label(previous traffic secret, \"traffic upd\", \"\", Hash.length) (KeyUpdate)"
        }
        K::ExporterMasterSecret => {
            "Derive-Secret(master secret, \"exp master\", ClientHello..server Finished)"
        }
        K::ResumptionMasterSecret => {
            "Derive-Secret(master secret, \"res master\", ClientHello..client Finished): the root of resumption tickets"
        }
        // Secrets added to the library later are shown without a formula.
        _ => "",
    };
    text.to_string()
}

fn session_keys(rec: &Recording, suite: Option<CipherSuite>) -> Vec<SessionKey> {
    match &rec.keys12 {
        Some(keys) => keys12(keys, suite.and_then(tls12_suite)),
        None => rec.traffic_keys.iter().flat_map(traffic_keys).collect(),
    }
}

fn key(
    name: String,
    writer: Side,
    purpose: &str,
    stage: Option<String>,
    value: &Secret,
    note: String,
) -> SessionKey {
    SessionKey {
        name,
        writer: party(writer),
        direction: party(writer).arrow().into(),
        purpose: purpose.into(),
        stage,
        length: value.len(),
        hex: hex(value.expose()),
        note: Some(note),
    }
}

/// TLS 1.2, in the key block's order (RFC 5246 §6.3).
fn keys12(k: &Keys12, suite: Option<&Tls12CipherSuite>) -> Vec<SessionKey> {
    let bulk = suite.map(|s| s.bulk);
    let mut out = Vec::new();
    for (side, value) in [
        (Side::Client, &k.client_write_mac_key),
        (Side::Server, &k.server_write_mac_key),
    ] {
        let name = format!("{} write MAC key", party(side).name());
        out.push(key(
            name,
            side,
            "mac_key",
            None,
            value,
            mac_note(bulk, side),
        ));
    }
    for (side, value) in [
        (Side::Client, &k.client_write_key),
        (Side::Server, &k.server_write_key),
    ] {
        let name = format!("{} write key", party(side).name());
        out.push(key(
            name,
            side,
            "key",
            None,
            value,
            write_key_note(bulk, side),
        ));
    }
    for (side, value) in [
        (Side::Client, &k.client_write_iv),
        (Side::Server, &k.server_write_iv),
    ] {
        let name = format!("{} write IV", party(side).name());
        out.push(key(name, side, "iv", None, value, iv_note(bulk)));
    }
    out
}

fn other(side: Side) -> &'static str {
    match side {
        Side::Client => "server",
        Side::Server => "client",
    }
}

fn mac_note(bulk: Option<Bulk12>, side: Side) -> String {
    match bulk {
        Some(Bulk12::Aead(aead)) => format!(
            "empty: {} authenticates every record itself, so AEAD suites need no MAC key",
            aead.name()
        ),
        Some(Bulk12::Cbc { mac, .. }) => format!(
            "{} key: the {} computes a MAC over every record it sends (encrypt-then-MAC); the {} checks it",
            mac.name(),
            party(side).name(),
            other(side)
        ),
        None => String::new(),
    }
}

fn write_key_note(bulk: Option<Bulk12>, side: Side) -> String {
    let cipher = match bulk {
        Some(Bulk12::Aead(aead)) => aead.name().to_string(),
        Some(Bulk12::Cbc { key_len, .. }) => format!("AES-{}-CBC", key_len * 8),
        None => "the cipher".into(),
    };
    format!(
        "{cipher} key: the {} encrypts what it sends with it, the {} decrypts with the same key",
        party(side).name(),
        other(side)
    )
}

fn iv_note(bulk: Option<Bulk12>) -> String {
    match bulk {
        Some(Bulk12::Cbc { .. }) => {
            "empty: with CBC each record carries its own fresh random IV (RFC 5246 §6.2.3.2)".into()
        }
        Some(Bulk12::Aead(ferrotls::crypto::aead::AeadAlgorithm::ChaCha20Poly1305)) => {
            "XORed with the record sequence number to make each record's nonce (RFC 7905)".into()
        }
        Some(Bulk12::Aead(_)) => {
            "the fixed 4-byte part of each record's nonce; the other 8 bytes travel in the record (RFC 5288)".into()
        }
        None => String::new(),
    }
}

fn stage_label(stage: KeyStage) -> String {
    match stage {
        KeyStage::Handshake => "handshake".into(),
        KeyStage::Application(n) => format!("application {n}"),
    }
}

fn traffic_secret_name(stage: KeyStage, writer: Side) -> String {
    match stage {
        KeyStage::Handshake => format!("{} handshake traffic secret", party(writer).name()),
        KeyStage::Application(n) => {
            format!("{} application traffic secret {n}", party(writer).name())
        }
    }
}

/// TLS 1.3: key and IV from a traffic secret (RFC 8446 §7.3).
fn traffic_keys(t: &TrafficKey) -> [SessionKey; 2] {
    let who = party(t.writer).name();
    let stage = match t.stage {
        KeyStage::Handshake => "handshake ".to_string(),
        KeyStage::Application(0) => "application ".to_string(),
        KeyStage::Application(n) => format!("application (generation {n}) "),
    };
    let secret = traffic_secret_name(t.stage, t.writer);
    let key_note = format!(
        "HKDF-Expand-Label({secret}, \"key\", \"\", {}): the {who} encrypts with it, the {} decrypts",
        t.key.len(),
        other(t.writer)
    );
    let iv_note = format!(
        "HKDF-Expand-Label({secret}, \"iv\", \"\", {}): XORed with the record sequence number to make each nonce",
        t.iv.len()
    );
    let label = Some(stage_label(t.stage));
    [
        key(
            format!("{who} {stage}write key"),
            t.writer,
            "key",
            label.clone(),
            &t.key,
            key_note,
        ),
        key(
            format!("{who} {stage}write IV"),
            t.writer,
            "iv",
            label,
            &t.iv,
            iv_note,
        ),
    ]
}

fn certificate_check(
    outcome: &ChainOutcome,
    cx: &TraceContext,
    negotiated: Option<&Negotiated>,
    kx: Option<KeyExchangeKind>,
) -> CertCheck {
    if let Err(e) = &outcome.result {
        return CertCheck {
            accepted: false,
            checked: true,
            checks: vec![format!("rejected: {e}")],
            error: Some(e.clone()),
        };
    }
    if !cx.checks_certificates {
        return CertCheck {
            accepted: true,
            checked: false,
            checks: vec![
                "nothing was checked (--insecure): not the chain, not the name, not the dates; anyone could have answered".into(),
            ],
            error: None,
        };
    }
    let mut checks = vec![
        format!(
            "chain: every signature checked up to a trusted root ({})",
            cx.trusted
        ),
        format!(
            "name: the server's certificate is valid for {}",
            cx.server_name
        ),
        "dates: every certificate in the chain is valid now".into(),
        "usage: the certificate may be used for TLS server authentication".into(),
    ];
    if let Some(proof) = negotiated.and_then(|n| key_proof(n, kx)) {
        checks.push(proof);
    }
    CertCheck {
        accepted: true,
        checked: true,
        checks,
        error: None,
    }
}

/// How the server showed it holds the certificate's private key.
fn key_proof(n: &Negotiated, kx: Option<KeyExchangeKind>) -> Option<String> {
    let scheme = n
        .signature_scheme
        .map_or_else(|| "its key".to_string(), |s| s.to_string());
    let rsa_transport = matches!(kx, Some(KeyExchangeKind::RsaTransported { .. }))
        || n.suite
            .and_then(tls12_suite)
            .is_some_and(|s| s.kx == KeyExchange12::Rsa);
    Some(match n.version? {
        ProtocolVersion::TLSv1_3 => format!(
            "key: the server signed the handshake with the certificate's key (CertificateVerify, {scheme}), and the signature checked"
        ),
        _ if rsa_transport => "key: only the holder of the certificate's RSA key could decrypt the pre-master secret; the server's correct Finished proves it did".into(),
        _ => format!(
            "key: the server signed its key share and both randoms with the certificate's key (ServerKeyExchange, {scheme}), and the signature checked"
        ),
    })
}

/// The first 8 bytes of SHA-256 over every key, as hex.
fn key_fingerprint(trace: &SessionTrace) -> String {
    let all: String = trace.keys.iter().map(|k| k.hex.as_str()).collect();
    let digest = HashAlgorithm::Sha256.hash(all.as_bytes());
    hex(&digest[..8])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(from: Party, name: &str) -> Step {
        Step {
            from,
            kind: StepKind::Handshake,
            name: name.into(),
            length: Some(4),
            encrypted: false,
        }
    }

    #[test]
    fn a_server_hello_answered_by_a_client_hello_is_a_retry() {
        let steps = with_retry_named(vec![
            step(Party::Client, "ClientHello"),
            step(Party::Server, "ServerHello"),
            step(Party::Client, "ClientHello"),
            step(Party::Server, "ServerHello"),
        ]);
        let names: Vec<_> = steps.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "ClientHello",
                "HelloRetryRequest",
                "ClientHello",
                "ServerHello"
            ]
        );
    }

    #[test]
    fn tls12_keys_come_in_key_block_order_with_notes() {
        let s = |n: usize| Secret::new(vec![n as u8; n]);
        let keys = Keys12 {
            client_write_mac_key: s(0),
            server_write_mac_key: s(0),
            client_write_key: s(16),
            server_write_key: s(16),
            client_write_iv: s(4),
            server_write_iv: s(4),
        };
        let out = keys12(
            &keys,
            tls12_suite(CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256),
        );
        let names: Vec<_> = out.iter().map(|k| k.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "client write MAC key",
                "server write MAC key",
                "client write key",
                "server write key",
                "client write IV",
                "server write IV"
            ]
        );
        assert!(out[0]
            .note
            .as_deref()
            .unwrap()
            .starts_with("empty: AES-128-GCM"));
        assert_eq!(out[3].direction, "server → client");
        assert_eq!(out[4].hex, "04040404");
    }
}
