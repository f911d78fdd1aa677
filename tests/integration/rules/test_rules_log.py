"""``mash route --db`` then ``mash whatif``, through a real decision log (SQLite file)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from datafiles import VIGNETTES

from mash.cli import main
from mash.rules import DEFAULT_RULES


def run(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["mash", *args])
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def logged(tmp_path: Path, capsys: Any, monkeypatch: Any) -> str:
    """Every vignette routed with --db into a fresh SQLite log; returns the URL."""
    url = f"sqlite:///{tmp_path / 'log.db'}"
    for agency in ("police", "health", "council"):
        code, _, err = run(
            capsys,
            monkeypatch,
            "route",
            agency,
            str(VIGNETTES / f"{agency}.jsonl"),
            "--records",
            str(VIGNETTES / "records"),
            "--db",
            url,
            "--received-at",
            "2026-11-26T10:00:00Z",
        )
        assert code == 0, err
        assert "new in the decision log" in err
    return url


def test_route_twice_logs_each_decision_once(logged: str, capsys: Any, monkeypatch: Any) -> None:
    from mash.audit.store import open_log

    assert open_log(logged).count() == 14
    code, _, err = run(
        capsys,
        monkeypatch,
        "route",
        "police",
        str(VIGNETTES / "police.jsonl"),
        "--records",
        str(VIGNETTES / "records"),
        "--db",
        logged,
    )
    assert code == 0 and "0 new in the decision log" in err
    assert open_log(logged).count() == 14


def test_whatif_shows_the_children_removed_rules_move_down(
    logged: str, tmp_path: Path, capsys: Any, monkeypatch: Any
) -> None:
    data = yaml.safe_load(DEFAULT_RULES.read_text())
    removed = ["l2.developmental-delay", "l2.missed-immunisations"]
    data["rules"] = [r for r in data["rules"] if r["id"] not in removed]
    proposed = tmp_path / "proposed.yaml"
    proposed.write_text(yaml.safe_dump(data, sort_keys=False))

    code, out, _ = run(
        capsys, monkeypatch, "whatif", "--rules", str(proposed), "--db", logged, "--json"
    )
    report = json.loads(out)
    assert code == 0 and report["total"] == 14 and report["unchanged"] == 13
    assert report["matrix"]["caf"]["universal"] == 1
    [down] = report["downgrades"]
    assert (down["source_id"], down["old_route"], down["new_route"]) == (
        "NHS-V02",
        "caf",
        "universal",
    )
    assert sorted(down["lost_rules"]) == removed

    code, out, _ = run(
        capsys, monkeypatch, "whatif", "--rules", str(proposed), "--db", logged, "--fail-on-down"
    )
    assert code == 1
    assert "would go DOWN" in out and "NHS-V02" in out and "caf -> universal" in out

    code, out, _ = run(
        capsys,
        monkeypatch,
        "whatif",
        "--rules",
        str(DEFAULT_RULES),
        "--db",
        logged,
        "--fail-on-down",
        "--since",
        "2000-01-01",
    )
    assert code == 0 and "14 unchanged, 0 down" in out
