//! ferrotls and rustls side by side (issue #6).
//!
//! The same scenarios run through both implementations in one process,
//! alternating, with the accounting of rustls' own bench tool: one
//! thread, a client and a server joined by in-memory buffers, each side's
//! time summed separately (the time spent inside that side's calls), so
//! a side's handshakes/s is rounds ÷ that side's time.
//!
//! - Full handshakes: TLS 1.3 and 1.2 × ECDSA P-256 and RSA-2048 server
//!   certificates (CA → intermediate → leaf), x25519 and (1.3)
//!   X25519MLKEM768. A round counts only if both sides report the expected
//!   version, suite, group and "not resumed".
//! - Resumed handshakes: TLS 1.2 by session ID and by ticket, TLS 1.3 by
//!   ticket. Rounds count only when both sides say "resumed"; an
//!   implementation that never resumes gets "n/a (not implemented…)".
//! - Bulk: 1 GiB in 1 MiB writes per suite, server to client: send MB/s
//!   from the sender's time, recv MB/s from the receiver's; beside them
//!   the raw aws-lc-rs AEAD speed on 16 KiB records, which is the limit.
//!   Each bulk row's "% of raw" uses the raw speed measured again in the
//!   same alternating slices as that row (the target column shows it),
//!   so a machine whose speed drifts during the run does not skew it.
//!   Buffered rows go through `writer()`/`write_tls` and
//!   `read_tls`/`reader()`, which copy. As in rustls-bench, "send" times
//!   the `writer()` calls (protecting the records) and "recv" times
//!   `read_tls`, `process_new_packets` and `reader()`; the sender's
//!   `write_tls` copy is shown apart, in "send+write_tls" (no target).
//!   "bulk in-place" rows go through
//!   ferrotls' `seal_into`/`open_in_place` and rustls' unbuffered
//!   connections, which seal into and open in the transfer buffer itself
//!   (see [`in_place`]). "bulk fill_buf" rows are the buffered API with
//!   the receiver taking plaintext by `BufRead::fill_buf`/`consume`
//!   (both stacks' readers have it) instead of copying it out with
//!   `read`: recv only, as sending is the same.
//! - Memory: N idle connection pairs after a 1 KiB exchange, measured by
//!   a counting global allocator ([`CountingAlloc`]).
//!
//! [`run`] takes command-line style arguments; [`run_with`] takes parsed
//! [`Args`] (a `clap::Args`, to embed as a subcommand). A binary that
//! wants the memory rows installs [`CountingAlloc`] as its global
//! allocator (the `ferrotls-bench` binary does); without it they say n/a.
//!
//! Timings on a shared machine are noisy; for claims, count instructions:
//!
//! ```text
//! valgrind --tool=callgrind --toggle-collect='*bench_handshakes*' \
//!     ferrotls-bench --quick --impl ferrotls --only "handshake TLS1.3 ECDSA-P256 x25519 full"
//! valgrind --tool=callgrind --toggle-collect='ferrotls_bench::bench::bulk_recv*' \
//!     ferrotls-bench --quick --impl rustls --only "bulk TLS1.3 AES-128"
//! ```
//!
//! (`bulk_write` and `bulk_send_tls` are the sender's side of a bulk run,
//! `bulk_recv` the receiver's.) `ferrotls-bench/floor.sh SCENARIO
//! [server|client]` does that for one side of a handshake row in both
//! implementations and splits the count into aws-lc and the rest: its
//! "ceiling" is the ratio ferrotls would reach if its own code cost
//! nothing, which tells a row that can still gain from one held at the
//! floor of the primitives both stacks call.

mod alloc;
pub mod bench;
pub mod in_place;
pub mod measure;
pub mod pki;
pub mod report;
pub mod tls;

use std::collections::HashMap;

use clap::Parser;
use ferrotls::{CipherSuite, NamedGroup, ProtocolVersion};

pub use alloc::{reset_peak, stats as alloc_stats, AllocStats, CountingAlloc};
pub use bench::HandshakeTotals as Handshakes;
use bench::{Configs, HandshakeTotals};
use measure::Clock;
pub use pki::KeyType;
use pki::Pki;
pub use report::{Better, Measure, Row, Section, Target};
pub use tls::{check_kind, Kind, Resume, Setup, Shape, Which};
use tls::{Ferrotls, Rustls, TlsImpl};

