//! Shared configs under many threads, and clocks that are wrong: a
//! configured "forever", a clock that was ahead for a while, a random
//! source that fails or panics once. None of it may panic the server, stop
//! ticket keys rotating, let a session outlive its lifetime, or end
//! resumption for good.

mod common;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::*;
use ferrotls::crypto::rand::{RandomSource, SystemRandom};
use ferrotls::pki_types::UnixTime;
use ferrotls::session::TicketKeys;
use ferrotls::{ClientConnection, Error, ProtocolVersion, ServerConnection};

const START: u64 = 1_800_000_000;
const YEAR: u64 = 365 * 86400;

fn at(secs: u64) -> UnixTime {
    UnixTime::since_unix_epoch(Duration::from_secs(secs))
}

#[test]
fn sessions_that_never_expire_are_allowed() {
    // Duration::MAX is how one says "forever"; it overflowed the store's
    // expiry time and panicked every TLS 1.2 full handshake.
    for version in [ProtocolVersion::TLSv1_2, ProtocolVersion::TLSv1_3] {
        let (client, mut server, _) = clocked_configs(version);
        server.session_lifetime = Duration::MAX;
        server.ticketer = None;
        let server = Arc::new(server);
        connect_to(&client, &server, "localhost");
        assert!(connect_to(&client, &server, "localhost").0.is_resumed());
    }
}

#[test]
fn ticket_keys_rotate_after_the_clock_was_ahead() {
    // One ticket sealed while the clock was a year ahead (bad NTP, a
    // restored snapshot) dated the key a year ahead; it then served until
    // the clock caught up. Now a ticket sealed after the correction is
    // gone two periods later, as any other.
    let keys = TicketKeys::new(Arc::new(SystemRandom));
    let period = Duration::from_secs(3600);
    keys.seal(b"early", at(START + YEAR), period).unwrap();
    let ticket = keys.seal(b"session", at(START), period).unwrap();
    assert_eq!(
        keys.open(&ticket, at(START + 3600), period),
        Some(b"session".to_vec())
    );
    assert_eq!(keys.open(&ticket, at(START + 10 * 3600), period), None);
}

#[test]
fn a_session_made_while_the_clock_was_ahead_does_not_outlive_its_lifetime() {
    let (client, mut server, clock) = clocked_configs(ProtocolVersion::TLSv1_2);
    clock.set(START + YEAR);
    server.session_lifetime = Duration::from_secs(3600);
    let server = Arc::new(server);
    connect_to(&client, &server, "localhost");
    clock.set(START + 10 * 3600);
    let (c, _) = connect_to(&client, &server, "localhost");
    assert!(!c.is_resumed(), "a session of unknown age resumed");
}

#[test]
fn a_client_does_not_offer_what_it_got_while_its_clock_was_ahead() {
    // The client side of the same: a TLS 1.2 session or TLS 1.3 ticket
    // dated a year ahead has an unknown age and is not offered.
    for version in [ProtocolVersion::TLSv1_2, ProtocolVersion::TLSv1_3] {
        let (mut client, server, _) = clocked_configs(version);
        let client_clock = TestClock::new();
        client_clock.set(START + YEAR);
        client.time = client_clock.clone();
        let server = Arc::new(server);
        connect_to(&client, &server, "localhost");
        client_clock.set(START + 60);
        let (c, _) = connect_to(&client, &server, "localhost");
        assert!(!c.is_resumed(), "{version:?}");
        // Its new session is dated right, and resumes.
        assert!(
            connect_to(&client, &server, "localhost").0.is_resumed(),
            "{version:?}"
        );
    }
}

/// A random source that fails once when armed.
#[derive(Debug)]
struct FailOnce(AtomicBool);

impl RandomSource for FailOnce {
    fn fill(&self, buf: &mut [u8]) -> Result<(), Error> {
        if self.0.swap(false, Ordering::SeqCst) {
            return Err(Error::Internal("no randomness just now"));
        }
        SystemRandom.fill(buf)
    }
}

#[test]
fn a_failed_draw_while_rotating_keeps_the_previous_key() {
    let rng = Arc::new(FailOnce(AtomicBool::new(false)));
    let keys = TicketKeys::new(rng.clone());
    let period = Duration::from_secs(100);
    let ticket = keys.seal(b"session", at(1000), period).unwrap();
    rng.0.store(true, Ordering::SeqCst);
    assert!(keys.seal(b"other", at(1100), period).is_err());
    // The ticket's key dates from 1000: still the previous one at 1101.
    assert_eq!(
        keys.open(&ticket, at(1101), period),
        Some(b"session".to_vec())
    );
}

/// Panics on the first 12-byte draw once armed: the ticket nonce, drawn
/// while the ticket keys are locked.
#[derive(Debug)]
struct PanicOnNonce(AtomicBool);

impl RandomSource for PanicOnNonce {
    fn fill(&self, buf: &mut [u8]) -> Result<(), Error> {
        if buf.len() == 12 && self.0.swap(false, Ordering::SeqCst) {
            panic!("the random device went away");
        }
        SystemRandom.fill(buf)
    }
}

#[test]
fn one_panic_while_sealing_a_ticket_does_not_break_later_handshakes() {
    let (client, mut server, _) = clocked_configs(ProtocolVersion::TLSv1_3);
    server.ticketer = Some(Arc::new(TicketKeys::new(Arc::new(PanicOnNonce(
        AtomicBool::new(true),
    )))));
    let server = Arc::new(server);
    let (c1, s1) = (client.clone(), server.clone());
    let first = std::thread::spawn(move || {
        connect_to(&c1, &s1, "localhost");
    })
    .join();
    assert!(
        first.is_err(),
        "the first handshake met the panicking source"
    );
    // A full handshake (sealing tickets under the same keys), then a
    // resumption with one of them.
    connect_to(&client, &server, "localhost");
    assert!(connect_to(&client, &server, "localhost").0.is_resumed());
}

#[test]
fn shared_configs_under_many_threads_while_keys_rotate() {
    // 8 threads x 40 connections with resumption on one client and one
    // server config, the clock jumping through ticket-key periods: every
    // handshake succeeds, and most resume.
    for version in [ProtocolVersion::TLSv1_3, ProtocolVersion::TLSv1_2] {
        for tickets in [true, false] {
            let (client, mut server, clock) = clocked_configs(version);
            server.session_lifetime = Duration::from_secs(100);
            if !tickets {
                server.ticketer = None;
            }
            let server = Arc::new(server);
            let resumed = Arc::new(AtomicU64::new(0));
            let threads: Vec<_> = (0..8)
                .map(|t| {
                    let (client, server, clock, resumed) = (
                        client.clone(),
                        server.clone(),
                        clock.clone(),
                        resumed.clone(),
                    );
                    std::thread::spawn(move || {
                        for i in 0..40 {
                            if t == 0 && i % 5 == 4 {
                                clock.advance(60);
                            }
                            let mut c = ClientConnection::new(
                                Arc::new(client.clone()),
                                server_name("localhost"),
                            )
                            .unwrap();
                            let mut s = ServerConnection::new(server.clone()).unwrap();
                            handshake(&mut c, &mut s).unwrap_or_else(|e| {
                                panic!("{version:?} tickets {tickets}, {t}/{i}: {e:?}")
                            });
                            transfer(&mut s, &mut c).unwrap();
                            if c.is_resumed() {
                                resumed.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                    })
                })
                .collect();
            for t in threads {
                t.join().unwrap();
            }
            let resumed = resumed.load(Ordering::Relaxed);
            assert!(
                resumed > 160,
                "{version:?} tickets {tickets}: {resumed} of 320"
            );
        }
    }
}
