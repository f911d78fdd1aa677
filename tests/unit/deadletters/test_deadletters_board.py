"""The board's dead-letter page, its forms and roles, and the two gauges on /metrics (no broker).

What the board sends goes to an in-memory outbox; the board applies its own events to the live
queue, as it does in production before its reader sees them come back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from mash.avro.deadletter import deadletter_record
from mash.deadletters.live import LiveDeadLetters
from mash.deadletters.model import (
    REPLAY_HEADER,
    DeadLetterQueue,
    LetterEvent,
    LetterState,
    ReplayMessage,
    letter_from_record,
)
from mash.domain.clocks import FixedClock
from mash.errors import BrokerError
from mash.hub.board import Board, create_app
from mash.hub.live import LiveLedger
from mash.hub.sla import ELAPSED
from mash.hub.users import UserStore

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"
SECRET_BYTES = b"\x00\x00\x00\x00\x65child's referral bytes"


@dataclass
class FakeOutbox:
    replays: list[ReplayMessage] = field(default_factory=list)
    events: list[LetterEvent] = field(default_factory=list)
    down: bool = False

    def replay(self, message: ReplayMessage) -> None:
        if self.down:
            raise BrokerError("publishing to t.mash.referrals.police failed: KafkaTimeoutError")
        self.replays.append(message)

    def publish(self, events: list[LetterEvent]) -> None:
        if self.down:
            raise BrokerError("publishing to t.mash.deadletter.events failed")
        self.events.extend(events)


@dataclass
class Desk:
    client: TestClient
    outbox: FakeOutbox
    live: LiveLedger
    ids: dict[str, str]


def _letter(offset: int, topic: str, received: datetime, reason: str) -> Any:
    return letter_from_record(
        deadletter_record(
            source_topic=topic,
            partition=0,
            offset=offset,
            key=b"PPN-9",
            value=SECRET_BYTES,
            reason=reason,
            headers=[("agency", b"police")],
            timestamp_ms=int(received.timestamp() * 1000),
            failed_at=received,
        ),
        topic="t.mash.deadletter",
        partition=0,
        offset=offset,
        timestamp_ms=int(received.timestamp() * 1000),
    )


@pytest.fixture
def desk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Desk:
    monkeypatch.setenv("MASH_HOME", str(tmp_path))
    monkeypatch.setenv("MASH_TOPIC_PREFIX", "t.")
    monkeypatch.delenv("MASH_DEADLETTER_OVERDUE_DAYS", raising=False)
    users = UserStore(tmp_path / "users.json")
    users.add("sw.ali", PASSWORD, "social-worker", ["caf"])
    users.add("sw.bea", PASSWORD, "social-worker")
    users.add("tm.cho", PASSWORD, "team-manager")
    users.add("au.dev", PASSWORD, "auditor")
    letters = {
        "old": _letter(
            3, "t.mash.referrals.police", START - timedelta(days=2), "unknown schema 999"
        ),
        "new": _letter(4, "t.mash.referrals.health", START, "truncated payload"),
        "log": _letter(5, "t.mash.decisions", START, "decision without an id"),
    }
    queue = DeadLetterQueue()
    for v in letters.values():
        queue.add_letter(v)
    live = LiveLedger()
    live.caught_up.set()
    live.deadletters = LiveDeadLetters(queue)
    live.deadletters.caught_up.set()
    outbox = FakeOutbox()
    live.deadletters.outbox = outbox
    counter = iter(range(1, 1000))
    app = create_app(
        Board(
            live=live,
            users=users,
            publish=lambda events: None,
            clock=FixedClock(START + timedelta(hours=1)),
            secret="test-secret",
            new_id=lambda: f"ev{next(counter)}",
            policy=ELAPSED,
        )
    )
    return Desk(TestClient(app), outbox, live, {k: v.id for k, v in letters.items()})


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "every form carries a CSRF token"
    return match.group(1)


def login(desk: Desk, username: str) -> str:
    form = desk.client.get("/login")
    response = desk.client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf": _csrf(form.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    return _csrf(desk.client.get("/deadletters").text)


def state(desk: Desk, name: str) -> LetterState:
    return desk.live.deadletters.read(lambda q: q.letters[desk.ids[name]].state)


def test_the_page_needs_a_login(desk: Desk) -> None:
    response = desk.client.get("/deadletters", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    post = desk.client.post(
        "/deadletters/claim", data={"csrf": "x", "letter": desk.ids["old"]}, follow_redirects=False
    )
    assert post.status_code == 303 and desk.outbox.events == []


def test_the_queue_shows_ids_topics_reasons_ages_and_overdue_in_words(desk: Desk) -> None:
    login(desk, "tm.cho")
    page = desk.client.get("/deadletters")
    assert page.status_code == 200
    text = page.text
    assert "(3 open)" in text
    assert all(desk.ids[name] in text for name in ("old", "new", "log"))
    assert "from t.mash.referrals.police" in text and "decode: unknown schema 999" in text
    assert text.index(desk.ids["old"]) < text.index(desk.ids["new"])  # oldest first
    assert text.count(">Overdue<") == 1 and text.count(">On time<") == 2
    assert "2d 1h" in text and "1h 00m" in text
    assert "child&#39;s referral" not in text and "referral bytes" not in text
    assert 'href="/deadletters" aria-current="page">Dead letters' in text
    assert 'href="/deadletters"' in desk.client.get("/queues").text


def test_claim_replay_and_close_from_the_board(desk: Desk) -> None:
    token = login(desk, "sw.ali")
    claimed = desk.client.post(
        "/deadletters/claim",
        data={"csrf": token, "letter": desk.ids["old"]},
        follow_redirects=False,
    )
    assert claimed.status_code == 303 and claimed.headers["location"] == "/deadletters"
    assert state(desk, "old") is LetterState.CLAIMED
    page = desk.client.get("/deadletters").text
    assert f"You have claimed dead letter {desk.ids['old']}." in page
    assert "claimed by sw.ali" in page

    replayed = desk.client.post(
        "/deadletters/replay", data={"csrf": token, "letter": desk.ids["old"]}
    )
    assert replayed.status_code == 200 and "replayed to its topic" in replayed.text
    [message] = desk.outbox.replays
    assert (message.topic, message.key, message.value) == (
        "t.mash.referrals.police",
        b"PPN-9",
        SECRET_BYTES,
    )
    assert message.headers == (("agency", b"police"), (REPLAY_HEADER, desk.ids["old"].encode()))
    assert state(desk, "old") is LetterState.REPLAYED

    closed = desk.client.post(
        "/deadletters/close",
        data={"csrf": token, "letter": desk.ids["log"], "reason": "decision was re-sent"},
    )
    assert closed.status_code == 200 and "(1 open)" in closed.text
    assert [(e.action, e.actor, e.reason) for e in desk.outbox.events] == [
        ("CLAIM", "sw.ali", None),
        ("REPLAY", "sw.ali", None),
        ("CLOSE", "sw.ali", "decision was re-sent"),
    ]
    everything = desk.client.get("/deadletters?all=1").text
    assert "closed by sw.ali: decision was re-sent" in everything
    assert "replayed by sw.ali" in everything and "Dealt with" in everything


def test_a_close_without_a_reason_shows_the_form_again_with_the_error(desk: Desk) -> None:
    token = login(desk, "sw.bea")
    response = desk.client.post(
        "/deadletters/close", data={"csrf": token, "letter": desk.ids["new"], "reason": "  "}
    )
    assert response.status_code == 400
    assert "Give the reason for closing this dead letter." in response.text
    assert 'aria-invalid="true"' in response.text
    assert desk.outbox.events == [] and state(desk, "new") is LetterState.OPEN


def test_refusals_change_nothing(desk: Desk) -> None:
    token = login(desk, "sw.ali")
    desk.client.post("/deadletters/claim", data={"csrf": token, "letter": desk.ids["new"]})
    sent = list(desk.outbox.events)

    other = login(desk, "sw.bea")
    taken = desk.client.post("/deadletters/replay", data={"csrf": other, "letter": desk.ids["new"]})
    assert taken.status_code == 403 and "claimed by sw.ali" in taken.text
    again = desk.client.post("/deadletters/claim", data={"csrf": other, "letter": desk.ids["new"]})
    assert again.status_code == 409 and "already claimed by sw.ali" in again.text
    elsewhere = desk.client.post(
        "/deadletters/replay", data={"csrf": other, "letter": desk.ids["log"]}
    )
    assert elsewhere.status_code == 409 and "cannot be replayed" in elsewhere.text
    missing = desk.client.post("/deadletters/claim", data={"csrf": other, "letter": "dl:nope"})
    assert missing.status_code == 404
    forged = desk.client.post("/deadletters/claim", data={"csrf": "x", "letter": desk.ids["old"]})
    assert forged.status_code == 400

    desk.outbox.down = True
    down = desk.client.post("/deadletters/claim", data={"csrf": other, "letter": desk.ids["old"]})
    assert down.status_code == 503
    assert desk.outbox.events == sent and desk.outbox.replays == []
    assert state(desk, "old") is LetterState.OPEN and state(desk, "log") is LetterState.OPEN


def test_a_manager_may_replay_what_someone_else_claimed(desk: Desk) -> None:
    token = login(desk, "sw.ali")
    desk.client.post("/deadletters/claim", data={"csrf": token, "letter": desk.ids["new"]})
    manager = login(desk, "tm.cho")
    response = desk.client.post(
        "/deadletters/replay", data={"csrf": manager, "letter": desk.ids["new"]}
    )
    assert response.status_code == 200
    assert [m.topic for m in desk.outbox.replays] == ["t.mash.referrals.health"]
    assert desk.live.deadletters.read(lambda q: q.letters[desk.ids["new"]].replayed_by) == "tm.cho"


def test_auditors_see_the_queue_but_have_no_forms_and_are_refused(desk: Desk) -> None:
    token = login(desk, "au.dev")
    page = desk.client.get("/deadletters").text
    assert desk.ids["old"] in page
    assert "/deadletters/claim" not in page and "cannot act on them" in page
    response = desk.client.post(
        "/deadletters/claim", data={"csrf": token, "letter": desk.ids["old"]}
    )
    assert response.status_code == 403 and "may not claim" in response.text
    assert desk.outbox.events == []


def test_without_a_broker_connection_the_board_refuses_in_words(desk: Desk) -> None:
    desk.live.deadletters.outbox = None
    token = login(desk, "tm.cho")
    response = desk.client.post(
        "/deadletters/claim", data={"csrf": token, "letter": desk.ids["old"]}
    )
    assert response.status_code == 503 and "not connected to the broker" in response.text


def test_metrics_count_open_and_overdue_dead_letters(desk: Desk) -> None:
    body = desk.client.get("/metrics").text
    assert "mash_deadletters_open 3.0" in body
    assert "mash_deadletters_overdue 1.0" in body
    token = login(desk, "tm.cho")
    desk.client.post(
        "/deadletters/close",
        data={"csrf": token, "letter": desk.ids["old"], "reason": "sent again by the agency"},
    )
    body = desk.client.get("/metrics").text
    assert "mash_deadletters_open 2.0" in body and "mash_deadletters_overdue 0.0" in body
