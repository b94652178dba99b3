//! `ferrotls explain`: what it prints, in text, JSON and HTML — and that
//! the keys it prints are the real ones, recomputed independently (Python's
//! hmac/hashlib) from the key log of a peer nobody here wrote (OpenSSL).
//!
//! Every spawned process is killed by a guard when its test ends, every
//! wait has a deadline, and no test asserts how long anything took.

mod common;

use std::collections::HashSet;
use std::process::Command;

use common::*;
use serde_json::Value;

fn explain(args: &[&str]) -> Output {
    run(
        Command::new(BIN)
            .arg("explain")
            .args(args)
            .env_remove("SSLKEYLOGFILE"),
        Input::Close(Vec::new()),
    )
}

fn explain_json(args: &[&str]) -> Value {
    let out = explain(&[args, &["--json"]].concat());
    out.assert_success();
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("--json output is not JSON: {e}\n{}", out.stdout_text()))
}

fn text_of(args: &[&str]) -> String {
    let out = explain(args);
    out.assert_success();
    out.stdout_text()
}

fn assert_contains_all(text: &str, needles: &[&str]) {
    for needle in needles {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
}

const SECTIONS: &[&str] = &[
    "== Session 1 ==",
    "-- Messages, in the order they crossed the wire --",
    "-- Randoms --",
    "-- Key exchange: how the ",
    "-- Secrets: ",
    "-- Session keys: ",
    "-- Certificate chain the server sent --",
    "-- Finished --",
    "-- After the handshake --",
];

/// A line "<name> … 32 bytes  <64 hex digits>".
fn assert_random(text: &str, name: &str) {
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with(name))
        .unwrap_or_else(|| panic!("no {name} line:\n{text}"));
    let value = line.rsplit(' ').next().unwrap_or_default();
    assert!(
        value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit()),
        "{line}"
    );
}

// ------------------------------------------------------- text, in process

#[test]
fn explain_with_no_arguments_explains_a_tls13_session() {
    for args in [&[][..], &["--tls13"][..]] {
        let text = text_of(args);
        assert_contains_all(&text, SECTIONS);
        assert_contains_all(
            &text,
            &[
                "(a ferrotls server inside this process)",
                "negotiated   TLSv1.3, TLS_AES_128_GCM_SHA256",
                "client → server  ClientHello",
                "server → client  ServerHello",
                "server → client  EncryptedExtensions",
                "server → client  CertificateVerify",
                "client → server  Finished",
                "encrypted",
                "plaintext",
                "Agreed with X25519MLKEM768: the client sent a 1216-byte key share, the server a 1120-byte key share.",
                "shared secret  64 bytes",
                "early secret  32 bytes",
                "handshake secret  32 bytes",
                "master secret  32 bytes",
                "client handshake traffic secret  32 bytes  (key log: CLIENT_HANDSHAKE_TRAFFIC_SECRET)",
                "server application traffic secret 0  32 bytes  (key log: SERVER_TRAFFIC_SECRET_0)",
                "verdict: accepted",
                "ok name: the server's certificate is valid for localhost",
                "key      ECDSA P-256",
                "ok the server's Finished verified",
                "close: clean",
            ],
        );
        for (name, direction, len) in [
            ("client handshake write key", "client → server", 16),
            ("client handshake write IV", "client → server", 12),
            ("server handshake write key", "server → client", 16),
            ("server handshake write IV", "server → client", 12),
            ("client application write key", "client → server", 16),
            ("client application write IV", "client → server", 12),
            ("server application write key", "server → client", 16),
            ("server application write IV", "server → client", 12),
        ] {
            let line = text
                .lines()
                .find(|l| l.trim_start().starts_with(name))
                .unwrap_or_else(|| panic!("no {name}:\n{text}"));
            assert!(line.contains(&format!("protects {direction}")), "{line}");
            assert!(line.contains(&format!("{len} bytes  ")), "{line}");
            let value = line.rsplit(' ').next().unwrap_or_default();
            assert_eq!(value.len(), 2 * len, "{line}");
        }
        assert_random(&text, "client random");
        assert_random(&text, "server random");
    }
}

const TLS12_KEYS: [&str; 6] = [
    "client write MAC key",
    "server write MAC key",
    "client write key",
    "server write key",
    "client write IV",
    "server write IV",
];

/// The session key lines, in order, by name.
fn key_lines<'a>(text: &'a str, names: &[&str]) -> Vec<&'a str> {
    names
        .iter()
        .map(|name| {
            text.lines()
                .find(|l| l.trim_start().starts_with(name) && l.contains(" protects "))
                .unwrap_or_else(|| panic!("no {name}:\n{text}"))
        })
        .collect()
}

