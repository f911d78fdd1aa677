"""Garbage interleaved with valid referrals on every ingest topic (and a record topic): the
worker keeps running, every bad message is in mash.deadletter whole and with a reason, and
every valid referral is decided."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from stream_harness import (
    DecisionsSeen,
    Message,
    Publisher,
    generated_data,
    offline_decisions,
    read_all,
    record_messages,
    referral_message,
    workers,
)

from mash.agencies import AGENCIES
from mash.avro.registry import Registry
from mash.rules import load_rules
from mash.topics import Topics

pytestmark = pytest.mark.timeout(300)

REFERRALS = 300


def garbage(
    registry: Registry, topics: Topics, valid: list[Message], rng: random.Random
) -> list[Message]:
    """Bad messages of every kind the hub meets, each keyed ``garbage-N``."""

    def key(n: int) -> bytes:
        return f"garbage-{n}".encode()

    bad: list[Message] = []
    for agency in AGENCIES:
        topic = topics.referrals(agency)
        other = next(v for t, _, v in valid if t != topic)  # another agency's referral
        sample = next(v for t, _, v in valid if t == topic)
        assert sample is not None
        for payload in (
            rng.randbytes(rng.randint(1, 300)),  # noise
            b"",  # empty
            None,  # a tombstone on an ingest topic
            b"\x00\x00\x00\x03\xe7" + rng.randbytes(40),  # unknown schema id 999
            b"\xc3\x01" + rng.randbytes(8) + b"\x02",  # unknown fingerprint
            sample[: len(sample) // 2],  # truncated
            sample + b"\x00\x01",  # trailing bytes
            other,  # another agency's schema
            b'{"ppn_id": "PPN-JSON"}',  # JSON, not Avro
        ):
            bad.append((topic, key(len(bad)), payload))
    bad.append((topics.records("health"), key(len(bad)), rng.randbytes(50)))
    return bad


def test_garbage_goes_to_the_dead_letter_topic_and_valid_referrals_flow(
    kafka_bootstrap: str, topics: Topics, tmp_path: Path
) -> None:
    registry = Registry.default()
    rng = random.Random(7)
    records, referrals = generated_data(REFERRALS, seed=44)
    expected = offline_decisions(load_rules(), records, referrals)
    valid = [
        referral_message(registry, topics, agency, obj, i)
        for i, (agency, obj) in enumerate(referrals)
    ]
    bad = garbage(registry, topics, valid, rng)
    mixed = list(valid)
    for message in bad:
        mixed.insert(rng.randrange(len(mixed) + 1), message)

    publisher = Publisher(kafka_bootstrap)
    publisher.send(record_messages(registry, topics, records))
    publisher.send(mixed)
    publisher.close()

    seen = DecisionsSeen(kafka_bootstrap, topics, registry)
    with workers(kafka_bootstrap, topics, tmp_path) as pool:
        worker = pool.start("w1")
        seen.wait_for(expected.ids, timeout_s=180, alive=worker.alive)
        letters = read_all(kafka_bootstrap, [topics.deadletter])
        assert worker.alive(), "garbage must never crash the worker"
        assert worker.stop() == 0
    seen.close()

    assert seen.by_id.keys() == expected.ids
    decoded = [registry.decode(m.value, "deadletter") for m in letters]
    by_key = {d["key"]: d for d in decoded if d["key"] and d["key"].startswith(b"garbage-")}
    assert by_key.keys() == {k for _, k, _ in bad}
    for topic, k, payload in bad:
        letter = by_key[k]
        assert letter["source_topic"] == topic
        assert letter["value"] == payload  # the original bytes, untouched
        assert letter["reason"].strip()
        assert letter["stage"] == ("record" if "records" in topic else "decode")
    # invalid generated referrals are dead-lettered at validation, with their id in the reason
    others = [d for d in decoded if not (d["key"] or b"").startswith(b"garbage-")]
    assert sorted(d["key"].decode() for d in others) == sorted(expected.invalid)
    assert all(d["stage"] == "validate" for d in others)
