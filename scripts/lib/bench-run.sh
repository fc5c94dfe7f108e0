# Sourced by scripts/bench-worker.sh and scripts/bench-instructions.sh: what their runs share.
#
#   run_each_backend SCRIPT      # SCRIPT --database-url URL once per backend of $BACKENDS, then exit
#   start_bench_run              # WORK, PIDS, MOCK_CLUSTER_PID, and the cleanup trap
#   free_port                    # a free TCP port on 127.0.0.1

# Runs `SCRIPT --database-url URL` for each backend of $BACKENDS: SQLite on tmpfs, PostgreSQL
# inside scripts/with-postgres.sh (a throwaway server). Exits with the first failure, or 0.
run_each_backend() {
    local script=$1 backend shm
    for backend in $BACKENDS; do
        case $backend in
            sqlite)
                shm=$(mktemp -d /dev/shm/contact-worker-bench.XXXXXX)
                "$script" --database-url "sqlite:$shm/bench.sqlite" || { rm -rf "$shm"; exit 1; }
                rm -rf "$shm" ;;
            postgres)
                # shellcheck disable=SC2016
                scripts/with-postgres.sh bash -c '"$0" --database-url "$CONTACT_WORKER_TEST_POSTGRES_URL"' "$script" ;;
            *) echo "unknown backend: $backend (sqlite, postgres)" >&2; exit 2 ;;
        esac
    done
    exit 0
}

# A run's scratch directory and the processes it starts (PIDS, MOCK_CLUSTER_PID), stopped on exit.
start_bench_run() {
    WORK=$(mktemp -d)
    PIDS=()
    MOCK_CLUSTER_PID=""
    trap bench_run_cleanup EXIT
}

bench_run_cleanup() {
    local status=$?
    for pid in "${PIDS[@]}" $MOCK_CLUSTER_PID; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}" $MOCK_CLUSTER_PID; do wait "$pid" 2>/dev/null || true; done
    # A failed run keeps its logs (the worker's, the cluster's) for a look.
    if [ "$status" -ne 0 ]; then echo "logs kept in $WORK" >&2; else rm -rf "$WORK"; fi
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
