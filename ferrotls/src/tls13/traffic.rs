//! The state after a TLS 1.3 handshake: application data flows (handled
//! by the engine), and post-handshake messages arrive here.

use crate::conn::{inappropriate, CommonState, Message, Side, State};
use crate::crypto::Secret;
use crate::error::{Error, PeerMisbehaved};
use crate::msgs::enums::KeyUpdateRequest;
use crate::msgs::handshake::{HandshakeMessage, HandshakePayload};
use crate::suites::Tls13CipherSuite;
use crate::tls13::key_schedule::next_traffic_secret;
use crate::tls13::protection;

/// KeyUpdates accepted without application data in between: more is a
/// flood meant to burn our CPU.
pub const MAX_KEY_UPDATES_IN_A_ROW: u32 = 32;

pub struct Traffic13 {
    suite: &'static Tls13CipherSuite,
    side: Side,
    read_secret: Secret,
    write_secret: Secret,
}

impl Traffic13 {
    pub fn new(
        suite: &'static Tls13CipherSuite,
        side: Side,
        read_secret: Secret,
        write_secret: Secret,
    ) -> Self {
        Self {
            suite,
            side,
            read_secret,
            write_secret,
        }
    }

    /// RFC 8446 §4.6.3: the peer's next records use its next secret; if it
    /// asked, we answer with our own KeyUpdate and switch too.
    fn handle_key_update(
        &mut self,
        cx: &mut CommonState,
        request: KeyUpdateRequest,
    ) -> Result<(), Error> {
        cx.key_updates_in_a_row += 1;
        if cx.key_updates_in_a_row > MAX_KEY_UPDATES_IN_A_ROW {
            return Err(PeerMisbehaved::TooManyKeyUpdates.into());
        }
        self.read_secret = next_traffic_secret(self.suite, &self.read_secret);
        cx.set_decrypter(protection(self.suite, &self.read_secret)?);
        if request == KeyUpdateRequest::UpdateRequested && !cx.sent_close_notify {
            self.update_write_key(cx, KeyUpdateRequest::UpdateNotRequested)?;
        }
        Ok(())
    }

    /// Sends KeyUpdate under the current key, then switches to the next.
    fn update_write_key(
        &mut self,
        cx: &mut CommonState,
        request: KeyUpdateRequest,
    ) -> Result<(), Error> {
        cx.send_handshake(&HandshakeMessage::build(HandshakePayload::KeyUpdate(
            request,
        )));
        self.write_secret = next_traffic_secret(self.suite, &self.write_secret);
        cx.set_encrypter(protection(self.suite, &self.write_secret)?)
    }
}

impl State for Traffic13 {
    fn handle(
        mut self: Box<Self>,
        cx: &mut CommonState,
        msg: Message,
    ) -> Result<Box<dyn State>, Error> {
        let msg = msg.into_handshake("application data")?;
        match &msg.payload {
            HandshakePayload::KeyUpdate(request) => {
                self.handle_key_update(cx, *request)?;
                Ok(self)
            }
            // Tickets are accepted and not yet used: resumption is separate work.
            HandshakePayload::NewSessionTicket13(_) if self.side == Side::Client => Ok(self),
            _ => Err(inappropriate(&msg, "KeyUpdate or NewSessionTicket")),
        }
    }
}
