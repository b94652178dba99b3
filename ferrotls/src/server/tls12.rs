//! The server's TLS 1.2 handshake (RFC 5246 §7.3): ServerHello,
//! Certificate, ServerKeyExchange (ECDHE), ServerHelloDone; then the
//! client's ClientKeyExchange, ChangeCipherSpec and Finished; then ours.

use std::sync::Arc;
use std::time::Duration;

use rustls_pki_types::{DnsName, UnixTime};

use super::config::{CertifiedKey, ClientHelloInfo, ServerConfig};
use super::forget_stored_on_failure;
use crate::codec::{Codec, LengthPrefix, Reader};
use crate::conn::{expect_finished, inappropriate, CommonState, Message, Side, State};
use crate::crypto::hash::Digest;
use crate::crypto::kx::{self, KxShare};
use crate::crypto::rsa_kx::{RsaPremasterKey, PREMASTER_LEN};
use crate::error::{Error, InvalidMessage, PeerIncompatible, PeerMisbehaved};
use crate::msgs::enums::{CipherSuite, NamedGroup, ProtocolVersion, SignatureScheme};
use crate::msgs::extensions::ServerExtensions;
use crate::msgs::handshake::NewSessionTicket12;
use crate::msgs::handshake::{
    ClientHello, DigitallySigned, EcdheParams, HandshakeMessage, HandshakePayload, ServerHello,
    ServerKeyExchange,
};
use crate::observe::{Event, KeyExchangeKind, SecretKind};
use crate::record::protect::RecordEncrypter;
use crate::session::ServerSession;
use crate::suites::{tls12_suite, Authentication12, KeyExchange12, Tls12CipherSuite};
use crate::tls12::key_schedule::{
    MasterSecret12, MasterSecretSeed, CLIENT_FINISHED_LABEL, SERVER_FINISHED_LABEL,
};
use crate::tls12::{
    DirectionalProtection, ExpectChangeCipherSpec, Traffic12, DOWNGRADE_SENTINEL_TLS12,
};
use crate::transcript::Transcript;

/// What the server chose for a TLS 1.2 connection.
struct Choice {
    suite: &'static Tls12CipherSuite,
    /// For ECDHE: the group and the signature scheme for ServerKeyExchange.
    ecdhe: Option<(NamedGroup, SignatureScheme)>,
}

/// The schemes of the client's list that fit a suite's certificate type.
fn schemes_for(auth: Authentication12, offered: &[SignatureScheme]) -> Vec<SignatureScheme> {
    offered
        .iter()
        .copied()
        .filter(|s| auth.allows(*s))
        .collect()
}

pub(super) fn handle_client_hello(
    config: &Arc<ServerConfig>,
    common: &mut CommonState,
    hello: &ClientHello,
    msg: &HandshakeMessage,
) -> Result<Box<dyn State>, Error> {
    common.negotiated.version = Some(ProtocolVersion::TLSv1_2);
    check_client_hello(config, hello)?;
    // RFC 7627 §5.2: we use it whenever the client offers it (a session
    // resumes only with the same choice).
    common.negotiated.extended_master_secret = hello.extensions.extended_master_secret;
    let alpn = super::hs::choose_protocol(config, hello)?;
    let hs = Hello12 {
        config: config.clone(),
        hello,
        msg,
        alpn,
        random: server_random(config, common)?,
    };
    match find_session(config, hello)? {
        Some((session, suite)) => hs.resume(common, session, suite),
        None => hs.full_handshake(common),
    }
}

/// Rules every TLS 1.2 ClientHello must follow before anything is chosen.
fn check_client_hello(config: &ServerConfig, hello: &ClientHello) -> Result<(), Error> {
    let x = &hello.extensions;
    // RFC 5246 §7.4.1.2: the null compression method is always offered.
    if !hello.compression_methods.contains(&0) {
        return Err(PeerMisbehaved::NonZeroCompression.into());
    }
    // RFC 7507 §3: a client falling back while we speak a higher version.
    if hello
        .cipher_suites
        .contains(&CipherSuite::TLS_FALLBACK_SCSV)
        && config.supports(ProtocolVersion::TLSv1_3)
    {
        return Err(PeerMisbehaved::InappropriateFallback.into());
    }
    // RFC 5746 §3.6: an initial ClientHello's renegotiation_info is empty.
    if x.renegotiation_info
        .as_ref()
        .is_some_and(|ri| !ri.is_empty())
    {
        return Err(PeerMisbehaved::RenegotiationInfoNotEmpty.into());
    }
    // RFC 7627 §5.2: a server may refuse clients without extended master secret.
    if !x.extended_master_secret && config.require_extended_master_secret {
        return Err(PeerIncompatible::ExtendedMasterSecretRequired.into());
    }
    // RFC 8422 §5.1.2: uncompressed points must be acceptable to the client.
    if x.ec_point_formats.as_ref().is_some_and(|f| !f.contains(&0)) {
        return Err(PeerMisbehaved::MissingUncompressedPointFormat.into());
    }
    Ok(())
}

