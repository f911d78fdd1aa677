"""What-if: re-deciding logged facts under another rule set, without a database."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from mash.domain.decision import decision_to_dict
from mash.domain.facts import FACTS_ADDED_2026_12, default_facts
from mash.domain.records import RecordIndex
from mash.domain.referral import Referral
from mash.domain.routes import Route
from mash.domain.routing import Router
from mash.domain.thresholds import Outcome, RuleSet
from mash.rules import DEFAULT_RULES, load_rules, rules_from_bytes
from mash.rules.whatif import compare, latest_decisions, whatif

DECIDED = datetime(2026, 11, 26, 10, 5, tzinfo=UTC)


def without(*rule_ids: str) -> RuleSet:
    """The default rule set minus some rules (a proposed policy change)."""
    data = yaml.safe_load(DEFAULT_RULES.read_text())
    data["rules"] = [rule for rule in data["rules"] if rule["id"] not in rule_ids]
    return rules_from_bytes(yaml.safe_dump(data, sort_keys=False))


def logged(
    facts: dict[str, Any], route: str, level: int, rules: list[str], **extra: Any
) -> dict[str, Any]:
    return {
        "decision_id": f"d-{extra.get('source_id', 'S1')}-{extra.get('child_index', 0)}",
        "kind": "decision",
        "agency": "council",
        "source_id": "S1",
        "child_index": 0,
        "child_key": "nhs:9990001081",
        "route": route,
        "level": level,
        "rules": [{"id": rule_id} for rule_id in rules],
        "facts": facts,
        "rule_set_version": "old",
        "decided_at": "2026-11-26T10:00:00Z",
        **extra,
    }


def outcome(route: str, level: int, *rule_ids: str) -> Outcome:
    from mash.domain.decision import FiredRule

    return Outcome(level, tuple(FiredRule(rid, level, "r") for rid in rule_ids), route)  # type: ignore[arg-type]


def test_compare_counts_transitions_and_lists_downgrades_most_serious_first() -> None:
    pairs = [
        (
            logged({}, "assessment", 3, ["l3.a", "l2.b"], decision_id="x1"),
            outcome("caf", 2, "l2.b"),
        ),
        (logged({}, "s47", 4, ["l4.a"], decision_id="x2"), outcome("caf", 2, "l2.b")),
        (logged({}, "caf", 2, ["l2.b"], decision_id="x3"), outcome("caf", 2, "l2.b")),
        (logged({}, "caf", 2, ["l2.b"], decision_id="x4"), outcome("assessment", 3, "l3.c")),
    ]
    report = compare(pairs, "new")
    assert report.total == 4 and report.unchanged == 1
    assert report.count("assessment", "caf") == 1 and report.count("s47", "caf") == 1
    assert [m.decision_id for m in report.downgrades] == ["x2", "x1"]
    assert report.downgrades[1].lost_rules == ("l3.a",)
    assert [(m.decision_id, m.gained_rules) for m in report.upgrades] == [("x4", ("l3.c",))]
    matrix = report.as_dict()["matrix"]
    assert list(matrix) == list(Route.ordered()) == ["s47", "assessment", "caf", "universal"]
    assert matrix["caf"]["caf"] == 1


def test_latest_automated_decision_per_child_is_compared() -> None:
    older = logged({}, "caf", 2, [], decision_id="a", decided_at="2026-11-01T09:00:00Z")
    newer = logged({}, "assessment", 3, [], decision_id="b", decided_at="2026-11-20T09:00:00Z")
    other_child = logged({}, "caf", 2, [], decision_id="c", child_index=1)
    override = {**newer, "decision_id": "o", "kind": "override", "route": "caf"}
    current, overrides = latest_decisions([newer, older, other_child, override])
    assert sorted(d["decision_id"] for d in current) == ["b", "c"] and overrides == 1


def test_decisions_whose_facts_cannot_be_read_are_skipped_not_guessed() -> None:
    facts = default_facts()
    del facts["concerns"]
    report = whatif(
        [
            logged(facts, "caf", 2, []),
            logged({}, "caf", 2, [], source_id="S2"),
            logged(default_facts(), "nowhere", 1, [], source_id="S3"),
        ],
        load_rules(),
    )
    assert report.total == 0
    reasons = [why for _, why in report.skipped]
    assert reasons[0] == "facts are missing concerns"
    assert reasons[1].startswith("facts are missing age_months, age_years, agency,")
    assert "da_screening" not in reasons[1]  # derived by the rule set, never missing
    assert reasons[2] == "no route or no facts logged"


@pytest.fixture(scope="module")
def vignette_log(
    referrals: list[Referral], index_for: Callable[..., RecordIndex]
) -> list[dict[str, Any]]:
    """The vignettes as the decision log holds them after ``mash route --db``."""
    router = Router(load_rules(), index_for(frozenset()))
    return [decision_to_dict(d) for r in referrals for d in router.decide(r, DECIDED)]


def test_the_same_rules_change_nothing(vignette_log: list[dict[str, Any]]) -> None:
    report = whatif(vignette_log, load_rules())
    assert report.total == len(vignette_log) == report.unchanged
    assert report.downgrades == () == report.upgrades


def test_removing_a_level_3_rule_moves_its_children_down() -> None:
    # A child at level 3 by this rule alone (Bristol level 3: a chronic condition untreated,
    # appointments missed). Built from facts rather than a vignette: the narrative lexicon now
    # reads the Bristol vignette (NHS-V05) at a higher level, so no vignette rests on this rule
    # alone any more.
    removed = "l3.untreated-chronic-condition"
    facts = default_facts()
    facts.update(
        agency="health",
        dob_known=True,
        age_years=9,
        age_months=110,
        health_indicators=["CHRONIC_CONDITION_UNTREATED", "MISSED_APPOINTMENTS"],
        **{f"{kind}_available": True for kind in ("social_care", "early_help", "police", "health")},
    )
    log = [logged(facts, "assessment", 3, [removed], source_id=f"S{n}") for n in (1, 2)]
    assert whatif(log, load_rules()).unchanged == 2
    report = whatif(log, without(removed))
    assert {m.decision_id for m in report.downgrades} == {d["decision_id"] for d in log}
    for move in report.downgrades:
        assert (move.old_route, move.new_route) == ("assessment", "caf")
        assert move.lost_rules == (removed,)
    assert report.count("assessment", "caf") == 2 == report.total


def test_whatif_reads_json_from_a_file_like_log(
    tmp_path: Path, vignette_log: list[dict[str, Any]]
) -> None:
    # The log stores dicts as JSON: floats, ints and booleans must survive the round trip.
    import json

    reread = [json.loads(json.dumps(d)) for d in vignette_log]
    assert whatif(reread, load_rules()).unchanged == len(vignette_log)


def test_facts_logged_before_the_routing_safety_facts_read_as_not_known() -> None:
    old = {k: v for k, v in default_facts().items() if k not in FACTS_ADDED_2026_12}
    old.update(
        agency="police",
        incident_type="DOMESTIC_ABUSE",
        domestic_abuse=True,
        dash_risk="STANDARD",
        dob_known=True,
        age_months=40,
        age_years=3,
        police_domestic_incidents_12m=4,
        **{f"{kind}_available": True for kind in ("social_care", "early_help", "police", "health")},
    )
    report = whatif([logged(old, "caf", 2, ["l2.domestic-abuse"])], load_rules())

    assert report.total == 1 and not report.skipped
    assert report.completed["narrative_concerns"] == 1
    # the count of incidents the old facts logged still counts (derived, not defaulted)
    assert report.count("caf", "assessment") == 1
    assert "l3.domestic-abuse-escalation" in report.upgrades[0].gained_rules
