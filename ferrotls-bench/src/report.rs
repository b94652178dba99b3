//! Rows and how they print: an aligned table, or one JSON object per row
//! and implementation.

use crate::measure::Clock;
use crate::tls::Which;
use crate::Sizes;

/// The part of the table a row belongs in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Section {
    FullHandshakes,
    ResumedHandshakes,
    RawAead,
    Bulk,
    Memory,
}

impl Section {
    fn title(self) -> &'static str {
        match self {
            Self::FullHandshakes => {
                "full handshakes (AES-128-GCM; per side: rounds / that side's time)"
            }
            Self::ResumedHandshakes => "resumed handshakes (ECDSA-P256, x25519, AES-128-GCM)",
            Self::RawAead => "raw aws-lc-rs AEAD on 16 KiB records (the limit for bulk)",
            Self::Bulk => {
                "bulk: server sends to client in 1 MiB writes (ECDSA-P256, x25519). Buffered: send \
                 = writer() calls, as rustls-bench counts it, send+write_tls adds the copy out, recv \
                 = read_tls + process_new_packets + reader(). In-place: seal/open in the caller's \
                 buffer (rustls: its unbuffered API)"
            }
            Self::Memory => {
                "memory: idle pairs after a 1 KiB exchange; bytes = Rust heap (counting \
                 allocator), malloc = all malloc use incl. aws-lc's C allocations"
            }
        }
    }
}

/// Which direction is good.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Better {
    Higher,
    Lower,
}

/// One implementation's result for a row.
#[derive(Clone, Debug, PartialEq)]
pub enum Measure {
    Value(f64),
    /// Not measured, and why ("not implemented: never resumed", an error).
    NotAvailable(String),
}

impl Measure {
    pub fn value(&self) -> Option<f64> {
        match self {
            Self::Value(v) => Some(*v),
            Self::NotAvailable(_) => None,
        }
    }
}

/// What ferrotls aims for on a row (a benchmark, never asserted).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Target {
    None,
    /// ferrotls / rustls at least this.
    RatioAtLeast(f64),
    /// ferrotls / rustls at most this.
    RatioAtMost(f64),
    /// ferrotls at least `fraction` of the raw AEAD speed `raw` (MB/s).
    FractionOfRaw {
        raw: f64,
        fraction: f64,
    },
}

/// One line of the table.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub section: Section,
    pub scenario: String,
    pub unit: &'static str,
    pub better: Better,
    /// Per implementation ("ferrotls", "rustls", "aws-lc-rs").
    pub results: Vec<(&'static str, Measure)>,
    pub target: Target,
}

impl Row {
    pub fn get(&self, name: &str) -> Option<&Measure> {
        self.results
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, m)| m)
    }

    /// ferrotls / rustls, when both were measured.
    pub fn ratio(&self) -> Option<f64> {
        let f = self.get("ferrotls")?.value()?;
        let r = self.get("rustls")?.value()?;
        (r != 0.0).then(|| f / r)
    }

    /// The target, and whether ferrotls meets it (None: cannot tell).
    pub fn target_status(&self) -> Option<(String, Option<bool>)> {
        match self.target {
            Target::None => None,
            Target::RatioAtLeast(t) => Some((format!(">={t:.2}x"), self.ratio().map(|r| r >= t))),
            Target::RatioAtMost(t) => Some((format!("<={t:.2}x"), self.ratio().map(|r| r <= t))),
            Target::FractionOfRaw { raw, fraction } => {
                let f = self.get("ferrotls").and_then(Measure::value);
                Some((
                    match f {
                        Some(f) => format!(
                            ">={:.0}% of raw {raw:.0}: {:.0}%",
                            fraction * 100.0,
                            f / raw * 100.0
                        ),
                        None => format!(">={:.0}% raw", fraction * 100.0),
                    },
                    f.map(|f| f >= raw * fraction),
                ))
            }
        }
    }
}

/// Prints rows as they arrive.
pub struct Printer {
    json: bool,
    columns: Vec<&'static str>,
    section: Option<Section>,
    missed: Vec<String>,
    /// Rows whose target could be judged.
    judged: usize,
    /// Stdout is gone (say, piped into `head`): stop quietly.
    pub closed: bool,
}

const NAME_W: usize = 66;
const UNIT_W: usize = 24;
const VALUE_W: usize = 12;

impl Printer {
    pub fn new(json: bool, impls: &[Which]) -> Self {
        Self {
            json,
            columns: impls.iter().map(|w| w.name()).collect(),
            section: None,
            missed: Vec::new(),
            judged: 0,
            closed: false,
        }
    }

    /// One line to stdout; a closed stdout ends the output.
    fn say(&mut self, line: &str) {
        use std::io::Write;
        if !self.closed && writeln!(std::io::stdout().lock(), "{line}").is_err() {
            self.closed = true;
        }
    }

    /// A line under the header (not in JSON output).
    pub fn note(&mut self, line: &str) {
        if !self.json {
            self.say(line);
        }
    }