/// Our random; RFC 8446 §4.1.3: a TLS 1.3 server negotiating TLS 1.2 says
/// so in its last eight bytes.
fn server_random(config: &ServerConfig, common: &CommonState) -> Result<[u8; 32], Error> {
    let mut random = [0u8; 32];
    config.random.fill(&mut random)?;
    if config.supports(ProtocolVersion::TLSv1_3) {
        random[24..].copy_from_slice(&DOWNGRADE_SENTINEL_TLS12);
    }
    common.observe(|| Event::ServerRandom(&random));
    Ok(random)
}

/// A session the client offered — by RFC 5077 ticket or by session ID —
/// that we can resume.
fn find_session(
    config: &ServerConfig,
    hello: &ClientHello,
) -> Result<Option<(ServerSession, &'static Tls12CipherSuite)>, Error> {
    let x = &hello.extensions;
    let now = config.time.now();
    let stored = match (x.session_ticket.as_deref(), &config.ticketer) {
        (Some(ticket), Some(ticketer)) if !ticket.is_empty() => {
            ticketer.open(ticket, now, config.session_lifetime)
        }
        _ if !hello.session_id.is_empty() => config
            .session_store
            .as_ref()
            .and_then(|s| s.get(&hello.session_id, now)),
        _ => None,
    };
    let Some(session) = stored.and_then(|b| ServerSession::read_exact(&b, "session").ok()) else {
        return Ok(None);
    };
    let Some(suite) = tls12_suite(session.suite) else {
        return Ok(None);
    };
    // RFC 6066 §3: a session made under another server_name (or under
    // none, or with one when none is sent now) is not resumed: a full
    // handshake, with the certificate for the name now asked for.
    // RFC 5246 §7.4.1.2: the client must still offer the session's suite.
    let usable = session.version == ProtocolVersion::TLSv1_2
        && session.server_name == x.server_name
        && !session.expired(now, config.session_lifetime)
        && hello.cipher_suites.contains(&suite.suite)
        && config.cipher_suites.contains(&suite.suite)
        && (!suite.is_cbc() || x.encrypt_then_mac);
    if !usable {
        return Ok(None);
    }
    // RFC 7627 §5.3: a session with an extended master secret is resumed
    // only by a client still offering it (else abort); one without it is
    // not resumed by a client that offers it (full handshake instead).
    match (session.extended_master_secret, x.extended_master_secret) {
        (true, false) => Err(PeerIncompatible::ExtendedMasterSecretRequired.into()),
        (false, true) => Ok(None),
        _ => Ok(Some((session, suite))),
    }
}

/// What both kinds of TLS 1.2 handshake share on the server.
struct Hello12<'a> {
    config: Arc<ServerConfig>,
    hello: &'a ClientHello,
    msg: &'a HandshakeMessage,
    alpn: Option<Vec<u8>>,
    random: [u8; 32],
}

