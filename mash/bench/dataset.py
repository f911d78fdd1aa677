"""The benchmark's data: generated referrals and records, encoded once before anything is timed.

One pass over :func:`mash.generate.generate_all` gives the referrals (JSON form, for offline
routing, and Avro bytes as agencies publish them) and the record rows of the same people.
Records come before the referrals that need them, so the rows up to the last referral used
(``base_records``) are what routing needs; the rows after that only grow the record tables to
the restart scenario's size (a million people in the full run).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from mash.avro.registry import Registry
from mash.bench.config import PROBES, Sizes
from mash.bench.progress import Tracker
from mash.domain.records import RECORD_KINDS, RecordIndex, record_from_mapping

Message = tuple[str, bytes, bytes]
"""(agency or record kind, key, Avro value): the topic is chosen by the caller's prefix."""

_EPOCH: Final = datetime(2026, 1, 1, tzinfo=UTC)
ROWS_PER_REFERRAL: Final = 3.0
"""Record rows the generator emits per referral (about 3.5 measured): used to size the
generator's run when the restart scenario wants more people than the referrals bring."""


@dataclass
class Dataset:
    """Everything the scenarios publish or route, prepared up front.

    ``referrals`` are split in order: the stream and offline set (``sizes.referrals``), the
    latency set, then the probes used to see a worker start routing."""

    referrals: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    children: list[int] = field(default_factory=list)
    records: list[Message] = field(default_factory=list)
    base_records: int = 0
    index: RecordIndex = field(default_factory=RecordIndex)

    def slice(self, start: int, stop: int) -> tuple[list[Message], int]:
        """Referral messages ``[start, stop)`` and how many children they name."""
        return self.messages[start:stop], sum(self.children[start:stop])


def _referral_message(registry: Registry, agency: str, obj: dict[str, Any]) -> Message:
    from mash.agencies import ID_FIELDS

    value = registry.encode(agency, registry.from_json(agency, obj))
    return agency, str(obj[ID_FIELDS[agency]]).encode(), value


def _record_message(registry: Registry, kind: str, row: dict[str, Any]) -> Message:
    subject = f"records.{kind}"
    return (
        kind,
        str(row["person_id"]).encode(),
        registry.encode(subject, registry.from_json(subject, row)),
    )


def _children(agency: str, obj: dict[str, Any]) -> int:
    """Children the referral names (decisions to expect); 0 if it would not validate."""
    from mash.agencies import to_referral
    from mash.errors import InvalidReferral

    try:
        return len(to_referral(agency, obj, _EPOCH).children)
    except InvalidReferral:
        return 0


def generator_size(sizes: Sizes) -> int:
    """How many referrals to ask the generator for: enough for every referral used and, at
    about :data:`ROWS_PER_REFERRAL` rows each, for the restart scenario's people."""
    wanted = sizes.referrals + sizes.latency_referrals + PROBES
    return max(wanted, int(sizes.people / ROWS_PER_REFERRAL) + 1)


def _items(sizes: Sizes, seed: int) -> Iterator[tuple[str, dict[str, Any]]]:
    from mash.generate import generate_all

    return generate_all(generator_size(sizes), seed=seed)


def build_dataset(sizes: Sizes, seed: int, registry: Registry, tracker: Tracker) -> Dataset:
    """Generate, encode and index the run's data (see the module docstring)."""
    wanted = sizes.referrals + sizes.latency_referrals + PROBES
    data = Dataset()
    tracker.stage("generate and encode data", generator_size(sizes))
    for subject, value in _items(sizes, seed):
        if subject.startswith("records."):
            kind = subject.removeprefix("records.")
            if len(data.referrals) < wanted:
                data.index.put(record_from_mapping(kind, value))
                data.records.append(_record_message(registry, kind, value))
                data.base_records += 1
            elif len(data.records) < sizes.people:
                data.records.append(_record_message(registry, kind, value))
        else:
            tracker.advance()
            if len(data.referrals) < wanted:
                data.referrals.append((subject, value))
                data.messages.append(_referral_message(registry, subject, value))
                data.children.append(_children(subject, value))
        if len(data.referrals) >= wanted and len(data.records) >= sizes.people:
            break
    for kind in RECORD_KINDS:
        data.index.mark_available(kind)
    return data
