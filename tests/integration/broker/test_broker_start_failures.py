"""A start that cannot succeed says why (with the broker log) and leaves nothing behind.

Uses the real JVM with a deliberately broken jar cache (a marker and an empty "kafka" jar), so
no Maven download and no broker is needed, only Java.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from mash.broker import lifecycle
from mash.broker.config import BrokerConfig
from mash.broker.jars import marker_path, pom_hash, pom_text
from mash.broker.prereqs import free_port
from mash.errors import BrokerError

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def broken(tmp_path: Path) -> BrokerConfig:
    if shutil.which("java") is None and "JAVA_HOME" not in os.environ:
        if os.environ.get("MASH_REQUIRE_BROKER") == "1":
            pytest.fail("no java: the broker cannot run here")
        pytest.skip("no java")
    jars = tmp_path / "jars"
    jars.mkdir()
    (jars / "kafka_2.13-4.1.1.jar").write_bytes(b"not a jar")
    marker_path(jars, pom_hash(pom_text())).write_text("")
    return BrokerConfig(
        data_dir=tmp_path / "broker",
        jars_dir=jars,
        port=free_port(),
        controller_port=free_port(),
        start_timeout_s=60,
    )


def test_a_failing_storage_format_is_reported(broken: BrokerConfig) -> None:
    with pytest.raises(BrokerError, match="formatting the broker storage failed"):
        lifecycle.start(broken)

    assert lifecycle.status(broken).state == "stopped"


def test_a_broker_that_exits_during_start_up_is_reported_with_its_log(
    broken: BrokerConfig,
) -> None:
    (broken.log_dir).mkdir(parents=True)
    (broken.log_dir / "meta.properties").write_text("")  # looks formatted: go straight to launch

    with pytest.raises(BrokerError) as caught:
        lifecycle.start(broken)

    message = str(caught.value)
    assert "exited during start-up" in message
    assert "kafka.Kafka" in message  # the JVM's own words, from the tail of broker.log
    assert lifecycle.status(broken).state == "stopped"  # no stale pid file left behind
