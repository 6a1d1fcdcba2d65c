#!/usr/bin/env bash
# Soak test: mixed good and bad traffic against digit-server on loopback for a while, in intervals, with
# latency p50/p99, requests and answers by status per interval, and the server's resident memory at the
# start and after every interval (growth shows leaks).
#
#   bench/soak.sh [--duration 600] [--interval 60] [--connections 8] [--server build/bin/digit-server]
#                 [--model models/digitnet.cnn] [--image FILE]
set -euo pipefail
cd "$(dirname "$0")/.."

duration=600 interval=60 connections=8 image=""
server=build/bin/digit-server model=models/digitnet.cnn
while [[ $# -gt 0 ]]; do
  case "$1" in
    --duration) duration=$2; shift 2 ;;
    --interval) interval=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --server) server=$2; shift 2 ;;
    --model) model=$2; shift 2 ;;
    --image) image=$2; shift 2 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "soak.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
command -v wrk >/dev/null || { echo "soak.sh: wrk is not installed" >&2; exit 1; }

source bench/lib.sh
prepare_workdir
[[ -n "$image" ]] || { image=$workdir/digit.png; make_digit_png "$image"; }
start_server "$server" "$model"
rss_mib() { awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$server_pid/status"; }

echo "rss_start_mib $(rss_mib)"
elapsed=0
total_requests=0
while (( elapsed < duration )); do
  step=$(( duration - elapsed < interval ? duration - elapsed : interval ))
  line=$(LOAD_IMAGE=$image wrk -t2 -c"$connections" -d"${step}s" -s bench/soak.lua "http://127.0.0.1:$port" | grep '^SOAK')
  elapsed=$(( elapsed + step ))
  requests=$(sed -n 's/.*requests=\([0-9]*\).*/\1/p' <<<"$line")
  total_requests=$(( total_requests + requests ))
  echo "t=${elapsed}s ${line#SOAK } rss_mib=$(rss_mib)"
  kill -0 "$server_pid" 2>/dev/null || { echo "soak.sh: the server died" >&2; tail -5 "$workdir/server.log" >&2; exit 1; }
done
echo "total_requests $total_requests"
echo "rss_end_mib $(rss_mib)"
echo "server_500s $(grep -c ' 500 ' "$workdir/server.log" || true)"
