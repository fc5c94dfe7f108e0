#!/usr/bin/env bash
# Consume throughput: `contact-worker bench consume` against `kcat -C -e`, back to back, on the
# same mock cluster (hosted by `contact-worker mock-cluster` in another process) and topic.
#
#   scripts/bench-consume.sh            # 300,000 x 450-byte messages on 32 partitions
#   COUNT=100000 RUNS=3 scripts/bench-consume.sh
#   KCAT_X="-X fetch.wait.max.ms=10" scripts/bench-consume.sh   # same -X for both sides
#
# Both commands are timed as whole processes (start-up, metadata, connection and exit included)
# with hyperfine when installed, otherwise with repeated timed runs; the rate is COUNT / mean time.
set -euo pipefail
cd "$(dirname "$0")/.."

COUNT=${COUNT:-300000}
PARTITIONS=${PARTITIONS:-32}
SIZE=${SIZE:-450}
RUNS=${RUNS:-10}
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

if command -v hyperfine >/dev/null; then
    hyperfine --warmup 2 --runs "$RUNS" --export-json "$WORK/times.json" \
        -n kcat "$KCAT > /dev/null" -n contact-worker "$OURS > /dev/null" >&2
    read -r KCAT_S OURS_S < <(python3 -c '
import json, sys
results = {r["command"]: r["mean"] for r in json.load(open(sys.argv[1]))["results"]}
print(results["kcat"], results["contact-worker"])' "$WORK/times.json")
else
    mean() {
        local total=0 start end
        for _ in $(seq "$RUNS"); do
            start=$(date +%s.%N); bash -c "$1 > /dev/null"; end=$(date +%s.%N)
            total=$(echo "$total + $end - $start" | bc -l)
        done
        echo "$total / $RUNS" | bc -l
    }
    KCAT_S=$(mean "$KCAT")
    OURS_S=$(mean "$OURS")
fi

python3 - "$COUNT" "$KCAT_S" "$OURS_S" <<'PY'
import sys
count, kcat, ours = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
print(f"kcat:           {count / kcat:12,.0f} msg/s  ({kcat:.3f} s per {count:,} messages)")
print(f"contact-worker: {count / ours:12,.0f} msg/s  ({ours:.3f} s per {count:,} messages)")
print(f"ratio:          {kcat / ours * 100:.1f}% of kcat's rate (target >= 100%, docs/benchmarks.md)")
PY
