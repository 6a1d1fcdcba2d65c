#!/usr/bin/env bash
# A real PostgreSQL server for the tests, from Debian's postgresql package: a fresh cluster in a temporary
# folder, on a free loopback port, run by an unprivileged user (postgres when started as root, as CI is).
#   tests/support/postgres.sh start DIR   initdb + pg_ctl start; prints the server's URL (also in DIR/url)
#   tests/support/postgres.sh stop DIR    stops it (fast) and removes DIR
#   tests/support/postgres.sh restart DIR stops and starts the same cluster on the same port
set -euo pipefail
action=${1:?usage: postgres.sh start|stop|restart DIR}
dir=${2:?usage: postgres.sh start|stop|restart DIR}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$bin/initdb" ] || { echo "postgres.sh: PostgreSQL is not installed (Debian package postgresql)" >&2; exit 1; }

as_owner() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start() {
    as_owner "$bin/pg_ctl" -D "$dir/data" -o "-p $(cat "$dir/port") -k $dir -c listen_addresses=127.0.0.1" \
        -l "$dir/log" -w -t 30 start >/dev/null
}

case "$action" in
start)
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
    as_owner "$bin/initdb" -D "$dir/data" -U digit --auth=trust -E UTF8 --no-sync >/dev/null
    port=$(free_port)
    echo "$port" > "$dir/port"
    start
    as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U digit feedback
    echo "postgresql://digit@127.0.0.1:$port/feedback" | tee "$dir/url"
    ;;
restart)
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    start
    ;;
stop)
    if [ -d "$dir/data" ]; then as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true; fi
    rm -rf "$dir"
    ;;
*)
    echo "postgres.sh: unknown action $action" >&2
    exit 1
    ;;
esac
