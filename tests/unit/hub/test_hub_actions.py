"""Planning what a person asked for into events, checked before anything is published."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from itertools import count
from typing import Any

import pytest

from mash.errors import StateError, UsageError
from mash.hub.actions import (
    authorise,
    plan_approve,
    plan_claim,
    plan_close,
    plan_confirm,
    plan_override,
    plan_refuse,
    plan_transfer,
)
from mash.hub.model import Action, apply_event, claim, work_item_from_dict
from mash.hub.users import Permission, Role, Staff

MakeDecision = Callable[..., dict[str, Any]]
AT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def ids() -> Callable[[], str]:
    numbers = count(1)
    return lambda: f"ev{next(numbers)}"


def test_deciding_an_unclaimed_item_claims_it_first(make_decision: MakeDecision) -> None:
    item = work_item_from_dict(make_decision(route="caf"))
    events = plan_override(item, "assessment", "Disclosure at school", "sw.ali", AT, ids())
    assert [(e.event_id, e.action, e.route) for e in events] == [
        ("ev1", Action.CLAIM, None),  # the override schema: no route on a claim
        ("ev2", Action.OVERRIDE, "assessment"),
    ]
    for event in events:
        item = apply_event(item, event)
    assert item.state.value == "overridden"


def test_confirming_your_claimed_item_is_one_event(make_decision: MakeDecision) -> None:
    item = claim(work_item_from_dict(make_decision(route="caf")), "sw.ali", AT)
    [event] = plan_confirm(item, "sw.ali", AT, ids())
    assert (event.action, event.route, event.reason) == (Action.CONFIRM, "caf", None)


def test_claiming_your_own_claim_publishes_nothing(make_decision: MakeDecision) -> None:
    item = claim(work_item_from_dict(make_decision()), "sw.ali", AT)
    assert plan_claim(item, "sw.ali", AT, ids()) == []
    with pytest.raises(StateError):
        plan_claim(item, "sw.bea", AT, ids())


def test_an_override_without_a_reason_is_never_planned(make_decision: MakeDecision) -> None:
    item = work_item_from_dict(make_decision(route="caf"))
    with pytest.raises(UsageError, match="needs a reason"):
        plan_override(item, "assessment", "", "sw.ali", AT, ids())


def test_authorise_by_role_and_queue(make_decision: MakeDecision) -> None:
    item = work_item_from_dict(make_decision(route="s47"))
    authorise(None, item, Permission.DECIDE)  # no staff file: the CLI is trusted
    authorise(Staff("tm.cho", Role.TEAM_MANAGER), item, Permission.DECIDE)
    with pytest.raises(UsageError, match="may not decide"):
        authorise(Staff("au.dev", Role.AUDITOR), item, Permission.DECIDE)
    with pytest.raises(UsageError, match="may not claim"):
        authorise(Staff("sw.bea", Role.SOCIAL_WORKER, ("caf",)), item, Permission.CLAIM)
    claimed = claim(item, "sw.ali", AT)
    with pytest.raises(UsageError, match=r"claimed by sw\.ali"):
        authorise(Staff("sw.bea", Role.SOCIAL_WORKER), claimed, Permission.DECIDE)


def _replay(item: Any, events: list[Any]) -> Any:
    for event in events:
        item = apply_event(item, event)
    return item


def test_a_step_down_is_planned_approved_and_carries_the_route_that_takes_effect(
    make_decision: MakeDecision,
) -> None:
    item = work_item_from_dict(make_decision(route="assessment"))
    new_id = ids()
    waiting = _replay(item, plan_override(item, "caf", "Early help agreed", "sw.ali", AT, new_id))
    assert waiting.state.value == "awaiting-approval"
    with pytest.raises(UsageError, match="may not approve"):
        authorise(Staff("sw.ali", Role.SOCIAL_WORKER, ("assessment",)), waiting, Permission.APPROVE)
    authorise(Staff("tm.cho", Role.TEAM_MANAGER), waiting, Permission.APPROVE)
    [approval] = plan_approve(waiting, None, "tm.cho", AT, new_id)
    assert (approval.action, approval.route, approval.close_reason) == (Action.APPROVE, "caf", None)
    assert _replay(waiting, [approval]).route == "caf"
    with pytest.raises(StateError, match="nothing awaits approval"):
        plan_approve(item, None, "tm.cho", AT, new_id)


def test_a_refusal_needs_words(make_decision: MakeDecision) -> None:
    item = work_item_from_dict(make_decision(route="assessment"))
    new_id = ids()
    waiting = _replay(item, plan_override(item, "universal", "Advice", "sw.ali", AT, new_id))
    with pytest.raises(UsageError, match="refusal needs a reason"):
        plan_refuse(waiting, None, "tm.cho", AT, new_id)
    [refusal] = plan_refuse(waiting, "Second incident", "tm.cho", AT, new_id)
    assert _replay(waiting, [refusal]).state.value == "claimed"


def test_a_transfer_and_an_approved_close_carry_their_hand_off(make_decision: MakeDecision) -> None:
    item = work_item_from_dict(make_decision(route="caf"))
    new_id = ids()
    decided = _replay(item, plan_confirm(item, "sw.ali", AT, new_id))
    [moved] = plan_transfer(decided, None, None, "sw.ali", AT, new_id)
    assert (moved.action, moved.destination, moved.route) == (
        Action.TRANSFER,
        "EARLY_HELP_HUB",
        "caf",
    )
    [closing] = plan_close(decided, "NO_FURTHER_ACTION", "Needs met", "sw.ali", AT, new_id)
    waiting = _replay(decided, [closing])
    [approval] = plan_approve(waiting, "Agreed", "tm.cho", AT, new_id)
    assert approval.close_reason == "NO_FURTHER_ACTION"
    assert _replay(waiting, [approval]).state.value == "closed"
    with pytest.raises(StateError, match="confirm or override"):
        plan_transfer(item, None, None, "sw.ali", AT, new_id)
