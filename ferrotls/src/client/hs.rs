//! The client's ClientHello, and its reading of ServerHello and
//! HelloRetryRequest (RFC 8446 §4.1).

use std::sync::Arc;

use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

use super::config::ClientConfig;
use super::{tls12, tls13};
use crate::conn::{inappropriate, CommonState, Message, OfferedVersions, State};
use crate::crypto::kx::{self, KxShare};
use crate::crypto::Secret;
use crate::error::{Error, PeerIncompatible, PeerMisbehaved};
use crate::msgs::enums::{CipherSuite, ExtensionType, ProtocolVersion, PskKeyExchangeMode};
use crate::msgs::extensions::{ClientExtensions, KeyShareEntry, OfferedPsks, ServerExtensions};
use crate::msgs::handshake::{ClientHello, HandshakeMessage, HandshakePayload, ServerHello};
use crate::observe::{Event, KeyExchangeKind};
use crate::session::{CertificateChain, Tls12Session, Tls13Ticket};
use crate::suites::{tls12_suite, tls13_suite, Tls13CipherSuite};
use crate::tls13::key_schedule::{psk_binder, EarlySecret};
use crate::transcript::{Transcript, TranscriptBuffer};

/// What every client state needs to know about the connection.
pub(super) struct ClientContext {
    pub config: Arc<ClientConfig>,
    pub server_name: ServerName<'static>,
    /// The ClientHello as last sent: the server's answers are checked
    /// against what it offered.
    pub hello: ClientHello,
    /// The TLS 1.2 session offered for resumption, if any.
    pub tls12_session: Option<Arc<Tls12Session>>,
}

pub(super) fn start_handshake(
    config: Arc<ClientConfig>,
    server_name: ServerName<'static>,
    common: &mut CommonState,
) -> Result<Box<dyn State>, Error> {
    let mut random = [0u8; 32];
    config.random.fill(&mut random)?;
    let (tls13, tls12) = (
        config.supports(ProtocolVersion::TLSv1_3),
        config.supports(ProtocolVersion::TLSv1_2),
    );
    let now = config.time.now();
    let tls12_session = match (tls12, &config.session_cache) {
        (true, Some(cache)) => cache
            .tls12_session(&server_name.to_str())
            .filter(|s| config.cipher_suites.contains(&s.suite) && !s.expired(now)),
        _ => None,
    };
    let session_id = hello_session_id(&config, tls13, tls12_session.as_deref())?;

    let share_groups = if tls13 {
        config.initial_key_share_groups()
    } else {
        vec![]
    };
    let shares = share_groups
        .into_iter()
        .map(|g| {
            kx::group(g)
                .ok_or(Error::Internal("configured group not implemented"))?
                .start()
        })
        .collect::<Result<Vec<_>, _>>()?;

    let mut hello = ClientHello {
        legacy_version: ProtocolVersion::TLSv1_2,
        random,
        session_id,
        cipher_suites: offered_suites(&config),
        compression_methods: vec![0],
        extensions: hello_extensions(&config, &server_name, &shares),
    };
    // RFC 5077 §3.1: offer the TLS 1.2 ticket, or an empty one to get one.
    if tls12 {
        hello.extensions.session_ticket = Some(
            tls12_session
                .as_ref()
                .and_then(|s| s.ticket.clone())
                .unwrap_or_default(),
        );
    }
    // RFC 8446 §4.6.1: a ticket from an earlier session with this server.
    let resuming = config
        .session_cache
        .as_ref()
        .filter(|_| tls13)
        .and_then(|cache| cache.take_tls13_ticket(&server_name.to_str(), now))
        .and_then(|t| ticket_suite(&config, &t).map(|s| (t, s)));
    let resuming = resuming.map(|(ticket, suite)| Resuming {
        early: EarlySecret::new(suite, Some(ticket.psk.expose())),
        ticket,
    });
    let msg = match &resuming {
        Some(r) => offer_psk(hello, r, now, None)?,
        None => HandshakeMessage::build(HandshakePayload::ClientHello(hello)),
    };
    let mut transcript = TranscriptBuffer::default();
    transcript.add(&msg);
    common.client_random = random;
    common.observe(|| Event::ClientRandom(&random));
    common.send_handshake(&msg);
    common.seen_client_hello = true;
    common.offered = OfferedVersions { tls13, tls12 };
    let hello = msg.into_client_hello()?;

    let cx = ClientContext {
        config,
        server_name,
        hello,
        tls12_session,
    };
    Ok(Box::new(ExpectServerHello {
        cx,
        shares,
        transcript: HelloTranscript::Buffered(transcript),
        retry: None,
        resuming,
    }))
}

