"""A worker SIGKILLed while a few thousand referrals flow, then restarted: every child is
decided, none lost, and exactly once in the decision log.

What this proves, honestly: the worker runs at-least-once (see :mod:`mash.stream`), so the
decisions *topic* may carry a re-published copy of what the killed worker had sent but not yet
committed. The test proves (1) nothing is lost: every child of every valid referral has its
decision on mash.decisions and its work item on its route's queue; (2) every copy is the same
decision (same id, route, level, rules, checks; only decided_at differs), because ids are
deterministic; (3) the decision log, fed every event including the copies as the sink is,
holds each decision exactly once. It counts the copies rather than asserting there are none.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from stream_harness import (
    DecisionsSeen,
    generated_feed,
    read_all,
    read_decision_log_count,
    same_decision,
    workers,
)

from mash.avro.decision import decode_decision
from mash.avro.registry import Registry
from mash.topics import Topics

pytestmark = pytest.mark.timeout(420)

REFERRALS = 3000
CHUNK = 250
PAUSE_S = 0.25


def test_a_killed_worker_loses_nothing_and_the_log_holds_each_decision_once(
    kafka_bootstrap: str, topics: Topics, tmp_path: Path
) -> None:
    registry = Registry.default()
    expected, flowing = generated_feed(
        kafka_bootstrap, topics, registry, REFERRALS, 21, CHUNK, PAUSE_S
    )
    seen = DecisionsSeen(kafka_bootstrap, topics, registry)
    with workers(kafka_bootstrap, topics, tmp_path) as pool:
        first = pool.start("w1")
        flowing.start()
        deadline = time.monotonic() + 180
        while seen.read() < len(expected.ids) // 5:
            assert time.monotonic() < deadline, first.text()[-3000:]
            assert first.alive(), first.text()[-3000:]
        first.kill()
        decided_at_kill = seen.read()
        assert decided_at_kill < len(expected.ids), "the kill must land mid-stream"

        second = pool.start("w2")
        seen.wait_for(expected.ids, timeout_s=240, alive=second.alive)
        flowing.join()
        assert len(flowing.acked) == len(flowing.messages), flowing.failed
        time.sleep(2)  # let a last re-published copy arrive before counting
        seen.read()
        assert second.stop() == 0
    seen.close()

    # (1) nothing lost, nothing unexpected
    assert seen.by_id.keys() == expected.ids
    # (2) every copy is the same decision
    copies = seen.events - len(seen.by_id)
    for decision_id, events in seen.by_id.items():
        for event in events:
            differs = same_decision(event, expected.decisions[decision_id])
            assert differs == [], {
                k: (event.get(k), expected.decisions[decision_id][k]) for k in differs
            }
    # (3) the log's set semantics: each decision exactly once
    every_event = [event for events in seen.by_id.values() for event in events]
    assert len(every_event) == len(expected.ids) + copies
    assert read_decision_log_count(tmp_path / "log.db", every_event) == len(expected.ids)

    # every work item reached its queue (copies too are on the right queue)
    queued: dict[str, set[str]] = {}
    for message in read_all(kafka_bootstrap, topics.queues()):
        item = decode_decision(message.value, registry=registry)
        assert message.topic == topics.queue(item["route"])
        queued.setdefault(item["decision_id"], set()).add(item["route"])
    assert queued.keys() == expected.ids
    assert all(routes == {expected.decisions[i]["route"]} for i, routes in queued.items())

    # invalid generated referrals (if any) were dead-lettered, not dropped
    letters = read_all(kafka_bootstrap, [topics.deadletter], quiet_s=1.0)
    assert {m.key.decode() for m in letters} == set(expected.invalid)
    print(
        f"\nkill test: {len(expected.ids)} decisions, killed after {decided_at_kill}, "
        f"{copies} re-published copies collapsed by the log"
    )
