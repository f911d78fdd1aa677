"""Configuration of the local single-node broker, and the ``server.properties`` it runs with.

The functions that turn a :class:`BrokerConfig` into properties are pure, so the generated file
can be tested without Java. Listeners are data (:class:`Listener`), not string templates, so a
secured set-up (SASL/TLS listeners, ACL authoriser) can add listeners and properties without
rewriting this module.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from mash.config import mash_home, port_setting, setting
from mash.errors import ConfigError

ADMIN_USER = "admin"
DEFAULT_HEAP_MB = 512
MAX_HEAP_MB = 1024
MIN_HEAP_MB = 128
DEFAULT_START_TIMEOUT_S = 120.0
DEFAULT_STOP_TIMEOUT_S = 60.0

_HEAP = re.compile(r"^\s*(\d+)\s*([mMgG]?)\s*$")


@dataclass(frozen=True)
class Listener:
    """One socket the broker listens on. ``protocol`` is a Kafka security protocol name."""

    name: str
    port: int
    protocol: str = "PLAINTEXT"
    host: str = "127.0.0.1"

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class BrokerConfig:
    """Everything needed to run one local broker: where it listens, where it keeps its files.

    ``data_dir`` holds the broker's own state (generated config, the KRaft log directory, its
    log file, pid file and cluster id); ``jars_dir`` is a cache shared by every data dir, so a
    test session can run a throwaway broker without downloading the jars again.
    """

    data_dir: Path
    jars_dir: Path
    port: int = 9092
    controller_port: int = 9093
    host: str = "127.0.0.1"
    heap_mb: int = DEFAULT_HEAP_MB
    node_id: int = 1
    maven_repo: Path | None = None
    start_timeout_s: float = DEFAULT_START_TIMEOUT_S
    stop_timeout_s: float = DEFAULT_STOP_TIMEOUT_S
    extra_properties: Mapping[str, str] = field(default_factory=dict)
    secure: bool = False
    internal_port: int | None = None
    secrets_dir: Path | None = None
    admin_password: str | None = field(default=None, repr=False)

    @classmethod
    def from_settings(cls) -> BrokerConfig:
        """Read ``MASH_*`` settings (environment first, then ``$MASH_HOME/mash.env``)."""
        home = mash_home()
        port = port_setting("MASH_KAFKA_PORT", 9092)
        controller = port_setting("MASH_CONTROLLER_PORT", port + 1)
        repo = setting("MASH_MAVEN_REPO")
        internal = port_setting("MASH_BROKER_INTERNAL_PORT", port + 2)
        return cls(
            data_dir=Path(setting("MASH_BROKER_DATA") or home / "broker").expanduser(),
            jars_dir=Path(setting("MASH_JARS") or home / "jars").expanduser(),
            port=port,
            controller_port=controller,
            heap_mb=parse_heap(setting("MASH_BROKER_HEAP") or f"{DEFAULT_HEAP_MB}m"),
            maven_repo=Path(repo).expanduser() if repo else None,
            start_timeout_s=_seconds(
                "MASH_BROKER_START_TIMEOUT", setting("MASH_BROKER_START_TIMEOUT")
            ),
            internal_port=internal,
            secrets_dir=home / "secrets",
        )

    def __post_init__(self) -> None:
        if self.port == self.controller_port:
            raise ConfigError(
                f"the broker port and the controller port are both {self.port}: "
                "set MASH_CONTROLLER_PORT to a different free port"
            )
        if self.secure and len({self.port, self.controller_port, self.broker_port}) < 3:
            raise ConfigError(
                f"a secure broker needs three different ports (client {self.port}, controller "
                f"{self.controller_port}, inter-broker {self.broker_port}): set "
                "MASH_BROKER_INTERNAL_PORT to a free port"
            )

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def broker_port(self) -> int:
        """The inter-broker listener's port of a secure broker (default: client port + 2)."""
        return self.internal_port if self.internal_port is not None else self.port + 2

    @property
    def secrets(self) -> Path:
        """Where the principals' passwords are kept: ``$MASH_HOME/secrets``."""
        return self.secrets_dir if self.secrets_dir is not None else self.data_dir / "secrets"

    @property
    def secure_marker(self) -> Path:
        """Present once the storage was formatted for SASL: later starts stay secure."""
        return self.data_dir / "secure"

    @property
    def listeners(self) -> tuple[Listener, ...]:
        """Client listener first: its address is the one clients bootstrap from.

        A secure broker has three: clients (SASL/SCRAM), the inter-broker listener (SASL/SCRAM
        as the admin, so replication never rides on an unauthenticated socket) and the KRaft
        controller (SASL/PLAIN: KRaft cannot check SCRAM there, the credentials live in the
        metadata log the controller serves). All on loopback.
        """
        if self.secure:
            return (
                Listener("CLIENT", self.port, "SASL_PLAINTEXT", self.host),
                Listener("BROKER", self.broker_port, "SASL_PLAINTEXT", self.host),
                Listener("CONTROLLER", self.controller_port, "SASL_PLAINTEXT", self.host),
            )
        return (
            Listener("PLAINTEXT", self.port, "PLAINTEXT", self.host),
            Listener("CONTROLLER", self.controller_port, "PLAINTEXT", self.host),
        )

    @property
    def log_dir(self) -> Path:
        """Kafka's "log" directory: the partitions and the KRaft metadata log (the data)."""
        return self.data_dir / "kafka-data"

    @property
    def properties_file(self) -> Path:
        return self.data_dir / "server.properties"

    @property
    def log4j_file(self) -> Path:
        return self.data_dir / "log4j2.yaml"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "broker.log"

    @property
    def pid_file(self) -> Path:
        return self.data_dir / "broker.pid"

    @property
    def cluster_id_file(self) -> Path:
        return self.data_dir / "cluster.id"


