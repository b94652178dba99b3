#!/usr/bin/env bash
# Where one side of a benchmark scenario spends its instructions: in aws-lc
# (the primitives ferrotls and rustls share) or in everything else (the TLS
# stack's own code, the allocator, copies).
#
#   ferrotls-bench/floor.sh SCENARIO [server|client]
#
# SCENARIO is one name from `ferrotls-bench --list` (or a part of exactly
# one). Runs that side of it with --quick for each implementation under
# callgrind, which counts instructions rather than time, so the numbers repeat
# on a busy machine. Prints both splits, the ratio of the totals (as the bench
# prints rustls' time over ferrotls'), and the ceiling: rustls' total over
# ferrotls' aws-lc part, the ratio ferrotls would reach if nothing but aws-lc
# cost anything. aws-lc's own calls to malloc count as "the rest", so the
# ceiling is, if anything, too generous.
set -euo pipefail

scenario=${1:?usage: floor.sh SCENARIO [server|client]}
side=${2:-server}
case $side in
server) conn=ServerConnection ;;
client) conn=ClientConnection ;;
*)
    echo "floor.sh: the side is server or client, not '$side'" >&2
    exit 2
    ;;
esac
for tool in valgrind callgrind_annotate; do
    command -v "$tool" >/dev/null || {
        echo "floor.sh: needs $tool (Debian: apt-get install valgrind)" >&2
        exit 2
    }
done

cd "$(dirname "$0")/.."
cargo build --release -q -p ferrotls-bench
bench=target/release/ferrotls-bench
matches=$("$bench" --list | grep -iF -- "$scenario" || true)
if [ "$(printf '%s' "$matches" | grep -c .)" != 1 ]; then
    echo "floor.sh: '$scenario' must name exactly one scenario of --list; it names:" >&2
    printf '%s\n' "${matches:-(none)}" >&2
    exit 2
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
pids=()
for impl in ferrotls rustls; do
    valgrind --tool=callgrind --callgrind-out-file="$out/$impl.cg" \
        --toggle-collect="*$conn as ferrotls_bench::tls::Conn*" \
        --toggle-collect="*as ferrotls_bench::tls::TlsImpl>::new_$side" \
        "$bench" --quick --impl "$impl" --only "$matches" >"$out/$impl.log" 2>&1 &
    pids+=($!)
done
for pid in "${pids[@]}"; do
    wait "$pid" || {
        cat "$out"/*.log >&2
        exit 1
    }
done

# Self cost per function, summed by whether the function is aws-lc's
# (its C and assembly, and the aws-lc-rs wrappers around them).
split() {
    callgrind_annotate --auto=no --threshold=100 "$1" | awk '
        /PROGRAM TOTALS/ { next }
        match($0, /^ *[0-9,]+ \( *[0-9.]+%\) +/) {
            n = substr($0, 1, RLENGTH); sub(/\(.*/, "", n); gsub(/[ ,]/, "", n)
            if ($0 ~ /\/aws-lc\/|aws_lc_[0-9]|aws-lc-rs-|aws-lc-sys-/) lc += n; else rest += n
        }
        END { printf "%d %d\n", lc + rest, lc }'
}
read -r f_total f_lc < <(split "$out/ferrotls.cg")
read -r r_total r_lc < <(split "$out/rustls.cg")

echo "$matches, $side side: instructions under callgrind (--quick, same rounds for both)"
awk -v ft="$f_total" -v fl="$f_lc" -v rt="$r_total" -v rl="$r_lc" 'BEGIN {
    printf "%-10s %15s %15s %8s %15s\n", "", "total", "aws-lc", "share", "the rest"
    printf "%-10s %15d %15d %7.1f%% %15d\n", "ferrotls", ft, fl, 100 * fl / ft, ft - fl
    printf "%-10s %15d %15d %7.1f%% %15d\n", "rustls", rt, rl, 100 * rl / rt, rt - rl
    printf "ratio rustls/ferrotls: %.3fx; ceiling (rustls total / ferrotls aws-lc): %.3fx\n", rt / ft, rt / fl
}'
