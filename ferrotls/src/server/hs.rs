//! The server reads ClientHello and chooses: version, cipher suite, key
//! exchange group (or asks again with HelloRetryRequest), certificate,
//! signature scheme and application protocol (RFC 8446 §4.1, §4.2).

use std::sync::Arc;

use super::config::{CertifiedKey, ClientHelloInfo, ServerConfig};
use super::tls13::{self, Choices};
use crate::conn::{inappropriate, CommonState, Message, State};
use crate::error::{Error, PeerIncompatible, PeerMisbehaved};
use crate::msgs::enums::{ExtensionType, NamedGroup, ProtocolVersion, SignatureScheme};
use crate::msgs::extensions::{KeyShareEntry, ServerExtensions};
use crate::msgs::handshake::{
    ClientHello, HandshakeMessage, HandshakePayload, ServerHello, HRR_RANDOM,
};
use crate::observe::Event;
use crate::suites::{tls13_suite, Tls13CipherSuite};
use crate::transcript::Transcript;

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
        // RFC 8446 §9.2: without a PSK, these are mandatory.
        let schemes =
            x.signature_algorithms
                .as_deref()
                .ok_or(PeerIncompatible::MissingExtension(
                    ExtensionType::SignatureAlgorithms,
                ))?;
        let (groups, shares) = match (&x.supported_groups, &x.key_shares) {
            (Some(g), Some(s)) => (g.as_slice(), s.as_slice()),
            (None, None) => {
                return Err(
                    PeerIncompatible::MissingExtension(ExtensionType::SupportedGroups).into(),
                )
            }
            _ => return Err(PeerIncompatible::KeyShareWithoutSupportedGroups.into()),
        };
        check_key_shares(groups, shares)?;

        let schemes: Vec<SignatureScheme> = schemes
            .iter()
            .copied()
            .filter(|s| s.usable_in_tls13())
            .collect();
        let (certified, scheme) = self.choose_certificate(hello, &schemes)?;
        let alpn = choose_protocol(&self.config, hello)?;

        if let Some(retry) = &self.retry {
            check_retry(retry, hello, suite)?;
        }
        let share = self
            .config
            .groups
            .iter()
            .find_map(|g| shares.iter().find(|s| s.group == *g));
        let Some(share) = share else {
            // RFC 8446 §4.1.4: a mutual group without a share → HelloRetryRequest.
            let group = self
                .config
                .groups
                .iter()
                .copied()
                .find(|g| groups.contains(g))
                .ok_or(PeerIncompatible::NoCommonGroup)?;
            return self.send_retry(common, hello, msg, suite, group);
        };

        let (mut transcript, sent_ccs) = match self.retry {
            Some(retry) => (retry.transcript, true),
            None => (Transcript::new(suite.hash), false),
        };
        transcript.add(msg);
        let choices = Choices {
            suite,
            share: share.clone(),
            certified,
            scheme,
            alpn,
            server_name: x.server_name.clone(),
            session_id: hello.session_id.clone(),
            early_data_offered: x.early_data,
        };
        tls13::emit_server_flight(&self.config, common, choices, transcript, sent_ccs)
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

    fn choose_certificate(
        &self,
        hello: &ClientHello,
        schemes: &[SignatureScheme],
    ) -> Result<(Arc<CertifiedKey>, SignatureScheme), Error> {
        let info = ClientHelloInfo {
            server_name: hello.extensions.server_name.as_ref(),
            signature_schemes: schemes,
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
            .choose_scheme(schemes)
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

/// RFC 7301 §3.2: the first of the client's protocols that we speak;
/// none in common → no_application_protocol.
pub(super) fn choose_protocol(
    config: &ServerConfig,
    hello: &ClientHello,
) -> Result<Option<Vec<u8>>, Error> {
    match &hello.extensions.alpn {
        Some(offered) if !config.alpn_protocols.is_empty() => offered
            .iter()
            .find(|p| config.alpn_protocols.contains(p))
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
        return Err(PeerMisbehaved::InvalidKeyShare.into());
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
/// the key share (now exactly the group we asked for) and the cookie.
fn check_retry(retry: &Retry, hello: &ClientHello, suite: &Tls13CipherSuite) -> Result<(), Error> {
    if hello.random != retry.random
        || hello.session_id != retry.session_id
        || suite.suite != retry.suite.suite
    {
        return Err(PeerMisbehaved::ClientHelloChangedAfterRetry.into());
    }
    match hello.extensions.key_shares.as_deref() {
        Some([share]) if share.group == retry.group => Ok(()),
        _ => Err(PeerMisbehaved::WrongKeyShareAfterRetry.into()),
    }
}
