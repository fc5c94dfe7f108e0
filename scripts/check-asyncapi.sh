#!/usr/bin/env bash
# Checks config/asyncapi.yaml against the messages the domain module really produces.
#
# Runs the ContactDomain test AsyncAPISampleTests with CONTACT_DOMAIN_SAMPLES_DIR set, which writes
# one sample of every message kind (commands, every result status, the three events, a dead
# letter) as exact value bytes plus headers, then validates each against the JSON Schemas of its
# message in the AsyncAPI document (scripts/validate_asyncapi_samples.py, python3 + jsonschema +
# PyYAML). Fails when a schema and an encoder disagree, when a message kind has no sample, or when
# the schemas stop rejecting deliberately broken messages.
#
# Usage: scripts/check-asyncapi.sh [SAMPLES_DIR]
#   SAMPLES_DIR        validate samples already written there instead of running the test
#   SWIFT_TEST_FLAGS   extra flags for `swift test` (e.g. "--scratch-path .build-domain")
set -euo pipefail
cd "$(dirname "$0")/.."

# The first python3 with jsonschema and PyYAML (scripts/install-deps.sh installs Debian's).
python=""
for candidate in python3 /usr/bin/python3; do
  if "$candidate" -c 'import jsonschema, yaml' >/dev/null 2>&1; then python=$candidate; break; fi
done
if [ -z "$python" ]; then
  echo "check-asyncapi: no python3 with jsonschema and PyYAML; run scripts/install-deps.sh" >&2
  exit 1
fi

samples="${1:-}"
if [ -z "$samples" ]; then
  samples="$(mktemp -d)"
  log="$(mktemp)"
  trap 'rm -rf "$samples" "$log"' EXIT
  echo "==> writing message samples (swift test --filter AsyncAPISampleTests)"
  # shellcheck disable=SC2086 # SWIFT_TEST_FLAGS is a list of flags
  if ! CONTACT_DOMAIN_SAMPLES_DIR="$samples" swift test ${SWIFT_TEST_FLAGS:-} \
      --filter 'ContactDomainTests.AsyncAPISampleTests' >"$log" 2>&1; then
    cat "$log" >&2
    echo "check-asyncapi: writing the samples failed" >&2
    exit 1
  fi
fi

echo "==> validating samples against config/asyncapi.yaml"
"$python" scripts/validate_asyncapi_samples.py config/asyncapi.yaml "$samples"
