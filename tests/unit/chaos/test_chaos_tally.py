"""The chaos counts: lost and duplicated are defined on the decision log, pure functions."""

from __future__ import annotations

import random
from typing import Any

from mash.avro.registry import Registry
from mash.chaos.fuzz import MUTATIONS, mutate
from mash.chaos.tally import accepted_bytes, count


def logged(decision_id: str, source_id: str, child: int, digest: str = "d1") -> dict[str, Any]:
    return {
        "decision_id": decision_id,
        "kind": "decision",
        "agency": "police",
        "source_id": source_id,
        "child_index": child,
        "input_digest": digest,
    }


def test_a_child_without_a_decision_is_lost_and_named() -> None:
    expected = {("police", "P1", 0), ("police", "P1", 1), ("police", "P2", 0)}
    counts = count(expected, [logged("a", "P1", 0), logged("b", "P2", 0)])
    assert (counts.children_expected, counts.decided, counts.lost) == (3, 2, 1)
    assert counts.lost_examples == ("police:P1#1",)
    assert counts.duplicated == 0


def test_the_same_input_decided_twice_or_an_id_logged_twice_is_a_duplicate() -> None:
    expected = {("police", "P1", 0)}
    twice_same_input = [logged("a", "P1", 0), logged("b", "P1", 0)]
    assert count(expected, twice_same_input).duplicated == 1
    assert count(expected, [logged("a", "P1", 0), logged("a", "P1", 0)]).duplicated == 1


def test_a_corrected_referral_is_a_new_input_not_a_duplicate() -> None:
    expected = {("police", "P1", 0)}
    corrected = [logged("a", "P1", 0, "d1"), logged("b", "P1", 0, "d2")]
    counts = count(expected, corrected)
    assert (counts.duplicated, counts.lost, counts.decided) == (0, 0, 2)


def test_overrides_are_not_decisions_of_a_child() -> None:
    override = {**logged("o", "P1", 0), "kind": "override"}
    assert count({("police", "P1", 0)}, [override]).lost == 1


def test_framing_mutations_are_always_rejected_by_the_worker_steps() -> None:
    registry = Registry.default()
    from mash.generate import generate

    agency, obj = next(iter(generate(1, seed=3)))
    payload = registry.encode(agency, registry.from_json(agency, obj))
    assert accepted_bytes(registry, agency, payload) is not None
    rng = random.Random(1)
    for mutation in MUTATIONS:
        if mutation.__name__ in {"empty", "garbage", "unknown_schema_id", "json_text"}:
            assert accepted_bytes(registry, agency, mutation(payload, rng)) is None
    assert mutate(payload, random.Random(9)) == mutate(payload, random.Random(9))