/// Options of `ferrotls-bench` (and of `ferrotls bench`).
#[derive(clap::Args, Clone, Debug)]
pub struct Args {
    /// A short run (a few seconds per scenario at most); timings are rough.
    #[arg(long)]
    pub quick: bool,
    /// Multiplies the work of every scenario (e.g. 4 for long, stable runs).
    #[arg(long, default_value_t = 1.0)]
    pub multiplier: f64,
    /// One JSON object per row and implementation:
    /// {"scenario", "impl", "value", "unit"} (and "note" when n/a).
    #[arg(long)]
    pub json: bool,
    /// Runs only scenarios whose name contains this text (case-insensitive;
    /// repeatable). See --list.
    #[arg(long = "only", value_name = "TEXT")]
    pub only: Vec<String>,
    /// Runs one implementation only (e.g. under a profiler).
    #[arg(long = "impl", value_enum)]
    pub implementation: Option<Which>,
    /// What time is measured with.
    #[arg(long, value_enum, default_value_t = Clock::Wall)]
    pub clock: Clock,
    /// Bulk scenarios: the receiver reads plaintext this many bytes at a
    /// time (rustls-bench: 16384).
    #[arg(long, value_name = "BYTES", default_value_t = 16 * 1024)]
    pub read_size: usize,
    /// Connection pairs in the memory scenarios (default 500; 100 with --quick).
    #[arg(long, value_name = "N")]
    pub memory_pairs: Option<usize>,
    /// Timed scenarios are cut into this many slices, the implementations
    /// taking turns, so a slow phase of a noisy machine hits both (default
    /// 16; 2 with --quick).
    #[arg(long, value_name = "N")]
    pub slices: Option<u64>,
    /// Also reports heap allocations per handshake, per side.
    #[arg(long)]
    pub allocs: bool,
    /// Lists the scenarios and exits.
    #[arg(long)]
    pub list: bool,
    /// ferrotls clients reuse verified chains (`CachingVerifier`, 10
    /// minutes), which is not their default and which rustls does not do:
    /// handshake rows then compare two policies, not two implementations.
    /// (The default verifier already skips re-checking a chain's
    /// signatures, which is most of what this saves.)
    #[arg(long)]
    pub ferrotls_chain_cache: bool,
}

#[derive(Parser, Debug)]
#[command(
    name = "ferrotls-bench",
    about = "Benchmarks ferrotls against rustls 0.23 (aws-lc-rs): handshakes, bulk transfer, memory"
)]
struct Cli {
    #[command(flatten)]
    args: Args,
}

/// Parses `args` (the arguments after the program name) and runs.
pub fn run(args: impl IntoIterator<Item = String>) -> Result<(), String> {
    let argv = std::iter::once("ferrotls-bench".to_string()).chain(args);
    let cli = match Cli::try_parse_from(argv) {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help / --version
            print!("{e}");
            return Ok(());
        }
        Err(e) => return Err(e.to_string()),
    };
    run_with(&cli.args)
}

/// How much work each scenario does.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sizes {
    /// Counted full handshakes per implementation.
    pub handshakes: u64,
    /// Counted resumed handshakes per implementation.
    pub resumptions: u64,
    /// Bytes per bulk scenario and implementation.
    pub bulk_bytes: u64,
    /// Bytes per write in bulk scenarios.
    pub bulk_write: usize,
    /// Bytes per plaintext read in bulk scenarios.
    pub bulk_read: usize,
    /// Connection pairs in memory scenarios.
    pub memory_pairs: usize,
    /// The work of a timed scenario is split into this many slices, the
    /// implementations taking turns (ABBA…), so slow phases of a noisy
    /// machine hit both.
    pub slices: u64,
}

impl Sizes {
    /// rustls-bench's amounts: 512 full / 4096 resumed handshakes, 1 GiB
    /// in 1 MiB writes.
    pub fn standard() -> Self {
        Self {
            handshakes: 512,
            resumptions: 4096,
            bulk_bytes: 1 << 30,
            bulk_write: 1 << 20,
            bulk_read: 16 << 10,
            memory_pairs: 500,
            slices: 16,
        }
    }

    pub fn quick() -> Self {
        Self {
            handshakes: 64,
            resumptions: 256,
            bulk_bytes: 64 << 20,
            bulk_write: 1 << 20,
            bulk_read: 16 << 10,
            memory_pairs: 100,
            slices: 2,
        }
    }

