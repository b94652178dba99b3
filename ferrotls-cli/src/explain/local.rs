//! The in-process server `explain` talks to when given no address: a
//! ferrotls server on 127.0.0.1 with a certificate made in memory, which
//! answers one HTTP request per connection and closes cleanly.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use ferrotls::suites::{tls12_suite, Authentication12};
use ferrotls::{RootCertStore, ServerConfig, ServerConnection, StreamOwned};

use crate::certs::{self, KeyType};
use crate::options::TlsParams;
use crate::CliError;

const IO_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest request head read.
const MAX_REQUEST: usize = 16 * 1024;
const BODY: &str = "hello from the in-process ferrotls server of `ferrotls explain`\n";

/// A running in-process server.
pub struct LocalServer {
    pub addr: SocketAddr,
    /// Its certificate, as the explaining client's only trust anchor.
    pub roots: RootCertStore,
    /// "ECDSA P-256", "RSA 2048-bit".
    pub key_description: &'static str,
}

impl LocalServer {
    /// Starts a server that accepts `connections` connections, speaking
    /// what `params` allows, then stops listening.
    pub fn start(params: &TlsParams, connections: usize) -> Result<Self, CliError> {
        let key_type = key_type_for(params);
        let generated = certs::self_signed_with(key_type)?;
        let mut roots = RootCertStore::empty();
        roots.add(&generated.cert).map_err(|e| {
            CliError::Failed(format!("cannot trust the generated certificate: {e}"))
        })?;
        let mut config = ServerConfig::new(vec![generated.cert], generated.key)
            .map_err(|e| CliError::Failed(format!("cannot use the generated certificate: {e}")))?;
        params.clone().apply_to_server(&mut config);
        // Refuse unusable options now, not inside the server thread.
        ServerConnection::new(Arc::new(config.clone()))
            .map_err(|e| CliError::Usage(e.to_string()))?;
        let listener = TcpListener::bind("127.0.0.1:0")
            .map_err(|e| CliError::Failed(format!("cannot listen on 127.0.0.1: {e}")))?;
        let addr = listener
            .local_addr()
            .map_err(|e| CliError::Failed(format!("cannot read the listening address: {e}")))?;
        let config = Arc::new(config);
        thread::Builder::new()
            .name("explain server".into())
            .spawn(move || accept(listener, config, connections))
            .map_err(|e| CliError::Failed(format!("cannot start a thread: {e}")))?;
        Ok(Self {
            addr,
            roots,
            key_description: match key_type {
                KeyType::EcdsaP256 => "ECDSA P-256",
                KeyType::Rsa2048 => "RSA 2048-bit",
            },
        })
    }
}

/// RSA when the named TLS 1.2 suites all need an RSA certificate (ECDHE_RSA
/// signatures, RSA key transport); ECDSA P-256 otherwise.
fn key_type_for(params: &TlsParams) -> KeyType {
    let Some(suites) = &params.cipher_suites else {
        return KeyType::EcdsaP256;
    };
    let mut tls12 = suites.iter().filter_map(|s| tls12_suite(*s)).peekable();
    let all_rsa = tls12.peek().is_some() && tls12.all(|s| s.auth == Authentication12::Rsa);
    match all_rsa {
        true => KeyType::Rsa2048,
        false => KeyType::EcdsaP256,
    }
}

fn accept(listener: TcpListener, config: Arc<ServerConfig>, connections: usize) {
    for accepted in listener.incoming().take(connections) {
        let config = config.clone();
        let served = accepted.and_then(|sock| {
            thread::Builder::new()
                .name("explain conn".into())
                .spawn(move || serve(sock, config))
                .map(drop)
        });
        if let Err(e) = served {
            eprintln!("ferrotls: in-process server: {e}");
        }
    }
}

fn serve(sock: TcpStream, config: Arc<ServerConfig>) {
    if let Err(e) = answer(sock, config) {
        // The client reports its own side; this says what the server saw.
        eprintln!("ferrotls: in-process server: {e}");
    }
}

/// Handshake, read the request head, answer, close_notify, linger.
fn answer(sock: TcpStream, config: Arc<ServerConfig>) -> io::Result<()> {
    sock.set_read_timeout(Some(IO_TIMEOUT))?;
    sock.set_write_timeout(Some(IO_TIMEOUT))?;
    let conn = ServerConnection::new(config).map_err(io::Error::other)?;
    let mut stream = StreamOwned::new(conn, sock);
    read_request_head(&mut stream)?;
    stream.write_all(&response())?;
    stream.close()?;
    linger(&mut stream.sock);
    Ok(())
}

fn read_request_head(stream: &mut impl Read) -> io::Result<()> {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        if head.len() > MAX_REQUEST {
            return Err(io::Error::other("request head too large"));
        }
        match stream.read(&mut buf)? {
            0 => return Err(io::Error::other("the client closed before a full request")),
            n => head.extend_from_slice(&buf[..n]),
        }
    }
    Ok(())
}

fn response() -> Vec<u8> {
    format!(
        "HTTP/1.0 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{BODY}",
        BODY.len()
    )
    .into_bytes()
}

/// Reads what the client still sends (its close_notify) until it closes,
/// so closing our socket does not reset the connection under the response.
fn linger(sock: &mut TcpStream) {
    let _ = sock.shutdown(Shutdown::Write);
    let mut buf = [0u8; 1024];
    while let Ok(n) = sock.read(&mut buf) {
        if n == 0 {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrotls::CipherSuite;

    fn params(suites: Option<Vec<CipherSuite>>) -> TlsParams {
        TlsParams {
            versions: vec![ferrotls::ProtocolVersion::TLSv1_2],
            cipher_suites: suites,
            groups: None,
            alpn_protocols: Vec::new(),
            require_extended_master_secret: true,
        }
    }

    #[test]
    fn rsa_certificates_only_when_every_named_tls12_suite_needs_one() {
        assert_eq!(key_type_for(&params(None)), KeyType::EcdsaP256);
        let rsa = vec![CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256];
        assert_eq!(key_type_for(&params(Some(rsa))), KeyType::Rsa2048);
        let mixed = vec![
            CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        ];
        assert_eq!(key_type_for(&params(Some(mixed))), KeyType::EcdsaP256);
        let tls13 = vec![CipherSuite::TLS_AES_128_GCM_SHA256];
        assert_eq!(key_type_for(&params(Some(tls13))), KeyType::EcdsaP256);
    }
}
