//! The client's TLS 1.3 handshake after ServerHello (RFC 8446 §4.3–§4.4):
//! EncryptedExtensions, CertificateRequest?, Certificate,
//! CertificateVerify, Finished — then our Finished.

use rustls_pki_types::CertificateDer;

use super::hs::{
    accept_alpn, check_server_extensions, verify_server_chain, ClientContext, Resuming,
};
use crate::conn::{expect_finished, inappropriate, CommonState, Message, Side, State};
use crate::crypto::Secret;
use crate::error::{Error, PeerIncompatible, PeerMisbehaved};
use crate::msgs::enums::ExtensionType;
use crate::msgs::handshake::{Certificate13, HandshakeMessage, HandshakePayload};
use crate::observe::{KeyStage, SecretKind};
use crate::session::Tls13Ticket;
use crate::suites::Tls13CipherSuite;
use crate::tls13::key_schedule::{
    finished_verify_data, EarlySecret, HandshakeSecret, TrafficSecrets,
};
use crate::tls13::traffic::TicketSink;
use crate::tls13::traffic::Traffic13;
use crate::tls13::{protection, signed_message, SERVER_SIGNATURE_CONTEXT};
use crate::transcript::Transcript;

/// What the states after ServerHello carry along.
struct Handshake {
    cx: ClientContext,
    suite: &'static Tls13CipherSuite,
    transcript: Transcript,
    key_schedule: HandshakeSecret,
    secrets: TrafficSecrets,
    /// The ticket the server accepted: this handshake resumes its session.
    resumed: Option<Tls13Ticket>,
}

/// ServerHello accepted: derive the handshake secrets and switch keys.
pub(super) fn after_server_hello(
    cx: ClientContext,
    common: &mut CommonState,
    suite: &'static Tls13CipherSuite,
    transcript: Transcript,
    shared_secret: Option<Secret>,
    sent_ccs: bool,
    resuming: Option<Resuming>,
) -> Result<Box<dyn State>, Error> {
    // RFC 8446 §7.1: psk_ke mixes in zeros where (EC)DHE would go.
    let shared_secret = shared_secret.unwrap_or_else(|| Secret::zeroed(suite.hash.output_len()));
    common.secret(SecretKind::SharedSecret, &shared_secret);
    // Resuming, the early secret is the one the binder was keyed with.
    let (early, resumed) = match resuming {
        Some(r) => (r.early.for_suite(suite)?, Some(r.ticket)),
        None => (EarlySecret::new(suite, None), None),
    };
    common.secret(SecretKind::EarlySecret, early.secret());
    let key_schedule = early.into_handshake(shared_secret.expose());
    common.secret(SecretKind::HandshakeSecret, key_schedule.secret());
    let secrets = key_schedule.traffic_secrets(&transcript.current());
    common.set_decrypter(protection(
        common,
        suite,
        &secrets.server,
        KeyStage::Handshake,
        Side::Server,
    )?);
    // RFC 8446 Appendix D.4: the compatibility CCS before our second flight.
    if !sent_ccs {
        common.send_change_cipher_spec()?;
    }
    common.set_encrypter(protection(
        common,
        suite,
        &secrets.client,
        KeyStage::Handshake,
        Side::Client,
    )?)?;
    if let Some(ticket) = &resumed {
        common.negotiated.resumed = true;
        common.negotiated.peer_certificates = Some(ticket.server_certificates.clone());
    }
    let hs = Handshake {
        cx,
        suite,
        transcript,
        key_schedule,
        secrets,
        resumed,
    };
    Ok(Box::new(ExpectEncryptedExtensions(hs)))
}

/// RFC 8446 §4.2: extensions allowed in EncryptedExtensions.
const ENCRYPTED_EXTENSIONS: &[ExtensionType] = &[
    ExtensionType::ServerName,
    ExtensionType::MaxFragmentLength,
    ExtensionType::SupportedGroups,
    ExtensionType::UseSrtp,
    ExtensionType::Heartbeat,
    ExtensionType::Alpn,
    ExtensionType::ClientCertificateType,
    ExtensionType::ServerCertificateType,
    ExtensionType::EarlyData,
    ExtensionType::RecordSizeLimit,
];

/// RFC 8446 §4.2: extensions allowed in a CertificateRequest ("CR").
const CERTIFICATE_REQUEST: &[ExtensionType] = &[
    ExtensionType::StatusRequest,
    ExtensionType::SignatureAlgorithms,
    ExtensionType::SignedCertificateTimestamp,
    ExtensionType::CertificateAuthorities,
    ExtensionType::OidFilters,
    ExtensionType::SignatureAlgorithmsCert,
];

