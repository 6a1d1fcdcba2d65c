#!/usr/bin/env bash
# Installs the Debian packages and npm modules the project needs, only where they are missing.
# Idempotent: `apt-get update` runs only when something has to be installed.
# Usage: scripts/setup.sh [build|test|run]   (test adds the browser and load-test tools)
set -euo pipefail
mode=${1:-build}
cd "$(dirname "$0")/.."

packages=(build-essential cmake ninja-build pkg-config libeigen3-dev libstb-dev libcpp-httplib-dev
          libcli11-dev catch2 nlohmann-json3-dev zlib1g-dev ca-certificates curl nodejs npm)
if [ "$mode" = test ]; then
    packages+=(chromium docker-compose clang libclang-rt-14-dev python3)
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

# The frontend's modules, from package-lock.json; reinstalled only when the lock file changed.
if [ -f frontend/package-lock.json ]; then
    stamp=frontend/node_modules/.lock-stamp
    if [ ! -f "$stamp" ] || ! cmp -s frontend/package-lock.json "$stamp"; then
        (cd frontend && npm ci --no-audit --no-fund --loglevel=error)
        cp frontend/package-lock.json "$stamp"
    fi
fi
