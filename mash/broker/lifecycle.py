"""``mash broker start|stop|status``: one local Kafka broker (KRaft, broker+controller).

Start is idempotent (a running broker is left alone), stop is a controlled shutdown, and status
tells a dead broker (pid file left by a kill -9 or a crash) from a stopped one. Data survives
every one of these: the storage is formatted once and the cluster id is kept in the data dir.
"""

from __future__ import annotations

import base64
import dataclasses
import os
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from importlib import resources
from typing import Literal

from mash.broker import process
from mash.broker.admin import metadata_ready
from mash.broker.config import (
    ADMIN_USER,
    BrokerConfig,
    format_command,
    java_command,
    render_properties,
    server_properties,
)
from mash.broker.credentials import ensure_password
from mash.broker.jars import ensure_jars
from mash.broker.prereqs import require_free_ports, require_java
from mash.errors import BrokerError, ConfigError
from mash.kafka import PLAINTEXT, ClientSecurity, security_for

State = Literal["running", "stopped", "dead"]
Report = Callable[[str], None]


def _silent(_: str) -> None:
    """Default progress reporter: library callers (tests) want no output."""


@dataclass(frozen=True)
class BrokerStatus:
    """What ``mash broker status`` reports; ``pid`` is the recorded one, even when dead."""

    state: State
    pid: int | None
    bootstrap: str
    data_dir: str
    log_file: str

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class StartResult:
    """What a start did: ``started`` is False when the broker was already running (no-op)."""

    started: bool
    pid: int
    bootstrap: str
    seconds: float
    recovered_from_dead: bool = False


def status(config: BrokerConfig) -> BrokerStatus:
    """Running (the recorded pid is our broker), dead (pid recorded, process gone), or stopped."""
    pid = process.read_pid(config.pid_file)
    if pid is None:
        state: State = "stopped"
    elif process.is_broker(pid, config.properties_file):
        state = "running"
    else:
        state = "dead"
    return BrokerStatus(state, pid, config.bootstrap, str(config.data_dir), str(config.log_file))


def new_cluster_id() -> str:
    """A Kafka cluster id: 16 random bytes, URL-safe base64 without padding (22 characters)."""
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")


def start(config: BrokerConfig, report: Report = _silent) -> StartResult:
    """Start the broker unless it runs already, and return once clients can use it."""
    with process.file_lock(config.data_dir / ".lock"):
        return _start(config, report)


def stop(config: BrokerConfig, report: Report = _silent) -> BrokerStatus:
    """Controlled shutdown (SIGTERM), SIGKILL only if it hangs; a stopped broker is a no-op.

    Returns the status seen before stopping, so the caller can say what it did.
    """
    with process.file_lock(config.data_dir / ".lock"):
        return _stop(config, report)


def _start(config: BrokerConfig, report: Report) -> StartResult:
    began = time.monotonic()
    current = status(config)
    if current.state == "running" and current.pid is not None:
        _wait_ready(config, current.pid, began, ours=False)
        return StartResult(False, current.pid, config.bootstrap, time.monotonic() - began)
    config = _with_security(config)
    recovered = current.state == "dead"
    if recovered:
        report(f"the broker (pid {current.pid}) had died; starting it again with its data")
        process.remove_pid(config.pid_file)
    ports = [("MASH_KAFKA_PORT", config.port), ("MASH_CONTROLLER_PORT", config.controller_port)]
    if config.secure:
        ports.append(("MASH_BROKER_INTERNAL_PORT", config.broker_port))
    require_free_ports(config.host, ports)
    java = require_java()
    ensure_jars(config, report)
    _write_config(config)
    _format_storage(java, config, report)
    report(f"starting Kafka on {config.bootstrap}")
    _rotate_log(config)
    pid = process.launch(java_command(java, config), config.log_file)
    process.write_pid(config.pid_file, pid)
    report(f"waiting for the broker (pid {pid}) to answer a metadata request")
    _wait_ready(config, pid, began)
    return StartResult(True, pid, config.bootstrap, time.monotonic() - began, recovered)


def _stop(config: BrokerConfig, report: Report) -> BrokerStatus:
    current = status(config)
    if current.state == "running" and current.pid is not None:
        report(f"stopping the broker (pid {current.pid})")
        clean = process.terminate(current.pid, config.properties_file, config.stop_timeout_s)
        if not clean:
            report(f"controlled shutdown took over {config.stop_timeout_s:.0f} s: killed it")
    process.remove_pid(config.pid_file)
    return current


