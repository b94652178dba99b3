//! The client's TLS 1.2 handshake (RFC 5246 §7.3): ServerHello,
//! Certificate, ServerKeyExchange (ECDHE only), CertificateRequest?,
//! ServerHelloDone; then our ClientKeyExchange, ChangeCipherSpec and
//! Finished; then the server's ChangeCipherSpec and Finished.

use std::sync::Arc;
use std::time::Duration;

use rustls_pki_types::CertificateDer;

use super::hs::{accept_alpn, check_server_extensions, verify_server_chain, ClientContext};
use crate::codec::{encode_opaque, LengthPrefix};
use crate::conn::{expect_finished, inappropriate, CommonState, Message, Side, State};
use crate::crypto::rsa_kx::{encrypt_premaster, PREMASTER_LEN};
use crate::crypto::{kx, Secret};
use crate::error::{Error, PeerIncompatible, PeerMisbehaved};
use crate::msgs::enums::CipherSuite;
use crate::msgs::enums::{ExtensionType, NamedGroup, ProtocolVersion};
use crate::msgs::handshake::{EcdheParams, HandshakeMessage, HandshakePayload, ServerHello};
use crate::observe::{Event, KeyExchangeKind, SecretKind};
use crate::record::protect::{RecordDecrypter, RecordEncrypter};
use crate::session::{
    CertificateChain, ClientSessionCache, Tls12Session, MAX_TICKET_LEN, TLS12_SESSION_LIFETIME,
};
use crate::suites::{tls12_suite, KeyExchange12, Tls12CipherSuite};
use crate::time::TimeProvider;
use crate::tls12::key_schedule::{
    MasterSecret12, MasterSecretSeed, CLIENT_FINISHED_LABEL, SERVER_FINISHED_LABEL,
};
use crate::tls12::{
    DirectionalProtection, ExpectChangeCipherSpec, Traffic12, DOWNGRADE_SENTINEL_TLS11,
    DOWNGRADE_SENTINEL_TLS12,
};
use crate::transcript::{Transcript, TranscriptBuffer};
use crate::verify::end_entity_spki;

/// RFC 5246 §7.4.1.4 and the RFCs that add TLS 1.2 extensions: what a
/// TLS 1.2 ServerHello may carry.
const SERVER_HELLO_EXTENSIONS: &[ExtensionType] = &[
    ExtensionType::ServerName,
    ExtensionType::MaxFragmentLength,
    ExtensionType::StatusRequest,
    ExtensionType::EcPointFormats,
    ExtensionType::Alpn,
    ExtensionType::SignedCertificateTimestamp,
    ExtensionType::EncryptThenMac,
    ExtensionType::ExtendedMasterSecret,
    ExtensionType::SessionTicket,
    ExtensionType::RenegotiationInfo,
    ExtensionType::RecordSizeLimit,
];

/// What the TLS 1.2 states carry along.
struct Handshake12 {
    cx: ClientContext,
    suite: &'static Tls12CipherSuite,
    transcript: Transcript,
    server_random: [u8; 32],
    server_session_id: Vec<u8>,
    extended_master_secret: bool,
    /// RFC 5077 §3.2: the server acknowledged session_ticket, so a
    /// NewSessionTicket precedes its ChangeCipherSpec.
    ticket_promised: bool,
}

