#!/usr/bin/env bash
# The worker alone: CPU time per command and peak RSS of the `contact-worker run` process, with
# the broker (`contact-worker mock-cluster`) and the load and result clients (`contact-worker bench
# load`) in processes of their own, next to a relay anchor on the same broker and topic.
#
#   scripts/bench-worker.sh                       # PostgreSQL 15 (throwaway server) and SQLite (tmpfs)
#   BACKENDS=sqlite scripts/bench-worker.sh
#   COUNT=20000 RATE=1000 LATENCY_SECONDS=5 scripts/bench-worker.sh
#   BIN=/path/to/contact-worker scripts/bench-worker.sh   # an existing release binary, no build
#   PERF_DATA=/tmp/worker.perf scripts/bench-worker.sh     # also `perf record` the worker on the backlog
#   PERF_DATA=… PERF_CALL_GRAPH=dwarf PERF_FREQUENCY=499 …  # call graphs that frame pointers miss
#   PERF_DATA=… PERF_EVENT=probe_libc:malloc PERF_PERIOD=100 …  # every 100th event (a `perf probe` uprobe)
#   PERF_DATA=… PERF_STAT=probe_libc:malloc,… …  # count events exactly instead (`perf stat`, CSV)
#
# Per backend, on a fresh mock cluster:
#   1. `bench load` puts the backlog on the commands topic: CONTACTS CreateContact + COUNT
#      AddInteraction commands from TOKENS senders, on PARTITIONS partitions.
#   2. Relay anchor: `kcat -C … -e | kcat -P …` copies the backlog to another topic, one message
#      out per command in, with no JSON, auth or database. Its CPU (both kcat processes) per
#      message is what moving the bytes costs.
#   3. `contact-worker run` processes the backlog. The worker's utime+stime are read from
#      /proc/<pid>/stat and its processed-commands counter from /metrics, every 100 ms; CPU per
#      command is the CPU between the first sample with commands processed and the sample that
#      sees all of them, over the commands processed in between (start-up and group join
#      excluded). Peak RSS is the worker's VmHWM once the backlog is done.
#   4. `bench load --rate RATE` sends commands at RATE/s for LATENCY_SECONDS and reports the
#      produce-to-result latency (p50, p99, max).
# The last line per backend is the summary. The CPU figures are the worker's own: on PostgreSQL
# the server's work is not in them; on SQLite the engine runs in the worker and is.
set -euo pipefail
cd "$(dirname "$0")/.."

BACKENDS=${BACKENDS:-"postgres sqlite"}
CONTACTS=${CONTACTS:-2000}
COUNT=${COUNT:-60000}
TOKENS=${TOKENS:-200}
PARTITIONS=${PARTITIONS:-16}
RATE=${RATE:-2000}
LATENCY_SECONDS=${LATENCY_SECONDS:-10}
SECRET=${SECRET:-bench-only-secret-0123456789abcdef0123456789}
# The worker and the anchor get the same fetch wait: the mock cluster's client tuning.
FETCH_WAIT_MS=${FETCH_WAIT_MS:-5}

if [ -z "${BIN:-}" ]; then
    swift build -c release --static-swift-stdlib --scratch-path .build-release --product contact-worker >&2
    BIN=$(swift build -c release --static-swift-stdlib --scratch-path .build-release --show-bin-path)/contact-worker
fi
export BIN BACKENDS CONTACTS COUNT TOKENS PARTITIONS RATE LATENCY_SECONDS SECRET FETCH_WAIT_MS

# shellcheck source=scripts/lib/bench-run.sh
. scripts/lib/bench-run.sh

# The outer call runs one inner call per backend; PostgreSQL's inside scripts/with-postgres.sh.
if [ "${1:-}" != "--database-url" ]; then
    command -v kcat >/dev/null || { echo "kcat is needed for the relay anchor (apt-get install kcat)" >&2; exit 1; }
    run_each_backend "$0"
