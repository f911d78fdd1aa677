"""Settings from the environment (``MASH_*``), with defaults for a single laptop or CI box.

Why environment variables: the same worker image runs on a laptop, in CI and on a cluster, and
secrets must never sit in the repository. A ``mash.env`` file in ``MASH_HOME`` may set the same
names (one ``NAME=value`` per line); the process environment wins over it.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from types import MappingProxyType

from mash.domain.area import HubArea
from mash.errors import ConfigError

ENV_FILE = "$MASH_HOME/mash.env"


def mash_home() -> Path:
    """Where MASH keeps state outside the repository (broker data, jars cache, secrets)."""
    return Path(os.environ.get("MASH_HOME", Path.home() / ".mash")).expanduser()


@functools.cache
def _file_settings(home: Path) -> Mapping[str, str]:
    """``$MASH_HOME/mash.env`` as names and values, read once per process (per home).

    Once: a command asks for a dozen settings, and all of them must come from the same version
    of the file. Tests that write the file after it was read call :func:`reset_settings`.
    """
    path = home / "mash.env"
    values: dict[str, str] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                name, _, value = line.partition("=")
                values[name.strip()] = value.strip()
    return MappingProxyType(values)


def reset_settings() -> None:
    """Forget the ``mash.env`` files read so far: the next ``setting()`` reads them again."""
    _file_settings.cache_clear()


def setting(name: str, default: str | None = None) -> str | None:
    """One ``MASH_*`` setting: process environment first, then ``$MASH_HOME/mash.env``."""
    if name in os.environ:
        return os.environ[name]
    return _file_settings(mash_home()).get(name, default)


def int_setting(
    name: str, default: int, *, least: int = 1, most: int | None = None, kind: str = "whole number"
) -> int:
    """A whole-number setting in ``least..most``, or :class:`ConfigError` naming the variable
    and what it must be. Unset or blank means ``default``, which is checked too (a port
    derived from another, e.g. ``MASH_KAFKA_PORT + 1``, may fall out of range).

    The value is quoted in the message: a setting is configuration, never personal data.
    """
    text = (setting(name) or "").strip() or str(default)
    try:
        value: int | None = int(text)
    except ValueError:
        value = None
    if value is None or value < least or (most is not None and value > most):
        expected = f"from {least} to {most}" if most is not None else f"of at least {least}"
        raise ConfigError(
            f"{name}={text!r} is not a {kind} {expected} (set it in the environment "
            f"or in {ENV_FILE})"
        )
    return value


def port_setting(name: str, default: int) -> int:
    """A TCP port setting (1..65535), or :class:`ConfigError` naming it."""
    return int_setting(name, default, least=1, most=65535, kind="port number")


@dataclass(frozen=True)
class Settings:
    """Everything a command needs to find the broker, the database and its topics."""

    home: Path = field(default_factory=mash_home)
    kafka_port: int = 9092
    controller_port: int = 9093
    bootstrap: str = "127.0.0.1:9092"
    database_url: str = ""
    partitions: int = 6
    topic_prefix: str = ""
    hub_area: HubArea | None = None

    @classmethod
    def load(cls) -> Settings:
        """The settings, each checked here: a bad value is a :class:`ConfigError` naming its
        variable (exit 2), never a traceback from deep inside a command."""
        home = mash_home()
        port = port_setting("MASH_KAFKA_PORT", 9092)
        return cls(
            home=home,
            kafka_port=port,
            controller_port=port_setting("MASH_CONTROLLER_PORT", port + 1),
            bootstrap=setting("MASH_BOOTSTRAP") or f"127.0.0.1:{port}",
            database_url=setting("MASH_DATABASE_URL") or f"sqlite:///{home / 'decisions.db'}",
            partitions=int_setting("MASH_PARTITIONS", 6),
            topic_prefix=setting("MASH_TOPIC_PREFIX", "") or "",
            hub_area=hub_area(),
        )


def hub_area() -> HubArea | None:
    """``MASH_HUB_AREA``: the hub's postcode prefixes (see :mod:`mash.domain.area`); unset
    means no child is flagged OUT_OF_AREA."""
    text = setting("MASH_HUB_AREA")
    if not text or not text.strip():
        return None
    try:
        return HubArea.parse(text)
    except ValueError as exc:
        raise ConfigError(f"MASH_HUB_AREA {exc} (e.g. MASH_HUB_AREA=TS,DL1,DL2)") from None


def edt_window() -> timedelta:
    """``MASH_EDT_HOURS``: how long the emergency duty team has, from receipt, to pick up an
    s47 child referred out of hours (default 1; fractions allowed, e.g. 0.5; at most 24)."""
    text = (setting("MASH_EDT_HOURS") or "").strip() or "1"
    try:
        hours = float(text)
    except ValueError:
        hours = float("nan")
    if not 0 < hours <= 24:  # also false for NaN
        raise ConfigError(
            f"MASH_EDT_HOURS={text!r} is not a number of hours above 0 and at most 24 "
            f"(set it in the environment or in {ENV_FILE})"
        )
    return timedelta(hours=hours)