    /// One of everything, for tests.
    pub fn minimal() -> Self {
        Self {
            handshakes: 1,
            resumptions: 1,
            bulk_bytes: 64 << 10,
            bulk_write: 64 << 10,
            bulk_read: 16 << 10,
            memory_pairs: 2,
            slices: 1,
        }
    }

    pub fn from_args(args: &Args) -> Self {
        let base = if args.quick {
            Self::quick()
        } else {
            Self::standard()
        };
        let m = args.multiplier.max(0.0);
        let scale = |n: u64| ((n as f64 * m).round() as u64).max(1);
        let mut s = Self {
            handshakes: scale(base.handshakes),
            resumptions: scale(base.resumptions),
            bulk_bytes: scale(base.bulk_bytes).max(base.bulk_write as u64),
            memory_pairs: scale(base.memory_pairs as u64) as usize,
            ..base
        };
        s.bulk_read = args.read_size.max(1);
        if let Some(n) = args.memory_pairs {
            s.memory_pairs = n.max(1);
        }
        if let Some(n) = args.slices {
            s.slices = n.max(1);
        }
        s
    }
}

/// The AEADs with a raw-speed row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Aead {
    Aes128Gcm,
    Aes256Gcm,
    ChaCha20Poly1305,
}

impl Aead {
    pub fn name(self) -> &'static str {
        match self {
            Self::Aes128Gcm => "AES-128-GCM",
            Self::Aes256Gcm => "AES-256-GCM",
            Self::ChaCha20Poly1305 => "ChaCha20-Poly1305",
        }
    }

    fn algorithm(self) -> &'static aws_lc_rs::aead::Algorithm {
        match self {
            Self::Aes128Gcm => &aws_lc_rs::aead::AES_128_GCM,
            Self::Aes256Gcm => &aws_lc_rs::aead::AES_256_GCM,
            Self::ChaCha20Poly1305 => &aws_lc_rs::aead::CHACHA20_POLY1305,
        }
    }

    /// The AEAD of a cipher suite we bench.
    pub fn of(suite: CipherSuite) -> Option<Self> {
        let s = suite.name()?;
        if s.contains("AES_128_GCM") {
            Some(Self::Aes128Gcm)
        } else if s.contains("AES_256_GCM") {
            Some(Self::Aes256Gcm)
        } else if s.contains("CHACHA20_POLY1305") {
            Some(Self::ChaCha20Poly1305)
        } else {
            None
        }
    }
}

/// One scenario: what runs, and so which rows come out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scenario {
    Handshake(Setup),
    RawAead(Aead),
    Bulk(Setup),
    /// Bulk through each implementation's in-place API.
    BulkInPlace(Setup),
    /// Bulk with the buffered API, the receiver taking its plaintext with
    /// `BufRead::fill_buf` instead of copying it out with `read`.
    BulkFillBuf(Setup),
    Memory(Setup),
}

impl Scenario {
    pub fn name(&self) -> String {
        match self {
            Self::Handshake(s) => format!(
                "handshake {} {} {} {}",
                s.version_label(),
                s.key,
                s.group,
                s.resume.label()
            ),
            Self::RawAead(a) => format!("raw aws-lc-rs {} 16KiB", a.name()),
            Self::Bulk(s) => format!(
                "bulk {} {}",
                s.version_label(),
                Aead::of(s.suite).map_or("?", Aead::name)
            ),
            Self::BulkInPlace(s) => format!(
                "bulk in-place {} {}",
                s.version_label(),
                Aead::of(s.suite).map_or("?", Aead::name)
            ),
            Self::BulkFillBuf(s) => format!(
                "bulk fill_buf {} {}",
                s.version_label(),
                Aead::of(s.suite).map_or("?", Aead::name)
            ),
            Self::Memory(s) => format!("memory {} {} {}", s.version_label(), s.key, s.group),
        }
    }

    pub fn section(&self) -> Section {
        match self {
            Self::Handshake(s) if s.resume == Resume::No => Section::FullHandshakes,
            Self::Handshake(_) => Section::ResumedHandshakes,
            Self::RawAead(_) => Section::RawAead,
            Self::Bulk(_) | Self::BulkInPlace(_) | Self::BulkFillBuf(_) => Section::Bulk,
            Self::Memory(_) => Section::Memory,
        }
    }
}

/// Which plaintext API a bulk scenario goes through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Api {
    /// `writer()` / `write_tls` and `read_tls` / `reader()`.
    Buffered,
    /// Records sealed into and opened in the caller's buffer.
    InPlace,
    /// As `Buffered`, plaintext taken with `fill_buf` (only recv differs).
    FillBuf,
}

