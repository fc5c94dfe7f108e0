"""Structural check of a Grafana dashboard JSON (scripts/check-alerts.sh runs it).

Fails (exit 1, one line per problem) unless the file is valid JSON, a dashboard with a title, a
uid and a schemaVersion, has a `datasource` template variable for Prometheus, and every panel
that is not a row or text has a datasource and at least one target, each target with a
non-empty `expr` and a datasource, all of them the `${datasource}` variable. Panel ids must be
unique. With `--rules-out FILE` it also writes every expression as a recording rule (Grafana's
interval and template variables replaced by values PromQL accepts), so that `promtool check
rules FILE` parses each one.

Usage: python3 scripts/check_grafana_dashboard.py DASHBOARD.json [--rules-out RULES.yaml]
"""

import json
import re
import sys

DATASOURCE_VARIABLE = "${datasource}"

# Grafana's built-in interval variables, and template variables, as PromQL can parse them.
SUBSTITUTIONS = [
    (re.compile(r"\$__rate_interval|\$__interval|\$__range"), "5m"),
    (re.compile(r"\$\{?[A-Za-z_][A-Za-z0-9_]*(:[a-z]+)?\}?"), "x"),
]


def panels_of(panels):
    """Every panel, including those nested in collapsed rows."""
    for panel in panels:
        yield panel
        yield from panels_of(panel.get("panels", []))


def datasource_uid(datasource):
    if isinstance(datasource, dict):
        return datasource.get("uid")
    return datasource


def check(dashboard):
    problems = []
    expressions = []
    if not isinstance(dashboard, dict):
        return ["the file is not a JSON object"], expressions
    for key in ("title", "uid", "schemaVersion", "panels"):
        if key not in dashboard:
            problems.append(f"no `{key}` at the top level")
    variables = dashboard.get("templating", {}).get("list", [])
    if not any(v.get("type") == "datasource" and v.get("query") == "prometheus" and v.get("name") == "datasource"
               for v in variables):
        problems.append("no `datasource` template variable of type datasource for prometheus")
    seen_ids = set()
    for panel in panels_of(dashboard.get("panels", [])):
        title = panel.get("title", "<untitled>")
        where = f"panel {panel.get('id')} ({title!r})"
        if panel.get("id") in seen_ids:
            problems.append(f"{where}: id used twice")
        seen_ids.add(panel.get("id"))
        if "gridPos" not in panel:
            problems.append(f"{where}: no gridPos")
        if panel.get("type") in ("row", "text"):
            continue
        if datasource_uid(panel.get("datasource")) != DATASOURCE_VARIABLE:
            problems.append(f"{where}: datasource is not {DATASOURCE_VARIABLE}")
        targets = panel.get("targets") or []
        if not targets:
            problems.append(f"{where}: no targets")
        for target in targets:
            expr = target.get("expr", "")
            if not isinstance(expr, str) or not expr.strip():
                problems.append(f"{where}: target {target.get('refId')} has no expr")
                continue
            if datasource_uid(target.get("datasource", panel.get("datasource"))) != DATASOURCE_VARIABLE:
                problems.append(f"{where}: target {target.get('refId')} datasource is not {DATASOURCE_VARIABLE}")
            expressions.append((where, target.get("refId"), expr))
    for variable in variables:
        if variable.get("type") != "query":
            continue
        if datasource_uid(variable.get("datasource")) != DATASOURCE_VARIABLE:
            problems.append(f"template variable {variable.get('name')}: datasource is not {DATASOURCE_VARIABLE}")
    return problems, expressions


def rules_file(expressions):
    rules = []
    for index, (_, _, expr) in enumerate(expressions):
        for pattern, replacement in SUBSTITUTIONS:
            expr = pattern.sub(replacement, expr)
        rules.append({"record": f"dashboard_expression_{index}", "expr": expr})
    # JSON is YAML: promtool reads it as a rules file.
    return json.dumps({"groups": [{"name": "dashboard", "rules": rules}]}, indent=2)


def main(argv):
    if len(argv) not in (2, 4) or (len(argv) == 4 and argv[2] != "--rules-out"):
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    path = argv[1]
    try:
        with open(path, encoding="utf-8") as file:
            dashboard = json.load(file)
    except (OSError, ValueError) as error:
        print(f"{path}: {error}", file=sys.stderr)
        return 1
    problems, expressions = check(dashboard)
    for problem in problems:
        print(f"{path}: {problem}", file=sys.stderr)
    if problems:
        return 1
    if len(argv) == 4:
        with open(argv[3], "w", encoding="utf-8") as file:
            file.write(rules_file(expressions))
    print(f"{path}: {len(list(panels_of(dashboard['panels'])))} panels, {len(expressions)} expressions")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
