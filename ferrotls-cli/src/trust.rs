//! How a client decides whether to believe the server: `--servername`,
//! `--cafile`, `--insecure` (shared by `client` and `explain`).

use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use ferrotls::verify::danger::NoServerVerification;
use ferrotls::{ClientConfig, RootCertStore};

use crate::{certs, CliError};

#[derive(Args, Debug, Clone, Default)]
pub struct TrustArgs {
    /// The name to verify the certificate against (and send as SNI);
    /// defaults to HOST.
    #[arg(long, value_name = "NAME")]
    pub servername: Option<String>,

    /// Trust only the certificates in this PEM file, instead of the
    /// bundled web roots.
    #[arg(long, value_name = "PEM", requires = "target")]
    pub cafile: Option<PathBuf>,

    /// Do not verify the server's certificate (for testing only).
    #[arg(long, conflicts_with = "cafile")]
    pub insecure: bool,
}

/// The trust anchors a client checks the server's chain against.
#[derive(Debug, Clone)]
pub enum Trust {
    /// `--insecure`: nothing is checked.
    Nothing,
    /// Anchors, and how to name them to a person.
    Roots {
        roots: RootCertStore,
        described: String,
    },
}

impl Trust {
    /// What `--cafile` / `--insecure` ask for, or the bundled web roots.
    pub fn from_args(args: &TrustArgs) -> Result<Self, CliError> {
        if args.insecure {
            return Ok(Self::Nothing);
        }
        Ok(match &args.cafile {
            Some(path) => Self::Roots {
                roots: certs::load_roots(path)?,
                described: format!("the certificates in {}", path.display()),
            },
            None => {
                let roots = RootCertStore::web_roots();
                let described = format!(
                    "the bundled web roots (Mozilla's root program, {} anchors)",
                    roots.len()
                );
                Self::Roots { roots, described }
            }
        })
    }

    /// A client config with defaults, verifying the server this way.
    pub fn client_config(&self) -> ClientConfig {
        match self {
            Self::Nothing => ClientConfig::with_verifier(Arc::new(NoServerVerification)),
            Self::Roots { roots, .. } => ClientConfig::new(roots.clone()),
        }
    }

    pub fn checks_certificates(&self) -> bool {
        matches!(self, Self::Roots { .. })
    }

    /// "the certificates in ca.pem", "nothing (--insecure)".
    pub fn describe(&self) -> String {
        match self {
            Self::Nothing => "nothing: --insecure skips the certificate check".into(),
            Self::Roots { described, .. } => described.clone(),
        }
    }
}
