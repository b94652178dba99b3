//! A counting global allocator: current and peak heap bytes, and the
//! number and bytes of allocations, for the memory scenarios and the
//! allocations-per-handshake diagnostics.
//!
//! The library cannot install a global allocator for its caller; the
//! binary that runs the benchmarks does:
//!
//! ```text
//! #[global_allocator]
//! static GLOBAL: ferrotls_bench::CountingAlloc = ferrotls_bench::CountingAlloc;
//! ```
//!
//! Without it, [`stats`] returns `None` and the memory rows say so.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicIsize, AtomicU64, Ordering::Relaxed};

/// Wraps the system allocator and counts what passes through it.
pub struct CountingAlloc;

static INSTALLED: AtomicBool = AtomicBool::new(false);
static CURRENT: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicIsize = AtomicIsize::new(0);
static ALLOCS: AtomicU64 = AtomicU64::new(0);
static ALLOC_BYTES: AtomicU64 = AtomicU64::new(0);

fn grew(size: usize) {
    if !INSTALLED.load(Relaxed) {
        INSTALLED.store(true, Relaxed);
    }
    let now = CURRENT.fetch_add(size as isize, Relaxed) + size as isize;
    PEAK.fetch_max(now, Relaxed);
    ALLOCS.fetch_add(1, Relaxed);
    ALLOC_BYTES.fetch_add(size as u64, Relaxed);
}

fn shrank(size: usize) {
    CURRENT.fetch_sub(size as isize, Relaxed);
}

// SAFETY: every call is forwarded unchanged to `System`; the counters
// are only bookkeeping on the side.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller upholds `GlobalAlloc::dealloc`'s contract.
        unsafe { System.dealloc(ptr, layout) };
        shrank(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller upholds `GlobalAlloc::realloc`'s contract.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            // Counted as a free and an allocation: a realloc usually moves.
            shrank(layout.size());
            grew(new_size);
        }
        p
    }
}

/// A snapshot of the counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AllocStats {
    /// Heap bytes in use now.
    pub current: i64,
    /// The most heap bytes in use since the last [`reset_peak`].
    pub peak: i64,
    /// Allocations (and reallocations) so far.
    pub allocs: u64,
    /// Bytes requested by those allocations.
    pub alloc_bytes: u64,
}

/// The counters, or `None` when [`CountingAlloc`] is not the global
/// allocator of this process.
pub fn stats() -> Option<AllocStats> {
    INSTALLED.load(Relaxed).then(|| AllocStats {
        current: CURRENT.load(Relaxed) as i64,
        peak: PEAK.load(Relaxed) as i64,
        allocs: ALLOCS.load(Relaxed),
        alloc_bytes: ALLOC_BYTES.load(Relaxed),
    })
}

/// Starts a new peak measurement from the current usage.
pub fn reset_peak() {
    PEAK.store(CURRENT.load(Relaxed), Relaxed);
}

/// Allocation count and bytes so far (zero without the counting allocator).
pub(crate) fn counts() -> (u64, u64) {
    (ALLOCS.load(Relaxed), ALLOC_BYTES.load(Relaxed))
}
