#!/usr/bin/env bash
# Checks the monitoring artifacts in deploy/:
#   1. deploy/prometheus/alerts.yaml with `promtool check rules` (syntax, PromQL, templates);
#   2. its unit tests, deploy/prometheus/alerts.test.yaml, with `promtool test rules`: every alert
#      fires on one series and stays silent on another;
#   3. deploy/grafana/contact-worker.json: valid JSON, a dashboard whose every panel has the
#      `${datasource}` data source and targets with an expression (python3, standard library);
#   4. every dashboard expression parses as PromQL (`promtool check rules` on them as recording rules).
# Steps 1, 2 and 4 are SKIPPED, saying so, only when promtool is not installed (Debian's
# `prometheus` package ships it; scripts/install-deps.sh --tests installs it). Whether the metric names
# used exist in a running worker is the Swift process test MonitoringArtifactsTests.
#
# Usage: scripts/check-alerts.sh   (from anywhere; exits non-zero on the first failed step)
set -euo pipefail
cd "$(dirname "$0")/.."

rules=deploy/prometheus/alerts.yaml
rule_tests=deploy/prometheus/alerts.test.yaml
dashboard=deploy/grafana/contact-worker.json

python=""
for candidate in python3 .build/checks-venv/bin/python /usr/bin/python3; do
  if command -v "$candidate" >/dev/null 2>&1; then python=$candidate; break; fi
done
if [ -z "$python" ]; then
  echo "check-alerts: no python3 found; run scripts/install-deps.sh" >&2
  exit 1
fi

promtool=""
if command -v promtool >/dev/null 2>&1; then promtool=promtool; fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if [ -n "$promtool" ]; then
  echo "==> promtool check rules $rules"
  "$promtool" check rules "$rules"
  echo "==> promtool test rules $rule_tests"
  "$promtool" test rules "$rule_tests"
else
  echo "==> SKIPPED promtool check rules / test rules: promtool is not installed (apt-get install --no-install-recommends prometheus)"
fi

echo "==> structure of $dashboard"
"$python" scripts/check_grafana_dashboard.py "$dashboard" --rules-out "$work/dashboard-rules.yaml"

if [ -n "$promtool" ]; then
  echo "==> the dashboard's expressions parse as PromQL (promtool check rules)"
  "$promtool" check rules "$work/dashboard-rules.yaml"
else
  echo "==> SKIPPED parsing the dashboard's expressions: promtool is not installed"
fi
echo "check-alerts: OK"
