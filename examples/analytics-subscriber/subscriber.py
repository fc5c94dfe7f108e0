#!/usr/bin/env python3
"""analytics-subscriber: reads contact-worker's events topic into a per-business funnel.

    subscriber.py consume --brokers HOST:PORT [--topic contacts.events] [--group NAME] [--db FILE]
                          [--until-idle SECONDS] [-X PROPERTY=VALUE ...]
    subscriber.py report [--db FILE]

`consume` applies events to the funnel in SQLite (see funnel.py for the version rule) and runs
until SIGINT/SIGTERM, or with `--until-idle` until every assigned partition was read to its end
and no message came for that long. `report` prints the funnel as JSON.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, TopicPartition

from funnel import ContactEvent, Funnel, NotAnEvent, Outcome

log = logging.getLogger("analytics-subscriber")

# Messages taken from the client per transaction, and how long one `consume` call waits.
BATCH_SIZE = 500
POLL_SECONDS = 0.5


def consumer_config(brokers: str, group: str, properties: Sequence[str]) -> dict[str, object]:
    """The consumer's settings: this program's, then any `-X PROPERTY=VALUE` given."""
    config: dict[str, object] = {
        "bootstrap.servers": brokers,
        "group.id": group,
        # A new group reads the topic from its start: the funnel counts the whole history.
        "auto.offset.reset": "earliest",
        # Offsets are committed by hand, after the transaction that applied their messages.
        "enable.auto.commit": False,
        # The end of a partition is reported, so `--until-idle` knows when it has caught up.
        "enable.partition.eof": True,
    }
    for assignment in properties:
        name, equals, value = assignment.partition("=")
        if not equals or not name:
            raise SystemExit(f"-X {assignment}: expected PROPERTY=VALUE, e.g. -X session.timeout.ms=10000")
        config[name] = value
    return config


class Progress:
    """Which assigned partitions have been read to their end, and when a message last came."""

    def __init__(self) -> None:
        self._at_end: dict[tuple[str, int], bool] = {}
        self._last_message = time.monotonic()

    def assigned(self, partitions: Sequence[TopicPartition]) -> None:
        for partition in partitions:
            self._at_end[(partition.topic, partition.partition)] = False
        self._last_message = time.monotonic()

    def revoked(self, partitions: Sequence[TopicPartition]) -> None:
        for partition in partitions:
            self._at_end.pop((partition.topic, partition.partition), None)

    def received(self, message: Message) -> None:
        self._at_end[(message.topic(), message.partition())] = False
        self._last_message = time.monotonic()

    def reached_end(self, message: Message) -> None:
        self._at_end[(message.topic(), message.partition())] = True

    def idle_for(self, seconds: float) -> bool:
        """True when partitions are assigned, all read to their end, and nothing came for `seconds`."""
        caught_up = bool(self._at_end) and all(self._at_end.values())
        return caught_up and time.monotonic() - self._last_message >= seconds


def next_offsets(messages: Sequence[Message]) -> list[TopicPartition]:
    """The offsets to commit after `messages`: one past the last message of each partition."""
    latest: dict[tuple[str, int], int] = {}
    for message in messages:
        key = (message.topic(), message.partition())
        latest[key] = max(latest.get(key, -1), message.offset())
    return [TopicPartition(topic, partition, offset + 1) for (topic, partition), offset in latest.items()]


def poll(consumer: Consumer, progress: Progress) -> list[Message]:
    """The next messages, up to BATCH_SIZE; partition ends go to `progress`, errors to the log."""
    messages: list[Message] = []
    for message in consumer.consume(num_messages=BATCH_SIZE, timeout=POLL_SECONDS):
        error = message.error()
        if error is None:
            progress.received(message)
            messages.append(message)
        elif error.code() == KafkaError._PARTITION_EOF:
            progress.reached_end(message)
        elif error.fatal():
            raise KafkaException(error)
        else:
            log.warning("consumer: %s", error)
    return messages


def commit(consumer: Consumer, messages: Sequence[Message]) -> None:
    """Commits the offsets after `messages`.

    A commit refused during a rebalance is only logged: the partitions' next owner reads those
    messages again, and the version rule drops them as copies.
    """
    try:
        consumer.commit(offsets=next_offsets(messages), asynchronous=False)
    except KafkaException as exception:
        error = exception.args[0]
        if error.fatal():
            raise
        log.warning("commit: %s", error)


def read_events(messages: Sequence[Message], tally: Counter[str]) -> list[ContactEvent]:
    """The events among `messages`; anything else is logged and counted, never applied."""
    events: list[ContactEvent] = []
    for message in messages:
        try:
            events.append(ContactEvent.parse(message.value() or b""))
        except NotAnEvent as error:
            tally["not an event"] += 1
            log.warning("skipped %s[%d]@%d: %s", message.topic(), message.partition(), message.offset(), error)
    return events


def consume(
    brokers: str, topic: str, group: str, db: str, until_idle: float | None, properties: Sequence[str]
) -> None:
    config = consumer_config(brokers, group, properties)
    funnel = Funnel(db)
    progress = Progress()
    consumer = Consumer(config)
    consumer.subscribe(
        [topic],
        on_assign=lambda _, partitions: progress.assigned(partitions),
        on_revoke=lambda _, partitions: progress.revoked(partitions),
        on_lost=lambda _, partitions: progress.revoked(partitions),
    )
    stopping = False

    def stop(_signal: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    tally: Counter[str] = Counter()
    try:
        while not stopping and not (until_idle is not None and progress.idle_for(until_idle)):
            messages = poll(consumer, progress)
            if not messages:
                continue
            events = read_events(messages, tally)
            # The funnel and every contact's version move in one transaction, so each event is
            # applied entirely or not at all. Offsets are committed only after it: a crash in
            # between reads these messages again, and the version check drops them as copies.
            with funnel.transaction():
                tally.update(funnel.apply(event).value for event in events)
            commit(consumer, messages)
            tally["messages"] += len(messages)
    finally:
        consumer.close()
        funnel.close()
        summary = ", ".join(f"{count} {name}" for name, count in sorted(tally.items())) or "no messages"
        log.info("read %s: %s", topic, summary)


def report(db: str) -> None:
    if not Path(db).exists():
        raise SystemExit(f"no funnel database at {db}: run `consume` first")
    funnel = Funnel(db)
    try:
        print(json.dumps(funnel.report(), indent=2, sort_keys=True))
    finally:
        funnel.close()


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)

    reader = commands.add_parser("consume", help="apply the events topic to the funnel")
    reader.add_argument("--brokers", required=True, help="Kafka bootstrap servers, HOST:PORT[,HOST:PORT]")
    reader.add_argument("--topic", default="contacts.events", help="the events topic (default: %(default)s)")
    reader.add_argument("--group", default="analytics-subscriber", help="consumer group (default: %(default)s)")
    reader.add_argument("--db", default="analytics.sqlite", help="funnel database (default: %(default)s)")
    reader.add_argument(
        "--until-idle",
        type=float,
        metavar="SECONDS",
        help="exit once every partition was read to its end and no message came for SECONDS",
    )
    reader.add_argument(
        "-X",
        dest="properties",
        action="append",
        default=[],
        metavar="PROPERTY=VALUE",
        help="a librdkafka consumer property, e.g. -X security.protocol=SSL (repeatable)",
    )

    printer = commands.add_parser("report", help="print the funnel as JSON")
    printer.add_argument("--db", default="analytics.sqlite", help="funnel database (default: %(default)s)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(levelname)s: %(message)s")
    args = parse_arguments(argv)
    if args.command == "report":
        report(args.db)
        return 0
    try:
        consume(args.brokers, args.topic, args.group, args.db, args.until_idle, args.properties)
    except KafkaException as error:
        log.error("stopped: %s", error)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
