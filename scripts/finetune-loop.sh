#!/usr/bin/env bash
# The correction loop at full size, as an operator would run it: a digit-server keeps N corrections of a
# style the shipped model misreads (by default a slashed 0, which no model is taught; any style of
# tests/support/draw_styles.py), they are exported and taught with the whole of MNIST replayed
# (digit-trainer finetune, its defaults), and the fine-tuned model, if written, is measured on fresh images
# of that style that were never corrected.
#   scripts/finetune-loop.sh [N=2000] [STYLE=zero-slashed] [WORK=/tmp/finetune-loop]
# Needs the built programs (make build), MNIST (data/fetch-mnist.sh) and the negatives' fonts and
# Fashion-MNIST (scripts/setup.sh train).
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-2000}
style=${2:-zero-slashed}
work=${3:-/tmp/finetune-loop}
styles=tests/support/draw_styles.py
label=$( python3 "$styles" list --all | awk -v s="$style" '$1 == s {print $2; exit}')
[ -n "$label" ] || { echo "finetune-loop.sh: no style '$style' (tests/support/draw_styles.py list)" >&2; exit 1; }
bin=build/bin
rm -rf "$work"
mkdir -p "$work"
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; true' EXIT

"$bin/digit-server" --model models/digitnet.cnn --host 127.0.0.1 --port 0 --ui-port -1 \
    --feedback-db "sqlite:$work/feedback.sqlite" --feedback-per-minute 0 2> "$work/server.log" &
pid=$!
until port=$(sed -n 's/.*API on http:\/\/[^:]*:\([0-9]*\).*/\1/p' "$work/server.log") && [ -n "$port" ]; do sleep 0.2; done

python3 "$styles" "$style" "$count" 11 "$work/corrections"
python3 "$styles" "$style" 500 12345 "$work/fresh"  # never sent: the style's test set
for f in "$work"/corrections/*.png; do
    curl -sf -o /dev/null -F "file=@$f" -F "label=$label" -F kind=digit -F consent=true "http://127.0.0.1:$port/feedback"
done
kill "$pid"
pid=

"$bin/digit-trainer" feedback export --db "sqlite:$work/feedback.sqlite" --out "$work/export"
start=$(date +%s)
status=0
"$bin/digit-trainer" finetune --model models/digitnet.cnn --feedback "$work/export" --data data/mnist \
    --out "$work/finetuned.cnn" | tee "$work/finetune.out" || status=$?
echo "finetune: exit status $status, $(( $(date +%s) - start )) s"

read_right() {  # read_right MODEL: the share of the fresh images read as their digit
    "$bin/digit-trainer" predict --model "$1" "$work"/fresh/*.png |
        awk -v d="$label" '{ n++; if ($2 == d) k++ } END { printf "%d/%d = %.1f%%\n", k, n, 100 * k / n }'
}
echo "fresh $style read as $label, shipped model:    $(read_right models/digitnet.cnn)"
if [ -f "$work/finetuned.cnn" ]; then
    echo "fresh $style read as $label, fine-tuned model: $(read_right "$work/finetuned.cnn")"
    "$bin/digit-trainer" eval --model "$work/finetuned.cnn" --data data/mnist | tail -n 1
fi
