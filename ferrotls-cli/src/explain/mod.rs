//! `ferrotls explain`: runs real handshakes with an observer that is shown
//! every secret, and explains what happened — messages, randoms, key
//! exchange, the key schedule, every session key, the certificate checks —
//! as text, JSON or an HTML page.
//!
//! Without an address it starts a ferrotls server inside this process, so
//! it works anywhere with nothing else running.

mod certinfo;
mod derivation;
mod html;
mod json;
mod local;
mod model;
mod observer;
mod session;
mod text;
mod trace;

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use ferrotls::observe::KeyLog;

use crate::client::{self, parse_target};
use crate::keylog::KeyLogArgs;
use crate::options::{TlsArgs, TlsParams};
use crate::trust::{Trust, TrustArgs};
use crate::CliError;
use local::LocalServer;
use model::{Report, ServerSummary, SessionTrace};
use observer::Recorder;
use session::Target;
use trace::TraceContext;

/// The most sessions one run may make.
const MAX_SESSIONS: u32 = 100;

#[derive(Args, Debug)]
pub struct ExplainArgs {
    /// The server to explain: HOST:PORT, or [IPv6]:PORT. Without it, a
    /// ferrotls server is started inside this process on 127.0.0.1 with a
    /// certificate made in memory, which the client trusts.
    #[arg(value_name = "HOST:PORT")]
    target: Option<String>,

    #[command(flatten)]
    trust: TrustArgs,

    #[command(flatten)]
    tls: TlsArgs,

    /// Run N handshakes, one after another, and show that each got
    /// different keys.
    #[arg(long, value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_SESSIONS)))]
    sessions: u32,

    /// Print the explanation as one JSON document instead of text.
    #[arg(long)]
    json: bool,

    /// Also write the explanation to FILE as a self-contained HTML page
    /// (sequence diagram and key derivation tree).
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,

    #[command(flatten)]
    keylog: KeyLogArgs,
}

pub fn run(args: ExplainArgs) -> Result<(), CliError> {
    let params = args.tls.resolve()?;
    let key_log = args.keylog.open()?;
    let count = args.sessions as usize;
    let setup = Setup::new(&args, &params, count)?;
    let request = format!("GET / HTTP/1.0\r\nHost: {}\r\n\r\n", setup.server_name);
    let mut sessions = Vec::new();
    for number in 1..=count {
        let trace = explain_session(number, &setup, &params, key_log.clone(), &request);
        let failed = trace.error.is_some();
        sessions.push(trace);
        if failed {
            break;
        }
    }
    let report = Report {
        server: setup.summary(),
        request: request.escape_default().to_string(),
        all_sessions_have_distinct_keys: distinct_keys(&sessions),
        sessions,
    };
    show(&args, &report)?;
    verdict(&report)
}

/// Where the sessions go and whom they trust.
struct Setup {
    target: Target,
    server_name: String,
    trust: Trust,
    address: String,
    in_process: bool,
}

impl Setup {
    fn new(args: &ExplainArgs, params: &TlsParams, sessions: usize) -> Result<Self, CliError> {
        match &args.target {
            Some(target) => Self::remote(args, target),
            None => Self::in_process(args, params, sessions),
        }
    }

    fn remote(args: &ExplainArgs, target: &str) -> Result<Self, CliError> {
        let (host, port) = parse_target(target)?;
        let server_name = args.trust.servername.clone().unwrap_or(host.clone());
        Ok(Self {
            target: Target {
                host,
                port,
                name: client::server_name(&server_name)?,
            },
            trust: Trust::from_args(&args.trust)?,
            address: target.to_string(),
            in_process: false,
            server_name,
        })
    }

