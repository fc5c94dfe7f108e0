#!/usr/bin/env bash
# The first look: installs missing packages, builds, and runs `contact-worker dev`
# (embedded mock Kafka cluster + SQLite + sample traffic). Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
swift build --product contact-worker
exec .build/debug/contact-worker dev "$@"
