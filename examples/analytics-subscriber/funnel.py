"""A per-business funnel kept in SQLite, built from contact-worker's events.

The funnel holds, per business, how many contacts are in each relationship status and how many
interactions of each type were recorded on each day (UTC). It knows nothing about Kafka: it is
given decoded CloudEvents and applies them by their `contactversion` (docs/contract.md §7.2):

- the version one more than the contact's last applied version is the next change: apply it;
- a version already applied (equal or lower) is a copy of an applied event: drop it;
- a version further ahead arrived before an earlier one: keep it aside, unapplied, and apply it
  once the versions before it have been applied.

`InteractionRecorded` events are increments of a count, so applying one twice or skipping one
would leave the count wrong for good; applying every contact's events strictly in version order
is what makes the numbers exact whatever order and however often events arrive.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import Enum
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS contacts (
    contact_id  TEXT PRIMARY KEY,
    business_id TEXT NOT NULL,
    status      TEXT NOT NULL,
    version     INTEGER NOT NULL  -- the last contactversion applied
);
CREATE TABLE IF NOT EXISTS interactions (
    business_id TEXT NOT NULL,
    day         TEXT NOT NULL,    -- YYYY-MM-DD of the interaction's timestamp, UTC
    type        TEXT NOT NULL,
    count       INTEGER NOT NULL,
    PRIMARY KEY (business_id, day, type)
);
CREATE TABLE IF NOT EXISTS pending_events (
    contact_id  TEXT NOT NULL,
    version     INTEGER NOT NULL,
    event       TEXT NOT NULL,    -- the event's JSON, applied once the versions before it are
    PRIMARY KEY (contact_id, version)
);
"""


class Outcome(Enum):
    """What became of one event."""

    APPLIED = "applied"
    DUPLICATE = "duplicate"
    HELD = "held"
    UNVERSIONED = "unversioned"


# The `data` members the funnel reads, by event type; all strings (docs/contract.md §6.1).
COUNTED_MEMBERS = {
    "ContactCreated": ("relationship_status",),
    "StatusChanged": ("new_status",),
    "InteractionRecorded": ("type", "timestamp"),
}


class NotAnEvent(ValueError):
    """The message is not a contact event the funnel can read (not JSON, or members missing)."""


@dataclass(frozen=True)
class ContactEvent:
    """The parts of a contact-worker CloudEvent the funnel uses (config/asyncapi.yaml)."""

    type: str
    contact_id: str
    business_id: str
    version: int | None
    data: dict[str, Any]
    raw: str

    @classmethod
    def parse(cls, value: bytes | str) -> ContactEvent:
        """Reads an event message's value; raises NotAnEvent when it is not one."""
        try:
            text = value.decode("utf-8") if isinstance(value, bytes) else value
            event = json.loads(text)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise NotAnEvent(f"not JSON: {error}") from error
        if not isinstance(event, dict):
            raise NotAnEvent("not a JSON object")
        for member in ("type", "subject", "businessid"):
            if not isinstance(event.get(member), str):
                raise NotAnEvent(f"no string {member}")
        if not isinstance(event.get("data"), dict):
            raise NotAnEvent("no data object")
        version = event.get("contactversion")
        # `type(…) is int`: JSON's true and false are not versions, though Python's bool is an int.
        if version is not None and (type(version) is not int or version < 1):
            raise NotAnEvent(f"contactversion {version!r} is not a positive integer")
        for member in COUNTED_MEMBERS.get(event["type"], ()):
            if not isinstance(event["data"].get(member), str):
                raise NotAnEvent(f"{event['type']} without a string data.{member}")
        if event["type"] == "InteractionRecorded":
            try:
                utc_day(event["data"]["timestamp"])
            except ValueError as error:
                raise NotAnEvent(f"data.timestamp is not an RFC 3339 time: {error}") from error
        return cls(
            type=event["type"],
            contact_id=event["subject"],
            business_id=event["businessid"],
            version=version,
            data=event["data"],
            raw=text,
        )


