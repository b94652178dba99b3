//! Clocks and meters: time (and allocations) spent inside one side's calls.

use std::time::Instant;

use crate::alloc;

/// Which clock a meter reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Clock {
    /// Wall-clock time (`Instant`), as rustls-bench measures: read without
    /// a system call, so it adds little to each timed call. Time the thread
    /// spends descheduled is counted; the footer says how much there was.
    Wall,
    /// CPU time of this thread (`CLOCK_THREAD_CPUTIME_ID`): time spent
    /// descheduled is not counted, but every read is a system call, and
    /// part of its cost lands inside each timed call — the header says how
    /// much; it dilutes the ratio of short calls such as resumed handshakes.
    Cpu,
}

impl Clock {
    /// Seconds since an arbitrary origin, on this clock.
    pub fn now(self) -> f64 {
        match self {
            Self::Cpu => thread_cpu_seconds(),
            Self::Wall => {
                // One origin per process, so differences are exact.
                static ORIGIN: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
                ORIGIN.get_or_init(Instant::now).elapsed().as_secs_f64()
            }
        }
    }

    /// The cost of one read of this clock, in seconds (a calibration).
    pub fn read_cost(self) -> f64 {
        const READS: u32 = 10_000;
        let start = Instant::now();
        let mut last = 0.0;
        for _ in 0..READS {
            last = std::hint::black_box(self.now());
        }
        std::hint::black_box(last);
        start.elapsed().as_secs_f64() / f64::from(READS)
    }

    pub fn describe(self) -> &'static str {
        match self {
            Self::Cpu => "thread CPU time",
            Self::Wall => "wall-clock time",
        }
    }
}

/// CPU time of this thread, in seconds.
pub fn thread_cpu_seconds() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec for the duration of the call.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        // Not expected on Linux; fall back to a clock that always works.
        return Clock::Wall.now();
    }
    ts.tv_sec as f64 + ts.tv_nsec as f64 / 1e9
}

/// Time, allocations and allocated bytes accumulated by one side.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Meter {
    pub secs: f64,
    pub allocs: u64,
    pub alloc_bytes: u64,
}

impl Meter {
    /// Runs `f`, adding its duration and allocations to this meter.
    pub fn measure<T>(&mut self, clock: Clock, f: impl FnOnce() -> T) -> T {
        let (a0, b0) = alloc::counts();
        let t0 = clock.now();
        let out = f();
        let t1 = clock.now();
        let (a1, b1) = alloc::counts();
        self.secs += t1 - t0;
        self.allocs += a1 - a0;
        self.alloc_bytes += b1 - b0;
        out
    }

    pub fn add(&mut self, other: &Meter) {
        self.secs += other.secs;
        self.allocs += other.allocs;
        self.alloc_bytes += other.alloc_bytes;
    }
}
