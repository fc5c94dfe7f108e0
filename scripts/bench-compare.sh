#!/usr/bin/env bash
# Two builds of the worker, interleaved: `scripts/bench-worker.sh` runs with BEFORE's binary and
# AFTER's in turn, ROUNDS times per backend, the order swapped every round so that a machine that
# gets busier or quieter during the sitting favours neither. Prints each pair and the medians.
#
#   scripts/bench-compare.sh /tmp/before/contact-worker .build-release/release/contact-worker
#   ROUNDS=6 BACKENDS=postgres COUNT=30000 scripts/bench-compare.sh BEFORE AFTER
#
# Everything bench-worker.sh reads from the environment (BACKENDS, COUNT, CONTACTS, RATE,
# LATENCY_SECONDS, …) applies to both builds. Single runs on a shared two-core machine vary by
# 15–30 %; a difference is worth reporting only when most pairs agree on its sign.
set -euo pipefail

[ $# -eq 2 ] || { echo "usage: $0 BEFORE_BINARY AFTER_BINARY" >&2; exit 2; }
for bin in "$1" "$2"; do
    [ -f "$bin" ] && [ -x "$bin" ] || { echo "not an executable file: $bin" >&2; exit 2; }
done
# Resolved before the cd below, so that paths relative to the caller's directory work.
BEFORE=$(realpath "$1")
AFTER=$(realpath "$2")
cd "$(dirname "$0")/.."
# Even, so that each build goes first equally often.
ROUNDS=${ROUNDS:-4}
BACKENDS=${BACKENDS:-"postgres sqlite"}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

for backend in $BACKENDS; do
    for round in $(seq "$ROUNDS"); do
        if [ $((round % 2)) -eq 1 ]; then order="before after"; else order="after before"; fi
        for build in $order; do
            if [ "$build" = before ]; then bin=$BEFORE; else bin=$AFTER; fi
            echo "== $backend, round $round of $ROUNDS: $build ($bin)" >&2
            BIN=$bin BACKENDS=$backend scripts/bench-worker.sh 2>&1 | tee "$WORK/run.log" >&2
            summary=$(grep -E '^(PostgreSQL|SQLite): ' "$WORK/run.log" | tail -1 || true)
            [ -n "$summary" ] || { echo "no summary line from bench-worker.sh" >&2; exit 1; }
            echo "$backend $round $build $summary" | tee -a "$WORK/summaries"
        done
    done
done

python3 - "$WORK/summaries" <<'PY'
import math, re, statistics, sys

runs = {}
for line in open(sys.argv[1], encoding="utf-8"):
    backend, round_, build, summary = line.split(" ", 3)
    rate = int(re.search(r": ([0-9]+) commands/s", summary).group(1))
    cpu = float(re.search(r"worker ([0-9.]+) µs CPU/command", summary).group(1))
    rss = int(re.search(r"peak RSS ([0-9]+) MiB", summary).group(1))
    p99 = re.search(r"p99 ([0-9.]+) ms", summary)
    runs[(backend, int(round_), build)] = (cpu, rss, float(p99.group(1)) if p99 else float("nan"), rate)

for backend in dict.fromkeys(key[0] for key in runs):
    rounds = sorted({key[1] for key in runs if key[0] == backend})
    print(f"{backend}: worker CPU per command, peak RSS, p99 at the fixed rate, commands/s; before / after")
    lower = 0
    for r in rounds:
        b, a = runs[(backend, r, "before")], runs[(backend, r, "after")]
        lower += a[0] < b[0]
        print(
            f"  round {r}: {b[0]:.1f} / {a[0]:.1f} µs   {b[1]} / {a[1]} MiB   {b[2]:.1f} / {a[2]:.1f} ms"
            f"   {b[3]:,} / {a[3]:,} commands/s")
    measures = ((0, "CPU per command", "µs"), (1, "peak RSS", "MiB"), (2, "p99", "ms"), (3, "rate", "commands/s"))
    for index, name, unit in measures:
        values = {
            build: [runs[(backend, r, build)][index] for r in rounds if not math.isnan(runs[(backend, r, build)][index])]
            for build in ("before", "after")
        }
        if not values["before"] or not values["after"]:
            continue
        before, after = statistics.median(values["before"]), statistics.median(values["after"])
        change = f" ({(after - before) / before * 100:+.1f} %)" if before else ""
        spelled = ",.0f" if unit == "commands/s" else ".1f"
        print(f"  median {name}: {before:{spelled}} / {after:{spelled}} {unit}{change}")
    print(f"  after lower in CPU in {lower} of {len(rounds)} pairs")
PY
