# Sourced by the service scripts (redis.sh, redis_cluster.sh), which define
# `state` (their STATE_DIR) and `die`. Several ctest runs in one build tree
# (people, or agents, testing at once) share a service instead of killing
# each other's: start and stop take a lock, STATE_DIR/lock, held until the
# script exits, and STATE_DIR/users lists the runs that use the service, each
# by its ctest process (the script's parent). A start joins a service that is
# in use and healthy; a stop ends it only when no other run still alive uses
# it. A run killed before its stop is forgotten at the next start or stop.
# The service's own processes must not inherit the lock: start them with 9>&-.

# Takes the lock and leaves in STATE_DIR/users the other runs still alive.
runs_enter() {
    local pid
    mkdir -p "$state"
    exec 9>>"$state/lock"
    flock -w 60 9 || die "another run held $state/lock for 60 s"
    touch "$state/users"
    while read -r pid; do
        [[ -n $pid && $pid != "$PPID" ]] && kill -0 "$pid" 2>/dev/null && printf '%s\n' "$pid"
    done <"$state/users" >"$state/users.new"
    mv "$state/users.new" "$state/users"
}

# The other runs, comma-separated; empty when there are none.
runs_others() {
    paste -sd, - <"$state/users"
}

# This run uses the service.
runs_join() {
    printf '%s\n' "$PPID" >>"$state/users"
}

# This run is done with the service: `stop` (a function) ends it unless
# another run still uses it.
runs_leave() { # <what the service is> <stop>
    runs_enter
    if [[ -s $state/users ]]; then
        printf '%s left running for the run(s) %s\n' "$1" "$(runs_others)"
        return 0
    fi
    "$2"
    rm -f -- "$state/users"
}