#[test]
fn explain_tls12_with_an_aead_suite_says_the_mac_keys_are_empty() {
    let text = text_of(&["--tls12"]);
    assert_contains_all(&text, SECTIONS);
    assert_contains_all(
        &text,
        &[
            "negotiated   TLSv1.2, TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 (AEAD: AES-128-GCM, hash SHA-256)",
            "server → client  ServerKeyExchange",
            "client → server  ClientKeyExchange",
            "client → server  ChangeCipherSpec",
            "Agreed with x25519",
            "pre-master secret  32 bytes",
            "master secret  48 bytes  (key log: CLIENT_RANDOM)",
            "\"extended master secret\"",
            "key block  40 bytes",
            "empty: AES-128-GCM authenticates every record itself, so AEAD suites need no MAC key",
            "(ServerKeyExchange, ecdsa_secp256r1_sha256)",
        ],
    );
    let lines = key_lines(&text, &TLS12_KEYS);
    assert!(lines[0].ends_with("protects client → server   0 bytes  (empty)"));
    assert!(lines[1].ends_with("protects server → client   0 bytes  (empty)"));
    assert!(lines[2].contains("protects client → server  16 bytes  "));
    assert!(lines[5].contains("protects server → client   4 bytes  "));
}

#[test]
fn explain_tls12_with_a_cbc_suite_shows_mac_keys_and_per_record_ivs() {
    let text = text_of(&[
        "--tls12",
        "--ciphers",
        "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
    ]);
    assert_contains_all(&text, SECTIONS);
    assert_contains_all(
        &text,
        &[
            "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA (CBC-HMAC: AES-128-CBC with HMAC-SHA1, hash SHA-256)",
            "key block  72 bytes",
            "HMAC-SHA1 key: the client computes a MAC over every record it sends",
            "empty: with CBC each record carries its own fresh random IV",
        ],
    );
    let lines = key_lines(&text, &TLS12_KEYS);
    assert!(lines[0].contains("protects client → server  20 bytes  "));
    assert!(lines[1].contains("protects server → client  20 bytes  "));
    assert!(lines[3].contains("protects server → client  16 bytes  "));
    assert!(lines[4].ends_with("0 bytes  (empty)"));
}

#[test]
fn explain_shows_a_pre_master_secret_transported_with_rsa() {
    let text = text_of(&["--tls12", "--ciphers", "TLS_RSA_WITH_AES_128_GCM_SHA256"]);
    assert_contains_all(
        &text,
        &[
            "Transported: the client chose the 48-byte pre-master secret itself",
            "(256 bytes of ciphertext in",
            "pre-master secret  48 bytes",
            "key      RSA 2048-bit",
            "only the holder of the certificate's RSA key could decrypt the pre-master secret",
        ],
    );
}

// ---------------------------------------------------- JSON, HTML, sessions

fn str_at<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} is not a string in {v}"))
}

#[test]
fn explain_json_is_one_document_with_the_expected_keys() {
    for version in ["--tls13", "--tls12"] {
        let doc = explain_json(&[version]);
        for key in [
            "server",
            "request",
            "sessions",
            "all_sessions_have_distinct_keys",
        ] {
            assert!(doc.get(key).is_some(), "no {key}: {doc}");
        }
        assert_eq!(doc["server"]["in_process"], true);
        let s = &doc["sessions"][0];
        for key in [
            "version",
            "cipher_suite",
            "group",
            "messages",
            "client_random",
            "server_random",
            "key_exchange",
            "secrets",
            "keys",
            "certificates",
            "certificate_check",
            "finished_verified",
            "exchange",
            "key_fingerprint",
        ] {
            assert!(!s[key].is_null(), "{key} missing or null: {s}");
        }
        assert_eq!(s["key_exchange"]["method"], "agreed");
        assert_eq!(s["certificate_check"]["accepted"], true);
        assert_eq!(s["certificate_check"]["checked"], true);
        assert_eq!(s["finished_verified"][0], "server");
        let first = &s["messages"][0];
        assert_eq!(first["from"], "client");
        assert_eq!(first["kind"], "handshake");
        assert_eq!(first["name"], "ClientHello");
        assert_eq!(first["encrypted"], false);
        let keys = s["keys"].as_array().expect("keys");
        let expected = if version == "--tls13" { 8 } else { 6 };
        assert_eq!(keys.len(), expected, "{s}");
        for k in keys {
            let hex = str_at(k, "hex");
            assert_eq!(k["length"].as_u64(), Some(hex.len() as u64 / 2), "{k}");
            assert!(["client → server", "server → client"].contains(&str_at(k, "direction")));
        }
        let master = s["secrets"]
            .as_array()
            .expect("secrets")
            .iter()
            .find(|x| x["name"] == "master secret")
            .expect("a master secret");
        assert!(!str_at(master, "hex").is_empty());
    }
}

