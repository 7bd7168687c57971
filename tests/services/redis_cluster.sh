#!/usr/bin/env bash
# A throwaway Redis Cluster for the tests, run by ctest as the fixture
# "redis_cluster":
#
#   redis_cluster.sh start STATE_DIR   starts 6 redis-server nodes on 127.0.0.1
#                                      (cluster mode, no persistence, each in a
#                                      directory of its own under one fresh
#                                      temporary directory), joins them with
#                                      `redis-cli --cluster create` as 3
#                                      primaries with a replica each, waits
#                                      until the cluster is whole, and writes
#                                      the ports to STATE_DIR/ports
#   redis_cluster.sh stop STATE_DIR    stops the nodes and removes the directory,
#                                      unless another run still uses them
#
# Several ctest runs in one build tree share one cluster, as runs.sh says.
#
# STATE_DIR/ports holds one port a line: the 3 primaries first, in the order
# of the slots they own (0-5460, 5461-10922, 10923-16383), then the 3
# replicas, each at its primary's line + 3. The tests read it (the path comes
# to them in APIKIT_REDIS_CLUSTER_PORTS_FILE) and fail when it is not there.
#
# The cluster bus of a node listens on its port + 10000, so ports are at most
# 55535. "Whole" is: every node says cluster_state:ok with all 16384 slots
# served and 6 known nodes, every node's CLUSTER NODES shows 3 primaries and 3
# replicas, all connected and none failing, and every replica's link to its
# primary is up (a replica that has not synced cannot take over, and the
# failover tests need it to). The waits poll, bounded. A node timeout of 1 s
# keeps a failure detected quickly, and replicas sync at once (no diskless
# sync delay, 5 s by default), so the cluster is whole in about 3 s.
set -euo pipefail

die() {
    printf 'redis_cluster.sh: %s\n' "$*" >&2
    exit 1
}

