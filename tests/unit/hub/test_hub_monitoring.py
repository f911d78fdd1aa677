"""deploy/monitoring: the Prometheus rules name only metrics the project registers, and every
Alertmanager route goes to a receiver that exists (promtool checks the rules where installed)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client import REGISTRY
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families

from mash.hub.sla import AlertKind

MONITORING = Path(__file__).resolve().parents[3] / "deploy" / "monitoring"
METRIC = re.compile(r"\bmash_[a-z0-9_]+\b")
SUFFIXES = {"counter": ("_total", "_created"), "histogram": ("_bucket", "_sum", "_count")}


def _names(families: Iterable[Metric]) -> set[str]:
    """Every series name a family can expose: its own, its samples' and its type's suffixes."""
    names: set[str] = set()
    for family in families:
        names.add(family.name)
        names.update(f"{family.name}{s}" for s in SUFFIXES.get(family.type, ()))
        names.update(sample.name for sample in family.samples)
    return names


def registered() -> set[str]:
    """The tracker's metrics (default registry, on import) and the board's (its /metrics over
    an empty hub: every family is there, at zero)."""
    import mash.hub.tracker  # noqa: F401  (registers its counter and gauge)
    from mash.hub.live import LiveLedger
    from mash.hub.metrics import exposition
    from mash.hub.sla import ELAPSED

    board = exposition(LiveLedger(), lambda: datetime(2026, 3, 2, tzinfo=UTC), ELAPSED)
    return _names(REGISTRY.collect()) | _names(text_string_to_metric_families(board.decode()))


def _rules() -> list[dict[str, Any]]:
    document = yaml.safe_load((MONITORING / "alert-rules.yml").read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


def test_every_rule_names_only_metrics_the_project_registers() -> None:
    known = registered()
    assert {"mash_tracker_alerts_total", "mash_deadletters_open"} <= known
    for rule in _rules():
        used = set(METRIC.findall(str(rule["expr"])))
        assert used, f"{rule['alert']} names no mash_ metric"
        assert used <= known, f"{rule['alert']} names unregistered {sorted(used - known)}"


def test_every_tracker_alert_kind_has_a_rule_and_dead_letters_have_theirs() -> None:
    exprs = " ".join(str(rule["expr"]) for rule in _rules())
    for kind in AlertKind:
        assert f'kind="{kind.value}"' in exprs, kind
    assert "mash_deadletters_open" in exprs and "mash_deadletters_overdue" in exprs
    for rule in _rules():
        assert rule["alert"].startswith("Mash") and rule["labels"]["severity"]


def _routes(route: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield route
    for child in route.get("routes") or ():
        yield from _routes(child)


def test_alertmanager_routes_go_to_defined_receivers_edt_alerts_to_the_edt_mailbox() -> None:
    config = yaml.safe_load((MONITORING / "alertmanager.yml").read_text())
    receivers = {r["name"]: r for r in config["receivers"]}
    routes = list(_routes(config["route"]))
    assert all(route["receiver"] in receivers for route in routes)
    edt = [r for r in routes if 'team="edt"' in r.get("matchers", ())]
    assert [r["receiver"] for r in edt] == ["edt-mailbox"]
    breaches = [r for r in routes if "MashSlaBreach" in " ".join(r.get("matchers", ()))]
    assert breaches and breaches[0]["receiver"] == "edt-mailbox"
    assert all(r["labels"]["team"] == "edt" for r in _rules() if r["alert"].startswith("MashEdt"))
    mailbox = receivers["edt-mailbox"]["email_configs"][0]["to"]
    assert mailbox.endswith("example.invalid")  # a placeholder, never a real address
    assert config["global"]["smtp_smarthost"].startswith("smtp.example.invalid")


def test_promtool_accepts_the_rules() -> None:
    """Prometheus's own check (Debian's ``prometheus`` package); a skip without it, a failure
    under MASH_REQUIRE_PROMTOOL=1 (CI installs it)."""
    promtool = shutil.which("promtool")
    if promtool is None:
        if os.environ.get("MASH_REQUIRE_PROMTOOL") == "1":
            pytest.fail("promtool is not installed (apt-get install prometheus)")
        pytest.skip("promtool is not installed (apt-get install prometheus)")
    result = subprocess.run(
        [promtool, "check", "rules", str(MONITORING / "alert-rules.yml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
