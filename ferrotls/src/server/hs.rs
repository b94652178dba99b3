//! The server reads ClientHello and chooses: version, cipher suite, key
//! exchange group (or asks again with HelloRetryRequest), certificate,
//! signature scheme and application protocol (RFC 8446 §4.1, §4.2).

use std::sync::Arc;

use rustls_pki_types::UnixTime;

use super::config::{CertifiedKey, ClientHelloInfo, ServerConfig};
use super::tls13::{self, Accepted, Authentication, Choices};
use crate::codec::Codec;
use crate::conn::{inappropriate, CommonState, Message, State};
use crate::crypto::ct_eq;
use crate::error::{Error, PeerIncompatible, PeerMisbehaved};
use crate::msgs::enums::{
    ExtensionType, NamedGroup, ProtocolVersion, PskKeyExchangeMode, SignatureScheme,
};
use crate::msgs::extensions::{KeyShareEntry, ServerExtensions};
use crate::msgs::handshake::{
    ClientHello, HandshakeMessage, HandshakePayload, ServerHello, HRR_RANDOM,
};
use crate::observe::Event;
use crate::session::{ServerSession, MAX_TICKET_LIFETIME};
use crate::suites::{tls13_suite, Tls13CipherSuite};
use crate::tls13::key_schedule::{psk_binder, EarlySecret};
use crate::transcript::Transcript;

/// PSK identities in one ClientHello we try.
const MAX_PSK_IDENTITIES: usize = 8;
/// How far the client's idea of a ticket's age may be from ours
/// (RFC 8446 §8.3: clock differences and round trips).
const MAX_TICKET_AGE_SKEW_MS: u64 = 10_000;

/// Key shares in one ClientHello we look at; more is refused.
const MAX_KEY_SHARES: usize = 16;

/// What a HelloRetryRequest asked for, to check the second ClientHello.
struct Retry {
    suite: &'static Tls13CipherSuite,
    group: NamedGroup,
    transcript: Transcript,
    random: [u8; 32],
    session_id: Vec<u8>,
}

pub(super) struct ExpectClientHello {
    config: Arc<ServerConfig>,
    retry: Option<Retry>,
}

impl ExpectClientHello {
    pub(super) fn new(config: Arc<ServerConfig>) -> Box<Self> {
        Box::new(Self {
            config,
            retry: None,
        })
    }
}

impl State for ExpectClientHello {
    fn handle(
        self: Box<Self>,
        common: &mut CommonState,
        msg: Message,
    ) -> Result<Box<dyn State>, Error> {
        let msg = msg.into_handshake("ClientHello")?;
        let HandshakePayload::ClientHello(hello) = &msg.payload else {
            return Err(inappropriate(&msg, "ClientHello"));
        };
        if !common.seen_client_hello {
            common.client_random = hello.random;
            common.observe(|| Event::ClientRandom(&hello.random));
        }
        common.seen_client_hello = true;
        (*self).handle_hello(common, hello, &msg)
    }
}

