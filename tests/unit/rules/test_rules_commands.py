"""``mash rules check``, ``mash route`` and ``mash whatif`` as a user runs them: through
``mash.cli.main``, with its real exit codes and the real output streams."""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from mash.cli import main
from mash.rules import DEFAULT_RULES

RECEIVED = "2026-11-26T10:00:00Z"


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


def write_rules(path: Path, change: Any) -> Path:
    data = yaml.safe_load(DEFAULT_RULES.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


# --------------------------------------------------------------------------- rules check


def test_check_prints_the_version_of_the_default_rules(capsys: Any, monkeypatch: Any) -> None:
    code, out, _ = run(capsys, monkeypatch, "rules", "check", str(DEFAULT_RULES))
    version = hashlib.sha256(DEFAULT_RULES.read_bytes()).hexdigest()[:12]
    assert code == 0
    assert f"valid, version {version}" in out and "4 s47" in out


def test_check_json(capsys: Any, monkeypatch: Any) -> None:
    code, out, _ = run(capsys, monkeypatch, "rules", "check", "--json", str(DEFAULT_RULES))
    payload = json.loads(out)
    assert code == 0 and payload["valid"] and payload["errors"] == []
    assert payload["levels"] == {"1": "universal", "2": "caf", "3": "assessment", "4": "s47"}


def test_check_names_the_rule_and_the_unknown_fact(
    tmp_path: Path, capsys: Any, monkeypatch: Any
) -> None:
    def typo(data: dict[str, Any]) -> None:
        data["rules"][0]["when"] = "'19C' in concern_codes"

    path = write_rules(tmp_path / "typo.yaml", typo)
    code, out, err = run(capsys, monkeypatch, "rules", "check", str(path))
    assert code == 1 and "INVALID" in out
    assert "rule l4.sexual-abuse: unknown fact 'concern_codes' in condition" in err


def test_check_finds_duplicates_unmapped_and_unreachable_levels(
    tmp_path: Path, capsys: Any, monkeypatch: Any
) -> None:
    def damage(data: dict[str, Any]) -> None:
        data["rules"] = [r for r in data["rules"] if r["level"] != 2]
        data["rules"].append(dict(data["rules"][0]))
        data["rules"].append({**data["rules"][1], "id": "l5.new", "level": 5})

    path = write_rules(tmp_path / "bad.yaml", damage)
    code, _, err = run(capsys, monkeypatch, "rules", "check", str(path))
    assert code == 1
    assert "rule l4.sexual-abuse: duplicate id" in err
    assert "rule l5.new: level 5 has no route in levels" in err
    assert "levels: level 2 (caf) is unreachable: no rule gives it" in err


def test_check_reports_yaml_syntax_with_its_line(
    tmp_path: Path, capsys: Any, monkeypatch: Any
) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("levels:\n  4: s47\nrules: [\n  - id: x\n")
    code, _, err = run(capsys, monkeypatch, "rules", "check", str(path))
    assert code == 1 and "not valid YAML at line" in err


def test_check_of_an_unreadable_file_is_bad_usage(
    tmp_path: Path, capsys: Any, monkeypatch: Any
) -> None:
    code, _, err = run(capsys, monkeypatch, "rules", "check", str(tmp_path / "missing.yaml"))
    assert code == 2 and "cannot read rules file" in err


# --------------------------------------------------------------------------- route


@pytest.fixture
def records(tmp_path: Path, vignettes: Path) -> Path:
    target = tmp_path / "records"
    shutil.copytree(vignettes / "records", target)
    return target


def decisions_of(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines()]


def test_route_prints_one_decision_per_child(
    vignettes: Path, records: Path, capsys: Any, monkeypatch: Any
) -> None:
    code, out, err = run(
        capsys,
        monkeypatch,
        "route",
        "police",
        str(vignettes / "police.jsonl"),
        "--records",
        str(records),
        "--received-at",
        RECEIVED,
    )
    decisions = decisions_of(out)
    assert code == 0
    assert [(d["source_id"], d["child_index"], d["route"]) for d in decisions] == [
        ("PPN-V01", 0, "s47"),
        ("PPN-V01", 1, "s47"),
        ("PPN-V02", 0, "caf"),
        ("PPN-V03", 0, "assessment"),
        ("PPN-V04", 0, "s47"),
    ]
    first = decisions[0]
    assert first["received_at"] == RECEIVED and first["rules"][0]["reason"]
    assert first["checks"] == {
        "social-care": "NOT_FOUND",
        "early-help": "NOT_FOUND",
        "police": "NOT_FOUND",
        "health": "NOT_FOUND",
    }
    assert "routed 4 referrals (5 children)" in err


def test_a_missing_records_file_is_unavailable_an_empty_one_is_not(
    vignettes: Path, records: Path, capsys: Any, monkeypatch: Any
) -> None:
    (records / "health.jsonl").unlink()
    assert (records / "early-help.jsonl").read_text() == ""
    code, out, _ = run(
        capsys,
        monkeypatch,
        "route",
        "council",
        str(vignettes / "council.jsonl"),
        "--records",
        str(records),
    )
    decisions = decisions_of(out)
    assert code == 0
    for decision in decisions:
        assert decision["checks"]["health"] == "UNAVAILABLE"
        assert decision["checks"]["early-help"] == "NOT_FOUND"
        assert "CHECKS_INCOMPLETE" in decision["flags"]
        assert decision["route"] in ("assessment", "s47")


def test_without_records_every_check_is_unavailable(
    vignettes: Path, capsys: Any, monkeypatch: Any
) -> None:
    code, out, _ = run(capsys, monkeypatch, "route", "council", str(vignettes / "council.jsonl"))
    assert code == 0
    assert {d["route"] for d in decisions_of(out)} <= {"assessment", "s47"}


def test_bad_lines_are_reported_by_number_and_the_rest_routed(
    tmp_path: Path, vignettes: Path, capsys: Any, monkeypatch: Any
) -> None:
    good = (vignettes / "council.jsonl").read_text().splitlines()
    nameless = json.loads(good[0])
    nameless["request_ref"] = "REQ-BAD"
    nameless["child"] = {"first_name": None, "last_name": None, "date_of_birth": "2014-02-27"}
    path = tmp_path / "council.jsonl"
    broken = json.loads(good[1])
    broken["request_ref"] = "REQ-SURROGATE"
    broken["description"] = "text \ud800 cut in half"  # a lone surrogate escape
    path.write_text(
        "\n".join(
            [good[0], "{not json", json.dumps(nameless), "[1, 2]", json.dumps(broken), good[1]]
        )
    )
    code, out, err = run(
        capsys, monkeypatch, "route", "council", str(path), "--received-at", RECEIVED
    )
    assert code == 2
    assert [d["source_id"] for d in decisions_of(out)] == ["REQ-V01", "REQ-V02"]
    assert "line 2: not valid JSON" in err
    assert "line 3:" in err and "REQ-BAD" in err
    assert "line 4: not a JSON object" in err
    assert "line 5: text holds a lone surrogate escape: not Unicode" in err
    assert "Emily" not in err and "2014-02-27" not in err


def test_route_reads_avro_container_files(
    tmp_path: Path, vignettes: Path, records: Path, capsys: Any, monkeypatch: Any
) -> None:
    from mash.avro import Registry, write_container

    registry = Registry.default()
    lines = (vignettes / "police.jsonl").read_text().splitlines()
    container = tmp_path / "police.avro"
    write_container(
        container,
        registry.schema("police", 1),
        [registry.from_json("police", json.loads(line), 1) for line in lines],
    )
    code, out, _ = run(
        capsys,
        monkeypatch,
        "route",
        "police",
        str(container),
        "--records",
        str(records),
        "--received-at",
        RECEIVED,
    )
    assert code == 0
    assert [d["route"] for d in decisions_of(out)] == ["s47", "s47", "caf", "assessment", "s47"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["route", "fire-brigade", "x.jsonl"], "unknown agency 'fire-brigade'"),
        (["route", "police", "x.jsonl", "--received-at", "yesterday"], "not an ISO-8601 time"),
        (["route", "police", "missing.jsonl"], "cannot read"),
        (["route", "police", "x.jsonl", "--records", "no-such-dir"], "not a directory"),
        (["whatif", "--rules", "x.yaml", "--since", "last week"], "is not a date"),
    ],
)
def test_bad_usage_exits_2_with_a_message(
    tmp_path: Path, capsys: Any, monkeypatch: Any, args: list[str], message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.jsonl").write_text("")
    code, _, err = run(capsys, monkeypatch, *args)
    assert code == 2 and message in err


def test_route_uses_another_rules_file(
    tmp_path: Path, vignettes: Path, records: Path, capsys: Any, monkeypatch: Any
) -> None:
    def no_attendance(data: dict[str, Any]) -> None:
        dropped = ("l2.attendance", "l2.support-requested")
        data["rules"] = [r for r in data["rules"] if r["id"] not in dropped]

    rules = write_rules(tmp_path / "rules.yaml", no_attendance)
    code, out, _ = run(
        capsys,
        monkeypatch,
        "route",
        "council",
        str(vignettes / "council.jsonl"),
        "--records",
        str(records),
        "--rules",
        str(rules),
    )
    by_id = {d["source_id"]: d for d in decisions_of(out)}
    assert code == 0
    assert by_id["REQ-V04"]["route"] == "universal"
    assert (
        by_id["REQ-V04"]["rule_set_version"] == hashlib.sha256(rules.read_bytes()).hexdigest()[:12]
    )