/// A ServerHello without supported_versions: the server chose TLS 1.2.
pub(super) fn handle_server_hello(
    cx: ClientContext,
    common: &mut CommonState,
    hello: &ServerHello,
    msg: &HandshakeMessage,
    transcript: TranscriptBuffer,
) -> Result<Box<dyn State>, Error> {
    let config = &cx.config;
    // RFC 8446 §4.1.3: a TLS 1.3 client must refuse a downgrade marked by
    // the server's random, with either sentinel.
    let sentinel = &hello.random[24..];
    if config.supports(ProtocolVersion::TLSv1_3)
        && (sentinel == DOWNGRADE_SENTINEL_TLS12 || sentinel == DOWNGRADE_SENTINEL_TLS11)
    {
        return Err(PeerMisbehaved::DowngradeSentinel.into());
    }
    // RFC 5246 §7.4.1.3, RFC 5077 §3.4: an echo of our session ID means
    // the server resumes the session we offered — there must be one.
    let resuming = !cx.hello.session_id.is_empty() && hello.session_id == cx.hello.session_id;
    if resuming && cx.tls12_session.is_none() {
        return Err(PeerMisbehaved::ResumedUnofferedSession.into());
    }
    // RFC 5246 §7.4.1.3: we offered only the null compression method.
    if hello.compression_method != 0 {
        return Err(PeerMisbehaved::NonZeroCompression.into());
    }
    let suite = cx
        .hello
        .cipher_suites
        .contains(&hello.cipher_suite)
        .then(|| tls12_suite(hello.cipher_suite))
        .flatten()
        .ok_or(PeerMisbehaved::SelectedUnofferedCipherSuite)?;
    let ext = &hello.extensions;
    check_server_extensions(&ext.received, &cx.hello.extensions, SERVER_HELLO_EXTENSIONS)?;
    // RFC 5746 §3.4: on an initial handshake renegotiated_connection is empty.
    if ext
        .renegotiation_info
        .as_ref()
        .is_some_and(|ri| !ri.is_empty())
    {
        return Err(PeerMisbehaved::RenegotiationInfoNotEmpty.into());
    }
    // RFC 7627 §5.3: we may refuse a server without extended master secret.
    if !ext.extended_master_secret && config.require_extended_master_secret {
        return Err(PeerIncompatible::ExtendedMasterSecretRequired.into());
    }
    // RFC 7366 §3: we run CBC suites only with encrypt-then-MAC.
    if suite.is_cbc() && !ext.encrypt_then_mac {
        return Err(PeerIncompatible::EncryptThenMacRequired.into());
    }
    accept_alpn(config, common, ext.alpn.as_ref())?;
    common.negotiated.version = Some(ProtocolVersion::TLSv1_2);
    common.negotiated.suite = Some(suite.suite);
    common.negotiated.extended_master_secret = ext.extended_master_secret;
    common.observe(|| Event::ServerRandom(&hello.random));

    let mut transcript = transcript.start_hash(suite.hash);
    transcript.add(msg);
    let hs = Handshake12 {
        cx,
        suite,
        transcript,
        server_random: hello.random,
        server_session_id: hello.session_id.clone(),
        extended_master_secret: ext.extended_master_secret,
        ticket_promised: ext.session_ticket_ack,
    };
    match resuming {
        true => resume(hs, common),
        false => Ok(Box::new(ExpectCertificate(hs))),
    }
}

/// RFC 5246 §7.3 abbreviated handshake: the server continues with
/// [NewSessionTicket], ChangeCipherSpec and Finished; we answer with ours.
fn resume(hs: Handshake12, common: &mut CommonState) -> Result<Box<dyn State>, Error> {
    let session = hs
        .cx
        .tls12_session
        .clone()
        .ok_or(PeerMisbehaved::ResumedUnofferedSession)?;
    // RFC 5246 §7.2.2: should the resumed connection fail, the session is
    // not resumed again.
    if let Some(cache) = hs.cx.config.session_cache.clone() {
        let (name, resumed) = (
            hs.cx.server_name.to_str().into_owned(),
            Arc::downgrade(&session),
        );
        common.forget_on_failure(move || cache.forget_tls12_session(&name, &resumed));
    }
    // RFC 5246 §7.4.1.3: a resumed session keeps its cipher suite.
    if session.suite != hs.suite.suite {
        return Err(PeerMisbehaved::SelectedUnofferedCipherSuite.into());
    }
    // RFC 7627 §5.3: the extended master secret property must not change.
    if session.extended_master_secret != hs.extended_master_secret {
        return Err(PeerIncompatible::ExtendedMasterSecretRequired.into());
    }
    let master = MasterSecret12::from_stored(hs.suite, session.master_secret.clone());
    common.secret(SecretKind::MasterSecret, master.secret());
    let keys = master.session_keys(&hs.cx.hello.random, &hs.server_random);
    if common.observing_secrets() {
        common.observe(|| Event::SessionKeys(&keys));
    }
    let protection = DirectionalProtection::new(hs.suite, &keys, Side::Client)?;
    common.negotiated.resumed = true;
    common.negotiated.peer_certificates = Some(session.server_certificates.clone());
    // Unless the server sends a new ticket, the cached session stays as it is.
    let finished = ExpectFinished {
        save: hs
            .ticket_promised
            .then(|| SessionToSave::new(&hs, session.server_certificates.clone())),
        transcript: hs.transcript,
        master,
        our_turn: Some(protection.encrypter),
        new_ticket: session.ticket.clone(),
    };
    Ok(after_server_flight(
        hs.ticket_promised,
        protection.decrypter,
        finished,
    ))
}