impl Hello12<'_> {
    /// RFC 5077 §3.2: the client asked for a ticket, and we issue them.
    fn issue_ticket(&self) -> bool {
        self.hello.extensions.session_ticket.is_some()
            && self.config.ticketer.is_some()
            && self.config.ticket_count > 0
    }

    fn server_hello(
        &self,
        session_id: Vec<u8>,
        suite: &Tls12CipherSuite,
        ems: bool,
        ecdhe: bool,
        resuming: bool,
    ) -> ServerHello {
        let x = &self.hello.extensions;
        // RFC 5746 §3.6: echo an empty renegotiation_info if the client signalled.
        let secure_renegotiation = x.renegotiation_info.is_some()
            || self
                .hello
                .cipher_suites
                .contains(&CipherSuite::TLS_EMPTY_RENEGOTIATION_INFO_SCSV);
        let extensions = ServerExtensions {
            renegotiation_info: secure_renegotiation.then(Vec::new),
            extended_master_secret: ems,
            encrypt_then_mac: suite.is_cbc(),
            ec_point_formats: (ecdhe && x.ec_point_formats.is_some()).then(|| vec![0]),
            alpn: self.alpn.clone(),
            // RFC 6066 §3: an empty server_name says we used the name;
            // "when resuming a session, the server MUST NOT include" one.
            server_name_ack: x.server_name.is_some() && !resuming,
            session_ticket_ack: self.issue_ticket(),
            ..Default::default()
        };
        ServerHello {
            legacy_version: ProtocolVersion::TLSv1_2,
            random: self.random,
            session_id,
            cipher_suite: suite.suite,
            compression_method: 0,
            extensions,
        }
    }

    fn record_negotiated(&self, common: &mut CommonState, suite: &Tls12CipherSuite) {
        let n = &mut common.negotiated;
        n.suite = Some(suite.suite);
        n.alpn = self.alpn.clone();
        n.server_name = self.hello.extensions.server_name.clone();
    }

    /// RFC 5246 §7.3 abbreviated handshake: ServerHello (echoing the
    /// session ID), [NewSessionTicket], ChangeCipherSpec, Finished — keys
    /// from the stored master secret and the new randoms.
    fn resume(
        self,
        common: &mut CommonState,
        session: ServerSession,
        suite: &'static Tls12CipherSuite,
    ) -> Result<Box<dyn State>, Error> {
        let hello = self.server_hello(
            self.hello.session_id.clone(),
            suite,
            session.extended_master_secret,
            false,
            true,
        );
        let mut transcript = Transcript::new(suite.hash);
        transcript.add(self.msg);
        send(
            common,
            &mut transcript,
            HandshakePayload::ServerHello(hello),
        );
        let master = MasterSecret12::from_stored(suite, session.secret.clone());
        common.secret(SecretKind::MasterSecret, master.secret());
        forget_stored_on_failure(common, &self.config, &self.hello.session_id);
        // RFC 5077 §3.3: a renewed ticket for the same session. It keeps
        // the session's creation time: session_lifetime counts from the
        // full handshake that made the master secret, so resuming at least
        // once per lifetime cannot keep one master secret forever.
        if self.issue_ticket() {
            send_ticket(&self.config, common, &mut transcript, &session)?;
        }
        let keys = master.session_keys(&self.hello.random, &self.random);
        let protection = DirectionalProtection::new(suite, &keys, Side::Server)?;
        common.send_change_cipher_spec()?;
        common.set_encrypter(protection.encrypter)?;
        let verify_data = master.verify_data(SERVER_FINISHED_LABEL, &transcript.current());
        send(
            common,
            &mut transcript,
            HandshakePayload::Finished(verify_data),
        );
        self.record_negotiated(common, suite);
        common.negotiated.resumed = true;
        let next = Box::new(ExpectResumedFinished { transcript, master });
        Ok(Box::new(ExpectChangeCipherSpec {
            decrypter: protection.decrypter,
            next,
        }))
    }

    /// RFC 5246 §7.3 full handshake: ServerHello, Certificate,
    /// ServerKeyExchange (ECDHE), ServerHelloDone.
    fn full_handshake(self, common: &mut CommonState) -> Result<Box<dyn State>, Error> {
        let (config, hello, x) = (&self.config, self.hello, &self.hello.extensions);
        let schemes = x.signature_algorithms.clone().unwrap_or_default();
        let info = ClientHelloInfo {
            server_name: x.server_name.as_ref(),
            signature_schemes: &schemes,
            alpn: x.alpn.as_deref(),
            cipher_suites: &hello.cipher_suites,
        };
        let certified = config
            .cert_resolver
            .resolve(&info)
            .ok_or(PeerIncompatible::NoCertificateForName)?;
        let choice = choose_suite(config, hello, &certified, &schemes)?;
        let suite = choice.suite;
        // A session ID lets the client resume from our store.
        let mut session_id = vec![
            0u8;
            if config.session_store.is_some() {
                32
            } else {
                0
            }
        ];
        config.random.fill(&mut session_id)?;
        let server_hello = self.server_hello(
            session_id.clone(),
            suite,
            x.extended_master_secret,
            choice.ecdhe.is_some(),
            false,
        );

        let mut transcript = Transcript::new(suite.hash);
        transcript.add(self.msg);
        send(
            common,
            &mut transcript,
            HandshakePayload::ServerHello(server_hello),
        );
        send(
            common,
            &mut transcript,
            HandshakePayload::Certificate12(certified.chain.clone()),
        );
        let kx = match choice.ecdhe {
            Some((group, scheme)) => {
                let group_impl =
                    kx::group(group).ok_or(Error::Internal("configured group not implemented"))?;
                let share = group_impl.start()?;
                let params = EcdheParams {
                    group,
                    public: share.public().to_vec(),
                };
                // RFC 8422 §5.4: signed over client_random ‖ server_random ‖ params.
                let mut signed = hello.random.to_vec();
                signed.extend_from_slice(&self.random);
                signed.extend_from_slice(&params.to_bytes());
                let signature = certified.key.sign(scheme, &signed)?;
                let ske = ServerKeyExchange {
                    params,
                    signed: DigitallySigned { scheme, signature },
                };
                send(
                    common,
                    &mut transcript,
                    HandshakePayload::ServerKeyExchange(ske),
                );
                common.negotiated.group = Some(group);
                common.negotiated.signature_scheme = Some(scheme);
                KeyExchange::Ecdhe(share)
            }
            None => {
                let key = certified
                    .rsa_decrypter
                    .clone()
                    .ok_or(Error::Internal("RSA suite without RSA key"))?;
                let mut fallback = [0u8; PREMASTER_LEN];
                config.random.fill(&mut fallback)?;
                KeyExchange::Rsa { key, fallback }
            }
        };
        send(common, &mut transcript, HandshakePayload::ServerHelloDone);
        self.record_negotiated(common, suite);
        Ok(Box::new(ExpectClientKeyExchange {
            session: NewSession {
                config: self.config.clone(),
                session_id,
                issue_ticket: self.issue_ticket(),
                alpn: self.alpn.clone(),
                server_name: x.server_name.clone(),
            },
            suite,
            transcript,
            client_random: hello.random,
            server_random: self.random,
            client_version: hello.legacy_version,
            extended_master_secret: x.extended_master_secret,
            kx,
        }))
    }
}

