#!/usr/bin/env bash
# Runs every libFuzzer target in BIN_DIR for SECONDS each, on a copy of its seed corpus
# (tests/fuzz/corpus/<name>); crashes land in tests/fuzz/artifacts/. Prints executions and coverage.
# Usage: scripts/run-fuzzers.sh BIN_DIR [SECONDS]
set -euo pipefail
bin=${1:?usage: run-fuzzers.sh BIN_DIR [SECONDS]}
seconds=${2:-60}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$root/tests/fuzz/artifacts"
status=0
for target in "$bin"/fuzz_*; do
    name=$(basename "$target")
    corpus=$(mktemp -d)
    cp -r "$root/tests/fuzz/corpus/${name#fuzz_}/." "$corpus/" 2>/dev/null || true
    echo "== $name for ${seconds}s"
    if ! "$target" "$corpus" -max_total_time="$seconds" -rss_limit_mb=4096 -timeout=10 -print_final_stats=1 \
            -artifact_prefix="$root/tests/fuzz/artifacts/$name-" > "$corpus.log" 2>&1; then
        echo "$name: FAILED (see tests/fuzz/artifacts/)"
        status=1
    fi
    grep -E "^stat::number_of_executed_units|^#[0-9]+.*DONE" "$corpus.log" | tail -2 || true
    grep -oE "cov: [0-9]+ ft: [0-9]+" "$corpus.log" | tail -1 || true
    grep -E "ERROR|SUMMARY" "$corpus.log" | head -5 || true
    rm -rf "$corpus" "$corpus.log"
done
exit $status
