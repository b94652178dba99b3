//! Smoke tests: every scenario runs once with minimal sizes and yields
//! rows with positive values, and the handshake-kind check accepts exactly
//! the expected handshake. No timing is asserted: benchmarks are
//! benchmarks.

use std::sync::{Mutex, MutexGuard};

use ferrotls::{CipherSuite, NamedGroup, ProtocolVersion};
use ferrotls_bench::measure::Clock;
use ferrotls_bench::{
    check_kind, run, scenarios, setup, Bench, CountingAlloc, KeyType, Measure, Resume, Scenario,
    Shape, Sizes, Which,
};

/// The memory scenarios need it, as the binary has it.
#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

/// Heap counters are process-wide: tests run one at a time so that one
/// test's allocations never land in another's memory rows.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn tls13_full() -> ferrotls_bench::Setup {
    setup(
        ProtocolVersion::TLSv1_3,
        CipherSuite::TLS_AES_128_GCM_SHA256,
        NamedGroup::X25519,
        KeyType::EcdsaP256,
        Resume::No,
    )
}

#[test]
fn every_scenario_yields_positive_rows_for_both_implementations() {
    let _serial = serial();
    let mut bench = Bench::new(Sizes::minimal(), Clock::Cpu);
    let all = scenarios();
    assert!(all.len() >= 20, "scenarios went missing: {}", all.len());
    for scenario in all {
        let rows = bench
            .run_scenario(&scenario)
            .unwrap_or_else(|e| panic!("{}: {e}", scenario.name()));
        assert!(!rows.is_empty(), "{}: no rows", scenario.name());
        for row in rows {
            let expect: &[&str] = match scenario {
                Scenario::RawAead(_) => &["aws-lc-rs"],
                _ => &["ferrotls", "rustls"],
            };
            let names: Vec<&str> = row.results.iter().map(|(n, _)| *n).collect();
            assert_eq!(names, expect, "{}", row.scenario);
            for (imp, m) in &row.results {
                match m {
                    Measure::Value(v) => {
                        assert!(v.is_finite() && *v > 0.0, "{} / {imp}: {v}", row.scenario)
                    }
                    // Only a resumption row may be n/a, and only for
                    // ferrotls, and only because it never resumed.
                    Measure::NotAvailable(why) => assert!(
                        *imp == "ferrotls"
                            && matches!(scenario, Scenario::Handshake(s) if s.resume != Resume::No)
                            && why.starts_with("not implemented"),
                        "{} / {imp}: n/a ({why})",
                        row.scenario
                    ),
                }
            }
        }
    }
}

/// Buffered bulk: "send" is the `writer()` time alone (rustls-bench's
/// accounting) and "send+write_tls" adds the copy out, so it can only be
/// slower; in-place rows have no `write_tls` to add.
#[test]
fn buffered_bulk_shows_send_with_and_without_write_tls() {
    let _serial = serial();
    let mut bench = Bench::new(Sizes::minimal(), Clock::Wall);
    let value = |rows: &[ferrotls_bench::Row], suffix: &str, imp: &str| {
        let row = rows
            .iter()
            .find(|r| r.scenario.ends_with(suffix))
            .unwrap_or_else(|| panic!("no {suffix} row"));
        match row.results.iter().find(|(n, _)| *n == imp) {
            Some((_, Measure::Value(v))) => *v,
            other => panic!("{suffix} / {imp}: {other:?}"),
        }
    };
    let buffered = bench.run_scenario(&Scenario::Bulk(tls13_full())).unwrap();
    let names: Vec<String> = buffered.iter().map(|r| r.scenario.clone()).collect();
    assert_eq!(names.len(), 3, "{names:?}");
    for imp in ["ferrotls", "rustls"] {
        let send = value(&buffered, " send", imp);
        let with_copy = value(&buffered, " send+write_tls", imp);
        assert!(with_copy < send, "{imp}: {with_copy} vs {send}");
    }
    let in_place = bench
        .run_scenario(&Scenario::BulkInPlace(tls13_full()))
        .unwrap();
    assert!(in_place.iter().all(|r| !r.scenario.contains("write_tls")));
}

#[test]
fn handshake_kind_check_accepts_only_the_expected_kind() {
    let _serial = serial();
    let mut bench = Bench::new(Sizes::minimal(), Clock::Cpu);
    let s = tls13_full();
    let expected = s.expected();
    for which in [Which::Ferrotls, Which::Rustls] {
        let (client, server) = bench.probe(which, &s).unwrap();
        check_kind(&expected, &client, &server).unwrap_or_else(|e| panic!("{}: {e}", which.name()));

        let mut wrong_group = expected;
        wrong_group.group = Some(NamedGroup::X25519MLKEM768.to_wire());
        let mut wrong_version = expected;
        wrong_version.version = Some(ProtocolVersion::TLSv1_2.to_wire());
        let mut wrong_suite = expected;
        wrong_suite.suite = Some(CipherSuite::TLS_AES_256_GCM_SHA384.to_wire());
        let mut resumed = expected;
        resumed.shape = Shape::Resumed;
        for wrong in [wrong_group, wrong_version, wrong_suite, resumed] {
            assert!(check_kind(&wrong, &client, &server).is_err(), "{wrong}");
            // A kind that never shows up ends the run with the reason
            // instead of looping forever.
            let err = bench
                .count_handshakes(which, &s, &wrong, 1)
                .expect_err("no round should count");
            assert!(!err.is_empty());
        }
        let err = bench.count_handshakes(which, &s, &resumed, 1).unwrap_err();
        assert_eq!(err, "not implemented: never resumed");

        let counted = bench.count_handshakes(which, &s, &expected, 2).unwrap();
        assert_eq!(counted.rounds, 2);
        assert!(counted.client.secs > 0.0 && counted.server.secs > 0.0);
    }
}

#[test]
fn tls12_resumption_expects_no_group_and_a_resumed_handshake() {
    let _serial = serial();
    let s = setup(
        ProtocolVersion::TLSv1_2,
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        NamedGroup::X25519,
        KeyType::EcdsaP256,
        Resume::SessionId,
    );
    let k = s.expected();
    assert_eq!(k.group, None);
    assert_eq!(k.shape, Shape::Resumed);
    let mut bench = Bench::new(Sizes::minimal(), Clock::Cpu);
    // The first handshake of a fresh configuration is a full one.
    let (client, server) = bench.probe(Which::Rustls, &s).unwrap();
    assert!(check_kind(&k, &client, &server).is_err());
    assert_eq!(client.shape, Shape::Full);
}

#[test]
fn command_line() {
    let _serial = serial();
    let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    run(args(&["--list"])).unwrap();
    run(args(&["--help"])).unwrap();
    assert!(run(args(&["--no-such-flag"])).is_err());
    assert!(run(args(&["--only", "no such scenario"])).is_err());
    run(args(&[
        "--quick",
        "--json",
        "--multiplier",
        "0.001",
        "--only",
        "raw aws-lc-rs ChaCha20",
    ]))
    .unwrap();
}
