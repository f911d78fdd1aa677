"""A three-node KRaft cluster on loopback for chaos scenario 4, from ``deploy/cluster``.

The nodes run exactly the configuration an operator deploys (``deploy/cluster/server-N
.properties``: RF 3, min.insync.replicas 2, unclean leader election off); only what must differ
on a shared machine is rewritten: free ports instead of 19092..39093, and data directories
under the scenario's scratch directory. Jars, the Java command line, storage formatting and
process handling are :mod:`mash.broker`'s own (the same JVM flags and log4j set-up as
``mash broker start``), so a cluster node differs from the single dev broker only in its
properties. Every node started here is killed when the context ends.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any

from mash.broker import process
from mash.broker.config import BrokerConfig, format_command, java_command, render_properties
from mash.errors import BrokerError
from mash.kafka import PLAINTEXT

DEPLOY_DIR = Path(__file__).resolve().parents[2] / "deploy" / "cluster"
NODES = (1, 2, 3)
HEAP_MB = 256
# The cluster is PLAINTEXT whatever this process's MASH_SECURITY_PROTOCOL says: its admin
# clients connect with ``security=PLAINTEXT``.


def read_properties(path: Path) -> dict[str, str]:
    """A Java ``.properties`` file of plain ``key=value`` lines (comments and blanks skipped)."""
    out: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith(("#", "!")) and "=" in line:
            key, value = line.split("=", 1)
            out[key.strip()] = value.strip()
    return out


def node_properties(
    template: Mapping[str, str], node: int, ports: Mapping[int, tuple[int, int]], log_dir: Path
) -> dict[str, str]:
    """The deployed properties of ``node`` with its ports (client, controller) and data
    directory replaced; every durability setting kept as deployed."""
    client, controller = ports[node]
    voters = ",".join(f"{n}@127.0.0.1:{c}" for n, (_, c) in sorted(ports.items()))
    return {
        **template,
        "node.id": str(node),
        "controller.quorum.voters": voters,
        "listeners": f"PLAINTEXT://127.0.0.1:{client},CONTROLLER://127.0.0.1:{controller}",
        "advertised.listeners": f"PLAINTEXT://127.0.0.1:{client}",
        "log.dirs": str(log_dir),
    }


def free_ports(count: int) -> list[int]:
    """``count`` distinct free loopback ports, none of them the shared broker's 9092/9093."""
    from mash.broker.prereqs import free_port

    ports: list[int] = []
    while len(ports) < count:
        port = free_port()
        if port not in ports and port not in (9092, 9093):
            ports.append(port)
    return ports


@dataclass
class Node:
    """One cluster node: its :class:`BrokerConfig` (paths, ports, heap) and its process."""

    node_id: int
    config: BrokerConfig
    pid: int | None = None

    def alive(self) -> bool:
        return self.pid is not None and process.is_broker(self.pid, self.config.properties_file)


