"""Two workers in one consumer group share the partitions; one is stopped mid-stream and the
other takes over its partitions: every child is decided, and exactly once in the log."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from stream_harness import (
    DecisionsSeen,
    generated_feed,
    read_decision_log_count,
    same_decision,
    workers,
)

from mash.avro.registry import Registry
from mash.topics import Topics

pytestmark = pytest.mark.timeout(420)

REFERRALS = 2000
CHUNK = 100
PAUSE_S = 0.2
ROUTED = re.compile(r"stopped: referrals (\d+)")


def routed_by(log_text: str) -> int:
    """Referrals a worker routed, from the summary it logs when it stops."""
    found = ROUTED.findall(log_text)
    assert found, "the worker logged no summary"
    return int(found[-1])


def test_two_workers_share_the_work_and_one_leaving_loses_nothing(
    kafka_bootstrap: str, topics: Topics, tmp_path: Path
) -> None:
    registry = Registry.default()
    expected, flowing = generated_feed(
        kafka_bootstrap, topics, registry, REFERRALS, 33, CHUNK, PAUSE_S
    )
    seen = DecisionsSeen(kafka_bootstrap, topics, registry)
    with workers(kafka_bootstrap, topics, tmp_path) as pool:
        staying = pool.start("w1")
        leaving = pool.start("w2")
        # Both in the group before any referral flows, or the first to join may do it all.
        leaving.wait_for_assignment(".mash.referrals.")
        flowing.start()
        deadline = time.monotonic() + 180
        while seen.read() < len(expected.ids) // 3:
            assert time.monotonic() < deadline
            assert staying.alive() and leaving.alive()
        assert leaving.stop() == 0, leaving.text()[-3000:]
        assert seen.read() < len(expected.ids), "the stop must land mid-stream"

        seen.wait_for(expected.ids, timeout_s=240, alive=staying.alive)
        flowing.join()
        assert len(flowing.acked) == len(flowing.messages), flowing.failed
        time.sleep(2)
        seen.read()
        assert staying.stop() == 0
    seen.close()

    # both workers did part of the work
    by_leaving, by_staying = routed_by(leaving.text()), routed_by(staying.text())
    assert by_leaving > 0, leaving.text()[-4000:]
    assert by_staying > 0
    assert by_leaving + by_staying >= len(flowing.messages) - len(expected.invalid)

    assert seen.by_id.keys() == expected.ids
    for decision_id, events in seen.by_id.items():
        for event in events:
            differs = same_decision(event, expected.decisions[decision_id])
            assert differs == [], {
                k: (event.get(k), expected.decisions[decision_id][k]) for k in differs
            }
    every_event = [event for events in seen.by_id.values() for event in events]
    assert read_decision_log_count(tmp_path / "log.db", every_event) == len(expected.ids)
