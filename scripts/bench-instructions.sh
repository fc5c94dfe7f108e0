#!/usr/bin/env bash
# Instructions per command of the `contact-worker run` process, counted by valgrind's callgrind:
# a measure of the worker's own work that does not move with the load of the machine, so a change
# of a few per cent shows in a single pair of runs (CPU time on a shared host varies by 15–30 %
# between runs of one build, and this VM offers no hardware counters).
#
#   scripts/bench-instructions.sh                        # SQLite (tmpfs) and PostgreSQL 15 (throwaway server)
#   BACKENDS=postgres COUNT=5000 scripts/bench-instructions.sh
#   BIN=/path/to/contact-worker scripts/bench-instructions.sh   # an existing release binary, no build
#   OUT=/tmp/worker.callgrind scripts/bench-instructions.sh     # keep the profiles (callgrind_annotate)
#
# Per backend, on a fresh mock cluster (`contact-worker mock-cluster`, its own process):
#   1. `bench load` puts CONTACTS CreateContact commands on the commands topic; the worker, under
#      callgrind with counting off, processes them (start-up, group join and the first batches
#      are not counted).
#   2. Counting on; `bench load --existing-contacts` puts COUNT AddInteraction commands on the
#      topic, and the worker processes them. Counting off once all of them are processed: the
#      window starts and ends with nothing in flight, so its instructions are COUNT commands'
#      worth (and what the idle worker runs meanwhile, a small share).
#
# What it leaves out: the kernel's work (system calls, page faults, context switches) and time
# spent waiting on locks, so the target stays CPU time (scripts/bench-worker.sh). callgrind
# counts each iteration of a `rep movs`/`rep stos` as an instruction, which makes large copies
# and page-sized clears (SQLite zeroing new pages) weigh more than their cost in time. Threads run
# one at a time under valgrind, so batches are fuller than on two cores. PostgreSQL's own work is
# in its server process and not counted; SQLite's is in the worker's and is.
#
# valgrind 3.19 (Debian bookworm) cannot read the DWARF of Swift 6.3 binaries: the worker runs as a
# copy without debug information, and callgrind names functions from the symbol table.
set -euo pipefail
cd "$(dirname "$0")/.."

BACKENDS=${BACKENDS:-"sqlite postgres"}
CONTACTS=${CONTACTS:-500}
COUNT=${COUNT:-10000}
TOKENS=${TOKENS:-200}
PARTITIONS=${PARTITIONS:-16}
SECRET=${SECRET:-bench-only-secret-0123456789abcdef0123456789}
FETCH_WAIT_MS=${FETCH_WAIT_MS:-5}

for tool in valgrind callgrind_control objcopy curl; do
    command -v "$tool" >/dev/null || { echo "$tool is needed (apt-get install valgrind binutils curl)" >&2; exit 1; }
done
if [ -z "${BIN:-}" ]; then
    swift build -c release --static-swift-stdlib --scratch-path .build-release --product contact-worker >&2
    BIN=$(swift build -c release --static-swift-stdlib --scratch-path .build-release --show-bin-path)/contact-worker
fi
export BIN BACKENDS CONTACTS COUNT TOKENS PARTITIONS SECRET FETCH_WAIT_MS

# The outer call runs one inner call per backend; PostgreSQL's inside scripts/with-postgres.sh.
if [ "${1:-}" != "--database-url" ]; then
    for backend in $BACKENDS; do
        case $backend in
            sqlite)
                shm=$(mktemp -d /dev/shm/contact-worker-bench.XXXXXX)
                "$0" --database-url "sqlite:$shm/bench.sqlite" || { rm -rf "$shm"; exit 1; }
                rm -rf "$shm" ;;
            postgres)
                # shellcheck disable=SC2016
                scripts/with-postgres.sh bash -c '"$0" --database-url "$CONTACT_WORKER_TEST_POSTGRES_URL"' "$0" ;;
            *) echo "unknown backend: $backend (sqlite, postgres)" >&2; exit 2 ;;
        esac
    done
    exit 0
fi