/// What a full handshake needs to make its session resumable.
struct NewSession {
    config: Arc<ServerConfig>,
    session_id: Vec<u8>,
    issue_ticket: bool,
    alpn: Option<Vec<u8>>,
    server_name: Option<DnsName<'static>>,
}

impl NewSession {
    /// Stores the session under its ID, and (RFC 5077 §3.3) sends a
    /// ticket sealing it, before our ChangeCipherSpec.
    fn save(
        &self,
        common: &mut CommonState,
        transcript: &mut Transcript,
        suite: &Tls12CipherSuite,
        master: &MasterSecret12,
        extended_master_secret: bool,
    ) -> Result<(), Error> {
        let now = self.config.time.now();
        let session = ServerSession {
            version: ProtocolVersion::TLSv1_2,
            suite: suite.suite,
            secret: master.secret().clone(),
            created: now.as_secs(),
            authenticated: now.as_secs(),
            age_add: 0,
            extended_master_secret,
            alpn: self.alpn.clone(),
            server_name: self.server_name.clone(),
        };
        if let (Some(store), false) = (&self.config.session_store, self.session_id.is_empty()) {
            let expires = UnixTime::since_unix_epoch(
                Duration::from_secs(now.as_secs()).saturating_add(self.config.session_lifetime),
            );
            store.put(self.session_id.clone(), session.to_bytes(), expires);
            forget_stored_on_failure(common, &self.config, &self.session_id);
        }
        if self.issue_ticket {
            send_ticket(&self.config, common, transcript, &session)?;
        }
        Ok(())
    }
}

/// RFC 5077 §3.3: NewSessionTicket with the session sealed inside.
fn send_ticket(
    config: &ServerConfig,
    common: &mut CommonState,
    transcript: &mut Transcript,
    session: &ServerSession,
) -> Result<(), Error> {
    let Some(ticketer) = &config.ticketer else {
        return Ok(());
    };
    let now = config.time.now();
    let ticket = ticketer.seal(&session.to_bytes(), now, config.session_lifetime)?;
    // RFC 5077 §3.3: the hint is what is left of the session's lifetime
    // (all of it for a new session, less for a renewed ticket).
    let left = session.lifetime_left(now, config.session_lifetime);
    let lifetime_hint = left.as_secs().min(u64::from(u32::MAX)) as u32;
    send(
        common,
        transcript,
        HandshakePayload::NewSessionTicket12(NewSessionTicket12 {
            lifetime_hint,
            ticket,
        }),
    );
    Ok(())
}

