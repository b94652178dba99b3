//! The `ferrotls` command: a TLS client and server for trying things out,
//! debugging peers and interop testing.

mod certs;
mod client;
mod deadline;
mod explain;
mod keylog;
mod options;
mod server;
mod trust;

use std::fmt;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// TLS 1.3 client and server built on the ferrotls library.
///
/// Exit status: 0 on success (a clean TLS close), 1 when the connection
/// or handshake fails, 2 for unusable arguments or files.
#[derive(Parser, Debug)]
#[command(name = "ferrotls", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Connect to a TLS server; stdin goes to the server, what it sends goes
    /// to stdout (like `openssl s_client -quiet`).
    ///
    /// Once the handshake completes, one line on stderr names the version,
    /// cipher suite, group and ALPN protocol. At stdin EOF the client sends
    /// close_notify and keeps reading until the server closes; the exit
    /// status is 0 only for a clean TLS close.
    Client(client::ClientArgs),
    /// Accept TLS connections and echo what clients send, or answer HTTP
    /// requests with a page describing the connection.
    ///
    /// Serves many clients at once until stopped. Logs one line on stderr
    /// per handshake and per failed connection, with the client's address.
    Server(server::ServerArgs),
    /// Run a handshake and explain it: every message, both randoms, how
    /// the pre-master secret was made, the key schedule's secrets, every
    /// session key with its direction and value, and the certificate checks.
    ///
    /// Without HOST:PORT it starts a ferrotls server inside this process,
    /// so it works with nothing else running. It shows secrets: that is
    /// its purpose. Exit status 1 if the handshake or exchange failed
    /// (what was observed up to then is still shown).
    Explain(explain::ExplainArgs),
    /// Benchmark ferrotls against rustls side by side: full and resumed
    /// handshakes, bulk transfer, memory per connection (a table with
    /// ratios; --json, --quick, --multiplier).
    #[cfg(feature = "bench")]
    Bench(ferrotls_bench::Args),
    /// Benchmark ferrotls against rustls (this build lacks the `bench`
    /// feature: run `cargo run --release --features bench -- bench`).
    #[cfg(not(feature = "bench"))]
    Bench {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
        args: Vec<String>,
    },
}

/// Why a command failed; the message is one line, shown after "ferrotls: ".
#[derive(Debug)]
pub enum CliError {
    /// The arguments or the files they name are unusable (exit 2).
    Usage(String),
    /// The command ran and failed (exit 1).
    Failed(String),
}

impl CliError {
    fn exit_code(&self) -> ExitCode {
        match self {
            Self::Usage(_) => ExitCode::from(2),
            Self::Failed(_) => ExitCode::from(1),
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Usage(m) | Self::Failed(m) => f.write_str(m),
        }
    }
}

/// Counts heap use for the benchmark's memory scenarios.
#[cfg(feature = "bench")]
#[global_allocator]
static GLOBAL: ferrotls_bench::CountingAlloc = ferrotls_bench::CountingAlloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Client(args) => client::run(args),
        Command::Server(args) => server::run(args),
        Command::Explain(args) => explain::run(args),
        #[cfg(feature = "bench")]
        Command::Bench(args) => ferrotls_bench::run_with(&args).map_err(CliError::Failed),
        #[cfg(not(feature = "bench"))]
        Command::Bench { .. } => Err(CliError::Usage(
            "this ferrotls was built without benchmarks: run `cargo run --release --features bench -- bench`".into(),
        )),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ferrotls: {e}");
            e.exit_code()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