/// The legacy_session_id: a TLS 1.2 session's ID to resume it; with a
/// TLS 1.2 ticket (RFC 5077 §3.4) or for TLS 1.3's middlebox compatibility
/// mode (RFC 8446 Appendix D.4), 32 random bytes; otherwise empty, since a
/// TLS 1.2 server would read any other value as an offer to resume.
fn hello_session_id(
    config: &ClientConfig,
    tls13: bool,
    tls12_session: Option<&Tls12Session>,
) -> Result<Vec<u8>, Error> {
    if let Some(session) = tls12_session.filter(|s| s.ticket.is_none()) {
        return Ok(session.session_id.clone());
    }
    let mut session_id = vec![
        0u8;
        if tls13 || tls12_session.is_some() {
            32
        } else {
            0
        }
    ];
    config.random.fill(&mut session_id)?;
    Ok(session_id)
}

/// The configured suites of the versions we offer, in our order.
fn offered_suites(config: &ClientConfig) -> Vec<CipherSuite> {
    let (tls13, tls12) = (
        config.supports(ProtocolVersion::TLSv1_3),
        config.supports(ProtocolVersion::TLSv1_2),
    );
    config
        .cipher_suites
        .iter()
        .copied()
        .filter(|s| (tls13 && tls13_suite(*s).is_some()) || (tls12 && tls12_suite(*s).is_some()))
        .collect()
}

fn hello_extensions(
    config: &ClientConfig,
    server_name: &ServerName<'_>,
    shares: &[Box<dyn KxShare>],
) -> ClientExtensions {
    let (tls13, tls12) = (
        config.supports(ProtocolVersion::TLSv1_3),
        config.supports(ProtocolVersion::TLSv1_2),
    );
    // RFC 6066 §3: SNI carries DNS names only, never IP literals.
    let sni = match server_name {
        ServerName::DnsName(name) if config.enable_sni => Some(name.to_owned()),
        _ => None,
    };
    // RFC 8446 §4.2.3: PKCS#1 v1.5 signatures are for TLS 1.2 only.
    let schemes = config
        .verifier
        .supported_schemes()
        .into_iter()
        .filter(|s| tls12 || s.usable_in_tls13())
        .collect();
    let mut x = ClientExtensions {
        server_name: sni,
        supported_groups: Some(config.groups.clone()),
        signature_algorithms: Some(schemes),
        alpn: (!config.alpn_protocols.is_empty()).then(|| config.alpn_protocols.clone()),
        ..Default::default()
    };
    if tls13 {
        // RFC 8446 §4.2.1: the versions we offer, best first.
        let mut versions = vec![ProtocolVersion::TLSv1_3];
        if tls12 {
            versions.push(ProtocolVersion::TLSv1_2);
        }
        x.supported_versions = Some(versions);
        x.key_shares = Some(shares.iter().map(|s| key_share_entry(s.as_ref())).collect());
        // RFC 8446 §4.2.9: psk_ke (no forward secrecy) only if configured.
        let mut modes = vec![PskKeyExchangeMode::PskDheKe];
        if config.allow_psk_ke {
            modes.push(PskKeyExchangeMode::PskKe);
        }
        x.psk_modes = Some(modes);
    }
    if tls12 {
        // RFC 8422 §5.1.2: we accept uncompressed points only.
        x.ec_point_formats = Some(vec![0]);
        // RFC 7627 §5.1, RFC 5746 §3.4: always offered.
        x.extended_master_secret = true;
        x.renegotiation_info = Some(vec![]);
        // RFC 7366: CBC suites are offered only together with encrypt-then-MAC.
        x.encrypt_then_mac = config
            .cipher_suites
            .iter()
            .any(|s| tls12_suite(*s).is_some_and(|s| s.is_cbc()));
    }
    x
}

