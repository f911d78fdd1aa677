"""Mutations of valid agency payloads: the garbage real producers send (pure, seeded).

Each mutation models a real failure: a flipped bit on the wire, a truncated write, a producer
that never framed its Avro, a schema id the hub never heard of, a stale single-object
fingerprint, an empty message, JSON where Avro was expected. Some mutations (a flipped bit in
a string) still decode to a valid referral; the scenario asks the worker's own pure steps which
ones must be dead-lettered rather than guessing.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable

Mutation = Callable[[bytes, random.Random], bytes]


def flip_bytes(payload: bytes, rng: random.Random) -> bytes:
    data = bytearray(payload)
    for _ in range(rng.randint(1, 4)):
        if data:
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    return bytes(data)


def truncate(payload: bytes, rng: random.Random) -> bytes:
    return payload[: rng.randrange(max(1, len(payload) - 1))]


def garbage(payload: bytes, rng: random.Random) -> bytes:
    return bytes(rng.randrange(256) for _ in range(rng.randint(1, 400)))


def unknown_schema_id(payload: bytes, rng: random.Random) -> bytes:
    return b"\x00" + rng.randrange(60000, 2**31).to_bytes(4, "big") + payload[5:]


def bad_fingerprint(payload: bytes, rng: random.Random) -> bytes:
    return b"\xc3\x01" + rng.randbytes(8) + payload[10:]


def unframed(payload: bytes, rng: random.Random) -> bytes:
    """Avro body without any framing (a producer that skipped the serializer)."""
    return payload[5:] if payload[:1] == b"\x00" else payload[10:]


def empty(payload: bytes, rng: random.Random) -> bytes:
    return b""


def json_text(payload: bytes, rng: random.Random) -> bytes:
    return json.dumps({"referralId": f"X{rng.randrange(10**6)}", "oops": True}).encode()


def splice(payload: bytes, rng: random.Random) -> bytes:
    """Random bytes written over the middle of the record."""
    at = rng.randrange(len(payload) or 1)
    return payload[:at] + rng.randbytes(rng.randint(1, 32)) + payload[at + 32 :]


MUTATIONS: tuple[Mutation, ...] = (
    flip_bytes,
    truncate,
    garbage,
    unknown_schema_id,
    bad_fingerprint,
    unframed,
    empty,
    json_text,
    splice,
)


def mutate(payload: bytes, rng: random.Random) -> tuple[str, bytes]:
    """One mutation of ``payload``, chosen by ``rng``: (its name, the bytes)."""
    mutation = rng.choice(MUTATIONS)
    return mutation.__name__, mutation(payload, rng)
