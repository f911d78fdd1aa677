"""The topic plan: every topic of the design, compaction on records, retention by purpose."""

from __future__ import annotations

import pytest

from mash.broker.topics import (
    FOREVER,
    WEEK_MS,
    TopicSpec,
    creation_outcome,
    replication_for,
    topic_plan,
)
from mash.domain.routes import Route
from mash.errors import BrokerError, UsageError
from mash.topics import Topics


def _by_name(prefix: str = "p.", partitions: int = 6, brokers: int = 1) -> dict[str, TopicSpec]:
    return {spec.name: spec for spec in topic_plan(Topics(prefix), partitions, brokers)}


def test_the_plan_has_every_topic_of_the_design_once() -> None:
    topics = Topics("p.")

    names = [spec.name for spec in topic_plan(topics, 6, 1)]

    assert names == topics.all()
    assert len(set(names)) == len(names) == 21


def test_every_topic_gets_the_requested_partitions() -> None:
    assert {spec.partitions for spec in _by_name(partitions=4).values()} == {4}


def test_record_topics_are_compacted_and_nothing_else_is() -> None:
    topics = Topics("p.")
    plan = _by_name()

    compacted = {name for name, spec in plan.items() if spec.configs["cleanup.policy"] == "compact"}

    assert compacted == set(topics.record_topics())


def test_decisions_and_overrides_are_kept_for_good() -> None:
    topics = Topics("p.")
    plan = _by_name()

    assert plan[topics.decisions].configs["retention.ms"] == str(FOREVER)
    assert plan[topics.overrides].configs["retention.ms"] == str(FOREVER)
    assert plan[topics.deadletter].configs["retention.ms"] == str(FOREVER)
    assert plan[topics.alerts].configs["retention.ms"] == str(FOREVER)
    assert all(plan[topics.queue(r)].configs["retention.ms"] == str(FOREVER) for r in Route)
    assert plan[topics.referrals("police")].configs["retention.ms"] == str(WEEK_MS)
    assert plan[topics.canonical].configs["retention.ms"] == str(WEEK_MS)


@pytest.mark.parametrize(
    ("brokers", "rf", "isr"), [(1, 1, "1"), (2, 2, "1"), (3, 3, "2"), (5, 3, "2")]
)
def test_replication_follows_the_cluster_size(brokers: int, rf: int, isr: str) -> None:
    plan = _by_name(brokers=brokers)

    assert {spec.replication_factor for spec in plan.values()} == {rf}
    assert {spec.configs["min.insync.replicas"] for spec in plan.values()} == {isr}


def test_no_brokers_is_an_error() -> None:
    with pytest.raises(BrokerError):
        replication_for(0)


def test_zero_partitions_is_bad_usage() -> None:
    with pytest.raises(UsageError, match="--partitions"):
        topic_plan(Topics(), 0, 1)


def test_an_existing_topic_is_not_a_failure_but_other_errors_are() -> None:
    created, failed = creation_outcome(
        [
            {"name": "a", "error_code": 0},
            {"name": "b", "error_code": 36, "error_message": "Topic 'b' already exists."},
            {"name": "c", "error_code": 41, "error_message": None},
        ]
    )

    assert created == ["a"]
    assert failed == ["c: error code 41"]
