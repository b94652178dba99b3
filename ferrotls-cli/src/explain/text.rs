//! The plain-text explanation: sections in the order a handshake happens,
//! each value with its name, direction, length and a sentence on its role.

use std::fmt::Write;

use super::model::{
    CertCheck, CertInfo, KeyExchange, NamedSecret, Report, SessionKey, SessionTrace, Step, StepKind,
};

/// The whole report. With several sessions, the first is shown in full
/// and every session gets a summary line.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    header(&mut out, report);
    if let Some(first) = report.sessions.first() {
        session(&mut out, first);
    }
    if report.sessions.len() > 1 {
        sessions_summary(&mut out, report);
    }
    out
}

fn header(out: &mut String, report: &Report) {
    let s = &report.server;
    let _ = writeln!(out, "ferrotls explain: a TLS session, step by step\n");
    let _ = writeln!(out, "server       {}", s.address);
    let _ = writeln!(out, "server name  {}", s.server_name);
    let _ = writeln!(out, "trusted      {}", s.trusted);
    let _ = writeln!(out, "request      \"{}\"", report.request);
}

fn section(out: &mut String, title: &str) {
    let _ = writeln!(out, "\n-- {title} --");
}

fn session(out: &mut String, t: &SessionTrace) {
    let _ = writeln!(out, "\n== Session {} ==", t.session);
    negotiated(out, t);
    messages(out, &t.messages, is_tls13(t));
    randoms(out, t);
    if let Some(kx) = &t.key_exchange {
        key_exchange(out, kx, is_tls13(t));
    }
    secrets(out, t);
    keys(out, t);
    certificates(out, &t.certificates, t.certificate_check.as_ref());
    finished(out, t);
    exchange(out, t);
}

fn or_unknown(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("unknown")
}

fn negotiated(out: &mut String, t: &SessionTrace) {
    if let Some(e) = &t.error {
        let _ = writeln!(out, "FAILED: {e}");
    }
    let protection = t.protection.as_ref().map_or(String::new(), |p| {
        format!(" ({}: {}, hash {})", p.kind, p.cipher, p.hash)
    });
    // After a completed handshake, a missing group or signature means the
    // suite had none (RSA key transport), not that we do not know.
    let or_none = |v: &Option<String>| match (v, &t.version) {
        (Some(v), _) => v.clone(),
        (None, Some(_)) => "none".to_string(),
        (None, None) => "unknown".to_string(),
    };
    let _ = writeln!(
        out,
        "negotiated   {}, {}{protection}, group {}, signature {}, ALPN {}",
        or_unknown(&t.version),
        or_unknown(&t.cipher_suite),
        or_none(&t.group),
        or_none(&t.signature_scheme),
        or_unknown(&t.alpn),
    );
}

fn messages(out: &mut String, steps: &[Step], tls13: bool) {
    section(out, "Messages, in the order they crossed the wire");
    for (i, step) in steps.iter().enumerate() {
        let length = step.length.map_or(String::new(), |n| format!("{n} bytes"));
        let _ = writeln!(
            out,
            "  {:>2}  {}  {:<28} {:>10}  {}",
            i + 1,
            step.from.arrow(),
            step.name,
            length,
            protection_word(step, tls13)
        );
    }
    let _ = writeln!(
        out,
        "  (handshake lengths include the 4-byte message header; \"encrypted\" means protected with the keys below)"
    );
}

fn protection_word(step: &Step, tls13: bool) -> &'static str {
    match (step.kind, step.encrypted) {
        (StepKind::ChangeCipherSpec, _) if tls13 => {
            "plaintext, ignored (middlebox compatibility, RFC 8446 §D.4)"
        }
        (StepKind::ChangeCipherSpec, _) => "plaintext: from here on this side encrypts",
        (_, true) => "encrypted",
        (_, false) => "plaintext",
    }
}

