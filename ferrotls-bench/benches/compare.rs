//! `cargo bench`: the same comparison as `ferrotls bench`, ferrotls and
//! rustls side by side. Options go after `--`, e.g.
//! `cargo bench -p ferrotls-bench -- --quick --only bulk`.

/// Counts heap use for the memory scenarios, as the binary does.
#[global_allocator]
static GLOBAL: ferrotls_bench::CountingAlloc = ferrotls_bench::CountingAlloc;

fn main() {
    // cargo passes `--bench` to every bench target; the tool has no use
    // for it.
    let args = std::env::args().skip(1).filter(|a| a != "--bench");
    if let Err(e) = ferrotls_bench::run(args) {
        eprintln!("cargo bench: {e}");
        std::process::exit(1);
    }
}
