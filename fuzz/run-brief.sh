#!/usr/bin/env bash
# Builds every fuzz target and runs each for a few seconds from the
# committed seeds (fuzz/seeds/<target>/), plus a check that the session
# seeds still complete real handshakes. A crash, a hang (-timeout) or an
# allocation over -malloc_limit_mb fails the script; what libFuzzer found
# is left in fuzz/artifacts/<target>/.
#
#   fuzz/run-brief.sh [seconds per target, default 3]
#
# cargo-fuzz passes nightly-only flags; on a stable toolchain
# RUSTC_BOOTSTRAP=1 lets them through. Without a usable toolchain the
# script says so and exits 0. No sanitizer (-s none): the library forbids
# unsafe code, and aws-lc is not what we fuzz.
set -euo pipefail
cd "$(dirname "$0")"
SECS="${1:-3}"
export RUSTC_BOOTSTRAP=1

if ! rustc -Z help >/dev/null 2>&1; then
    echo "fuzz: this toolchain does not accept -Z flags; fuzz targets not built"
    exit 0
fi
if ! command -v cargo-fuzz >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked --quiet
fi

cargo test --quiet --lib
cargo fuzz build -s none
for target in $(cargo fuzz list); do
    corpus="target/corpus/$target"
    mkdir -p "$corpus"
    echo "fuzz: $target for ${SECS}s"
    cargo fuzz run -s none "$target" "$corpus" "seeds/$target" -- \
        -max_total_time="$SECS" -timeout=10 -malloc_limit_mb=64 \
        -print_final_stats=1 2>&1 | grep -E '^(stat::number_of_executed_units|stat::new_units_added|Done)|ERROR|panicked|SUMMARY' || true
    # grep hides libFuzzer's chatter; its verdict is the exit status.
    test "${PIPESTATUS[0]}" -eq 0
done
