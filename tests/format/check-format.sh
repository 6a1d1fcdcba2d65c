#!/usr/bin/env bash
# Every C++ file of the project is formatted as .clang-format says: `make format` fixes what this reports.
set -euo pipefail
root=${1:?usage: check-format.sh SOURCE_DIR}
cd "$root"
mapfile -t files < <(find libcnn recognizer trainer server bench tests -path '*/node_modules' -prune -o \
                          \( -name '*.hpp' -o -name '*.cpp' \) -print | sort)
[ ${#files[@]} -gt 0 ] || { echo "check-format: no C++ files found under $root"; exit 1; }
if ! clang-format --dry-run --Werror "${files[@]}" 2>/tmp/check-format.$$; then
    grep -E '^[^ ]+:[0-9]+:[0-9]+: error' /tmp/check-format.$$ | cut -d: -f1 | sort | uniq -c |
        awk '{ printf "not formatted: %s (%d places)\n", $2, $1 }'
    rm -f /tmp/check-format.$$
    echo "check-format: run 'make format'"
    exit 1
fi
rm -f /tmp/check-format.$$
echo "check-format: ${#files[@]} files formatted"
