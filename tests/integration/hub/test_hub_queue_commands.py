"""`mash queue list|claim|decide` and `mash sla report` against a real broker, and the staff
decisions reaching the decision log through the audit sink."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mash.cli import main
from mash.topics import Topics

Routed = Callable[..., list[dict[str, Any]]]


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def message(self) -> str:
        """stderr with rich's line wrapping undone."""
        return " ".join(self.err.split())

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.out.splitlines() if line.strip()]


@pytest.fixture
def mash(
    kafka_bootstrap: str,
    topics: Topics,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Callable[..., Result]:
    """Run ``mash ...`` in-process through the real entry point, on this test's topics."""
    monkeypatch.setenv("MASH_HOME", str(tmp_path))
    monkeypatch.setenv("MASH_BOOTSTRAP", kafka_bootstrap)
    monkeypatch.setenv("MASH_TOPIC_PREFIX", topics.prefix)

    def run(*args: str) -> Result:
        monkeypatch.setattr(sys, "argv", ["mash", *args])
        monkeypatch.setattr(sys, "stdin", io.StringIO(""))
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return run


def _sink_until_logged(
    bootstrap: str,
    topics: Topics,
    tmp_path: Path,
    decision_id: str,
    done: Callable[[Any], bool] | None = None,
) -> Any:
    """Run the audit sink into a fresh log until ``decision_id``'s staff decision is there, or
    until ``done(log)`` (a run stops when idle, which can be before its consumer has its
    partitions)."""
    import time

    from mash.audit.sink import Codec, Sink, SinkConfig
    from mash.audit.store import open_log

    log = open_log(f"sqlite:///{tmp_path / 'decisions.db'}")
    finished = done or (lambda log: bool(log.overrides_of(decision_id)))
    config = SinkConfig(bootstrap, topics, group=f"{topics.prefix}sink", until_idle_s=2.0)
    deadline = time.monotonic() + 60
    while not finished(log) and time.monotonic() < deadline:
        Sink(config, log, Codec.avro()).run()
    return log


def _override_events(bootstrap: str, topics: Topics) -> list[dict[str, Any]]:
    from mash.hub.codec import decode_event
    from mash.hub.kafka_io import read_topics

    events: list[dict[str, Any]] = []
    read_topics(
        bootstrap, [topics.overrides], lambda _t, payload: events.append(decode_event(payload))
    )
    return sorted(events, key=lambda e: e["at"])


def test_staff_decisions_go_to_the_override_topic_and_into_the_log(
    mash: Callable[..., Result],
    routed: Routed,
    notification: Callable[..., dict[str, Any]],
    kafka_bootstrap: str,
    topics: Topics,
    tmp_path: Path,
) -> None:
    decisions = routed(notification("PPN-H1", "MEDIUM", children=2), notification("PPN-H2"))
    first, second = (d for d in decisions if d["route"] == "assessment")
    [caf] = (d for d in decisions if d["route"] == "caf")

    listed = mash("queue", "list", "assessment", "--json")
    assert listed.code == 0, listed.err
    rows = {row["decision_id"]: row for row in listed.lines()}
    assert set(rows) == {first["decision_id"], second["decision_id"]}
    row = rows[first["decision_id"]]
    assert (row["rag"], row["state"], row["source_id"]) == ("green", "routed", "PPN-H1")
    assert row["reason"] == first["rules"][0]["reason"]
    assert row["deadline"] == first["deadline"].replace("+00:00", "Z")

    claimed = mash("queue", "claim", first["decision_id"][:8], "--as", "sw.ali")
    assert claimed.code == 0, claimed.err
    other = mash("queue", "claim", first["decision_id"][:8], "--as", "sw.bea")
    assert other.code == 2 and "already claimed by sw.ali" in other.message
    reason = "Sibling subject to a child protection plan"
    overridden = mash(
        "queue",
        "decide",
        first["decision_id"],
        "--route",
        "s47",
        "--reason",
        reason,
        "--as",
        "sw.ali",
    )
    assert overridden.code == 0, overridden.err
    confirmed = mash("queue", "decide", second["decision_id"], "--confirm", "--as", "tm.cho")
    assert confirmed.code == 0, confirmed.err
    again = mash("queue", "decide", second["decision_id"], "--confirm", "--as", "tm.cho")
    assert again.code == 2 and "already confirmed" in again.message

    assert mash("queue", "list", "assessment", "--json").lines() == []
    closed = {
        r["decision_id"]: r["state"]
        for r in mash("queue", "list", "assessment", "--all", "--json").lines()
    }
    assert closed == {first["decision_id"]: "overridden", second["decision_id"]: "confirmed"}
    report = {q["route"]: q for q in mash("sla", "report", "--json").lines()}
    assert (report["assessment"]["open"], report["caf"]["open"]) == (0, 1)
    assert report["caf"]["oldest_id"] == caf["decision_id"]

    events = _override_events(kafka_bootstrap, topics)
    assert [(e["decision_id"], e["action"], e["actor"]) for e in events] == [
        (first["decision_id"], "CLAIM", "sw.ali"),
        (first["decision_id"], "OVERRIDE", "sw.ali"),
        (second["decision_id"], "CLAIM", "tm.cho"),
        (second["decision_id"], "CONFIRM", "tm.cho"),
    ]

    log = _sink_until_logged(kafka_bootstrap, topics, tmp_path, second["decision_id"])
    [override] = log.overrides_of(first["decision_id"])
    assert (override["route"], override["reason"], override["decided_by"]) == (
        "s47",
        reason,
        "sw.ali",
    )
    [confirmation] = log.overrides_of(second["decision_id"])
    assert (confirmation["route"], confirmation["decided_by"]) == ("assessment", "tm.cho")


def test_staff_named_in_a_staff_file_must_be_allowed(
    mash: Callable[..., Result], routed: Routed, notification: Callable[..., dict[str, Any]]
) -> None:
    [decision] = routed(notification("PPN-H3", "HIGH"))
    assert decision["route"] == "s47"
    from mash.hub.users import user_store

    home = Path(__import__("os").environ["MASH_HOME"])
    user_store(home).add("au.dev", "auditor password", "auditor")
    user_store(home).add("sw.bea", "social worker password", "social-worker", ["caf"])
    auditor = mash("queue", "decide", decision["decision_id"], "--confirm", "--as", "au.dev")
    assert auditor.code == 2 and "may not decide" in auditor.message
    wrong_team = mash("queue", "claim", decision["decision_id"], "--as", "sw.bea")
    assert wrong_team.code == 2 and "may not claim" in wrong_team.message
    stranger = mash("queue", "claim", decision["decision_id"], "--as", "nobody")
    assert stranger.code == 2 and "not in the staff file" in stranger.message
    listed = mash("queue", "list", "s47", "--json").lines()
    assert [r["state"] for r in listed] == ["routed"]


def test_a_step_down_waits_for_a_manager_and_a_hand_off_reaches_the_log_and_mash_outcomes(
    mash: Callable[..., Result],
    routed: Routed,
    notification: Callable[..., dict[str, Any]],
    kafka_bootstrap: str,
    topics: Topics,
    tmp_path: Path,
) -> None:
    from mash.avro import Registry
    from mash.hub.kafka_io import read_topics
    from mash.hub.users import user_store

    user_store(tmp_path).add("sw.ali", "social worker password", "social-worker")
    user_store(tmp_path).add("tm.cho", "team manager password", "team-manager")
    first, second = routed(notification("PPN-H4", "MEDIUM", children=2))
    assert (first["route"], second["route"]) == ("assessment", "assessment")
    child, other = first["decision_id"], second["decision_id"]

    asked = mash(
        "queue", "decide", child, "--route", "caf", "--reason", "Early help", "--as", "sw.ali"
    )
    assert asked.code == 0, asked.err
    assert "awaiting approval: a step down from assessment to caf" in " ".join(asked.out.split())
    worker_approves = mash("queue", "approve", child, "--as", "sw.ali")
    assert worker_approves.code == 2 and "may not approve" in worker_approves.message
    assert mash("queue", "approve", child, "--as", "tm.cho").code == 0
    wrong_team = mash("queue", "transfer", child, "--to", "ASSESSMENT_TEAM", "--as", "sw.ali")
    assert wrong_team.code == 2 and "is on caf (override the route first)" in wrong_team.message
    moved = mash("queue", "transfer", child, "--as", "sw.ali")
    assert moved.code == 0 and "transferred to EARLY_HELP_HUB" in moved.out

    assert mash("queue", "decide", other, "--confirm", "--as", "sw.ali").code == 0
    nfa = mash(
        "queue",
        "close",
        other,
        "--why",
        "NO_FURTHER_ACTION",
        "--reason",
        "Needs met",
        "--as",
        "sw.ali",
    )
    assert nfa.code == 0 and "awaiting approval" in nfa.out
    silent = mash("queue", "refuse", other, "--reason", " ", "--as", "tm.cho")
    assert silent.code == 2 and "refusal needs a reason" in silent.message
    refused = mash("queue", "refuse", other, "--reason", "Speak to the school", "--as", "tm.cho")
    assert refused.code == 0 and "back to sw.ali" in refused.out
    states = {
        r["decision_id"]: r["state"]
        for r in mash("queue", "list", "assessment", "--all", "--json").lines()
    }
    assert states[other] == "claimed"

    def transfer_logged(log: Any) -> bool:
        decision = log.get(child)
        return decision is not None and len(log.actions_of(decision)) == 3

    log = _sink_until_logged(kafka_bootstrap, topics, tmp_path, child, transfer_logged)
    decision = log.get(child)
    actions = [
        (a["action"], a.get("awaiting_approval") is not None) for a in log.actions_of(decision)
    ]
    assert actions == [("CLAIM", False), ("OVERRIDE", True), ("TRANSFER", False)]
    [approval] = log.overrides_of(child)
    assert (approval["action"], approval["route"], approval["decided_by"]) == (
        "APPROVE",
        "caf",
        "tm.cho",
    )

    registry = Registry.default()
    outcomes: list[dict[str, Any]] = []
    read_topics(
        kafka_bootstrap,
        [topics.outcomes],
        lambda _t, payload: outcomes.append(registry.decode(payload, "outcome")),
    )
    assert [(o["decision_id"], o["destination"]) for o in outcomes] == [(child, "EARLY_HELP_HUB")]
