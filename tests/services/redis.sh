#!/usr/bin/env bash
# A throwaway redis-server for the tests, run by ctest as the fixture "redis":
#
#   redis.sh start STATE_DIR   starts redis-server on 127.0.0.1 and a free port,
#                              in a fresh temporary directory, with no persistence;
#                              writes the port to STATE_DIR/port
#   redis.sh stop STATE_DIR    stops it and removes its directory
#
# The tests read STATE_DIR/port (the path comes to them in the environment
# variable APIKIT_REDIS_PORT_FILE) and fail when it is not there. Several
# ctest runs in one build tree share one server, as runs.sh says.
set -euo pipefail

die() {
    printf 'redis.sh: %s\n' "$*" >&2
    exit 1
}

(($# == 2)) || die "usage: redis.sh start|stop STATE_DIR"
command=$1
state=$2
server=${APIKIT_REDIS_SERVER:-redis-server}
# shellcheck source=runs.sh
source "$(dirname "${BASH_SOURCE[0]}")/runs.sh"

# PING over bash's /dev/tcp: no redis-cli needed. True when PONG comes back.
ping() { # <port>
    local reply
    { exec 3<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || return 1
    printf 'PING\r\n' >&3
    IFS= read -r -t 2 reply <&3 || reply=
    exec 3>&- 3<&-
    [[ $reply == +PONG* ]]
}

stop_server() {
    [[ -f $state/pid ]] || return 0
    local pid
    pid=$(<"$state/pid")
    # Only a redis-server of ours: a stale pid file must not kill a stranger.
    if [[ -r /proc/$pid/cmdline ]] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q 'redis-server'; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 100); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.05
        done
        kill -KILL "$pid" 2>/dev/null || true
    fi
    if [[ -f $state/dir ]]; then
        rm -rf -- "$(<"$state/dir")"
    fi
    rm -f -- "$state/pid" "$state/port" "$state/dir"
}

start() {
    command -v "$server" >/dev/null ||
        die "redis-server is not installed: './dev deps' installs it (Debian package redis-server)"
    runs_enter
    if [[ -s $state/users && -f $state/port ]] && ping "$(<"$state/port")"; then
        printf 'redis-server on 127.0.0.1:%s, shared with the run(s) %s\n' \
            "$(<"$state/port")" "$(runs_others)"
        runs_join
        return 0
    fi
    stop_server # a server left over from an interrupted run
    local dir port pid
    dir=$(mktemp -d "${TMPDIR:-/tmp}/apikit-redis.XXXXXX")
    printf '%s\n' "$dir" >"$state/dir"
    # No tool here binds port 0 for us: pick ports at random until one is
    # free, which redis-server tells by starting or failing to.
    for _ in $(seq 20); do
        port=$((20000 + RANDOM % 40000))
        rm -f "$dir/redis.pid"
        "$server" --port "$port" --bind 127.0.0.1 --protected-mode yes \
            --save '' --appendonly no --dir "$dir" \
            --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" \
            --enable-debug-command local >/dev/null 2>&1 9>&- || continue
        for _ in $(seq 200); do
            # Ready by its own log, alive, and answering: the port is ours
            # (a PONG alone could come from another server on that port).
            if grep -q 'Ready to accept connections' "$dir/redis.log" 2>/dev/null &&
                [[ -f $dir/redis.pid ]] && kill -0 "$(<"$dir/redis.pid")" 2>/dev/null &&
                ping "$port"; then
                pid=$(<"$dir/redis.pid")
                printf '%s\n' "$pid" >"$state/pid"
                printf '%s\n' "$port" >"$state/port"
                printf 'redis-server %s on 127.0.0.1:%s (pid %s, dir %s)\n' \
                    "$("$server" --version | sed -n 's/.*v=\([^ ]*\).*/\1/p')" "$port" "$pid" "$dir"
                runs_join
                return 0
            fi
            # Gone without answering: the port was taken; try another.
            if [[ -f $dir/redis.pid ]] && ! kill -0 "$(<"$dir/redis.pid")" 2>/dev/null; then
                break
            fi
            if grep -q 'Address already in use' "$dir/redis.log" 2>/dev/null; then
                break
            fi
            sleep 0.05
        done
        if [[ -f $dir/redis.pid ]]; then
            kill -TERM "$(<"$dir/redis.pid")" 2>/dev/null || true
        fi
    done
    cat "$dir/redis.log" >&2 2>/dev/null || true
    rm -rf -- "$dir"
    rm -f -- "$state/dir"
    die "redis-server did not start on any of 20 ports"
}

case $command in
start) start ;;
stop) runs_leave "redis-server" stop_server ;;
*) die "unknown command '$command' (start or stop)" ;;
esac
