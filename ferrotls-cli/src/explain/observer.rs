//! The observer `explain` installs in the client: it asks for secrets and
//! keeps an owned copy of every handshake event, in order.

use std::sync::{Mutex, MutexGuard};

use ferrotls::crypto::Secret;
use ferrotls::msgs::enums::HandshakeType;
use ferrotls::observe::{Direction, Event, KeyExchangeKind, KeyStage, Observer, SecretKind};
use ferrotls::pki_types::CertificateDer;
use ferrotls::tls12::key_schedule::SessionKeys;
use ferrotls::{Negotiated, Side};

use super::model::{Party, Step, StepKind};

/// TLS 1.2's six session values, copied out of the event.
#[derive(Debug, Clone)]
pub struct Keys12 {
    pub client_write_mac_key: Secret,
    pub server_write_mac_key: Secret,
    pub client_write_key: Secret,
    pub server_write_key: Secret,
    pub client_write_iv: Secret,
    pub server_write_iv: Secret,
}

impl From<&SessionKeys> for Keys12 {
    fn from(k: &SessionKeys) -> Self {
        Self {
            client_write_mac_key: Secret::from_slice(k.client_write_mac_key()),
            server_write_mac_key: Secret::from_slice(k.server_write_mac_key()),
            client_write_key: Secret::from_slice(k.client_write_key()),
            server_write_key: Secret::from_slice(k.server_write_key()),
            client_write_iv: Secret::from_slice(k.client_write_iv()),
            server_write_iv: Secret::from_slice(k.server_write_iv()),
        }
    }
}

/// A TLS 1.3 write key and IV.
#[derive(Debug, Clone)]
pub struct TrafficKey {
    pub stage: KeyStage,
    pub writer: Side,
    pub key: Secret,
    pub iv: Secret,
}

/// What the certificate verifier said about the server's chain.
#[derive(Debug, Clone)]
pub struct ChainOutcome {
    pub chain: Vec<CertificateDer<'static>>,
    pub result: Result<(), String>,
}

/// How many messages, secrets and keys one connection's recording keeps:
/// a server sending KeyUpdates (or tickets) without end makes a trace
/// that stops growing here (the rest is counted).
const MAX_RECORDED: usize = 256;

/// Everything observed during one connection.
#[derive(Debug, Default)]
pub struct Recording {
    pub steps: Vec<Step>,
    /// Messages past MAX_RECORDED, counted but not kept.
    pub steps_not_kept: usize,
    pub client_random: Option<[u8; 32]>,
    pub server_random: Option<[u8; 32]>,
    pub key_exchange: Option<KeyExchangeKind>,
    pub secrets: Vec<(SecretKind, Secret)>,
    pub keys12: Option<Keys12>,
    pub traffic_keys: Vec<TrafficKey>,
    pub chain: Option<ChainOutcome>,
    pub finished_verified: Vec<Side>,
    pub negotiated: Option<Negotiated>,
}

/// Records events for `explain`. Only ever installed when the user ran
/// `explain`, which exists to show the secrets.
#[derive(Debug, Default)]
pub struct Recorder(Mutex<Recording>);

impl Recorder {
    /// Application data the explaining client sent or received. Received
    /// data is placed before the server's closing alert: the data came
    /// first on the wire, though the connection reports it after reading
    /// both from one socket read.
    pub fn note_application_data(&self, from: Party, length: usize) {
        let step = Step {
            from,
            kind: StepKind::ApplicationData,
            name: "ApplicationData".into(),
            length: Some(length),
            encrypted: true,
        };
        let mut rec = self.lock();
        let steps = &mut rec.steps;
        let at = match steps.last() {
            Some(last) if from == Party::Server && is_alert_from(last, Party::Server) => {
                steps.len() - 1
            }
            _ => steps.len(),
        };
        steps.insert(at, step);
    }

    /// What was recorded so far (leaving an empty recording behind).
    pub fn take(&self) -> Recording {
        let mut rec = std::mem::take(&mut *self.lock());
        if rec.steps_not_kept > 0 {
            rec.steps.push(Step {
                from: Party::Server,
                kind: StepKind::Handshake,
                name: format!(
                    "... and {} more messages, not recorded (the first {MAX_RECORDED} are)",
                    rec.steps_not_kept
                ),
                length: None,
                encrypted: true,
            });
        }
        rec
    }

    fn lock(&self) -> MutexGuard<'_, Recording> {
        // A panic elsewhere while holding the lock leaves usable data.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn is_alert_from(step: &Step, from: Party) -> bool {
    step.kind == StepKind::Alert && step.from == from
}

