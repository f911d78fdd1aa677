"""Statutory clocks in working days: weekends, bank holidays (with substitute days), office
hours, after-hours arrivals and the change between GMT and BST."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mash.domain.clocks import (
    FixedClock,
    OfficeHours,
    SystemClock,
    WorkingCalendar,
    deadline_for,
    transfer_deadline,
)

CALENDAR = WorkingCalendar()


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def deadline(route: str, received: str, calendar: WorkingCalendar = CALENDAR) -> datetime:
    return deadline_for(route, utc(received), calendar)


def test_in_office_hours_s47_is_the_same_day_and_a_contact_the_next_day() -> None:
    # Tuesday 24 November 2026, 10:00 GMT.
    assert deadline("s47", "2026-11-24T10:00") == utc("2026-11-24T17:00")
    for route in ("assessment", "caf", "universal"):
        assert deadline(route, "2026-11-24T10:00") == utc("2026-11-25T17:00")


def test_before_opening_on_a_working_day_counts_from_that_morning() -> None:
    assert deadline("s47", "2026-11-24T07:30") == utc("2026-11-24T17:00")


def test_after_hours_counts_from_the_next_working_morning() -> None:
    assert deadline("s47", "2026-11-24T17:00") == utc("2026-11-25T17:00")
    assert deadline("caf", "2026-11-24T21:00") == utc("2026-11-26T17:00")


def test_friday_evening_and_the_weekend_count_from_monday() -> None:
    for received in ("2026-11-27T18:00", "2026-11-28T11:00", "2026-11-29T23:59"):
        assert deadline("s47", received) == utc("2026-11-30T17:00")
        assert deadline("assessment", received) == utc("2026-12-01T17:00")


def test_christmas_2026_and_boxing_day_observed_on_monday_28() -> None:
    assert not CALENDAR.is_working_day(date(2026, 12, 25))  # Friday
    assert not CALENDAR.is_working_day(date(2026, 12, 28))  # Boxing Day (observed)
    assert CALENDAR.is_working_day(date(2026, 12, 29))
    # Christmas Eve in hours: s47 that afternoon; a contact by close on Tuesday 29th.
    assert deadline("s47", "2026-12-24T15:00") == utc("2026-12-24T17:00")
    assert deadline("caf", "2026-12-24T15:00") == utc("2026-12-29T17:00")
    # Christmas Eve after hours and Christmas Day itself: Tuesday 29th is the first day.
    assert deadline("s47", "2026-12-24T18:00") == utc("2026-12-29T17:00")
    assert deadline("s47", "2026-12-25T10:00") == utc("2026-12-29T17:00")
    assert deadline("assessment", "2026-12-26T10:00") == utc("2026-12-30T17:00")


def test_easter_2027_across_the_change_to_summer_time() -> None:
    # Good Friday 26 March, Easter Monday 29 March 2027; BST from Sunday 28 March, so close of
    # office (17:00 London) is 16:00 UTC afterwards.
    assert not CALENDAR.is_working_day(date(2027, 3, 26))
    assert not CALENDAR.is_working_day(date(2027, 3, 29))
    assert deadline("s47", "2027-03-25T16:30") == utc("2027-03-25T17:00")  # still GMT
    assert deadline("s47", "2027-03-25T17:30") == utc("2027-03-30T16:00")
    assert deadline("caf", "2027-03-25T12:00") == utc("2027-03-30T16:00")
    assert deadline("caf", "2027-03-26T12:00") == utc("2027-03-31T16:00")


def test_office_hours_are_london_time_in_summer() -> None:
    # Friday 23 October 2026, BST: 16:30 UTC is 17:30 London, after hours.
    assert deadline("s47", "2026-10-23T15:30") == utc("2026-10-23T16:00")
    assert deadline("s47", "2026-10-23T16:30") == utc("2026-10-26T17:00")  # Monday, GMT again
    assert deadline("caf", "2026-10-23T10:00") == utc("2026-10-26T17:00")


def test_transfer_out_of_the_front_door_within_five_working_days() -> None:
    assert transfer_deadline(utc("2026-11-24T10:00"), CALENDAR) == utc("2026-12-01T17:00")
    # Over Christmas: 29, 30, 31 Dec, (1 Jan bank holiday), 4, 5 Jan.
    assert transfer_deadline(utc("2026-12-24T10:00"), CALENDAR) == utc("2027-01-05T17:00")


def test_out_of_hours_s47_can_be_configured_for_an_emergency_duty_team() -> None:
    calendar = WorkingCalendar(out_of_hours_s47=timedelta(hours=4))

    assert deadline("s47", "2026-11-28T11:00", calendar) == utc("2026-11-28T15:00")
    assert deadline("s47", "2026-11-24T10:00", calendar) == utc("2026-11-24T17:00")
    assert deadline("caf", "2026-11-28T11:00", calendar) == utc("2026-12-01T17:00")


def test_office_hours_and_holidays_are_configurable() -> None:
    calendar = WorkingCalendar(
        hours=OfficeHours(time(8, 30), time(16, 0)), holidays={date(2026, 11, 25)}
    )

    assert deadline("s47", "2026-11-24T16:30", calendar) == utc("2026-11-26T16:00")
    assert deadline("caf", "2026-11-24T10:00", calendar) == utc("2026-11-26T16:00")


def test_an_unknown_route_gets_the_strictest_clock() -> None:
    assert deadline("somewhere", "2026-11-24T10:00") == deadline("s47", "2026-11-24T10:00")


def test_a_naive_receipt_time_is_utc() -> None:
    naive = datetime(2026, 11, 24, 10)

    assert deadline_for("caf", naive, CALENDAR) == utc("2026-11-25T17:00")


def test_clocks() -> None:
    fixed = FixedClock(utc("2026-11-24T10:00"))
    assert fixed.now() == utc("2026-11-24T10:00")
    assert fixed.advance(timedelta(hours=2)) == utc("2026-11-24T12:00") == fixed.now()
    assert SystemClock().now().tzinfo is not None


moments = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
)


@given(moments, st.sampled_from(["s47", "assessment", "caf", "universal"]))
def test_every_deadline_is_later_and_at_close_of_a_working_day(
    received: datetime, route: str
) -> None:
    due = deadline_for(route, received, CALENDAR)

    assert due.tzinfo == UTC and due > received
    local = CALENDAR.local(due)
    assert local.time() == time(17, 0)
    assert CALENDAR.is_working_day(local.date())
    assert due <= transfer_deadline(received, CALENDAR)


@given(moments)
def test_s47_is_never_later_than_a_contact_decision(received: datetime) -> None:
    assert deadline_for("s47", received, CALENDAR) < deadline_for("caf", received, CALENDAR)


@pytest.mark.parametrize("day", [date(2026, 11, 28), date(2026, 11, 29)])
def test_weekends_are_not_working_days(day: date) -> None:
    assert not CALENDAR.is_working_day(day)
    assert CALENDAR.next_working_day(day) == date(2026, 11, 30)


def test_the_start_day_is_cached_by_instant_whatever_the_zone() -> None:
    calendar = WorkingCalendar()
    friday_before_close = datetime(2026, 10, 23, 15, 30, tzinfo=UTC)  # 16:30 BST
    friday_after_close = datetime(2026, 10, 23, 16, 30, tzinfo=UTC)  # 17:30 BST
    in_new_york = friday_after_close.astimezone(ZoneInfo("America/New_York"))
    assert calendar.start_day(friday_before_close) == date(2026, 10, 23)
    assert calendar.start_day(friday_after_close) == date(2026, 10, 26)
    assert calendar.start_day(in_new_york) == date(2026, 10, 26)
    assert calendar.start_day(friday_before_close.replace(tzinfo=None)) == date(2026, 10, 23)


def test_the_start_day_cache_stays_bounded_and_exact() -> None:
    calendar = WorkingCalendar()
    start = datetime(2026, 1, 5, tzinfo=UTC)
    moments = [start + timedelta(minutes=7 * n) for n in range(5000)]
    days = [calendar.start_day(moment) for moment in moments]
    assert len(calendar._starts) <= 4096
    assert days == [WorkingCalendar().start_day(moment) for moment in moments]
    assert days == [calendar._start_day(moment) for moment in moments]
