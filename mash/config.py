"""Settings from the environment (``MASH_*``), with defaults for a single laptop or CI box.

Why environment variables: the same worker image runs on a laptop, in CI and on a cluster, and
secrets must never sit in the repository. A ``mash.env`` file in ``MASH_HOME`` may set the same
names (one ``NAME=value`` per line); the process environment wins over it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from mash.domain.area import HubArea
from mash.errors import ConfigError


def mash_home() -> Path:
    """Where MASH keeps state outside the repository (broker data, jars cache, secrets)."""
    return Path(os.environ.get("MASH_HOME", Path.home() / ".mash")).expanduser()


def _file_settings(home: Path) -> dict[str, str]:
    path = home / "mash.env"
    values: dict[str, str] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                name, _, value = line.partition("=")
                values[name.strip()] = value.strip()
    return values


def setting(name: str, default: str | None = None) -> str | None:
    """One ``MASH_*`` setting: process environment first, then ``$MASH_HOME/mash.env``."""
    if name in os.environ:
        return os.environ[name]
    return _file_settings(mash_home()).get(name, default)


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
        home = mash_home()
        port = int(setting("MASH_KAFKA_PORT", "9092") or 9092)
        return cls(
            home=home,
            kafka_port=port,
            controller_port=int(setting("MASH_CONTROLLER_PORT", str(port + 1)) or port + 1),
            bootstrap=setting("MASH_BOOTSTRAP") or f"127.0.0.1:{port}",
            database_url=setting("MASH_DATABASE_URL") or f"sqlite:///{home / 'decisions.db'}",
            partitions=int(setting("MASH_PARTITIONS", "6") or 6),
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
