#!/usr/bin/env bash
# Load test of digit-server's /predict on loopback with wrk: a real PNG posted as multipart/form-data.
# Prints requests/s, latency p50/p99, the non-2xx count and the server's resident memory (before and after).
#
#   bench/load.sh [--duration 20s] [--connections 16] [--threads 2] [--image FILE] [--port N]
#                 [--server build/bin/digit-server] [--model models/digitnet.cnn] [--server-threads N]
#                 [--server-arg ARG]... [--no-start]
#
# By default it starts its own server on a free loopback port and stops it afterwards; --no-start uses a
# server already listening on --port. Keep runs short while others build on this machine.
set -euo pipefail
cd "$(dirname "$0")/.."

duration=20s connections=16 wrk_threads=2 image="" port="" start=1
server=build/bin/digit-server model=models/digitnet.cnn server_threads="" server_args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --duration) duration=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --threads) wrk_threads=$2; shift 2 ;;
    --server-threads) server_threads=$2; shift 2 ;;
    --server-arg) server_args+=("$2"); shift 2 ;;
    --image) image=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    --server) server=$2; shift 2 ;;
    --model) model=$2; shift 2 ;;
    --no-start) start=0; shift ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "load.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
command -v wrk >/dev/null || { echo "load.sh: wrk is not installed (apt-get install wrk)" >&2; exit 1; }

source bench/lib.sh
prepare_workdir
[[ -n "$image" ]] || { image=$workdir/digit.png; make_digit_png "$image"; }

if [[ $start == 1 ]]; then
  args=("${server_args[@]}")
  [[ -n "$server_threads" ]] && args+=(--threads "$server_threads")
  start_server "$server" "$model" "${args[@]}"
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