fi

DATABASE_URL=$2
case $DATABASE_URL in sqlite:*) BACKEND=SQLite ;; *) BACKEND=PostgreSQL ;; esac
TOTAL=$((CONTACTS + COUNT))
start_bench_run

# shellcheck source=scripts/lib/mock-cluster.sh
. scripts/lib/mock-cluster.sh
start_mock_cluster "$WORK/cluster.log" --brokers 1 --topic "commands:$PARTITIONS" --topic "events:$PARTITIONS" \
    --topic "results:$PARTITIONS" --topic "dead-letters:1" --topic "relay:$PARTITIONS"
echo "== $BACKEND: mock cluster at $BROKERS, $PARTITIONS partitions" >&2

"$BIN" bench load --brokers "$BROKERS" --topic commands --contacts "$CONTACTS" --count "$COUNT" \
    --tokens "$TOKENS" --secret "$SECRET" >&2

# 2. The relay anchor. The key delimiter (ASCII unit separator) occurs in no command.
/usr/bin/time -f '%U %S' -o "$WORK/relay-in.time" \
    kcat -C -b "$BROKERS" -t commands -o beginning -e -q -X "fetch.wait.max.ms=$FETCH_WAIT_MS" -K $'\x1f' |
    /usr/bin/time -f '%U %S' -o "$WORK/relay-out.time" kcat -P -b "$BROKERS" -t relay -K $'\x1f'
relayed=$(kcat -C -b "$BROKERS" -t relay -o beginning -e -q | wc -l)
[ "$relayed" -eq "$TOTAL" ] || { echo "the relay copied $relayed of $TOTAL messages" >&2; exit 1; }
RELAY_US=$(cat "$WORK/relay-in.time" "$WORK/relay-out.time" |
    awk -v n="$TOTAL" '{ cpu += $1 + $2 } END { printf "%.2f", cpu * 1e6 / n }')
echo "relay anchor (kcat -C | kcat -P): $RELAY_US µs CPU per message" >&2

# 3. The worker on the backlog.
HTTP_PORT=$(free_port)
env KAFKA_BROKERS="$BROKERS" DATABASE_URL="$DATABASE_URL" JWT_HS256_SECRET="$SECRET" HTTP_PORT="$HTTP_PORT" \
    COMMANDS_TOPIC=commands EVENTS_TOPIC=events RESULTS_TOPIC=results DLQ_TOPIC=dead-letters \
    LOG_LEVEL=warning KAFKA_FETCH_WAIT_MAX_MS="$FETCH_WAIT_MS" KAFKA_MAX_IN_FLIGHT=2 \
    "$BIN" run >"$WORK/worker.log" 2>&1 &
WORKER=$!
PIDS+=("$WORKER")
TICK=$(getconf CLK_TCK)

# One sample: wall seconds, the worker's CPU ticks (utime + stime) and commands processed.
sample() {
    local processed ticks
    processed=$(curl -sf "http://127.0.0.1:$HTTP_PORT/metrics" |
        awk '/^contact_worker_commands_processed_total/ { n += $NF } END { print n + 0 }') || processed=0
    ticks=$(awk '{ print $14 + $15 }' "/proc/$WORKER/stat")
    echo "$(date +%s.%N) $ticks $processed"
}

