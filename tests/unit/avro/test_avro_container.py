"""Avro object container files: written with any version, read back with their own schema."""

from __future__ import annotations

from pathlib import Path

import pytest

from mash.avro import Registry, container_schema, is_container, read_container, write_container
from mash.errors import DecodeError

REGISTRY = Registry.default()


def _records(subject: str, version: int | None = None) -> list[dict]:
    return [REGISTRY.from_json(subject, o, version) for o in REGISTRY.examples(subject, version)]


def test_a_container_reads_back_what_was_written(tmp_path: Path) -> None:
    path = tmp_path / "health.avro"
    records = _records("health")
    assert write_container(path, REGISTRY.schema("health"), records) == len(records)
    assert is_container(path)
    assert list(read_container(path)) == records
    assert container_schema(path)["name"] == "mash.health.SafeguardingReferral"


def test_a_v1_container_keeps_its_writer_schema(tmp_path: Path) -> None:
    path = tmp_path / "police-v1.avro"
    write_container(path, REGISTRY.schema("police", 1), _records("police", 1))
    (record,) = read_container(path)
    assert "dash_score" not in record  # read as written; the connectors convert it
    assert REGISTRY.from_json("police", record)["dash_score"] is None


def test_a_json_file_is_not_a_container(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text('{"a": 1}\n')
    assert not is_container(path)
    with pytest.raises(DecodeError, match=r"x.jsonl: not an Avro container file"):
        list(read_container(path))


def test_a_corrupt_block_is_reported_with_the_count_reached(tmp_path: Path) -> None:
    path = tmp_path / "records.avro"
    write_container(path, REGISTRY.schema("records.police"), _records("records.police") * 3, "null")
    data = bytearray(path.read_bytes())
    del data[-20:]  # cut into the block and its sync marker
    path.write_bytes(bytes(data))
    with pytest.raises(DecodeError, match=r"records.avro: corrupt data after record \d"):
        list(read_container(path))