/// RFC 5077 §3.3: a promised NewSessionTicket comes before the server's
/// ChangeCipherSpec.
fn after_server_flight(
    ticket_promised: bool,
    decrypter: Box<dyn RecordDecrypter>,
    finished: ExpectFinished,
) -> Box<dyn State> {
    match ticket_promised {
        true => Box::new(ExpectNewTicket {
            decrypter,
            finished,
        }),
        false => Box::new(ExpectChangeCipherSpec {
            decrypter,
            next: Box::new(finished),
        }),
    }
}

struct ExpectNewTicket {
    decrypter: Box<dyn RecordDecrypter>,
    finished: ExpectFinished,
}

impl State for ExpectNewTicket {
    fn handle(
        self: Box<Self>,
        _common: &mut CommonState,
        msg: Message,
    ) -> Result<Box<dyn State>, Error> {
        let Self {
            decrypter,
            mut finished,
        } = *self;
        let msg = msg.into_handshake("NewSessionTicket")?;
        let HandshakePayload::NewSessionTicket12(nst) = &msg.payload else {
            return Err(inappropriate(&msg, "NewSessionTicket"));
        };
        finished.transcript.add(&msg);
        // RFC 5077 §3.3: an empty ticket means "none this time"; one too
        // large to offer again is not kept.
        if !nst.ticket.is_empty() && nst.ticket.len() <= MAX_TICKET_LEN {
            finished.new_ticket = Some(nst.ticket.clone());
            if let Some(save) = &mut finished.save {
                save.lifetime = Tls12Session::lifetime_for_hint(nst.lifetime_hint);
            }
        }
        Ok(Box::new(ExpectChangeCipherSpec {
            decrypter,
            next: Box::new(finished),
        }))
    }
}

/// What the client needs to keep this TLS 1.2 session for resumption.
struct SessionToSave {
    cache: Option<Arc<ClientSessionCache>>,
    server_name: String,
    suite: CipherSuite,
    session_id: Vec<u8>,
    extended_master_secret: bool,
    server_certificates: CertificateChain,
    time: Arc<dyn TimeProvider>,
    /// From the ticket's lifetime hint, if one comes.
    lifetime: Duration,
}

impl SessionToSave {
    fn new(hs: &Handshake12, server_certificates: CertificateChain) -> Self {
        Self {
            cache: hs.cx.config.session_cache.clone(),
            server_name: hs.cx.server_name.to_str().into_owned(),
            suite: hs.suite.suite,
            session_id: hs.server_session_id.clone(),
            extended_master_secret: hs.extended_master_secret,
            server_certificates,
            time: hs.cx.config.time.clone(),
            lifetime: TLS12_SESSION_LIFETIME,
        }
    }

    /// A session the server gave us a way back into (an ID or a ticket);
    /// forgotten again if this connection fails (RFC 5246 §7.2.2).
    fn save(self, common: &mut CommonState, master: &MasterSecret12, ticket: Option<Vec<u8>>) {
        let Some(cache) = &self.cache else { return };
        if self.session_id.is_empty() && ticket.is_none() {
            cache.remove_tls12_session(&self.server_name);
            return;
        }
        let session = Tls12Session {
            suite: self.suite,
            session_id: self.session_id,
            ticket,
            master_secret: master.secret().clone(),
            extended_master_secret: self.extended_master_secret,
            received: self.time.now(),
            lifetime: self.lifetime,
            server_certificates: self.server_certificates,
        };
        let kept = Arc::downgrade(&cache.set_tls12_session(&self.server_name, session));
        let (cache, name) = (cache.clone(), self.server_name);
        common.forget_on_failure(move || cache.forget_tls12_session(&name, &kept));
    }
}

struct ExpectCertificate(Handshake12);

impl State for ExpectCertificate {
    fn handle(
        self: Box<Self>,
        common: &mut CommonState,
        msg: Message,
    ) -> Result<Box<dyn State>, Error> {
        let mut hs = self.0;
        let msg = msg.into_handshake("Certificate")?;
        let HandshakePayload::Certificate12(certs) = &msg.payload else {
            return Err(inappropriate(&msg, "Certificate"));
        };
        let certs = verify_server_chain(&hs.cx, common, certs)?;
        hs.transcript.add(&msg);
        Ok(match hs.suite.kx {
            KeyExchange12::Ecdhe => Box::new(ExpectServerKeyExchange { hs, certs }),
            KeyExchange12::Rsa => Box::new(ExpectServerHelloDone {
                hs,
                certs,
                server_params: None,
                certificate_requested: false,
            }),
        })
    }
}