#[test]
fn explain_html_draws_the_handshake_and_the_key_tree_with_values() {
    for version in ["--tls13", "--tls12"] {
        let dir = TempDir::new("explain-html");
        let page_path = dir.path("explain.html");
        let page_arg = page_path.to_str().expect("UTF-8 path");
        let doc = explain_json(&[version, "--html", page_arg]);
        let page = std::fs::read_to_string(&page_path).expect("the page was written");
        assert!(page.starts_with("<!DOCTYPE html>"));
        assert_contains_all(
            &page,
            &[
                "<svg",
                "</svg>",
                "ClientHello",
                "ServerHello",
                "Finished",
                "class=\"tree\"",
                "client random",
                "master secret",
                "</html>",
            ],
        );
        // Self-contained: nothing is fetched.
        for external in ["src=", "href=", "@import", "url(http"] {
            assert!(!page.contains(external), "{external} in the page");
        }
        let s = &doc["sessions"][0];
        for value in s["keys"]
            .as_array()
            .into_iter()
            .chain(s["secrets"].as_array())
            .flatten()
        {
            let hex = str_at(value, "hex");
            assert!(page.contains(hex), "{} not in the page", value["name"]);
        }
        assert!(page.contains(str_at(s, "client_random")));
        assert!(page.contains(str_at(s, "server_random")));
    }
}

#[test]
fn explain_sessions_get_distinct_keys() {
    let text = text_of(&["--sessions", "3"]);
    assert_contains_all(&text, &["all 3 sessions have distinct keys"]);
    let fingerprints: HashSet<&str> = text
        .lines()
        .filter(|l| l.trim_start().starts_with("session "))
        .filter_map(|l| l.rsplit(' ').next())
        .collect();
    assert_eq!(fingerprints.len(), 3, "{text}");

    let doc = explain_json(&["--sessions", "3", "--tls12"]);
    assert_eq!(doc["all_sessions_have_distinct_keys"], true);
    let sessions = doc["sessions"].as_array().expect("sessions");
    assert_eq!(sessions.len(), 3);
    let mut seen = HashSet::new();
    for s in sessions {
        assert!(seen.insert(str_at(s, "client_random").to_string()));
        for k in s["keys"].as_array().expect("keys") {
            let hex = str_at(k, "hex");
            assert!(
                hex.is_empty() || seen.insert(hex.to_string()),
                "{hex} repeats"
            );
        }
    }
}

#[test]
fn explain_insecure_says_nothing_was_checked() {
    let text = text_of(&["--insecure"]);
    assert_contains_all(
        &text,
        &[
            "trusted      nothing: --insecure skips the certificate check",
            "verdict: accepted WITHOUT any check",
            "!! nothing was checked (--insecure)",
        ],
    );
}

#[test]
fn explain_rejects_unusable_arguments() {
    let out = explain(&["--sessions", "0"]);
    assert_eq!(out.status.code(), Some(2), "{}", out.stderr);
    let out = explain(&["--cafile", "x.pem"]);
    assert_eq!(out.status.code(), Some(2), "{}", out.stderr);
    let out = explain(&["--ciphers", "TLS_NOPE"]);
    out.assert_failure(
        2,
        &format!(
            "ferrotls: unknown cipher suite 'TLS_NOPE' (valid: {})",
            all_suite_names()
        ),
    );
}

fn all_suite_names() -> String {
    let suites = ferrotls::suites::TLS13_SUITES.iter().map(|s| s.suite);
    let suites = suites.chain(ferrotls::suites::TLS12_SUITES.iter().map(|s| s.suite));
    suites.map(|s| s.to_string()).collect::<Vec<_>>().join(", ")
}

// ------------------------------------------ against OpenSSL: the real keys

/// Recomputes the keys from OpenSSL's key log with nothing but Python's
/// standard library, and compares them with what `explain --json` printed.
/// argv: key log, explain JSON. Prints "ok N".
const CHECK_KEYS: &str = r##"
import hashlib, hmac, json, sys

