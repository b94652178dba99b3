//! The server's TLS 1.3 flight (RFC 8446 §4.1.3–§4.4): ServerHello,
//! EncryptedExtensions, Certificate, CertificateVerify (not when resuming),
//! Finished — then the client's Finished, and NewSessionTickets.

use std::sync::Arc;
use std::time::Duration;

use rustls_pki_types::DnsName;

use super::config::{CertifiedKey, ServerConfig};
use crate::codec::Codec;
use crate::conn::{expect_finished, CommonState, Message, Side, State};
use crate::crypto::hash::Digest;
use crate::crypto::kx;
use crate::crypto::Secret;
use crate::error::Error;
use crate::msgs::enums::{ProtocolVersion, SignatureScheme};
use crate::msgs::extensions::{KeyShareEntry, ServerExtensions};
use crate::msgs::handshake::{
    Certificate13, CertificateEntry, DigitallySigned, HandshakeMessage, HandshakePayload,
    NewSessionTicket13, ServerHello,
};
use crate::observe::{Event, KeyExchangeKind, KeyStage, SecretKind};
use crate::session::{secs_left, ServerSession, MAX_TICKET_LIFETIME};
use crate::suites::Tls13CipherSuite;
use crate::tls13::key_schedule::{
    finished_verify_data, resumption_psk, ApplicationSecrets, EarlySecret, MasterSecret,
};
use crate::tls13::traffic::Traffic13;
use crate::tls13::{protection, signed_message, SERVER_SIGNATURE_CONTEXT};
use crate::transcript::Transcript;

/// Rejected 0-RTT data we skip before giving up (RFC 8446 §4.2.10).
pub(super) const MAX_SKIPPED_EARLY_DATA: usize = 64 * 1024;

/// A PSK the server accepted (RFC 8446 §4.2.11).
pub(super) struct Accepted {
    /// Which of the client's identities.
    pub index: u16,
    /// The early secret keyed by the PSK, already used for the binder.
    pub early: EarlySecret,
    /// psk_dhe_ke (true) or psk_ke (false).
    pub with_dhe: bool,
    /// When the full handshake behind the PSK was (RFC 8446 §4.6.1).
    pub authenticated: u64,
}

/// How the server proves itself in this handshake.
pub(super) enum Authentication {
    /// A full handshake: certificate and signature.
    Certificate {
        certified: Arc<CertifiedKey>,
        scheme: SignatureScheme,
    },
    /// Resumption: knowing the PSK is the proof.
    Resumed(Accepted),
}

/// Everything the server decided from the ClientHello.
pub(super) struct Choices {
    pub suite: &'static Tls13CipherSuite,
    /// The client's share we answer; `None` only for psk_ke.
    pub share: Option<KeyShareEntry>,
    pub auth: Authentication,
    pub alpn: Option<Vec<u8>>,
    pub server_name: Option<DnsName<'static>>,
    pub session_id: Vec<u8>,
    pub early_data_offered: bool,
}

/// The (EC)DHE / KEM step: our share for the ServerHello and the shared
/// secret; psk_ke mixes in zeros instead (RFC 8446 §7.1).
fn key_exchange(
    common: &CommonState,
    suite: &Tls13CipherSuite,
    share: Option<&KeyShareEntry>,
) -> Result<(Option<KeyShareEntry>, Secret), Error> {
    let Some(share) = share else {
        return Ok((None, Secret::zeroed(suite.hash.output_len())));
    };
    let group =
        kx::group(share.group).ok_or(Error::Internal("configured group not implemented"))?;
    let (server_share, shared_secret) = group.encapsulate(&share.payload)?;
    common.observe(|| {
        Event::KeyExchange(KeyExchangeKind::Agreed {
            group: share.group,
            client_share_len: share.payload.len(),
            server_share_len: server_share.len(),
        })
    });
    common.secret(SecretKind::SharedSecret, &shared_secret);
    Ok((
        Some(KeyShareEntry {
            group: share.group,
            payload: server_share,
        }),
        shared_secret,
    ))
}

