"""The SLA tracker as a real Faust worker on a real broker: each alert once, even across a
restart (its table comes back from the changelog before it looks at the clock again)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from mash.hub.codec import encode_event
from mash.hub.kafka_io import read_topics
from mash.hub.model import Action, HubEvent
from mash.kafka import clients
from mash.topics import Topics

MASH = str(Path(sys.executable).with_name("mash"))


@contextmanager
def tracker(bootstrap: str, topics: Topics, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "MASH_BOOTSTRAP": bootstrap,
        "MASH_TOPIC_PREFIX": topics.prefix,
        "MASH_PARTITIONS": "2",
    }
    with log.open("ab") as out:
        worker = subprocess.Popen(
            [MASH, "sla", "track", "--interval", "0.5"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            yield worker
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait(timeout=5)


def alerts(bootstrap: str, topics: Topics) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    read_topics(bootstrap, [topics.alerts], lambda _t, payload: found.append(json.loads(payload)))
    return found


def wait_for(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.5)


Route = Callable[..., list[dict[str, Any]]]
Publish = Callable[[list[dict[str, Any]]], None]


def kinds_of(bootstrap: str, topics: Topics, decision_id: str) -> list[str]:
    """The kinds of alert published so far for one item, sorted."""
    return sorted(a["kind"] for a in alerts(bootstrap, topics) if a["decision_id"] == decision_id)


def barrier(
    bootstrap: str,
    topics: Topics,
    route: Route,
    notification: Callable[..., dict[str, Any]],
    publish: Publish,
    name: str,
) -> None:
    """Know that the tracker has had at least one full tick over every row since now, without
    sleeping: two overdue marker children are published one after the other, and the second
    one's alert can only be sent by a tick that started after the tick which alerted on the
    first had gone through every row."""
    now = datetime.now(UTC)
    for n in range(2):
        (marker,) = route(
            notification(f"PPN-{name}{n}", "MEDIUM"), received=now - timedelta(hours=3)
        )
        marker["deadline"] = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
        publish([marker])
        wait_for(
            lambda m=marker["decision_id"]: "SLA_BREACH" in kinds_of(bootstrap, topics, m),
            90,
            "a marker's alert",
        )


def test_one_warning_and_one_breach_each_even_across_a_restart(
    kafka_bootstrap: str,
    topics: Topics,
    tmp_path: Path,
    notification: Callable[..., dict[str, Any]],
    route: Callable[..., list[dict[str, Any]]],
    publish: Callable[[list[dict[str, Any]]], None],
) -> None:
    now = datetime.now(UTC)
    # Received 3 hours ago: the router's deadlines are the real ones, then moved so that one
    # child is overdue and one is at 90% of its time; a third, overdue, is decided already.
    overdue, due_soon, decided = route(
        notification("PPN-T1", "MEDIUM"),
        notification("PPN-T2", "MEDIUM"),
        notification("PPN-T3", "MEDIUM"),
        received=now - timedelta(hours=3),
    )
    overdue["deadline"] = (now - timedelta(minutes=5)).isoformat()
    due_soon["deadline"] = (now + timedelta(minutes=20)).isoformat()
    decided["deadline"] = (now - timedelta(minutes=5)).isoformat()
    publish([overdue, due_soon, decided])
    _publish_events(kafka_bootstrap, topics, decided["decision_id"], now - timedelta(hours=2))

    log = tmp_path / "tracker.log"
    expected = sorted(
        [
            (overdue["decision_id"], "SLA_WARNING"),
            (overdue["decision_id"], "SLA_BREACH"),
            (due_soon["decision_id"], "SLA_WARNING"),
        ]
    )

    ours = {overdue["decision_id"], due_soon["decision_id"], decided["decision_id"]}

    def kinds() -> list[tuple[str, str]]:
        found = alerts(kafka_bootstrap, topics)
        return sorted((a["decision_id"], a["kind"]) for a in found if a["decision_id"] in ours)

    with tracker(kafka_bootstrap, topics, log):
        wait_for(lambda: len(kinds()) >= 3, 90, "three alerts")
        barrier(kafka_bootstrap, topics, route, notification, publish, "A")  # nothing more came
    assert kinds() == expected, log.read_text()[-3000:]

    with tracker(kafka_bootstrap, topics, log) as worker:
        barrier(kafka_bootstrap, topics, route, notification, publish, "B")  # recovered, ticked
        assert worker.poll() is None, log.read_text()[-3000:]
    assert kinds() == expected, log.read_text()[-3000:]
    first = next(a for a in alerts(kafka_bootstrap, topics) if a["kind"] == "SLA_BREACH")
    assert first["alert_id"] == f"{overdue['decision_id']}:SLA_BREACH"


def _publish_events(bootstrap: str, topics: Topics, decision_id: str, at: datetime) -> None:
    producer = clients.producer(bootstrap, acks="all")
    try:
        for n, action in enumerate((Action.CLAIM, Action.CONFIRM)):
            route = None if action is Action.CLAIM else "assessment"
            event = HubEvent(f"{decision_id}-{n}", decision_id, action, "sw.ali", at, route=route)
            producer.send(topics.overrides, key=decision_id.encode(), value=encode_event(event))
        producer.flush(timeout=30)
    finally:
        producer.close(timeout=10)


def _out_of_hours_saturday(now: datetime) -> datetime:
    """02:00 UTC on a Saturday at least three weeks ago: out of office hours, and long enough
    ago that the five working days (bank holidays included) are over."""
    day = (now - timedelta(days=21)).replace(hour=2, minute=0, second=0, microsecond=0)
    while day.weekday() != 5:
        day -= timedelta(days=1)
    return day


def test_five_day_and_out_of_hours_breaches_once_each_across_a_restart(
    kafka_bootstrap: str,
    topics: Topics,
    tmp_path: Path,
    notification: Callable[..., dict[str, Any]],
    route: Callable[..., list[dict[str, Any]]],
    publish: Callable[[list[dict[str, Any]]], None],
) -> None:
    """An s47 child referred on a Saturday night weeks ago and never picked up: dispatched to
    the EDT, EDT and decision and front-door warnings and breaches, each once, and none again
    after a restart. "Nothing more came" is known without sleeping: two marker children are
    published one after the other after the restart, and the second one's alert can only be
    sent by a tick that started after the tick which alerted on the first had gone through
    every row."""
    now = datetime.now(UTC)
    (child,) = route(notification("PPN-E1", "HIGH"), received=_out_of_hours_saturday(now))
    child["route"] = "s47"  # whatever the rules said: the out-of-hours s47 path is under test
    publish([child])
    key = child["decision_id"]
    expected = sorted(
        [
            "EDT_DISPATCH",
            "EDT_WARNING",
            "EDT_BREACH",
            "SLA_WARNING",
            "SLA_BREACH",
            "FRONT_DOOR_WARNING",
            "FRONT_DOOR_BREACH",
        ]
    )

    def ours() -> list[str]:
        return kinds_of(kafka_bootstrap, topics, key)

    log = tmp_path / "tracker.log"
    with tracker(kafka_bootstrap, topics, log):
        wait_for(lambda: len(ours()) >= len(expected), 90, "the child's alerts")
        barrier(kafka_bootstrap, topics, route, notification, publish, "C")
    assert ours() == expected, log.read_text()[-3000:]

    with tracker(kafka_bootstrap, topics, log) as worker:
        barrier(kafka_bootstrap, topics, route, notification, publish, "D")  # recovered, ticked
        assert worker.poll() is None, log.read_text()[-3000:]
    assert ours() == expected, log.read_text()[-3000:]
    dispatch = next(
        a for a in alerts(kafka_bootstrap, topics) if a["alert_id"] == f"{key}:EDT_DISPATCH"
    )
    assert dispatch["route"] == "s47"
