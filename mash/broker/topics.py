"""Every topic of the design, with its partitions, compaction and retention; created idempotently.

The plan (:func:`topic_plan`) is pure: which topics, how many partitions, which configs. The
shell (:func:`create_topics`) sends it to a broker and leaves existing topics as they are, so
``mash topics create`` can run on every deployment and every test.

Retention follows what each topic is for:
- decisions and overrides are the stream form of the audited decision log: kept for good;
- queues and alerts are the hub's open work: kept for good, because a child left undecided for
  more than a week must still be on the queue (the peer review found exactly such cases);
- outcomes and feedback are the record of each hand-off: kept for good, like decisions;
- the dead-letter topic (and what staff did with each dead letter) holds input nobody could
  route, often the only copy of a referral: kept until a person has dealt with it, never
  deleted by age (a referral must never be lost);
- record topics are compacted (latest record per person), never deleted by age;
- ingest and canonical are kept 7 days, long enough to replay a week after a bad deployment
  (every referral's decision is in the log by then).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from mash.broker.admin import admin_client, broker_count
from mash.errors import BrokerError, UsageError
from mash.topics import Topics

DAY_MS = 24 * 60 * 60 * 1000
WEEK_MS = 7 * DAY_MS
FOREVER = -1
MAX_REPLICATION = 3
_TOPIC_ALREADY_EXISTS = 36


@dataclass(frozen=True)
class TopicSpec:
    """One topic to create: its name, partition count, replication and topic-level configs."""

    name: str
    partitions: int
    replication_factor: int
    configs: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TopicInfo:
    """A topic as the broker describes it (for ``mash topics list``)."""

    name: str
    partitions: int
    replication_factor: int
    cleanup_policy: str
    retention_ms: str


def _delete(retention_ms: int, replication: int) -> Mapping[str, str]:
    return _with_isr({"cleanup.policy": "delete", "retention.ms": str(retention_ms)}, replication)


def _compact(replication: int) -> Mapping[str, str]:
    return _with_isr({"cleanup.policy": "compact"}, replication)


def _with_isr(configs: dict[str, str], replication: int) -> Mapping[str, str]:
    """Add ``min.insync.replicas``: with 3 replicas an acks=all write needs 2 of them."""
    configs["min.insync.replicas"] = str(2 if replication >= MAX_REPLICATION else 1)
    return MappingProxyType(configs)


def replication_for(brokers: int) -> int:
    """Three copies where there are three brokers, fewer on a smaller (development) cluster."""
    if brokers < 1:
        raise BrokerError("the cluster reports no brokers")
    return min(MAX_REPLICATION, brokers)


def topic_plan(topics: Topics, partitions: int, brokers: int) -> list[TopicSpec]:
    """The topics of the design contract, in :meth:`Topics.all` order, with their settings."""
    if partitions < 1:
        raise UsageError(f"--partitions must be at least 1, not {partitions}")
    rf = replication_for(brokers)
    special: dict[str, Mapping[str, str]] = {
        topics.decisions: _delete(FOREVER, rf),
        topics.overrides: _delete(FOREVER, rf),
        topics.deadletter: _delete(FOREVER, rf),
        topics.alerts: _delete(FOREVER, rf),
        topics.deadletter_events: _delete(FOREVER, rf),
        topics.outcomes: _delete(FOREVER, rf),
        **{name: _delete(FOREVER, rf) for name in topics.feedback_topics()},
        **{name: _delete(FOREVER, rf) for name in topics.queues()},
        **{name: _compact(rf) for name in topics.record_topics()},
    }
    return [
        TopicSpec(name, partitions, rf, special.get(name) or _delete(WEEK_MS, rf))
        for name in topics.all()
    ]


def create_topics(bootstrap: str, topics: Topics, partitions: int) -> list[str]:
    """Create every topic of ``topics`` that does not exist yet; return the names created now.

    Existing topics are left exactly as they are (no partition or config changes): it is safe
    to run on every start. Returns once every topic has a leader for every partition, so the
    caller can produce straight away.
    """
    with admin_client(bootstrap) as client:
        plan = topic_plan(topics, partitions, broker_count(client))
        response = client.create_topics(
            {
                spec.name: {
                    "num_partitions": spec.partitions,
                    "replication_factor": spec.replication_factor,
                    "configs": dict(spec.configs),
                }
                for spec in plan
            },
            raise_errors=False,
        )
        created, failed = creation_outcome(response.get("topics", []))
        if failed:
            raise BrokerError("could not create topics: " + "; ".join(failed))
        client.wait_for_topics([spec.name for spec in plan], timeout_ms=30000)
    return created


def creation_outcome(results: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """Split a CreateTopics response into created names and failures (exists is not failure)."""
    created: list[str] = []
    failed: list[str] = []
    for result in results:
        name, code = str(result.get("name")), result.get("error_code", 0)
        if code == 0:
            created.append(name)
        elif code != _TOPIC_ALREADY_EXISTS:
            failed.append(f"{name}: {result.get('error_message') or f'error code {code}'}")
    return created, failed


def list_topics(bootstrap: str, prefix: str | None = None) -> list[TopicInfo]:
    """Topics on the broker (those starting with ``prefix`` when given), sorted by name."""
    from kafka.admin import ConfigResource, ConfigResourceType

    with admin_client(bootstrap) as client:
        described = [
            topic
            for topic in client.describe_topics()
            if prefix is None or str(topic["name"]).startswith(prefix)
        ]
        if not described:
            return []
        resources = [
            ConfigResource(ConfigResourceType.TOPIC, t["name"], ["cleanup.policy", "retention.ms"])
            for t in described
        ]
        configs = client.describe_configs(resources, config_filter="all").get("topic", {})
    return sorted(
        (_info(topic, configs.get(topic["name"], {})) for topic in described),
        key=lambda info: info.name,
    )


def _info(topic: Mapping[str, Any], configs: Mapping[str, Any]) -> TopicInfo:
    partitions = list(topic.get("partitions") or [])
    replicas = partitions[0].get("replica_nodes", []) if partitions else []
    return TopicInfo(
        name=str(topic["name"]),
        partitions=len(partitions),
        replication_factor=len(replicas),
        cleanup_policy=_config_value(configs.get("cleanup.policy")),
        retention_ms=_config_value(configs.get("retention.ms")),
    )


def _config_value(entry: Any) -> str:
    if isinstance(entry, Mapping):
        return str(entry.get("value"))
    return "" if entry is None else str(entry)