fn key_share_entry(share: &dyn KxShare) -> KeyShareEntry {
    KeyShareEntry {
        group: share.group(),
        payload: share.public().to_vec(),
    }
}

/// The transcript before ServerHello: bytes until a HelloRetryRequest names
/// the hash.
enum HelloTranscript {
    Buffered(TranscriptBuffer),
    Hashed(Transcript),
}

impl HelloTranscript {
    fn into_hash(self, suite: &Tls13CipherSuite) -> Transcript {
        match self {
            Self::Buffered(b) => b.start_hash(suite.hash),
            Self::Hashed(t) => t,
        }
    }
}

/// Waiting for ServerHello (or HelloRetryRequest).
struct ExpectServerHello {
    cx: ClientContext,
    shares: Vec<Box<dyn KxShare>>,
    transcript: HelloTranscript,
    /// The suite a HelloRetryRequest chose, once one was received.
    retry: Option<&'static Tls13CipherSuite>,
    /// The ticket offered as a PSK, if any.
    resuming: Option<Resuming>,
}

/// A ticket offered as a PSK, with the early secret its binder was keyed
/// with (RFC 8446 §7.1): the key schedule goes on from it if the server
/// accepts, instead of extracting it again.
pub(super) struct Resuming {
    pub ticket: Tls13Ticket,
    pub early: EarlySecret,
}

impl Resuming {
    /// RFC 8446 §4.2.11: the PSK goes only with a suite of its own hash.
    fn fits(&self, suite: &Tls13CipherSuite) -> bool {
        self.early.suite().hash == suite.hash
    }
}

impl State for ExpectServerHello {
    fn handle(
        self: Box<Self>,
        cx: &mut CommonState,
        msg: Message,
    ) -> Result<Box<dyn State>, Error> {
        let msg = msg.into_handshake("ServerHello")?;
        match &msg.payload {
            // RFC 8446 §4.2.1: no supported_versions means TLS 1.2 or older.
            HandshakePayload::ServerHello(sh) if sh.extensions.supported_version.is_none() => {
                self.handle_tls12_hello(cx, sh, &msg)
            }
            HandshakePayload::ServerHello(sh) => self.handle_server_hello(cx, sh, &msg),
            HandshakePayload::HelloRetryRequest(hrr) => self.handle_retry(cx, hrr, &msg),
            _ => Err(inappropriate(&msg, "ServerHello")),
        }
    }
}

/// RFC 7301 §3.1: the server picks one of the protocols we offered.
pub(super) fn accept_alpn(
    config: &ClientConfig,
    common: &mut CommonState,
    chosen: Option<&Vec<u8>>,
) -> Result<(), Error> {
    if let Some(proto) = chosen {
        if !config.alpn_protocols.contains(proto) {
            return Err(PeerMisbehaved::SelectedUnofferedProtocol.into());
        }
        common.negotiated.alpn = Some(proto.clone());
    }
    Ok(())
}

