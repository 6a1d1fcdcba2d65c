#!/usr/bin/env bash
# Load test of the feedback store through digit-server on loopback with wrk (bench/feedback.lua, a real PNG
# posted as multipart/form-data with consent=true), in two parts:
#   1. POST /feedback on SQLite (a file in a scratch folder) and on PostgreSQL (a fresh cluster from
#      tests/support/postgres.sh): requests/s, latency p50/p99, answers by status, and the rows the table
#      holds afterwards (every 201 is a row; a few more may be requests in flight when wrk stopped).
#   2. POST /predict (bench/load.lua) with the feedback store off, on SQLite and on PostgreSQL (same server
#      flags otherwise), in alternating runs, and each one's median: what keeping corrections costs the
#      predictions that do not use it.
#
#   bench/feedback-load.sh [--duration 10s] [--connections 16] [--threads 2] [--rounds 3] [--image FILE]
#                          [--server build/bin/digit-server] [--model models/digitnet.cnn] [--server-threads N]
#                          [--server-arg ARG]... [--only feedback|predict] [--no-postgres]
#
# The rate limit is off (--feedback-per-minute 0) and the row cap high, so that the store is what is
# measured. Keep runs short while others build on this machine; run it alone (both parts use both cores).
set -euo pipefail
cd "$(dirname "$0")/.."

duration=10s connections=16 wrk_threads=2 rounds=3 image="" only="" postgres=1
server=build/bin/digit-server model=models/digitnet.cnn server_threads="" server_args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --duration) duration=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --threads) wrk_threads=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --server-threads) server_threads=$2; shift 2 ;;
    --server-arg) server_args+=("$2"); shift 2 ;;
    --image) image=$2; shift 2 ;;
    --server) server=$2; shift 2 ;;
    --model) model=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    --no-postgres) postgres=0; shift ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "feedback-load.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
command -v wrk >/dev/null || { echo "feedback-load.sh: wrk is not installed (apt-get install wrk)" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "feedback-load.sh: sqlite3 is not installed (apt-get install sqlite3)" >&2; exit 1; }
[[ $postgres == 0 ]] || command -v psql >/dev/null ||
  { echo "feedback-load.sh: psql is not installed (apt-get install postgresql; or --no-postgres)" >&2; exit 1; }
[[ -x $server ]] || { echo "feedback-load.sh: $server not built" >&2; exit 1; }
[[ -f $model ]] || { echo "feedback-load.sh: no model at $model" >&2; exit 1; }

source bench/lib.sh  # make_digit_png
workdir=$(mktemp -d)
chmod 755 "$workdir"  # PostgreSQL's user reaches its cluster inside
declare -A pids=() ports=()
pg_dir=""
cleanup_all() {
  for name in "${!pids[@]}"; do kill "${pids[$name]}" 2>/dev/null || true; wait "${pids[$name]}" 2>/dev/null || true; done
  [[ -z "$pg_dir" ]] || tests/support/postgres.sh stop "$pg_dir" >/dev/null 2>&1 || true
  rm -rf "$workdir"
}
trap cleanup_all EXIT
trap 'exit 130' INT TERM
[[ -n "$image" ]] || { image=$workdir/digit.png; make_digit_png "$image"; }

# start_named NAME [extra flags...]: a digit-server on a free loopback port, API only, ready; its pid and port
# in pids[NAME], ports[NAME].
start_named() {
  local name=$1
  shift
  local args=(--feedback-per-minute 0 --feedback-max-rows 100000000 "${server_args[@]}")
  [[ -n "$server_threads" ]] && args+=(--threads "$server_threads")
  "$server" --model "$model" --host 127.0.0.1 --port 0 --ui-port -1 "${args[@]}" "$@" 2>"$workdir/$name.log" &
  pids[$name]=$!
  for _ in $(seq 1 300); do
    grep -q "API on" "$workdir/$name.log" 2>/dev/null && break
    kill -0 "${pids[$name]}" 2>/dev/null || { cat "$workdir/$name.log" >&2; exit 1; }
    sleep 0.05
  done
  ports[$name]=$(sed -n 's/.*API on http:\/\/[^:]*:\([0-9]*\).*/\1/p' "$workdir/$name.log" | head -1)
  [[ -n "${ports[$name]}" ]] || { echo "feedback-load.sh: $name did not start" >&2; cat "$workdir/$name.log" >&2; exit 1; }
}
stop_named() {
  kill "${pids[$1]}" 2>/dev/null || true
  wait "${pids[$1]}" 2>/dev/null || true
  unset "pids[$1]"
}

