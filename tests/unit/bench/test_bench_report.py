"""The pure parts of ``mash bench``: percentiles, scenario selection, sizes and the JSON
document and table built from scenario outcomes."""

from __future__ import annotations

import pytest

from mash.bench.config import QUICK, SCENARIOS, parse_only, sizes_for
from mash.bench.report import KEYS, Outcome, document, latency_summary, percentile, table_rows
from mash.errors import UsageError


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.5) == 50.0
    assert percentile(values, 0.99) == 99.0
    assert percentile([7.0], 0.99) == 7.0
    summary = latency_summary([5.0, 1.0, 3.0])
    assert summary == {"p50": 3.0, "p95": 5.0, "p99": 5.0, "max": 5.0}


def test_only_accepts_repeats_and_commas_and_refuses_unknown_names() -> None:
    assert parse_only(None) == frozenset(SCENARIOS)
    assert parse_only(["route,sink", "baseline"]) == {"route", "sink", "baseline"}
    with pytest.raises(UsageError, match="nonsense"):
        parse_only(["route,nonsense"])


def test_sizes_take_overrides() -> None:
    sizes = sizes_for(True, referrals=10, people=None)
    assert sizes.referrals == 10
    assert sizes.people == QUICK.people
    assert sizes_for(True, latency_s=2.0, rate=50).latency_referrals == 100
    with pytest.raises(UsageError):
        sizes_for(True, referrals=0)


def _doc(outcomes: dict[str, Outcome]) -> dict[str, object]:
    return document(
        machine={"cores": 2},
        config={"quick": True},
        scenarios=outcomes,
        loads={"e2e": {"start": 1.0, "end": 2.0}},
        duration_s=1.0,
        started_at="2026-01-01T00:00:00Z",
    )


def test_document_has_every_key_and_derives_the_ratio() -> None:
    doc = _doc(
        {
            "baseline": Outcome({"baseline_msgs_per_s": 1000.0}),
            "e2e": Outcome(
                {"e2e_referrals_per_s": 400.0, "e2e_children_per_s": 480.0}, {"referrals": 10}
            ),
        }
    )
    assert set(KEYS) <= doc.keys()
    assert doc["ratio"] == 0.4
    reasons = doc["reasons"]
    assert isinstance(reasons, dict)
    assert "route_referrals_per_s" in reasons and "ratio" not in reasons
    scenarios = doc["scenarios"]
    assert isinstance(scenarios, dict)
    assert scenarios["e2e"] == {"referrals": 10, "load_avg": {"start": 1.0, "end": 2.0}}


def test_a_failed_figure_keeps_its_reason_and_the_table_says_na() -> None:
    outcome = Outcome()
    outcome.fail("restart_s", "worker not available")
    doc = _doc({"restart": outcome})
    assert doc["restart_s"] is None
    assert doc["reasons"]["restart_s"] == "worker not available"  # type: ignore[index]
    rows = {row[0]: row for row in table_rows(doc)}
    assert rows["6 worker restart"][1] == "n/a"