pub(super) fn emit_server_flight(
    config: &Arc<ServerConfig>,
    common: &mut CommonState,
    choices: Choices,
    mut transcript: Transcript,
    sent_ccs: bool,
) -> Result<Box<dyn State>, Error> {
    let suite = choices.suite;
    let with_dhe = !matches!(&choices.auth, Authentication::Resumed(a) if !a.with_dhe);
    let share = choices.share.as_ref().filter(|_| with_dhe);
    let (server_share, shared_secret) = key_exchange(common, suite, share)?;

    let mut random = [0u8; 32];
    config.random.fill(&mut random)?;
    common.observe(|| Event::ServerRandom(&random));
    // RFC 8446 §4.6.1: tickets from this handshake live no longer than
    // the full handshake that made the keying material.
    let (early, certificate, psk_index, authenticated) = match choices.auth {
        Authentication::Resumed(a) => (a.early, None, Some(a.index), a.authenticated),
        Authentication::Certificate { certified, scheme } => (
            EarlySecret::new(suite, None),
            Some((certified, scheme)),
            None,
            config.time.now().as_secs(),
        ),
    };
    let hello = ServerHello {
        legacy_version: ProtocolVersion::TLSv1_2,
        random,
        session_id: choices.session_id.clone(),
        cipher_suite: suite.suite,
        compression_method: 0,
        extensions: ServerExtensions {
            supported_version: Some(ProtocolVersion::TLSv1_3),
            key_share: server_share.clone(),
            pre_shared_key: psk_index,
            ..Default::default()
        },
    };
    send(
        common,
        &mut transcript,
        HandshakePayload::ServerHello(hello),
    );
    // RFC 8446 Appendix D.4: compatibility CCS after our first message.
    if !sent_ccs && !choices.session_id.is_empty() {
        common.send_change_cipher_spec()?;
    }

    common.secret(SecretKind::EarlySecret, early.secret());
    let key_schedule = early.into_handshake(shared_secret.expose());
    common.secret(SecretKind::HandshakeSecret, key_schedule.secret());
    let secrets = key_schedule.traffic_secrets(&transcript.current());
    common.set_encrypter(protection(
        common,
        suite,
        &secrets.server,
        KeyStage::Handshake,
        Side::Server,
    )?)?;
    common.set_decrypter(protection(
        common,
        suite,
        &secrets.client,
        KeyStage::Handshake,
        Side::Client,
    )?);
    // RFC 8446 §4.2.10: we never accept 0-RTT, so skip what the client
    // sent (and nothing more once the handshake key is in place, whatever
    // was left from before a HelloRetryRequest).
    common.skip_undecryptable(if choices.early_data_offered {
        MAX_SKIPPED_EARLY_DATA
    } else {
        0
    });

    let extensions = ServerExtensions {
        alpn: choices.alpn.clone(),
        // RFC 6066 §3: an empty server_name says we used the name.
        server_name_ack: choices.server_name.is_some() && certificate.is_some(),
        ..Default::default()
    };
    send(
        common,
        &mut transcript,
        HandshakePayload::EncryptedExtensions(extensions),
    );
    if let Some((certified, scheme)) = &certificate {
        send_certificate(common, &mut transcript, certified, *scheme)?;
    }

    let verify_data = finished_verify_data(suite, &secrets.server, &transcript.current());
    send(
        common,
        &mut transcript,
        HandshakePayload::Finished(verify_data),
    );

    let master = key_schedule.into_master();
    common.secret(SecretKind::Tls13MasterSecret, master.secret());
    let handshake_hash = transcript.current();
    let app = master.application_secrets(&handshake_hash);
    // We offer no exporter API: the exporter secret is only ever shown.
    if common.secrets_wanted() {
        common.secret(
            SecretKind::ExporterMasterSecret,
            &master.exporter_master_secret(&handshake_hash),
        );
    }
    common.set_encrypter(protection(
        common,
        suite,
        &app.server,
        KeyStage::Application(0),
        Side::Server,
    )?)?;

    let n = &mut common.negotiated;
    n.version = Some(ProtocolVersion::TLSv1_3);
    n.suite = Some(suite.suite);
    n.group = server_share.map(|s| s.group);
    n.signature_scheme = certificate.map(|(_, scheme)| scheme);
    n.alpn = choices.alpn;
    n.server_name = choices.server_name;
    n.resumed = psk_index.is_some();
    Ok(Box::new(ExpectFinished {
        config: config.clone(),
        suite,
        transcript,
        handshake_hash,
        client_handshake_secret: secrets.client,
        master,
        app,
        authenticated,
    }))
}

/// Certificate and CertificateVerify (RFC 8446 §4.4.2, §4.4.3).
fn send_certificate(
    common: &mut CommonState,
    transcript: &mut Transcript,
    certified: &CertifiedKey,
    scheme: SignatureScheme,
) -> Result<(), Error> {
    let entries = certified.chain.iter().map(|c| CertificateEntry {
        cert: c.clone(),
        extensions: Default::default(),
    });
    let certificate = Certificate13 {
        context: vec![],
        entries: entries.collect(),
    };
    send(
        common,
        transcript,
        HandshakePayload::Certificate13(certificate),
    );
    let message = signed_message(SERVER_SIGNATURE_CONTEXT, &transcript.current());
    let signature = certified.key.sign(scheme, &message)?;
    send(
        common,
        transcript,
        HandshakePayload::CertificateVerify(DigitallySigned { scheme, signature }),
    );
    Ok(())
}

