"""``mash worker`` subprocesses for the stream scenarios: started with the run's topic prefix,
watched for their peak memory, and always stopped by the run that started them.

Each worker runs in its own session (process group), so stopping it signals exactly the
processes this run started and nothing else.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from mash.bench.machine import peak_rss_mb

STOP_TIMEOUT_S: Final = 60.0


def mash_command() -> list[str]:
    """How to run ``mash`` from this interpreter: the console script next to it, else the
    module entry point."""
    script = Path(sys.executable).with_name("mash")
    if script.is_file():
        return [str(script)]
    found = shutil.which("mash")
    if found:
        return [found]
    return [sys.executable, "-c", "from mash.cli import main; main()"]


def worker_available() -> str | None:
    """``None`` when ``mash worker`` exists, else why the stream scenarios cannot run."""
    try:
        done = subprocess.run(
            [*mash_command(), "worker", "--help"], capture_output=True, timeout=120, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"worker not available ({type(exc).__name__})"
    return None if done.returncode == 0 else "worker not available"


@dataclass
class Worker:
    """One ``mash worker`` process and its log file."""

    proc: subprocess.Popen[bytes]
    log: Path
    peak_mb: float | None = None

    def alive(self) -> bool:
        return self.proc.poll() is None

    def sample_rss(self) -> float | None:
        """Read the process's peak resident memory now (kept after it exits)."""
        peak = peak_rss_mb(self.proc.pid)
        if peak is not None:
            self.peak_mb = max(peak, self.peak_mb or 0.0)
        return self.peak_mb

    def stop(self) -> int | None:
        """SIGTERM (a graceful stop that commits), then SIGKILL if it will not go."""
        self.sample_rss()
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                return self.proc.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
        return self.proc.wait(STOP_TIMEOUT_S)


@dataclass
class WorkerPool:
    """The workers of one run; :meth:`stop_all` ends every one still running."""

    bootstrap: str
    prefix: str
    home: Path
    started: list[Worker] = field(default_factory=list)

    def start(self, name: str, records_wait_s: float) -> Worker:
        env = {
            **os.environ,
            "MASH_BOOTSTRAP": self.bootstrap,
            "MASH_TOPIC_PREFIX": self.prefix,
            "MASH_HOME": str(self.home),
        }
        log = self.home / f"{name}.log"
        command = [
            *mash_command(),
            "worker",
            "--loglevel",
            "warn",
            "--session-timeout",
            "6",
            "--records-wait",
            f"{records_wait_s:.0f}",
        ]
        with log.open("ab") as out:
            proc = subprocess.Popen(
                command,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        worker = Worker(proc, log)
        self.started.append(worker)
        return worker

    def running(self) -> list[Worker]:
        return [worker for worker in self.started if worker.alive()]

    def any_alive(self) -> bool:
        return bool(self.running())

    def stop_all(self) -> None:
        for worker in self.started:
            with contextlib.suppress(OSError, subprocess.TimeoutExpired):
                worker.stop()

    def peak_rss_mb(self) -> float | None:
        """The highest peak resident memory of any worker of the run."""
        for worker in self.running():
            worker.sample_rss()
        peaks = [worker.peak_mb for worker in self.started if worker.peak_mb is not None]
        return max(peaks) if peaks else None

    def log_tail(self, lines: int = 20) -> str:
        """The end of the last worker's log, for an error message (the worker logs ids and
        counts only)."""
        if not self.started:
            return ""
        text = self.started[-1].log.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])