def parse_heap(text: str) -> int:
    """Heap size in MiB from ``512m``/``1g``/``768``; refuses more than 1 GiB.

    The cap is deliberate: the broker shares a small machine with the stream workers, and a
    single-node development broker never needs more.
    """
    match = _HEAP.match(text)
    if not match:
        raise ConfigError(f"MASH_BROKER_HEAP={text!r} is not a size like 512m or 1g")
    number, unit = int(match.group(1)), match.group(2).lower()
    megabytes = number * 1024 if unit == "g" else number
    if not MIN_HEAP_MB <= megabytes <= MAX_HEAP_MB:
        raise ConfigError(
            f"MASH_BROKER_HEAP={text!r} is outside {MIN_HEAP_MB}m..{MAX_HEAP_MB}m "
            "(the local broker runs with at most 1 GiB of heap)"
        )
    return megabytes


def _seconds(name: str, text: str | None) -> float:
    if not text:
        return DEFAULT_START_TIMEOUT_S
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(f"{name}={text!r} is not a number of seconds") from None
    if value <= 0:
        raise ConfigError(f"{name}={text!r} must be more than 0 seconds")
    return value


def listener_properties(config: BrokerConfig) -> dict[str, str]:
    """Sockets and their security protocols; the controller listener is the KRaft quorum's."""
    listeners = config.listeners
    client = [item for item in listeners if item.name != "CONTROLLER"]
    controller = next(item for item in listeners if item.name == "CONTROLLER")
    return {
        "listeners": ",".join(f"{item.name}://{item.address}" for item in listeners),
        "advertised.listeners": ",".join(f"{item.name}://{item.address}" for item in client),
        "listener.security.protocol.map": ",".join(
            f"{item.name}:{item.protocol}" for item in listeners
        ),
        "inter.broker.listener.name": next(
            (item.name for item in client if item.name == "BROKER"), client[0].name
        ),
        "controller.listener.names": controller.name,
        "controller.quorum.voters": f"{config.node_id}@{controller.address}",
    }


def single_node_properties(config: BrokerConfig) -> dict[str, str]:
    """Settings that only make sense with one broker: replication factor 1 for internal topics.

    ``group.initial.rebalance.delay.ms=0`` makes a consumer group start at once, which a
    developer (and a test) expects; production keeps the 3 s default to batch joins.
    """
    return {
        "offsets.topic.replication.factor": "1",
        "offsets.topic.num.partitions": "6",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "transaction.state.log.num.partitions": "6",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        "default.replication.factor": "1",
        "min.insync.replicas": "1",
        "group.initial.rebalance.delay.ms": "0",
        # After a kill -9 the restarted broker cannot register until its old registration's
        # session expires: 6 s instead of 9 s, with heartbeats every second to stay well clear.
        "broker.heartbeat.interval.ms": "1000",
        "broker.session.timeout.ms": "6000",
    }


