#!/usr/bin/env bash
# No data lost: digit-trainer is killed with SIGKILL at random moments while it trains and writes its
# checkpoint and model; every time, the files it had written before are still complete and load.
set -uo pipefail
trainer=$1
mnist=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
args=(train --data "$mnist" --out "$work/m.cnn" --arch digitnet --limit 400 --validation 40 --threads 2 --quiet)
"$trainer" "${args[@]}" --epochs 1 > /dev/null 2>&1 || { echo "FAILED: first training run"; exit 1; }
failures=0
for delay in 0.4 1.0 1.7 2.5; do
    "$trainer" "${args[@]}" --epochs 50 --resume > /dev/null 2>&1 &
    pid=$!  # the trainer itself, so that SIGKILL reaches it
    sleep "$delay"
    if ! kill -9 $pid 2>/dev/null; then
        echo "FAILED: the trainer had already stopped after ${delay}s"
        failures=$((failures + 1))
    fi
    wait $pid 2>/dev/null
    for f in m.cnn m.cnn.ckpt; do
        if out=$("$trainer" eval --model "$work/$f" --data "$mnist" 2>&1); then
            echo "ok: killed after ${delay}s, $f loads ($(echo "$out" | tail -1))"
        else
            echo "FAILED: killed after ${delay}s, $f: $out"
            failures=$((failures + 1))
        fi
    done
done
echo "kill checks: $((8 - failures)) passed, $failures failed"
[ $failures -eq 0 ]
