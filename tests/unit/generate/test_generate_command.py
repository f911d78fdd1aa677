"""``mash generate``: same seed same bytes, a summary without personal data, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from mash.generate import FILES
from mash.generate.commands import parse_start

MASH = [sys.executable, "-c", "from mash.cli import main; main()"]


def mash(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*MASH, *args], capture_output=True, text=True, timeout=120)


def files(directory: Path) -> dict[str, bytes]:
    return {name: (directory / name).read_bytes() for name in [*FILES.values(), "manifest.json"]}


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    runs = {}
    for name, seed in (("a", "5"), ("b", "5"), ("c", "6")):
        result = mash("generate", "-n", "300", "--seed", seed, "--out", str(tmp_path / name))
        assert result.returncode == 0, result.stderr
        runs[name] = files(tmp_path / name)
    assert runs["a"] == runs["b"]
    assert runs["a"]["police.jsonl"] != runs["c"]["police.jsonl"]
    assert not list(tmp_path.glob("**/*.tmp"))


def test_files_and_manifest_agree(tmp_path: Path) -> None:
    result = mash(
        "generate",
        "-n",
        "200",
        "--seed",
        "1",
        "--out",
        str(tmp_path),
        "--start",
        "2027-01-04",
        "--days",
        "7",
    )
    assert result.returncode == 0, result.stderr
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["referrals"] == 200 and manifest["start"] == "2027-01-04T00:00:00Z"
    for name, count in manifest["files"].items():
        assert len((tmp_path / name).read_text(encoding="utf-8").splitlines()) == count
    referrals = sum(manifest["files"][FILES[a]] for a in ("police", "health", "council"))
    assert referrals == 200
    days = {
        json.loads(line)["incident_at"][:10]
        for line in (tmp_path / "police.jsonl").read_text().splitlines()
    }
    assert min(days) >= "2027-01-04" and max(days) <= "2027-01-10"


def test_summary_counts_files_and_names_no_one(tmp_path: Path) -> None:
    result = mash("generate", "-n", "150", "--seed", "2", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "police.jsonl" in result.stdout and "referrals/s" in result.stdout
    names = set()
    for line in (tmp_path / "council.jsonl").read_text().splitlines():
        child = json.loads(line)["child"]
        names |= {child["first_name"], child["last_name"], child["date_of_birth"]}
    assert not any(name in result.stdout + result.stderr for name in names)


def test_bad_arguments_exit_2_with_a_message(tmp_path: Path) -> None:
    bad_start = mash("generate", "-n", "5", "--out", str(tmp_path), "--start", "next tuesday")
    assert bad_start.returncode == 2
    assert "--start" in bad_start.stderr
    negative = mash("generate", "-n", "-1", "--out", str(tmp_path))
    assert negative.returncode == 2
    assert "--referrals" in negative.stderr
    (tmp_path / "file").write_text("")
    not_a_dir = mash("generate", "-n", "5", "--out", str(tmp_path / "file"))
    assert not_a_dir.returncode == 2


def test_start_accepts_dates_and_times() -> None:
    assert parse_start("2026-11-02").isoformat() == "2026-11-02T00:00:00"
    assert parse_start("2026-11-02T09:30:00+01:00").isoformat() == "2026-11-02T08:30:00"
    assert parse_start("2026-11-02T09:30:00Z").isoformat() == "2026-11-02T09:30:00"
