#!/usr/bin/env bash
# The deployment artifacts' checks, each by the tool that reads them in production:
#   scripts/check-alerts.sh     deploy/prometheus (promtool check/test rules) and deploy/grafana;
#   scripts/check-manifests.sh  deploy/kubernetes (kubernetes-validate) and deploy/systemd
#                               (systemd-analyze verify).
# Each script prints SKIPPED with its reason for a step whose tool is missing; scripts/install-deps.sh --tests
# installs them all on Debian. Exits non-zero when any check fails.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/check-alerts.sh
bash scripts/check-manifests.sh
