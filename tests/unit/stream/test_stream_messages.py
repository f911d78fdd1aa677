"""Message values: headers, receipt time from the Kafka timestamp, the dead-letter record."""

from __future__ import annotations

from datetime import UTC, datetime

from mash.stream.messages import (
    REASON_MAX,
    Incoming,
    as_headers,
    dead_letter_record,
    received_at,
    short_reason,
)

FALLBACK = datetime(2026, 1, 1, tzinfo=UTC)


def test_headers_come_as_text_names_and_byte_values() -> None:
    assert as_headers(None) == ()
    assert as_headers([("a", b"1"), (b"b", None)]) == (("a", b"1"), ("b", None))
    assert as_headers({"c": "text"}) == (("c", b"text"),)


def test_received_at_is_the_message_timestamp_or_the_fallback() -> None:
    assert received_at(1_795_680_000_000, FALLBACK) == datetime(2026, 11, 26, 8, tzinfo=UTC)
    assert received_at(None, FALLBACK) == FALLBACK
    assert received_at(-1, FALLBACK) == FALLBACK


def test_long_reasons_are_cut_not_dropped() -> None:
    assert short_reason("short") == "short"
    cut = short_reason("x" * (REASON_MAX * 2))
    assert len(cut) == REASON_MAX
    assert cut.endswith("…")


def test_the_dead_letter_keeps_the_original_message_whole() -> None:
    message = Incoming("p.mash.referrals.police", 4, 99, b"key", b"\x00\x01", 1_000, (("h", b"v"),))
    record = dead_letter_record(message, "decode", "unknown schema id 1", FALLBACK, "host/1")
    assert record == {
        "source_topic": "p.mash.referrals.police",
        "partition": 4,
        "offset": 99,
        "timestamp": datetime(1970, 1, 1, 0, 0, 1, tzinfo=UTC),
        "key": b"key",
        "value": b"\x00\x01",
        "headers": [{"key": "h", "value": b"v"}],
        "stage": "decode",
        "reason": "unknown schema id 1",
        "failed_at": FALLBACK,
        "worker": "host/1",
    }