    /// Starts the in-process server; its thread stops listening by itself
    /// after the last session.
    fn in_process(
        args: &ExplainArgs,
        params: &TlsParams,
        sessions: usize,
    ) -> Result<Self, CliError> {
        let local = LocalServer::start(params, sessions)?;
        let server_name = args
            .trust
            .servername
            .clone()
            .unwrap_or_else(|| "localhost".into());
        let trust = match args.trust.insecure {
            true => Trust::Nothing,
            false => Trust::Roots {
                roots: local.roots.clone(),
                described: format!(
                    "only the in-process server's self-signed {} certificate, made in memory for this run",
                    local.key_description
                ),
            },
        };
        Ok(Self {
            target: Target {
                host: local.addr.ip().to_string(),
                port: local.addr.port(),
                name: client::server_name(&server_name)?,
            },
            trust,
            address: format!("{} (a ferrotls server inside this process)", local.addr),
            in_process: true,
            server_name,
        })
    }

    fn summary(&self) -> ServerSummary {
        ServerSummary {
            address: self.address.clone(),
            in_process: self.in_process,
            server_name: self.server_name.clone(),
            trusted: self.trust.describe(),
        }
    }
}

fn explain_session(
    number: usize,
    setup: &Setup,
    params: &TlsParams,
    key_log: Option<Arc<dyn KeyLog>>,
    request: &str,
) -> SessionTrace {
    // A fresh config per session: no session cache carries over, so every
    // session is a full handshake.
    let mut config = setup.trust.client_config();
    params.clone().apply_to_client(&mut config);
    let recorder = Arc::new(Recorder::default());
    config.observer = Some(recorder.clone());
    config.key_log = key_log;
    let outcome = session::run(&setup.target, config, &recorder, request.as_bytes());
    let cx = TraceContext {
        session: number,
        server_name: setup.server_name.clone(),
        trusted: setup.trust.describe(),
        checks_certificates: setup.trust.checks_certificates(),
        requires_extended_master_secret: params.require_extended_master_secret,
    };
    trace::build(recorder.take(), &cx, outcome)
}

/// True when every session has keys and no key value occurs in two
/// sessions.
fn distinct_keys(sessions: &[SessionTrace]) -> bool {
    let sets: Vec<HashSet<&str>> = sessions
        .iter()
        .map(|t| {
            t.keys
                .iter()
                .map(|k| k.hex.as_str())
                .filter(|h| !h.is_empty())
                .collect()
        })
        .collect();
    sets.iter().all(|s| !s.is_empty())
        && sets
            .iter()
            .enumerate()
            .all(|(i, a)| sets[i + 1..].iter().all(|b| a.is_disjoint(b)))
}

fn show(args: &ExplainArgs, report: &Report) -> Result<(), CliError> {
    if let Some(path) = &args.html {
        std::fs::write(path, html::render(report))
            .map_err(|e| CliError::Failed(format!("cannot write {}: {e}", path.display())))?;
        eprintln!("ferrotls: wrote {}", path.display());
    }
    let out = match args.json {
        true => json::render(report)?,
        false => text::render(report),
    };
    print!("{out}");
    Ok(())
}

fn verdict(report: &Report) -> Result<(), CliError> {
    if let Some(e) = report.sessions.iter().find_map(|t| t.error.as_ref()) {
        return Err(CliError::Failed(e.clone()));
    }
    if !report.all_sessions_have_distinct_keys {
        return Err(CliError::Failed(
            "sessions did not all get distinct keys".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::{Party, SessionKey};

    fn with_keys(values: &[&str]) -> SessionTrace {
        SessionTrace {
            keys: values
                .iter()
                .map(|v| SessionKey {
                    name: "k".into(),
                    writer: Party::Client,
                    direction: String::new(),
                    purpose: "key".into(),
                    stage: None,
                    length: v.len() / 2,
                    hex: v.to_string(),
                    note: None,
                })
                .collect(),
            ..SessionTrace::default()
        }
    }

    #[test]
    fn distinct_keys_means_no_value_shared_between_sessions() {
        let a = with_keys(&["", "aa", "bb"]);
        let b = with_keys(&["", "cc", "dd"]);
        let c = with_keys(&["ee", "bb"]);
        assert!(distinct_keys(&[with_keys(&["aa"])]));
        assert!(distinct_keys(&[with_keys(&["aa"]), with_keys(&["bb"])]));
        assert!(distinct_keys(&[a, b]));
        assert!(!distinct_keys(&[with_keys(&["aa", "bb"]), c]));
        assert!(!distinct_keys(&[with_keys(&[])]));
    }
}