keylog_path, explain_path = sys.argv[1], sys.argv[2]
s = json.load(open(explain_path))["sessions"][0]
client_random = s["client_random"]
logged = {}
for line in open(keylog_path):
    parts = line.split()
    if len(parts) == 3 and not line.startswith("#") and parts[1].lower() == client_random:
        logged[parts[0]] = bytes.fromhex(parts[2])
if not logged:
    sys.exit("OpenSSL logged nothing for client random " + client_random)

suite = s["cipher_suite"]
H = hashlib.sha384 if suite.endswith("SHA384") else hashlib.sha256
printed = {k["name"]: k["hex"] for k in s["keys"]}
checked = 0

def check(name, expected):
    global checked
    if printed.get(name) != expected.hex():
        sys.exit("%s: explain printed %s, recomputed %s" % (name, printed.get(name), expected.hex()))
    checked += 1

# The secrets explain printed are the ones OpenSSL logged.
shown = {x["nss_label"]: x["hex"] for x in s["secrets"] if x["nss_label"]}
for label, secret in logged.items():
    if shown.get(label) != secret.hex():
        sys.exit("%s: explain printed %s, OpenSSL logged %s" % (label, shown.get(label), secret.hex()))

if s["version"] == "TLSv1.3":
    # RFC 8446 section 7.1 and 7.3: HKDF-Expand-Label(secret, label, "", length)
    def expand_label(secret, label, length):
        full = b"tls13 " + label
        info = length.to_bytes(2, "big") + bytes([len(full)]) + full + b"\x00"
        out, block, i = b"", b"", 1
        while len(out) < length:
            block = hmac.new(secret, block + info + bytes([i]), H).digest()
            out, i = out + block, i + 1
        return out[:length]
    key_len = 16 if "AES_128" in suite else 32
    for who, stage, label in [
        ("client", "handshake", "CLIENT_HANDSHAKE_TRAFFIC_SECRET"),
        ("server", "handshake", "SERVER_HANDSHAKE_TRAFFIC_SECRET"),
        ("client", "application", "CLIENT_TRAFFIC_SECRET_0"),
        ("server", "application", "SERVER_TRAFFIC_SECRET_0"),
    ]:
        check("%s %s write key" % (who, stage), expand_label(logged[label], b"key", key_len))
        check("%s %s write IV" % (who, stage), expand_label(logged[label], b"iv", 12))
else:
    # RFC 5246 section 5 (P_hash) and 6.3 (the key block and its order)
    def p_hash(secret, seed, length):
        out, a = b"", seed
        while len(out) < length:
            a = hmac.new(secret, a, H).digest()
            out += hmac.new(secret, a + seed, H).digest()
        return out[:length]
    if "_CBC_" in suite:
        mac = {"SHA": 20, "SHA256": 32, "SHA384": 48}[suite.rsplit("_", 1)[1]]
        iv = 0
    else:
        mac = 0
        iv = 12 if "CHACHA20" in suite else 4
    enc = 16 if "AES_128" in suite else 32
    seed = b"key expansion" + bytes.fromhex(s["server_random"]) + bytes.fromhex(client_random)
    block = p_hash(logged["CLIENT_RANDOM"], seed, 2 * (mac + enc + iv))
    for name, length in [
        ("client write MAC key", mac), ("server write MAC key", mac),
        ("client write key", enc), ("server write key", enc),
        ("client write IV", iv), ("server write IV", iv),
    ]:
        check(name, block[:length])
        block = block[length:]
print("ok", checked)
"##;

/// Runs `explain --json` against `openssl s_server -www` started with
/// `openssl_args`, then checks the printed keys against OpenSSL's key log.
fn check_keys_against_openssl(openssl_args: &[&str], explain_args: &[&str], keys: usize) {
    let dir = TempDir::new("explain-openssl");
    let key_log = dir.path("openssl.keys");
    let key_log_arg = path_str(&key_log);
    let server_args = [openssl_args, &["-www", "-keylogfile", &key_log_arg]].concat();
    let (_server, port, cert) = openssl_s_server(&dir, &server_args);
    let target = format!("127.0.0.1:{port}");
    let args = [&[target.as_str(), "--cafile", &cert][..], explain_args].concat();
    let doc = explain_json(&args);
    assert_eq!(doc["server"]["in_process"], false);
    assert!(
        str_at(&doc["sessions"][0]["exchange"], "response_first_line").starts_with("HTTP/1.0 200")
    );
    let json_path = dir.path("explain.json");
    std::fs::write(&json_path, doc.to_string()).expect("write the JSON");
    let out = python(CHECK_KEYS, &[&key_log_arg, &path_str(&json_path)]);
    out.assert_success();
    assert_eq!(
        out.stdout_text().trim(),
        format!("ok {keys}"),
        "{:?}",
        openssl_args
    );
}

