#!/usr/bin/env bash
# The benchmarks of docs/benchmarks.md, on a release build:
#   - `contact-worker bench store`: ContactStore alone, batches of 1,000 AddInteraction outcomes;
#   - `contact-worker bench e2e`: the whole worker on an embedded mock cluster, throughput of
#     pre-loaded AddInteraction commands, then produce-to-result latency at 2,000 commands/s;
# each on SQLite (a temporary file) and on PostgreSQL 15 (a throwaway server per run, started by
# scripts/with-postgres.sh). The consume benchmark against kcat is scripts/bench-consume.sh.
#
#   scripts/bench.sh                    # everything
#   BENCH="e2e" BACKENDS="sqlite" scripts/bench.sh
#   E2E_ARGS="--count 50000 --rate 4000" scripts/bench.sh
#
# BIN=/path/to/contact-worker skips the build.
set -euo pipefail
cd "$(dirname "$0")/.."

BENCH=${BENCH:-"store e2e"}
BACKENDS=${BACKENDS:-"sqlite postgres"}
STORE_ARGS=${STORE_ARGS:-}
E2E_ARGS=${E2E_ARGS:-}

if [ -z "${BIN:-}" ]; then
    swift build -c release --static-swift-stdlib --scratch-path .build-release --product contact-worker >&2
    BIN=$(swift build -c release --static-swift-stdlib --scratch-path .build-release --show-bin-path)/contact-worker
fi
export BIN

for bench in $BENCH; do
    case $bench in
        store) args=$STORE_ARGS ;;
        e2e) args=$E2E_ARGS ;;
        *) echo "unknown benchmark: $bench (store, e2e)" >&2; exit 2 ;;
    esac
    for backend in $BACKENDS; do
        case $backend in
            sqlite)
                # shellcheck disable=SC2086
                "$BIN" bench "$bench" $args ;;
            postgres)
                # shellcheck disable=SC2016,SC2086
                scripts/with-postgres.sh bash -c '"$BIN" bench "$0" --database-url "$CONTACT_WORKER_TEST_POSTGRES_URL" "$@"' \
                    "$bench" $args ;;
            *) echo "unknown backend: $backend (sqlite, postgres)" >&2; exit 2 ;;
        esac
    done
done
