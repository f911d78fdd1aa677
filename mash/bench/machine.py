"""What the benchmark ran on, and how busy it was: every figure is only meaningful with these.

Read from ``/proc`` and ``os`` (psutil is not a dependency): cores, memory, CPU model, load
average, and the peak resident memory of a process (``VmHWM``, the kernel's high-water mark,
so a peak between two samples is never missed).
"""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any

PROC = Path("/proc")


def load_avg() -> float | None:
    """The one-minute load average, or ``None`` where the system does not report one."""
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def _meminfo_gb(proc: Path) -> float | None:
    try:
        for line in (proc / "meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except (OSError, ValueError, IndexError):
        return None
    return None


def _cpu_model(proc: Path) -> str:
    try:
        for line in (proc / "cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def machine_info(proc: Path = PROC) -> dict[str, Any]:
    """Cores, memory (GiB), CPU model, Python and the load averages (1, 5, 15 min) now."""
    try:
        loads: list[float] | None = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        loads = None
    return {
        "cores": os.cpu_count(),
        "memory_gb": _meminfo_gb(proc),
        "cpu_model": _cpu_model(proc),
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
        "load_avg": loads,
    }


def peak_rss_mb(pid: int, proc: Path = PROC) -> float | None:
    """Peak resident memory of a running process in MiB (``VmHWM``), ``None`` if unknown."""
    try:
        text = (proc / str(pid) / "status").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("VmHWM:"):
            parts = line.split()
            try:
                return round(int(parts[1]) / 1024, 1)  # reported in kB
            except (ValueError, IndexError):
                return None
    return None


def pin_to_one_core() -> set[int] | None:
    """Restrict this process to one CPU (the last it may use); returns the previous set so
    the caller can restore it, or ``None`` where affinity cannot be set."""
    getter = getattr(os, "sched_getaffinity", None)
    setter = getattr(os, "sched_setaffinity", None)
    if getter is None or setter is None:
        return None
    before: set[int] = set(getter(0))
    try:
        setter(0, {max(before)})
    except OSError:
        return None
    return before


def restore_affinity(before: set[int] | None) -> None:
    """Undo :func:`pin_to_one_core`."""
    setter = getattr(os, "sched_setaffinity", None)
    if before is not None and setter is not None:
        setter(0, before)
