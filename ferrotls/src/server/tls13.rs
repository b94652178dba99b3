//! The server's TLS 1.3 flight (RFC 8446 §4.1.3–§4.4): ServerHello,
//! EncryptedExtensions, Certificate, CertificateVerify, Finished — then
//! the client's Finished.

use std::sync::Arc;

use super::config::{CertifiedKey, ServerConfig};
use crate::conn::{inappropriate, CommonState, Message, Side, State};
use crate::crypto::kx;
use crate::crypto::{ct_eq, Secret};
use crate::error::{Error, PeerMisbehaved};
use crate::msgs::enums::{ProtocolVersion, SignatureScheme};
use crate::msgs::extensions::{KeyShareEntry, ServerExtensions};
use crate::msgs::handshake::{
    Certificate13, CertificateEntry, DigitallySigned, HandshakeMessage, HandshakePayload,
    ServerHello,
};
use crate::observe::{Event, KeyExchangeKind, KeyStage, SecretKind};
use crate::suites::Tls13CipherSuite;
use crate::tls13::key_schedule::{finished_verify_data, ApplicationSecrets, EarlySecret};
use crate::tls13::traffic::Traffic13;
use crate::tls13::{protection, signed_message, SERVER_SIGNATURE_CONTEXT};
use crate::transcript::Transcript;
use rustls_pki_types::DnsName;

/// Rejected 0-RTT data we skip before giving up (RFC 8446 §4.2.10).
const MAX_SKIPPED_EARLY_DATA: usize = 64 * 1024;

/// Everything the server decided from the ClientHello.
pub(super) struct Choices {
    pub suite: &'static Tls13CipherSuite,
    pub share: KeyShareEntry,
    pub certified: Arc<CertifiedKey>,
    pub scheme: SignatureScheme,
    pub alpn: Option<Vec<u8>>,
    pub server_name: Option<DnsName<'static>>,
    pub session_id: Vec<u8>,
    pub early_data_offered: bool,
}

pub(super) fn emit_server_flight(
    config: &ServerConfig,
    common: &mut CommonState,
    choices: Choices,
    mut transcript: Transcript,
    sent_ccs: bool,
) -> Result<Box<dyn State>, Error> {
    let suite = choices.suite;
    let group = kx::group(choices.share.group)
        .ok_or(Error::Internal("configured group not implemented"))?;
    let (server_share, shared_secret) = group.encapsulate(&choices.share.payload)?;
    common.observe(|| {
        Event::KeyExchange(KeyExchangeKind::Agreed {
            group: choices.share.group,
            client_share_len: choices.share.payload.len(),
            server_share_len: server_share.len(),
        })
    });

    let mut random = [0u8; 32];
    config.random.fill(&mut random)?;
    common.observe(|| Event::ServerRandom(&random));
    let hello = ServerHello {
        legacy_version: ProtocolVersion::TLSv1_2,
        random,
        session_id: choices.session_id.clone(),
        cipher_suite: suite.suite,
        compression_method: 0,
        extensions: ServerExtensions {
            supported_version: Some(ProtocolVersion::TLSv1_3),
            key_share: Some(KeyShareEntry {
                group: choices.share.group,
                payload: server_share,
            }),
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

    common.secret(SecretKind::SharedSecret, &shared_secret);
    let early = EarlySecret::new(suite, None);
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
    // RFC 8446 §4.2.10: we never accept 0-RTT, so skip what the client sent.
    if choices.early_data_offered {
        common.skip_undecryptable(MAX_SKIPPED_EARLY_DATA);
    }

    let extensions = ServerExtensions {
        alpn: choices.alpn.clone(),
        // RFC 6066 §3: an empty server_name says we used the name.
        server_name_ack: choices.server_name.is_some(),
        ..Default::default()
    };
    send(
        common,
        &mut transcript,
        HandshakePayload::EncryptedExtensions(extensions),
    );

    let entries = choices.certified.chain.iter().map(|c| CertificateEntry {
        cert: c.clone(),
        extensions: vec![],
    });
    let certificate = Certificate13 {
        context: vec![],
        entries: entries.collect(),
    };
    send(
        common,
        &mut transcript,
        HandshakePayload::Certificate13(certificate),
    );

    let message = signed_message(SERVER_SIGNATURE_CONTEXT, &transcript.current());
    let signature = choices.certified.key.sign(choices.scheme, &message)?;
    let verify = DigitallySigned {
        scheme: choices.scheme,
        signature,
    };
    send(
        common,
        &mut transcript,
        HandshakePayload::CertificateVerify(verify),
    );

    let verify_data = finished_verify_data(suite, &secrets.server, &transcript.current());
    send(
        common,
        &mut transcript,
        HandshakePayload::Finished(verify_data),
    );

    let master = key_schedule.into_master();
    common.secret(SecretKind::Tls13MasterSecret, master.secret());
    let app = master.application_secrets(&transcript.current());
    common.secret(SecretKind::ExporterMasterSecret, &app.exporter);
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
    n.group = Some(choices.share.group);
    n.signature_scheme = Some(choices.scheme);
    n.alpn = choices.alpn;
    n.server_name = choices.server_name;
    Ok(Box::new(ExpectFinished {
        suite,
        transcript,
        client_handshake_secret: secrets.client,
        app,
    }))
}

fn send(common: &mut CommonState, transcript: &mut Transcript, payload: HandshakePayload) {
    let msg = HandshakeMessage::build(payload);
    transcript.add(&msg);
    common.send_handshake(&msg);
}

struct ExpectFinished {
    suite: &'static Tls13CipherSuite,
    transcript: Transcript,
    client_handshake_secret: Secret,
    app: ApplicationSecrets,
}

impl State for ExpectFinished {
    fn handle(
        self: Box<Self>,
        common: &mut CommonState,
        msg: Message,
    ) -> Result<Box<dyn State>, Error> {
        let msg = msg.into_handshake("Finished")?;
        let HandshakePayload::Finished(verify_data) = &msg.payload else {
            return Err(inappropriate(&msg, "Finished"));
        };
        // RFC 8446 §4.4.4: the client's Finished, checked in constant time.
        let expected = finished_verify_data(
            self.suite,
            &self.client_handshake_secret,
            &self.transcript.current(),
        );
        if !ct_eq(&expected, verify_data) {
            return Err(PeerMisbehaved::BadFinished.into());
        }
        common.observe(|| Event::FinishedVerified {
            sender: Side::Client,
        });
        common.set_decrypter(protection(
            common,
            self.suite,
            &self.app.client,
            KeyStage::Application(0),
            Side::Client,
        )?);
        common.start_traffic()?;
        let ApplicationSecrets { client, server, .. } = self.app;
        Ok(Box::new(Traffic13::new(
            self.suite,
            Side::Server,
            client,
            server,
        )))
    }
}
