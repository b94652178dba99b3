//! The server's TLS 1.2 handshake (RFC 5246 §7.3): ServerHello,
//! Certificate, ServerKeyExchange (ECDHE), ServerHelloDone; then the
//! client's ClientKeyExchange, ChangeCipherSpec and Finished; then ours.

use std::sync::Arc;

use super::config::{CertifiedKey, ClientHelloInfo, ServerConfig};
use crate::codec::{Codec, LengthPrefix, Reader};
use crate::conn::{inappropriate, CommonState, Message, Side, State};
use crate::crypto::ct_eq;
use crate::crypto::kx::{self, KxShare};
use crate::crypto::rsa_kx::{RsaPremasterKey, PREMASTER_LEN};
use crate::error::{Error, InvalidMessage, PeerIncompatible, PeerMisbehaved};
use crate::msgs::enums::{CipherSuite, NamedGroup, ProtocolVersion, SignatureScheme};
use crate::msgs::extensions::ServerExtensions;
use crate::msgs::handshake::{
    ClientHello, DigitallySigned, EcdheParams, HandshakeMessage, HandshakePayload, ServerHello,
    ServerKeyExchange,
};
use crate::observe::{Event, KeyExchangeKind, SecretKind};
use crate::record::protect::RecordEncrypter;
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
    use SignatureScheme as S;
    let fits = |s: &SignatureScheme| match auth {
        Authentication12::Ecdsa => matches!(
            s,
            S::ECDSA_NISTP256_SHA256 | S::ECDSA_NISTP384_SHA384 | S::ED25519
        ),
        Authentication12::Rsa => matches!(
            s,
            S::RSA_PSS_RSAE_SHA256
                | S::RSA_PSS_RSAE_SHA384
                | S::RSA_PSS_RSAE_SHA512
                | S::RSA_PKCS1_SHA256
                | S::RSA_PKCS1_SHA384
                | S::RSA_PKCS1_SHA512
        ),
    };
    offered.iter().copied().filter(fits).collect()
}

pub(super) fn handle_client_hello(
    config: &Arc<ServerConfig>,
    common: &mut CommonState,
    hello: &ClientHello,
    msg: &HandshakeMessage,
) -> Result<Box<dyn State>, Error> {
    common.negotiated.version = Some(ProtocolVersion::TLSv1_2);
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
    let secure_renegotiation = x.renegotiation_info.is_some()
        || hello
            .cipher_suites
            .contains(&CipherSuite::TLS_EMPTY_RENEGOTIATION_INFO_SCSV);
    // RFC 7627 §5.2: a server may refuse clients without extended master secret.
    if !x.extended_master_secret && config.require_extended_master_secret {
        return Err(PeerIncompatible::ExtendedMasterSecretRequired.into());
    }
    // RFC 8422 §5.1.2: uncompressed points must be acceptable to the client.
    if x.ec_point_formats.as_ref().is_some_and(|f| !f.contains(&0)) {
        return Err(PeerMisbehaved::MissingUncompressedPointFormat.into());
    }
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
    let alpn = super::hs::choose_protocol(config, hello)?;

    let mut random = [0u8; 32];
    config.random.fill(&mut random)?;
    // RFC 8446 §4.1.3: a TLS 1.3 server negotiating TLS 1.2 says so in its random.
    if config.supports(ProtocolVersion::TLSv1_3) {
        random[24..].copy_from_slice(&DOWNGRADE_SENTINEL_TLS12);
    }
    common.observe(|| Event::ServerRandom(&random));
    let mut session_id = vec![0u8; 32];
    config.random.fill(&mut session_id)?;
    let suite = choice.suite;
    let extensions = ServerExtensions {
        renegotiation_info: secure_renegotiation.then(Vec::new),
        extended_master_secret: x.extended_master_secret,
        encrypt_then_mac: suite.is_cbc(),
        ec_point_formats: (choice.ecdhe.is_some() && x.ec_point_formats.is_some()).then(|| vec![0]),
        alpn: alpn.clone(),
        server_name_ack: x.server_name.is_some(),
        ..Default::default()
    };
    let server_hello = ServerHello {
        legacy_version: ProtocolVersion::TLSv1_2,
        random,
        session_id,
        cipher_suite: suite.suite,
        compression_method: 0,
        extensions,
    };

    let mut transcript = Transcript::new(suite.hash);
    transcript.add(msg);
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
    let share = match choice.ecdhe {
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
            signed.extend_from_slice(&random);
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

    let n = &mut common.negotiated;
    n.suite = Some(suite.suite);
    n.alpn = alpn;
    n.server_name = x.server_name.clone();
    Ok(Box::new(ExpectClientKeyExchange {
        suite,
        transcript,
        client_random: hello.random,
        server_random: random,
        client_version: hello.legacy_version,
        extended_master_secret: x.extended_master_secret,
        kx: share,
    }))
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
                    .choose_scheme(&schemes_for(suite.auth, schemes));
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
            transcript,
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
    transcript: Transcript,
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
            mut transcript,
            master,
            encrypter,
        } = *self;
        let msg = msg.into_handshake("Finished")?;
        let HandshakePayload::Finished(verify_data) = &msg.payload else {
            return Err(inappropriate(&msg, "Finished"));
        };
        // RFC 5246 §7.4.9: the client's Finished, checked in constant time.
        let expected = master.verify_data(CLIENT_FINISHED_LABEL, &transcript.current());
        if !ct_eq(&expected, verify_data) {
            return Err(PeerMisbehaved::BadFinished.into());
        }
        common.observe(|| Event::FinishedVerified {
            sender: Side::Client,
        });
        transcript.add(&msg);
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
