#!/usr/bin/env python3
"""Validate message samples against the JSON Schemas of an AsyncAPI 2.x document.

Usage: validate_asyncapi_samples.py ASYNCAPI_YAML SAMPLES_DIR

SAMPLES_DIR holds pairs written by the ContactDomain tests:
  NNN-<Message>.value          exact message value bytes
  NNN-<Message>.headers.json   the Kafka headers as a JSON object of strings
where <Message> is a key of components.messages. The value is validated against the message's
payload schema (unless its contentType is application/octet-stream) and the headers against its
headers schema. Also checks that every message of the document has at least one sample and that
the validator rejects a few deliberately broken messages, so a silently passing check is noticed.
Exits 1 on any failure.
"""
import copy
import json
import pathlib
import sys

import jsonschema
import yaml


def validator_for(document, pointer):
    """A Draft 7 validator for the schema at `pointer`, with `#/components/...` refs resolvable."""
    root = {"$ref": pointer, "components": document.get("components", {})}
    return jsonschema.Draft7Validator(root)


def errors_of(validator, instance):
    return sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    document = yaml.safe_load(pathlib.Path(sys.argv[1]).read_text())
    samples_dir = pathlib.Path(sys.argv[2])
    messages = document.get("components", {}).get("messages", {})
    for name, schema in document.get("components", {}).get("schemas", {}).items():
        jsonschema.Draft7Validator.check_schema(schema)

    failures = []
    seen = set()
    values = sorted(samples_dir.glob("*.value"))
    if not values:
        print(f"no samples in {samples_dir}", file=sys.stderr)
        return 1
    for value_path in values:
        message_name = value_path.stem.split("-", 1)[1]
        if message_name not in messages:
            failures.append(f"{value_path.name}: no message {message_name!r} in components.messages")
            continue
        seen.add(message_name)
        message = messages[message_name]
        headers = json.loads(value_path.with_suffix(".headers.json").read_text())
        if "headers" in message:
            pointer = f"#/components/messages/{message_name}/headers"
            for error in errors_of(validator_for(document, pointer), headers):
                failures.append(f"{value_path.name} headers: {error.message} at {list(error.absolute_path)}")
        if message.get("contentType") == "application/octet-stream":
            continue
        try:
            payload = json.loads(value_path.read_bytes())
        except ValueError as error:
            failures.append(f"{value_path.name}: value is not JSON: {error}")
            continue
        pointer = f"#/components/messages/{message_name}/payload"
        for error in errors_of(validator_for(document, pointer), payload):
            failures.append(f"{value_path.name}: {error.message} at {list(error.absolute_path)}")

    missing = sorted(set(messages) - seen)
    if missing:
        failures.append(f"messages without a sample: {', '.join(missing)}")

    # Self-test: broken variants of real samples must be rejected, or the check proves nothing.
    result_path = next((p for p in values if p.stem.endswith("-CommandResult")), None)
    if result_path is not None:
        result = json.loads(result_path.read_bytes())
        checker = validator_for(document, "#/components/messages/CommandResult/payload")
        for mutate, label in [
            (lambda r: r.pop("status"), "result without status"),
            (lambda r: r.__setitem__("unexpected", 1), "result with an unknown field"),
            (lambda r: r.__setitem__("processed_at", "yesterday"), "result with a bad processed_at"),
        ]:
            broken = copy.deepcopy(result)
            mutate(broken)
            if checker.is_valid(broken):
                failures.append(f"self-test: schema accepts a {label}")

    for failure in failures:
        print(f"FAIL {failure}", file=sys.stderr)
    print(f"{len(values)} samples of {len(seen)} message kinds checked, {len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
