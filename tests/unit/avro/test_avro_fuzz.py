"""Property tests: whatever bytes arrive, the decoder answers with a record or a DecodeError.

A crash (any other exception) in the decoder would stop a stream worker on one bad message;
a DecodeError sends that message to the dead-letter topic and the worker carries on.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mash.avro.framing import Wire
from mash.avro.registry import Registry
from mash.errors import DecodeError

REGISTRY = Registry.default()
SUBJECTS = sorted(REGISTRY.subjects)
VERSIONS = list(REGISTRY)


def _encoded(version: Any, obj: dict[str, Any], wire: Wire) -> bytes:
    record = REGISTRY.from_json(version.subject, obj, version.version)
    return REGISTRY.encode(version.subject, record, version.version, wire)


VALID = [
    (version, _encoded(version, obj, wire))
    for version in VERSIONS
    for obj in REGISTRY.examples(version.subject, version.version)
    for wire in Wire
]
FUZZ = settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _decodes_or_refuses(payload: bytes, subject: str) -> dict[str, Any] | None:
    """Decode; a record that comes out must itself be a valid record of the subject."""
    try:
        record = REGISTRY.decode(payload, subject)
    except DecodeError as exc:
        assert str(exc)  # every refusal says something
        return None
    REGISTRY.validate(subject, record)
    return record


@FUZZ
@given(payload=st.binary(max_size=600), subject=st.sampled_from(SUBJECTS))
def test_random_bytes_never_crash_the_decoder(payload: bytes, subject: str) -> None:
    _decodes_or_refuses(payload, subject)


@FUZZ
@given(
    body=st.binary(max_size=400),
    version=st.sampled_from(VERSIONS),
    wire=st.sampled_from(list(Wire)),
)
def test_random_bodies_behind_a_valid_header_never_crash_the_decoder(
    body: bytes, version: Any, wire: Wire
) -> None:
    _decodes_or_refuses(version.header(wire) + body, version.subject)


def _mutate(payload: bytes, kind: str, position: int, value: int, length: int) -> bytes:
    at = position % (len(payload) + 1)
    if kind == "flip":
        at = min(at, len(payload) - 1)
        return payload[:at] + bytes([payload[at] ^ (value or 1)]) + payload[at + 1 :]
    if kind == "set":
        at = min(at, len(payload) - 1)
        return payload[:at] + bytes([value]) + payload[at + 1 :]
    if kind == "insert":
        return payload[:at] + bytes([value]) * length + payload[at:]
    if kind == "delete":
        return payload[:at] + payload[at + length :]
    return payload[:at]  # truncate


@FUZZ
@given(
    index=st.integers(min_value=0, max_value=len(VALID) - 1),
    mutations=st.lists(
        st.tuples(
            st.sampled_from(["flip", "set", "insert", "delete", "truncate"]),
            st.integers(min_value=0, max_value=4096),
            st.integers(min_value=0, max_value=255),
            st.integers(min_value=1, max_value=8),
        ),
        min_size=1,
        max_size=4,
    ),
)
def test_mutated_valid_payloads_never_crash_the_decoder(
    index: int, mutations: list[tuple[str, int, int, int]]
) -> None:
    version, payload = VALID[index]
    for kind, position, value, length in mutations:
        payload = _mutate(payload, kind, position, value, length) if payload else payload
    _decodes_or_refuses(payload, version.subject)


@FUZZ
@given(index=st.integers(min_value=0, max_value=len(VALID) - 1), data=st.data())
def test_every_proper_prefix_of_a_valid_payload_is_refused(index: int, data: Any) -> None:
    version, payload = VALID[index]
    cut = data.draw(st.integers(min_value=0, max_value=len(payload) - 1))
    try:
        REGISTRY.decode(payload[:cut], version.subject)
    except DecodeError:
        return
    raise AssertionError(f"a {cut}-byte prefix of a {len(payload)}-byte {version.label} decoded")


def test_the_unmutated_payloads_all_decode() -> None:
    for version, payload in VALID:
        assert _decodes_or_refuses(payload, version.subject) is not None
