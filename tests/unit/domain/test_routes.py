"""The routes, defined once: rank, names and clock per route, and the plain text they travel as."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from audit_samples import sample_decision

from mash.domain.decision import decision_from_dict, decision_to_dict
from mash.domain.routes import Route
from mash.domain.thresholds import ROUTE_RANK

SCHEMAS = Path(__file__).parents[3] / "schemas" / "mash"


def test_routes_are_the_plain_text_of_the_contract() -> None:
    assert [str(route) for route in Route] == ["s47", "assessment", "caf", "universal"]
    assert Route.CAF == "caf" and {"caf": 1}[Route.CAF] == 1 and f"{Route.S47}" == "s47"
    assert json.dumps([Route.S47]) == '["s47"]' and orjson.dumps([Route.S47]) == b'["s47"]'
    decision = decision_from_dict(sample_decision(2, route="caf"))
    assert decision.route is Route.CAF
    assert type(decision_to_dict(decision)["route"]) is str  # a decision record holds text


def test_ordered_most_to_least_intensive_with_ranks() -> None:
    assert Route.ordered() == (Route.S47, Route.ASSESSMENT, Route.CAF, Route.UNIVERSAL)
    assert [route.rank for route in Route.ordered()] == [3, 2, 1, 0]
    assert ROUTE_RANK == {"universal": 0, "caf": 1, "assessment": 2, "s47": 3}
    assert list(ROUTE_RANK) == ["universal", "caf", "assessment", "s47"]


def test_each_route_has_its_clock_and_names() -> None:
    assert {route: route.working_days for route in Route} == {
        "s47": 0,
        "assessment": 1,
        "caf": 1,
        "universal": 1,
    }
    assert Route.S47.label == "s47 strategy discussion (same day)"
    assert Route.UNIVERSAL.description.startswith("universal services")
    assert len({route.label for route in Route}) == len({route.description for route in Route}) == 4


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("s47", Route.S47),
        (Route.CAF, Route.CAF),
        ("S47", None),
        ("", None),
        (None, None),
        ([], None),
    ],
)
def test_parse_names_a_route_or_nothing(value: object, expected: Route | None) -> None:
    assert Route.parse(value) is expected


def _enums_named(node: Any, name: str) -> list[list[str]]:
    if isinstance(node, dict):
        found = [node["symbols"]] if node.get("type") == "enum" and node["name"] == name else []
        return found + [e for value in node.values() for e in _enums_named(value, name)]
    if isinstance(node, list):
        return [e for value in node for e in _enums_named(value, name)]
    return []


@pytest.mark.parametrize("schema", ["decision.v1.avsc", "override.v1.avsc"])
def test_the_avro_route_enum_lists_the_same_routes(schema: str) -> None:
    enums = _enums_named(json.loads((SCHEMAS / schema).read_text()), "Route")
    assert enums == [list(Route.ordered())]
