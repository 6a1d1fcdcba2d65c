#!/usr/bin/env bash
# Validates docker-compose.yml with Debian's docker-compose (no Docker engine needed), then checks the
# services, ports and volumes the README promises, and that both services keep corrections in one SQLite
# file on a named volume (as `make run` keeps them in data/feedback.sqlite). Exit 77 (a CTest skip) where
# docker-compose is absent: `scripts/setup.sh test` installs it. Usage: tests/docker/compose-config.sh [REPO_ROOT]
set -uo pipefail
root=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$root" || exit 1
if ! command -v docker-compose >/dev/null; then
    echo "SKIP: docker-compose is not installed (scripts/setup.sh test installs Debian's docker-compose)"
    exit 77
fi
compose=(docker-compose -f docker-compose.yml)
failures=0
passes=0
check() {
    local what=$1
    shift
    if "$@" >/dev/null 2>&1; then echo "ok    $what"; passes=$((passes + 1)); else echo "FAIL  $what"; failures=$((failures + 1)); fi
}

if ! "${compose[@]}" config -q; then
    echo "FAIL  docker-compose config -q rejects docker-compose.yml (message above)"
    exit 1
fi
echo "ok    docker-compose config -q accepts docker-compose.yml"
config=$("${compose[@]}" config)
services=$("${compose[@]}" config --services)
volumes=$("${compose[@]}" config --volumes)

check "a backend service" grep -qx backend <<<"$services"
check "a frontend service" grep -qx frontend <<<"$services"
check "a named volume for models" grep -qx models <<<"$volumes"
check "the API published on 5001" grep -Eq 'published: 5001|5001:5001' <<<"$config"
check "the UI published on 3000" grep -Eq 'published: 3000|3000:3000' <<<"$config"
check "the backend is built from the Dockerfile" grep -Eq 'context: ' <<<"$config"
check "the models volume is mounted on /app/models" grep -Fq 'models:/app/models' <<<"$config"
check "the frontend waits for a healthy backend" grep -Fq 'condition: service_healthy' <<<"$config"

# Corrections (POST /feedback): both services serve the API (the page calls its own origin, port 3000), so
# both keep them, in one SQLite file on one named volume, mounted writable. The facts come from the
# normalised config, read with the YAML module of docker-compose's own Python:
#   SERVICE db=sqlite:PATH volume=NAME named=yes|no mode=rw|ro
python=$(head -n 1 "$(command -v docker-compose)" | sed -n 's/^#! *//p' | cut -d' ' -f1)
[ -x "$python" ] || python=python3
facts_script='
import sys, yaml
config = yaml.safe_load(sys.stdin)
named = set(config.get("volumes") or {})
for name, service in (config.get("services") or {}).items():
    command = service.get("command") or []
    if isinstance(command, str):
        command = command.split()
    db = ""
    for i, word in enumerate(command):
        if word == "--feedback-db" and i + 1 < len(command):
            db = command[i + 1]
        elif word.startswith("--feedback-db="):
            db = word.split("=", 1)[1]
    volume = mode = ""
    if db.startswith("sqlite:"):
        folder = db[len("sqlite:"):].rsplit("/", 1)[0].rstrip("/") or "/"
        for entry in service.get("volumes") or []:
            if isinstance(entry, str):
                parts = entry.split(":") + ["", ""]
                source, target, options = parts[0], parts[1] or parts[0], parts[2] or "rw"
            else:
                source, target = entry.get("source", ""), entry.get("target", "")
                options = "ro" if entry.get("read_only") else "rw"
            target = target.rstrip("/") or "/"
            if folder == target or folder.startswith(target + "/"):
                volume, mode = source, "ro" if "ro" in options.split(",") else "rw"
    on_named = "yes" if volume in named else "no"
    print(f"{name} db={db} volume={volume} named={on_named} mode={mode}")
'
facts=$("$python" -c "$facts_script" <<<"$config")
fact() { sed -n "s/^$1 .*$2=\([^ ]*\).*/\1/p" <<<"$facts"; }  # fact SERVICE KEY
check "a named volume for corrections (feedback)" grep -qx feedback <<<"$volumes"
for service in backend frontend; do
    check "$service keeps corrections in SQLite (--feedback-db sqlite:PATH)" grep -Eq '^sqlite:/' <<<"$(fact "$service" db)"
    check "$service's SQLite file is on a named volume" test "$(fact "$service" named)" = yes
    check "$service mounts that volume writable (SQLite writes -wal and -shm files beside it)" test "$(fact "$service" mode)" = rw
done
check "both services keep corrections in the same file on the same volume" \
    test -n "$(fact backend db)" -a "$(fact backend db)" = "$(fact frontend db)" -a "$(fact backend volume)" = "$(fact frontend volume)"
check "the corrections live in /data, the image's folder for them (Dockerfile)" grep -Eq '^sqlite:/data/' <<<"$(fact backend db)"

echo "compose-config: $passes passed, $failures failed"
[ "$failures" -eq 0 ]
