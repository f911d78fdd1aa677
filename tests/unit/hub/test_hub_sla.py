"""RAG status, SLA reports and due alerts, at moments chosen by an injected clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from mash.domain.clocks import FixedClock, WorkingCalendar, deadline_for
from mash.hub.model import claim, confirm, work_item_from_dict
from mash.hub.sla import (
    ELAPSED,
    AlertKind,
    Rag,
    SlaPolicy,
    alert_message,
    alerts_due,
    format_age,
    item_rag,
    rag,
    sla_report,
)

MakeDecision = Callable[..., dict[str, Any]]
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DEADLINE = START + timedelta(hours=10)  # 80% of the time is 17:00


@pytest.mark.parametrize(
    ("offset", "expected"),
    [
        (timedelta(0), Rag.GREEN),
        (timedelta(hours=7, minutes=59), Rag.GREEN),
        (timedelta(hours=8), Rag.AMBER),  # exactly 80%: the warning is due
        (timedelta(hours=10), Rag.AMBER),  # at the deadline: not yet breached
        (timedelta(hours=10, seconds=1), Rag.RED),
    ],
)
def test_rag_thresholds(offset: timedelta, expected: Rag) -> None:
    clock = FixedClock(START + offset)
    assert rag(START, DEADLINE, clock.now()) is expected


def test_rag_has_words_for_people_who_cannot_see_colour() -> None:
    assert [r.label for r in Rag] == ["On time", "Due soon", "Breached"]


def test_a_decided_item_keeps_the_status_it_was_decided_at(make_decision: MakeDecision) -> None:
    item = work_item_from_dict(make_decision(received_at=START, deadline=DEADLINE))
    decided = confirm(claim(item, "sw.ali", START), "sw.ali", START + timedelta(hours=1))
    much_later = START + timedelta(days=3)
    assert item_rag(item, much_later) is Rag.RED
    assert item_rag(decided, much_later) is Rag.GREEN


def test_working_time_puts_amber_inside_office_hours() -> None:
    """Friday 18:00 contact, assessment route: the deadline is Tuesday 17:00; 80% of the
    16 office hours (Mon and Tue 09-17) is reached on Tuesday at 13:48, not on Monday night."""
    calendar = WorkingCalendar(holidays=set())
    received = datetime(2026, 1, 9, 18, 0, tzinfo=UTC)  # Friday, GMT
    deadline = deadline_for("assessment", received, calendar)
    assert deadline == datetime(2026, 1, 13, 17, 0, tzinfo=UTC)
    policy = SlaPolicy(calendar)
    assert policy.warning_at(received, deadline) == datetime(2026, 1, 13, 13, 48, tzinfo=UTC)
    monday_night = datetime(2026, 1, 12, 22, 0, tzinfo=UTC)
    assert rag(received, deadline, monday_night, policy) is Rag.GREEN
    assert rag(received, deadline, monday_night, ELAPSED) is Rag.AMBER


def test_working_time_skips_bank_holidays() -> None:
    """Received Thursday 2 April 2026 at 17:30: Good Friday and Easter Monday are holidays, so
    the clock starts Tuesday 7 April; the warning falls on Wednesday 8 April."""
    calendar = WorkingCalendar(holidays={date(2026, 4, 3), date(2026, 4, 6)})
    received = datetime(2026, 4, 2, 16, 30, tzinfo=UTC)  # 17:30 BST
    deadline = deadline_for("caf", received, calendar)
    assert deadline == datetime(2026, 4, 8, 16, 0, tzinfo=UTC)  # Wednesday 17:00 BST
    warning = SlaPolicy(calendar).warning_at(received, deadline)
    assert warning == datetime(2026, 4, 8, 12, 48, tzinfo=UTC)  # 13:48 BST


def test_no_office_hours_in_between_falls_back_to_elapsed_time() -> None:
    calendar = WorkingCalendar(holidays=set(), out_of_hours_s47=timedelta(hours=4))
    received = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)  # Saturday
    deadline = deadline_for("s47", received, calendar)
    assert deadline == received + timedelta(hours=4)
    warning = SlaPolicy(calendar).warning_at(received, deadline)
    assert warning == received + timedelta(hours=3, minutes=12)


def test_alerts_fall_due_once_each(make_decision: MakeDecision) -> None:
    item = work_item_from_dict(make_decision(received_at=START, deadline=DEADLINE))
    clock = FixedClock(START + timedelta(hours=1))
    assert alerts_due(item, [], clock.now()) == []
    clock.advance(timedelta(hours=7))
    assert alerts_due(item, [], clock.now()) == [AlertKind.WARNING]
    assert alerts_due(item, [AlertKind.WARNING], clock.now()) == []
    clock.advance(timedelta(hours=3))
    assert alerts_due(item, [AlertKind.WARNING], clock.now()) == [AlertKind.BREACH]
    assert alerts_due(item, list(AlertKind), clock.now()) == []


def test_an_item_first_seen_after_its_deadline_gets_both(make_decision: MakeDecision) -> None:
    item = work_item_from_dict(make_decision(received_at=START, deadline=DEADLINE))
    assert alerts_due(item, [], START + timedelta(days=1)) == [AlertKind.WARNING, AlertKind.BREACH]


def test_a_decided_item_gets_no_alerts(make_decision: MakeDecision) -> None:
    item = work_item_from_dict(make_decision(received_at=START, deadline=DEADLINE))
    done = confirm(claim(item, "sw.ali", START), "sw.ali", START)
    assert alerts_due(done, [], START + timedelta(days=1)) == []


def test_alert_messages_carry_ids_and_times_only(make_decision: MakeDecision) -> None:
    decision = make_decision(received_at=START, deadline=DEADLINE)
    item = work_item_from_dict(decision)
    alert = alert_message(item, AlertKind.BREACH, START + timedelta(hours=11))
    assert alert["alert_id"] == f"{item.decision_id}:SLA_BREACH"
    assert alert["warning_at"] == "2026-03-02T17:00:00Z"
    assert set(alert) == {
        "alert_id",
        "kind",
        "decision_id",
        "route",
        "state",
        "received_at",
        "warning_at",
        "deadline",
        "at",
    }


def test_sla_report_per_queue(make_decision: MakeDecision) -> None:
    now = START + timedelta(hours=9)
    oldest = make_decision(
        received_at=START - timedelta(hours=4), deadline=START + timedelta(hours=8)
    )
    items = [
        work_item_from_dict(make_decision(received_at=START, deadline=START + timedelta(hours=20))),
        work_item_from_dict(make_decision(received_at=START, deadline=START + timedelta(hours=10))),
        work_item_from_dict(oldest),
        work_item_from_dict(make_decision(route="caf", received_at=START, deadline=START)),
    ]
    decided = confirm(claim(items[3], "sw.ali", now), "sw.ali", now)
    report = {q.route: q for q in sla_report([*items[:3], decided], now)}
    assessment = report["assessment"]
    assert (assessment.on_time, assessment.due_soon, assessment.breached) == (1, 1, 1)
    assert assessment.oldest_id == oldest["decision_id"]
    assert assessment.oldest_age == timedelta(hours=13)
    assert report["caf"].open == 0 and report["caf"].oldest_id is None
    assert set(report) == {"s47", "assessment", "caf", "universal"}
    assert assessment.to_dict()["oldest_age_seconds"] == 13 * 3600


@pytest.mark.parametrize(
    ("age", "text"),
    [
        (timedelta(minutes=5), "5m"),
        (timedelta(hours=2, minutes=3), "2h 03m"),
        (timedelta(days=6, hours=1), "6d 1h"),
        (timedelta(seconds=-5), "0m"),
    ],
)
def test_ages_are_short(age: timedelta, text: str) -> None:
    assert format_age(age) == text