(($# == 2)) || die "usage: redis_cluster.sh start|stop STATE_DIR"
command=$1
state=$2
server=${APIKIT_REDIS_SERVER:-redis-server}
cli=${APIKIT_REDIS_CLI:-redis-cli}
nodes=6
# shellcheck source=runs.sh
source "$(dirname "${BASH_SOURCE[0]}")/runs.sh"
replicas=1

# One command to one node, its reply as redis-cli prints it without a
# terminal; empty when the node does not answer within 2 s.
ask() { # <port> <arg>...
    local port=$1
    shift
    timeout 2 "$cli" -h 127.0.0.1 -p "$port" "$@" 2>/dev/null || true
}

# Our redis-server, by its pid: a stale pid file must not kill a stranger.
ours() { # <pid>
    [[ -r /proc/$1/cmdline ]] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -q 'redis-server'
}

stop_nodes() {
    local pid pids=()
    if [[ -f $state/pids ]]; then
        while read -r pid; do
            [[ -n $pid ]] && ours "$pid" && pids+=("$pid")
        done <"$state/pids"
    fi
    if ((${#pids[@]})); then
        kill -TERM "${pids[@]}" 2>/dev/null || true
        for _ in $(seq 100); do
            local alive=0
            for pid in "${pids[@]}"; do
                kill -0 "$pid" 2>/dev/null && alive=1
            done
            ((alive)) || break
            sleep 0.05
        done
        for pid in "${pids[@]}"; do
            ours "$pid" && kill -KILL "$pid" 2>/dev/null || true
        done
    fi
    if [[ -f $state/dir ]]; then
        rm -rf -- "$(<"$state/dir")"
    fi
    rm -f -- "$state/pids" "$state/ports" "$state/dir"
}

# Everything we know, on the way out of a failed start.
fail() {
    local log
    for log in "$dir"/*/redis.log "$dir"/create.log; do
        [[ -f $log ]] || continue
        printf '==> %s <==\n' "$log" >&2
        tail -n 40 "$log" >&2
    done
    stop_nodes
    die "$@"
}

# Starts node <n> in $dir/<n> on a random free port (at most 55535, its bus
# at port + 10000 free too) and prints the port. redis-server tells whether a
# port is free by starting or failing to: there is no tool here to bind one.
start_node() { # <n>
    local node_dir=$dir/$1 port pid
    mkdir -p "$node_dir"
    for _ in $(seq 20); do
        port=$((20000 + RANDOM % 35536))
        rm -f "$node_dir/redis.pid" "$node_dir/redis.log" "$node_dir/nodes.conf"
        "$server" --port "$port" --bind 127.0.0.1 --protected-mode yes \
            --cluster-enabled yes --cluster-config-file nodes.conf \
            --cluster-node-timeout 1000 --repl-diskless-sync-delay 0 \
            --save '' --appendonly no --dir "$node_dir" \
            --daemonize yes --pidfile "$node_dir/redis.pid" --logfile "$node_dir/redis.log" \
            --enable-debug-command local >/dev/null 2>&1 9>&- || continue
        for _ in $(seq 200); do
            if [[ -f $node_dir/redis.pid ]]; then
                pid=$(<"$node_dir/redis.pid")
                # Known from the moment it runs, so that stop_nodes() finds it.
                grep -qx "$pid" "$state/pids" 2>/dev/null || printf '%s\n' "$pid" >>"$state/pids"
            fi
            # Ready by its own log, alive, and answering: the port is ours
            # (a PONG alone could come from another server on that port).
            if grep -q 'Ready to accept connections' "$node_dir/redis.log" 2>/dev/null &&
                [[ -n ${pid-} ]] && kill -0 "$pid" 2>/dev/null &&
                [[ $(ask "$port" PING) == PONG ]]; then
                printf '%s\n' "$port"
                return 0
            fi
            # Gone, or the port (or its bus port) was taken: try another.
            if [[ -n ${pid-} ]] && ! kill -0 "$pid" 2>/dev/null; then
                break
            fi
            if grep -q 'Address already in use' "$node_dir/redis.log" 2>/dev/null; then
                break
            fi
            sleep 0.05
        done
        if [[ -n ${pid-} ]]; then
            kill -TERM "$pid" 2>/dev/null || true
        fi
        pid=
    done
    return 1
}

# True when the cluster is whole (see the top of this file).
whole() {
    local port info nodes_text
    for port in "${ports[@]}"; do
        info=$(ask "$port" CLUSTER INFO | tr -d '\r')
        grep -qx 'cluster_state:ok' <<<"$info" || return 1
        grep -qx 'cluster_slots_ok:16384' <<<"$info" || return 1
        grep -qx "cluster_known_nodes:$nodes" <<<"$info" || return 1
        nodes_text=$(ask "$port" CLUSTER NODES)
        (($(grep -c ' connected' <<<"$nodes_text") == nodes)) || return 1
        (($(awk '$3 ~ /master/' <<<"$nodes_text" | wc -l) == nodes / (replicas + 1))) || return 1
        (($(awk '$3 ~ /slave/' <<<"$nodes_text" | wc -l) == nodes - nodes / (replicas + 1))) || return 1
        ! awk '{print $3}' <<<"$nodes_text" | grep -Eq 'fail|handshake|noaddr' || return 1
        if awk '$3 ~ /myself/' <<<"$nodes_text" | grep -q slave; then
            ask "$port" INFO replication | tr -d '\r' | grep -qx 'master_link_status:up' || return 1
        fi
    done
}

# The ports in the documented order: primaries by their first slot, then
# each one's replica in the same order.
ordered_ports() {
    local nodes_text id
    nodes_text=$(ask "${ports[0]}" CLUSTER NODES)
    # "<first slot> <id> <port>" of each primary, in the order of their slots
    awk '$3 ~ /master/ { split($2, a, "[:@]"); split($9, s, "-"); print s[1], $1, a[2] }' \
        <<<"$nodes_text" | sort -n >"$dir/primaries"
    awk '{ print $3 }' "$dir/primaries"
    while read -r _ id _; do
        awk -v id="$id" '$3 ~ /slave/ && $4 == id { split($2, a, "[:@]"); print a[2] }' \
            <<<"$nodes_text"
    done <"$dir/primaries"
}

start_cluster() {
    command -v "$server" >/dev/null ||
        die "redis-server is not installed: './dev deps' installs it (Debian package redis-server)"
    command -v "$cli" >/dev/null ||
        die "redis-cli is not installed: './dev deps' installs it (Debian package redis-tools, with redis-server)"
    stop_nodes # a cluster left over from an interrupted run
    local began=$EPOCHREALTIME port
    dir=$(mktemp -d "${TMPDIR:-/tmp}/apikit-redis-cluster.XXXXXX")
    printf '%s\n' "$dir" >"$state/dir"
    : >"$state/pids"
    ports=()
    for n in $(seq "$nodes"); do
        port=$(start_node "$n") || fail "node $n did not start on any of 20 ports"
        ports+=("$port")
    done

    local addresses=()
    for port in "${ports[@]}"; do
        addresses+=("127.0.0.1:$port")
    done
    timeout 60 "$cli" --cluster create "${addresses[@]}" --cluster-replicas "$replicas" \
        --cluster-yes >"$dir/create.log" 2>&1 ||
        fail "redis-cli --cluster create failed"

    # At most 60 s for the cluster to become whole: gossip, and each replica's
    # first sync, take a few seconds at most on a loaded machine.
    local deadline=$((SECONDS + 60))
    until whole; do
        ((SECONDS < deadline)) || fail "the cluster did not become whole in 60 s"
        sleep 0.1
    done

    ordered_ports >"$state/ports.new"
    (($(wc -l <"$state/ports.new") == nodes)) || fail "could not order the ports"
    mv "$state/ports.new" "$state/ports"
    printf 'redis cluster (redis-server %s): 3 primaries and 3 replicas on 127.0.0.1:%s in %s ms (dir %s)\n' \
        "$("$server" --version | sed -n 's/.*v=\([^ ]*\).*/\1/p')" \
        "$(paste -sd, "$state/ports")" "$(((${EPOCHREALTIME/./} - ${began/./}) / 1000))" "$dir"
}

start() {
    runs_enter
    if [[ -s $state/users && -f $state/ports ]]; then
        mapfile -t ports <"$state/ports"
        if whole; then
            printf 'redis cluster on 127.0.0.1:%s, shared with the run(s) %s\n' \
                "$(paste -sd, "$state/ports")" "$(runs_others)"
            runs_join
            return 0
        fi
    fi
    start_cluster
    runs_join
}

case $command in
start) start ;;
stop) runs_leave "redis cluster" stop_nodes ;;
*) die "unknown command '$command' (start or stop)" ;;
esac