impl Observer for Recorder {
    fn event(&self, event: &Event<'_>) {
        record(&mut self.lock(), event);
    }

    fn wants_secrets(&self) -> bool {
        true
    }
}

/// This observer sits in a client: what it sends goes to the server.
fn party(direction: Direction) -> Party {
    match direction {
        Direction::Sent => Party::Client,
        Direction::Received => Party::Server,
    }
}

fn record(rec: &mut Recording, event: &Event<'_>) {
    let full = rec.steps.len() >= MAX_RECORDED;
    if full
        && matches!(
            event,
            Event::Message { .. } | Event::ChangeCipherSpec { .. } | Event::Alert { .. }
        )
    {
        rec.steps_not_kept += 1;
        return;
    }
    if full && matches!(event, Event::Secret { .. } | Event::TrafficKey { .. }) {
        return;
    }
    match event {
        Event::Message {
            direction,
            typ,
            len,
            encrypted,
        } => rec.steps.push(Step {
            from: party(*direction),
            kind: StepKind::Handshake,
            name: message_name(*typ),
            length: Some(*len),
            encrypted: *encrypted,
        }),
        Event::ChangeCipherSpec { direction } => rec.steps.push(Step {
            from: party(*direction),
            kind: StepKind::ChangeCipherSpec,
            name: "ChangeCipherSpec".into(),
            length: Some(1),
            encrypted: false,
        }),
        Event::Alert { direction, alert } => rec.steps.push(Step {
            from: party(*direction),
            kind: StepKind::Alert,
            name: format!("Alert ({} {})", alert.level, alert.description),
            length: Some(2),
            encrypted: true,
        }),
        Event::ClientRandom(r) => rec.client_random = Some(**r),
        Event::ServerRandom(r) => rec.server_random = Some(**r),
        Event::KeyExchange(kind) => rec.key_exchange = Some(*kind),
        Event::PeerCertificates { chain, result } => {
            rec.chain = Some(ChainOutcome {
                chain: chain.to_vec(),
                result: result.map_err(|e| e.to_string()),
            })
        }
        Event::Secret { kind, value } => rec.secrets.push((*kind, (*value).clone())),
        Event::SessionKeys(keys) => rec.keys12 = Some(Keys12::from(*keys)),
        Event::TrafficKey {
            stage,
            writer,
            key,
            iv,
        } => rec.traffic_keys.push(TrafficKey {
            stage: *stage,
            writer: *writer,
            key: (*key).clone(),
            iv: (*iv).clone(),
        }),
        Event::FinishedVerified { sender } => rec.finished_verified.push(*sender),
        Event::HandshakeComplete(negotiated) => rec.negotiated = Some((*negotiated).clone()),
        _ => {}
    }
}

/// "client_hello" → "ClientHello", as the RFCs write message names.
fn message_name(typ: HandshakeType) -> String {
    match typ.name() {
        Some(name) => name
            .split('_')
            .map(|word| {
                let mut chars = word.chars();
                match chars.next() {
                    Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                    None => String::new(),
                }
            })
            .collect(),
        None => typ.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrotls::msgs::alert::Alert;
    use ferrotls::AlertDescription;

    #[test]
    fn message_names_read_like_the_rfcs() {
        assert_eq!(message_name(HandshakeType::ClientHello), "ClientHello");
        assert_eq!(
            message_name(HandshakeType::EncryptedExtensions),
            "EncryptedExtensions"
        );
        assert_eq!(
            message_name(HandshakeType::Unknown(99)),
            "unknown HandshakeType(0x63)"
        );
    }

    #[test]
    fn received_data_goes_before_the_servers_closing_alert() {
        let recorder = Recorder::default();
        let close = Alert {
            level: ferrotls::msgs::enums::AlertLevel::Warning,
            description: AlertDescription::CloseNotify,
        };
        recorder.note_application_data(Party::Client, 10);
        recorder.event(&Event::Alert {
            direction: Direction::Received,
            alert: close,
        });
        recorder.note_application_data(Party::Server, 20);
        let steps = recorder.take().steps;
        let names: Vec<_> = steps.iter().map(|s| (s.from, s.name.as_str())).collect();
        assert_eq!(
            names,
            [
                (Party::Client, "ApplicationData"),
                (Party::Server, "ApplicationData"),
                (Party::Server, "Alert (warning close_notify)"),
            ]
        );
    }
}
