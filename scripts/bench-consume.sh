#!/usr/bin/env bash
# Consume throughput: `contact-worker bench consume` against `kcat -C -e`, back to back, on the
# same mock cluster (hosted by `contact-worker mock-cluster` in another process) and topic.
#
#   scripts/bench-consume.sh            # 300,000 x 450-byte messages on 32 partitions
#   COUNT=100000 RUNS=3 scripts/bench-consume.sh
#   KCAT_X="-X fetch.wait.max.ms=10" scripts/bench-consume.sh   # same -X for both sides
#
# Both commands are timed as whole processes (start-up, metadata, connection and exit included),
# alternately, RUNS times each; the rate is COUNT / the median time.
set -euo pipefail
cd "$(dirname "$0")/.."

COUNT=${COUNT:-300000}
PARTITIONS=${PARTITIONS:-32}
SIZE=${SIZE:-450}
RUNS=${RUNS:-20}
TOPIC=${TOPIC:-bench}

# BIN=/path/to/contact-worker skips the build (e.g. to measure an existing release binary).
if [ -z "${BIN:-}" ]; then
    swift build -c release --static-swift-stdlib --scratch-path .build-release --product contact-worker >&2
    BIN=$(swift build -c release --static-swift-stdlib --scratch-path .build-release --show-bin-path)/contact-worker
fi

WORK=$(mktemp -d)
MOCK_CLUSTER_PID=""
cleanup() {
    [ -z "$MOCK_CLUSTER_PID" ] || kill "$MOCK_CLUSTER_PID" 2>/dev/null || true
    [ -z "$MOCK_CLUSTER_PID" ] || wait "$MOCK_CLUSTER_PID" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

# shellcheck source=scripts/lib/mock-cluster.sh
. scripts/lib/mock-cluster.sh
start_mock_cluster "$WORK/cluster.log" --brokers 1 --topic "$TOPIC:$PARTITIONS"
echo "mock cluster at $BROKERS, topic $TOPIC with $PARTITIONS partitions" >&2

"$BIN" bench produce --brokers "$BROKERS" --topic "$TOPIC" --count "$COUNT" --size "$SIZE" --partitions "$PARTITIONS" >&2

read_by_kcat=$(kcat -C -b "$BROKERS" -t "$TOPIC" -o beginning -e -q | wc -l)
[ "$read_by_kcat" -eq "$COUNT" ] || { echo "kcat read $read_by_kcat messages, expected $COUNT" >&2; exit 1; }
echo "ours (timed inside the process): $("$BIN" bench consume --brokers "$BROKERS" --topic "$TOPIC" --count "$COUNT" ${KCAT_X:-})" >&2

EXTRA=${KCAT_X:-}
KCAT="kcat -C -b $BROKERS -t $TOPIC -o beginning -e -q $EXTRA"
OURS="$BIN bench consume --brokers $BROKERS --topic $TOPIC --count $COUNT $EXTRA"

# The two commands run alternately, the first of each pair swapped every round, so a drift in the
# machine's speed (or the broker's) reaches both; the medians and the pairs decide, not one mean.
python3 - "$COUNT" "$RUNS" "$KCAT" "$OURS" <<'PY'
import statistics, subprocess, sys, time
count, runs, commands = int(sys.argv[1]), int(sys.argv[2]), {"kcat": sys.argv[3], "contact-worker": sys.argv[4]}

def timed(command):
    start = time.perf_counter()
    subprocess.run(command, shell=True, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start

for name in commands:  # warm-up: page cache, broker connections
    timed(commands[name])
times = {name: [] for name in commands}
for run in range(runs):
    order = list(commands) if run % 2 == 0 else list(reversed(commands))
    for name in order:
        times[name].append(timed(commands[name]))
for name, values in times.items():
    median = statistics.median(values)
    spread = statistics.stdev(values) if runs > 1 else 0.0
    print(f"{name + ':':15} {count / median:12,.0f} msg/s  (median {median:.3f} s per {count:,} messages; "
          f"mean {statistics.mean(values):.3f} ± {spread:.3f} s over {runs} runs)")
faster = sum(ours < theirs for ours, theirs in zip(times["contact-worker"], times["kcat"]))
ratio = statistics.median(times["kcat"]) / statistics.median(times["contact-worker"])
print(f"pairs:          contact-worker faster in {faster} of {runs}")
print(f"ratio:          {ratio * 100:.1f}% of kcat's rate, by the medians (target >= 100%, docs/benchmarks.md)")
PY