/// Validates the server's chain with the configured verifier, tells the
/// observer the outcome, and records the chain (returned, shared).
pub(super) fn verify_server_chain(
    cx: &ClientContext,
    common: &mut CommonState,
    certs: &[CertificateDer<'static>],
) -> Result<CertificateChain, Error> {
    // RFC 8446 §4.4.2.4 / RFC 5246 §7.4.2: the server must send a certificate.
    let (end_entity, intermediates) = certs
        .split_first()
        .ok_or(PeerMisbehaved::EmptyCertificateList)?;
    let config = &cx.config;
    let result = config.verifier.verify_server_cert(
        end_entity,
        intermediates,
        &cx.server_name,
        config.time.now(),
    );
    common.observe(|| Event::PeerCertificates {
        chain: certs,
        result: result.as_ref().map(|_| ()),
    });
    result?;
    let chain = CertificateChain::from(certs);
    common.negotiated.peer_certificates = Some(chain.clone());
    Ok(chain)
}

/// RFC 8446 §4.2.8: the server's share must answer one of ours; the
/// shared secret comes from decapsulating it.
fn agree(
    cx: &CommonState,
    shares: Vec<Box<dyn KxShare>>,
    server_share: &KeyShareEntry,
) -> Result<Secret, Error> {
    let our_share = shares
        .into_iter()
        .find(|s| s.group() == server_share.group)
        .ok_or(PeerMisbehaved::SelectedUnofferedGroup)?;
    let group = our_share.group();
    let client_share_len = our_share.public().len();
    let shared_secret = our_share.decapsulate(&server_share.payload)?;
    cx.observe(|| {
        Event::KeyExchange(KeyExchangeKind::Agreed {
            group,
            client_share_len,
            server_share_len: server_share.payload.len(),
        })
    });
    Ok(shared_secret)
}

/// RFC 8446 §4.2.11: offers the ticket as a PSK — its identity with the
/// obfuscated age, and a binder (keyed from its early secret) over the
/// ClientHello up to the binders (after a HelloRetryRequest, `prior` is
/// the transcript before it).
fn offer_psk(
    mut hello: ClientHello,
    resuming: &Resuming,
    now: UnixTime,
    prior: Option<&Transcript>,
) -> Result<HandshakeMessage, Error> {
    let (ticket, early) = (&resuming.ticket, &resuming.early);
    let suite = early.suite();
    // RFC 8446 §4.2.11.1: milliseconds since the ticket arrived, plus age_add.
    let age_ms = now
        .as_secs()
        .saturating_sub(ticket.received.as_secs())
        .saturating_mul(1000);
    let obfuscated_age = (age_ms as u32).wrapping_add(ticket.age_add);
    let placeholder = vec![0u8; suite.hash.output_len()];
    let offer = OfferedPsks {
        identities: vec![(ticket.ticket.clone(), obfuscated_age)],
        binders: vec![placeholder],
    };
    let binders_len = offer.binders_len();
    hello.extensions.pre_shared_key = Some(offer);
    let mut msg = HandshakeMessage::build(HandshakePayload::ClientHello(hello));
    let truncated = &msg.encoding[..msg.encoding.len() - binders_len];
    let hash = match prior {
        Some(t) => t.hash_with(truncated),
        None => suite.hash.hash(truncated),
    };
    let binder = psk_binder(suite, early, &hash);
    msg.fill_psk_binder(binder)?;
    Ok(msg)
}

/// The suite to key a ticket's binder with: the ticket's own, if we still
/// offer it.
fn ticket_suite(config: &ClientConfig, ticket: &Tls13Ticket) -> Option<&'static Tls13CipherSuite> {
    config
        .cipher_suites
        .contains(&ticket.suite)
        .then(|| tls13_suite(ticket.suite))
        .flatten()
}

/// The largest HelloRetryRequest cookie we echo.
const MAX_COOKIE_LEN: usize = 16 * 1024;

/// RFC 8446 §4.2: which extensions each server message may carry.
const SERVER_HELLO_EXTENSIONS: &[ExtensionType] = &[
    ExtensionType::KeyShare,
    ExtensionType::PreSharedKey,
    ExtensionType::SupportedVersions,
];
const RETRY_EXTENSIONS: &[ExtensionType] = &[
    ExtensionType::KeyShare,
    ExtensionType::Cookie,
    ExtensionType::SupportedVersions,
];

/// RFC 8446 §4.2: a recognised extension in the wrong message is an
/// illegal_parameter; one we did not offer is an unsupported_extension.
pub(super) fn check_server_extensions(
    received: &[ExtensionType],
    offered: &ClientExtensions,
    allowed: &[ExtensionType],
) -> Result<(), Error> {
    for &typ in received {
        if typ.is_known() && !allowed.contains(&typ) {
            return Err(PeerMisbehaved::SentExtensionInWrongMessage(typ).into());
        }
        // RFC 8446 §4.1.4: a HelloRetryRequest may carry a cookie unasked.
        if !offered.contains(typ) && typ != ExtensionType::Cookie {
            return Err(PeerMisbehaved::SentUnsolicitedExtension(typ).into());
        }
    }
    Ok(())
}