    pub fn header(&mut self, sizes: &Sizes, clock: Clock, multiplier: f64, quick: bool) {
        if self.json {
            return;
        }
        self.say(&format!(
            "ferrotls-bench: ferrotls vs rustls {} (aws-lc-rs), one thread, in-memory; \
             clock: {} ({:.0} ns per read); {}multiplier {multiplier}",
            RUSTLS_VERSION,
            clock.describe(),
            clock.read_cost() * 1e9,
            if quick { "--quick, " } else { "" },
        ));
        self.say(&format!(
            "work per implementation: {} full / {} resumed handshakes, {} MiB bulk in {} KiB writes \
             and {} B reads, {} memory pairs; {} alternating slices",
            sizes.handshakes,
            sizes.resumptions,
            sizes.bulk_bytes >> 20,
            sizes.bulk_write >> 10,
            sizes.bulk_read,
            sizes.memory_pairs,
            sizes.slices,
        ));
        self.say(
            "ratio = ferrotls / rustls. handshakes/s, MB/s: higher is better (ratio > 1: ferrotls \
             faster). bytes, allocs: lower is better (ratio < 1: ferrotls smaller). MB = 2^20 bytes.",
        );
    }

    pub fn row(&mut self, row: &Row) {
        if self.json {
            for (name, m) in &row.results {
                let (value, note) = match m {
                    Measure::Value(v) if v.is_finite() => (format!("{v:.3}"), None),
                    Measure::Value(_) => ("null".to_string(), Some("not finite")),
                    Measure::NotAvailable(why) => ("null".to_string(), Some(why.as_str())),
                };
                let note = note
                    .map(|n| format!(", \"note\": {}", json_string(n)))
                    .unwrap_or_default();
                self.say(&format!(
                    "{{\"scenario\": {}, \"impl\": {}, \"value\": {value}, \"unit\": {}{note}}}",
                    json_string(&row.scenario),
                    json_string(name),
                    json_string(row.unit),
                ));
            }
            return;
        }
        if self.section != Some(row.section) {
            self.section = Some(row.section);
            self.say("");
            self.say(&format!("== {}", row.section.title()));
            let mut head = format!("{:<NAME_W$} {:<UNIT_W$}", "scenario", "unit");
            if row.section == Section::RawAead {
                head.push_str(&format!(" {:>VALUE_W$}", "aws-lc-rs"));
            } else {
                for c in &self.columns {
                    head.push_str(&format!(" {c:>VALUE_W$}"));
                }
                head.push_str(&format!(" {:>7}  target", "ratio"));
            }
            self.say(&head);
        }
        let mut line = format!("{:<NAME_W$} {:<UNIT_W$}", row.scenario, row.unit);
        let mut notes = Vec::new();
        for (name, m) in &row.results {
            match m {
                Measure::Value(v) => line.push_str(&format!(" {:>VALUE_W$}", format_value(*v))),
                Measure::NotAvailable(why) => {
                    line.push_str(&format!(" {:>VALUE_W$}", "n/a"));
                    notes.push(format!("{name}: {why}"));
                }
            }
        }
        if row.section != Section::RawAead {
            match row.ratio() {
                Some(r) => line.push_str(&format!(" {:>6.2}x", r)),
                None => line.push_str(&format!(" {:>7}", "-")),
            }
            if let Some((target, met)) = row.target_status() {
                self.judged += usize::from(met.is_some());
                let mark = match met {
                    Some(true) => "ok",
                    Some(false) => {
                        self.missed.push(row.scenario.clone());
                        "MISS"
                    }
                    None => "?",
                };
                line.push_str(&format!("  {target} {mark}"));
            }
        }
        if !notes.is_empty() {
            line.push_str(&format!("  [{}]", notes.join("; ")));
        }
        self.say(&line);
    }

    pub fn footer(&mut self) {
        if self.json {
            return;
        }
        self.say("");
        if self.judged == 0 {
            self.say("no target could be judged in this run");
        } else if self.missed.is_empty() {
            self.say(&format!(
                "all {} judged targets met (targets are benchmarks, not tests)",
                self.judged
            ));
        } else {
            self.say(&format!(
                "{} of {} judged rows miss their target (targets are benchmarks, not tests):",
                self.missed.len(),
                self.judged
            ));
            for m in self.missed.clone() {
                self.say(&format!("  {m}"));
            }
        }
    }
}

/// The rustls this crate measures against (see Cargo.toml).
const RUSTLS_VERSION: &str = "0.23";

fn format_value(v: f64) -> String {
    if !v.is_finite() {
        "inf".into()
    } else if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

/// A JSON string literal.
pub fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_escapes() {
        assert_eq!(json_string("a\"b\\c\n\u{1}"), "\"a\\\"b\\\\c\\n\\u0001\"");
    }

    #[test]
    fn ratio_and_targets() {
        let row = Row {
            section: Section::FullHandshakes,
            scenario: "x".into(),
            unit: "handshakes/s",
            better: Better::Higher,
            results: vec![
                ("ferrotls", Measure::Value(120.0)),
                ("rustls", Measure::Value(100.0)),
            ],
            target: Target::RatioAtLeast(1.10),
        };
        assert_eq!(row.ratio(), Some(1.2));
        assert_eq!(row.target_status().unwrap().1, Some(true));
        let bulk = Row {
            target: Target::FractionOfRaw {
                raw: 200.0,
                fraction: 0.9,
            },
            ..row.clone()
        };
        assert_eq!(bulk.target_status().unwrap().1, Some(false));
        let na = Row {
            results: vec![
                ("ferrotls", Measure::NotAvailable("not implemented".into())),
                ("rustls", Measure::Value(100.0)),
            ],
            ..row
        };
        assert_eq!(na.ratio(), None);
        assert_eq!(na.target_status().unwrap().1, None);
    }
}
