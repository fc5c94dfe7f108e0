#!/usr/bin/env bash
# Instructions per command of the `contact-worker run` process, counted by valgrind's callgrind:
# a measure of the worker's own work that moves far less with the load of the machine than its CPU
# time does, so a change of a few per cent shows in a pair of runs (docs/benchmarks.md).
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
#      worth, and what runs by the clock meanwhile (librdkafka's timers and fetch waits, the
#      script's reads of /metrics once a second): a small share, larger on a slower host.
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

for tool in valgrind callgrind_control objcopy curl python3; do
    command -v "$tool" >/dev/null || {
        echo "$tool is needed (apt-get install valgrind binutils curl python3)" >&2
        exit 1
    }
done
if [ -z "${BIN:-}" ]; then
    swift build -c release --static-swift-stdlib --scratch-path .build-release --product contact-worker >&2
    BIN=$(swift build -c release --static-swift-stdlib --scratch-path .build-release --show-bin-path)/contact-worker
fi
export BIN BACKENDS CONTACTS COUNT TOKENS PARTITIONS SECRET FETCH_WAIT_MS

# shellcheck source=scripts/lib/bench-run.sh
. scripts/lib/bench-run.sh

# The outer call runs one inner call per backend; PostgreSQL's inside scripts/with-postgres.sh.
if [ "${1:-}" != "--database-url" ]; then
    run_each_backend "$0"
fi

DATABASE_URL=$2
case $DATABASE_URL in sqlite:*) BACKEND=SQLite ;; *) BACKEND=PostgreSQL ;; esac
start_bench_run
PROFILE=${OUT:+$OUT.$BACKEND}
PROFILE=${PROFILE:-$WORK/callgrind.out}

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
    { curl -sf --max-time 10 "http://127.0.0.1:$HTTP_PORT/metrics" || true; } |
        awk '/^contact_worker_commands_processed_total/ { n += $NF } END { print n + 0 }'
}
wait_for_processed() {
    local deadline=$((SECONDS + 900))
    until [ "$(processed)" -ge "$1" ]; do
        kill -0 "$WORKER" 2>/dev/null || { echo "the worker exited:" >&2; tail -20 "$WORK/worker.log" >&2; exit 1; }
        [ "$SECONDS" -lt "$deadline" ] || { echo "only $(processed) of $1 commands processed in 900 s" >&2; exit 1; }
        sleep 1
    done
}

wait_for_processed "$CONTACTS"
# callgrind_control waits until the worker's process has taken the request.
callgrind_control --instr=on "$WORKER" >"$WORK/callgrind-control.log" 2>&1
"$BIN" bench load --brokers "$BROKERS" --topic commands --contacts "$CONTACTS" --count "$COUNT" \
    --existing-contacts --tokens "$TOKENS" --secret "$SECRET" >&2
wait_for_processed $((CONTACTS + COUNT))
callgrind_control --instr=off "$WORKER" >>"$WORK/callgrind-control.log" 2>&1
callgrind_control --dump "$WORKER" >>"$WORK/callgrind-control.log" 2>&1
# The dump's last line is its total.
for _ in $(seq 300); do grep -q '^totals:' "$PROFILE.1" 2>/dev/null && break; sleep 0.1; done
INSTRUCTIONS=$(awk '/^totals:/ { print $2 }' "$PROFILE.1" 2>/dev/null || true)
kill -TERM "$WORKER"
wait "$WORKER" || true
# A count far below a command's work means counting never started (callgrind_control could not
# reach the worker): no number rather than a wrong one.
if [ -z "$INSTRUCTIONS" ] || [ "$INSTRUCTIONS" -lt $((COUNT * 10000)) ]; then
    echo "callgrind counted ${INSTRUCTIONS:-nothing} for $COUNT commands; callgrind_control said:" >&2
    cat "$WORK/callgrind-control.log" >&2
    exit 1
fi
if [ -n "${OUT:-}" ]; then
    echo "profile: $PROFILE.1 (callgrind_annotate --inclusive=yes $PROFILE.1)" >&2
fi
echo "$BACKEND: worker $(awk -v n="$INSTRUCTIONS" -v c="$COUNT" 'BEGIN { printf "%.0f", n / c }')" \
    "instructions per command ($COUNT AddInteraction, $INSTRUCTIONS instructions)"
