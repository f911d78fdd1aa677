"""`mash topics create|list` and create_topics() against the real broker."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from uuid import uuid4

import pytest

from mash.broker.admin import admin_client
from mash.broker.topics import create_topics, list_topics
from mash.topics import Topics

pytestmark = [pytest.mark.broker, pytest.mark.timeout(120)]


@pytest.fixture
def fresh() -> Topics:
    return Topics(f"c{uuid4().hex[:8]}.")


def _cleanup(bootstrap: str, topics: Topics) -> None:
    with admin_client(bootstrap) as client:
        client.delete_topics(topics.all())


def test_create_makes_every_topic_once_and_is_idempotent(
    kafka_bootstrap: str, fresh: Topics
) -> None:
    try:
        created = create_topics(kafka_bootstrap, fresh, 3)
        again = create_topics(kafka_bootstrap, fresh, 3)
        listed = {info.name: info for info in list_topics(kafka_bootstrap, fresh.prefix)}
    finally:
        _cleanup(kafka_bootstrap, fresh)

    assert sorted(created) == sorted(fresh.all())
    assert again == []
    assert set(listed) == set(fresh.all())
    assert {info.partitions for info in listed.values()} == {3}
    assert listed[fresh.records("police")].cleanup_policy == "compact"
    assert listed[fresh.decisions].retention_ms == "-1"
    assert listed[fresh.overrides].retention_ms == "-1"
    assert listed[fresh.referrals("health")].retention_ms == str(7 * 24 * 3600 * 1000)


def test_existing_topics_are_left_as_they_are(kafka_bootstrap: str, fresh: Topics) -> None:
    try:
        create_topics(kafka_bootstrap, fresh, 2)
        create_topics(kafka_bootstrap, fresh, 5)
        partitions = {i.name: i.partitions for i in list_topics(kafka_bootstrap, fresh.prefix)}
    finally:
        _cleanup(kafka_bootstrap, fresh)

    assert set(partitions.values()) == {2}


def test_the_commands_create_and_list_the_prefixed_topics(
    kafka_bootstrap: str, fresh: Topics
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MASH_")}
    env.update(MASH_BOOTSTRAP=kafka_bootstrap, MASH_TOPIC_PREFIX=fresh.prefix, MASH_PARTITIONS="1")

    def mash(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-c", "from mash.cli import main; main()", *args]
        return subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)

    try:
        created = mash("topics", "create")
        listed = mash("topics", "list", "--json")
        table = mash("topics", "list")
    finally:
        _cleanup(kafka_bootstrap, fresh)

    assert created.returncode == 0, created.stderr
    assert created.stdout.startswith(f"{len(fresh.all())} topics created, 0 already there")
    rows = json.loads(listed.stdout)
    assert sorted(row["name"] for row in rows) == sorted(fresh.all())
    assert {row["partitions"] for row in rows} == {1}
    assert fresh.decisions in table.stdout
    assert "forever" in table.stdout