DATABASE_URL=$2
case $DATABASE_URL in sqlite:*) BACKEND=SQLite ;; *) BACKEND=PostgreSQL ;; esac
WORK=$(mktemp -d)
PROFILE=${OUT:+$OUT.$BACKEND}
PROFILE=${PROFILE:-$WORK/callgrind.out}
PIDS=()
MOCK_CLUSTER_PID=""
cleanup() {
    local status=$?
    for pid in "${PIDS[@]}" $MOCK_CLUSTER_PID; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}" $MOCK_CLUSTER_PID; do wait "$pid" 2>/dev/null || true; done
    if [ "$status" -ne 0 ]; then echo "logs kept in $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# shellcheck source=scripts/lib/mock-cluster.sh
. scripts/lib/mock-cluster.sh
start_mock_cluster "$WORK/cluster.log" --brokers 1 --topic "commands:$PARTITIONS" --topic "events:$PARTITIONS" \
    --topic "results:$PARTITIONS" --topic "dead-letters:1"
echo "== $BACKEND: mock cluster at $BROKERS, $PARTITIONS partitions" >&2

"$BIN" bench load --brokers "$BROKERS" --topic commands --contacts "$CONTACTS" --count 0 \
    --tokens "$TOKENS" --secret "$SECRET" >&2

objcopy --strip-debug "$BIN" "$WORK/contact-worker"
rm -f "$PROFILE" "$PROFILE".*
HTTP_PORT=$(free_port)
env KAFKA_BROKERS="$BROKERS" DATABASE_URL="$DATABASE_URL" JWT_HS256_SECRET="$SECRET" HTTP_PORT="$HTTP_PORT" \
    COMMANDS_TOPIC=commands EVENTS_TOPIC=events RESULTS_TOPIC=results DLQ_TOPIC=dead-letters \
    LOG_LEVEL=warning KAFKA_FETCH_WAIT_MAX_MS="$FETCH_WAIT_MS" KAFKA_MAX_IN_FLIGHT=2 \
    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$PROFILE" \
    "$WORK/contact-worker" run >"$WORK/worker.log" 2>&1 &
WORKER=$!
PIDS+=("$WORKER")

processed() {
    # Before the worker listens, nothing: 0.
    { curl -sf "http://127.0.0.1:$HTTP_PORT/metrics" || true; } |
        awk '/^contact_worker_commands_processed_total/ { n += $NF } END { print n + 0 }'
}
wait_for_processed() {
    local deadline=$((SECONDS + 900))
    until [ "$(processed)" -ge "$1" ]; do
        kill -0 "$WORKER" 2>/dev/null || { echo "the worker exited:" >&2; tail -20 "$WORK/worker.log" >&2; exit 1; }
        [ "$SECONDS" -lt "$deadline" ] || { echo "only $(processed) of $1 commands processed in 900 s" >&2; exit 1; }
        sleep 0.2
    done
}

wait_for_processed "$CONTACTS"
# callgrind_control waits until the worker's process has taken the request.
callgrind_control --instr=on "$WORKER" >/dev/null 2>&1
"$BIN" bench load --brokers "$BROKERS" --topic commands --contacts "$CONTACTS" --count "$COUNT" \
    --existing-contacts --tokens "$TOKENS" --secret "$SECRET" >&2
wait_for_processed $((CONTACTS + COUNT))
callgrind_control --instr=off "$WORKER" >/dev/null 2>&1
callgrind_control --dump "$WORKER" >/dev/null 2>&1
# The dump's last line is its total.
for _ in $(seq 300); do grep -q '^totals:' "$PROFILE.1" 2>/dev/null && break; sleep 0.1; done
INSTRUCTIONS=$(awk '/^totals:/ { print $2 }' "$PROFILE.1")
kill -TERM "$WORKER"
wait "$WORKER" || true
[ -n "$INSTRUCTIONS" ] || { echo "callgrind wrote no profile" >&2; exit 1; }
if [ -n "${OUT:-}" ]; then
    echo "profile: $PROFILE.1 (callgrind_annotate --inclusive=yes $PROFILE.1)" >&2
fi
echo "$BACKEND: worker $(awk -v n="$INSTRUCTIONS" -v c="$COUNT" 'BEGIN { printf "%.0f", n / c }')" \
    "instructions per command ($COUNT AddInteraction, $INSTRUCTIONS instructions)"