/// A [`Setup`] from its parts.
pub fn setup(
    version: ProtocolVersion,
    suite: CipherSuite,
    group: NamedGroup,
    key: KeyType,
    resume: Resume,
) -> Setup {
    Setup {
        version,
        suite,
        group,
        key,
        resume,
    }
}

/// The TLS 1.2 AES-128-GCM suite for a key type.
fn ecdhe_aes128(key: KeyType) -> CipherSuite {
    match key {
        KeyType::EcdsaP256 => CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        KeyType::Rsa2048 => CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    }
}

/// Every scenario, in the order they run and print. Adding one is a line.
pub fn scenarios() -> Vec<Scenario> {
    use CipherSuite as S;
    use KeyType::*;
    use NamedGroup as G;
    use ProtocolVersion::{TLSv1_2 as V12, TLSv1_3 as V13};
    use Scenario::*;
    let p256 = EcdsaP256;
    let aes128_13 = S::TLS_AES_128_GCM_SHA256;
    let mut v = Vec::new();
    for key in [EcdsaP256, Rsa2048] {
        v.push(Handshake(setup(V13, aes128_13, G::X25519, key, Resume::No)));
        v.push(Handshake(setup(
            V13,
            aes128_13,
            G::X25519MLKEM768,
            key,
            Resume::No,
        )));
        v.push(Handshake(setup(
            V12,
            ecdhe_aes128(key),
            G::X25519,
            key,
            Resume::No,
        )));
    }
    let ecdhe_ecdsa_aes128 = ecdhe_aes128(p256);
    v.push(Handshake(setup(
        V12,
        ecdhe_ecdsa_aes128,
        G::X25519,
        p256,
        Resume::SessionId,
    )));
    v.push(Handshake(setup(
        V12,
        ecdhe_ecdsa_aes128,
        G::X25519,
        p256,
        Resume::Ticket,
    )));
    v.push(Handshake(setup(
        V13,
        aes128_13,
        G::X25519,
        p256,
        Resume::Ticket,
    )));
    for aead in [Aead::Aes128Gcm, Aead::Aes256Gcm, Aead::ChaCha20Poly1305] {
        v.push(RawAead(aead));
    }
    for suite in [
        S::TLS_AES_128_GCM_SHA256,
        S::TLS_AES_256_GCM_SHA384,
        S::TLS_CHACHA20_POLY1305_SHA256,
    ] {
        v.push(Bulk(setup(V13, suite, G::X25519, p256, Resume::No)));
    }
    for suite in [
        S::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        S::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        S::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    ] {
        v.push(Bulk(setup(V12, suite, G::X25519, p256, Resume::No)));
    }
    // The other plaintext APIs, on one suite of each kind.
    let api_suites = [
        (V13, aes128_13),
        (V13, S::TLS_CHACHA20_POLY1305_SHA256),
        (V12, ecdhe_ecdsa_aes128),
    ];
    let bulk = |version, suite| setup(version, suite, G::X25519, p256, Resume::No);
    v.extend(api_suites.map(|(version, suite)| BulkInPlace(bulk(version, suite))));
    v.extend(api_suites.map(|(version, suite)| BulkFillBuf(bulk(version, suite))));
    v.push(Memory(setup(V13, aes128_13, G::X25519, p256, Resume::No)));
    v.push(Memory(setup(
        V12,
        ecdhe_ecdsa_aes128,
        G::X25519,
        p256,
        Resume::No,
    )));
    v
}

/// What runs alongside the scenarios: PKIs (generated once per key type),
/// options, and the raw AEAD speeds that bulk rows are compared with.
pub struct Bench {
    pub sizes: Sizes,
    pub clock: Clock,
    pub impls: Vec<Which>,
    pub allocs: bool,
    /// ferrotls clients reuse verified chains (`--ferrotls-chain-cache`).
    pub chain_cache: bool,
    pkis: HashMap<KeyType, Pki>,
    /// MB/s of raw seal and open per AEAD, once measured.
    raw: HashMap<Aead, (f64, f64)>,
}

impl Bench {
    pub fn new(sizes: Sizes, clock: Clock) -> Self {
        settle_allocator();
        Self {
            sizes,
            clock,
            impls: vec![Which::Ferrotls, Which::Rustls],
            allocs: false,
            chain_cache: false,
            pkis: HashMap::new(),
            raw: HashMap::new(),
        }
    }

