"""What one ``mash worker`` process needs to know, in one frozen value.

Built from :class:`mash.config.Settings` (the ``MASH_*`` environment) plus the command's
options, and handed to :func:`mash.stream.app.create_app`, so tests can run a worker against
their own topic prefix and consumer group.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

from mash.config import Settings
from mash.domain.area import HubArea
from mash.errors import UsageError
from mash.topics import Topics

GROUP: Final = "mash-worker"
"""Consumer group (and Faust app id) of the workers, after the topic prefix."""


@dataclass(frozen=True)
class WorkerConfig:
    """Settings of one worker process.

    - ``group``: every worker of one hub shares it, so Kafka splits the ingest partitions
      between them (scale-out) and hands a dead worker's partitions to the others.
    - ``records_wait_s``: how long ingest waits at start-up for the record topics to load. A
      kind still loading is UNAVAILABLE, which fails upward (assessment, CHECKS_INCOMPLETE):
      safe, but a restart should not flood the hub with over-routed children, so the worker
      waits for the records first, and routes anyway once the wait is over.
    - ``batch_size``: the most messages one ingest step takes (it never waits to fill up); a
      step's outputs are sent together and confirmed before its input offsets are committed.
    - ``session_timeout_s``: how quickly Kafka notices a killed worker and moves its
      partitions to the others (the broker's minimum is 6 s).
    - ``web_port``: Faust's web server, off unless a port is given, so that several workers
      on one machine never fight over port 6066.
    """

    bootstrap: str
    topics: Topics
    group: str
    data_dir: Path
    rules_path: Path | None = None
    records_wait_s: float = 120.0
    batch_size: int = 500
    session_timeout_s: float = 10.0
    commit_interval_s: float = 1.0
    web_port: int | None = None
    stats_interval_s: float = 30.0
    area: HubArea | None = None

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise UsageError(f"--batch must be at least 1, not {self.batch_size}")
        if self.records_wait_s < 0:
            raise UsageError("--records-wait must not be negative")
        if self.session_timeout_s < 6:
            raise UsageError("--session-timeout must be at least 6 seconds (Kafka's minimum)")
        if self.web_port is not None and not 0 < self.web_port < 65536:
            raise UsageError(f"--web-port {self.web_port} is not a port number")

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        group: str | None = None,
        rules_path: Path | None = None,
        records_wait_s: float = 120.0,
        batch_size: int = 500,
        session_timeout_s: float = 10.0,
        web_port: int | None = None,
    ) -> WorkerConfig:
        """The worker of a deployment: its broker, its prefixed topics and group."""
        prefix = settings.topic_prefix
        name = group or f"{prefix}{GROUP}"
        return cls(
            bootstrap=settings.bootstrap,
            topics=Topics(prefix),
            group=name,
            data_dir=settings.home / "worker" / name,
            rules_path=rules_path,
            records_wait_s=records_wait_s,
            batch_size=batch_size,
            session_timeout_s=session_timeout_s,
            web_port=web_port,
            area=settings.hub_area,
        )