impl ExpectServerHello {
    /// Checks shared by ServerHello and HelloRetryRequest (RFC 8446 §4.1.3,
    /// §4.1.4); returns the chosen suite.
    fn check_hello(&self, sh: &ServerHello) -> Result<&'static Tls13CipherSuite, Error> {
        // RFC 8446 §4.2.1: a TLS 1.3 server selects 0x0304 in
        // supported_versions; without it the server speaks TLS 1.2 or older.
        match sh.extensions.supported_version {
            None => return Err(PeerIncompatible::NoCommonVersion.into()),
            Some(ProtocolVersion::TLSv1_3) if self.cx.config.supports(ProtocolVersion::TLSv1_3) => {
            }
            Some(_) => return Err(PeerMisbehaved::SelectedUnofferedVersion.into()),
        }
        // RFC 8446 Appendix D.5: 0x0300 or lower → protocol_version.
        if sh.legacy_version.to_wire() < ProtocolVersion::TLSv1_0.to_wire() {
            return Err(PeerMisbehaved::LegacyVersionTooLow.into());
        }
        // RFC 8446 §4.1.3: legacy_version is 0x0303.
        if sh.legacy_version != ProtocolVersion::TLSv1_2 {
            return Err(PeerMisbehaved::SelectedUnofferedVersion.into());
        }
        // RFC 8446 §4.1.3: legacy_session_id_echo must match what we sent.
        if sh.session_id != self.cx.hello.session_id {
            return Err(PeerMisbehaved::WrongSessionIdEcho.into());
        }
        // RFC 8446 §4.1.3: legacy_compression_method is 0.
        if sh.compression_method != 0 {
            return Err(PeerMisbehaved::NonZeroCompression.into());
        }
        // RFC 8446 §4.1.3: a suite we did not offer → illegal_parameter.
        let suite = self
            .cx
            .hello
            .cipher_suites
            .contains(&sh.cipher_suite)
            .then(|| tls13_suite(sh.cipher_suite))
            .flatten()
            .ok_or(PeerMisbehaved::SelectedUnofferedCipherSuite)?;
        // RFC 8446 §4.1.4: ServerHello must keep the HelloRetryRequest's suite.
        if self.retry.is_some_and(|r| r.suite != suite.suite) {
            return Err(PeerMisbehaved::SelectedUnofferedCipherSuite.into());
        }
        Ok(suite)
    }

    /// A server that chose TLS 1.2 (RFC 5246 §7.4.1.3).
    fn handle_tls12_hello(
        self: Box<Self>,
        cx: &mut CommonState,
        sh: &ServerHello,
        msg: &HandshakeMessage,
    ) -> Result<Box<dyn State>, Error> {
        let offered = self.cx.config.supports(ProtocolVersion::TLSv1_2);
        let transcript = match self.transcript {
            // A HelloRetryRequest already committed the server to TLS 1.3.
            HelloTranscript::Hashed(_) => {
                return Err(PeerMisbehaved::SelectedUnofferedVersion.into())
            }
            HelloTranscript::Buffered(t) => t,
        };
        if !offered || sh.legacy_version != ProtocolVersion::TLSv1_2 {
            return Err(PeerIncompatible::NoCommonVersion.into());
        }
        tls12::handle_server_hello(self.cx, cx, sh, msg, transcript)
    }

    fn handle_server_hello(
        self: Box<Self>,
        cx: &mut CommonState,
        sh: &ServerHello,
        msg: &HandshakeMessage,
    ) -> Result<Box<dyn State>, Error> {
        let suite = self.check_hello(sh)?;
        check_server_extensions(
            &sh.extensions.received,
            &self.cx.hello.extensions,
            SERVER_HELLO_EXTENSIONS,
        )?;
        let sent_ccs = self.retry.is_some();
        let Self {
            cx: ccx,
            shares,
            transcript,
            resuming,
            ..
        } = *self;
        // RFC 8446 §4.2.11: the selected identity must be one we offered,
        // with the hash of the suite the server chose.
        let psk = match (sh.extensions.pre_shared_key, resuming) {
            (None, _) => None,
            (Some(0), Some(r)) if r.fits(suite) => Some(r),
            _ => return Err(PeerMisbehaved::SelectedInvalidPsk.into()),
        };
        cx.observe(|| Event::ServerRandom(&sh.random));
        let shared_secret = match &sh.extensions.key_share {
            Some(server_share) => Some(agree(cx, shares, server_share)?),
            // RFC 8446 §4.2.9: only psk_ke goes without a key share, and
            // only if we offered it.
            None if psk.is_some() && ccx.config.allow_psk_ke => None,
            None => return Err(PeerIncompatible::MissingExtension(ExtensionType::KeyShare).into()),
        };

        let mut transcript = transcript.into_hash(suite);
        transcript.add(msg);
        cx.negotiated.version = Some(ProtocolVersion::TLSv1_3);
        cx.negotiated.suite = Some(suite.suite);
        cx.negotiated.group = sh.extensions.key_share.as_ref().map(|s| s.group);
        tls13::after_server_hello(ccx, cx, suite, transcript, shared_secret, sent_ccs, psk)
    }

    fn handle_retry(
        self: Box<Self>,
        cx: &mut CommonState,
        hrr: &ServerHello,
        msg: &HandshakeMessage,
    ) -> Result<Box<dyn State>, Error> {
        // RFC 8446 §4.1.4: a second HelloRetryRequest → unexpected_message.
        if self.retry.is_some() {
            return Err(PeerMisbehaved::SecondHelloRetryRequest.into());
        }
        let suite = self.check_hello(hrr)?;
        check_server_extensions(
            &hrr.extensions.received,
            &self.cx.hello.extensions,
            RETRY_EXTENSIONS,
        )?;
        let ext: &ServerExtensions = &hrr.extensions;
        let offered_groups = self
            .cx
            .hello
            .extensions
            .supported_groups
            .as_deref()
            .unwrap_or_default();
        if let Some(group) = ext.selected_group {
            // RFC 8446 §4.1.4: the group must be one we support, and not one
            // we already sent a share for.
            if !offered_groups.contains(&group) {
                return Err(PeerMisbehaved::SelectedUnofferedGroup.into());
            }
            if self.shares.iter().any(|s| s.group() == group) {
                return Err(PeerMisbehaved::HelloRetryRequestForOfferedKeyShare.into());
            }
        }
        // RFC 8446 §4.1.4: an HRR that would not change the ClientHello.
        // RFC 8446 §4.2.2 lets a cookie take 2^16-1 bytes, more than an
        // extension can carry back; we echo cookies up to a sane size.
        if ext
            .cookie
            .as_ref()
            .is_some_and(|c| c.len() > MAX_COOKIE_LEN)
        {
            return Err(PeerMisbehaved::OversizedCookie.into());
        }
        if ext.selected_group.is_none() && ext.cookie.is_none() {
            return Err(PeerMisbehaved::HelloRetryRequestChangesNothing.into());
        }

        let Self {
            cx: mut ccx,
            mut shares,
            transcript,
            resuming,
            ..
        } = *self;
        let mut transcript = transcript.into_hash(suite).into_retry();
        transcript.add(msg);

        if let Some(group) = ext.selected_group {
            let g = kx::group(group).ok_or(PeerMisbehaved::SelectedUnofferedGroup)?;
            shares = vec![g.start()?];
        }
        // RFC 8446 §4.1.2: the second ClientHello is the first with the new
        // key share, the cookie, and no early_data.
        let x = &mut ccx.hello.extensions;
        x.key_shares = Some(shares.iter().map(|s| key_share_entry(s.as_ref())).collect());
        x.cookie = ext.cookie.clone();
        x.early_data = false;
        x.pre_shared_key = None;
        // RFC 8446 §4.1.2: a PSK is offered again (with a fresh binder) only
        // if its hash matches the suite the server chose.
        let resuming = resuming.filter(|r| r.fits(suite));
        let now = ccx.config.time.now();
        let hello = match &resuming {
            Some(r) => offer_psk(ccx.hello, r, now, Some(&transcript))?,
            None => HandshakeMessage::build(HandshakePayload::ClientHello(ccx.hello)),
        };
        transcript.add(&hello);
        // RFC 8446 Appendix D.4: the compatibility CCS goes before the
        // second ClientHello.
        cx.send_change_cipher_spec()?;
        cx.send_handshake(&hello);
        ccx.hello = hello.into_client_hello()?;
        cx.negotiated.version = Some(ProtocolVersion::TLSv1_3);
        Ok(Box::new(ExpectServerHello {
            cx: ccx,
            shares,
            transcript: HelloTranscript::Hashed(transcript),
            retry: Some(suite),
            resuming,
        }))
    }
}
