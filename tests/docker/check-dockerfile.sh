#!/usr/bin/env bash
# Checks that the Dockerfile builds the product the way `make` does, so that the two cannot drift apart:
# the same setup script and make target (portable flags), the same frontend build, the same scripts to
# fetch MNIST and train, every source folder CMake needs copied in, the feedback store's libraries (SQLite,
# libpq: headers to build, shared libraries to run), and a runtime stage that is slim, non-root,
# health-checked and has a /data folder the server's user owns for docker-compose.yml's SQLite file.
# Usage: tests/docker/check-dockerfile.sh [REPO_ROOT]
set -uo pipefail
root=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$root" || exit 1
dockerfile=Dockerfile
entrypoint=scripts/docker-entrypoint.sh
failures=0
passes=0

ok() { echo "ok    $1"; passes=$((passes + 1)); }
bad() { echo "FAIL  $1"; failures=$((failures + 1)); }
check() { # check DESCRIPTION COMMAND...
    local what=$1
    shift
    if "$@" >/dev/null 2>&1; then ok "$what"; else bad "$what"; fi
}
lacks() { ! grep -Eq -- "$1" <<<"$2"; }  # lacks REGEX TEXT
last_user_is_not_root() {
    local user
    user=$(awk 'toupper($1) == "USER" { user = $2 } END { print user }' "$dockerfile" | cut -d: -f1)
    [ -n "$user" ] && [ "$user" != root ] && [ "$user" != 0 ]
}
# The instructions of one stage of the Dockerfile (from its FROM … AS NAME to the next FROM).
stage() { awk -v name="$1" 'toupper($1) == "FROM" { inside = (tolower($NF) == name) } inside' "$dockerfile"; }

[ -f "$dockerfile" ] || { echo "FAIL  no Dockerfile in $root"; exit 1; }

# What `make build NATIVE=OFF` does, as make itself says (-n: print, do not run).
make_build=$(make -n build NATIVE=OFF 2>/dev/null)
make_frontend=$(make -n frontend 2>/dev/null)
build_stage=$(stage build)
ui_stage=$(stage ui)
runtime_stage=$(stage runtime)

check "the build stage starts from debian:bookworm" grep -Eq '^FROM debian:bookworm AS build' "$dockerfile"
check "the build stage runs scripts/setup.sh build, like make's setup target" grep -Eq 'RUN .*scripts/setup\.sh build' <<<"$build_stage"
check "make build runs scripts/setup.sh build" grep -Fq 'scripts/setup.sh build' <<<"$make_build"
check "the build stage builds with make build NATIVE=OFF" grep -Eq 'RUN .*make build NATIVE=OFF' <<<"$build_stage"
check "make build NATIVE=OFF configures with -DCNN_NATIVE=OFF (no -march=native)" grep -Fq -- '-DCNN_NATIVE=OFF' <<<"$make_build"
check "the Dockerfile never asks for -march=native" lacks 'march=native|NATIVE=ON' "$(cat "$dockerfile")"

# Every folder the top-level CMakeLists.txt adds must be copied into the build stage.
for dir in $(sed -nE 's/^[[:space:]]*add_subdirectory\(([^ )]+).*/\1/p' CMakeLists.txt | cut -d/ -f1 | sort -u); do
    check "the build stage copies $dir/ (CMakeLists.txt adds it)" grep -Eq "^COPY +$dir/? " <<<"$build_stage"
done
for file in Makefile CMakeLists.txt; do
    check "the build stage copies $file" grep -Eq "^COPY .*\\b$file\\b" <<<"$build_stage"
done

check "the UI stage starts from the official Node image" grep -Eq '^FROM node:[0-9]+' "$dockerfile"
check "the UI stage installs from the lock file (npm ci)" grep -Eq 'RUN .*npm ci' <<<"$ui_stage"
check "make frontend runs npm run build" grep -Fq 'npm run build' <<<"$make_frontend"
check "the UI stage runs npm run build, like make frontend" grep -Eq 'RUN .*npm run build' <<<"$ui_stage"

