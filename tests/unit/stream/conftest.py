"""Fixtures of the stream worker's unit tests: the real registry and rule set, a record index,
and small hand-written agency messages (no broker)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from stream_samples import NOW, SENT_MS, SOCIAL_CARE, TOPICS

from mash.avro.registry import Registry
from mash.domain.clocks import FixedClock
from mash.domain.records import RECORD_KINDS, RecordIndex, record_from_mapping
from mash.domain.routing import Router
from mash.domain.thresholds import RuleSet
from mash.rules import load_rules
from mash.stream.messages import Incoming
from mash.stream.pipeline import Pipeline


@pytest.fixture(scope="session")
def registry() -> Registry:
    return Registry.default()


@pytest.fixture(scope="session")
def rules() -> RuleSet:
    return load_rules()


@pytest.fixture
def index() -> RecordIndex:
    """Every kind available; social care knows the first sample child."""
    records = RecordIndex()
    records.put(record_from_mapping("social-care", SOCIAL_CARE))
    for kind in RECORD_KINDS:
        records.mark_available(kind)
    return records


@pytest.fixture
def pipeline(registry: Registry, rules: RuleSet, index: RecordIndex) -> Pipeline:
    router = Router(rules, index, clock=FixedClock(NOW))
    return Pipeline(TOPICS, registry, router, worker="test/1", clock=FixedClock(NOW))


@pytest.fixture
def message(registry: Registry) -> Callable[..., Incoming]:
    """``message(agency, record, version=None, wire="confluent", offset=0)``: an Incoming
    holding the record encoded as the agency would send it."""

    def make(
        agency: str,
        record: dict[str, Any],
        version: int | None = None,
        wire: str = "confluent",
        offset: int = 0,
    ) -> Incoming:
        avro = registry.from_json(agency, record, version)
        value = registry.encode(agency, avro, version, wire)
        return Incoming(
            TOPICS.referrals(agency),
            1,
            offset,
            b"key-1",
            value,
            SENT_MS,
            (("traceparent", b"00-abc"),),
        )

    return make