/// RFC 8446 §4.2: extensions allowed in a CertificateEntry ("CT").
const CERTIFICATE_ENTRY: &[ExtensionType] = &[
    ExtensionType::StatusRequest,
    ExtensionType::SignedCertificateTimestamp,
];

struct ExpectEncryptedExtensions(Handshake);

impl State for ExpectEncryptedExtensions {
    fn handle(
        self: Box<Self>,
        common: &mut CommonState,
        msg: Message,
    ) -> Result<Box<dyn State>, Error> {
        let mut hs = self.0;
        let msg = msg.into_handshake("EncryptedExtensions")?;
        let HandshakePayload::EncryptedExtensions(ext) = &msg.payload else {
            return Err(inappropriate(&msg, "EncryptedExtensions"));
        };
        check_server_extensions(&ext.received, &hs.cx.hello.extensions, ENCRYPTED_EXTENSIONS)?;
        accept_alpn(&hs.cx.config, common, ext.alpn.as_ref())?;
        hs.transcript.add(&msg);
        // RFC 8446 §2.2: a resumed handshake has no Certificate or CertificateVerify.
        if hs.resumed.is_some() {
            return Ok(Box::new(ExpectFinished {
                hs,
                certificate_request: None,
            }));
        }
        Ok(Box::new(ExpectCertificate {
            hs,
            certificate_request: None,
        }))
    }
}

struct ExpectCertificate {
    hs: Handshake,
    /// The context of a CertificateRequest, which we answer with no
    /// certificate (client authentication is not configured).
    certificate_request: Option<Vec<u8>>,
}

impl State for ExpectCertificate {
    fn handle(
        mut self: Box<Self>,
        common: &mut CommonState,
        msg: Message,
    ) -> Result<Box<dyn State>, Error> {
        let msg = msg.into_handshake("Certificate")?;
        match &msg.payload {
            HandshakePayload::CertificateRequest13(req) if self.certificate_request.is_none() => {
                // RFC 8446 §4.3.2: the context is empty but for
                // post-handshake authentication.
                if !req.context.is_empty() {
                    return Err(PeerMisbehaved::CertificateContextNotEmpty.into());
                }
                // RFC 8446 §4.2: an extension we know that is not one for
                // CertificateRequest → illegal_parameter (unknown ones are
                // ignored, §4.3.2).
                let misplaced = req
                    .received
                    .iter()
                    .find(|t| t.is_known() && !CERTIFICATE_REQUEST.contains(t));
                if let Some(&typ) = misplaced {
                    return Err(PeerMisbehaved::SentExtensionInWrongMessage(typ).into());
                }
                // RFC 8446 §4.3.2: "The "signature_algorithms" extension MUST
                // be specified"; §9.2: missing → missing_extension.
                if req.signature_algorithms.is_none() {
                    return Err(PeerIncompatible::MissingExtension(
                        ExtensionType::SignatureAlgorithms,
                    )
                    .into());
                }
                self.hs.transcript.add(&msg);
                self.certificate_request = Some(req.context.clone());
                Ok(self)
            }
            HandshakePayload::Certificate13(cert) => {
                let certs = self.check_certificate(common, cert)?;
                let Self {
                    mut hs,
                    certificate_request,
                } = *self;
                hs.transcript.add(&msg);
                Ok(Box::new(ExpectCertificateVerify {
                    hs,
                    certificate_request,
                    certs,
                }))
            }
            _ => Err(inappropriate(&msg, "Certificate")),
        }
    }
}

impl ExpectCertificate {
    fn check_certificate(
        &self,
        common: &mut CommonState,
        cert: &Certificate13,
    ) -> Result<Vec<CertificateDer<'static>>, Error> {
        // RFC 8446 §4.4.2: for server authentication the context is empty.
        if !cert.context.is_empty() {
            return Err(PeerMisbehaved::CertificateContextNotEmpty.into());
        }
        // RFC 8446 §4.4.2: extensions in the server's Certificate "MUST
        // correspond to ones from the ClientHello"; §4.2: one not offered →
        // unsupported_extension, one not allowed here → illegal_parameter.
        for entry in &cert.entries {
            check_server_extensions(
                &entry.extensions.received,
                &self.hs.cx.hello.extensions,
                CERTIFICATE_ENTRY,
            )?;
        }
        let certs: Vec<CertificateDer<'static>> =
            cert.entries.iter().map(|e| e.cert.clone()).collect();
        // RFC 8446 §4.4.2.4: an empty server Certificate → decode_error.
        verify_server_chain(&self.hs.cx, common, &certs)?;
        Ok(certs)
    }
}