# The model: trained where missing, by the same scripts as make's model target.
for script in data/fetch-mnist.sh scripts/train-shipped-model.sh; do
    check "the Makefile uses $script" grep -Fq "$script" Makefile
    check "the image carries $script" grep -Eq "^COPY .*$(basename "$script")" <<<"$runtime_stage"
done
check "the entry point fetches MNIST with fetch-mnist.sh" grep -Fq 'fetch-mnist.sh' "$entrypoint"
check "the entry point trains with train-shipped-model.sh" grep -Fq 'train-shipped-model.sh' "$entrypoint"
check "the entry point is valid sh" sh -n "$entrypoint"

# Everything copied from the build context exists.
for source in $(awk 'toupper($1) == "COPY" && $2 !~ /^--from/ { for (i = 2; i < NF; i++) print $i }' "$dockerfile" | grep -v '^--' | sort -u); do
    check "COPY source $source exists" test -e "$source"
done

check "the runtime stage starts from debian:bookworm-slim" grep -Eq '^FROM debian:bookworm-slim AS runtime' "$dockerfile"
check "the runtime stage runs as a non-root user" last_user_is_not_root
check "the runtime stage has a HEALTHCHECK" grep -Eq '^HEALTHCHECK ' <<<"$runtime_stage"
check "the health check asks /readyz" grep -Fq '/readyz' <<<"$runtime_stage"
check "the image exposes 5001 and 3000" grep -Eq '^EXPOSE +5001 +3000' "$dockerfile"
check "the runtime stage carries the built UI" grep -Eq '^COPY --from=ui .*/dist' <<<"$runtime_stage"
check "the runtime stage installs no compiler" lacks 'build-essential|g\+\+|cmake' "$runtime_stage"

# The feedback store links SQLite and PostgreSQL's libpq: their headers in the build stage (through
# scripts/setup.sh build, which the build stage runs), their shared libraries in the runtime stage.
setup_packages=$(sed -n '/^packages=(/,/)/p' scripts/setup.sh | tr -d '()' | sed 's/^packages=//' | tr -s ' \n' '\n')
for package in libsqlite3-dev libpq-dev; do
    check "scripts/setup.sh build installs $package (the build stage runs it)" grep -qx "$package" <<<"$setup_packages"
done
runtime_joined=$(sed -e ':a' -e '/\\$/N; s/\\\n//; ta' <<<"$runtime_stage")
runtime_install=$(grep -E '^RUN .*apt-get install' <<<"$runtime_joined")
for package in libsqlite3-0 libpq5; do
    check "the runtime stage installs $package" grep -Eq "[[:space:]]$package([[:space:]]|$)" <<<"$runtime_install"
done
# /data: the folder for --feedback-db sqlite:/data/… (docker-compose.yml mounts a named volume there, which
# starts with the folder's owner): made in the image and owned by the user the server runs as.
runtime_user=$(awk 'toupper($1) == "USER" { user = $2 } END { print user }' "$dockerfile" | cut -d: -f1)
check "the runtime stage makes /data" grep -Eq '^RUN .*mkdir -p ([^&;|]* )?/data( |$)' <<<"$runtime_joined"
check "the runtime stage gives /data to the user the server runs as ($runtime_user)" \
    grep -Eq "^RUN .*chown (-R )?$runtime_user(:[a-z0-9_-]+)? ([^&;|]* )?/data( |$)" <<<"$runtime_joined"
compose_db=$(grep -Ev '^[[:space:]]*#' docker-compose.yml | grep -Eo 'sqlite:/[^" ]+' | head -n 1)
check "docker-compose.yml's SQLite file ($compose_db) is in /data" grep -Eq '^sqlite:/data/[^/]+$' <<<"$compose_db"

echo "check-dockerfile: $passes passed, $failures failed"
[ "$failures" -eq 0 ]
