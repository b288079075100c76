#!/usr/bin/env bash
# Runs every fuzz target (fuzz/fuzz_targets, cargo-fuzz with libFuzzer and AddressSanitizer)
# for SECONDS each, as many at a time as there are cores, then prints what each found.
#   scripts/fuzz.sh [SECONDS] [TARGET...]      default: 60 seconds, every target
# New inputs go to fuzz/corpus-run/TARGET (not committed; fuzz/corpus holds the small
# committed seed corpus, which the normal tests replay); crashes to fuzz/artifacts/TARGET.
# Exits non-zero when any target found a crash, a hang or an allocation over the limits.
set -euo pipefail

seconds=${1:-60}
shift || true
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here/fuzz"
[ -x "$HOME/.cargo/bin/cargo" ] && export PATH="$HOME/.cargo/bin:$PATH"

if ! rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    echo "fuzz: cargo-fuzz needs the nightly toolchain: rustup toolchain install nightly" >&2
    exit 1
fi
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked --version 0.13.2

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(pg_backend pg_text mysql_server mysql_rows sqlite_split url)

echo "fuzz: building ${targets[*]} (nightly, AddressSanitizer, optimised)"
for t in "${targets[@]}"; do
    cargo +nightly fuzz build -O "$t" >build.log 2>&1 || { tail -n 30 build.log >&2; exit 1; }
done

# A server's bytes are at most 64 KiB per input: anything that then needs hundreds of MB,
# or seconds, is a bug.
flags=(-max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=1024
       -malloc_limit_mb=256 -print_final_stats=1)

jobs=$(nproc 2>/dev/null || echo 2)
run() {
    local t=$1
    mkdir -p "corpus-run/$t" "artifacts/$t"
    cargo +nightly fuzz run -O "$t" "corpus-run/$t" "corpus/$t" -- "${flags[@]}" \
        -artifact_prefix="artifacts/$t/" >"corpus-run/$t.log" 2>&1
}
pids=()
status=0
for t in "${targets[@]}"; do
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do sleep 1; done
    echo "fuzz: $t for $seconds s"
    run "$t" &
    pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || status=1; done

echo
printf '%-14s %12s %8s %8s %8s  %s\n' target runs "exec/s" cov corpus found
for t in "${targets[@]}"; do
    log="corpus-run/$t.log"
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
    corpus=$(find "corpus-run/$t" -type f | wc -l)
    found=$(find "artifacts/$t" -type f | wc -l)
    printf '%-14s %12s %8s %8s %8s  %s\n' "$t" "${runs:-?}" "${rate:-?}" "${cov:-?}" "$corpus" \
        "$([ "$found" -eq 0 ] && echo nothing || echo "$found in artifacts/$t (see $log)")"
    [ "$found" -eq 0 ] || status=1
done
exit "$status"
