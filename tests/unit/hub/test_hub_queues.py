"""The ledger: folding queue items and staff events read in any order."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from mash.errors import UsageError
from mash.hub.model import Action, HubEvent, ItemState, work_item_from_dict
from mash.hub.queues import Ledger, build_ledger

MakeDecision = Callable[..., dict[str, Any]]

AT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def _events(decision_id: str) -> list[HubEvent]:
    return [
        HubEvent("e1", decision_id, Action.CLAIM, "sw.ali", AT),
        HubEvent("e2", decision_id, Action.OVERRIDE, "sw.ali", AT, route="s47", reason="why"),
    ]


def test_the_result_does_not_depend_on_which_topic_was_read_first(
    make_decision: MakeDecision,
) -> None:
    item = work_item_from_dict(make_decision(route="assessment"))
    events = _events(item.decision_id)
    items_first = build_ledger([item], events)
    events_first = Ledger()
    for event in events:
        events_first.apply(event)
    events_first.add_item(item)
    for ledger in (items_first, events_first):
        found = ledger.items[item.decision_id]
        assert (found.state, found.route, found.reason) == (ItemState.OVERRIDDEN, "s47", "why")
        assert [e.event_id for e in ledger.history[item.decision_id]] == ["e1", "e2"]


def test_duplicates_change_nothing(make_decision: MakeDecision) -> None:
    item = work_item_from_dict(make_decision())
    ledger = build_ledger([item, item], [*_events(item.decision_id), *_events(item.decision_id)])
    assert len(ledger.items) == 1
    assert len(ledger.history[item.decision_id]) == 2
    assert ledger.rejected == 0


def test_the_first_claim_on_the_topic_wins(make_decision: MakeDecision) -> None:
    item = work_item_from_dict(make_decision())
    ledger = build_ledger(
        [item],
        [
            HubEvent("e1", item.decision_id, Action.CLAIM, "sw.ali", AT),
            HubEvent("e2", item.decision_id, Action.CLAIM, "sw.bea", AT),
        ],
    )
    assert ledger.items[item.decision_id].claimed_by == "sw.ali"
    assert ledger.rejected == 1


def test_open_items_are_most_urgent_first_and_per_route(make_decision: MakeDecision) -> None:
    later = work_item_from_dict(make_decision(deadline=AT + timedelta(hours=5)))
    sooner = work_item_from_dict(make_decision(deadline=AT + timedelta(hours=1)))
    other = work_item_from_dict(make_decision(route="caf"))
    done = work_item_from_dict(make_decision())
    ledger = build_ledger(
        [later, sooner, other, done],
        [
            HubEvent("e1", done.decision_id, Action.CLAIM, "sw.ali", AT),
            HubEvent("e2", done.decision_id, Action.CONFIRM, "sw.ali", AT, route="assessment"),
        ],
    )
    assert [i.decision_id for i in ledger.open_items("assessment")] == [
        sooner.decision_id,
        later.decision_id,
    ]
    assert {i.decision_id for i in ledger.open_items()} == {
        later.decision_id,
        sooner.decision_id,
        other.decision_id,
    }


def test_items_are_found_by_a_unique_prefix(make_decision: MakeDecision) -> None:
    items = [work_item_from_dict(make_decision(decision_id=d)) for d in ("abc111", "abc222")]
    ledger = build_ledger(items, [])
    assert ledger.find("abc2").decision_id == "abc222"
    assert ledger.find("abc111").decision_id == "abc111"
    with pytest.raises(UsageError, match="matches 2"):
        ledger.find("abc")
    with pytest.raises(UsageError, match="no work item"):
        ledger.find("zzz")


def test_full_decisions_are_kept_for_the_item_page(make_decision: MakeDecision) -> None:
    decision = make_decision()
    slim = {k: decision[k] for k in ("decision_id", "route", "deadline", "received_at")}
    ledger = build_ledger([work_item_from_dict(slim)], [])
    assert "rules" not in ledger.details(decision["decision_id"])
    ledger.add_decision(decision)
    ledger.add_decision(decision | {"kind": "override", "decision_id": "other"})
    assert ledger.details(decision["decision_id"])["rules"][0]["id"] == "DA_CHILD_PRESENT"
    assert "other" not in ledger.decisions


@pytest.mark.parametrize("position", [0, 1, 2])
def test_the_item_may_arrive_anywhere_among_its_events(
    make_decision: MakeDecision, position: int
) -> None:
    """Events of one item share a partition, so they keep their order; the queue message is
    on another topic and can be read before, between or after them."""
    item = work_item_from_dict(make_decision())
    events = _events(item.decision_id)
    ledger = Ledger()
    for event in events[:position]:
        ledger.apply(event)
    ledger.add_item(item)
    for event in events[position:]:
        ledger.apply(event)
    assert ledger.items[item.decision_id].state is ItemState.OVERRIDDEN
    assert ledger.rejected == 0


def _corrected(
    make_decision: MakeDecision, first: dict[str, Any], **changes: Any
) -> dict[str, Any]:
    """A second decision about the same referral and child (a corrected referral)."""
    second = make_decision(**changes)
    for name in ("agency", "source_id", "child_index", "child_key"):
        second[name] = first[name]
    return second


@pytest.mark.parametrize("newer_first", [False, True])
def test_a_corrected_referral_supersedes_its_open_item_in_any_reading_order(
    make_decision: MakeDecision, newer_first: bool
) -> None:
    first = make_decision(route="caf")
    first["decided_at"] = "2026-03-02T09:05:00Z"
    second = _corrected(make_decision, first, route="s47")
    second["decided_at"] = "2026-03-02T11:00:00Z"
    older, newer = work_item_from_dict(first), work_item_from_dict(second)
    ledger = Ledger()
    for item in [newer, older] if newer_first else [older, newer]:
        ledger.add_item(item)
    ended, open_item = ledger.items[older.decision_id], ledger.items[newer.decision_id]
    assert (ended.state, ended.superseded_by) == (ItemState.SUPERSEDED, newer.decision_id)
    assert (open_item.state, open_item.supersedes) == (ItemState.ROUTED, (older.decision_id,))
    assert [i.decision_id for i in ledger.open_items()] == [newer.decision_id]


def test_a_child_already_handed_on_gets_a_new_item_not_a_supersession(
    make_decision: MakeDecision,
) -> None:
    first = make_decision(route="caf")
    older = work_item_from_dict(first)
    ledger = build_ledger(
        [older],
        [
            HubEvent("c0", older.decision_id, Action.CLAIM, "sw.ali", AT),
            HubEvent("c1", older.decision_id, Action.CONFIRM, "sw.ali", AT),
            HubEvent("t1", older.decision_id, Action.TRANSFER, "sw.ali", AT),
        ],
    )
    assert ledger.items[older.decision_id].state is ItemState.TRANSFERRED
    newer = work_item_from_dict(_corrected(make_decision, first, route="assessment"))
    ledger.add_item(newer)
    assert ledger.items[older.decision_id].state is ItemState.TRANSFERRED
    assert ledger.items[newer.decision_id].supersedes == ()
    assert [i.decision_id for i in ledger.open_items()] == [newer.decision_id]


def test_an_older_decision_read_after_its_newer_one_left_never_reopens(
    make_decision: MakeDecision,
) -> None:
    first = make_decision(route="caf")
    first["decided_at"] = "2026-03-02T09:05:00Z"
    second = _corrected(make_decision, first, route="assessment")
    second["decided_at"] = "2026-03-02T11:00:00Z"
    older, newer = work_item_from_dict(first), work_item_from_dict(second)
    ledger = build_ledger(
        [newer],
        [
            HubEvent("c0", newer.decision_id, Action.CLAIM, "sw.ali", AT),
            HubEvent("c1", newer.decision_id, Action.CONFIRM, "sw.ali", AT),
            HubEvent("t1", newer.decision_id, Action.TRANSFER, "sw.ali", AT),
        ],
    )
    ledger.add_item(older)
    assert ledger.items[older.decision_id].state is ItemState.SUPERSEDED
    assert ledger.items[newer.decision_id].state is ItemState.TRANSFERRED
    assert ledger.open_items() == []
