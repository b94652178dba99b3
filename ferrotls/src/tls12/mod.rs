//! TLS 1.2 pieces shared by client and server.

pub mod key_schedule;

use crate::conn::{inappropriate, CommonState, Message, Side, State};
use crate::error::{Error, PeerMisbehaved};
use crate::msgs::enums::AlertDescription;
use crate::msgs::handshake::HandshakePayload;
use crate::record::protect::{RecordDecrypter, RecordEncrypter};
use crate::record::protect12::protection;
use crate::suites::Tls12CipherSuite;
use key_schedule::SessionKeys;

/// RFC 8446 §4.1.3: the last 8 bytes of ServerHello.random when a TLS 1.3
/// server negotiates TLS 1.2.
pub const DOWNGRADE_SENTINEL_TLS12: [u8; 8] = [0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44, 0x01];
/// RFC 8446 §4.1.3: the last 8 bytes of a server random choosing TLS 1.1
/// or below ("DOWNGRD" 00). We never negotiate those, but a TLS 1.3
/// client must refuse both values in any older ServerHello.
pub const DOWNGRADE_SENTINEL_TLS11: [u8; 8] = [0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44, 0x00];

/// The record protection for each direction, from the session keys.
pub struct DirectionalProtection {
    pub encrypter: Box<dyn RecordEncrypter>,
    pub decrypter: Box<dyn RecordDecrypter>,
}

impl DirectionalProtection {
    /// Our writes use our side's keys; our reads use the peer's.
    pub fn new(suite: &Tls12CipherSuite, keys: &SessionKeys, side: Side) -> Result<Self, Error> {
        let client = || {
            protection(
                suite.bulk,
                keys.client_write_mac_key(),
                keys.client_write_key(),
                keys.client_write_iv(),
            )
        };
        let server = || {
            protection(
                suite.bulk,
                keys.server_write_mac_key(),
                keys.server_write_key(),
                keys.server_write_iv(),
            )
        };
        let (ours, theirs) = match side {
            Side::Client => (client()?, server()?),
            Side::Server => (server()?, client()?),
        };
        Ok(Self {
            encrypter: ours.into_encrypter(),
            decrypter: theirs.into_decrypter(),
        })
    }
}

/// Waiting for the peer's ChangeCipherSpec (RFC 5246 §7.1): from it on,
/// the peer's records are protected.
pub struct ExpectChangeCipherSpec {
    pub decrypter: Box<dyn RecordDecrypter>,
    pub next: Box<dyn State>,
}

impl State for ExpectChangeCipherSpec {
    fn handle(
        self: Box<Self>,
        common: &mut CommonState,
        msg: Message,
    ) -> Result<Box<dyn State>, Error> {
        match msg {
            Message::ChangeCipherSpec => {
                common.set_decrypter(self.decrypter);
                Ok(self.next)
            }
            Message::Handshake(m) => Err(inappropriate(&m, "ChangeCipherSpec")),
        }
    }
}

/// Renegotiation requests in a row (no application data between them)
/// declined with a warning before we treat more as a flood (each costs a
/// protected alert).
const MAX_RENEGOTIATION_REQUESTS: u32 = 4;

/// After a TLS 1.2 handshake. Application data is handled by the engine;
/// renegotiation is refused (RFC 5746 is signalled, never used).
pub struct Traffic12 {
    side: Side,
}

impl Traffic12 {
    pub fn new(side: Side) -> Self {
        Self { side }
    }
}

impl State for Traffic12 {
    fn handle(
        self: Box<Self>,
        common: &mut CommonState,
        msg: Message,
    ) -> Result<Box<dyn State>, Error> {
        let msg = msg.into_handshake("application data")?;
        match (&msg.payload, self.side) {
            // RFC 5246 §7.4.1.1 / §7.2.2: decline with a no_renegotiation warning.
            (HandshakePayload::HelloRequest, Side::Client)
            | (HandshakePayload::ClientHello(_), Side::Server) => {
                common.renegotiation_requests_in_a_row += 1;
                if common.renegotiation_requests_in_a_row > MAX_RENEGOTIATION_REQUESTS {
                    return Err(PeerMisbehaved::TooManyRenegotiationRequests.into());
                }
                common.send_warning_alert(AlertDescription::NoRenegotiation);
                Ok(self)
            }
            _ => Err(inappropriate(&msg, "application data")),
        }
    }
}
