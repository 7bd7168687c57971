#!/usr/bin/env bash
# Runs apikit-example-http-hello on a free port, asks it two things over a
# plain TCP connection, stops it with SIGTERM and expects exit status 0.
# With --hello-only (for twenty_lines.cpp, which has no /echo), asks only
# GET /hello/:name.
set -euo pipefail
exe=$1
only=${2-}

coproc HELLO { exec "$exe" 0 2>&1 >/dev/null; }
pid=$HELLO_PID # bash unsets HELLO_PID once the process is reaped
read -r line <&"${HELLO[0]}" # "listening on 127.0.0.1:PORT": blocks until the server is up
port=${line##*:}
[[ $port =~ ^[0-9]+$ ]] || { echo "unexpected first line: $line"; exit 1; }

ask() {
    exec 4<>"/dev/tcp/127.0.0.1/$port"
    printf '%s' "$1" >&4
    cat <&4
    exec 4<&-
}

answer=$(ask $'GET /hello/w%6Frld HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
grep -q '^HTTP/1.1 200 OK' <<<"$answer" || { echo "$answer"; exit 1; }
grep -q '"hello":"world"' <<<"$answer" || { echo "$answer"; exit 1; }
grep -qi '^X-Request-Id: req_' <<<"$answer" || { echo "$answer"; exit 1; }

if [[ $only != --hello-only ]]; then
    answer=$(ask $'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}')
    grep -q '^HTTP/1.1 415 ' <<<"$answer" || { echo "$answer"; exit 1; }
fi

kill -TERM "$pid" || { echo "the server was gone before SIGTERM"; wait "$pid"; exit 1; }
wait "$pid" || { rc=$?; echo "the server exited with status $rc"; exit 1; }
echo "${exe##*/} served on port $port and exited 0 on SIGTERM"
