# shellcheck shell=bash
# bench/lib.sh — what bench/run and bench/profile share: finding the
# binaries, starting servers on loopback and killing them on exit, creating the
# 20 users, signing one in for an access token, capturing the raw responses,
# one bounded wrk run, and reading a process's CPU time. Sourced, never run;
# the caller sets `set -euo pipefail`, $repo and $build_dir first.

die() {
    printf 'bench/%s: %s\n' "${0##*/}" "$*" >&2
    exit 1
}

warn() {
    printf 'bench/%s: warning: %s\n' "${0##*/}" "$*" >&2
}

# check_int <name> <value> <min> <max>: every loop of the harness is bounded,
# so values that would not be are refused.
check_int() {
    if ! [[ $2 =~ ^[0-9]+$ ]] || (($2 < $3 || $2 > $4)); then
        die "$1 must be an integer from $3 to $4, not '$2'"
    fi
}

# The two routes of the benchmark, and the short names of their captures.
routes=(/healthz '/users?limit=20')
route_names=(healthz users)
# auth_args <option> <target>: sets $auth_args to what sends the bearer token
# (Authorization: Bearer <token>) with requests for <target>: /users needs
# one (scope read); /healthz is a load balancer's probe, which carries none.
# $1 is the option's name: --header for apikit-bench-client, -H for wrk.
auth_args() { # <option> <target>
    auth_args=()
    if [[ $2 == /users* ]]; then
        auth_args=("$1" "$auth_header")
    fi
}

# An access token lives 15 minutes (the sample server's default; it accepts
# one for 30 s of clock skew more). A wrk run must end before its token
# expires, so sign_in is called again once the token is older than this
# minus what the next runs need (fresh_token).
token_lifetime=900

# bench_init: resolves the build directory and the binaries, makes $out and a
# scratch directory, and arms the clean-up.
bench_init() {
    build_dir=$(cd "$build_dir" 2>/dev/null && pwd) ||
        die "no build directory '$build_dir': build the bench preset first (./dev bench does)"
    server_bin=${APIKIT_BENCH_SERVER:-$build_dir/examples/server/apikit-server}
    plain_bin=$build_dir/bench/apikit-bench-plain-beast
    floor_bin=$build_dir/bench/apikit-bench-epoll-floor
    client_bin=$build_dir/bench/apikit-bench-client
    out=${APIKIT_BENCH_OUT:-$build_dir/bench-results}
    local bin
    for bin in "$server_bin" "$plain_bin" "$floor_bin" "$client_bin"; do
        [[ -x $bin ]] || die "missing $bin: build the bench preset first (./dev bench does)"
    done
    command -v wrk >/dev/null || die "wrk is not installed (apt-get install wrk)"
    command -v openssl >/dev/null || die "openssl is not installed (apt-get install openssl)"
    build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$build_dir/CMakeCache.txt" 2>/dev/null || true)
    [[ $build_type == Release ]] ||
        warn "$build_dir is a \"${build_type:-?}\" build, not Release: its figures mean little"

    # APIKIT_BENCH_NICE=-10 runs the servers and wrk ahead of whatever else
    # the machine is doing (a negative value needs root): fewer preemptions,
    # steadier figures on a shared machine.
    nice_cmd=()
    if [[ -n ${APIKIT_BENCH_NICE:-} ]]; then
        [[ $APIKIT_BENCH_NICE =~ ^-?[0-9]+$ ]] || die "APIKIT_BENCH_NICE must be an integer"
        nice -n "$APIKIT_BENCH_NICE" true 2>/dev/null ||
            die "cannot run at nice $APIKIT_BENCH_NICE (a negative value needs root)"
        nice_cmd=(nice -n "$APIKIT_BENCH_NICE")
    fi

    mkdir -p "$out"
    work=$(mktemp -d "${TMPDIR:-/tmp}/apikit-bench.XXXXXX")
    pids=()
    trap bench_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM

    # wrk reports through a done() callback rather than its human-readable text.
    cat >"$work/report.lua" <<'EOF'
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("apikit-bench %d %d %d %d %d %d %d\n", summary.requests,
    summary.duration, e.connect, e.read, e.write, e.status, e.timeout))
end
EOF
}