#[test]
fn explain_prints_the_tls13_keys_openssl_derived() {
    check_keys_against_openssl(&["-tls1_3"], &[], 8);
    check_keys_against_openssl(
        &["-tls1_3", "-ciphersuites", "TLS_AES_256_GCM_SHA384"],
        &[],
        8,
    );
}

#[test]
fn explain_prints_the_tls12_aead_keys_openssl_derived() {
    check_keys_against_openssl(
        &["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"],
        &["--tls12"],
        6,
    );
    check_keys_against_openssl(
        &["-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-GCM-SHA384"],
        &["--tls12"],
        6,
    );
    check_keys_against_openssl(
        &["-tls1_2", "-cipher", "ECDHE-ECDSA-CHACHA20-POLY1305"],
        &["--tls12"],
        6,
    );
}

#[test]
fn explain_prints_the_tls12_cbc_keys_openssl_derived() {
    check_keys_against_openssl(
        &["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA"],
        &[
            "--tls12",
            "--ciphers",
            "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
        ],
        6,
    );
    check_keys_against_openssl(
        &["-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-SHA384"],
        &[
            "--tls12",
            "--ciphers",
            "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384",
        ],
        6,
    );
}

#[test]
fn explain_shows_why_an_untrusted_server_is_rejected() {
    let dir = TempDir::new("explain-untrusted");
    let (_server, port, _cert) = openssl_s_server(&dir, &["-www"]);
    let out = explain(&[&format!("127.0.0.1:{port}")]);
    out.assert_failure(
        1,
        "ferrotls: handshake failed: invalid peer certificate: certificate is signed by an unknown issuer",
    );
    let text = out.stdout_text();
    assert_contains_all(
        &text,
        &[
            "FAILED: handshake failed: invalid peer certificate: certificate is signed by an unknown issuer",
            "trusted      the bundled web roots",
            "verdict: REJECTED",
            "client → server  ClientHello",
            "-- Certificate chain the server sent --",
        ],
    );
}

#[test]
fn explain_names_a_hello_retry_request() {
    // s_server takes only P-256, for which the first ClientHello has no
    // key share: the server asks again (RFC 8446 §4.1.4).
    let dir = TempDir::new("explain-hrr");
    let (_server, port, cert) = openssl_s_server(&dir, &["-www", "-groups", "P-256"]);
    let text = text_of(&[&format!("127.0.0.1:{port}"), "--cafile", &cert]);
    let order: Vec<&str> = text
        .lines()
        .filter_map(|l| l.split_whitespace().nth(4))
        .filter(|name| ["ClientHello", "HelloRetryRequest", "ServerHello"].contains(name))
        .collect();
    assert_eq!(
        order,
        [
            "ClientHello",
            "HelloRetryRequest",
            "ClientHello",
            "ServerHello"
        ],
        "{text}"
    );
    assert_contains_all(&text, &["Agreed with secp256r1"]);
}

#[test]
fn explain_allow_no_ems_shows_the_classic_master_secret() {
    // RFC 7627 / RFC 5246 §8.1: gnutls-serv told not to use the extended
    // master secret; explain refuses it by default and, with
    // --allow-no-ems, explains the master secret made from the randoms.
    let dir = TempDir::new("explain-no-ems");
    let priority = "NORMAL:-VERS-ALL:+VERS-TLS1.2:%NO_SESSION_HASH";
    let (_server, port, cert) = gnutls_serv(&dir, &["--http", "--priority", priority]);
    let target = format!("127.0.0.1:{port}");
    let refused = explain(&[&target, "--cafile", &cert]);
    refused.assert_failure(
        1,
        "ferrotls: handshake failed: peer is incompatible: peer does not support extended \
         master secret (RFC 7627), which is required",
    );
    let text = text_of(&[&target, "--cafile", &cert, "--allow-no-ems"]);
    assert_contains_all(
        &text,
        &[
            "negotiated   TLSv1.2",
            "master secret  48 bytes  (key log: CLIENT_RANDOM)",
            "PRF(pre-master secret, \"master secret\", client random + server random) (RFC 5246 §8.1)",
        ],
    );
    assert!(!text.contains("\"extended master secret\""), "{text}");
}
