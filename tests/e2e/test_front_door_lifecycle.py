"""A child's whole time in the front door, through the real parts: a police notification routed
by a real ``mash worker``, worked on the board (fed from the real topics, publishing to the real
``mash.overrides``), a step down that waits for a manager who first refuses it, then approves it,
and a transfer to the early help hub; the decision log's real ``mash sink`` records every step,
publishes the hand-off on ``mash.outcomes`` and the referrer's feedback, and ``mash sla track``
follows along. A corrected notification supersedes its child's open item instead of opening a
second one, and a dead letter replayed once its fault is fixed is routed by the running worker.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from stream_harness import Publisher, read_all, referral_message, workers

from mash.audit.store import open_log
from mash.audit.verify import verify_log
from mash.avro.registry import Registry
from mash.domain.clocks import SystemClock
from mash.hub.board import Board, create_app
from mash.hub.kafka_io import EventPublisher
from mash.hub.live import LiveLedger, TopicFeed
from mash.hub.model import ItemState, WorkItem
from mash.hub.users import UserStore
from mash.topics import Topics

pytestmark = pytest.mark.timeout(300)
PASSWORD = "correct horse battery"


def notification(ppn_id: str, corrected: bool = False) -> dict[str, Any]:
    """A synthetic police domestic abuse notification; the corrected one says the child was
    injured and the risk is high (the router then proposes s47, not assessment)."""
    return {
        "ppn_id": ppn_id,
        "force_code": "CLE",
        "incident_at": "2026-03-02T08:10:00Z",
        "incident_type": "DOMESTIC_ABUSE",
        "dash_risk": "HIGH" if corrected else "MEDIUM",
        "children": [
            {
                "forenames": "Testa",
                "surname": "Example",
                "dob": "2015-04-01",
                "present_at_incident": True,
                "injured": corrected,
            }
        ],
        "adults": [{"role": "VICTIM", "forenames": "Adult", "surname": "Example"}],
        "concern_codes": ["3C"],
        "non_fatal_strangulation": False,
        "weapon_used": False,
        "victim_pregnant": False,
        "marac_referral": corrected,
        "narrative": "Synthetic test notification."
        + (" The child was injured." if corrected else ""),
    }


def wait_for(condition: Callable[[], Any], what: str, timeout_s: float = 120) -> Any:
    """Poll another process's effect (a topic, a database) until ``condition`` holds."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = condition()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)  # another process's effect: there is no event to wait on


