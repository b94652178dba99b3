//! The state after a TLS 1.3 handshake: application data flows (handled
//! by the engine), and post-handshake messages arrive here.

use std::sync::Arc;

use crate::conn::{inappropriate, CommonState, Message, Side, State};
use crate::crypto::Secret;
use crate::error::{Error, PeerMisbehaved};
use crate::msgs::enums::KeyUpdateRequest;
use crate::msgs::handshake::{HandshakeMessage, HandshakePayload, NewSessionTicket13};
use crate::observe::KeyStage;
use crate::session::{
    ticket_fingerprint, CertificateChain, ClientSessionCache, Tls13Ticket, MAX_TICKET_LEN,
    MAX_TICKET_LIFETIME,
};
use crate::suites::Tls13CipherSuite;
use crate::time::TimeProvider;
use crate::tls13::key_schedule::{next_traffic_secret, resumption_psk};
use crate::tls13::protection;

/// NewSessionTickets per connection turned into resumable sessions.
pub const MAX_TICKETS_KEPT: u32 = 16;

/// KeyUpdates accepted without application data in between: more is a
/// flood meant to burn our CPU.
pub const MAX_KEY_UPDATES_IN_A_ROW: u32 = 32;

/// One direction's current application traffic secret and its generation
/// (RFC 8446 §7.2: application_traffic_secret_N).
struct TrafficSecret {
    secret: Secret,
    generation: u32,
}

impl TrafficSecret {
    fn advance(&mut self, suite: &Tls13CipherSuite) {
        self.secret = next_traffic_secret(suite, &self.secret);
        self.generation += 1;
    }
}

pub struct Traffic13 {
    suite: &'static Tls13CipherSuite,
    side: Side,
    read: TrafficSecret,
    write: TrafficSecret,
    /// Client: where NewSessionTickets go.
    pub tickets: Option<TicketSink>,
    tickets_received: u32,
}

/// What a client needs to turn NewSessionTickets into resumable sessions.
pub struct TicketSink {
    pub cache: Arc<ClientSessionCache>,
    pub server_name: String,
    pub resumption_master_secret: Secret,
    pub time: Arc<dyn TimeProvider>,
    pub server_certificates: CertificateChain,
    pub alpn: Option<Vec<u8>>,
}

impl TicketSink {
    /// RFC 8446 §4.6.1: the ticket's PSK comes from the resumption master
    /// secret and the ticket's nonce. A lifetime of zero means "do not
    /// use"; over 7 days is capped. RFC 8446 §6.2: should this connection
    /// fail, the ticket is forgotten.
    fn store(&self, cx: &mut CommonState, suite: &Tls13CipherSuite, nst: NewSessionTicket13) {
        if nst.lifetime == 0 || nst.ticket.len() > MAX_TICKET_LEN {
            return;
        }
        let fingerprint = ticket_fingerprint(&nst.ticket);
        let (cache, name) = (self.cache.clone(), self.server_name.clone());
        cx.forget_on_failure(move || cache.forget_tls13_ticket(&name, &fingerprint));
        let ticket = Tls13Ticket {
            suite: suite.suite,
            ticket: nst.ticket,
            psk: resumption_psk(suite, &self.resumption_master_secret, &nst.nonce),
            age_add: nst.age_add,
            lifetime: nst.lifetime.min(MAX_TICKET_LIFETIME.as_secs() as u32),
            received: self.time.now(),
            server_certificates: self.server_certificates.clone(),
            alpn: self.alpn.clone(),
        };
        self.cache.add_tls13_ticket(&self.server_name, ticket);
    }
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
            read: TrafficSecret {
                secret: read_secret,
                generation: 0,
            },
            write: TrafficSecret {
                secret: write_secret,
                generation: 0,
            },
            tickets: None,
            tickets_received: 0,
        }
    }

    fn peer(&self) -> Side {
        match self.side {
            Side::Client => Side::Server,
            Side::Server => Side::Client,
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
        self.read.advance(self.suite);
        let stage = KeyStage::Application(self.read.generation);
        cx.set_decrypter(protection(
            cx,
            self.suite,
            &self.read.secret,
            stage,
            self.peer(),
        )?);
        // RFC 8446 §4.6.3: a request is answered with our own KeyUpdate,
        // but one is enough for all that arrive while we stay silent (send
        // nothing under the key that update gave us).
        let silent_since_our_update =
            self.write.generation > 0 && cx.nothing_sent_under_write_key();
        if request == KeyUpdateRequest::UpdateRequested
            && !cx.sent_close_notify
            && !silent_since_our_update
        {
            self.update_write_key(cx, KeyUpdateRequest::UpdateNotRequested)?;
        }
        Ok(())
    }
}

impl State for Traffic13 {
    fn handle(
        mut self: Box<Self>,
        cx: &mut CommonState,
        msg: Message,
    ) -> Result<Box<dyn State>, Error> {
        let msg = msg.into_handshake("application data")?;
        match msg.payload {
            HandshakePayload::KeyUpdate(request) => {
                self.handle_key_update(cx, request)?;
                Ok(self)
            }
            HandshakePayload::NewSessionTicket13(nst) if self.side == Side::Client => {
                // Each ticket costs an HKDF; past a handful per connection
                // they are ignored, so a flood buys the server nothing.
                self.tickets_received = self.tickets_received.saturating_add(1);
                if let Some(sink) = self
                    .tickets
                    .as_ref()
                    .filter(|_| self.tickets_received <= MAX_TICKETS_KEPT)
                {
                    sink.store(cx, self.suite, nst);
                }
                Ok(self)
            }
            _ => Err(inappropriate(&msg, "KeyUpdate or NewSessionTicket")),
        }
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
        self.write.advance(self.suite);
        let stage = KeyStage::Application(self.write.generation);
        cx.set_encrypter(protection(
            cx,
            self.suite,
            &self.write.secret,
            stage,
            self.side,
        )?)
    }
}