impl ExpectClientHello {
    fn handle_hello(
        self,
        common: &mut CommonState,
        hello: &ClientHello,
        msg: &HandshakeMessage,
    ) -> Result<Box<dyn State>, Error> {
        // RFC 8446 Appendix D.5: legacy_version 0x0300 or lower → protocol_version.
        if hello.legacy_version.to_wire() < ProtocolVersion::TLSv1_0.to_wire() {
            return Err(PeerMisbehaved::LegacyVersionTooLow.into());
        }
        if choose_version(&self.config, hello)? == ProtocolVersion::TLSv1_2 {
            // A second ClientHello must stay with TLS 1.3 (RFC 8446 §4.1.2).
            if self.retry.is_some() {
                return Err(PeerMisbehaved::ClientHelloChangedAfterRetry.into());
            }
            return super::tls12::handle_client_hello(&self.config, common, hello, msg);
        }
        common.negotiated.version = Some(ProtocolVersion::TLSv1_3);
        // RFC 8446 §4.1.2: TLS 1.3 ClientHellos carry exactly one
        // compression method, null.
        if hello.compression_methods != [0] {
            return Err(PeerMisbehaved::NonZeroCompression.into());
        }
        let suite = self.choose_suite(hello)?;
        let x = &hello.extensions;
        let (groups, shares) = match (&x.supported_groups, &x.key_shares) {
            (Some(g), Some(s)) => (g.as_slice(), s.as_slice()),
            // Only resumption without (EC)DHE can do without both.
            (None, None) => (&[][..], &[][..]),
            // RFC 8446 §9.2: each requires the other.
            _ => return Err(PeerIncompatible::KeyShareWithoutSupportedGroups.into()),
        };
        check_key_shares(groups, shares)?;
        let alpn = choose_protocol(&self.config, hello)?;
        if let Some(retry) = &self.retry {
            check_retry(retry, hello, suite)?;
        }
        let share = self
            .config
            .groups
            .iter()
            .find_map(|g| shares.iter().find(|s| s.group == *g));

        let prior = match &self.retry {
            Some(retry) => retry.transcript.clone(),
            None => Transcript::new(suite.hash),
        };
        let resumed = self.try_resume(hello, msg, suite, &prior, share.is_some())?;
        let auth = match resumed {
            Some(accepted) => Authentication::Resumed(accepted),
            None if share.is_none() => {
                // RFC 8446 §4.1.4: a mutual group without a share → HelloRetryRequest.
                let group = self
                    .config
                    .groups
                    .iter()
                    .copied()
                    .find(|g| groups.contains(g));
                let group = group.ok_or(match x.supported_groups {
                    // RFC 8446 §9.2: without a PSK, supported_groups is mandatory.
                    None => Error::from(PeerIncompatible::MissingExtension(
                        ExtensionType::SupportedGroups,
                    )),
                    Some(_) => PeerIncompatible::NoCommonGroup.into(),
                })?;
                return self.send_retry(common, hello, msg, suite, group);
            }
            None => {
                let (certified, scheme) = self.choose_certificate(hello)?;
                Authentication::Certificate { certified, scheme }
            }
        };

        let mut transcript = prior;
        transcript.add(msg);
        let choices = Choices {
            suite,
            share: share.cloned(),
            auth,
            alpn,
            server_name: x.server_name.clone(),
            session_id: hello.session_id.clone(),
            early_data_offered: x.early_data,
        };
        let sent_ccs = self.retry.is_some();
        tls13::emit_server_flight(&self.config, common, choices, transcript, sent_ccs)
    }

    /// RFC 8446 §4.2.11: looks for a PSK we issued among the client's
    /// identities. Tickets that do not open, are too old or belong to
    /// another hash are passed over (a full handshake follows); a binder
    /// that does not verify is fatal.
    fn try_resume(
        &self,
        hello: &ClientHello,
        msg: &HandshakeMessage,
        suite: &'static Tls13CipherSuite,
        prior: &Transcript,
        have_share: bool,
    ) -> Result<Option<Accepted>, Error> {
        let x = &hello.extensions;
        let Some(offered) = &x.pre_shared_key else {
            return Ok(None);
        };
        // RFC 8446 §4.2.9: a PSK offer needs psk_key_exchange_modes.
        let modes = x
            .psk_modes
            .as_deref()
            .ok_or(PeerIncompatible::MissingExtension(
                ExtensionType::PskKeyExchangeModes,
            ))?;
        let dhe = have_share && modes.contains(&PskKeyExchangeMode::PskDheKe);
        let psk_only = self.config.allow_psk_ke && modes.contains(&PskKeyExchangeMode::PskKe);
        if !dhe && !psk_only {
            return Ok(None);
        }
        // RFC 8446 §4.2.11: one binder per identity.
        if offered.identities.len() != offered.binders.len() {
            return Err(PeerMisbehaved::PskBindersMismatch.into());
        }
        let now = self.config.time.now();
        let truncated = &msg.encoding[..msg.encoding.len() - offered.binders_len()];
        let binder_hash = prior.hash_with(truncated);
        let identities = offered.identities.iter().zip(&offered.binders).enumerate();
        for (index, ((identity, obfuscated_age), binder)) in identities.take(MAX_PSK_IDENTITIES) {
            let Some(session) = self.open_ticket(identity, now) else {
                continue;
            };
            if !self.session_usable(&session, suite, *obfuscated_age, now) {
                continue;
            }
            // RFC 8446 §4.6.1, §4.2.11: a client offers a PSK only for the
            // server name it was made under; RFC 6066 §3 (sessions are not
            // resumed under another name). We hold the client to it: a PSK
            // made for another name (or none) is passed over.
            if session.server_name != x.server_name {
                continue;
            }
            let early = EarlySecret::new(suite, Some(session.secret.expose()));
            // RFC 8446 §4.2.11: the binder proves the client holds the PSK;
            // nothing else of the PSK is used before it verifies.
            if !ct_eq(&psk_binder(suite, &early, &binder_hash), binder) {
                return Err(PeerMisbehaved::BadPskBinder.into());
            }
            // RFC 8446 §8.1: a stored ticket is used once. It is taken only
            // now, so a ticket we pass over (another suite's hash) or one
            // replayed without its PSK (a bad binder) stays usable; two
            // handshakes racing for it: one gets it, the other passes.
            if !self.use_up_ticket(identity, now) {
                continue;
            }
            return Ok(Some(Accepted {
                index: index as u16,
                early,
                with_dhe: dhe,
                authenticated: session.authenticated,
            }));
        }
        Ok(None)
    }

