#!/usr/bin/env bash
# bench/load.sh against the design digit-server replaced (Flask + PyTorch under gunicorn with 2 workers,
# bench/reference_flask_app.py) and against digit-server, one after the other in the same run, then the
# ratio of their requests/s. Resident memory is summed over gunicorn's master and workers.
#
#   bench/compare_gunicorn.sh [--duration 20s] [--workers 2]
#
# Needs Debian's gunicorn, python3-flask, python3-pil and python3-torch (apt-get install them; they are not
# part of `make setup`).
set -euo pipefail
cd "$(dirname "$0")/.."
duration=20s workers=2
while [[ $# -gt 0 ]]; do
  case "$1" in
    --duration) duration=$2; shift 2 ;;
    --workers) workers=$2; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "compare_gunicorn.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
command -v gunicorn >/dev/null || { echo "compare_gunicorn.sh: gunicorn is not installed" >&2; exit 1; }

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
gunicorn -w "$workers" -b "127.0.0.1:$port" --chdir bench --log-level warning reference_flask_app:app &
master=$!
trap 'kill $master 2>/dev/null || true; wait $master 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -sf -o /dev/null "http://127.0.0.1:$port/readyz" && break
  sleep 0.2
done
tree_rss_mib() {
  local pids
  pids="$1 $(pgrep -P "$1" | tr '\n' ' ')"
  for pid in $pids; do awk '/VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null; done |
    awk '{sum += $1} END {printf "%.1f", sum / 1024}'
}

echo "== gunicorn, $workers workers (Flask + PyTorch)"
reference=$(bench/load.sh --no-start --port "$port" --duration "$duration" | grep -vE '^server_rss')
echo "$reference"
echo "rss_mib $(tree_rss_mib "$master")"
kill $master; wait $master 2>/dev/null || true
trap - EXIT

echo "== digit-server"
ours=$(bench/load.sh --duration "$duration")
echo "$ours"

rate() { awk '/^requests_per_s/ {print $2}' <<<"$1"; }
awk -v a="$(rate "$reference")" -v b="$(rate "$ours")" 'BEGIN {printf "ratio_requests_per_s %.2f\n", b / a}'
