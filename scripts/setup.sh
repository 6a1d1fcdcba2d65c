#!/usr/bin/env bash
# Installs what the project needs, only where it is missing. Idempotent: `apt-get update` runs only when a
# Debian package has to be installed, `npm ci` only where a package-lock.json changed.
#   scripts/setup.sh build   the C++ toolchain and libraries (what `make build` and the Docker image need)
#   scripts/setup.sh run     + Node.js and the frontend's npm modules (`make run`)
#   scripts/setup.sh train   + Fashion-MNIST and handwriting fonts (the negatives of not-a-digit training)
#   scripts/setup.sh test    + those, chromium, docker-compose, clang, python3, strace, PostgreSQL (the feedback
#                            store's tests start their own server) and sqlite3 for the tests, and the npm
#                            modules of the Kubernetes manifest test (tests/deploy) and of the OpenAPI
#                            document's lint and contract test (tests/openapi) (`make test`)
set -euo pipefail
mode=${1:-build}
cd "$(dirname "$0")/.."

packages=(build-essential cmake ninja-build pkg-config libeigen3-dev libstb-dev libcpp-httplib-dev
          libcli11-dev catch2 nlohmann-json3-dev zlib1g-dev libsqlite3-dev libpq-dev ca-certificates curl)
# What is not a digit: Fashion-MNIST and handwriting fonts, for training the model to refuse and for the
# tests that measure it on families it never saw.
negatives=(dataset-fashion-mnist fonts-dejavu-core fonts-breip fonts-bwht fonts-femkeklaver fonts-humor-sans
           fonts-dancingscript fonts-comic-neue fonts-leckerli-one fonts-ecolier-court fonts-dkg-handwriting
           fonts-sjfonts fonts-rufscript)
if [ "$mode" = test ] || [ "$mode" = train ]; then
    packages+=("${negatives[@]}")
fi
if [ "$mode" = test ]; then
    packages+=(chromium docker-compose clang clang-format libclang-rt-14-dev python3 wrk strace postgresql
               sqlite3)
fi
# Node.js: a machine that has it (Vite 7 needs 20 or later) keeps its own; Debian's is installed otherwise.
if { [ "$mode" = run ] || [ "$mode" = test ]; } && ! command -v npm >/dev/null; then
    packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ "$mode" = run ] || [ "$mode" = test ]; then
    major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
    if [ "$major" -lt 20 ]; then
        echo "setup: Node.js $(node --version 2>/dev/null || echo missing) is too old for the web UI (Vite 7 needs 20 or later)" >&2
        exit 1
    fi
    # npm modules exactly as DIR/package-lock.json pins them; again only when the lock file changed.
    npm_ci() {
        local dir=$1 stamp=$1/node_modules/.lock-stamp
        if [ ! -f "$stamp" ] || ! cmp -s "$dir/package-lock.json" "$stamp"; then
            (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
            cp "$dir/package-lock.json" "$stamp"
        fi
    }
    npm_ci frontend
    # The Kubernetes manifest test: the Kubernetes schemas (kubernetes-models) and a YAML parser; the OpenAPI
    # document's lint (Redocly CLI) and contract test (Ajv).
    if [ "$mode" = test ]; then
        npm_ci tests/deploy
        npm_ci tests/openapi
    fi
fi