struct ExpectCertificateVerify {
    hs: Handshake,
    certificate_request: Option<Vec<u8>>,
    certs: Vec<CertificateDer<'static>>,
}

impl State for ExpectCertificateVerify {
    fn handle(
        self: Box<Self>,
        common: &mut CommonState,
        msg: Message,
    ) -> Result<Box<dyn State>, Error> {
        let Self {
            mut hs,
            certificate_request,
            certs,
        } = *self;
        let msg = msg.into_handshake("CertificateVerify")?;
        let HandshakePayload::CertificateVerify(signed) = &msg.payload else {
            return Err(inappropriate(&msg, "CertificateVerify"));
        };
        // RFC 8446 §4.4.3: the scheme must be one we offered.
        let offered = hs
            .cx
            .hello
            .extensions
            .signature_algorithms
            .as_deref()
            .unwrap_or_default();
        if !offered.contains(&signed.scheme) {
            return Err(PeerMisbehaved::SelectedUnofferedSignatureScheme.into());
        }
        // RFC 8446 §4.4.3: a signature that does not verify → decrypt_error.
        let message = signed_message(SERVER_SIGNATURE_CONTEXT, &hs.transcript.current());
        hs.cx
            .config
            .verifier
            .verify_signature(&message, &certs[0], signed, true)?;
        common.negotiated.signature_scheme = Some(signed.scheme);
        hs.transcript.add(&msg);
        Ok(Box::new(ExpectFinished {
            hs,
            certificate_request,
        }))
    }
}

struct ExpectFinished {
    hs: Handshake,
    certificate_request: Option<Vec<u8>>,
}

impl State for ExpectFinished {
    fn handle(
        self: Box<Self>,
        common: &mut CommonState,
        msg: Message,
    ) -> Result<Box<dyn State>, Error> {
        let Self {
            mut hs,
            certificate_request,
        } = *self;
        let expected = finished_verify_data(hs.suite, &hs.secrets.server, &hs.transcript.current());
        let msg = expect_finished(common, msg, Side::Server, &expected)?;
        hs.transcript.add(&msg);

        let master = hs.key_schedule.into_master();
        common.secret(SecretKind::Tls13MasterSecret, master.secret());
        let handshake_hash = hs.transcript.current();
        let app = master.application_secrets(&handshake_hash);
        // We offer no exporter API: the exporter secret is only ever shown.
        if common.secrets_wanted() {
            common.secret(
                SecretKind::ExporterMasterSecret,
                &master.exporter_master_secret(&handshake_hash),
            );
        }
        common.set_decrypter(protection(
            common,
            hs.suite,
            &app.server,
            KeyStage::Application(0),
            Side::Server,
        )?);

        // RFC 8446 §4.4.2: asked for a certificate, we send an empty list.
        // Our Finished covers it; without it, the transcript is still the
        // handshake hash.
        let through_our_certificate = match certificate_request {
            Some(context) => {
                let cert =
                    HandshakeMessage::build(HandshakePayload::Certificate13(Certificate13 {
                        context,
                        entries: vec![],
                    }));
                hs.transcript.add(&cert);
                common.send_handshake(&cert);
                hs.transcript.current()
            }
            None => handshake_hash,
        };
        let verify_data =
            finished_verify_data(hs.suite, &hs.secrets.client, &through_our_certificate);
        let finished = HandshakeMessage::build(HandshakePayload::Finished(verify_data));
        hs.transcript.add(&finished);
        common.send_handshake(&finished);
        common.set_encrypter(protection(
            common,
            hs.suite,
            &app.client,
            KeyStage::Application(0),
            Side::Client,
        )?)?;
        common.start_traffic()?;
        let tickets = hs.cx.config.session_cache.clone().map(|cache| {
            let resumption = master.resumption_master_secret(&hs.transcript.finish());
            common.secret(SecretKind::ResumptionMasterSecret, &resumption);
            TicketSink {
                cache,
                server_name: hs.cx.server_name.to_str().into_owned(),
                resumption_master_secret: resumption,
                time: hs.cx.config.time.clone(),
                server_certificates: common
                    .negotiated
                    .peer_certificates
                    .clone()
                    .unwrap_or_default(),
                alpn: common.negotiated.alpn.clone(),
            }
        });
        let mut traffic = Traffic13::new(hs.suite, Side::Client, app.server, app.client);
        traffic.tickets = tickets;
        Ok(Box::new(traffic))
    }
}
