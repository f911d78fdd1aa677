"""``mash bench --quick`` with tiny sizes against the real broker: every scenario runs, the JSON
has every key with sane values, and the run's topics are gone afterwards. No timing is
asserted: the figures depend on the machine; only their shape and consistency are tested."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mash.bench.report import KEYS

MASH = Path(sys.executable).with_name("mash")
REFERRALS = 60
PEOPLE = 600


def _run_bench(bootstrap: str, home: Path, out: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MASH_BOOTSTRAP": bootstrap, "MASH_HOME": str(home)}
    command = [
        str(MASH),
        "bench",
        "--quick",
        "--referrals",
        str(REFERRALS),
        "--people",
        str(PEOPLE),
        "--baseline",
        "300",
        "--latency-s",
        "1",
        "--rate",
        "50",
        "--sink",
        "40",
        "--partitions",
        "2",
        "--json",
        str(out),
    ]
    return subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=600, check=False
    )


@pytest.fixture(scope="module")
def bench_run(
    kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    base = tmp_path_factory.mktemp("bench")
    out = base / "bench.json"
    done = _run_bench(kafka_bootstrap, base, out)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return done, json.loads(out.read_text())


def _positive(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


def test_every_key_is_present_with_a_figure_or_a_reason(
    bench_run: tuple[subprocess.CompletedProcess[str], dict[str, Any]],
) -> None:
    _, doc = bench_run
    for key in KEYS:
        assert key in doc
        assert doc[key] is not None or key in doc["reasons"], key
    expected_figures = (
        "baseline_msgs_per_s",
        "e2e_referrals_per_s",
        "e2e_children_per_s",
        "route_referrals_per_s",
        "sink_sqlite_per_s",
        "restart_s",
        "worker_peak_rss_mb",
    )
    for key in expected_figures:
        assert _positive(doc[key]), (key, doc[key], doc["reasons"].get(key))


def test_figures_are_consistent(
    bench_run: tuple[subprocess.CompletedProcess[str], dict[str, Any]],
) -> None:
    _, doc = bench_run
    assert doc["ratio"] == round(doc["e2e_referrals_per_s"] / doc["baseline_msgs_per_s"], 3)
    latency = doc["latency_ms"]
    assert latency["p50"] <= latency["p95"] <= latency["p99"] <= latency["max"]
    e2e = doc["scenarios"]["e2e"]
    assert e2e["referrals"] == REFERRALS
    assert e2e["decisions"] >= e2e["children"] >= REFERRALS
    assert e2e["queued"] >= e2e["children"]
    assert doc["e2e_children_per_s"] >= doc["e2e_referrals_per_s"]
    assert doc["scenarios"]["route"]["referrals"] == REFERRALS
    assert doc["scenarios"]["route"]["bad"] == 0
    assert doc["scenarios"]["restart"]["people"] == PEOPLE
    assert doc["scenarios"]["latency"]["measured"] == doc["scenarios"]["latency"]["children"]


def test_postgres_figure_or_reason(
    bench_run: tuple[subprocess.CompletedProcess[str], dict[str, Any]],
) -> None:
    _, doc = bench_run
    if os.environ.get("MASH_TEST_POSTGRES_URL"):
        assert _positive(doc["sink_postgres_per_s"]), doc["reasons"].get("sink_postgres_per_s")
    else:
        assert doc["sink_postgres_per_s"] is None
        assert "PostgreSQL" in doc["reasons"]["sink_postgres_per_s"]


def test_machine_and_load_are_recorded(
    bench_run: tuple[subprocess.CompletedProcess[str], dict[str, Any]],
) -> None:
    _, doc = bench_run
    machine = doc["machine"]
    assert machine["cores"] == os.cpu_count()
    assert machine["memory_gb"] > 0
    assert machine["cpu_model"]
    assert len(machine["load_avg"]) == 3
    for name in ("baseline", "e2e", "latency", "route", "sink", "restart", "rss"):
        load = doc["scenarios"][name]["load_avg"]
        assert load["start"] is not None and load["end"] is not None, name


def test_table_is_printed_and_topics_are_deleted(
    bench_run: tuple[subprocess.CompletedProcess[str], dict[str, Any]],
    kafka_bootstrap: str,
) -> None:
    done, doc = bench_run
    assert "end-to-end referrals" in done.stdout
    assert "offline route" in done.stdout
    from mash.broker.admin import admin_client

    prefix = doc["run"]["topic_prefix"]
    assert doc["run"]["topics_deleted"] > 0
    with admin_client(kafka_bootstrap, timeout_s=30) as client:
        left = [name for name in client.list_topics() if name.startswith(prefix)]
    assert left == []
