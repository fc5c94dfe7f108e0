#!/usr/bin/env python3
"""Cross-checks deploy/kubernetes beyond what the schemas see.

Usage: check_manifests.py KUSTOMIZATION_DIR PRODUCTION_CONFIG

kubernetes-validate checks each resource against its schema; a schema cannot see that two
resources disagree. This checks:
  - kustomization.yaml lists every manifest file of the directory, and only existing ones;
  - the ConfigMap's embedded config file equals PRODUCTION_CONFIG byte for byte;
  - what the StatefulSet refers to exists: its governing Service, ServiceAccount, the ConfigMaps,
    Secrets and keys of its volumes and environment, the named ports of its probes and of the
    Service, the container port behind prometheus.io/port; the selectors of the Service and the
    PodDisruptionBudget match its pods;
  - the --config path is the ConfigMap's file, and JWT_JWKS_FILE lies in a Secret volume mounted
    as a directory (no subPath), so Secret updates reach it.
Prints one line per problem and exits 1 if there is any.
"""
import pathlib
import re
import sys

import yaml

problems = []


def problem(message):
    problems.append(message)
    print(f"check-manifests: {message}", file=sys.stderr)


def main(directory, production_config):
    directory = pathlib.Path(directory)
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    listed = kustomization.get("resources") or []
    present = sorted(p.name for p in directory.glob("*.y*ml") if p.name != "kustomization.yaml")
    for name in present:
        if name not in listed:
            problem(f"{name} is not listed in kustomization.yaml's resources")
    resources = []
    for name in listed:
        path = directory / name
        if not path.exists():
            problem(f"kustomization.yaml lists {name}, which does not exist")
            continue
        resources += [d for d in yaml.safe_load_all(path.read_text()) if d]

    def named(kind, name):
        found = [r for r in resources if r.get("kind") == kind and r["metadata"].get("name") == name]
        if len(found) != 1:
            problem(f"{kind} {name!r}: {len(found)} found, expected one")
            return None
        return found[0]

    def entries(resource):
        return set((resource.get("data") or {}).keys()) | set((resource.get("stringData") or {}).keys())

    sets = [r for r in resources if r.get("kind") == "StatefulSet"]
    if len(sets) != 1:
        problem(f"{len(sets)} StatefulSets, expected one")
        return
    statefulset = sets[0]
    template = statefulset["spec"]["template"]
    labels = template["metadata"].get("labels") or {}
    pod = template["spec"]
    container = pod["containers"][0]

    def matches(selector):
        return all(labels.get(k) == v for k, v in (selector or {}).items())

    if not matches(statefulset["spec"]["selector"].get("matchLabels")):
        problem("the StatefulSet's selector does not match its pod labels")
    service = named("Service", statefulset["spec"].get("serviceName"))
    if service is not None and not matches(service["spec"].get("selector")):
        problem(f"Service {service['metadata']['name']}'s selector does not match the pods")
    for budget in (r for r in resources if r.get("kind") == "PodDisruptionBudget"):
        if not matches(budget["spec"]["selector"].get("matchLabels")):
            problem(f"PodDisruptionBudget {budget['metadata']['name']}'s selector does not match the pods")
    if pod.get("serviceAccountName"):
        named("ServiceAccount", pod["serviceAccountName"])

    port_names = {p["name"] for p in container.get("ports") or [] if "name" in p}
    for probe in ("livenessProbe", "readinessProbe"):
        port = ((container.get(probe) or {}).get("httpGet") or {}).get("port")
        if port is None:
            problem(f"the container has no {probe} over HTTP")
        elif isinstance(port, str) and port not in port_names:
            problem(f"{probe} uses port {port!r}, which the container does not name")
    if service is not None:
        numbers = {p["name"]: p["containerPort"] for p in container.get("ports") or [] if "name" in p}
        scraped = (service["metadata"].get("annotations") or {}).get("prometheus.io/port")
        for port in service["spec"].get("ports") or []:
            target = port.get("targetPort", port.get("port"))
            if isinstance(target, str) and target not in port_names:
                problem(f"Service port {port.get('name')!r} targets {target!r}, which the container does not name")
            if port.get("name") == "metrics" and scraped is not None and str(numbers.get(target, target)) != scraped:
                problem(f"prometheus.io/port {scraped} is not the container port the metrics port targets")

    volumes = {v["name"]: v for v in pod.get("volumes") or []}
    files = {}  # path in the container -> (kind, resource name, key)
    for mount in container.get("volumeMounts") or []:
        volume = volumes.get(mount["name"])
        if volume is None:
            problem(f"volumeMount {mount['name']!r} has no volume")
            continue
        for kind, field, name_key in (("ConfigMap", "configMap", "name"), ("Secret", "secret", "secretName")):
            if field not in volume:
                continue
            resource = named(kind, volume[field].get(name_key))
            if resource is None:
                continue
            items = volume[field].get("items") or [{"key": k, "path": k} for k in entries(resource)]
            for item in items:
                if item["key"] not in entries(resource):
                    problem(f"volume {mount['name']!r} projects key {item['key']!r}, which {kind} lacks")
                if "subPath" not in mount:
                    files[f"{mount['mountPath'].rstrip('/')}/{item['path']}"] = (kind, resource, item["key"])
    for variable in container.get("env") or []:
        reference = (variable.get("valueFrom") or {})
        for kind, field in (("Secret", "secretKeyRef"), ("ConfigMap", "configMapKeyRef")):
            if field in reference:
                resource = named(kind, reference[field]["name"])
                if resource is not None and reference[field]["key"] not in entries(resource):
                    problem(f"{variable['name']}: {kind} {reference[field]['name']!r} has no key {reference[field]['key']!r}")

    arguments = (container.get("command") or []) + (container.get("args") or [])
    if "--config" not in arguments or arguments.index("--config") + 1 >= len(arguments):
        problem("the container is not started with --config")
    else:
        found = files.get(arguments[arguments.index("--config") + 1])
        if found is None or found[0] != "ConfigMap":
            problem("the --config file is not a file of a mounted ConfigMap")
        else:
            embedded = (found[1].get("data") or {}).get(found[2])
            expected = pathlib.Path(production_config).read_text()
            if embedded != expected:
                problem(
                    f"ConfigMap {found[1]['metadata']['name']!r} key {found[2]!r} differs from {production_config}: "
                    "copy the file into it (indented four spaces under `|`)"
                )
    # The restart alert reads kube-state-metrics by container name: it must be this container's.
    alerts = pathlib.Path("deploy/prometheus/alerts.yaml")
    if alerts.exists():
        for name in set(re.findall(r'container="([^"]*)"', alerts.read_text())):
            if name != container["name"]:
                problem(f"{alerts} selects container {name!r}, but the StatefulSet's container is {container['name']!r}")
    jwks = next((v.get("value") for v in container.get("env") or [] if v["name"] == "JWT_JWKS_FILE"), None)
    if jwks is not None and (files.get(jwks) or ("",))[0] != "Secret":
        problem(f"JWT_JWKS_FILE={jwks} is not a file of a Secret volume mounted as a directory (without subPath)")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
    sys.exit(1 if problems else 0)
