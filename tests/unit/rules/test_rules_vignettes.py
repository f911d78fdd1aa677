"""The public vignettes through to_referral, the record index, the router and the default rules:
every child to an acceptable route, never below it, and never lowered by a missing check."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from itertools import combinations
from typing import Any

import pytest

from mash.domain.decision import Decision
from mash.domain.records import RECORD_KINDS, RecordIndex
from mash.domain.referral import Referral
from mash.domain.routing import Router
from mash.domain.thresholds import ROUTE_RANK
from mash.rules import load_rules

RULES = load_rules()
DECIDED = datetime(2026, 11, 26, 10, 5, tzinfo=UTC)
IndexFor = Callable[[frozenset[str]], RecordIndex]


def decide(
    referrals: list[Referral], index_for: IndexFor, unavailable: frozenset[str] = frozenset()
) -> dict[tuple[str, str, int], Decision]:
    router = Router(RULES, index_for(unavailable))
    return {
        (d.agency, d.source_id, d.child_index): d
        for referral in referrals
        for d in router.decide(referral, DECIDED)
    }


def test_every_vignette_child_has_a_decision(
    referrals: list[Referral], index_for: IndexFor, expected: dict[Any, dict[str, Any]]
) -> None:
    assert set(decide(referrals, index_for)) == set(expected)


def test_every_vignette_child_goes_to_an_acceptable_route(
    referrals: list[Referral],
    index_for: IndexFor,
    expected: dict[Any, dict[str, Any]],
) -> None:
    decisions = decide(referrals, index_for)
    wrong = {
        key: (decisions[key].route, row["acceptable"])
        for key, row in expected.items()
        if decisions[key].route not in row["acceptable"]
    }
    assert wrong == {}


def test_no_vignette_child_is_under_routed(
    referrals: list[Referral],
    index_for: IndexFor,
    expected: dict[Any, dict[str, Any]],
) -> None:
    decisions = decide(referrals, index_for)
    for key, row in expected.items():
        lowest = min(ROUTE_RANK[route] for route in row["acceptable"])
        assert ROUTE_RANK[decisions[key].route] >= lowest, (key, row["guidance"])


def test_vignette_decisions_explain_themselves(
    referrals: list[Referral], index_for: IndexFor
) -> None:
    for decision in decide(referrals, index_for).values():
        assert decision.rule_set_version == RULES.version
        if decision.route != "universal":
            assert any(rule.level == decision.level for rule in decision.rules)
        assert all(rule.reason and "{" not in rule.reason for rule in decision.rules)
        assert decision.facts["da_screening_level"] in (0, 1, 2, 3, 4)


UNAVAILABLE = [frozenset(c) for n in (1, 2, 4) for c in combinations(RECORD_KINDS, n)]


@pytest.mark.parametrize("unavailable", UNAVAILABLE, ids=lambda kinds: "+".join(sorted(kinds)))
def test_an_unavailable_check_never_lowers_a_vignette_route(
    referrals: list[Referral], index_for: IndexFor, unavailable: frozenset[str]
) -> None:
    complete = decide(referrals, index_for)
    missing = decide(referrals, index_for, unavailable)
    for key, decision in missing.items():
        assert ROUTE_RANK[decision.route] >= ROUTE_RANK[complete[key].route], key
        assert ROUTE_RANK[decision.route] >= ROUTE_RANK["assessment"], key
        assert "CHECKS_INCOMPLETE" in decision.flags
        assert {decision.checks[kind] for kind in unavailable} == {"UNAVAILABLE"}
