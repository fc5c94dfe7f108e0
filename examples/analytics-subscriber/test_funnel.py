"""The funnel's version rule without Kafka: `python -m unittest` in this directory."""

from __future__ import annotations

import json
import unittest
from typing import Any

from funnel import ContactEvent, Funnel, NotAnEvent, Outcome, utc_day

ANNA = "00000000-0000-4000-a000-000000000001"
BEN = "00000000-0000-4000-a000-000000000002"


def event(kind: str, contact: str, version: int | None, data: dict[str, Any], business: str = "acme") -> ContactEvent:
    body: dict[str, Any] = {
        "specversion": "1.0",
        "id": f"{contact}-{version}",
        "source": "contact-worker",
        "type": kind,
        "subject": contact,
        "businessid": business,
        "data": data,
    }
    if version is not None:
        body["contactversion"] = version
    return ContactEvent.parse(json.dumps(body).encode())


def created(contact: str, status: str = "prospect", business: str = "acme") -> ContactEvent:
    return event("ContactCreated", contact, 1, {"relationship_status": status}, business)


def status(contact: str, version: int, new: str) -> ContactEvent:
    return event("StatusChanged", contact, version, {"new_status": new})


def interaction(contact: str, version: int, kind: str, timestamp: str) -> ContactEvent:
    return event("InteractionRecorded", contact, version, {"type": kind, "timestamp": timestamp})


# Anna: created, a call, qualified, a meeting the next day. Ben: created as a qualified lead.
HISTORY = [
    created(ANNA),
    interaction(ANNA, 2, "call", "2024-03-04T09:00:00Z"),
    status(ANNA, 3, "qualified_lead"),
    interaction(ANNA, 4, "meeting", "2024-03-05T10:00:00Z"),
    created(BEN, "qualified_lead"),
]
FINAL = {
    "businesses": {
        "acme": {
            "contacts_by_status": {"qualified_lead": 2},
            "interactions_by_day": {"2024-03-04": {"call": 1}, "2024-03-05": {"meeting": 1}},
        }
    },
    "pending_events": 0,
}


class FunnelTests(unittest.TestCase):
    def setUp(self) -> None:
        self.funnel = Funnel(":memory:")

    def tearDown(self) -> None:
        self.funnel.close()

    def apply(self, events: list[ContactEvent]) -> list[Outcome]:
        with self.funnel.transaction():
            return [self.funnel.apply(item) for item in events]

    def test_in_order_events_build_the_funnel(self) -> None:
        self.assertEqual(self.apply(HISTORY), [Outcome.APPLIED] * 5)
        self.assertEqual(self.funnel.report(), FINAL)

    def test_copies_change_nothing(self) -> None:
        self.apply(HISTORY)
        self.assertEqual(self.apply(HISTORY + HISTORY[1:3]), [Outcome.DUPLICATE] * 7)
        self.assertEqual(self.funnel.report(), FINAL)

    def test_an_event_ahead_of_a_gap_waits_for_it(self) -> None:
        self.apply(HISTORY[:2])
        before = self.funnel.report()
        self.assertEqual(self.apply([HISTORY[3], HISTORY[3]]), [Outcome.HELD, Outcome.HELD])
        self.assertEqual(self.funnel.report(), {**before, "pending_events": 1})
        self.assertEqual(self.apply([HISTORY[2]]), [Outcome.APPLIED])
        self.assertEqual(self.apply([HISTORY[4]]), [Outcome.APPLIED])
        self.assertEqual(self.funnel.report(), FINAL)

    def test_a_history_read_backwards_ends_the_same(self) -> None:
        outcomes = self.apply(list(reversed(HISTORY)))
        self.assertEqual(outcomes, [Outcome.APPLIED, Outcome.HELD, Outcome.HELD, Outcome.HELD, Outcome.APPLIED])
        self.assertEqual(self.funnel.report(), FINAL)

    def test_a_contact_seen_only_from_its_middle_is_not_counted(self) -> None:
        self.apply(HISTORY[1:4])
        self.assertEqual(self.funnel.report(), {"businesses": {}, "pending_events": 3})

    def test_an_event_without_a_version_is_not_applied(self) -> None:
        self.apply(HISTORY)
        unversioned = event("InteractionRecorded", ANNA, None, {"type": "note", "timestamp": "2024-03-05T11:00:00Z"})
        self.assertEqual(self.apply([unversioned]), [Outcome.UNVERSIONED])
        self.assertEqual(self.funnel.report(), FINAL)

    def test_an_unknown_event_type_takes_its_version_and_counts_nothing(self) -> None:
        renamed = event("ContactRenamed", ANNA, 2, {"display_name": "Anna B."})
        later = interaction(ANNA, 3, "email", "2024-03-04T12:00:00Z")
        self.assertEqual(self.apply([created(ANNA), renamed, later]), [Outcome.APPLIED] * 3)
        self.assertEqual(
            self.funnel.report()["businesses"]["acme"]["interactions_by_day"], {"2024-03-04": {"email": 1}}
        )

    def test_a_failed_transaction_leaves_nothing_behind(self) -> None:
        with self.assertRaises(RuntimeError), self.funnel.transaction():
            self.funnel.apply(created(ANNA))
            raise RuntimeError("crash before the commit")
        self.assertEqual(self.funnel.report(), {"businesses": {}, "pending_events": 0})
        self.assertEqual(self.apply([created(ANNA)]), [Outcome.APPLIED])

    def test_businesses_are_counted_apart(self) -> None:
        self.apply([created(ANNA), created(BEN, business="globex")])
        self.assertEqual(
            self.funnel.report()["businesses"],
            {
                "acme": {"contacts_by_status": {"prospect": 1}, "interactions_by_day": {}},
                "globex": {"contacts_by_status": {"prospect": 1}, "interactions_by_day": {}},
            },
        )


class ParsingTests(unittest.TestCase):
    def test_messages_that_are_not_events_are_refused(self) -> None:
        for value, reason in [
            (b"\xff", "not JSON"),
            (b"[1]", "not a JSON object"),
            (b'{"type": "ContactCreated", "subject": "x", "businessid": "b", "data": {}}', "relationship_status"),
            (b'{"type": "StatusChanged", "subject": 7, "businessid": "b", "data": {}}', "no string subject"),
            (b'{"type": "StatusChanged", "subject": "x", "businessid": "b"}', "no data object"),
            (
                b'{"type": "StatusChanged", "subject": "x", "businessid": "b", "data": {}, "contactversion": 0}',
                "contactversion 0 is not a positive integer",
            ),
            (
                b'{"type": "StatusChanged", "subject": "x", "businessid": "b", "data": {}, "contactversion": true}',
                "contactversion True is not a positive integer",
            ),
            (
                b'{"type": "InteractionRecorded", "subject": "x", "businessid": "b", "contactversion": 2,'
                b' "data": {"type": "call", "timestamp": "2024-03-04T09:00:00"}}',
                "no UTC offset",
            ),
        ]:
            with self.subTest(value=value), self.assertRaisesRegex(NotAnEvent, reason):
                ContactEvent.parse(value)

    def test_days_are_utc_days(self) -> None:
        self.assertEqual(utc_day("2024-03-04T23:30:00.123456Z"), "2024-03-04")
        self.assertEqual(utc_day("2024-03-04T23:30:00-02:00"), "2024-03-05")


if __name__ == "__main__":
    unittest.main()
