"""The schema registry: stable ids, both framings, writer->reader resolution, clear errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import avro.schema
import pytest
import yaml

from mash.avro.framing import Wire
from mash.avro.registry import Registry, SchemaVersion, schemas_dir
from mash.errors import DecodeError, SchemaError

REGISTRY = Registry.default()
VERSIONS = [pytest.param(v, id=v.label.replace(" ", "-")) for v in REGISTRY]


def _example(version: SchemaVersion, index: int = 0) -> dict[str, Any]:
    return REGISTRY.examples(version.subject, version.version)[index]


def test_ids_are_the_ones_subjects_yaml_gives() -> None:
    spec = yaml.safe_load((schemas_dir() / "subjects.yaml").read_text())
    expected = {
        (name, entry["version"]): entry["id"]
        for name, body in spec["subjects"].items()
        for entry in body["versions"]
    }
    assert {(v.subject, v.version): v.schema_id for v in REGISTRY} == expected


def test_the_default_registry_is_loaded_once() -> None:
    assert Registry.default() is Registry.default()


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("wire", list(Wire))
def test_every_schema_round_trips_under_both_framings(version: SchemaVersion, wire: Wire) -> None:
    for obj in REGISTRY.examples(version.subject, version.version):
        record = REGISTRY.from_json(version.subject, obj, version.version)
        payload = REGISTRY.encode(version.subject, record, version.version, wire)
        decoded = REGISTRY.decode(payload, version.subject)
        assert REGISTRY.writer_of(payload) is version
        assert decoded == REGISTRY.from_json(version.subject, obj)  # in the newest schema


@pytest.mark.parametrize("version", VERSIONS)
def test_confluent_header_is_magic_zero_and_big_endian_id(version: SchemaVersion) -> None:
    record = REGISTRY.from_json(version.subject, _example(version), version.version)
    payload = REGISTRY.encode(version.subject, record, version.version, "confluent")
    assert payload[0] == 0
    assert int.from_bytes(payload[1:5], "big") == version.schema_id


@pytest.mark.parametrize("version", VERSIONS)
def test_single_object_header_carries_the_crc64_of_the_canonical_form(
    version: SchemaVersion,
) -> None:
    # The canonical form is Java's (logical types reduced to their primitive, as fastavro does;
    # the avro package keeps {"type": "long"}, cf. apache/avro-rs#61), and its CRC-64-AVRO is
    # cross-checked with the avro package's own implementation of the fingerprint.
    assert "logicalType" not in version.canonical
    assert '{"type":"long"}' not in version.canonical
    reference = avro.schema.parse(version.canonical).fingerprint("CRC-64-AVRO")
    record = REGISTRY.from_json(version.subject, _example(version), version.version)
    payload = REGISTRY.encode(version.subject, record, version.version, "single-object")
    assert payload[:2] == b"\xc3\x01"
    assert payload[2:10] == reference == version.fingerprint


def test_fingerprint_matches_the_avro_specification_test_vector() -> None:
    # Avro's Java test suite: the fingerprint of "int" is 0x7275d51a3f395c8f (little-endian).
    import fastavro.schema

    assert fastavro.schema.fingerprint('"int"', "CRC-64-AVRO") == "8f5c393f1ad57572"


def test_a_v1_police_payload_decodes_with_the_newest_reader() -> None:
    v1, *_, newest = REGISTRY.subject("police").versions
    obj = _example(v1)
    for wire in Wire:
        payload = REGISTRY.encode("police", REGISTRY.from_json("police", obj, 1), 1, wire)
        decoded = REGISTRY.decode(payload, "police")
        assert REGISTRY.writer_of(payload) is v1
        assert set(decoded) == {f["name"] for f in newest.schema["fields"]}
        assert decoded["dash_score"] is None
        assert decoded["previous_incidents_12m"] is None
        assert all(child["relationship_to_victim"] is None for child in decoded["children"])
        assert decoded["ppn_id"] == obj["ppn_id"]
        assert [c["dob"].isoformat() for c in decoded["children"]] == [
            c["dob"] for c in obj["children"]
        ]


def test_a_v2_field_survives_with_the_v2_reader() -> None:
    obj = _example(REGISTRY.schema("police", 2))
    payload = REGISTRY.encode("police", REGISTRY.from_json("police", obj))
    assert REGISTRY.decode(payload, "police")["dash_score"] == obj["dash_score"]


def _police_payload(wire: Wire = Wire.CONFLUENT) -> bytes:
    record = REGISTRY.from_json("police", _example(REGISTRY.schema("police")))
    return REGISTRY.encode("police", record, wire=wire)


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"", "empty payload"),
        (b"\x00\x00\x00", "truncated payload: Confluent header"),
        (b"\xc3\x01\x00", "truncated payload: single-object header"),
        (b"\x00\x00\x00\x03\xe7rest", "unknown schema id 999"),
        (b"\xc3\x01" + bytes(8) + b"rest", "unknown schema fingerprint 0000000000000000"),
        (b"\xc3\x02", "not Avro"),
        (b'{"ppn_id": "PPN-1"}', "looks like JSON"),
        (b"Obj\x01\x04", "container file"),
        (b"\x7fgarbage", "unknown magic byte 0x7f"),
        (_police_payload()[:-4], "truncated payload: police v3"),
        (_police_payload() + b"\x00\x00", "trailing bytes: 2 after the police v3 record"),
        (_police_payload(Wire.SINGLE_OBJECT)[:12], "truncated payload: police v3"),
    ],
)
def test_decode_errors_say_what_was_wrong(payload: bytes, reason: str) -> None:
    with pytest.raises(DecodeError, match=reason):
        REGISTRY.decode(payload, "police")


def test_a_payload_of_another_subject_is_refused_by_name() -> None:
    obj = _example(REGISTRY.schema("health"))
    payload = REGISTRY.encode("health", REGISTRY.from_json("health", obj))
    with pytest.raises(DecodeError, match=r"schema 202 \(health v2\) is not of subject police"):
        REGISTRY.decode(payload, "police")
    writer, record = REGISTRY.decode_any(payload)
    assert writer.label == "health v2"
    assert record["referralId"] == obj["referralId"]


def test_invalid_data_is_named_without_its_value() -> None:
    payload = bytearray(_police_payload())
    # The first byte of the body is the ppn_id length; make it a 2-byte invalid UTF-8 string.
    payload[5:] = b"\x04\xff\xfe" + bytes(payload[5 + 1 + len("PPN-EX-0002") :])
    with pytest.raises(DecodeError) as caught:
        REGISTRY.decode(bytes(payload), "police")
    assert "police v3" in str(caught.value)
    assert "Example" not in str(caught.value)


def test_encode_names_the_field_path_never_the_value() -> None:
    record = REGISTRY.from_json("police", _example(REGISTRY.schema("police")))
    record["children"][1]["dob"] = "Secret Surname"
    with pytest.raises(SchemaError) as caught:
        REGISTRY.encode("police", record)
    assert str(caught.value) == "police v3: children[1].dob: expected a date"
    record["children"][1]["surname"] = None
    with pytest.raises(SchemaError, match=r"children\[1\]\.surname"):
        REGISTRY.encode("police", record)


def test_encode_refuses_a_field_the_schema_does_not_have() -> None:
    record = REGISTRY.from_json("records.police", _example(REGISTRY.schema("records.police")))
    with pytest.raises(SchemaError, match="unknown field 'shoe_size'"):
        REGISTRY.encode("records.police", {**record, "shoe_size": 9})


def test_unknown_subject_and_version_are_named() -> None:
    with pytest.raises(SchemaError, match="unknown subject 'fire'"):
        REGISTRY.schema("fire")
    with pytest.raises(SchemaError, match=r"no version 4 \(versions: 1, 2, 3\)"):
        REGISTRY.schema("police", 4)


@pytest.fixture
def schema_copy(tmp_path: Path) -> Path:
    target = tmp_path / "schemas"
    shutil.copytree(schemas_dir(), target)
    return target


def test_a_schema_file_without_an_id_is_refused(schema_copy: Path) -> None:
    shutil.copy(
        schema_copy / "health/safeguarding-referral.v1.avsc", schema_copy / "health/x.v2.avsc"
    )
    with pytest.raises(SchemaError, match=r"health/x.v2.avsc is not listed in subjects.yaml"):
        Registry.load(schema_copy)


def test_an_id_used_twice_is_refused(schema_copy: Path) -> None:
    spec_path = schema_copy / "subjects.yaml"
    spec = yaml.safe_load(spec_path.read_text())
    spec["subjects"]["council"]["versions"][0]["id"] = 201
    spec_path.write_text(yaml.safe_dump(spec, sort_keys=False))
    with pytest.raises(SchemaError, match="schema id 201 used twice: health v1 and council v1"):
        Registry.load(schema_copy)


def test_mash_schemas_dir_overrides_the_default(
    schema_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MASH_SCHEMAS_DIR", str(schema_copy))
    assert Registry.default().directory == schema_copy.resolve()
    assert Registry.default() is not REGISTRY


def test_an_int_beyond_32_bits_is_refused_not_returned() -> None:
    # fastavro reads an over-long varint into an unbounded int; the registry must not pass
    # that off as a valid record (re-encoding it would fail later, far from the cause).
    import io

    import fastavro

    version = REGISTRY.schema("records.health")
    wide = json.loads(json.dumps(version.schema))
    next(f for f in wide["fields"] if f["name"] == "ed_attendances_12m")["type"] = "long"
    record = REGISTRY.from_json("records.health", REGISTRY.examples("records.health")[0])
    body = io.BytesIO()
    fastavro.schemaless_writer(
        body, fastavro.parse_schema(wide), {**record, "ed_attendances_12m": 2**40}
    )
    with pytest.raises(DecodeError, match="ed_attendances_12m: an integer out of range"):
        REGISTRY.decode(version.header(Wire.CONFLUENT) + body.getvalue(), "records.health")
