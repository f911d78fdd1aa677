"""The connectors against a real broker: publish, records load and tail, through the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from datafiles import VIGNETTES

from connectors.kafka import Message, consume
from mash.avro import Registry
from mash.kafka import clients
from mash.topics import Topics

REGISTRY = Registry.default()
MASH = str(Path(sys.executable).with_name("mash"))


def _mash(bootstrap: str, topics: Topics, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MASH_BOOTSTRAP": bootstrap, "MASH_TOPIC_PREFIX": topics.prefix}
    return subprocess.run(
        [MASH, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def _read(bootstrap: str, topic: str) -> list[Message]:
    """Every message of ``topic``: the publisher has flushed with acks=all before this runs,
    so everything is on the broker; 3 s without a message means the end."""
    return list(consume(bootstrap, topic, from_beginning=True, timeout_s=3))


def _count(bootstrap: str, topic: str) -> int:
    """How many messages ``topic`` holds (sum of its partitions' end offsets; a fresh topic)."""
    from kafka import TopicPartition

    consumer = clients.consumer(bootstrap, group_id=None)
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
        return sum(consumer.end_offsets(partitions).values())
    finally:
        consumer.close()


def _jsonl(path: Path, rows: list[Any]) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return path


def test_publish_sends_the_good_lines_rejects_the_bad_and_exits_2(
    kafka_bootstrap: str, topics: Topics, tmp_path: Path
) -> None:
    good = [{**REGISTRY.examples("police", 2)[0], "ppn_id": f"PPN-IT-{n}"} for n in range(1, 6)]
    bad = {**good[0], "ppn_id": "PPN-IT-BAD", "dash_risk": "EXTREME"}
    path = _jsonl(tmp_path / "police.jsonl", [good[0], good[1], bad, "{", *good[2:]])

    result = _mash(kafka_bootstrap, topics, "publish", "police", str(path))

    assert result.returncode == 2, result.stderr
    assert result.stdout.strip() == (
        f"police referrals: sent 5, rejected 2 -> {topics.referrals('police')} "
        f"(rejects in {path}.rejects.jsonl)"
    )
    rejects = [json.loads(x) for x in Path(f"{path}.rejects.jsonl").read_text().splitlines()]
    assert [(r["line"], r["id"]) for r in rejects] == [(3, "PPN-IT-BAD"), (4, None)]
    assert rejects[0]["reason"] == "police v3: dash_risk: not a symbol of DashRisk"

    messages = _read(kafka_bootstrap, topics.referrals("police"))
    assert sorted(m.key for m in messages if m.key) == [f"PPN-IT-{n}".encode() for n in range(1, 6)]
    decoded = {REGISTRY.decode(m.value or b"", "police")["ppn_id"] for m in messages}
    assert decoded == {record["ppn_id"] for record in good}


def test_records_load_keys_each_record_by_person_id(
    kafka_bootstrap: str, topics: Topics, tmp_path: Path
) -> None:
    rows = REGISTRY.examples("records.social-care")
    path = _jsonl(tmp_path / "social-care.jsonl", rows)

    result = _mash(kafka_bootstrap, topics, "records", "load", "social-care", str(path))

    assert result.returncode == 0, result.stderr
    assert "sent 2, rejected 0" in result.stdout
    assert not Path(f"{path}.rejects.jsonl").exists()
    messages = _read(kafka_bootstrap, topics.records("social-care"))
    by_key = {m.key: REGISTRY.decode(m.value or b"", "records.social-care") for m in messages}
    assert set(by_key) == {b"SC-EX-1", b"SC-EX-2"}
    assert by_key[b"SC-EX-1"]["status"] == "CP_PLAN"


def test_a_v1_container_published_single_object_decodes_with_the_v2_reader(
    kafka_bootstrap: str, topics: Topics, tmp_path: Path
) -> None:
    from mash.avro import write_container

    records = [REGISTRY.from_json("police", o, 1) for o in REGISTRY.examples("police", 1)]
    path = tmp_path / "police-v1.avro"
    write_container(path, REGISTRY.schema("police", 1), records)

    result = _mash(
        kafka_bootstrap,
        topics,
        "publish",
        "police",
        str(path),
        "--wire",
        "single-object",
        "--version",
        "1",
    )

    assert result.returncode == 0, result.stderr
    (message,) = _read(kafka_bootstrap, topics.referrals("police"))
    assert message.value is not None and message.value[:2] == b"\xc3\x01"
    assert REGISTRY.writer_of(message.value).label == "police v1"
    decoded = REGISTRY.decode(message.value, "police")
    assert decoded["dash_score"] is None
    assert decoded["ppn_id"] == records[0]["ppn_id"]


def test_tail_prints_decoded_messages_and_an_error_line_for_garbage(
    kafka_bootstrap: str, topics: Topics, tmp_path: Path
) -> None:
    rows = REGISTRY.examples("health")
    path = _jsonl(tmp_path / "health.jsonl", rows)
    assert _mash(kafka_bootstrap, topics, "publish", "health", str(path)).returncode == 0
    producer = clients.producer(kafka_bootstrap)
    producer.send(
        topics.referrals("health"), key=b"NHS-X", value=b"\x00\x00\x00\x03\xe7!", partition=0
    )
    producer.flush()
    producer.close()

    result = _mash(
        kafka_bootstrap,
        topics,
        "tail",
        topics.referrals("health"),
        "--from-beginning",
        "--max",
        "3",
        "--timeout",
        "10",
    )

    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 3
    values = {line["key"]: line.get("value") for line in lines}
    assert values[rows[0]["referralId"]]["patient"] == rows[0]["patient"]
    assert values[rows[1]["referralId"]]["referralId"] == rows[1]["referralId"]
    (garbage,) = [line for line in lines if line["key"] == "NHS-X"]
    assert garbage["error"] == "unknown schema id 999"
    assert garbage["partition"] == 0 and isinstance(garbage["offset"], int)


def test_publishing_to_topics_that_do_not_exist_fails_without_creating_them(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    from mash.broker.admin import admin_client

    nowhere = Topics("never-created-schemas-test.")
    path = _jsonl(tmp_path / "council.jsonl", REGISTRY.examples("council"))
    result = _mash(kafka_bootstrap, nowhere, "publish", "council", str(path))
    assert result.returncode == 1
    assert "does not exist" in result.stderr
    with admin_client(kafka_bootstrap) as client:
        assert nowhere.referrals("council") not in client.list_topics()


FILES = [
    *(("publish", agency, f"{agency}.jsonl") for agency in ("police", "health", "council")),
    *(
        ("records", kind, f"records/{kind}.jsonl")
        for kind in ("social-care", "early-help", "police", "health")
    ),
]


def test_the_public_vignettes_load_unchanged(
    kafka_bootstrap: str, topics: Topics, tmp_path: Path
) -> None:
    for command, name, relative in FILES:
        path = VIGNETTES / relative
        lines = [line for line in path.read_text().splitlines() if line.strip()]
        args = ["publish", name] if command == "publish" else ["records", "load", name]
        rejects = tmp_path / f"{name}.{command}.rejects.jsonl"

        result = _mash(kafka_bootstrap, topics, *args, str(path), "--rejects", str(rejects))

        assert result.returncode == 0, relative + result.stdout + result.stderr
        assert f"sent {len(lines)}, rejected 0" in result.stdout
        assert not rejects.exists()
        topic = topics.referrals(name) if command == "publish" else topics.records(name)
        assert _count(kafka_bootstrap, topic) == len(lines), relative
