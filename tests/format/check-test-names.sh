#!/usr/bin/env bash
# Every Catch test case must reach CTest under its own name. catch_discover_tests hands the names to CMake,
# whose lists split at ';': a test named "a; b" is registered as "a", matches no test case, and passes
# without running anything. This check fails on such names.
set -euo pipefail
root=${1:?usage: check-test-names.sh SOURCE_DIR}
cd "$root"
bad=$(grep -rnE 'TEST_CASE\("[^"]*;' libcnn recognizer trainer server bench tests --include='*.cpp' \
          --exclude-dir=node_modules || true)
if [ -n "$bad" ]; then
    echo "$bad"
    echo "check-test-names: a ';' in a test case's name keeps CTest from running it"
    exit 1
fi
echo "check-test-names: no test case name holds a ';'"