def _with_security(config: BrokerConfig) -> BrokerConfig:
    """The config with the admin password filled in when the broker is (or was) secure.

    A data directory formatted for SASL stays secure on every later start, even without
    ``--secure``: silently coming back without authentication would open every topic. The
    reverse (securing storage formatted without the admin's SCRAM credential) is refused.
    """
    was_secure = config.secure_marker.exists()
    formatted = (config.log_dir / "meta.properties").exists()
    if config.secure and formatted and not was_secure:
        raise ConfigError(
            f"the broker storage in {config.data_dir} was formatted without SASL: use a new "
            "MASH_BROKER_DATA (or MASH_HOME) for a secure broker"
        )
    if not (config.secure or was_secure):
        return config
    password = ensure_password(config.secrets, ADMIN_USER)
    return dataclasses.replace(config, secure=True, admin_password=password)


def admin_security(config: BrokerConfig) -> ClientSecurity:
    """Who the broker's own checks connect as: the admin on a secure broker, and explicitly
    PLAINTEXT otherwise (whatever this process's MASH_SECURITY_PROTOCOL says)."""
    if config.secure_marker.exists() or config.secure:
        return security_for(config.secrets, ADMIN_USER)
    return PLAINTEXT


def _write_config(config: BrokerConfig) -> None:
    """Regenerate server.properties and the log4j2 config on every start (ports may change).

    The file holds the admin password on a secure broker: owner-only, like the secrets dir.
    """
    config.data_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(config.properties_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(render_properties(server_properties(config)))
    config.log4j_file.write_bytes((resources.files("mash.broker") / "log4j2.yaml").read_bytes())


def _format_storage(java: str, config: BrokerConfig, report: Report) -> None:
    """Format the KRaft log directory once; the cluster id lives in the data dir for good."""
    if (config.log_dir / "meta.properties").exists():
        return
    if config.cluster_id_file.exists():
        cluster_id = config.cluster_id_file.read_text().strip()
    else:
        cluster_id = new_cluster_id()
        config.cluster_id_file.write_text(cluster_id + "\n")
    report(f"formatting the broker storage (cluster id {cluster_id})")
    try:
        result = subprocess.run(
            format_command(java, config, cluster_id),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise BrokerError("formatting the broker storage took over 120 s") from exc
    if result.returncode != 0:
        output = "\n".join((result.stdout + result.stderr).strip().splitlines()[-15:])
        if config.admin_password:
            output = output.replace(config.admin_password, "***")
        raise BrokerError(f"formatting the broker storage failed:\n{output}")
    if config.secure:
        config.secure_marker.write_text("SASL_PLAINTEXT\n")


def _rotate_log(config: BrokerConfig) -> None:
    """Keep the previous run's log as broker.log.1: after a crash it says why."""
    if config.log_file.exists():
        config.log_file.replace(config.log_file.with_name(config.log_file.name + ".1"))


def _wait_ready(config: BrokerConfig, pid: int, began: float, ours: bool = True) -> None:
    """Poll with metadata requests until the broker answers, it dies, or time runs out.

    A broker this call launched (``ours``) is stopped on timeout, so a failed start leaves
    nothing half-running; one that was already running is left alone.
    """
    deadline = began + config.start_timeout_s
    while True:
        if not process.is_broker(pid, config.properties_file):
            process.remove_pid(config.pid_file)
            raise BrokerError(
                f"the broker exited during start-up; last lines of {config.log_file}:\n"
                + process.tail(config.log_file)
            )
        if metadata_ready(config.bootstrap, 2.0, security=admin_security(config)):
            return
        if time.monotonic() >= deadline:
            if ours:
                process.terminate(pid, config.properties_file, 15.0)
                process.remove_pid(config.pid_file)
            raise BrokerError(
                f"the broker (pid {pid}) did not answer a metadata request within "
                f"{config.start_timeout_s:.0f} s{' (stopped it)' if ours else ''}; raise "
                f"MASH_BROKER_START_TIMEOUT on a slow machine; last lines of {config.log_file}:\n"
                + process.tail(config.log_file)
            )
        time.sleep(0.3)
