#!/usr/bin/env bash
# Validates docker-compose.yml with Debian's docker-compose (no Docker engine needed), then checks the
# services, ports and volumes the README promises. Exit 77 (a CTest skip) where docker-compose is absent:
# `scripts/setup.sh test` installs it. Usage: tests/docker/compose-config.sh [REPO_ROOT]
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

echo "compose-config: $passes passed, $failures failed"
[ "$failures" -eq 0 ]
