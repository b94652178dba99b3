//! `--keylog FILE` (or `SSLKEYLOGFILE`): the session secrets in NSS key log
//! format, so Wireshark and friends can decrypt a capture.
//!
//! Secrets go to that file and nowhere else: nothing the commands print
//! contains one (`ferrotls explain` shows them because that is its job).

use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use ferrotls::observe::{KeyLog, KeyLogFile};

use crate::CliError;

#[derive(Args, Debug, Clone, Default)]
pub struct KeyLogArgs {
    /// Append this connection's secrets to FILE in NSS key log format
    /// (for Wireshark). Anyone with the file can decrypt the traffic.
    /// Without it, SSLKEYLOGFILE is used when set.
    #[arg(
        long,
        value_name = "FILE",
        env = "SSLKEYLOGFILE",
        hide_env_values = true
    )]
    pub keylog: Option<PathBuf>,
}

impl KeyLogArgs {
    /// Opens the key log (creating or appending), if one was asked for, and
    /// says on stderr where secrets are going.
    pub fn open(&self) -> Result<Option<Arc<dyn KeyLog>>, CliError> {
        let Some(path) = self.keylog.as_deref().filter(|p| !p.as_os_str().is_empty()) else {
            return Ok(None);
        };
        let file = KeyLogFile::create(path)
            .map_err(|e| CliError::Usage(format!("cannot open key log {}: {e}", path.display())))?;
        eprintln!(
            "ferrotls: writing TLS secrets to {} (NSS key log)",
            path.display()
        );
        Ok(Some(Arc::new(file)))
    }
}