# Servers get SIGTERM (the sample server then drains and exits 0 within 10 s),
# then SIGKILL if they are still there 11 s later. Only the processes this
# script started, by pid.
# shellcheck disable=SC2317 # invoked by the EXIT trap
bench_cleanup() {
    local pid i
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do
        for ((i = 0; i < 110; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$work"
}

client() { "$client_bin" "$@"; }

# start_server <name> <port> <command...>: starts it in the background, waits
# until it accepts connections on 127.0.0.1:<port> and sets $started_pid. Its
# stdout goes to /dev/null: the sample server's access log is part of its
# cost, as designed, but not worth keeping. Its stderr goes to $out/<name>.stderr.
start_server() {
    local name=$1 port=$2
    shift 2
    "${nice_cmd[@]}" "$@" >/dev/null 2>"$out/$name.stderr" &
    started_pid=$!
    pids+=("$started_pid")
    if ! client wait --port "$port" --timeout-ms "${start_timeout_ms:-10000}" 2>/dev/null ||
        ! kill -0 "$started_pid" 2>/dev/null; then
        cat "$out/$name.stderr" >&2
        die "$name did not start listening on 127.0.0.1:$port"
    fi
}

# start_sample [<wrapper...>]: starts the sample server on one thread (under
# the wrapper, e.g. valgrind, when given; with the words of
# $APIKIT_BENCH_SERVER_ARGS as further flags), creates the 20 users (each
# with a password), signs the first one in (sign_in) and captures the raw
# response of each route into $out/<route name>.http, /users with the token.
# Sets $sample_port and $sample_pid. Its access tokens are signed with an
# RS256 key of the run's ($work/jwt.pem, as the server would make one), so
# that start_sample_off's server accepts them too.
# shellcheck disable=SC2034 # the pid is for the caller
start_sample() {
    sample_port=$(client free-port)
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/jwt.pem" 2>/dev/null ||
        die "openssl could not make the signing key"
    start_sample_server apikit-server "$sample_port" "$@"
    sample_pid=$started_pid
    create_users "$sample_port"
    sign_in
    local i
    for i in "${!routes[@]}"; do
        auth_args --header "${routes[i]}"
        client request --port "$sample_port" --target "${routes[i]}" --expect 200 \
            "${auth_args[@]}" \
            --out "$out/${route_names[i]}.http" || die "GET ${routes[i]} failed"
    done
    local users_on_page
    users_on_page=$(grep -o '"id":"user_' "$out/users.http" | wc -l)
    ((users_on_page == 20)) || die "GET /users?limit=20 returned $users_on_page users, not 20"
}

# start_sample_off: a second sample server, the same but for
# `--observability off` (no trace context, no RED metrics, no log line of any
# request): the issue's "within 5% of the same server with them off" is
# measured against it, in the same rounds. It gets 20 users of its own, made
# as start_sample makes them, and accepts the token sign_in got (one key).
# Call after start_sample. Sets $sample_off_port and $sample_off_pid.
# shellcheck disable=SC2034 # the pid is for the caller
start_sample_off() {
    sample_off_port=$(client free-port)
    start_sample_server apikit-server-off "$sample_off_port" -- --observability off
    sample_off_pid=$started_pid
    create_users "$sample_off_port"
    client request --port "$sample_off_port" --target '/users?limit=20' --expect 200 \
        --header "$auth_header" --out "$work/users-off.http" ||
        die "GET /users?limit=20 failed on the server with observability off"
    local users_on_page
    users_on_page=$(grep -o '"id":"user_' "$work/users-off.http" | wc -l)
    ((users_on_page == 20)) || die "the server with observability off listed $users_on_page users, not 20"
}

# start_sample_server <name> <port> [<wrapper...>] [-- <flags...>]: the sample
# server on one thread and 127.0.0.1:<port>, with the run's signing key, the
# words of $APIKIT_BENCH_SERVER_ARGS and <flags>. The rate limiter stays on,
# doing its whole work for every /users request, with a bucket no benchmark
# drains (the server's own default, 100 per client, would answer 429s after a
# tenth of a second).
start_sample_server() {
    local name=$1 port=$2
    shift 2
    local wrapper=() server_flags=() extra=()
    while (($#)) && [[ $1 != -- ]]; do wrapper+=("$1"); shift; done
    if (($#)); then shift; server_flags=("$@"); fi
    read -r -a extra <<<"${APIKIT_BENCH_SERVER_ARGS:-}"
    start_server "$name" "$port" "${wrapper[@]}" "$server_bin" --address 127.0.0.1 \
        --port "$port" --threads 1 --rate-limit 1000000000:1000000000 \
        --jwt-key "$work/jwt.pem" "${extra[@]}" "${server_flags[@]}"
}

# create_users <port>: the 20 users, each with a password. Each sign-up
# hashes its password on the server's KDF pool (tens of milliseconds each):
# a second or so, before anything is measured.
create_users() {
    client request --port "$1" --method POST --target /users --count 20 --expect 201 \
        --body '{"email":"bench-user-{i}@example.com","name":"Bench User {i}","password":"bench-password-{i}"}' ||
        die "could not create the 20 users on port $1"
}

# sign_in: POST /auth/login as bench-user-1 and keeps the access token of
# the answer's body ({"access_token":"…","token_type":"Bearer",…}) in
# $auth_header ("Authorization: Bearer <token>"), the moment in
# $token_issued_at ($SECONDS). The login limit (10 at once, then 10 a
# minute per address) leaves room for far more sign-ins than a run needs.
sign_in() {
    client request --port "$sample_port" --method POST --target /auth/login --expect 200 \
        --body '{"email":"bench-user-1@example.com","password":"bench-password-1"}' \
        --out "$work/login.http" || die "could not sign bench-user-1 in"
    local token
    token=$(sed -n 's/.*"access_token":"\([A-Za-z0-9_.-]*\)".*/\1/p' "$work/login.http")
    [[ -n $token ]] || die "POST /auth/login answered no access_token"
    auth_header="Authorization: Bearer $token"
    token_issued_at=$SECONDS
}

# fresh_token <seconds>: signs in again unless the token has <seconds> of
# life left and a minute to spare, so that no wrk run outlives its token
# (it would be answered 401s, which fail the run). Every server of a round
# is then sent the same token: their requests stay the same bytes.
fresh_token() {
    if ((SECONDS - token_issued_at + $1 + 60 > token_lifetime)); then
        sign_in
    fi
}

# start_references: the plain Beast server (both routes) and one epoll floor
# per route, serving the captures; then proof that each answers with exactly
# the captured bytes, three times on one connection. (The plain Beast server
# also checks at start-up that Beast serializes each capture back to itself.)
# Sets $plain_port, $plain_pid, and floor_port[<route name>], floor_pid[...].
# shellcheck disable=SC2034 # the pids and ports are for the caller
start_references() {
    plain_port=$(client free-port)
    start_server plain-beast "$plain_port" "$plain_bin" --port "$plain_port" \
        --route /healthz "$out/healthz.http" --route '/users?limit=20' "$out/users.http"
    plain_pid=$started_pid

    declare -gA floor_port floor_pid
    local i name p
    for i in "${!routes[@]}"; do
        name=${route_names[i]}
        floor_port[$name]=$(client free-port)
        start_server "epoll-floor-$name" "${floor_port[$name]}" "$floor_bin" \
            --port "${floor_port[$name]}" --response "$out/$name.http"
        floor_pid[$name]=$started_pid
    done

    for i in "${!routes[@]}"; do
        name=${route_names[i]}
        auth_args --header "${routes[i]}"
        for p in "$plain_port" "${floor_port[$name]}"; do
            client request --port "$p" --target "${routes[i]}" --count 3 "${auth_args[@]}" \
                --compare "$out/$name.http" ||
                die "the server on port $p does not answer ${routes[i]} with the captured bytes"
        done
    done
}

# CPU time a process has used, all its threads, in clock ticks: fields 14
# (utime) and 15 (stime) of /proc/<pid>/stat. Field 2 may contain spaces, so
# count from the ")" that closes it: field 3 is the first after it.
# [cpu_ticks]
cpu_ticks() {
    local stat
    stat=$(</proc/"$1"/stat) || die "server $1 is gone"
    # shellcheck disable=SC2086 # split into fields on purpose
    set -- ${stat##*) }
    echo $((${12} + ${13}))
}
# [cpu_ticks]

# load <seconds> <connections> <port> <target>: one wrk run, one wrk thread.
# A /users target is sent the access token (-H), whichever server listens
# on <port>: the reference servers ignore it, so every server reads the
# very same request bytes. Prints "requests duration_us"; fails when the
# server answered anything but 2xx or could not be reached.
load() {
    local result
    auth_args -H "$4"
    result=$(timeout $(($1 + 30)) "${nice_cmd[@]}" wrk -t1 -c"$2" -d"$1"s -s "$work/report.lua" \
        "${auth_args[@]}" "http://127.0.0.1:$3$4" | sed -n 's/^apikit-bench //p') || true
    [[ -n $result ]] || die "wrk failed against 127.0.0.1:$3$4"
    local requests us connect read write status timeout
    read -r requests us connect read write status timeout <<<"$result"
    ((status == 0)) || die "127.0.0.1:$3$4 answered $status non-2xx responses under load"
    ((connect == 0 && requests > 0)) || die "wrk could not load 127.0.0.1:$3$4"
    ((read + write + timeout == 0)) ||
        warn "127.0.0.1:$3$4: $read read and $write write errors, $timeout timeouts"
    echo "$requests $us"
}