    fn pki(&mut self, key: KeyType) -> Result<&Pki, String> {
        Ok(match self.pkis.entry(key) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => e.insert(Pki::generate(key)?),
        })
    }

    /// Runs one scenario; its rows come back in print order.
    pub fn run_scenario(&mut self, scenario: &Scenario) -> Result<Vec<Row>, String> {
        let name = scenario.name();
        let section = scenario.section();
        Ok(match *scenario {
            Scenario::Handshake(s) => self.handshake_rows(&name, section, &s)?,
            Scenario::RawAead(a) => self.raw_rows(&name, section, a)?,
            Scenario::Bulk(s) => self.bulk_rows(&name, section, &s, Api::Buffered)?,
            Scenario::BulkInPlace(s) => self.bulk_rows(&name, section, &s, Api::InPlace)?,
            Scenario::BulkFillBuf(s) => self.bulk_rows(&name, section, &s, Api::FillBuf)?,
            Scenario::Memory(s) => self.memory_rows(&name, section, &s)?,
        })
    }

    /// Runs `work` for each selected implementation, `slices` times,
    /// taking turns (F R R F F R …), and sums each one's results. An
    /// implementation that fails stops there and keeps its error.
    fn alternate<T: Default>(
        &self,
        slices: u64,
        mut work: impl FnMut(Which, u64) -> Result<T, String>,
        mut add: impl FnMut(&mut T, &T),
    ) -> Vec<(Which, Result<T, String>)> {
        let mut out: Vec<(Which, Result<T, String>)> =
            self.impls.iter().map(|w| (*w, Ok(T::default()))).collect();
        for slice in 0..slices {
            let n = out.len();
            for k in 0..n {
                let i = if slice % 2 == 0 { k } else { n - 1 - k };
                let (which, acc) = &mut out[i];
                if let Ok(total) = acc {
                    match work(*which, slice) {
                        Ok(part) => add(total, &part),
                        Err(e) => *acc = Err(e),
                    }
                }
            }
        }
        out
    }

    /// One handshake with `which` under `setup`; what both sides report.
    pub fn probe(&mut self, which: Which, setup: &Setup) -> Result<(Kind, Kind), String> {
        let mut buf = vec![0u8; bench::TRANSFER_BUF];
        let (mut a, mut b) = Default::default();
        let clock = self.clock;
        match which {
            Which::Ferrotls => {
                let cfg = self.configs::<Ferrotls>(setup)?;
                bench::handshake_round(&cfg, &mut buf, clock, &mut a, &mut b)
            }
            Which::Rustls => {
                let cfg = self.configs::<Rustls>(setup)?;
                bench::handshake_round(&cfg, &mut buf, clock, &mut a, &mut b)
            }
        }
    }

    /// Counts `rounds` handshakes of the `expected` kind with `which`
    /// under `setup` (one uncounted warm-up first), as the handshake rows do.
    pub fn count_handshakes(
        &mut self,
        which: Which,
        setup: &Setup,
        expected: &Kind,
        rounds: u64,
    ) -> Result<HandshakeTotals, String> {
        let clock = self.clock;
        match which {
            Which::Ferrotls => {
                let cfg = self.configs::<Ferrotls>(setup)?;
                warm_up(&cfg, clock)?;
                bench::bench_handshakes(&cfg, expected, rounds, clock)
            }
            Which::Rustls => {
                let cfg = self.configs::<Rustls>(setup)?;
                warm_up(&cfg, clock)?;
                bench::bench_handshakes(&cfg, expected, rounds, clock)
            }
        }
    }

    fn configs<I: TlsImpl>(&mut self, s: &Setup) -> Result<Configs<I>, String> {
        let chain_cache = self.chain_cache;
        let pki = self.pki(s.key)?;
        let client = I::client_config(s, pki)?;
        Ok(Configs {
            client: match chain_cache {
                true => I::with_chain_cache(client),
                false => client,
            },
            server: I::server_config(s, pki)?,
        })
    }

    fn handshake_rows(
        &mut self,
        name: &str,
        section: Section,
        s: &Setup,
    ) -> Result<Vec<Row>, String> {
        let ferro = self.configs::<Ferrotls>(s);
        let rust = self.configs::<Rustls>(s);
        let expected = s.expected();
        let total = match s.resume {
            Resume::No => self.sizes.handshakes,
            _ => self.sizes.resumptions,
        };
        let slices = self.sizes.slices.min(total).max(1);
        let per_slice = total.div_ceil(slices);
        let clock = self.clock;
        let mut warmed = HashMap::new();
        let results = self.alternate(
            slices,
            |which, _| {
                // An uncounted first handshake: warms caches, and primes
                // the session cache for resumption.
                let warm = !*warmed.entry(which).or_insert(false);
                warmed.insert(which, true);
                match which {
                    Which::Ferrotls => {
                        let cfg = ferro.as_ref().map_err(Clone::clone)?;
                        if warm {
                            warm_up(cfg, clock)?;
                        }
                        bench::bench_handshakes(cfg, &expected, per_slice, clock)
                    }
                    Which::Rustls => {
                        let cfg = rust.as_ref().map_err(Clone::clone)?;
                        if warm {
                            warm_up(cfg, clock)?;
                        }
                        bench::bench_handshakes(cfg, &expected, per_slice, clock)
                    }
                }
            },
            HandshakeTotals::add,
        );
        type Pick = fn(&HandshakeTotals) -> f64;
        let mut picks: Vec<(&str, &'static str, Better, Target, Pick)> = Vec::new();
        picks.push((
            "client",
            "handshakes/s",
            Better::Higher,
            Target::RatioAtLeast(1.10),
            |t| t.rounds as f64 / t.client.secs,
        ));
        picks.push((
            "server",
            "handshakes/s",
            Better::Higher,
            Target::RatioAtLeast(1.10),
            |t| t.rounds as f64 / t.server.secs,
        ));
        if self.allocs {
            picks.push((
                "client",
                "allocs/handshake",
                Better::Lower,
                Target::None,
                |t| per_round(t, t.client.allocs as f64),
            ));
            picks.push((
                "server",
                "allocs/handshake",
                Better::Lower,
                Target::None,
                |t| per_round(t, t.server.allocs as f64),
            ));
            picks.push((
                "client",
                "bytes alloc'd/handshake",
                Better::Lower,
                Target::None,
                |t| per_round(t, t.client.alloc_bytes as f64),
            ));
            picks.push((
                "server",
                "bytes alloc'd/handshake",
                Better::Lower,
                Target::None,
                |t| per_round(t, t.server.alloc_bytes as f64),
            ));
        }
        Ok(picks
            .into_iter()
            .map(|(side, unit, better, target, pick)| {
                row_of(
                    section,
                    format!("{name} {side}"),
                    unit,
                    better,
                    target,
                    &results,
                    pick,
                )
            })
            .collect())
    }

    fn raw_rows(&mut self, name: &str, section: Section, a: Aead) -> Result<Vec<Row>, String> {
        let t = bench::bench_raw_aead(a.algorithm(), self.sizes.bulk_bytes, self.clock)?;
        let (seal, open) = t.speeds(MB).ok_or("raw AEAD: nothing measured")?;
        self.raw.insert(a, (seal, open));
        Ok([("seal", seal), ("open", open)]
            .into_iter()
            .map(|(op, v)| Row {
                section,
                scenario: format!("{name} {op}"),
                unit: "MB/s",
                better: Better::Higher,
                results: vec![("aws-lc-rs", Measure::Value(v))],
                target: Target::None,
            })
            .collect())
    }

    fn bulk_rows(
        &mut self,
        name: &str,
        section: Section,
        s: &Setup,
        api: Api,
    ) -> Result<Vec<Row>, String> {
        let ferro = self.configs::<Ferrotls>(s);
        let rust = self.configs::<Rustls>(s);
        let expected = s.expected();
        let write = self.sizes.bulk_write;
        let take = match api {
            Api::FillBuf => bench::Take::FillBuf,
            _ => bench::Take::Read(self.sizes.bulk_read),
        };
        let writes = self.sizes.bulk_bytes.div_ceil(write as u64).max(1);
        let slices = self.sizes.slices.min(writes).max(1);
        let per_slice = writes.div_ceil(slices);
        let clock = self.clock;
        let bulk_part = |which: Which| match which {
            Which::Ferrotls => {
                let cfg = ferro.as_ref().map_err(Clone::clone)?;
                match api {
                    Api::Buffered | Api::FillBuf => {
                        bench::bench_bulk(cfg, &expected, write, take, per_slice, clock)
                    }
                    Api::InPlace => {
                        in_place::ferrotls_bulk(cfg, &expected, write, per_slice, clock)
                    }
                }
            }
            Which::Rustls => {
                let cfg = rust.as_ref().map_err(Clone::clone)?;
                match api {
                    Api::Buffered | Api::FillBuf => {
                        bench::bench_bulk(cfg, &expected, write, take, per_slice, clock)
                    }
                    Api::InPlace => in_place::rustls_bulk(cfg, &expected, write, per_slice, clock),
                }
            }
        };
        // The limit is measured again in the same slices, right after the
        // first implementation's share: a machine that speeds up or slows
        // down during the run moves the limit and the rows alike.
        let aead = Aead::of(s.suite);
        let first = self.impls.first().copied();
        let mut raw_here = bench::RawAeadTotals::default();
        let results = self.alternate(
            slices,
            |which, _| {
                let part = bulk_part(which);
                if let (Some(a), true) = (aead, Some(which) == first) {
                    let bytes = per_slice * write as u64;
                    let raw = bench::bench_raw_aead(a.algorithm(), bytes, clock)
                        .map_err(|e| format!("raw AEAD: {e}"))?;
                    raw_here.add(&raw);
                }
                part
            },
            bench::BulkTotals::add,
        );
        let raw = raw_here
            .speeds(MB)
            .or_else(|| aead.and_then(|a| self.raw.get(&a).copied()));
        let target = |limit: Option<f64>| match limit {
            Some(raw) => Target::FractionOfRaw {
                raw,
                fraction: 0.90,
            },
            None => Target::None,
        };
        let mb = |t: &bench::BulkTotals| t.bytes as f64 / MB;
        let mut rows = vec![
            row_of(
                section,
                format!("{name} send"),
                "MB/s",
                Better::Higher,
                target(raw.map(|r| r.0)),
                &results,
                |t| mb(t) / t.send.secs,
            ),
            row_of(
                section,
                format!("{name} recv"),
                "MB/s",
                Better::Higher,
                target(raw.map(|r| r.1)),
                &results,
                |t| mb(t) / t.recv.secs,
            ),
        ];
        if api == Api::FillBuf {
            // Sending is as in the buffered rows: only recv is new here.
            rows.remove(0);
        }
        if api == Api::Buffered {
            // What the sender spends in all, copying the records out too.
            rows.insert(
                1,
                row_of(
                    section,
                    format!("{name} send+write_tls"),
                    "MB/s",
                    Better::Higher,
                    Target::None,
                    &results,
                    |t| mb(t) / (t.send.secs + t.send_tls.secs),
                ),
            );
        }
        Ok(rows)
    }

    fn memory_rows(&mut self, name: &str, section: Section, s: &Setup) -> Result<Vec<Row>, String> {
        let ferro = self.configs::<Ferrotls>(s);
        let rust = self.configs::<Rustls>(s);
        let expected = s.expected();
        let pairs = self.sizes.memory_pairs;
        let results: Vec<(Which, Result<bench::MemoryTotals, String>)> = self
            .impls
            .iter()
            .map(|w| {
                let r = match w {
                    Which::Ferrotls => ferro
                        .as_ref()
                        .map_err(Clone::clone)
                        .and_then(|c| bench::bench_memory(c, &expected, pairs)),
                    Which::Rustls => rust
                        .as_ref()
                        .map_err(Clone::clone)
                        .and_then(|c| bench::bench_memory(c, &expected, pairs)),
                };
                (*w, r)
            })
            .collect();
        type Pick = fn(&bench::MemoryTotals) -> f64;
        let picks: [(&str, Target, Pick); 6] = [
            ("idle bytes/connection", Target::RatioAtMost(0.5), |t| {
                per_pair(t, t.client_bytes + t.server_bytes) / 2.0
            }),
            ("idle bytes/client", Target::RatioAtMost(0.5), |t| {
                per_pair(t, t.client_bytes)
            }),
            ("idle bytes/server", Target::RatioAtMost(0.5), |t| {
                per_pair(t, t.server_bytes)
            }),
            ("peak bytes/connection", Target::None, |t| {
                per_pair(t, t.peak_bytes) / 2.0
            }),
            ("peak heap, all pairs", Target::None, |t| {
                t.peak_bytes as f64
            }),
            (
                "idle malloc bytes/conn",
                Target::RatioAtMost(0.5),
                |t| match (t.malloc_client_bytes, t.malloc_server_bytes) {
                    (Some(c), Some(s)) => per_pair(t, c + s) / 2.0,
                    _ => f64::NAN,
                },
            ),
        ];
        Ok(picks
            .into_iter()
            .map(|(label, target, pick)| {
                row_of(
                    section,
                    format!("{name} {pairs} pairs {label}"),
                    "bytes",
                    Better::Lower,
                    target,
                    &results,
                    pick,
                )
            })
            .collect())
    }
}

