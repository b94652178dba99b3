//! `--html FILE`: one self-contained page (inline SVG and CSS, nothing
//! fetched) with the handshake as a client↔server sequence diagram and
//! the key derivation as a tree, values included.

use std::fmt::Write;

use super::derivation::{derive, Node};
use super::model::{Party, Report, SessionTrace, Step, StepKind};

const CLIENT_X: usize = 170;
const SERVER_X: usize = 650;
const WIDTH: usize = 820;
const TOP: usize = 70;
const ROW: usize = 34;
const ENCRYPTED: &str = "#1a7f37";
const PLAINTEXT: &str = "#57606a";

const STYLE: &str = r#"
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 60em; padding: 0 1em; color: #1d2125; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ddd; }
table.facts td { padding: .15em .8em .15em 0; vertical-align: top; }
code, .hex { font-family: ui-monospace, monospace; font-size: .85em; word-break: break-all; }
.hex { color: #6f42c1; display: block; }
.formula { color: #555; font-size: .85em; display: block; }
.error { color: #b00020; font-weight: bold; }
ul.tree, ul.tree ul { list-style: none; margin: 0; padding-left: 1.4em; }
ul.tree li { position: relative; padding: .3em 0 .3em 1.2em; }
ul.tree li::before { content: ""; position: absolute; left: 0; top: 0; bottom: 0; border-left: 1px solid #999; }
ul.tree li::after { content: ""; position: absolute; left: 0; top: 1.2em; width: 1em; border-top: 1px solid #999; }
ul.tree li:last-child::before { bottom: auto; height: 1.2em; }
.node { display: inline-block; border: 1px solid #c8ccd0; border-radius: 6px; padding: .3em .6em; background: #f6f8fa; max-width: 48em; }
.node b { font-size: .95em; }
.inputs .node { background: #fff8e1; }
svg text { font-family: system-ui, sans-serif; font-size: 13px; }
"#;

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>ferrotls explain</title><style>{STYLE}</style></head><body>\n\
         <h1>A TLS session, step by step</h1>\n"
    );
    server_facts(&mut out, report);
    if let Some(first) = report.sessions.first() {
        session(&mut out, first);
    }
    if report.sessions.len() > 1 {
        sessions_table(&mut out, report);
    }
    out.push_str("</body></html>\n");
    out
}

/// Escapes text for HTML element content and attribute values.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

fn fact(out: &mut String, name: &str, value: &str) {
    let _ = writeln!(
        out,
        "<tr><td>{}</td><td>{}</td></tr>",
        esc(name),
        esc(value)
    );
}

fn server_facts(out: &mut String, report: &Report) {
    let s = &report.server;
    out.push_str("<table class=\"facts\">\n");
    fact(out, "server", &s.address);
    fact(out, "server name", &s.server_name);
    fact(out, "trusted", &s.trusted);
    fact(out, "request", &report.request);
    out.push_str("</table>\n");
}

fn unknown(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("unknown")
}

fn session(out: &mut String, t: &SessionTrace) {
    let _ = writeln!(out, "<h2>Session {}</h2>", t.session);
    if let Some(e) = &t.error {
        let _ = writeln!(out, "<p class=\"error\">FAILED: {}</p>", esc(e));
    }
    out.push_str("<table class=\"facts\">\n");
    fact(out, "version", unknown(&t.version));
    fact(out, "cipher suite", unknown(&t.cipher_suite));
    fact(out, "group", unknown(&t.group));
    fact(out, "signature", unknown(&t.signature_scheme));
    if let Some(p) = &t.protection {
        fact(
            out,
            "record protection",
            &format!("{}: {}, hash {}", p.kind, p.cipher, p.hash),
        );
    }
    out.push_str("</table>\n");
    out.push_str("<h2>The handshake</h2>\n");
    sequence_diagram(out, &t.messages);
    out.push_str("<h2>Where the keys come from</h2>\n");
    derivation_tree(out, t);
    certificates(out, t);
}

/// Client and server lifelines with one arrow per message.
fn sequence_diagram(out: &mut String, steps: &[Step]) {
    let height = TOP + ROW * steps.len() + 30;
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height}\" \
         viewBox=\"0 0 {WIDTH} {height}\" role=\"img\" aria-label=\"TLS handshake sequence diagram\">\n\
         <defs>{}{}</defs>",
        marker("encrypted", ENCRYPTED),
        marker("plaintext", PLAINTEXT)
    );
    for (x, name) in [(CLIENT_X, "client"), (SERVER_X, "server")] {
        let _ = writeln!(
            out,
            "<rect x=\"{}\" y=\"10\" width=\"120\" height=\"30\" rx=\"6\" fill=\"#e8eef7\" stroke=\"#5b7bb4\"/>\
             <text x=\"{x}\" y=\"30\" text-anchor=\"middle\" font-weight=\"bold\">{name}</text>\
             <line x1=\"{x}\" y1=\"40\" x2=\"{x}\" y2=\"{}\" stroke=\"#999\" stroke-dasharray=\"4 3\"/>",
            x - 60,
            height - 10
        );
    }
    for (i, step) in steps.iter().enumerate() {
        arrow(out, i, step);
    }
    out.push_str(
        "</svg>\n<p class=\"formula\">Green arrows are encrypted records; grey are plaintext. \
                  Lengths of handshake messages include their 4-byte header.</p>\n",
    );
}

/// An arrowhead in one color (markers do not inherit the line's color
/// everywhere).
fn marker(id: &str, color: &str) -> String {
    format!(
        "<marker id=\"{id}\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"8\" \
         markerHeight=\"8\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"{color}\"/></marker>"
    )
}

fn arrow(out: &mut String, row: usize, step: &Step) {
    let y = TOP + ROW * row + 12;
    let (x1, x2) = match step.from {
        Party::Client => (CLIENT_X, SERVER_X),
        Party::Server => (SERVER_X, CLIENT_X),
    };
    let (color, marker) = match step.encrypted {
        true => (ENCRYPTED, "encrypted"),
        false => (PLAINTEXT, "plaintext"),
    };
    let dash = match step.kind {
        StepKind::ChangeCipherSpec | StepKind::Alert => " stroke-dasharray=\"6 4\"",
        _ => "",
    };
    let length = step.length.map_or(String::new(), |n| format!(" ({n} B)"));
    let lock = if step.encrypted { ", encrypted" } else { "" };
    let _ = writeln!(
        out,
        "<line x1=\"{x1}\" y1=\"{y}\" x2=\"{x2}\" y2=\"{y}\" stroke=\"{color}\" stroke-width=\"2\"{dash} \
         marker-end=\"url(#{marker})\"/><text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"{color}\">{}{}{}</text>",
        (CLIENT_X + SERVER_X) / 2,
        y - 6,
        esc(&step.name),
        esc(&length),
        lock
    );
}

fn derivation_tree(out: &mut String, t: &SessionTrace) {
    let d = derive(t);
    out.push_str("<p>Inputs that travel in the clear:</p>\n<ul class=\"tree inputs\">\n");
    for node in &d.inputs {
        tree_node(out, node);
    }
    out.push_str("</ul>\n<p>Secrets, derived step by step down to the session keys:</p>\n<ul class=\"tree\">\n");
    for node in &d.tree {
        tree_node(out, node);
    }
    out.push_str("</ul>\n");
}

fn tree_node(out: &mut String, node: &Node) {
    let _ = write!(out, "<li><span class=\"node\"><b>{}</b>", esc(&node.title));
    if !node.formula.is_empty() {
        let _ = write!(out, "<span class=\"formula\">{}</span>", esc(&node.formula));
    }
    match node.value.as_deref() {
        Some("") => out.push_str("<span class=\"hex\">(empty)</span>"),
        Some(hex) => {
            let _ = write!(out, "<span class=\"hex\">{}</span>", esc(hex));
        }
        None => {}
    }
    out.push_str("</span>");
    if !node.children.is_empty() {
        out.push_str("\n<ul>\n");
        for child in &node.children {
            tree_node(out, child);
        }
        out.push_str("</ul>");
    }
    out.push_str("</li>\n");
}

fn certificates(out: &mut String, t: &SessionTrace) {
    out.push_str("<h2>The server's certificate chain</h2>\n<ol start=\"0\">\n");
    for c in &t.certificates {
        let _ = writeln!(
            out,
            "<li>subject <code>{}</code>, issuer <code>{}</code>, valid {} to {}, key {}, {} bytes\
             <span class=\"hex\">SHA-256 {}</span></li>",
            esc(unknown(&c.subject)),
            esc(unknown(&c.issuer)),
            esc(unknown(&c.not_before)),
            esc(unknown(&c.not_after)),
            esc(unknown(&c.public_key)),
            c.size,
            esc(&c.sha256)
        );
    }
    out.push_str("</ol>\n");
    if let Some(check) = &t.certificate_check {
        let verdict = if check.accepted {
            "accepted"
        } else {
            "REJECTED"
        };
        let _ = writeln!(out, "<p>Verdict: <b>{verdict}</b></p>\n<ul>");
        for line in &check.checks {
            let _ = writeln!(out, "<li>{}</li>", esc(line));
        }
        out.push_str("</ul>\n");
    }
}

fn sessions_table(out: &mut String, report: &Report) {
    let n = report.sessions.len();
    let _ = writeln!(
        out,
        "<h2>{n} sessions</h2>\n<table class=\"facts\"><tr><th>session</th><th>version</th>\
         <th>cipher suite</th><th>keys fingerprint</th></tr>"
    );
    for t in &report.sessions {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
            t.session,
            esc(unknown(&t.version)),
            esc(unknown(&t.cipher_suite)),
            esc(&t.key_fingerprint)
        );
    }
    let verdict = match report.all_sessions_have_distinct_keys {
        true => format!("all {n} sessions have distinct keys"),
        false => format!("NOT all {n} sessions have distinct keys"),
    };
    let _ = writeln!(out, "</table>\n<p><b>{verdict}</b></p>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
