#!/usr/bin/env bash
# Checks the deployment manifests (deploy/kubernetes) and the systemd unit (deploy/systemd).
#
# 1. Every Kubernetes manifest against the Kubernetes API schemas with kubernetes-validate, in
#    strict mode (unknown fields are errors), for each version in KUBERNETES_VERSIONS. A resource
#    whose kind or apiVersion has no schema only warns in kubernetes-validate; here it fails.
# 2. The manifests against each other and config/production.example.yaml
#    (scripts/check_manifests.py): the kustomization lists every file, the ConfigMap embeds the
#    production example unchanged, and what the StatefulSet refers to exists.
# 3. The systemd unit with `systemd-analyze verify`, SKIPPED (with the reason) where systemd-analyze
#    is missing or cannot verify even a trivial unit in this environment. verify requires the
#    ExecStart binary to exist, so it checks a copy of the unit whose ExecStart points at a stand-in
#    executable; any message it prints (an unknown key, a bad value) fails the check, because
#    verify itself exits 0 on those.
#
# The Kubernetes tools come from the venv scripts/install-deps.sh --tests creates (.build/checks-venv).
# The environment the manifests give the worker is checked by the Swift suite
# DeploymentManifestTests. Exits non-zero when any check fails.
#
# Usage: scripts/check-manifests.sh
#   KUBERNETES_VERSIONS   versions to validate against (default "1.30.0 1.37.0")
set -euo pipefail
cd "$(dirname "$0")/.."

versions="${KUBERNETES_VERSIONS:-1.30.0 1.37.0}"
venv=.build/checks-venv
failed=0
skipped=""

if [ ! -x "$venv/bin/kubernetes-validate" ]; then
  echo "check-manifests: $venv/bin/kubernetes-validate is missing; run scripts/install-deps.sh --tests" >&2
  exit 1
fi

manifests=()
for file in deploy/kubernetes/*.yaml; do
  [ "$(basename "$file")" = kustomization.yaml ] || manifests+=("$file")
done

for version in $versions; do
  echo "==> kubernetes-validate --strict -k $version (${#manifests[@]} manifests)"
  if output="$("$venv/bin/kubernetes-validate" --strict -k "$version" "${manifests[@]}" 2>&1)"; then status=0; else status=$?; fi
  echo "$output"
  if [ "$status" -ne 0 ] || grep -q '^WARN' <<<"$output"; then
    echo "check-manifests: FAILED: kubernetes-validate against $version" >&2
    failed=1
  fi
done

echo "==> cross-references and the ConfigMap's copy of config/production.example.yaml"
if ! "$venv/bin/python" scripts/check_manifests.py deploy/kubernetes config/production.example.yaml; then
  echo "check-manifests: FAILED: manifests refer to something missing or disagree" >&2
  failed=1
fi

echo "==> systemd-analyze verify deploy/systemd/contact-worker.service"
if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "SKIPPED: systemd-analyze is not installed (Debian's systemd package has it)"
  skipped="systemd-analyze verify"
else
  scratch="$(mktemp -d)"
  trap 'rm -rf "$scratch"' EXIT
  printf '#!/bin/sh\nexit 0\n' >"$scratch/contact-worker"
  chmod +x "$scratch/contact-worker"
  # The probe: a trivial unit that any working systemd-analyze verifies without a word.
  printf '[Service]\nType=exec\nExecStart=%s\n' "$scratch/contact-worker" >"$scratch/probe.service"
  if ! probe="$(systemd-analyze verify "$scratch/probe.service" 2>&1)" || [ -n "$probe" ]; then
    echo "SKIPPED: systemd-analyze cannot verify units here: $probe"
    skipped="systemd-analyze verify"
  else
    sed "s#/usr/local/bin/contact-worker#$scratch/contact-worker#g" deploy/systemd/contact-worker.service \
      >"$scratch/contact-worker.service"
    if ! output="$(systemd-analyze verify "$scratch/contact-worker.service" 2>&1)" || [ -n "$output" ]; then
      echo "${output//$scratch\//}"
      echo "check-manifests: FAILED: systemd-analyze verify" >&2
      failed=1
    else
      echo "contact-worker.service: verified"
    fi
  fi
fi

if [ "$failed" -ne 0 ]; then
  echo "check-manifests: FAILED" >&2
  exit 1
fi
echo "check-manifests: passed${skipped:+ (SKIPPED: $skipped)}"