/// One row from each implementation's result (or error).
fn row_of<T>(
    section: Section,
    scenario: String,
    unit: &'static str,
    better: Better,
    target: Target,
    results: &[(Which, Result<T, String>)],
    pick: impl Fn(&T) -> f64,
) -> Row {
    Row {
        section,
        scenario,
        unit,
        better,
        results: results
            .iter()
            .map(|(w, r)| {
                let m = match r {
                    Ok(t) => Measure::Value(pick(t)),
                    Err(e) => Measure::NotAvailable(e.clone()),
                };
                (w.name(), m)
            })
            .collect(),
        target,
    }
}

fn per_round(t: &HandshakeTotals, v: f64) -> f64 {
    v / t.rounds as f64
}

fn per_pair(t: &bench::MemoryTotals, bytes: i64) -> f64 {
    bytes as f64 / t.pairs as f64
}

/// glibc's malloc starts with a 128 KiB trim threshold and raises it
/// (to twice the size) the first time a large mmap'd block is freed. Until
/// then, a 1 MiB write — queued as 64 record buffers by both
/// implementations — grows the heap and trims it again on every write,
/// page faults included, and whichever implementation runs first pays
/// for it. Freeing one large block up front puts the allocator in the
/// state a long-running process reaches anyway.
fn settle_allocator() {
    drop(std::hint::black_box(vec![1u8; 8 << 20]));
}

