"""Routed children on a real broker, for the hub's integration tests.

The decisions come from the real router (default rule set, empty but available record
indexes) over small synthetic police notifications, and are published the way the stream
worker does: the decision as Confluent-framed Avro to ``mash.queue.<route>`` and
``mash.decisions``, keyed by decision id.

Tests reach these helpers through fixtures only: test directories are not packages, so
``from conftest import ...`` would pick whichever conftest module was imported first.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from mash.kafka import clients
from mash.topics import Topics


def _notification(ppn_id: str, dash_risk: str = "STANDARD", children: int = 1) -> dict[str, Any]:
    """A police domestic abuse notification with synthetic people."""
    return {
        "ppn_id": ppn_id,
        "force_code": "CLE",
        "incident_at": "2026-03-02T08:10:00Z",
        "incident_type": "DOMESTIC_ABUSE",
        "dash_risk": dash_risk,
        "children": [
            {
                "forenames": f"Test{n}",
                "surname": "Example",
                "dob": f"201{n}-04-01",
                "present_at_incident": True,
                "injured": False,
            }
            for n in range(children)
        ],
        "adults": [{"role": "VICTIM", "forenames": "Adult", "surname": "Example"}],
        "concern_codes": ["3C"],
        "non_fatal_strangulation": False,
        "weapon_used": False,
        "victim_pregnant": False,
        "marac_referral": dash_risk == "HIGH",
        "narrative": "Synthetic test notification.",
    }


def _route_notifications(
    *notices: dict[str, Any], received: datetime | None = None
) -> list[dict[str, Any]]:
    """Decision dicts from the real router, received now unless told otherwise (the CLI
    reads the wall clock, so items are fresh: green, nowhere near a deadline)."""
    received = received or datetime.now(UTC)
    from mash.agencies import to_referral
    from mash.domain.clocks import FixedClock
    from mash.domain.decision import decision_to_dict
    from mash.domain.records import RECORD_KINDS, RecordIndex
    from mash.domain.routing import Router
    from mash.rules import load_rules

    index = RecordIndex()
    for kind in RECORD_KINDS:
        index.mark_available(kind)
    router = Router(load_rules(), index, clock=FixedClock(received))
    return [
        decision_to_dict(d)
        for notice in notices
        for d in router.decide(to_referral("police", notice, received), decided_at=received)
    ]


def _publish_decisions(bootstrap: str, topics: Topics, decisions: list[dict[str, Any]]) -> None:
    """Put decisions where the stream worker puts them."""
    from mash.avro import encode_decision

    producer = clients.producer(bootstrap, acks="all")
    try:
        for decision in decisions:
            key = decision["decision_id"].encode()
            payload = encode_decision(decision)
            producer.send(topics.queue(decision["route"]), key=key, value=payload)
            producer.send(topics.decisions, key=key, value=payload)
        producer.flush(timeout=30)
    finally:
        producer.close(timeout=10)


@pytest.fixture
def notification() -> Callable[..., dict[str, Any]]:
    """``notification(ppn_id, dash_risk="STANDARD", children=1)``: a synthetic notification."""
    return _notification


@pytest.fixture
def route() -> Callable[..., list[dict[str, Any]]]:
    """``route(*notices, received=None)``: decision dicts from the real router."""
    return _route_notifications


@pytest.fixture
def publish(kafka_bootstrap: str, topics: Topics) -> Callable[[list[dict[str, Any]]], None]:
    """``publish(decisions)``: onto this test's queue and decision topics."""
    return lambda decisions: _publish_decisions(kafka_bootstrap, topics, decisions)


@pytest.fixture
def routed(
    route: Callable[..., list[dict[str, Any]]], publish: Callable[[list[dict[str, Any]]], None]
) -> Callable[..., list[dict[str, Any]]]:
    """``routed(*notices)``: route and publish; returns the decision dicts."""

    def route_and_publish(*notices: dict[str, Any]) -> list[dict[str, Any]]:
        decisions = route(*notices)
        publish(decisions)
        return decisions

    return route_and_publish
