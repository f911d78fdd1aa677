"""The dead-letter queue's pure core: ids, the fold of staff events, age, overdue, replay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from mash.avro.deadletter import deadletter_record
from mash.deadletters.codec import decode_event, encode_event
from mash.deadletters.model import (
    REPLAY_HEADER,
    DeadLetter,
    LetterAction,
    LetterEvent,
    LetterState,
    OverduePolicy,
    build_queue,
    counts,
    letter_from_record,
    letter_row,
    plan_claim,
    plan_close,
    plan_replay,
    replay_message,
    unreadable_letter,
)
from mash.domain.clocks import WorkingCalendar
from mash.errors import DecodeError, StateError, UsageError
from mash.hub.users import Role, Staff
from mash.topics import Topics

TOPICS = Topics("t.")
MONDAY_10AM = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a working Monday, GMT
MONDAY_MS = int(MONDAY_10AM.timestamp() * 1000)


def record(offset: int = 7, topic: str = "t.mash.referrals.police", **changes: Any) -> Any:
    base = deadletter_record(
        source_topic=topic,
        partition=1,
        offset=offset,
        key=b"PPN-1",
        value=b"\x00\x00\x00\x00\x65original bytes",
        reason="unknown schema id 999",
        headers=[("agency", b"police"), ("trace", None)],
        timestamp_ms=MONDAY_MS - 60_000,
        failed_at=MONDAY_10AM,
    )
    base.update(changes)
    return base


def letter(offset: int = 7, **changes: Any) -> DeadLetter:
    return letter_from_record(
        record(offset, **changes),
        topic="t.mash.deadletter",
        partition=0,
        offset=100 + offset,
        timestamp_ms=MONDAY_MS,
    )


def event(
    action: LetterAction,
    n: int,
    actor: str = "sw.ali",
    reason: str | None = None,
    of: str = "dl:t.mash.referrals.police:1:7",
) -> LetterEvent:
    return LetterEvent(f"e{n}", of, action, actor, MONDAY_10AM + timedelta(minutes=n), reason)


def ids() -> Any:
    counter = iter(range(1, 1000))
    return lambda: f"new{next(counter)}"


def test_a_dead_letter_is_identified_by_where_its_original_was_read() -> None:
    v = letter()
    assert v.id == "dl:t.mash.referrals.police:1:7"
    assert (v.source_topic, v.stage, v.reason) == (
        "t.mash.referrals.police",
        "decode",
        "unknown schema id 999",
    )
    assert v.received == MONDAY_10AM  # the dead letter's own timestamp
    assert v.state is LetterState.OPEN and v.owner is None and v.replay_of is None
    assert v.original is not None and v.original.timestamp_ms == MONDAY_MS - 60_000
    assert "original bytes" not in repr(v)  # never logged by accident


def test_without_a_source_the_id_is_its_own_place_on_the_dead_letter_topic() -> None:
    assert letter(topic="").id == "dl:t.mash.deadletter:0:107"
    broken = unreadable_letter(
        topic="t.mash.deadletter", partition=1, offset=3, timestamp_ms=MONDAY_MS, why="truncated"
    )
    assert broken.id == "dl:t.mash.deadletter:1:3" and broken.original is None
    assert "truncated" in broken.reason
    with pytest.raises(UsageError, match="no original message"):
        replay_message(broken, TOPICS)


def test_claim_replay_and_close_are_folded_in_order() -> None:
    queue = build_queue(
        [letter(7), letter(8)],
        [
            event(LetterAction.CLAIM, 1),
            event(LetterAction.REPLAY, 2),
            event(
                LetterAction.CLOSE,
                3,
                "tm.cho",
                "duplicate of a referral already routed",
                of=letter(8).id,
            ),
        ],
    )
    first, second = queue.letters[letter(7).id], queue.letters[letter(8).id]
    assert (first.state, first.owner, first.replayed_by) == (
        LetterState.REPLAYED,
        "sw.ali",
        "sw.ali",
    )
    assert first.replayed_at == MONDAY_10AM + timedelta(minutes=2)
    assert (second.state, second.owner, second.closed_by) == (
        LetterState.CLOSED,
        "tm.cho",
        "tm.cho",
    )
    assert second.closed_reason == "duplicate of a referral already routed"
    assert [e.action for e in queue.history[first.id]] == [LetterAction.CLAIM, LetterAction.REPLAY]
    assert queue.letters.keys() == {first.id, second.id}  # nothing is ever removed


def test_a_close_without_a_reason_is_refused_and_skipped() -> None:
    with pytest.raises(UsageError, match="needs a reason"):
        plan_close(letter(), "  ", "sw.ali", MONDAY_10AM, ids())
    queue = build_queue([letter()], [event(LetterAction.CLOSE, 1, reason=" ")])
    assert queue.letters[letter().id].state is LetterState.OPEN and queue.rejected == 1


def test_a_closed_or_replayed_dead_letter_cannot_be_replayed_closed_or_claimed() -> None:
    closed = build_queue([letter()], [event(LetterAction.CLOSE, 1, reason="test message")])
    v = closed.letters[letter().id]
    for plan in (
        lambda: plan_replay(v, "tm.cho", MONDAY_10AM, ids()),
        lambda: plan_claim(v, "tm.cho", MONDAY_10AM, ids()),
        lambda: plan_close(v, "again", "tm.cho", MONDAY_10AM, ids()),
    ):
        with pytest.raises(StateError, match=r"already closed by sw\.ali"):
            plan()
    replayed = build_queue(
        [letter()], [event(LetterAction.REPLAY, 1), event(LetterAction.REPLAY, 2, "tm.cho")]
    )
    assert replayed.letters[letter().id].replayed_by == "sw.ali" and replayed.rejected == 1


def test_the_first_of_two_racing_claims_wins() -> None:
    queue = build_queue(
        [letter()], [event(LetterAction.CLAIM, 1, "sw.ali"), event(LetterAction.CLAIM, 2, "sw.bea")]
    )
    assert queue.letters[letter().id].owner == "sw.ali" and queue.rejected == 1
    v = queue.letters[letter().id]
    assert plan_claim(v, "sw.ali", MONDAY_10AM, ids()) == []  # already hers: nothing to send
    with pytest.raises(StateError, match=r"already claimed by sw\.ali"):
        plan_claim(v, "sw.bea", MONDAY_10AM, ids())


def test_duplicates_are_ignored() -> None:
    claim = event(LetterAction.CLAIM, 1)
    queue = build_queue([letter(), letter()], [claim, claim])
    assert len(queue.letters) == 1 and queue.history[letter().id] == [claim]
    assert queue.rejected == 0
    assert queue.add_letter(letter()) is False
    assert queue.apply(claim) is False


def test_events_read_before_their_dead_letter_wait_for_it() -> None:
    queue = build_queue([], [event(LetterAction.CLAIM, 1), event(LetterAction.REPLAY, 2)])
    assert queue.letters == {}
    assert queue.add_letter(letter()) is True
    assert queue.letters[letter().id].state is LetterState.REPLAYED


def test_find_takes_the_id_or_a_unique_prefix_with_or_without_dl() -> None:
    queue = build_queue([letter(7), letter(71), letter(8)], [])
    assert queue.find("t.mash.referrals.police:1:8").id.endswith(":8")
    assert queue.find("dl:t.mash.referrals.police:1:7").id.endswith(":7")  # exact beats prefix
    assert queue.find("t.mash.referrals.police:1:71").id.endswith(":71")
    with pytest.raises(UsageError, match="matches 3 dead letters"):
        queue.find("dl:t.mash")
    with pytest.raises(UsageError, match="no dead letter"):
        queue.find("dl:elsewhere")
    assert [v.id[-2:] for v in queue.listed()] == [":7", "71", ":8"]


def test_open_dead_letters_are_overdue_after_the_close_of_the_next_working_day() -> None:
    policy = OverduePolicy(WorkingCalendar())
    v = letter()
    due = policy.due(v.received)
    assert due == datetime(2026, 3, 3, 17, 0, tzinfo=UTC)  # Tuesday, close of office (GMT)
    assert not policy.is_overdue(v, due)
    assert policy.is_overdue(v, due + timedelta(minutes=1))
    before = letter_row(v, MONDAY_10AM + timedelta(hours=30), policy)
    assert (before.age, before.overdue, before.status) == ("1d 6h", False, "On time")
    row = letter_row(v, MONDAY_10AM + timedelta(hours=32), policy)
    assert (row.age, row.overdue, row.status) == ("1d 8h", True, "Overdue")
    assert row.to_json()["overdue"] is True and row.to_json()["age_seconds"] == 32 * 3600
    assert "value" not in row.to_json() and "key" not in row.to_json()

    friday_evening = datetime(2026, 3, 6, 18, 0, tzinfo=UTC)
    assert policy.due(friday_evening) == datetime(2026, 3, 10, 17, 0, tzinfo=UTC)
    assert OverduePolicy(None, 2).due(MONDAY_10AM) == MONDAY_10AM + timedelta(days=2)


def test_only_unresolved_dead_letters_are_counted_open_or_overdue() -> None:
    queue = build_queue(
        [letter(7), letter(8), letter(9)],
        [event(LetterAction.CLAIM, 1), event(LetterAction.REPLAY, 2, of=letter(9).id)],
    )
    policy = OverduePolicy()
    assert (
        counts(queue, MONDAY_10AM, policy).open,
        counts(queue, MONDAY_10AM, policy).overdue,
    ) == (2, 0)
    later = MONDAY_10AM + timedelta(days=2)
    assert counts(queue, later, policy).overdue == 2
    replayed = letter_row(queue.letters[letter(9).id], later, policy)
    assert (replayed.overdue, replayed.status, replayed.age) == (False, "Dealt with", "2m")


def test_a_replay_sends_the_original_bytes_and_headers_with_a_link_back() -> None:
    v = letter()
    message = replay_message(v, TOPICS)
    assert message.topic == "t.mash.referrals.police"
    assert (message.key, message.value) == (b"PPN-1", b"\x00\x00\x00\x00\x65original bytes")
    assert message.headers == (
        ("agency", b"police"),
        ("trace", None),
        (REPLAY_HEADER, b"dl:t.mash.referrals.police:1:7"),
    )
    assert message.timestamp_ms == MONDAY_MS - 60_000  # the first receipt time is kept


def test_a_dead_letter_of_a_replay_links_to_the_one_it_was_replayed_from() -> None:
    again = letter(
        9,
        headers=[
            {"key": "agency", "value": b"police"},
            {"key": REPLAY_HEADER, "value": b"dl:x:1:7"},
        ],
    )
    assert again.replay_of == "dl:x:1:7"
    message = replay_message(again, TOPICS)
    assert [h for h in message.headers if h[0] == REPLAY_HEADER] == [
        (REPLAY_HEADER, again.id.encode())
    ]


@pytest.mark.parametrize(
    "topic", ["t.mash.decisions", "t.mash.queue.s47", "mash.referrals.police", "elsewhere"]
)
def test_a_replay_goes_only_to_an_input_topic_of_this_hub(topic: str) -> None:
    with pytest.raises(UsageError, match="cannot be replayed"):
        replay_message(letter(topic=topic), TOPICS)
    assert replay_message(letter(topic="t.mash.records.health"), TOPICS).topic == (
        "t.mash.records.health"
    )


def test_auditors_only_look_and_others_claims_are_a_managers_call() -> None:
    from mash.deadletters.model import authorise

    claimed = build_queue([letter()], [event(LetterAction.CLAIM, 1)]).letters[letter().id]
    auditor = Staff("au.dev", Role.AUDITOR)
    with pytest.raises(UsageError, match=r"au.dev \(auditor\) may not claim"):
        authorise(auditor, letter(), LetterAction.CLAIM)
    with pytest.raises(UsageError, match=r"claimed by sw\.ali"):
        authorise(Staff("sw.bea", Role.SOCIAL_WORKER, ("caf",)), claimed, LetterAction.REPLAY)
    authorise(Staff("sw.ali", Role.SOCIAL_WORKER, ("caf",)), claimed, LetterAction.CLOSE)
    authorise(Staff("tm.cho", Role.TEAM_MANAGER), claimed, LetterAction.REPLAY)
    authorise(None, claimed, LetterAction.REPLAY)


def test_events_round_trip_as_json_and_bad_ones_are_decode_errors() -> None:
    e = event(LetterAction.CLOSE, 4, reason="test message from the police sandbox")
    assert decode_event(encode_event(e)) == e
    for bad in (
        b"not json",
        b"[]",
        b'{"event_id": "e1"}',
        b'{"event_id": "e1", "deadletter_id": "d", "actor": "a", "at": "x", "action": "CLAIM"}',
        b'{"event_id": "e1", "deadletter_id": "d", "actor": "a", "at": "2026-03-02T10:00:00Z",'
        b' "action": "DELETE"}',
    ):
        with pytest.raises(DecodeError):
            decode_event(bad)
