"""The broker as an operating-system process: launch detached, pid file, liveness, signals.

The broker must outlive the ``mash broker start`` that launched it, and must not become a child
of a long-lived Python process (a test session): a killed child that nobody reaps stays a zombie
and still looks alive. So the launch goes through ``sh``, which puts the JVM in the background
of a new session and exits; the JVM is then adopted by init and reaped there.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import subprocess
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from mash.errors import BrokerError

# sh runs "$@" in the background with stdout/stderr appended to the log, prints its pid, exits.
_PROC = Path("/proc")
_LAUNCHER = 'log=$1; shift; "$@" </dev/null >>"$log" 2>&1 & echo $!'


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """An exclusive advisory lock held for the block (released by the OS if we die)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def read_pid(pid_file: Path) -> int | None:
    """The pid recorded by the last start, or None (no file, or a file we cannot read)."""
    try:
        return int(pid_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def write_pid(pid_file: Path, pid: int) -> None:
    pid_file.write_text(f"{pid}\n")


def remove_pid(pid_file: Path) -> None:
    pid_file.unlink(missing_ok=True)


def _ps(pid: int, field: str) -> str:
    """One ``ps`` column, for systems without /proc (macOS)."""
    result = subprocess.run(
        ["ps", "-o", f"{field}=", "-p", str(pid)], capture_output=True, text=True, check=False
    )
    return result.stdout.strip()


def _state(pid: int) -> str | None:
    """The process state letter (``Z`` for a zombie), or None if it is gone."""
    if not _PROC.is_dir():
        return _ps(pid, "state")[:1] or None
    try:
        stat = (_PROC / str(pid) / "stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return stat.rpartition(")")[2].split()[0]


def _cmdline(pid: int) -> str:
    if not _PROC.is_dir():
        return _ps(pid, "command")
    try:
        raw = (_PROC / str(pid) / "cmdline").read_bytes()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return ""
    return raw.replace(b"\0", b" ").decode(errors="replace")


def is_broker(pid: int, properties_file: Path) -> bool:
    """True when ``pid`` is alive and is the broker of this data dir.

    Checking the command line guards against pid reuse: after a reboot or a kill -9 the pid in
    the file may belong to some unrelated process, which must never be signalled.
    """
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reap it if it happens to be our child
    state = _state(pid)
    if state is None or state in {"Z", "X"}:
        return False
    command = _cmdline(pid)
    return "kafka.Kafka" in command and str(properties_file) in command


def launch(command: Sequence[str], log_file: Path) -> int:
    """Start ``command`` detached (own session, stdin closed, output to ``log_file``)."""
    try:
        result = subprocess.run(
            ["sh", "-c", _LAUNCHER, "mash-broker-launcher", str(log_file), *command],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
            start_new_session=True,
        )
        return int(result.stdout.strip())
    except (OSError, subprocess.SubprocessError, ValueError) as exc:
        raise BrokerError(f"could not launch the broker process: {exc}") from exc


def wait_gone(pid: int, properties_file: Path, timeout_s: float) -> bool:
    """Wait until the broker process has exited; False if it is still there at the deadline."""
    deadline = time.monotonic() + timeout_s
    while is_broker(pid, properties_file):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.2)
    return True


def terminate(pid: int, properties_file: Path, timeout_s: float) -> bool:
    """SIGTERM (Kafka's controlled shutdown), then SIGKILL as a last resort.

    Returns True when the controlled shutdown finished in time, False when it had to be killed.
    """
    if not is_broker(pid, properties_file):
        return True
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    if wait_gone(pid, properties_file, timeout_s):
        return True
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    if not wait_gone(pid, properties_file, 15.0):
        raise BrokerError(f"broker process {pid} did not exit even after SIGKILL")
    return False


def tail(path: Path, lines: int = 30) -> str:
    """The last lines of a log file (the broker's own log: no personal data is logged there)."""
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - 64 * 1024))
            text = handle.read().decode(errors="replace")
    except FileNotFoundError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:])