fn randoms(out: &mut String, t: &SessionTrace) {
    section(out, "Randoms");
    for (name, value) in [
        ("client random", &t.client_random),
        ("server random", &t.server_random),
    ] {
        let _ = writeln!(out, "  {name}  32 bytes  {}", or_unknown(value));
    }
    let _ = writeln!(
        out,
        "  Each side picks 32 fresh random bytes for every connection and sends them in its Hello, in the clear.\n  \
         They feed every key below, so no two sessions get the same keys."
    );
}

fn key_exchange(out: &mut String, kx: &KeyExchange, tls13: bool) {
    let secret = if tls13 {
        "shared secret"
    } else {
        "pre-master secret"
    };
    section(out, &format!("Key exchange: how the {secret} was made"));
    let text = match kx.method.as_str() {
        "transported" => format!(
            "  Transported: the client chose the 48-byte pre-master secret itself and sent it to the server\n  \
             encrypted with the RSA public key in the server's certificate ({} bytes of ciphertext in\n  \
             ClientKeyExchange). Only the holder of that certificate's private key can decrypt it.",
            kx.ciphertext_len.unwrap_or_default()
        ),
        _ => format!(
            "  Agreed with {}: the client sent a {}-byte key share, the server a {}-byte key share.\n  \
             Each side combined its own private key with the other's share and got the same secret;\n  \
             the secret itself never crossed the wire, and an eavesdropper cannot compute it.",
            kx.group.as_deref().unwrap_or("an unknown group"),
            kx.client_share_len.unwrap_or_default(),
            kx.server_share_len.unwrap_or_default()
        ),
    };
    let _ = writeln!(out, "{text}");
}

fn is_tls13(t: &SessionTrace) -> bool {
    t.version.as_deref() == Some("TLSv1.3") || t.secrets.iter().any(|s| s.name == "early secret")
}

fn secrets(out: &mut String, t: &SessionTrace) {
    let hash = t.protection.as_ref().map_or("", |p| p.hash.as_str());
    let title = match is_tls13(t) {
        true => format!("Secrets: the TLS 1.3 key schedule (HKDF with {hash})"),
        false => format!("Secrets: TLS 1.2 (PRF with {hash})"),
    };
    section(out, &title);
    for s in &t.secrets {
        secret(out, s);
    }
    if !is_tls13(t) && !t.keys.is_empty() {
        let total: usize = t.keys.iter().map(|k| k.length).sum();
        let _ = writeln!(
            out,
            "  key block  {total} bytes\n      = PRF(master secret, \"key expansion\", server random + client random),\n      \
             cut in order into: client write MAC key, server write MAC key, client write key,\n      \
             server write key, client write IV, server write IV (RFC 5246 §6.3)"
        );
    }
}

fn secret(out: &mut String, s: &NamedSecret) {
    let label = s
        .nss_label
        .as_ref()
        .map_or(String::new(), |l| format!("  (key log: {l})"));
    let _ = writeln!(out, "  {}  {} bytes{label}", s.name, s.length);
    if !s.derivation.is_empty() {
        let _ = writeln!(out, "      = {}", s.derivation);
    }
    let _ = writeln!(out, "      {}", s.hex);
}

fn keys(out: &mut String, t: &SessionTrace) {
    section(
        out,
        "Session keys: what actually encrypts and authenticates the records",
    );
    for k in &t.keys {
        session_key(out, k);
    }
    if t.keys.is_empty() {
        let _ = writeln!(out, "  (none: the handshake did not get that far)");
    }
}

fn session_key(out: &mut String, k: &SessionKey) {
    let value = match k.hex.is_empty() {
        true => "(empty)",
        false => k.hex.as_str(),
    };
    let _ = writeln!(
        out,
        "  {:<34} protects {}  {:>2} bytes  {value}",
        k.name, k.direction, k.length
    );
    if let Some(note) = k.note.as_ref().filter(|n| !n.is_empty()) {
        let _ = writeln!(out, "      {note}");
    }
}