    /// A ticket we sealed, or a single-use key into our store (left there
    /// until [`Self::use_up_ticket`]).
    fn open_ticket(&self, identity: &[u8], now: UnixTime) -> Option<ServerSession> {
        let bytes = match (&self.config.ticketer, &self.config.session_store) {
            (Some(ticketer), _) => ticketer.open(identity, now, self.config.session_lifetime)?,
            (None, Some(store)) => store.get(identity, now)?,
            (None, None) => return None,
        };
        ServerSession::read_exact(&bytes, "session").ok()
    }

    /// Removes a store's ticket as it is accepted: false if it is already
    /// gone (used meanwhile). Sealed tickets need nothing.
    fn use_up_ticket(&self, identity: &[u8], now: UnixTime) -> bool {
        match (&self.config.ticketer, &self.config.session_store) {
            (None, Some(store)) => store.take(identity, now).is_some(),
            _ => true,
        }
    }

    /// RFC 8446 §4.2.11, §4.6.1, §8.3: same version and hash, not older
    /// than our session lifetime (and 7 days), and a ticket age that
    /// matches how long ago we issued it.
    fn session_usable(
        &self,
        s: &ServerSession,
        suite: &Tls13CipherSuite,
        obfuscated_age: u32,
        now: UnixTime,
    ) -> bool {
        let same_hash = tls13_suite(s.suite).is_some_and(|t| t.hash == suite.hash);
        let lifetime = self.config.session_lifetime.min(MAX_TICKET_LIFETIME);
        let client_age_ms = u64::from(obfuscated_age.wrapping_sub(s.age_add));
        let server_age_ms = now.as_secs().saturating_sub(s.created) * 1000;
        s.version == ProtocolVersion::TLSv1_3
            && same_hash
            && !s.expired(now, lifetime)
            && client_age_ms.abs_diff(server_age_ms) <= MAX_TICKET_AGE_SKEW_MS
    }

    /// Our preference order decides among the suites the client offers.
    fn choose_suite(&self, hello: &ClientHello) -> Result<&'static Tls13CipherSuite, Error> {
        self.config
            .cipher_suites
            .iter()
            .filter_map(|s| tls13_suite(*s))
            .find(|s| hello.cipher_suites.contains(&s.suite))
            .ok_or_else(|| PeerIncompatible::NoCommonCipherSuite.into())
    }

    /// RFC 8446 §4.4.2.2: a certificate for the name, and a signature
    /// scheme the client accepts.
    fn choose_certificate(
        &self,
        hello: &ClientHello,
    ) -> Result<(Arc<CertifiedKey>, SignatureScheme), Error> {
        // RFC 8446 §9.2: without a PSK, signature_algorithms is mandatory.
        let schemes = hello.extensions.signature_algorithms.as_deref().ok_or(
            PeerIncompatible::MissingExtension(ExtensionType::SignatureAlgorithms),
        )?;
        let schemes: Vec<SignatureScheme> = schemes
            .iter()
            .copied()
            .filter(|s| s.usable_in_tls13())
            .collect();
        let info = ClientHelloInfo {
            server_name: hello.extensions.server_name.as_ref(),
            signature_schemes: &schemes,
            alpn: hello.extensions.alpn.as_deref(),
            cipher_suites: &hello.cipher_suites,
        };
        let certified = self
            .config
            .cert_resolver
            .resolve(&info)
            .ok_or(PeerIncompatible::NoCertificateForName)?;
        let scheme = certified
            .key
            .choose_scheme(&schemes)
            .ok_or(PeerIncompatible::NoCommonSignatureScheme)?;
        Ok((certified, scheme))
    }

    fn send_retry(
        self,
        common: &mut CommonState,
        hello: &ClientHello,
        msg: &HandshakeMessage,
        suite: &'static Tls13CipherSuite,
        group: NamedGroup,
    ) -> Result<Box<dyn State>, Error> {
        // RFC 8446 §4.1.4: at most one HelloRetryRequest; a second
        // ClientHello without the share we asked for is illegal.
        if self.retry.is_some() {
            return Err(PeerMisbehaved::WrongKeyShareAfterRetry.into());
        }
        let mut transcript = Transcript::new(suite.hash);
        transcript.add(msg);
        let mut transcript = transcript.into_retry();
        let retry = ServerHello {
            legacy_version: ProtocolVersion::TLSv1_2,
            random: HRR_RANDOM,
            session_id: hello.session_id.clone(),
            cipher_suite: suite.suite,
            compression_method: 0,
            extensions: ServerExtensions {
                supported_version: Some(ProtocolVersion::TLSv1_3),
                selected_group: Some(group),
                ..Default::default()
            },
        };
        let retry_msg = HandshakeMessage::build(HandshakePayload::HelloRetryRequest(retry));
        transcript.add(&retry_msg);
        common.send_handshake(&retry_msg);
        // RFC 8446 §4.2.10: 0-RTT data the client sent with this hello
        // arrives before the next one; it is skipped.
        if hello.extensions.early_data {
            common.skip_undecryptable(super::tls13::MAX_SKIPPED_EARLY_DATA);
        }
        // RFC 8446 Appendix D.4: the compatibility CCS follows our first
        // handshake message when the client sent a session ID.
        if !hello.session_id.is_empty() {
            common.send_change_cipher_spec()?;
        }
        let retry = Retry {
            suite,
            group,
            transcript,
            random: hello.random,
            session_id: hello.session_id.clone(),
        };
        Ok(Box::new(Self {
            config: self.config,
            retry: Some(retry),
        }))
    }
}