struct ExpectServerKeyExchange {
    hs: Handshake12,
    certs: CertificateChain,
}

impl State for ExpectServerKeyExchange {
    fn handle(
        self: Box<Self>,
        common: &mut CommonState,
        msg: Message,
    ) -> Result<Box<dyn State>, Error> {
        let Self { mut hs, certs } = *self;
        let msg = msg.into_handshake("ServerKeyExchange")?;
        let HandshakePayload::ServerKeyExchange(ske) = &msg.payload else {
            return Err(inappropriate(&msg, "ServerKeyExchange"));
        };
        // RFC 8422 §5.4: a curve we offered (the hybrid group is TLS 1.3 only).
        let offered_groups = hs
            .cx
            .hello
            .extensions
            .supported_groups
            .as_deref()
            .unwrap_or_default();
        if !offered_groups.contains(&ske.params.group)
            || ske.params.group == NamedGroup::X25519MLKEM768
        {
            return Err(PeerMisbehaved::SelectedUnofferedGroup.into());
        }
        let scheme = ske.signed.scheme;
        let offered_schemes = hs
            .cx
            .hello
            .extensions
            .signature_algorithms
            .as_deref()
            .unwrap_or_default();
        if !offered_schemes.contains(&scheme) {
            return Err(PeerMisbehaved::SelectedUnofferedSignatureScheme.into());
        }
        if !hs.suite.auth.allows(scheme) {
            return Err(PeerMisbehaved::UnsuitableSignatureScheme.into());
        }
        // RFC 8422 §5.4: signed over client_random ‖ server_random ‖ params.
        let mut signed = hs.cx.hello.random.to_vec();
        signed.extend_from_slice(&hs.server_random);
        signed.extend_from_slice(&crate::codec::Codec::to_bytes(&ske.params));
        hs.cx
            .config
            .verifier
            .verify_signature(&signed, &certs[0], &ske.signed, false)?;
        common.negotiated.group = Some(ske.params.group);
        common.negotiated.signature_scheme = Some(scheme);
        hs.transcript.add(&msg);
        let server_params = Some(ske.params.clone());
        Ok(Box::new(ExpectServerHelloDone {
            hs,
            certs,
            server_params,
            certificate_requested: false,
        }))
    }
}

struct ExpectServerHelloDone {
    hs: Handshake12,
    certs: CertificateChain,
    server_params: Option<EcdheParams>,
    certificate_requested: bool,
}

impl State for ExpectServerHelloDone {
    fn handle(
        mut self: Box<Self>,
        common: &mut CommonState,
        msg: Message,
    ) -> Result<Box<dyn State>, Error> {
        let msg = msg.into_handshake("ServerHelloDone")?;
        match &msg.payload {
            HandshakePayload::CertificateRequest12(_) if !self.certificate_requested => {
                self.hs.transcript.add(&msg);
                self.certificate_requested = true;
                Ok(self)
            }
            HandshakePayload::ServerHelloDone => {
                self.hs.transcript.add(&msg);
                self.send_client_flight(common)
            }
            _ => Err(inappropriate(&msg, "ServerHelloDone")),
        }
    }
}

