//! `ferrotls-bench`: ferrotls and rustls side by side. See the library
//! docs, or `ferrotls-bench --help`.

/// Counts heap use for the memory scenarios (and allocations per handshake).
#[global_allocator]
static GLOBAL: ferrotls_bench::CountingAlloc = ferrotls_bench::CountingAlloc;

fn main() {
    if let Err(e) = ferrotls_bench::run(std::env::args().skip(1)) {
        eprintln!("ferrotls-bench: {e}");
        std::process::exit(1);
    }
}
