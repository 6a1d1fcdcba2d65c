#!/usr/bin/env bash
# Load test of digit-server's /predict on loopback with wrk: a real PNG posted as multipart/form-data.
# Prints requests/s, latency p50/p99, the non-2xx count and the server's resident memory (before and after).
#
#   bench/load.sh [--duration 20s] [--connections 16] [--threads 2] [--image FILE] [--port N]
#                 [--server build/bin/digit-server] [--model models/digitnet.cnn] [--no-start]
#
# By default it starts its own server on a free loopback port and stops it afterwards; --no-start uses a
# server already listening on --port. Keep runs short while others build on this machine.
set -euo pipefail
cd "$(dirname "$0")/.."

duration=20s connections=16 wrk_threads=2 image="" port="" start=1
server=build/bin/digit-server model=models/digitnet.cnn server_threads=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --duration) duration=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --threads) wrk_threads=$2; shift 2 ;;
    --server-threads) server_threads=$2; shift 2 ;;
    --image) image=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    --server) server=$2; shift 2 ;;
    --model) model=$2; shift 2 ;;
    --no-start) start=0; shift ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "load.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
command -v wrk >/dev/null || { echo "load.sh: wrk is not installed (apt-get install wrk)" >&2; exit 1; }

workdir=$(mktemp -d)
server_pid=""
cleanup() {
  if [[ -n "$server_pid" ]]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$workdir"
}
trap cleanup EXIT

# The image: a 28x28 MNIST test digit (what the original design's benchmark posted), unless one is given.
if [[ -z "$image" ]]; then
  image=$workdir/digit.png
  python3 - "$image" <<'PY'
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
fi

if [[ $start == 1 ]]; then
  [[ -x $server ]] || { echo "load.sh: $server not built" >&2; exit 1; }
  [[ -f $model ]] || { echo "load.sh: no model at $model" >&2; exit 1; }
  args=(--model "$model" --host 127.0.0.1 --port 0 --ui-port -1)
  [[ -n "$server_threads" ]] && args+=(--threads "$server_threads")
  "$server" "${args[@]}" 2>"$workdir/server.log" &
  server_pid=$!
  for _ in $(seq 1 200); do
    grep -q "API on" "$workdir/server.log" 2>/dev/null && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$workdir/server.log" >&2; exit 1; }
    sleep 0.05
  done
  port=$(sed -n 's/.*API on http:\/\/[^:]*:\([0-9]*\).*/\1/p' "$workdir/server.log" | head -1)
  pid=$server_pid
else
  [[ -n "$port" ]] || port=5001
  pid=$(ss -ltnp "sport = :$port" 2>/dev/null | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -1)
fi
rss_mib() { [[ -n "${pid:-}" && -r /proc/$pid/status ]] && awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$pid/status" || echo "?"; }

url=http://127.0.0.1:$port
curl -sf "$url/readyz" >/dev/null || { echo "load.sh: $url/readyz is not ready" >&2; exit 1; }
curl -sf -F "file=@$image;type=image/png" "$url/predict" >/dev/null || { echo "load.sh: a single /predict failed" >&2; exit 1; }
echo "server_rss_mib_before $(rss_mib)"
LOAD_IMAGE=$image wrk -t"$wrk_threads" -c"$connections" -d"$duration" --latency -s bench/load.lua "$url" \
  | grep -E '^(requests_per_s|latency_p50_ms|latency_p99_ms|requests|non_2xx|socket_errors) '
echo "server_rss_mib_after $(rss_mib)"