/// RFC 5246 §7.4.7: makes the pre-master secret — agreed by ECDHE with
/// the server's params, or transported to the server's RSA key — and the
/// ClientKeyExchange body that carries our part.
fn key_exchange(
    hs: &Handshake12,
    certs: &[CertificateDer<'static>],
    server_params: Option<&EcdheParams>,
) -> Result<(Vec<u8>, Secret, KeyExchangeKind), Error> {
    let mut body = Vec::new();
    match server_params {
        Some(params) => {
            let group = kx::group(params.group).ok_or(PeerMisbehaved::SelectedUnofferedGroup)?;
            let share = group.start()?;
            encode_opaque(&mut body, LengthPrefix::U8, share.public());
            let kind = KeyExchangeKind::Agreed {
                group: params.group,
                client_share_len: share.public().len(),
                server_share_len: params.public.len(),
            };
            Ok((body, share.decapsulate(&params.public)?, kind))
        }
        None => {
            // RFC 5246 §7.4.7.1: client_version ‖ 46 random bytes.
            let mut premaster = [0u8; PREMASTER_LEN];
            premaster[..2].copy_from_slice(&hs.cx.hello.legacy_version.to_wire().to_be_bytes());
            hs.cx.config.random.fill(&mut premaster[2..])?;
            let spki = end_entity_spki(&certs[0])?;
            let ciphertext = encrypt_premaster(&spki, &premaster)?;
            encode_opaque(&mut body, LengthPrefix::U16, &ciphertext);
            let kind = KeyExchangeKind::RsaTransported {
                ciphertext_len: ciphertext.len(),
            };
            let secret = Secret::from_slice(&premaster);
            zeroize::Zeroize::zeroize(&mut premaster);
            Ok((body, secret, kind))
        }
    }
}

impl ExpectServerHelloDone {
    fn send_client_flight(
        self: Box<Self>,
        common: &mut CommonState,
    ) -> Result<Box<dyn State>, Error> {
        let Self {
            mut hs,
            certs,
            server_params,
            certificate_requested,
        } = *self;
        // RFC 5246 §7.4.6: asked for a certificate, we send an empty list.
        if certificate_requested {
            let empty = HandshakeMessage::build(HandshakePayload::Certificate12(vec![]));
            hs.transcript.add(&empty);
            common.send_handshake(&empty);
        }
        let (body, premaster, kind) = key_exchange(&hs, &certs, server_params.as_ref())?;
        common.observe(|| Event::KeyExchange(kind));
        common.secret(SecretKind::PreMasterSecret, &premaster);
        let kx_msg = HandshakeMessage::build(HandshakePayload::ClientKeyExchange(body));
        hs.transcript.add(&kx_msg);
        common.send_handshake(&kx_msg);

        // RFC 7627 §4: the session hash covers the transcript through
        // ClientKeyExchange.
        let client_random = hs.cx.hello.random;
        let session_hash = hs.transcript.current();
        let seed = match hs.extended_master_secret {
            true => MasterSecretSeed::SessionHash(&session_hash),
            false => MasterSecretSeed::Randoms {
                client: &client_random,
                server: &hs.server_random,
            },
        };
        let master = MasterSecret12::derive(hs.suite, &premaster, seed);
        common.secret(SecretKind::MasterSecret, master.secret());
        let keys = master.session_keys(&client_random, &hs.server_random);
        if common.observing_secrets() {
            common.observe(|| Event::SessionKeys(&keys));
        }
        let protection = DirectionalProtection::new(hs.suite, &keys, Side::Client)?;

        common.send_change_cipher_spec()?;
        common.set_encrypter(protection.encrypter)?;
        // RFC 5246 §7.4.9: our Finished covers the same messages as the
        // session hash (we send no CertificateVerify).
        let verify_data = master.verify_data(CLIENT_FINISHED_LABEL, &session_hash);
        let finished = HandshakeMessage::build(HandshakePayload::Finished(verify_data));
        hs.transcript.add(&finished);
        common.send_handshake(&finished);

        let finished = ExpectFinished {
            save: Some(SessionToSave::new(&hs, certs)),
            transcript: hs.transcript,
            master,
            our_turn: None,
            new_ticket: None,
        };
        Ok(after_server_flight(
            hs.ticket_promised,
            protection.decrypter,
            finished,
        ))
    }
}

struct ExpectFinished {
    transcript: Transcript,
    master: MasterSecret12,
    /// Resuming: our ChangeCipherSpec and Finished come after the server's.
    our_turn: Option<Box<dyn RecordEncrypter>>,
    /// The ticket to keep: a new one, or (resuming) the one we used.
    new_ticket: Option<Vec<u8>>,
    /// What to keep for a later resumption, if anything changed.
    save: Option<SessionToSave>,
}

impl State for ExpectFinished {
    fn handle(
        self: Box<Self>,
        common: &mut CommonState,
        msg: Message,
    ) -> Result<Box<dyn State>, Error> {
        let expected = self
            .master
            .verify_data(SERVER_FINISHED_LABEL, &self.transcript.current());
        let msg = expect_finished(common, msg, Side::Server, &expected)?;
        let Self {
            mut transcript,
            master,
            our_turn,
            new_ticket,
            save,
        } = *self;
        if let Some(encrypter) = our_turn {
            transcript.add(&msg);
            common.send_change_cipher_spec()?;
            common.set_encrypter(encrypter)?;
            let verify_data = master.verify_data(CLIENT_FINISHED_LABEL, &transcript.current());
            common.send_handshake(&HandshakeMessage::build(HandshakePayload::Finished(
                verify_data,
            )));
        }
        if let Some(save) = save {
            save.save(common, &master, new_ticket);
        }
        common.start_traffic()?;
        Ok(Box::new(Traffic12::new(Side::Client)))
    }
}
