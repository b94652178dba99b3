//! ferrotls: TLS 1.3 and TLS 1.2, client and server, with the session's
//! keys and handshake made visible on request.
#![forbid(unsafe_code)]

pub mod codec;
pub mod crypto;
pub mod error;
pub mod msgs;
pub mod record;
pub mod suites;
pub mod tls13;

pub use error::Error;
