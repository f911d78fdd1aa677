"""Publishing an agency file without a broker: what is sent, what is rejected, and why."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from connectors.publish import Encoder, RejectsFile, default_rejects_path, publish_items
from connectors.sources import read_items
from connectors.targets import record_target, referral_target
from mash.avro import Registry, write_container
from mash.avro.framing import Wire
from mash.errors import UsageError
from mash.topics import Topics

REGISTRY = Registry.default()
TOPICS = Topics("unit.")
SECRET = "Zebedee"


class ListSink:
    """A sink that acknowledges everything it is given (the Sink protocol, no broker)."""

    def __init__(self) -> None:
        self.messages: list[tuple[bytes, bytes]] = []
        self.closed = False

    def send(self, key: bytes, value: bytes) -> None:
        self.messages.append((key, value))

    def close(self) -> int:
        self.closed = True
        return len(self.messages)


def _lines(path: Path, rows: list[Any]) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return path


def _publish(path: Path, target: Any, **options: Any) -> tuple[Any, ListSink, Path]:
    sink = ListSink()
    rejects_path = default_rejects_path(path)
    with RejectsFile(rejects_path) as rejects:
        summary = publish_items(
            read_items(path), Encoder(REGISTRY, target, **options), sink, rejects
        )
    return summary, sink, rejects_path


def test_good_lines_are_sent_keyed_by_the_agency_id_and_bad_ones_rejected(tmp_path: Path) -> None:
    good = REGISTRY.examples("police", 2)
    bad_date = {**good[0], "ppn_id": "PPN-BAD-1", "incident_at": SECRET}
    no_children = {k: v for k, v in good[1].items() if k != "children"} | {"ppn_id": "PPN-BAD-2"}
    path = _lines(
        tmp_path / "police.jsonl",
        [good[0], bad_date, "", "{not json", good[1], no_children, "[1, 2]"],
    )
    summary, sink, rejects_path = _publish(path, referral_target("police", TOPICS))

    assert (summary.sent, summary.rejected) == (2, 4)
    assert sink.closed
    assert [key for key, _ in sink.messages] == [b"PPN-EX-0002", b"PPN-EX-0003"]
    assert [REGISTRY.decode(v, "police")["ppn_id"] for _, v in sink.messages] == [
        "PPN-EX-0002",
        "PPN-EX-0003",
    ]
    rejects = [json.loads(line) for line in rejects_path.read_text().splitlines()]
    assert [(r["line"], r["id"]) for r in rejects] == [
        (2, "PPN-BAD-1"),
        (4, None),
        (6, "PPN-BAD-2"),
        (7, None),
    ]
    reasons = [r["reason"] for r in rejects]
    assert reasons[0] == "police v3: incident_at: expected an ISO-8601 date-time"
    assert reasons[1].startswith("not JSON (")
    assert reasons[2] == "police v3: children: missing (required)"
    assert reasons[3] == "not a JSON object"
    assert all(SECRET not in reason for reason in reasons)
    assert json.loads(rejects[0]["input"])["incident_at"] == SECRET  # the line itself is kept
    assert summary.line("police referrals") == (
        f"police referrals: sent 2, rejected 4 -> unit.mash.referrals.police "
        f"(rejects in {rejects_path})"
    )


def test_a_clean_file_leaves_no_rejects_file(tmp_path: Path) -> None:
    path = _lines(tmp_path / "health.jsonl", REGISTRY.examples("health", 1))
    summary, sink, rejects_path = _publish(path, referral_target("health", TOPICS))
    assert (summary.sent, summary.rejected) == (2, 0)
    assert not rejects_path.exists()
    assert [k for k, _ in sink.messages] == [b"NHS-EX-0001", b"NHS-EX-0002"]


def test_an_empty_id_is_rejected(tmp_path: Path) -> None:
    record = {**REGISTRY.examples("records.police")[0], "person_id": "  "}
    path = _lines(tmp_path / "police-records.jsonl", [record])
    summary, sink, rejects_path = _publish(path, record_target("police", TOPICS))
    assert (summary.sent, summary.rejected, sink.messages) == (0, 1, [])
    assert json.loads(rejects_path.read_text())["reason"] == "person_id is empty"


def test_version_and_wire_choose_the_writer_schema_and_framing(tmp_path: Path) -> None:
    path = _lines(tmp_path / "police-v1.jsonl", REGISTRY.examples("police", 1))
    target = referral_target("police", TOPICS)
    _, sink, _ = _publish(path, target, version=1, wire=Wire.SINGLE_OBJECT)
    ((_, value),) = sink.messages
    assert value[:2] == b"\xc3\x01"
    assert REGISTRY.writer_of(value).label == "police v1"
    assert REGISTRY.decode(value, "police")["dash_score"] is None


def test_a_container_file_is_read_by_content_and_published(tmp_path: Path) -> None:
    records = [REGISTRY.from_json("council", o) for o in REGISTRY.examples("council")]
    path = tmp_path / "council.data"  # no telling extension: the magic bytes decide
    write_container(path, REGISTRY.schema("council"), records)
    summary, sink, _ = _publish(path, referral_target("council", TOPICS))
    assert summary.sent == 1
    assert REGISTRY.decode(sink.messages[0][1], "council") == records[0]


def test_a_v1_police_container_is_published_as_the_newest_version(tmp_path: Path) -> None:
    records = [REGISTRY.from_json("police", o, 1) for o in REGISTRY.examples("police", 1)]
    path = tmp_path / "police-v1.avro"
    write_container(path, REGISTRY.schema("police", 1), records)
    _, sink, _ = _publish(path, referral_target("police", TOPICS))
    assert REGISTRY.writer_of(sink.messages[0][1]).label == "police v3"


def test_unknown_agency_and_kind_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="unknown agency 'fire'"):
        referral_target("fire", TOPICS)
    with pytest.raises(UsageError, match="unknown record kind 'education'"):
        record_target("education", TOPICS)


def test_targets_key_on_each_agency_own_id() -> None:
    assert referral_target("police", TOPICS).key_field == "ppn_id"
    assert referral_target("health", TOPICS).key_field == "referralId"
    assert referral_target("council", TOPICS).key_field == "request_ref"
    target = record_target("social-care", TOPICS)
    assert (target.subject, target.key_field, target.topic) == (
        "records.social-care",
        "person_id",
        "unit.mash.records.social-care",
    )
