#!/usr/bin/env bash
# digit-trainer as users run it: train/eval/predict/read output and exit status, and a one-line error naming the
# file and the problem (exit 1) for each kind of bad input.
set -uo pipefail
trainer=$1
mnist=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
passes=0
pass() { echo "ok: $1"; passes=$((passes + 1)); }
fail() { echo "FAILED: $1"; failures=$((failures + 1)); }

# expect_error NAME WORDS CMD...: exit status 1, exactly one line on stderr, containing WORDS.
expect_error() {
    local name=$1 words=$2
    shift 2
    "$@" > "$work/out" 2> "$work/err"
    local rc=$?
    local lines
    lines=$(wc -l < "$work/err")
    if [ $rc -eq 1 ] && [ "$lines" -eq 1 ] && grep -q -- "$words" "$work/err"; then
        pass "$name: $(cat "$work/err")"
    else
        fail "$name: exit $rc, $lines stderr lines: $(cat "$work/err")"
    fi
}

# A small model trained through the command line.
if "$trainer" train --data "$mnist" --out "$work/m.cnn" --arch digitnet --limit 3000 --epochs 2 --threads 2 \
        --no-augment --schedule constant \
        --metrics "$work/metrics.json" --quiet 2> "$work/train.log" && [ -f "$work/m.cnn" ] && [ ! -f "$work/m.cnn.tmp" ]; then
    pass "train writes the model"
else
    fail "train: $(tail -3 "$work/train.log")"
fi
grep -q '"epoch": 2' "$work/metrics.json" && pass "train --metrics writes per-epoch JSON" || fail "metrics JSON"

# eval: the last line is "accuracy: 0.xxxx"; --confusion adds 10 rows.
"$trainer" eval --model "$work/m.cnn" --data "$mnist" --confusion > "$work/eval.txt" 2>&1
rc=$?
last=$(tail -1 "$work/eval.txt")
if [ $rc -eq 0 ] && [[ "$last" =~ ^accuracy:\ 0\.[0-9]{4}$ ]]; then pass "eval: $last"; else fail "eval: exit $rc, last line '$last'"; fi
rows=$(grep -cE '^ +[0-9] +( +[0-9]+){10}$' "$work/eval.txt")
[ "$rows" -eq 10 ] && pass "eval --confusion prints a 10x10 matrix" || fail "confusion matrix: $rows rows"

