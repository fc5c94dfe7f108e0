# Sourced by the benchmark scripts: starts `$BIN mock-cluster` in the background.
#
#   start_mock_cluster LOGFILE [mock-cluster options…]
#
# Sets MOCK_CLUSTER_PID and BROKERS (the bootstrap servers) once the brokers listen; exits the
# calling script with the cluster's log when they do not within 10 s.
start_mock_cluster() {
    local log=$1
    shift
    "$BIN" mock-cluster "$@" >"$log" 2>&1 &
    MOCK_CLUSTER_PID=$!
    for _ in $(seq 100); do
        grep -q '^bootstrap:' "$log" && break
        sleep 0.1
    done
    BROKERS=$(sed -n 's/^bootstrap: //p' "$log")
    [ -n "$BROKERS" ] || { echo "mock cluster did not start:" >&2; cat "$log" >&2; exit 1; }
}