/// The abbreviated handshake's last message: the client's Finished.
struct ExpectResumedFinished {
    transcript: Transcript,
    master: MasterSecret12,
}

impl State for ExpectResumedFinished {
    fn handle(
        self: Box<Self>,
        common: &mut CommonState,
        msg: Message,
    ) -> Result<Box<dyn State>, Error> {
        let expected = self
            .master
            .verify_data(CLIENT_FINISHED_LABEL, &self.transcript.current());
        expect_finished(common, msg, Side::Client, &expected)?;
        common.start_traffic()?;
        Ok(Box::new(Traffic12::new(Side::Server)))
    }
}

/// Our preference decides, among suites the client offered that our
/// certificate can serve.
fn choose_suite(
    config: &ServerConfig,
    hello: &ClientHello,
    certified: &CertifiedKey,
    schemes: &[SignatureScheme],
) -> Result<Choice, Error> {
    let x = &hello.extensions;
    let client_groups = x.supported_groups.as_deref();
    // RFC 8422 §4: without supported_groups, any curve will do.
    let group = config
        .groups
        .iter()
        .copied()
        .filter(|g| *g != NamedGroup::X25519MLKEM768)
        .find(|g| client_groups.is_none_or(|cg| cg.contains(g)));
    for suite in config.cipher_suites.iter().filter_map(|s| tls12_suite(*s)) {
        if !hello.cipher_suites.contains(&suite.suite) {
            continue;
        }
        // RFC 7366: CBC only with encrypt-then-MAC, which removes the
        // padding oracle.
        if suite.is_cbc() && !x.encrypt_then_mac {
            continue;
        }
        match suite.kx {
            KeyExchange12::Ecdhe => {
                let scheme = certified
                    .key
                    .choose_scheme(&schemes_for(suite.auth, schemes))
                    .filter(|s| certificate_curve_offered(*s, client_groups));
                if let (Some(group), Some(scheme)) = (group, scheme) {
                    return Ok(Choice {
                        suite,
                        ecdhe: Some((group, scheme)),
                    });
                }
            }
            KeyExchange12::Rsa if certified.rsa_decrypter.is_some() => {
                return Ok(Choice { suite, ecdhe: None })
            }
            KeyExchange12::Rsa => {}
        }
    }
    Err(PeerIncompatible::NoCommonCipherSuite.into())
}

/// RFC 8422 §4: a client's supported_groups also bounds the curve of our
/// ECDSA certificate; we must not negotiate an ECC suite the client would
/// then abort over our key. Our ECDSA keys sign with the one scheme of
/// their curve, so the scheme names the curve.
fn certificate_curve_offered(
    scheme: SignatureScheme,
    client_groups: Option<&[NamedGroup]>,
) -> bool {
    let curve = match scheme {
        SignatureScheme::ECDSA_NISTP256_SHA256 => NamedGroup::secp256r1,
        SignatureScheme::ECDSA_NISTP384_SHA384 => NamedGroup::secp384r1,
        _ => return true,
    };
    client_groups.is_none_or(|cg| cg.contains(&curve))
}

fn send(common: &mut CommonState, transcript: &mut Transcript, payload: HandshakePayload) {
    let msg = HandshakeMessage::build(payload);
    transcript.add(&msg);
    common.send_handshake(&msg);
}

/// How this connection makes its pre-master secret.
enum KeyExchange {
    Ecdhe(Box<dyn KxShare>),
    /// RFC 5246 §7.4.7.1: `fallback` is the random pre-master secret used
    /// if decryption fails, drawn before any decryption happens.
    Rsa {
        key: Arc<RsaPremasterKey>,
        fallback: [u8; PREMASTER_LEN],
    },
}

/// RFC 8422 §5.7 ClientECDiffieHellmanPublic: point<1..2^8-1>.
fn read_client_point(body: &[u8]) -> Result<Vec<u8>, Error> {
    let mut r = Reader::new(body);
    let point = r.opaque(LengthPrefix::U8)?;
    r.expect_empty("ClientKeyExchange")?;
    if point.is_empty() {
        return Err(InvalidMessage::EmptyList("ECPoint").into());
    }
    Ok(point)
}

/// RFC 5246 §7.4.7.1 EncryptedPreMasterSecret: opaque<0..2^16-1>.
fn read_encrypted_premaster(body: &[u8]) -> Result<Vec<u8>, Error> {
    let mut r = Reader::new(body);
    let ciphertext = r.opaque(LengthPrefix::U16)?;
    r.expect_empty("ClientKeyExchange")?;
    Ok(ciphertext)
}