def utc_day(timestamp: str) -> str:
    """The UTC calendar day (YYYY-MM-DD) of an RFC 3339 time such as `2024-03-04T09:15:00Z`."""
    moment = datetime.fromisoformat(timestamp)
    if moment.tzinfo is None:
        raise ValueError(f"{timestamp!r} has no UTC offset")
    return moment.astimezone(timezone.utc).date().isoformat()


class Funnel:
    """The funnel in one SQLite database. Use `transaction()` around `apply()` calls."""

    def __init__(self, path: str) -> None:
        # Autocommit mode: transactions are the explicit BEGIN/COMMIT of `transaction()`.
        self._db = sqlite3.connect(path, isolation_level=None)
        # WAL lets `report` read while a consumer writes.
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Everything applied inside becomes visible together, or not at all."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def apply(self, event: ContactEvent) -> Outcome:
        """Applies `event` by its contact version; see the module's description for the rule."""
        if event.version is None:
            # Written before versions existed: nothing says whether it was applied already.
            return Outcome.UNVERSIONED
        last = self._last_version(event.contact_id)
        if event.version <= last:
            return Outcome.DUPLICATE
        if event.version > last + 1:
            self._db.execute(
                "INSERT OR IGNORE INTO pending_events (contact_id, version, event) VALUES (?, ?, ?)",
                (event.contact_id, event.version, event.raw),
            )
            return Outcome.HELD
        self._apply_change(event)
        self._apply_held(event.contact_id, event.version)
        return Outcome.APPLIED

    def report(self) -> dict[str, Any]:
        """The funnel as a JSON-ready dictionary (README.md shows its shape)."""
        businesses: dict[str, dict[str, Any]] = {}

        def business(name: str) -> dict[str, Any]:
            return businesses.setdefault(name, {"contacts_by_status": {}, "interactions_by_day": {}})

        for business_id, status, count in self._db.execute(
            "SELECT business_id, status, count(*) FROM contacts GROUP BY business_id, status"
        ):
            business(business_id)["contacts_by_status"][status] = count
        for business_id, day, kind, count in self._db.execute(
            "SELECT business_id, day, type, count FROM interactions"
        ):
            business(business_id)["interactions_by_day"].setdefault(day, {})[kind] = count
        (pending,) = self._db.execute("SELECT count(*) FROM pending_events").fetchone()
        return {"businesses": businesses, "pending_events": pending}

    def _last_version(self, contact_id: str) -> int:
        row = self._db.execute("SELECT version FROM contacts WHERE contact_id = ?", (contact_id,)).fetchone()
        return row[0] if row else 0

    def _apply_held(self, contact_id: str, version: int) -> None:
        """Applies the held events that follow `version` without a gap, and forgets them."""
        while True:
            row = self._db.execute(
                "SELECT event FROM pending_events WHERE contact_id = ? AND version = ?",
                (contact_id, version + 1),
            ).fetchone()
            if row is None:
                return
            version += 1
            self._apply_change(ContactEvent.parse(row[0]))
            self._db.execute(
                "DELETE FROM pending_events WHERE contact_id = ? AND version = ?", (contact_id, version)
            )

    def _apply_change(self, event: ContactEvent) -> None:
        """Applies the next change of a contact: `event.version` is one more than its last."""
        if event.type == "ContactCreated":
            self._db.execute(
                "INSERT INTO contacts (contact_id, business_id, status, version) VALUES (?, ?, ?, ?)",
                (event.contact_id, event.business_id, event.data["relationship_status"], event.version),
            )
            return
        # Any later event moves the version on, also of a type this subscriber does not count:
        # otherwise every later event of the contact would wait for it forever.
        self._db.execute(
            "UPDATE contacts SET version = ? WHERE contact_id = ?", (event.version, event.contact_id)
        )
        if event.type == "StatusChanged":
            self._db.execute(
                "UPDATE contacts SET status = ? WHERE contact_id = ?",
                (event.data["new_status"], event.contact_id),
            )
        elif event.type == "InteractionRecorded":
            self._db.execute(
                """
                INSERT INTO interactions (business_id, day, type, count) VALUES (?, ?, ?, 1)
                ON CONFLICT (business_id, day, type) DO UPDATE SET count = count + 1
                """,
                (event.business_id, utc_day(event.data["timestamp"]), event.data["type"]),
            )
