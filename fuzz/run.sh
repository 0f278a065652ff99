#!/usr/bin/env bash
# fuzz/run.sh TARGET SECONDS [LIBFUZZER_ARG...]
#
# Runs one cargo-fuzz target for SECONDS on the stable toolchain (no
# sanitizer: the workspace has no `unsafe`), with its corpus in
# fuzz/corpus/TARGET (kept, not committed) seeded from fuzz/seeds/TARGET
# (committed) when that exists. Prints the number of executions; exits
# non-zero on a crash, a timeout or an out-of-memory, with the failing
# input's path (under fuzz/artifacts/TARGET) in the output.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: fuzz/run.sh TARGET SECONDS [LIBFUZZER_ARG...]}
secs=${2:?usage: fuzz/run.sh TARGET SECONDS [LIBFUZZER_ARG...]}
shift 2
corpus=fuzz/corpus/$target
seeds=fuzz/seeds/$target
mkdir -p "$corpus" "fuzz/artifacts/$target" fuzz/target
dirs=("$corpus")
[ -d "$seeds" ] && dirs+=("$seeds")
log=fuzz/target/run-$target.log
echo "--- fuzz $target for ${secs}s (corpus $corpus${dirs[1]:+, seeds $seeds}; log $log)"
status=0
RUSTC_BOOTSTRAP=1 cargo fuzz run "$target" -s none "${dirs[@]}" -- \
    -max_total_time="$secs" -timeout=30 -print_final_stats=1 "$@" > "$log" 2>&1 || status=$?
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
if [ "$status" -ne 0 ]; then
    echo "FAILED: $target exited with status $status after ${runs:-?} executions; the end of its log:"
    tail -n 60 "$log"
    grep -h -o 'Test unit written to [^ ]*' "$log" || true
    exit "$status"
fi
if [ -z "$runs" ]; then
    echo "FAILED: $target printed no final stats; the end of its log:"
    tail -n 30 "$log"
    exit 1
fi
echo "$target: $runs executions in ${secs}s ($(( runs / (secs > 0 ? secs : 1) ))/s), corpus $(find "$corpus" -type f | wc -l) inputs, no crash"
