# Shared by bench/load.sh and bench/soak.sh (sourced, not run): a scratch folder, the test image, and a
# digit-server started on a free loopback port (sets $server_pid and $port), stopped on exit.

# prepare_workdir: sets $workdir; on exit the server (if started) is stopped and the folder removed.
prepare_workdir() {
  workdir=$(mktemp -d)
  server_pid=""
  trap cleanup EXIT
}
cleanup() {
  if [[ -n "$server_pid" ]]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$workdir"
}

# make_digit_png OUT: a 28x28 MNIST test digit as PNG (what the original design's benchmark posted), or a
# drawn 7 where MNIST is missing.
make_digit_png() {
  python3 - "$1" <<'PY'
import struct, sys, zlib
out = sys.argv[1]
try:
    with open("data/mnist/t10k-images-idx3-ubyte", "rb") as f:
        f.seek(16)
        pixels = f.read(784)
except OSError:  # no MNIST: a drawn 7
    pixels = bytes(255 if (y in (5, 6) and 6 <= x <= 21) or (y >= 7 and abs(x - (21 - (y - 7) // 2)) <= 1) else 0
                   for y in range(28) for x in range(28))
raw = b"".join(b"\x00" + pixels[y * 28:(y + 1) * 28] for y in range(28))
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 28, 28, 8, 0, 0, 0, 0)) \
      + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
open(out, "wb").write(png)
PY
}

# start_server SERVER MODEL [extra digit-server flags...]: starts it on 127.0.0.1, API only, and waits until
# the model is loaded.
start_server() {
  local server=$1 model=$2
  shift 2
  [[ -x $server ]] || { echo "$0: $server not built" >&2; exit 1; }
  [[ -f $model ]] || { echo "$0: no model at $model" >&2; exit 1; }
  "$server" --model "$model" --host 127.0.0.1 --port 0 --ui-port -1 "$@" 2>"$workdir/server.log" &
  server_pid=$!
  for _ in $(seq 1 200); do
    grep -q "API on" "$workdir/server.log" 2>/dev/null && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$workdir/server.log" >&2; exit 1; }
    sleep 0.05
  done
  port=$(sed -n 's/.*API on http:\/\/[^:]*:\([0-9]*\).*/\1/p' "$workdir/server.log" | head -1)
}
