//! ferrotls: TLS 1.3 and TLS 1.2, client and server, with the session's
//! keys and handshake made visible on request.
//!
//! The core is sans-I/O: feed it bytes with
//! [`ConnectionCommon::read_tls`], call
//! [`ConnectionCommon::process_new_packets`], and send what
//! [`ConnectionCommon::write_tls`] gives you. [`Stream`] and
//! [`StreamOwned`] do that over blocking sockets.
//!
//! After the handshake, application data can also bypass the connection's
//! buffers: [`ConnectionCommon::seal_into`] writes records straight into
//! your buffer and [`ConnectionCommon::open_in_place`] decrypts a record
//! where it lies in yours, so bulk data is never copied.
#![forbid(unsafe_code)]

pub mod codec;
pub mod crypto;
pub mod error;
pub mod msgs;
pub mod record;
pub mod session;
pub mod suites;
pub mod time;
pub mod tls12;
pub mod tls13;
pub mod verify;

mod client;
mod conn;
pub mod observe;
mod server;
mod stream;
mod transcript;

pub use client::{ClientConfig, ClientConnection};
pub use conn::{ConnectionCommon, IoState, Negotiated, Opened, Reader, Sealed, Side, Writer};
pub use error::{CertificateError, Error, InvalidMessage, PeerIncompatible, PeerMisbehaved};
pub use msgs::enums::{
    AlertDescription, CipherSuite, NamedGroup, ProtocolVersion, SignatureScheme,
};
pub use server::{
    CertifiedKey, ClientHelloInfo, ResolvesServerCert, ServerConfig, ServerConnection,
    SingleCertResolver, SniResolver,
};
pub use stream::{Stream, StreamOwned};
pub use verify::{CachingVerifier, RootCertStore, ServerCertVerifier, WebPkiServerVerifier};

/// Re-exported so users need not depend on `rustls-pki-types` directly.
pub use rustls_pki_types as pki_types;