first=""
deadline=$((SECONDS + 600))
while :; do
    kill -0 "$WORKER" 2>/dev/null || { echo "the worker exited:" >&2; tail -20 "$WORK/worker.log" >&2; exit 1; }
    now=$(sample)
    processed=${now##* }
    if [ -z "$first" ] && [ "$processed" -gt 0 ]; then
        first=$now
        # Attached once the worker processes commands: `perf record -p` samples only the threads
        # that exist when it attaches, and the worker starts its pool threads as work arrives.
        if [ -n "${PERF_DATA:-}" ]; then
            if [ -n "${PERF_STAT:-}" ]; then
                perf stat -e "$PERF_STAT" -x, -p "$WORKER" -o "$PERF_DATA.$BACKEND" 2>"$WORK/perf.log" &
            else
                if [ -n "${PERF_PERIOD:-}" ]; then sampling=(-c "$PERF_PERIOD"); else sampling=(-F "${PERF_FREQUENCY:-1999}"); fi
                perf record ${PERF_EVENT:+-e "$PERF_EVENT"} "${sampling[@]}" --call-graph "${PERF_CALL_GRAPH:-fp}" \
                    -p "$WORKER" -o "$PERF_DATA.$BACKEND" 2>"$WORK/perf.log" &
            fi
            PERF=$!
        fi
    fi
    [ "$processed" -ge "$TOTAL" ] && break
    [ "$SECONDS" -lt "$deadline" ] || { echo "only $processed of $TOTAL commands processed in 600 s" >&2; exit 1; }
    sleep 0.1
done
last=$now
if [ -n "${PERF_DATA:-}" ]; then
    kill -INT "$PERF"
    wait "$PERF" || true
    recorded=$((TOTAL - ${first##* }))
    if [ -n "${PERF_STAT:-}" ]; then
        awk -F, -v commands="$recorded" '$1 ~ /^[0-9]+$/ && commands > 0 {
            printf "perf stat: %s %.1f per command (%.0f over %d commands)\n", $3, $1 / commands, $1, commands }' \
            "$PERF_DATA.$BACKEND" >&2
    else
        echo "perf data: $PERF_DATA.$BACKEND (perf report -i $PERF_DATA.$BACKEND --no-children)," \
            "recorded over the last $recorded commands" >&2
    fi
fi
PEAK_KIB=$(awk '/^VmHWM:/ { print $2 }' "/proc/$WORKER/status")
read -r THROUGHPUT WORKER_US < <(echo "$first $last" | awk -v tick="$TICK" '{
    commands = $6 - $3; seconds = $4 - $1; cpu = ($5 - $2) / tick
    printf "%d %.1f\n", commands / seconds, cpu * 1e6 / commands }')
# The mean batch: per-batch costs (round trips, transactions) divided over this many commands.
MEAN_BATCH=$(curl -sf "http://127.0.0.1:$HTTP_PORT/metrics" | awk '
    /^contact_worker_batch_size_sum/ { sum += $NF } /^contact_worker_batch_size_count/ { count += $NF }
    END { if (count > 0) printf "%.0f", sum / count; else print "n/a" }')
echo "worker: $THROUGHPUT commands/s, $WORKER_US µs CPU per command, peak RSS $((PEAK_KIB / 1024)) MiB, mean batch $MEAN_BATCH commands" >&2

# 4. Latency at a fixed rate, with the backlog done.
"$BIN" bench load --brokers "$BROKERS" --topic commands --results-topic results --contacts "$CONTACTS" \
    --count "$COUNT" --tokens "$TOKENS" --secret "$SECRET" --rate "$RATE" --seconds "$LATENCY_SECONDS" \
    >"$WORK/latency.txt"
cat "$WORK/latency.txt" >&2
LATENCY=$(sed -n 's/.*handed to the producer → result received: *//p' "$WORK/latency.txt")

kill -TERM "$WORKER"
wait "$WORKER" || true
grep -iE '"?level"?[=:] *"?(error|critical)' "$WORK/worker.log" >&2 || true

RATIO=$(awk -v w="$WORKER_US" -v r="$RELAY_US" 'BEGIN { if (r > 0) printf "%.1f", w / r; else printf "n/a (the relay used less than a clock tick) " }')
echo "$BACKEND: $THROUGHPUT commands/s; worker $WORKER_US µs CPU/command (${RATIO}x the relay's $RELAY_US µs); peak RSS $((PEAK_KIB / 1024)) MiB; latency at $RATE/s: $LATENCY"
