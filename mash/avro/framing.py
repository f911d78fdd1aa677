"""The two ways a single Avro message says which schema wrote it (pure functions, no I/O).

- Confluent framing: ``0x00`` then the schema id as 4 bytes big-endian, then the Avro body.
  What Kafka tooling (Schema Registry serializers, Kafka Connect) writes.
- Avro single-object encoding: ``0xC3 0x01`` then the 8-byte little-endian CRC-64-AVRO
  fingerprint of the schema's parsing canonical form, then the body. What the Avro spec
  defines for messages outside containers; needs no registry ids agreed in advance.

Telling them apart needs only the first byte, and the two can never be confused: a Confluent
frame starts with 0x00, a single-object frame with 0xC3.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from mash.errors import DecodeError

CONFLUENT_MAGIC = b"\x00"
SINGLE_OBJECT_MAGIC = b"\xc3\x01"
CONTAINER_MAGIC = b"Obj\x01"
CONFLUENT_HEADER_SIZE = 5
SINGLE_OBJECT_HEADER_SIZE = 10
_MAX_SCHEMA_ID = 2**31 - 1


class Wire(enum.StrEnum):
    """A framing for one Avro message on Kafka."""

    CONFLUENT = "confluent"
    SINGLE_OBJECT = "single-object"


@dataclass(frozen=True, slots=True)
class Header:
    """What a frame header says: which framing, the schema id or fingerprint, where the body
    starts."""

    wire: Wire
    schema_id: int | None
    fingerprint: bytes | None
    body_offset: int


def confluent_header(schema_id: int) -> bytes:
    """The 5-byte Confluent header for ``schema_id``."""
    if not 0 <= schema_id <= _MAX_SCHEMA_ID:
        raise ValueError("a Confluent schema id is a non-negative 32-bit integer")
    return CONFLUENT_MAGIC + schema_id.to_bytes(4, "big")


def single_object_header(fingerprint: bytes) -> bytes:
    """The 10-byte single-object header for an 8-byte CRC-64-AVRO fingerprint."""
    if len(fingerprint) != 8:
        raise ValueError("a CRC-64-AVRO fingerprint is 8 bytes")
    return SINGLE_OBJECT_MAGIC + fingerprint


def _not_avro(payload: bytes) -> DecodeError:
    # Name what the bytes look like (never what they say), so an operator can tell a
    # misconfigured producer (JSON, a container file) from line noise.
    first = payload[:1]
    if payload.startswith(CONTAINER_MAGIC):
        return DecodeError("not a single Avro message: an Avro container file (use the connectors)")
    if first in (b"{", b"["):
        return DecodeError("not Avro: looks like JSON text")
    return DecodeError(f"not Avro: unknown magic byte 0x{payload[0]:02x}")


def parse_header(payload: bytes) -> Header:
    """Read the frame header of ``payload``; :class:`DecodeError` if there is no valid one."""
    if not payload:
        raise DecodeError("empty payload (a tombstone or an empty message)")
    first = payload[0]
    if first == 0x00:
        if len(payload) < CONFLUENT_HEADER_SIZE:
            raise DecodeError("truncated payload: Confluent header needs 5 bytes")
        schema_id = int.from_bytes(payload[1:CONFLUENT_HEADER_SIZE], "big")
        return Header(Wire.CONFLUENT, schema_id, None, CONFLUENT_HEADER_SIZE)
    if first == 0xC3:
        if len(payload) < 2 or payload[1] != 0x01:
            raise DecodeError("not Avro: 0xC3 without the single-object marker 0x01")
        if len(payload) < SINGLE_OBJECT_HEADER_SIZE:
            raise DecodeError("truncated payload: single-object header needs 10 bytes")
        fingerprint = bytes(payload[2:SINGLE_OBJECT_HEADER_SIZE])
        return Header(Wire.SINGLE_OBJECT, None, fingerprint, SINGLE_OBJECT_HEADER_SIZE)
    raise _not_avro(payload)


def as_wire(value: str | Wire) -> Wire:
    """A :class:`Wire` from its name; :class:`ValueError` naming the choices otherwise."""
    try:
        return Wire(value)
    except ValueError:
        choices = ", ".join(w.value for w in Wire)
        raise ValueError(f"unknown wire format {value!r} (choose {choices})") from None
