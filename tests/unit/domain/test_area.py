"""The hub's area by postcode: children living elsewhere are flagged, never dropped or lowered."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from datafiles import VIGNETTES, read_jsonl

from mash.agencies import to_referral
from mash.domain.area import HubArea
from mash.domain.codes import FLAG_OUT_OF_AREA
from mash.domain.records import RecordIndex
from mash.domain.routing import Router
from mash.rules import load_rules

RECEIVED = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("area", "postcode", "inside"),
    [
        ("TS", "ts17 6tt", True),  # a postcode area takes in all its districts
        ("TS17", "TS17 6TT", True),
        ("TS1", "TS17 6TT", False),  # a district is never a prefix of another district
        ("TS1", "TS1 2AB", True),
        ("TS17 6", "TS17 6TT", True),  # a sector
        ("TS17 6", "TS17 7TT", False),
        ("DL, TS18", "TS18 1AA", True),
        ("DL", "TS18 1AA", False),
        ("S", "SR1 1AA", False),  # S (Sheffield) is not SR (Sunderland)
        ("S", "S1 2AB", True),
    ],
)
def test_prefixes_are_postcode_areas_districts_or_sectors(
    area: str, postcode: str, inside: bool
) -> None:
    assert HubArea.parse(area).covers(postcode) is inside


def test_a_missing_or_unusable_postcode_is_not_known() -> None:
    area = HubArea.parse("TS")
    assert area.covers(None) is None
    assert area.covers("") is None
    assert area.covers("NOT A POSTCODE") is None


@pytest.mark.parametrize("text", ["", " , ", "T!S", "TS17 6TT", "12"])
def test_a_bad_area_is_refused_with_what_to_write(text: str) -> None:
    with pytest.raises(ValueError):
        HubArea.parse(text)


def test_out_of_area_children_are_flagged_and_routed_exactly_as_before() -> None:
    rules = load_rules()
    plain = Router(rules, RecordIndex())
    local = Router(rules, RecordIndex(), area=HubArea.parse("TS19"))
    flagged = 0
    for agency in ("police", "health", "council"):
        for record in read_jsonl(VIGNETTES / f"{agency}.jsonl"):
            referral = to_referral(agency, json.loads(json.dumps(record)), RECEIVED)
            for before, after in zip(
                plain.decide(referral, RECEIVED), local.decide(referral, RECEIVED), strict=True
            ):
                assert (after.route, after.level, after.rules) == (
                    before.route,
                    before.level,
                    before.rules,
                )
                child = referral.children[after.child_index]
                out = child.postcode is not None and not child.postcode.startswith("TS19 ")
                assert (FLAG_OUT_OF_AREA in after.flags) is out
                assert FLAG_OUT_OF_AREA not in before.flags
                flagged += out
    assert flagged > 0
