"""End to end through the real broker: records loaded, the public vignettes published (both
police schema versions, both wire framings), a real ``mash worker``, and every child's decision
read back from mash.decisions and from its route's queue.

The vignettes are the repository's copy (``tests/data/guidance/vignettes``), so the test
never skips.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from stream_harness import (
    DecisionsSeen,
    Publisher,
    offline_decisions,
    read_all,
    record_messages,
    referral_message,
    same_decision,
    vignette_data,
    workers,
)

from mash.avro.decision import decode_decision
from mash.avro.registry import Registry
from mash.rules import load_rules
from mash.topics import Topics

pytestmark = pytest.mark.timeout(300)


def test_every_vignette_child_is_decided_and_queued_as_the_guidance_expects(
    kafka_bootstrap: str, topics: Topics, tmp_path: Path
) -> None:
    registry = Registry.default()
    records, referrals, expected_lines = vignette_data()
    expected = offline_decisions(load_rules(), records, referrals)
    assert expected.decisions, "no referral in the data set is routable"

    publisher = Publisher(kafka_bootstrap)
    publisher.send(record_messages(registry, topics, records))
    messages = [
        referral_message(registry, topics, agency, obj, i)
        for i, (agency, obj) in enumerate(referrals)
    ]
    publisher.send(messages)
    publisher.close()
    police = [value for topic, _, value in messages if topic == topics.referrals("police")]
    framings = {value[:1] for _, _, value in messages if value}
    assert framings == {b"\x00", b"\xc3"}, "both wire framings are exercised"
    versions = {registry.writer_of(value).version for value in police if value}
    assert versions == {1, 2}, "both police schema versions are exercised"

    seen = DecisionsSeen(kafka_bootstrap, topics, registry)
    with workers(kafka_bootstrap, topics, tmp_path) as pool:
        worker = pool.start("w1")
        seen.wait_for(expected.ids, timeout_s=180, alive=worker.alive)
        assert worker.stop() == 0, worker.text()[-3000:]
    seen.read()
    seen.close()

    # mash.decisions: one decision per child, exactly as the offline router decides
    assert seen.by_id.keys() == expected.ids
    for decision_id, events in seen.by_id.items():
        assert len(events) == 1, f"decision {decision_id} published {len(events)} times"
        assert same_decision(events[0], expected.decisions[decision_id]) == []

    # every decision's work item is on its route's queue, and on no other
    queued = {}
    for message in read_all(kafka_bootstrap, topics.queues()):
        item = decode_decision(message.value, registry=registry)
        assert message.topic == topics.queue(item["route"])
        assert item["decision_id"] not in queued
        queued[item["decision_id"]] = item["route"]
    assert queued == {i: d["route"] for i, d in expected.decisions.items()}

    # the routes the guidance accepts (the public vignettes)
    by_child = {
        (d["agency"], d["source_id"], d["child_index"]): d["route"]
        for events in seen.by_id.values()
        for d in events
    }
    for line in expected_lines:
        key = (line["agency"], line["source_id"], line["child_index"])
        assert by_child[key] in line["acceptable"], f"{key}: {by_child[key]} ({line['guidance']})"
    assert len(by_child) >= len(expected_lines)

    # nothing dead-lettered: every vignette is valid
    assert read_all(kafka_bootstrap, [topics.deadletter], quiet_s=1.0) == []
