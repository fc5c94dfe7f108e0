#!/usr/bin/env bash
# Installs what building and testing contact-worker needs on Debian, only when it is missing.
# Safe to run repeatedly; needs root (or sudo) only when something must be installed.
#
# Usage: scripts/install-deps.sh [--tests]
#   --tests  also the deployment checks' tools (scripts/test.sh passes it): promtool,
#            systemd-analyze, and a venv from PyPI; running the worker needs none of them.
set -euo pipefail

tests=false
if [ "${1:-}" = "--tests" ]; then tests=true; fi

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

missing=()
# pkg-config first: without it every check below fails and apt would run on every call.
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
pkg-config --exists rdkafka 2>/dev/null || missing+=(librdkafka-dev)
[ -x /usr/lib/postgresql/15/bin/initdb ] || missing+=(postgresql-15)
command -v kcat >/dev/null 2>&1 || missing+=(kcat)
# The AsyncAPI contract check validates real messages with jsonschema and PyYAML: any python3 on
# PATH that has them, else Debian's packages for /usr/bin/python3 (a bookworm image may have no
# pip, and Debian's pip refuses system-wide installs anyway). scripts/check-asyncapi.sh picks the
# interpreter the same way.
if ! python3 -c 'import jsonschema, yaml' >/dev/null 2>&1 \
    && ! /usr/bin/python3 -c 'import jsonschema, yaml' >/dev/null 2>&1; then
  missing+=(python3 python3-jsonschema python3-yaml)
fi
pkg-config --exists sqlite3 2>/dev/null || missing+=(libsqlite3-dev)
# The deployment checks (scripts/check-deploy.sh): promtool for the alert rules, systemd-analyze
# for the unit file, and a Python venv (below) for kubernetes-validate and confluent-kafka.
venv_python=python3
if $tests; then
  command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
  command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
  if ! python3 -m venv --help >/dev/null 2>&1; then
    venv_python=/usr/bin/python3
    /usr/bin/python3 -m venv --help >/dev/null 2>&1 || missing+=(python3-venv)
  fi
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "==> installing ${missing[*]} with apt-get"
  "${sudo_cmd[@]}" apt-get update -qq
  # Without recommends: the prometheus package would otherwise bring the node exporter and its
  # collectors, and only promtool is needed.
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

# Python tools from PyPI, in a venv of their own under .build (Debian's pip refuses system-wide
# installs): kubernetes-validate checks deploy/kubernetes, and confluent-kafka is the independent
# client examples/analytics-subscriber is written with.
venv=.build/checks-venv
if $tests && ! "$venv/bin/python" -c 'import confluent_kafka, kubernetes_validate' >/dev/null 2>&1; then
  echo "==> installing kubernetes-validate and confluent-kafka into $venv"
  rm -rf "$venv"
  "$venv_python" -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check \
    'kubernetes-validate>=1.37,<2' -r examples/analytics-subscriber/requirements.txt
fi

if ! command -v swift >/dev/null 2>&1; then
  echo "error: no Swift toolchain on PATH (Swift 6.2 or newer is needed)" >&2
  exit 1
fi
