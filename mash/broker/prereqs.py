"""Checks that run before anything starts: a JDK 17+, Maven (only to fetch jars), free ports.

Each failure is a :class:`~mash.errors.ConfigError` that names the missing piece and how to get
it, so a newcomer on a fresh machine knows what to install instead of reading a Java stack trace.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
from collections.abc import Iterable
from pathlib import Path

from mash.errors import ConfigError

MIN_JAVA = 17

_JAVA_VERSION = re.compile(r'version "(?P<version>[^"]+)"')

INSTALL_JAVA = (
    "install a JDK 17 or newer (Debian/Ubuntu: `apt-get install openjdk-17-jdk-headless`; "
    "macOS: `brew install openjdk@17`) or point JAVA_HOME at one"
)
INSTALL_MAVEN = (
    "install Maven (Debian/Ubuntu: `apt-get install maven`; macOS: `brew install maven`)"
)


def java_major(version_output: str) -> int | None:
    """The major version from ``java -version`` output (``1.8.0_x`` is 8, ``17.0.15`` is 17)."""
    match = _JAVA_VERSION.search(version_output)
    if not match:
        return None
    parts = re.split(r"[._+-]", match.group("version"))
    try:
        first = int(parts[0])
        return int(parts[1]) if first == 1 and len(parts) > 1 else first
    except ValueError:
        return None


def find_java() -> str:
    """The ``java`` to run the broker with: ``$JAVA_HOME/bin/java`` first, else the PATH's."""
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").is_file():
        return str(Path(java_home) / "bin" / "java")
    found = shutil.which("java")
    if not found:
        raise ConfigError(f"no `java` found: Kafka {MIN_JAVA}+ needs one; {INSTALL_JAVA}")
    return found


def require_java() -> str:
    """Path of a Java 17+ executable, or a ConfigError saying which version was found."""
    java = find_java()
    try:
        result = subprocess.run(
            [java, "-version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ConfigError(f"`{java} -version` did not run ({exc}); {INSTALL_JAVA}") from exc
    major = java_major(result.stderr + result.stdout)
    if major is None:
        raise ConfigError(f"could not tell the version of {java}; {INSTALL_JAVA}")
    if major < MIN_JAVA:
        raise ConfigError(f"{java} is Java {major}; Kafka 4 needs Java {MIN_JAVA}+: {INSTALL_JAVA}")
    return java


def require_maven() -> str:
    """Path of ``mvn``; only needed when the jars are not in the cache yet."""
    found = shutil.which("mvn")
    if not found:
        raise ConfigError(
            f"no `mvn` found: the broker's jars come from Maven Central through Maven; "
            f"{INSTALL_MAVEN}"
        )
    return found


def port_in_use(host: str, port: int) -> bool:
    """True when something already listens on ``host:port``.

    SO_REUSEADDR makes a socket left in TIME_WAIT by a broker that just stopped count as free,
    as it is for Kafka itself (Java server sockets set the same option).
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


def require_free_ports(host: str, ports: Iterable[tuple[str, int]]) -> None:
    """Fail naming every busy port and the setting that moves it."""
    busy = [(name, port) for name, port in ports if port_in_use(host, port)]
    if busy:
        listed = " and ".join(f"{port} ({name})" for name, port in busy)
        noun = "ports" if len(busy) > 1 else "port"
        raise ConfigError(
            f"{noun} {listed} on {host} already in use by another process: stop it, or choose "
            "free ports with MASH_KAFKA_PORT and MASH_CONTROLLER_PORT (in the environment or in "
            "$MASH_HOME/mash.env)"
        )


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on right now (for tests and throwaway brokers)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])
