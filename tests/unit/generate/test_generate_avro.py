"""Every kind of generated line is a valid message of its agency's Avro schema, and survives
encoding and decoding unchanged (a v1 police line read with the v2 reader gains only defaults)."""

from __future__ import annotations

from typing import Any

import pytest

from mash.avro.registry import Registry
from mash.generate import SUBJECTS, Item

SAMPLE = 300


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry.default()


def police_version(value: dict[str, Any]) -> int:
    """A line with ``dash_score`` is written with schema v2, one without with v1."""
    return 2 if "dash_score" in value else 1


def as_written(decoded: Any, original: Any) -> Any:
    """``decoded`` cut down to the keys ``original`` has: reader defaults are dropped."""
    if isinstance(original, dict) and isinstance(decoded, dict):
        return {key: as_written(decoded.get(key), value) for key, value in original.items()}
    if isinstance(original, list) and isinstance(decoded, list):
        return [as_written(d, o) for d, o in zip(decoded, original, strict=True)]
    return decoded


def only_defaults_added(decoded: Any, original: Any) -> bool:
    """Keys the reader added that the writer did not have are all null."""
    if isinstance(original, dict) and isinstance(decoded, dict):
        extra_null = all(decoded[k] is None for k in set(decoded) - set(original))
        return extra_null and all(only_defaults_added(decoded[k], v) for k, v in original.items())
    if isinstance(original, list) and isinstance(decoded, list):
        return all(only_defaults_added(d, o) for d, o in zip(decoded, original, strict=True))
    return True


@pytest.mark.parametrize("subject", SUBJECTS)
def test_a_sample_of_each_subject_validates_and_round_trips(
    subject: str, by_subject: dict[str, list[Item]], registry: Registry
) -> None:
    sample = by_subject[subject][:SAMPLE]
    assert sample
    for item in sample:
        version = police_version(item.value) if subject == "police" else None
        record = registry.from_json(subject, item.value, version=version)
        registry.validate(subject, record, version=version)
        payload = registry.encode(subject, record, version=version)
        decoded = registry.to_json(subject, registry.decode(payload, subject))
        assert as_written(decoded, item.value) == item.value
        assert only_defaults_added(decoded, item.value)


def test_both_police_schema_versions_are_in_the_sample(by_subject: dict[str, list[Item]]) -> None:
    versions = {police_version(i.value) for i in by_subject["police"][:SAMPLE]}
    assert versions == {1, 2}