fn certificates(out: &mut String, chain: &[CertInfo], check: Option<&CertCheck>) {
    section(out, "Certificate chain the server sent");
    for c in chain {
        certificate(out, c);
    }
    match check {
        Some(check) => {
            let (verdict, mark) = match (check.accepted, check.checked) {
                (true, true) => ("accepted", "ok"),
                (true, false) => ("accepted WITHOUT any check", "!!"),
                (false, _) => ("REJECTED", "!!"),
            };
            let _ = writeln!(out, "  verdict: {verdict}");
            for line in &check.checks {
                let _ = writeln!(out, "    {mark} {line}");
            }
        }
        None => {
            let _ = writeln!(out, "  (no certificate was received)");
        }
    }
}

fn certificate(out: &mut String, c: &CertInfo) {
    let role = match c.position {
        0 => "the server's own certificate",
        _ => "an issuer",
    };
    let unknown = || "unknown".to_string();
    let _ = writeln!(out, "  [{}] {role}", c.position);
    let _ = writeln!(
        out,
        "      subject  {}",
        c.subject.clone().unwrap_or_else(unknown)
    );
    let _ = writeln!(
        out,
        "      issuer   {}",
        c.issuer.clone().unwrap_or_else(unknown)
    );
    let _ = writeln!(
        out,
        "      valid    {} to {}",
        c.not_before.clone().unwrap_or_else(unknown),
        c.not_after.clone().unwrap_or_else(unknown)
    );
    if !c.names.is_empty() {
        let _ = writeln!(out, "      names    {}", c.names.join(", "));
    }
    let _ = writeln!(
        out,
        "      key      {}",
        c.public_key.clone().unwrap_or_else(unknown)
    );
    let _ = writeln!(out, "      size     {} bytes", c.size);
    let _ = writeln!(out, "      SHA-256  {}", c.sha256);
}

fn finished(out: &mut String, t: &SessionTrace) {
    section(out, "Finished");
    if t.finished_verified.iter().any(|s| s == "server") {
        let _ = writeln!(
            out,
            "  ok the server's Finished verified: it is a MAC over the whole handshake with a key from the\n     \
             secrets above, so both sides saw the same messages and derived the same keys."
        );
    } else {
        let _ = writeln!(out, "  !! the server's Finished was not verified");
    }
    if t.exchange.is_some() {
        let _ = writeln!(
            out,
            "  ok the server accepted the client's Finished (it answered the request instead of an alert)."
        );
    }
}

fn exchange(out: &mut String, t: &SessionTrace) {
    section(out, "After the handshake");
    match &t.exchange {
        Some(x) => {
            let _ = writeln!(
                out,
                "  sent {} bytes of application data, received {} bytes: \"{}\"\n  close: {}",
                x.sent_bytes, x.received_bytes, x.response_first_line, x.close
            );
        }
        None => {
            let _ = writeln!(out, "  FAILED: {}", or_unknown(&t.error));
        }
    }
}

fn sessions_summary(out: &mut String, report: &Report) {
    let n = report.sessions.len();
    let _ = writeln!(
        out,
        "\n== Sessions: {n} handshakes (session 1 in full above; --json has every session in full) =="
    );
    for t in &report.sessions {
        let random: String = or_unknown(&t.client_random).chars().take(16).collect();
        let outcome = t
            .error
            .as_ref()
            .map_or(String::new(), |e| format!("  FAILED: {e}"));
        let _ = writeln!(
            out,
            "  session {:<3} {} {}  client random {random}…  keys fingerprint {}{outcome}",
            t.session,
            or_unknown(&t.version),
            or_unknown(&t.cipher_suite),
            t.key_fingerprint,
        );
    }
    let verdict = match report.all_sessions_have_distinct_keys {
        true => format!("all {n} sessions have distinct keys"),
        false => format!("NOT all {n} sessions have distinct keys"),
    };
    let _ = writeln!(out, "  {verdict}");
}