/// MB as rustls-bench counts it: 2^20 bytes.
pub const MB: f64 = (1u64 << 20) as f64;

fn warm_up<I: TlsImpl>(cfg: &Configs<I>, clock: Clock) -> Result<(), String> {
    let mut buf = vec![0u8; bench::TRANSFER_BUF];
    let (mut a, mut b) = Default::default();
    bench::handshake_round(cfg, &mut buf, clock, &mut a, &mut b).map(|_| ())
}

/// Runs the benchmarks `args` asks for, printing the table (or JSON lines)
/// as rows complete.
pub fn run_with(args: &Args) -> Result<(), String> {
    let all = scenarios();
    let selected: Vec<Scenario> = all
        .into_iter()
        .filter(|s| {
            let name = s.name().to_lowercase();
            args.only.is_empty() || args.only.iter().any(|o| name.contains(&o.to_lowercase()))
        })
        .collect();
    if args.list {
        for s in &selected {
            println!("{}", s.name());
        }
        return Ok(());
    }
    if selected.is_empty() {
        return Err("no scenario matches --only (see --list)".into());
    }
    let sizes = Sizes::from_args(args);
    let mut bench = Bench::new(sizes, args.clock);
    if let Some(w) = args.implementation {
        bench.impls = vec![w];
    }
    bench.allocs = args.allocs;
    bench.chain_cache = args.ferrotls_chain_cache;
    let mut out = report::Printer::new(args.json, &bench.impls);
    out.header(&sizes, args.clock, args.multiplier, args.quick);
    let on_cpu = OnCpu::start();
    if bench.chain_cache {
        out.note(
            "--ferrotls-chain-cache: ferrotls clients reuse verified chains, rustls clients do not; \
             handshake rows compare two policies",
        );
    }
    for s in &selected {
        let rows = bench.run_scenario(s)?;
        for row in &rows {
            out.row(row);
        }
        if out.closed {
            return Ok(());
        }
    }
    out.footer();
    out.note(&on_cpu.describe());
    Ok(())
}

/// How much of the run's wall-clock time this thread was on a CPU: well
/// under 100% means other load took turns with the benchmark, and timings
/// on the wall clock include those turns.
struct OnCpu {
    wall: std::time::Instant,
    cpu: f64,
}

impl OnCpu {
    fn start() -> Self {
        Self {
            wall: std::time::Instant::now(),
            cpu: measure::thread_cpu_seconds(),
        }
    }

    fn describe(&self) -> String {
        let wall = self.wall.elapsed().as_secs_f64();
        let cpu = measure::thread_cpu_seconds() - self.cpu;
        format!(
            "the benchmark thread was on a CPU for {:.1}% of the run's {wall:.1} s",
            100.0 * cpu / wall
        )
    }
}