struct ExpectClientKeyExchange {
    session: NewSession,
    suite: &'static Tls12CipherSuite,
    transcript: Transcript,
    client_random: [u8; 32],
    server_random: [u8; 32],
    client_version: ProtocolVersion,
    extended_master_secret: bool,
    kx: KeyExchange,
}

impl State for ExpectClientKeyExchange {
    fn handle(
        self: Box<Self>,
        common: &mut CommonState,
        msg: Message,
    ) -> Result<Box<dyn State>, Error> {
        let Self {
            session,
            suite,
            mut transcript,
            client_random,
            server_random,
            client_version,
            extended_master_secret,
            kx,
        } = *self;
        let msg = msg.into_handshake("ClientKeyExchange")?;
        let HandshakePayload::ClientKeyExchange(body) = &msg.payload else {
            return Err(inappropriate(&msg, "ClientKeyExchange"));
        };
        let (premaster, kind) = match kx {
            KeyExchange::Ecdhe(share) => {
                let point = read_client_point(body)?;
                let kind = KeyExchangeKind::Agreed {
                    group: share.group(),
                    client_share_len: point.len(),
                    server_share_len: share.public().len(),
                };
                (share.decapsulate(&point)?, kind)
            }
            // The countermeasure: whatever is wrong inside, no error here.
            KeyExchange::Rsa { key, fallback } => {
                let ciphertext = read_encrypted_premaster(body)?;
                let kind = KeyExchangeKind::RsaTransported {
                    ciphertext_len: ciphertext.len(),
                };
                (
                    key.decrypt_premaster(&ciphertext, client_version.to_wire(), fallback),
                    kind,
                )
            }
        };
        common.observe(|| Event::KeyExchange(kind));
        common.secret(SecretKind::PreMasterSecret, &premaster);
        transcript.add(&msg);

        // RFC 7627 §4: the session hash covers the transcript through
        // ClientKeyExchange.
        let session_hash = transcript.current();
        let seed = match extended_master_secret {
            true => MasterSecretSeed::SessionHash(&session_hash),
            false => MasterSecretSeed::Randoms {
                client: &client_random,
                server: &server_random,
            },
        };
        let master = MasterSecret12::derive(suite, &premaster, seed);
        common.secret(SecretKind::MasterSecret, master.secret());
        let keys = master.session_keys(&client_random, &server_random);
        if common.observing_secrets() {
            common.observe(|| Event::SessionKeys(&keys));
        }
        let protection = DirectionalProtection::new(suite, &keys, Side::Server)?;
        let next = Box::new(ExpectFinished {
            session,
            suite,
            extended_master_secret,
            transcript,
            through_client_key_exchange: session_hash,
            master,
            encrypter: protection.encrypter,
        });
        Ok(Box::new(ExpectChangeCipherSpec {
            decrypter: protection.decrypter,
            next,
        }))
    }
}

struct ExpectFinished {
    session: NewSession,
    suite: &'static Tls12CipherSuite,
    extended_master_secret: bool,
    transcript: Transcript,
    /// What the client's Finished covers (RFC 5246 §7.4.9; we ask for no
    /// client certificate, so no CertificateVerify comes in between).
    through_client_key_exchange: Digest,
    master: MasterSecret12,
    encrypter: Box<dyn RecordEncrypter>,
}

impl State for ExpectFinished {
    fn handle(
        self: Box<Self>,
        common: &mut CommonState,
        msg: Message,
    ) -> Result<Box<dyn State>, Error> {
        let Self {
            session,
            suite,
            extended_master_secret,
            mut transcript,
            through_client_key_exchange,
            master,
            encrypter,
        } = *self;
        let expected = master.verify_data(CLIENT_FINISHED_LABEL, &through_client_key_exchange);
        let msg = expect_finished(common, msg, Side::Client, &expected)?;
        transcript.add(&msg);
        session.save(
            common,
            &mut transcript,
            suite,
            &master,
            extended_master_secret,
        )?;
        common.send_change_cipher_spec()?;
        common.set_encrypter(encrypter)?;
        let verify_data = master.verify_data(SERVER_FINISHED_LABEL, &transcript.current());
        send(
            common,
            &mut transcript,
            HandshakePayload::Finished(verify_data),
        );
        common.start_traffic()?;
        Ok(Box::new(Traffic12::new(Side::Server)))
    }
}
