#!/usr/bin/env bash
# Installs what building and testing contact-worker needs on Debian, only when it is missing.
# Safe to run repeatedly; needs root (or sudo) only when something must be installed.
set -euo pipefail

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

missing=()
pkg-config --exists rdkafka 2>/dev/null || missing+=(librdkafka-dev)
[ -x /usr/lib/postgresql/15/bin/initdb ] || missing+=(postgresql-15)
command -v kcat >/dev/null 2>&1 || missing+=(kcat)
command -v python3 >/dev/null 2>&1 || missing+=(python3 python3-pip)
pkg-config --exists sqlite3 2>/dev/null || missing+=(libsqlite3-dev)

if [ ${#missing[@]} -gt 0 ]; then
  echo "==> installing ${missing[*]} with apt-get"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The AsyncAPI contract check validates real messages with jsonschema (PyPI).
if ! python3 -c 'import jsonschema, yaml' >/dev/null 2>&1; then
  echo "==> installing jsonschema and PyYAML with pip"
  python3 -m pip install -q jsonschema pyyaml 2>/dev/null \
    || python3 -m pip install -q --break-system-packages jsonschema pyyaml
fi

if ! command -v swift >/dev/null 2>&1; then
  echo "error: no Swift toolchain on PATH (Swift 6.2 or newer is needed)" >&2
  exit 1
fi
