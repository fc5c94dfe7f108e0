#!/usr/bin/env bash
# The test command (README, CI): installs missing packages, starts a throwaway PostgreSQL 15,
# runs the whole Swift test suite against it, then checks config/asyncapi.yaml against real
# messages. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
echo "==> swift build (tests included)"
swift build --build-tests
echo "==> swift test (SQLite, PostgreSQL, mock Kafka cluster)"
scripts/with-postgres.sh swift test --skip-build
if [ -x scripts/check-asyncapi.sh ]; then
  echo "==> AsyncAPI contract check"
  scripts/check-asyncapi.sh
fi
