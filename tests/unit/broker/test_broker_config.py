"""The generated broker configuration: what a single-node KRaft broker needs, nothing that leaks."""

from __future__ import annotations

from pathlib import Path

import pytest

from mash.broker.config import (
    MAX_HEAP_MB,
    BrokerConfig,
    format_command,
    java_command,
    parse_heap,
    render_properties,
    server_properties,
)
from mash.errors import ConfigError


def _config(tmp_path: Path, **changes: object) -> BrokerConfig:
    values: dict[str, object] = {
        "data_dir": tmp_path / "data",
        "jars_dir": tmp_path / "jars",
        "port": 19092,
        "controller_port": 19093,
    }
    values.update(changes)
    return BrokerConfig(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "megabytes"), [("512m", 512), ("768M", 768), ("1g", 1024), ("256", 256)]
)
def test_heap_sizes_are_read_in_mebibytes(text: str, megabytes: int) -> None:
    assert parse_heap(text) == megabytes


@pytest.mark.parametrize("text", ["2g", "1025m", "64m", "lots", "", "1.5g"])
def test_heap_outside_the_limit_or_unreadable_is_refused(text: str) -> None:
    with pytest.raises(ConfigError, match="MASH_BROKER_HEAP"):
        parse_heap(text)


def test_properties_describe_a_combined_kraft_node_on_loopback(tmp_path: Path) -> None:
    props = server_properties(_config(tmp_path))

    assert props["process.roles"] == "broker,controller"
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093"
    assert props["advertised.listeners"] == "PLAINTEXT://127.0.0.1:19092"
    assert props["controller.quorum.voters"] == "1@127.0.0.1:19093"
    assert props["controller.listener.names"] == "CONTROLLER"
    assert props["listener.security.protocol.map"] == "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
    assert props["log.dirs"] == str(tmp_path / "data" / "kafka-data")


def test_internal_topics_fit_one_broker(tmp_path: Path) -> None:
    props = server_properties(_config(tmp_path))

    assert props["offsets.topic.replication.factor"] == "1"
    assert props["transaction.state.log.replication.factor"] == "1"
    assert props["transaction.state.log.min.isr"] == "1"
    assert props["group.initial.rebalance.delay.ms"] == "0"
    assert props["auto.create.topics.enable"] == "false"


def test_extra_properties_override_the_defaults(tmp_path: Path) -> None:
    config = _config(tmp_path, extra_properties={"num.partitions": "1", "foo.bar": "x"})

    props = server_properties(config)

    assert props["num.partitions"] == "1"
    assert props["foo.bar"] == "x"


def test_rendered_properties_round_trip_as_key_value_lines(tmp_path: Path) -> None:
    props = server_properties(_config(tmp_path))

    text = render_properties(props)
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]

    assert dict(line.split("=", 1) for line in lines) == props


def test_same_port_for_broker_and_controller_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="MASH_CONTROLLER_PORT"):
        _config(tmp_path, port=19092, controller_port=19092)


def test_java_command_caps_the_heap_and_uses_the_jar_cache(tmp_path: Path) -> None:
    config = _config(tmp_path, heap_mb=768)

    command = java_command("/usr/bin/java", config)

    assert command[0] == "/usr/bin/java"
    assert "-Xmx768m" in command
    assert command[command.index("-cp") + 1] == f"{tmp_path / 'jars'}/*"
    assert command[-2:] == ["kafka.Kafka", str(config.properties_file)]


def test_format_command_keeps_the_given_cluster_id(tmp_path: Path) -> None:
    command = format_command("java", _config(tmp_path), "AAAAAAAAAAAAAAAAAAAAAA")

    assert command[command.index("-t") + 1] == "AAAAAAAAAAAAAAAAAAAAAA"
    assert "--ignore-formatted" in command


def test_settings_come_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MASH_HOME", str(tmp_path))
    monkeypatch.setenv("MASH_KAFKA_PORT", "29092")
    monkeypatch.delenv("MASH_CONTROLLER_PORT", raising=False)
    monkeypatch.delenv("MASH_BROKER_DATA", raising=False)
    monkeypatch.delenv("MASH_JARS", raising=False)
    monkeypatch.setenv("MASH_BROKER_HEAP", "1g")

    config = BrokerConfig.from_settings()

    assert (config.port, config.controller_port) == (29092, 29093)
    assert config.data_dir == tmp_path / "broker"
    assert config.jars_dir == tmp_path / "jars"
    assert config.heap_mb == MAX_HEAP_MB
    assert config.bootstrap == "127.0.0.1:29092"


def test_settings_file_in_mash_home_is_read_and_the_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("MASH_KAFKA_PORT", "MASH_CONTROLLER_PORT", "MASH_BROKER_DATA", "MASH_JARS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MASH_HOME", str(tmp_path))
    monkeypatch.setenv("MASH_BROKER_HEAP", "256m")
    (tmp_path / "mash.env").write_text(
        "# local broker\nMASH_KAFKA_PORT=39092\nMASH_BROKER_DATA=/srv/kafka\nMASH_BROKER_HEAP=1g\n"
    )

    config = BrokerConfig.from_settings()

    assert config.port == 39092
    assert config.data_dir == Path("/srv/kafka")
    assert config.heap_mb == 256


def test_a_port_that_is_not_a_number_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MASH_HOME", str(tmp_path))
    monkeypatch.setenv("MASH_KAFKA_PORT", "kafka")

    with pytest.raises(ConfigError, match="MASH_KAFKA_PORT"):
        BrokerConfig.from_settings()
