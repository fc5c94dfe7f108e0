#!/usr/bin/env bash
# The test command (README, CI): installs missing packages, starts a throwaway PostgreSQL 15,
# runs the whole Swift test suite against it, then checks config/asyncapi.yaml against real
# messages and the deployment artifacts in deploy/ with their own tools. Exits non-zero on any
# failure.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh --tests
echo "==> swift build (tests included)"
swift build --build-tests
echo "==> swift test (SQLite, PostgreSQL, mock Kafka cluster)"
# A crash prints each thread's backtrace with symbol names but no source lines: full symbolication
# of the test binary's debug information can take longer than the suite, holding the build lock.
export SWIFT_BACKTRACE=${SWIFT_BACKTRACE:-interactive=no,symbolicate=fast}
# A hang (a test awaiting something that never ends) fails here after 45 minutes instead of
# holding the machine until CI's own limit; the suite takes about 7 minutes on 2 cores.
timeout -k 60 2700 scripts/with-postgres.sh swift test --skip-build
echo "==> AsyncAPI contract check"
bash scripts/check-asyncapi.sh
echo "==> deployment artifacts (promtool, kubernetes-validate, systemd-analyze)"
bash scripts/check-deploy.sh