def security_properties(config: BrokerConfig) -> dict[str, str]:
    """SASL on every listener, the ACL authoriser, and deny-by-default (secure mode only).

    Clients authenticate with SCRAM-SHA-512 (credentials in the KRaft metadata, created by
    ``mash acl apply``); the broker's own connections authenticate as the admin, the single
    super user. Without an ACL nothing is allowed: ``allow.everyone.if.no.acl.found=false``.
    """
    if not config.secure:
        return {}
    if not config.admin_password:
        raise ConfigError("a secure broker needs the admin password (from the secrets dir)")
    scram = "org.apache.kafka.common.security.scram.ScramLoginModule required"
    plain = "org.apache.kafka.common.security.plain.PlainLoginModule required"
    admin = f'username="{ADMIN_USER}" password="{config.admin_password}"'
    return {
        "sasl.enabled.mechanisms": "SCRAM-SHA-512",
        "sasl.mechanism.inter.broker.protocol": "SCRAM-SHA-512",
        "sasl.mechanism.controller.protocol": "PLAIN",
        "listener.name.client.scram-sha-512.sasl.jaas.config": f"{scram};",
        "listener.name.broker.scram-sha-512.sasl.jaas.config": f"{scram} {admin};",
        "listener.name.controller.sasl.enabled.mechanisms": "PLAIN",
        "listener.name.controller.plain.sasl.jaas.config": (
            f'{plain} {admin} user_{ADMIN_USER}="{config.admin_password}";'
        ),
        "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        "allow.everyone.if.no.acl.found": "false",
        "super.users": f"User:{ADMIN_USER}",
    }


def server_properties(config: BrokerConfig) -> dict[str, str]:
    """The whole ``server.properties`` of a combined broker+controller node (KRaft)."""
    properties = {
        "process.roles": "broker,controller",
        "node.id": str(config.node_id),
        "log.dirs": str(config.log_dir),
        "num.partitions": "6",
        # Topics are created on purpose by `mash topics create`; a typo must not make a topic.
        "auto.create.topics.enable": "false",
        "log.retention.hours": "168",
        "log.segment.bytes": str(256 * 1024 * 1024),
        "num.network.threads": "2",
        "num.io.threads": "4",
        "num.recovery.threads.per.data.dir": "1",
        **listener_properties(config),
        **single_node_properties(config),
        **security_properties(config),
    }
    properties.update(config.extra_properties)
    return properties


def render_properties(properties: Mapping[str, str]) -> str:
    """Java ``.properties`` text. Values here are paths and numbers: escape backslashes only."""
    lines = ["# Generated by `mash broker start`; edits are overwritten on the next start."]
    lines += [f"{key}={value.replace(chr(92), chr(92) * 2)}" for key, value in properties.items()]
    return "\n".join(lines) + "\n"


def java_command(java: str, config: BrokerConfig) -> list[str]:
    """The command line that runs the broker; the jars directory is the whole classpath."""
    return [
        java,
        f"-Xmx{config.heap_mb}m",
        "-XX:+UseG1GC",
        "-XX:MaxGCPauseMillis=20",
        "-XX:+ExitOnOutOfMemoryError",
        "-Djava.awt.headless=true",
        f"-Dlog4j2.configurationFile={config.log4j_file}",
        f"-Dkafka.logs.dir={config.data_dir}",
        "-cp",
        f"{config.jars_dir}/*",
        "kafka.Kafka",
        str(config.properties_file),
    ]


def format_command(java: str, config: BrokerConfig, cluster_id: str) -> list[str]:
    """Format the KRaft storage once, with the cluster id kept in the data directory."""
    return [
        java,
        "-Xmx256m",
        f"-Dlog4j2.configurationFile={config.log4j_file}",
        "-cp",
        f"{config.jars_dir}/*",
        "kafka.tools.StorageTool",
        "format",
        "--ignore-formatted",
        "-t",
        cluster_id,
        "-c",
        str(config.properties_file),
        *scram_bootstrap(config),
    ]


def scram_bootstrap(config: BrokerConfig) -> list[str]:
    """The admin's SCRAM credential, written into the metadata log when it is formatted.

    KRaft keeps SCRAM credentials in its metadata, so the first one (the admin, who then
    creates every other user) can only be added by the storage tool.
    """
    if not config.secure:
        return []
    return ["--add-scram", f"SCRAM-SHA-512=[name={ADMIN_USER},password={config.admin_password}]"]
