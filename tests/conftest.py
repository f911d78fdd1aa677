"""Fixtures shared by every test: a real Kafka broker, per-test topics, and PostgreSQL.

- ``kafka_bootstrap`` (session): ``MASH_BOOTSTRAP`` when set; otherwise the project starts its
  own local broker (``mash.broker.lifecycle``) in a temporary data directory on free ports, with
  the jars cache shared with the CLI (``$MASH_JARS`` or ``$MASH_HOME/jars``), and stops it at the
  end of the session.
- ``topics`` (function): a :class:`mash.topics.Topics` with a prefix of its own, every topic
  created, so tests never see each other's messages; deleted again after the test.
- ``postgres_url`` (session): ``MASH_TEST_POSTGRES_URL``.

A missing broker or database skips the tests that need it, unless ``MASH_REQUIRE_BROKER=1`` /
``MASH_REQUIRE_POSTGRES=1`` (CI), where it fails them: CI must never pass by skipping.
Tests that use ``kafka_bootstrap`` (directly or through ``topics``) get the ``broker`` marker,
so ``pytest -m "not broker"`` runs everything that needs no broker.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import NoReturn
from uuid import uuid4

import pytest
from hypothesis import settings

from mash.broker.config import BrokerConfig
from mash.config import reset_settings
from mash.topics import Topics

# No timed assertions (the machines are noisy): hypothesis's per-example deadline is one.
settings.register_profile("mash", deadline=None)
settings.load_profile("mash")

REQUIRE_BROKER = "MASH_REQUIRE_BROKER"
REQUIRE_POSTGRES = "MASH_REQUIRE_POSTGRES"
TEST_PARTITIONS = 2
"""Partitions per topic in tests: enough to exercise partitioning, small enough that hundreds
of tests do not give one broker thousands of partitions."""


def _unavailable(reason: str, required_by: str) -> NoReturn:
    """Fail when the environment says the resource is required (CI), skip otherwise."""
    if os.environ.get(required_by) == "1":
        pytest.fail(f"{reason} ({required_by}=1)", pytrace=False)
    pytest.skip(reason)


def pytest_configure(config: pytest.Config) -> None:
    """kafka-python loads its protocol schemas with a deprecated importlib API: not ours to fix."""
    for module in ("kafka.protocol.schemas.load_json", "importlib.resources._legacy"):
        config.addinivalue_line("filterwarnings", f"ignore::DeprecationWarning:{module}")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that needs the broker, whichever fixture brought it in."""
    for item in items:
        if "kafka_bootstrap" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.broker)


@pytest.fixture(autouse=True)
def fresh_settings() -> None:
    """Each test reads ``$MASH_HOME/mash.env`` afresh: a process reads it once, and tests
    write it (and move ``MASH_HOME``) from one test to the next."""
    reset_settings()


def session_broker_config(base: Path) -> BrokerConfig:
    """A throwaway broker: own data dir and free ports, the CLI's jars cache."""
    from mash.broker.prereqs import free_port

    settings = BrokerConfig.from_settings()
    port = free_port()
    controller = free_port()
    while controller == port:
        controller = free_port()
    return replace(
        settings, data_dir=base / "broker", port=port, controller_port=controller, heap_mb=512
    )


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``host:port`` of a Kafka broker that is up for the whole test session."""
    from mash.broker import lifecycle
    from mash.broker.admin import metadata_ready
    from mash.errors import MashError

    given = os.environ.get("MASH_BOOTSTRAP")
    if given:
        if not metadata_ready(given, timeout_s=15.0):
            _unavailable(f"no Kafka broker answers at MASH_BOOTSTRAP={given}", REQUIRE_BROKER)
        yield given
        return
    try:
        config = session_broker_config(tmp_path_factory.mktemp("kafka"))
        lifecycle.start(config)
    except MashError as exc:
        _unavailable(f"could not start a local Kafka broker for the tests: {exc}", REQUIRE_BROKER)
    try:
        yield config.bootstrap
    finally:
        lifecycle.stop(config)


@pytest.fixture
def make_topics(kafka_bootstrap: str) -> Iterator[Callable[..., Topics]]:
    """Factory: ``make_topics(partitions=N)`` gives a fresh, fully created set of topics."""
    from mash.broker.admin import admin_client
    from mash.broker.topics import create_topics

    made: list[Topics] = []

    def make(partitions: int = TEST_PARTITIONS) -> Topics:
        topics = Topics(f"t{uuid4().hex[:8]}.")
        create_topics(kafka_bootstrap, topics, partitions)
        made.append(topics)
        return topics

    yield make
    with contextlib.suppress(Exception), admin_client(kafka_bootstrap, timeout_s=10) as client:
        client.delete_topics([name for topics in made for name in topics.all()])


@pytest.fixture
def topics(make_topics: Callable[..., Topics]) -> Topics:
    """Every topic of the design under a prefix of this test's own (``TEST_PARTITIONS`` each)."""
    return make_topics()


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """SQLAlchemy URL of a PostgreSQL database for the tests (``MASH_TEST_POSTGRES_URL``)."""
    url = os.environ.get("MASH_TEST_POSTGRES_URL")
    if not url:
        _unavailable(
            "PostgreSQL tests need MASH_TEST_POSTGRES_URL=postgresql+psycopg://USER:PASS@HOST/DB"
            " (.ci/run sets one up)",
            REQUIRE_POSTGRES,
        )
    return url