engines=(sqlite)
sqlite_url="sqlite:$workdir/fb.sqlite"
if [[ $postgres == 1 ]]; then
  pg_dir=$workdir/pg
  postgres_url=$(tests/support/postgres.sh start "$pg_dir" | tail -n 1)
  engines+=(postgresql)
fi
url_of() { if [[ $1 == sqlite ]]; then echo "$sqlite_url"; else echo "$postgres_url"; fi; }
rows_of() {
  if [[ $1 == sqlite ]]; then sqlite3 "$workdir/fb.sqlite" 'SELECT count(*) FROM feedback'
  else psql -X -A -t -q "$postgres_url" -c 'SELECT count(*) FROM feedback'; fi
}
echo "machine $(nproc) cores; server $server; $connections connections, $wrk_threads wrk threads, $duration a run"
echo "server flags: --feedback-per-minute 0 --feedback-max-rows 100000000 ${server_threads:+--threads $server_threads }${server_args[*]}"

if [[ $only != predict ]]; then
  echo "== POST /feedback"
  for engine in "${engines[@]}"; do
    start_named "fb-$engine" --feedback-db "$(url_of "$engine")"
    u=http://127.0.0.1:${ports[fb-$engine]}
    code=$(curl -s -o /dev/null -w '%{http_code}' -F label=3 -F consent=true -F "file=@$image;type=image/png" "$u/feedback")
    [[ $code == 201 ]] || { echo "feedback-load.sh: a single /feedback on $engine answered $code" >&2; exit 1; }
    before=$(rows_of "$engine")
    out=$(LOAD_IMAGE=$image wrk -t"$wrk_threads" -c"$connections" -d"$duration" --latency -s bench/feedback.lua "$u")
    stop_named "fb-$engine"
    after=$(rows_of "$engine")
    grep -E '^(requests_per_s|latency_p50_ms|latency_p99_ms|requests|non_2xx|statuses|socket_errors) ' <<<"$out" \
      | sed "s/^/feedback $engine /"
    echo "feedback $engine rows_added $((after - before))"
  done
fi

if [[ $only != feedback ]]; then
  echo "== POST /predict, feedback store off vs on (alternating runs)"
  configs=(off "${engines[@]}")
  start_named "predict-off"
  for engine in "${engines[@]}"; do start_named "predict-$engine" --feedback-db "$(url_of "$engine")"; done
  declare -A runs=() medians=()
  for round in $(seq 1 "$rounds"); do
    for config in "${configs[@]}"; do
      u=http://127.0.0.1:${ports[predict-$config]}
      curl -sf -F "file=@$image;type=image/png" "$u/predict" >/dev/null ||
        { echo "feedback-load.sh: a single /predict ($config) failed" >&2; exit 1; }
      out=$(LOAD_IMAGE=$image wrk -t"$wrk_threads" -c"$connections" -d"$duration" --latency -s bench/load.lua "$u")
      rps=$(sed -n 's/^requests_per_s //p' <<<"$out")
      p99=$(sed -n 's/^latency_p99_ms //p' <<<"$out")
      bad=$(sed -n 's/^non_2xx //p' <<<"$out")
      echo "predict round $round feedback=$config requests_per_s $rps latency_p99_ms $p99 non_2xx $bad"
      runs[$config]+="$rps "
    done
  done
  for config in "${configs[@]}"; do
    median=$(tr ' ' '\n' <<<"${runs[$config]}" | grep . | sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}')
    echo "predict feedback=$config median_requests_per_s $median (runs: ${runs[$config]% })"
    medians[$config]=$median
  done
  for engine in "${engines[@]}"; do
    awk -v on="${medians[$engine]}" -v off="${medians[off]}" -v e="$engine" \
      'BEGIN {printf "predict feedback=%s vs off: %+.1f%% requests/s\n", e, (on / off - 1) * 100}'
  done
fi