@dataclass
class Staff:
    client: TestClient
    live: LiveLedger

    def login(self, username: str) -> None:
        self.client.cookies.clear()
        page = self.client.get("/login").text
        response = self.client.post(
            "/login",
            data={"username": username, "password": PASSWORD, "csrf": csrf(page)},
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text

    def post(self, decision_id: str, action: str, **data: str) -> str:
        page = self.client.get(f"/items/{decision_id}").text
        response = self.client.post(
            f"/items/{decision_id}/{action}", data={**data, "csrf": csrf(page)}
        )
        assert response.status_code == 200, response.text
        return response.text

    def item(self, decision_id: str) -> WorkItem:
        return self.live.read(lambda ledger: ledger.items[decision_id])

    def items_of(self, source_id: str) -> list[WorkItem]:
        return self.live.read(
            lambda ledger: [i for i in ledger.items.values() if i.source_id == source_id]
        )


def csrf(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match
    return match.group(1)


@pytest.fixture
def board(kafka_bootstrap: str, topics: Topics, tmp_path: Path) -> Iterator[Staff]:
    """The board as `mash board` assembles it, on this test's topics."""
    users = UserStore(tmp_path / "users.json")
    users.add("sw.ali", PASSWORD, "social-worker", ["s47", "assessment", "caf"])
    users.add("tm.cho", PASSWORD, "team-manager")
    live = LiveLedger()
    feed = TopicFeed(kafka_bootstrap, topics, live)
    publisher = EventPublisher(kafka_bootstrap, topics)
    app = create_app(Board(live, users, publisher.publish, SystemClock(), secret="e2e-secret"))
    feed.start()
    try:
        yield Staff(TestClient(app), live)
    finally:
        feed.stop()
        publisher.close()


def test_a_child_goes_from_referral_to_transfer_with_a_managers_refusal_and_approval(
    kafka_bootstrap: str, topics: Topics, tmp_path: Path, board: Staff
) -> None:
    registry = Registry.default()
    db_url = f"sqlite:///{tmp_path / 'decisions.db'}"
    publisher = Publisher(kafka_bootstrap)
    first, second = notification("PPN-LIFE-1"), notification("PPN-LIFE-2")
    publisher.send(
        [referral_message(registry, topics, "police", n, i) for i, n in enumerate([first, second])]
    )
    with workers(kafka_bootstrap, topics, tmp_path) as pool:
        worker = pool.start("w1")
        sink = pool.start_sink("sink", db_url)
        tracker = pool.run("tracker", "sla", "track", "--interval", "0.5")
        [item] = wait_for(lambda: board.items_of("PPN-LIFE-1"), "the routed child on the board")
        assert (item.route, item.state) == ("assessment", ItemState.ROUTED)
        child = item.decision_id

        # a step down waits; the manager refuses it, then approves it once asked again
        board.login("sw.ali")
        board.post(child, "override", route="caf", reason="Family accept early help")
        assert board.item(child).state is ItemState.AWAITING_APPROVAL
        assert board.item(child).route == "assessment"
        board.login("tm.cho")
        board.post(child, "refuse", reason="Ask the school first")
        board.login("sw.ali")
        board.post(child, "override", route="caf", reason="School agrees: early help")
        board.login("tm.cho")
        board.post(child, "approve")
        assert (board.item(child).state, board.item(child).route) == (ItemState.OVERRIDDEN, "caf")
        board.login("sw.ali")
        board.post(child, "transfer", destination="EARLY_HELP_HUB")
        assert board.item(child).state is ItemState.TRANSFERRED

        # a corrected notification supersedes the other child's open item
        wait_for(lambda: board.items_of("PPN-LIFE-2"), "the second child on the board")
        publisher.send(
            [referral_message(registry, topics, "police", notification("PPN-LIFE-2", True), 2)]
        )
        publisher.close()
        pair = wait_for(
            lambda: (found := board.items_of("PPN-LIFE-2")) and len(found) == 2 and found,
            "the corrected decision",
        )
        older, newer = sorted(pair, key=lambda i: i.route != "assessment")
        assert (older.state, older.superseded_by) == (ItemState.SUPERSEDED, newer.decision_id)
        assert (newer.route, newer.supersedes, newer.is_open) == ("s47", (older.decision_id,), True)
        open_items = board.live.read(lambda ledger: ledger.open_items())
        assert [i.decision_id for i in open_items if i.source_id == "PPN-LIFE-2"] == [
            newer.decision_id
        ]

        # a dead letter (a referral the worker failed on), replayed once the fault is fixed,
        # is routed by the running worker
        topic, key, value = referral_message(
            registry, topics, "police", notification("PPN-LIFE-3"), 3
        )
        letter = {
            "source_topic": topic,
            "partition": 0,
            "offset": 7,
            "timestamp": None,
            "key": key,
            "value": value,
            "headers": [],
            "stage": "route",
            "reason": "record index not reachable",
            "failed_at": datetime.now(UTC),
            "worker": "e2e",
        }
        dead = Publisher(kafka_bootstrap)
        dead.send([(topics.deadletter, key, registry.encode("deadletter", letter))])
        dead.close()
        assert board.items_of("PPN-LIFE-3") == []
        letter_id = f"dl:{topic}:0:7"
        for step in (["claim", letter_id], ["replay", letter_id]):
            run = pool.run(f"deadletter-{step[0]}", "deadletter", *step, "--as", "sw.ali")
            assert run.wait(60) == 0, run.text()
        [replayed] = wait_for(lambda: board.items_of("PPN-LIFE-3"), "the replayed referral routed")
        assert replayed.state is ItemState.ROUTED

        # the decision log holds every step, in order, and still verifies
        log = open_log(db_url)

        def steps() -> list[tuple[str, str]]:
            decision = log.get(child)
            if decision is None:
                return []
            entries = [*log.actions_of(decision), *log.overrides_of(child)]
            entries.sort(key=lambda e: str(e["decided_at"]))
            return [(str(e["kind"]), str(e["action"])) for e in entries]

        expected = [
            ("action", "CLAIM"),
            ("action", "OVERRIDE"),
            ("action", "REFUSE"),
            ("action", "OVERRIDE"),
            ("override", "APPROVE"),
            ("action", "TRANSFER"),
        ]
        wait_for(lambda: len(steps()) == len(expected), "every staff step in the decision log")
        assert steps() == expected
        assert verify_log(log).ok
        assert worker.alive() and sink.alive() and tracker.alive()

    # the hand-off, for the case-management system and for the referring police force
    outcomes = [
        registry.decode(m.value, "outcome") for m in read_all(kafka_bootstrap, [topics.outcomes])
    ]
    assert [(o["decision_id"], o["outcome"], o["destination"], o["route"]) for o in outcomes] == [
        (child, "TRANSFERRED", "EARLY_HELP_HUB", "caf")
    ]
    assert outcomes[0]["at"] <= datetime.now(UTC)
    feedback = [
        registry.decode(m.value, "feedback")
        for m in read_all(kafka_bootstrap, [topics.feedback("police")])
    ]
    assert [(f["source_id"], f["outcome"]) for f in feedback] == [("PPN-LIFE-1", "TRANSFERRED")]
    assert "early help hub" in feedback[0]["summary"]
    assert "sw.ali" not in str(feedback[0]) and "Testa" not in str(feedback[0])
