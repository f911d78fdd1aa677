"""What the stream's end-to-end tests share: real ``mash worker`` processes, publishing agency
messages as agencies do, reading topics back, and the offline router as the oracle.

Workers run as subprocesses of the installed ``mash`` command (the same entry point an operator
runs), each in its own session so a test can SIGKILL it like a crash would; every one started
here is killed at the end of its test.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from datafiles import VIGNETTES, read_jsonl
from kafka import TopicPartition

from mash.agencies import ID_FIELDS, to_referral
from mash.avro.decision import decode_decision
from mash.avro.registry import Registry
from mash.chaos.harness import Feed
from mash.chaos.processes import (  # noqa: F401 (re-exported for the e2e tests)
    MASH,
    POLICE_V2_ONLY,
    Message,
    Publisher,
    Worker,
    Workers,
    record_messages,
    referral_message,
    workers,
)
from mash.domain.decision import decision_to_dict
from mash.domain.records import RECORD_KINDS, RecordIndex, record_from_mapping
from mash.domain.routing import Router
from mash.errors import InvalidReferral
from mash.kafka import clients
from mash.rules import load_rules
from mash.topics import Topics

# Processes and publishing are shared with ``mash chaos``: see :mod:`mash.chaos.processes`.


# --------------------------------------------------------------------------- the oracle


@dataclass(frozen=True)
class Expected:
    """What the offline router decides for the same input: the stream must agree."""

    decisions: dict[str, dict[str, Any]]  # decision id -> decision dict
    invalid: list[str]  # source ids of referrals that fail validation

    @property
    def ids(self) -> set[str]:
        return set(self.decisions)


def offline_decisions(
    rules: Any,
    records: Mapping[str, list[dict[str, Any]]],
    referrals: Iterable[tuple[str, dict[str, Any]]],
) -> Expected:
    index = RecordIndex()
    for kind in RECORD_KINDS:
        for row in records.get(kind, []):
            index.put(record_from_mapping(kind, row))
        index.mark_available(kind)  # type: ignore[arg-type]
    router = Router(rules, index)
    now = datetime.now(UTC)
    decisions: dict[str, dict[str, Any]] = {}
    invalid = []
    for agency, obj in referrals:
        try:
            referral = to_referral(agency, obj, now)
        except InvalidReferral:
            invalid.append(str(obj.get(ID_FIELDS[agency])))
            continue
        for decision in router.decide(referral):
            decisions[decision.decision_id] = decision_to_dict(decision)
    return Expected(decisions, invalid)


# --------------------------------------------------------------------------- reading back


class TopicReader:
    """Reads topics from the beginning (read_committed) and keeps going where it stopped."""

    def __init__(self, bootstrap: str, topic_names: Iterable[str]) -> None:
        self._consumer = clients.consumer(
            bootstrap,
            enable_auto_commit=False,
            isolation_level="read_committed",
            auto_offset_reset="earliest",
        )
        partitions = []
        for name in topic_names:
            found = self._consumer.partitions_for_topic(name) or set()
            partitions += [TopicPartition(name, p) for p in sorted(found)]
        self._consumer.assign(partitions)
        self._consumer.seek_to_beginning(*partitions)

    def poll(self) -> list[Any]:
        batches = self._consumer.poll(timeout_ms=500, max_records=5000)
        return [message for messages in batches.values() for message in messages]

    def close(self) -> None:
        self._consumer.close()


class DecisionsSeen:
    """Every decision event read from mash.decisions, duplicates kept."""

    def __init__(self, bootstrap: str, topics: Topics, registry: Registry) -> None:
        self._reader = TopicReader(bootstrap, [topics.decisions])
        self._registry = registry
        self.by_id: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.events = 0

    def read(self) -> int:
        for message in self._reader.poll():
            decision = decode_decision(message.value, registry=self._registry)
            self.by_id[decision["decision_id"]].append(decision)
            self.events += 1
        return len(self.by_id)

    def wait_for(
        self, ids: set[str], timeout_s: float, alive: Callable[[], bool] = lambda: True
    ) -> None:
        """Read until every id in ``ids`` has been seen (AssertionError on timeout)."""
        deadline = time.monotonic() + timeout_s
        while not ids <= self.by_id.keys():
            assert time.monotonic() < deadline, (
                f"{len(ids - self.by_id.keys())} of {len(ids)} decisions missing after "
                f"{timeout_s:.0f} s"
            )
            assert alive(), "no worker left running"
            self.read()

    def close(self) -> None:
        self._reader.close()


def read_all(bootstrap: str, names: Iterable[str], quiet_s: float = 3.0) -> list[Any]:
    """Everything on ``names`` now: read until ``quiet_s`` passes without a message."""
    reader = TopicReader(bootstrap, names)
    out: list[Any] = []
    last = time.monotonic()
    try:
        while time.monotonic() - last < quiet_s:
            batch = reader.poll()
            if batch:
                out += batch
                last = time.monotonic()
    finally:
        reader.close()
    return out


def same_decision(stream: Mapping[str, Any], offline: Mapping[str, Any]) -> list[str]:
    """The fields where a stream decision differs from the offline one, receipt and decision
    times (and the deadline derived from receipt) aside."""
    times = {"received_at", "decided_at", "deadline"}
    return sorted(k for k in offline if k not in times and stream.get(k) != offline[k])


# --------------------------------------------------------------------------- data


def vignette_data() -> tuple[
    dict[str, list[dict[str, Any]]], list[tuple[str, dict[str, Any]]], list[dict[str, Any]]
]:
    """The public vignettes: records by kind, referrals in file order, expected lines."""
    records: dict[str, list[dict[str, Any]]] = {
        kind: read_jsonl(VIGNETTES / "records" / f"{kind}.jsonl")
        for kind in RECORD_KINDS
        if (VIGNETTES / "records" / f"{kind}.jsonl").exists()
    }
    referrals = [
        (agency, obj)
        for agency in ("police", "health", "council")
        for obj in read_jsonl(VIGNETTES / f"{agency}.jsonl")
    ]
    return records, referrals, read_jsonl(VIGNETTES / "expected.jsonl")


def generated_data(
    n: int, seed: int
) -> tuple[dict[str, list[dict[str, Any]]], list[tuple[str, dict[str, Any]]]]:
    """Synthetic referrals and the records of the same people (``mash.generate``)."""
    from mash.generate import generate, generate_records

    records: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for kind, row in generate_records(n, seed=seed):
        records[kind].append(row)
    return dict(records), list(generate(n, seed=seed))


def generated_feed(
    bootstrap: str,
    topics: Topics,
    registry: Registry,
    n: int,
    seed: int,
    chunk: int,
    pause_s: float,
) -> tuple[Expected, Feed]:
    """``n`` generated referrals ready to publish paced (not started), what the offline router
    decides for them, and their people's records already on the record topics."""
    records, referrals = generated_data(n, seed)
    publisher = Publisher(bootstrap)
    publisher.send(record_messages(registry, topics, records))
    publisher.close()
    messages = [
        referral_message(registry, topics, agency, obj, i)
        for i, (agency, obj) in enumerate(referrals)
    ]
    feed = Feed(bootstrap, messages, chunk=chunk, pause_s=pause_s)
    return offline_decisions(load_rules(), records, referrals), feed


def read_decision_log_count(path: Path, decisions: Iterable[Mapping[str, Any]]) -> int:
    """Append every decision event read (duplicates included) to a fresh decision log, as the
    sink does, and return how many entries the log holds: its set semantics."""
    from mash.audit.store import open_log

    with open_log(f"sqlite:///{path}") as log:
        log.append(list(decisions))
        return log.count()