# predict: a PNG made from an MNIST test digit (dark ink on white paper, 4x larger).
/usr/bin/python3 - "$mnist/t10k-images-idx3-ubyte" "$work/digit.png" <<'PY'
import struct, sys, zlib
raw = open(sys.argv[1], "rb").read()
img = raw[16:16 + 784]  # the first test digit: a 7
rows = []
for y in range(112):
    row = bytes(255 - img[(y // 4) * 28 + x // 4] for x in range(112))
    rows.append(b"\x00" + row)
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 112, 112, 8, 0, 0, 0, 0))
png += chunk(b"IDAT", zlib.compress(b"".join(rows))) + chunk(b"IEND", b"")
open(sys.argv[2], "wb").write(png)
PY
out=$("$trainer" predict --model "$work/m.cnn" "$work/digit.png" 2>&1)
rc=$?
if [ $rc -eq 0 ] && [[ "$out" =~ ^.*digit\.png:\ 7\ \(confidence\ [01]\.[0-9]{3}\)$ ]]; then pass "predict: $out"; else fail "predict: exit $rc: $out"; fi

# predict --debug-dir: a PNG of every stage, each a real image of the expected size.
out=$("$trainer" predict --model "$work/m.cnn" "$work/digit.png" --debug-dir "$work/debug" 2>&1)
rc=$?
stages=0
for stage in 1-grey 2-ink 3-kept 4-input; do
    f="$work/debug/digit.$stage.png"
    if [ -s "$f" ] && [ "$(head -c 8 "$f" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ]; then stages=$((stages + 1)); fi
done
size=$(python3 -c "import struct,sys; d=open(sys.argv[1],'rb').read(24); print(*struct.unpack('>II', d[16:24]))" "$work/debug/digit.4-input.png" 2>/dev/null)
if [ $rc -eq 0 ] && [ $stages -eq 4 ] && [ "$size" = "224 224" ]; then pass "predict --debug-dir: 4 stage pictures"; else fail "predict --debug-dir: exit $rc, $stages of 4 pictures, input $size: $out"; fi
# A blank image still shows the stages it reached, and fails with its one-line error.
python3 - "$work/blank.png" <<'PY'
import struct, sys, zlib
def chunk(kind, data): return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
raw = b"".join(b"\x00" + b"\xff" * 64 for _ in range(64))
open(sys.argv[1], "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 64, 64, 8, 0, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
PY
out=$("$trainer" predict --model "$work/m.cnn" "$work/blank.png" --debug-dir "$work/debug" 2>&1)
rc=$?
if [ $rc -eq 1 ] && [[ "$out" == *"blank.png: the image holds no ink"* ]] && [ -s "$work/debug/blank.1-grey.png" ]; then pass "predict --debug-dir on a blank image: $out"; else fail "predict --debug-dir on a blank image: exit $rc: $out"; fi

# read: the first three MNIST test digits (7, 2, 1) side by side on white, 4x larger, gaps between them.
/usr/bin/python3 - "$mnist/t10k-images-idx3-ubyte" "$work/number.png" <<'PY'
import struct, sys, zlib
raw = open(sys.argv[1], "rb").read()
digits = [raw[16 + i * 784:16 + (i + 1) * 784] for i in range(3)]
width, height, left = 440, 160, [20, 160, 300]
rows = []
for y in range(height):
    row = bytearray([255] * width)
    yy = y - 24
    if 0 <= yy < 112:
        for d, x0 in zip(digits, left):
            for x in range(112):
                row[x0 + x] = 255 - d[(yy // 4) * 28 + x // 4]
    rows.append(b"\x00" + bytes(row))
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
png += chunk(b"IDAT", zlib.compress(b"".join(rows))) + chunk(b"IEND", b"")
open(sys.argv[2], "wb").write(png)
PY
out=$("$trainer" read --model "$work/m.cnn" "$work/number.png" --debug-dir "$work/debug" 2>&1)
rc=$?
if [ $rc -eq 0 ] && [[ "$out" =~ ^.*number\.png:\ [0-9]{3}\ \(confidence\ [01]\.[0-9]{2}\)$ ]]; then pass "read: $out"; else fail "read: exit $rc: $out"; fi
if [ -f "$work/debug/number.5-digits.png" ] && [ -f "$work/debug/number.6-digit-3.png" ] && [ ! -f "$work/debug/number.6-digit-4.png" ]; then
    pass "read --debug-dir draws the boxes and each 28x28"
else
    fail "read --debug-dir: $(ls "$work/debug" 2>&1 | tr '\n' ' ')"
fi

# Bad input.
echo "just text" > "$work/notes.png"
head -c 3000 /dev/urandom > "$work/corrupt.cnn"
head -c 100 "$work/m.cnn" > "$work/truncated.cnn"
mkdir -p "$work/badidx"
cp "$mnist"/t10k-* "$mnist"/train-labels-idx1-ubyte "$work/badidx/"
cp "$mnist/train-labels-idx1-ubyte" "$work/badidx/train-images-idx3-ubyte"  # a label file where images belong
mkdir -p "$work/short"
cp "$mnist"/train-* "$mnist"/t10k-images-idx3-ubyte "$work/short/"
head -c 5008 "$mnist/t10k-labels-idx1-ubyte" > "$work/short/t10k-labels-idx1-ubyte"
printf '\x00\x00\x08\x01\x00\x00\x27\x10' > "$work/short/header-only"

expect_error "predict: missing model" "missing.cnn" "$trainer" predict --model "$work/missing.cnn" "$work/digit.png"
expect_error "predict: corrupt model" "wrong magic" "$trainer" predict --model "$work/corrupt.cnn" "$work/digit.png"
expect_error "eval: truncated model" "truncated" "$trainer" eval --model "$work/truncated.cnn" --data "$mnist"
expect_error "predict: not an image" "notes.png" "$trainer" predict --model "$work/m.cnn" "$work/notes.png"
expect_error "predict: missing image" "nothing.png" "$trainer" predict --model "$work/m.cnn" "$work/nothing.png"
expect_error "read: not an image" "notes.png" "$trainer" read --model "$work/m.cnn" "$work/notes.png"
expect_error "read: missing image" "nothing.png" "$trainer" read --model "$work/m.cnn" "$work/nothing.png"
expect_error "read: a --line-model that is not there" "no-linenet.cnn" "$trainer" read --model "$work/m.cnn" \
    --line-model "$work/no-linenet.cnn" "$work/number.png"
expect_error "eval: missing data folder" "nowhere" "$trainer" eval --model "$work/m.cnn" --data "$work/nowhere"
expect_error "eval: wrong IDX magic" "wrong magic" "$trainer" eval --model "$work/m.cnn" --data "$work/badidx"
expect_error "eval: image and label counts differ" "t10k-labels-idx1-ubyte" "$trainer" eval --model "$work/m.cnn" --data "$work/short"
expect_error "train: unknown optimizer" "optimizer" "$trainer" train --data "$mnist" --out "$work/x.cnn" --optimizer rmsprop --limit 100 --epochs 1 --quiet
expect_error "no subcommand" "subcommand" "$trainer"
expect_error "unknown flag" "frobnicate" "$trainer" eval --model "$work/m.cnn" --data "$mnist" --frobnicate

echo "command-line checks: $passes passed, $failures failed"
[ $failures -eq 0 ]
