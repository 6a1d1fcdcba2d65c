#!/usr/bin/env bash
# Runs the curl examples of README.md and docs/*.md against a real digit-server, so that they cannot go stale.
#
# The convention: every command that starts with `curl` inside a ```sh block is an example. A command goes on
# over the next lines while bash cannot parse it whole (after a pipe, a trailing backslash, inside a quote).
# Each runs in a scratch copy of docs/examples/ (the images the examples upload), with localhost:5001 turned
# into the test server's address, which keeps corrections (an SQLite file) and has an operator's token in
# the file admin-token. Every curl in it must get a 2xx answer, and an answer whose Content-Type is
# application/json must parse. An example meant to fail belongs in a block that is not ```sh.
#
#   tests/docs/run-examples.sh SERVER MODEL SOURCE_DIR
set -euo pipefail
server=${1:?usage: run-examples.sh SERVER MODEL SOURCE_DIR}
model=${2:?usage: run-examples.sh SERVER MODEL SOURCE_DIR}
root=${3:?usage: run-examples.sh SERVER MODEL SOURCE_DIR}

work=$(mktemp -d)
server_pid=""
cleanup() {
    if [[ -n $server_pid ]]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

# A command is whole when bash parses it and it does not end in a pipe, a backslash or && / ||.
is_whole() {
    [[ ! $1 =~ (\||\\|\&\&)[[:space:]]*$ ]] && bash -n -c "$1" 2>/dev/null
}

# The examples: places[i] is "FILE:LINE", commands[i] the command.
places=() commands=()
for doc in "$root/README.md" "$root"/docs/*.md; do
    [[ -f $doc ]] || continue
    name=${doc#"$root/"}
    in_sh=0 pending="" start=0 number=0
    while IFS= read -r line || [[ -n $line ]]; do
        number=$((number + 1))
        if [[ $in_sh == 0 ]]; then
            [[ $line =~ ^[[:space:]]*\`\`\`sh[[:space:]]*$ ]] && in_sh=1
            continue
        fi
        if [[ -z $pending && $line =~ ^[[:space:]]*\`\`\`[[:space:]]*$ ]]; then
            in_sh=0
            continue
        fi
        if [[ -n $pending ]]; then
            pending+=$'\n'"$line"
        elif [[ $line =~ ^[[:space:]]*curl[[:space:]] ]]; then
            pending=$line start=$number
        else
            continue
        fi
        if is_whole "$pending"; then
            places+=("$name:$start") commands+=("$pending")
            pending=""
        fi
    done <"$doc"
    if [[ -n $pending ]]; then
        echo "run-examples: $name:$start: the example never ends (an open quote or a trailing pipe?)" >&2
        exit 1
    fi
done
if [[ ${#commands[@]} == 0 ]]; then
    echo "run-examples: no curl example found in README.md or docs/*.md" >&2
    exit 1
fi

# The server, on a free loopback port; another port if that one was taken meanwhile.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# The operator's token, as the examples read it (admin-token beside the images).
echo "example-operator-token-$RANDOM$RANDOM" >"$work/admin-token"
ready=0
for attempt in 1 2 3; do
    port=$(free_port)
    "$server" --model "$model" --host 127.0.0.1 --port "$port" --ui-port -1 --threads 2 \
        --feedback-db "sqlite:$work/feedback.sqlite" --admin-token-file "$work/admin-token" \
        >"$work/server.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 1 300); do
        if command curl -sf -o /dev/null "http://127.0.0.1:$port/readyz"; then
            ready=1
            break
        fi
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.2
    done
    [[ $ready == 1 ]] && break
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
done
if [[ $ready != 1 ]]; then
    echo "run-examples: digit-server did not become ready; its log:" >&2
    cat "$work/server.log" >&2
    exit 1
fi

# curl as the examples see it: the real curl, then a check of the status and, for JSON, of the body; the body
# goes to stdout as curl would write it, so that pipes and redirections in the examples work.
curl() {
    local body headers status type
    body=$(mktemp -p "$EXAMPLES_WORK") headers=$(mktemp -p "$EXAMPLES_WORK")
    if ! command curl -sS -D "$headers" -o "$body" "$@"; then
        echo "curl could not complete the request" >&2
        return 1
    fi
    status=$(awk '/^HTTP\// { s = $2 } END { print s }' "$headers")
    type=$(awk 'tolower($1) == "content-type:" { t = tolower($2) } END { print t }' "$headers" | tr -d '\r;')
    if [[ ! $status =~ ^2[0-9][0-9]$ ]]; then
        echo "HTTP status $status: $(head -c 300 "$body")" >&2
        return 1
    fi
    if [[ $type == application/json ]] &&
        ! python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$body" 2>/dev/null; then
        echo "the answer is not valid JSON: $(head -c 300 "$body")" >&2
        return 1
    fi
    cat "$body"
}
export -f curl
export EXAMPLES_WORK=$work

failed=0
for i in "${!commands[@]}"; do
    run_dir=$work/run-$i
    mkdir -p "$run_dir"
    cp -r "$root/docs/examples/." "$run_dir/"
    cp "$work/admin-token" "$run_dir/"
    command=${commands[$i]//localhost:5001/127.0.0.1:$port}
    status=0
    (cd "$run_dir" && bash -e -o pipefail -c "$command") >"$work/out" 2>"$work/err" || status=$?
    if [[ $status == 0 ]]; then
        echo "ok      ${places[$i]}: ${commands[$i]%%$'\n'*}"
        echo "        -> $(head -c 160 "$work/out" | tr '\n' ' ')"
    else
        failed=$((failed + 1))
        echo "FAILED  ${places[$i]} (exit status $status): ${commands[$i]}"
        sed 's/^/        /' "$work/err"
    fi
done

echo "run-examples: ${#commands[@]} examples, $failed failed"
[[ $failed == 0 ]]