/// RFC 7301 §3.2: our most preferred protocol that the client also
/// offers; none in common → no_application_protocol.
pub(super) fn choose_protocol(
    config: &ServerConfig,
    hello: &ClientHello,
) -> Result<Option<Vec<u8>>, Error> {
    match &hello.extensions.alpn {
        Some(offered) if !config.alpn_protocols.is_empty() => config
            .alpn_protocols
            .iter()
            .find(|p| offered.contains(p))
            .cloned()
            .map(Some)
            .ok_or(Error::NoApplicationProtocol),
        _ => Ok(None),
    }
}

/// RFC 8446 §4.2.1: TLS 1.3 is chosen through supported_versions only;
/// RFC 5246 §E.1: without it, legacy_version is the client's highest.
fn choose_version(config: &ServerConfig, hello: &ClientHello) -> Result<ProtocolVersion, Error> {
    let offered = hello.extensions.supported_versions.as_deref();
    let offers = |v: ProtocolVersion| match offered {
        Some(list) => list.contains(&v),
        None => {
            v == ProtocolVersion::TLSv1_2
                && hello.legacy_version.to_wire() >= ProtocolVersion::TLSv1_2.to_wire()
        }
    };
    [ProtocolVersion::TLSv1_3, ProtocolVersion::TLSv1_2]
        .into_iter()
        .find(|v| config.supports(*v) && offers(*v))
        .ok_or_else(|| PeerIncompatible::NoCommonVersion.into())
}

/// RFC 8446 §4.2.8: shares only for groups in supported_groups, at most
/// one per group.
fn check_key_shares(groups: &[NamedGroup], shares: &[KeyShareEntry]) -> Result<(), Error> {
    if shares.len() > MAX_KEY_SHARES {
        return Err(PeerMisbehaved::TooManyKeyShares.into());
    }
    for (i, share) in shares.iter().enumerate() {
        if !groups.contains(&share.group) {
            return Err(PeerMisbehaved::KeyShareForUnsupportedGroup.into());
        }
        if shares[..i].iter().any(|s| s.group == share.group) {
            return Err(PeerMisbehaved::DuplicateKeyShare.into());
        }
    }
    Ok(())
}

/// RFC 8446 §4.1.2: the second ClientHello repeats the first except for
/// the key share (now exactly the group we asked for), the cookie, and
/// early_data, which it must no longer carry.
fn check_retry(retry: &Retry, hello: &ClientHello, suite: &Tls13CipherSuite) -> Result<(), Error> {
    if hello.random != retry.random
        || hello.session_id != retry.session_id
        || suite.suite != retry.suite.suite
        || hello.extensions.early_data
    {
        return Err(PeerMisbehaved::ClientHelloChangedAfterRetry.into());
    }
    match hello.extensions.key_shares.as_deref() {
        Some([share]) if share.group == retry.group => Ok(()),
        _ => Err(PeerMisbehaved::WrongKeyShareAfterRetry.into()),
    }
}