fn send(common: &mut CommonState, transcript: &mut Transcript, payload: HandshakePayload) {
    let msg = HandshakeMessage::build(payload);
    transcript.add(&msg);
    common.send_handshake(&msg);
}

struct ExpectFinished {
    config: Arc<ServerConfig>,
    suite: &'static Tls13CipherSuite,
    transcript: Transcript,
    /// Transcript-Hash through our Finished, which the client's Finished
    /// covers (we ask for no client certificate).
    handshake_hash: Digest,
    client_handshake_secret: Secret,
    master: MasterSecret,
    app: ApplicationSecrets,
    /// When the full handshake behind this one was (this one, if full).
    authenticated: u64,
}

impl State for ExpectFinished {
    fn handle(
        mut self: Box<Self>,
        common: &mut CommonState,
        msg: Message,
    ) -> Result<Box<dyn State>, Error> {
        let expected = finished_verify_data(
            self.suite,
            &self.client_handshake_secret,
            &self.handshake_hash,
        );
        let msg = expect_finished(common, msg, Side::Client, &expected)?;
        self.transcript.add(&msg);
        common.set_decrypter(protection(
            common,
            self.suite,
            &self.app.client,
            KeyStage::Application(0),
            Side::Client,
        )?);
        common.start_traffic()?;
        let config = &self.config;
        if config.ticket_count > 0 && (config.ticketer.is_some() || config.session_store.is_some())
        {
            let resumption = self
                .master
                .resumption_master_secret(&self.transcript.finish());
            common.secret(SecretKind::ResumptionMasterSecret, &resumption);
            send_tickets(config, common, self.suite, &resumption, self.authenticated)?;
        }
        let ApplicationSecrets { client, server, .. } = self.app;
        Ok(Box::new(Traffic13::new(
            self.suite,
            Side::Server,
            client,
            server,
        )))
    }
}

/// RFC 8446 §4.6.1: tickets for resuming this session later, each with
/// its own nonce (and so its own PSK) and age obfuscation.
fn send_tickets(
    config: &ServerConfig,
    common: &mut CommonState,
    suite: &Tls13CipherSuite,
    resumption_master_secret: &Secret,
    authenticated: u64,
) -> Result<(), Error> {
    let now = config.time.now();
    // RFC 8446 §4.6.1: what is left of the session's lifetime (at most 7
    // days), counted from the full handshake; none left, no tickets.
    let lifetime = config.session_lifetime.min(MAX_TICKET_LIFETIME).as_secs();
    let lifetime = Duration::from_secs(secs_left(authenticated, now.as_secs(), lifetime));
    if lifetime.is_zero() {
        return Ok(());
    }
    for n in 0..config.ticket_count.min(usize::from(u8::MAX)) {
        let nonce = vec![n as u8];
        let mut age_add = [0u8; 4];
        config.random.fill(&mut age_add)?;
        let session = ServerSession {
            version: ProtocolVersion::TLSv1_3,
            suite: suite.suite,
            secret: resumption_psk(suite, resumption_master_secret, &nonce),
            created: now.as_secs(),
            authenticated,
            age_add: u32::from_be_bytes(age_add),
            extended_master_secret: false,
            alpn: common.negotiated.alpn.clone(),
            server_name: common.negotiated.server_name.clone(),
        };
        let ticket = match (&config.ticketer, &config.session_store) {
            (Some(ticketer), _) => {
                ticketer.seal(&session.to_bytes(), now, config.session_lifetime)?
            }
            (None, Some(store)) => {
                let mut id = vec![0u8; 32];
                config.random.fill(&mut id)?;
                let expires = rustls_pki_types::UnixTime::since_unix_epoch(
                    Duration::from_secs(now.as_secs()).saturating_add(lifetime),
                );
                if !store.put(id.clone(), session.to_bytes(), expires) {
                    break;
                }
                // RFC 8446 §6.2: a failed connection's tickets are discarded.
                super::forget_stored_on_failure(common, config, &id);
                id
            }
            (None, None) => break,
        };
        let nst = NewSessionTicket13 {
            lifetime: lifetime.as_secs() as u32,
            age_add: session.age_add,
            nonce,
            ticket,
            max_early_data: None,
        };
        common.send_handshake(&HandshakeMessage::build(
            HandshakePayload::NewSessionTicket13(nst),
        ));
    }
    Ok(())
}