@dataclass
class Cluster:
    """Three running nodes; :meth:`kill` and :meth:`start` crash and restart one of them."""

    nodes: dict[int, Node]
    java: str

    @property
    def bootstrap(self) -> str:
        return ",".join(node.config.bootstrap for node in self.nodes.values())

    def start(self, node_id: int) -> None:
        """Launch a node on its formatted data (a restart after a crash is the same call)."""
        node = self.nodes[node_id]
        config = node.config
        if config.log_file.exists():  # keep the crashed run's log: it says what happened
            config.log_file.replace(config.log_file.with_name(f"broker.log.{time.time():.0f}"))
        node.pid = process.launch(java_command(self.java, config), config.log_file)
        process.write_pid(config.pid_file, node.pid)

    def kill(self, node_id: int) -> None:
        """SIGKILL, a hard crash: no controlled shutdown, no leadership hand-over."""
        node = self.nodes[node_id]
        if node.pid is not None and node.alive():
            with contextlib.suppress(ProcessLookupError):
                os.kill(node.pid, signal.SIGKILL)
            process.wait_gone(node.pid, node.config.properties_file, 30.0)
        node.pid = None

    def wait_ready(self, brokers: int = 3, timeout_s: float = 180.0) -> None:
        """Until the cluster's metadata names ``brokers`` live brokers (every node registered
        and unfenced), or BrokerError."""
        from mash.broker.admin import admin_client, broker_count

        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            dead = [n.node_id for n in self.nodes.values() if n.pid is not None and not n.alive()]
            if dead:
                raise BrokerError(f"cluster node(s) {dead} exited; see their broker.log")
            with (
                contextlib.suppress(BrokerError),
                admin_client(self.bootstrap, 5.0, security=PLAINTEXT) as client,
            ):
                if broker_count(client) >= brokers:
                    return
            time.sleep(1.0)
        raise BrokerError(f"the cluster did not show {brokers} brokers within {timeout_s:.0f} s")

    def describe(self, topic: str) -> list[dict[str, Any]]:
        """The partitions of ``topic``: ``partition``, ``leader``, ``replicas``, ``isr``."""
        from mash.broker.admin import admin_client

        with admin_client(self.bootstrap, 10.0, security=PLAINTEXT) as client:
            described = client.describe_topics([topic])
        return [
            {
                "partition": p["partition_index"],
                "leader": p["leader_id"],
                "replicas": p["replica_nodes"],
                "isr": p["isr_nodes"],
            }
            for p in described[0]["partitions"]
        ]

    def leader(self, topic: str, partition: int) -> int:
        for p in self.describe(topic):
            if p["partition"] == partition:
                return int(p["leader"])
        raise BrokerError(f"topic {topic} has no partition {partition}")

    def wait_in_sync(self, topic: str, timeout_s: float = 120.0) -> bool:
        """Until every partition of ``topic`` has all its replicas in sync (a restarted node
        has caught up), so the next kill never leaves a partition below min.insync.replicas."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with contextlib.suppress(BrokerError):
                parts = self.describe(topic)
                if parts and all(
                    set(p["isr"]) == set(p["replicas"]) and p["leader"] >= 0 for p in parts
                ):
                    return True
            time.sleep(1.0)
        return False


def _configs(home: Path, template_dir: Path) -> dict[int, BrokerConfig]:
    ports = free_ports(2 * len(NODES))
    pairs = {n: (ports[2 * i], ports[2 * i + 1]) for i, n in enumerate(NODES)}
    base = BrokerConfig.from_settings()
    out: dict[int, BrokerConfig] = {}
    for n in NODES:
        data = home / f"node-{n}"
        config = replace(
            base,
            data_dir=data,
            port=pairs[n][0],
            controller_port=pairs[n][1],
            heap_mb=HEAP_MB,
            node_id=n,
            secure=False,
        )
        template = read_properties(template_dir / f"server-{n}.properties")
        properties = node_properties(template, n, pairs, config.log_dir)
        data.mkdir(parents=True, exist_ok=True)
        config.properties_file.write_text(render_properties(properties))
        config.log4j_file.write_bytes((resources.files("mash.broker") / "log4j2.yaml").read_bytes())
        out[n] = config
    return out


def _format(java: str, config: BrokerConfig, cluster_id: str) -> None:
    """Format a node's storage with the cluster id every node shares."""
    result = subprocess.run(
        format_command(java, config, cluster_id),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-10:])
        raise BrokerError(f"formatting cluster node {config.node_id} failed:\n{tail}")


@contextlib.contextmanager
def cluster(home: Path, template_dir: Path = DEPLOY_DIR) -> Iterator[Cluster]:
    """Format and start the three nodes of ``template_dir`` under ``home``; kill them after."""
    from mash.broker.jars import ensure_jars
    from mash.broker.lifecycle import new_cluster_id
    from mash.broker.prereqs import require_java

    if not (template_dir / "server-1.properties").exists():
        raise BrokerError(f"no cluster configuration in {template_dir}")
    java = require_java()
    configs = _configs(home, template_dir)
    ensure_jars(configs[1])
    cluster_id = new_cluster_id()
    for config in configs.values():
        _format(java, config, cluster_id)
    running = Cluster({n: Node(n, c) for n, c in configs.items()}, java)
    try:
        for n in NODES:
            running.start(n)
        running.wait_ready()
        yield running
    finally:
        for n in NODES:
            running.kill(n)
