"""Reading agency files: JSON Lines or containers, every position accounted for."""

from __future__ import annotations

from pathlib import Path

from connectors.sources import read_items
from mash.avro import Registry, write_container

REGISTRY = Registry.default()


def test_json_lines_keep_their_line_numbers_and_skip_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_bytes(b'{"a": 1}\n\n   \n{"b": 2}\r\n\xff\xfe\n"text"\n{"c": 3}')
    items = list(read_items(path))
    assert [item.number for item in items] == [1, 4, 5, 6, 7]
    assert [item.record for item in items] == [{"a": 1}, {"b": 2}, None, None, {"c": 3}]
    assert [item.error for item in items] == [
        None,
        None,
        "line is not UTF-8",
        "not a JSON object",
        None,
    ]
    assert items[1].text == '{"b": 2}'
    assert items[-1].position == path.stat().st_size
    assert [i.position for i in items] == sorted(i.position for i in items)


def test_a_container_yields_its_records_in_order(tmp_path: Path) -> None:
    records = [
        REGISTRY.from_json("records.social-care", o)
        for o in REGISTRY.examples("records.social-care")
    ]
    path = tmp_path / "sc.jsonl"  # the name lies; the content decides
    write_container(path, REGISTRY.schema("records.social-care"), records)
    items = list(read_items(path))
    assert [item.record for item in items] == records
    assert [item.number for item in items] == [1, 2]
    assert 0 < items[0].position <= items[1].position <= path.stat().st_size


def test_a_corrupt_container_ends_in_a_rejected_item_not_silence(tmp_path: Path) -> None:
    records = [REGISTRY.from_json("records.police", REGISTRY.examples("records.police")[0])] * 50
    path = tmp_path / "police.avro"
    write_container(path, REGISTRY.schema("records.police"), records, codec="null")
    path.write_bytes(path.read_bytes()[:-40])
    items = list(read_items(path))
    assert items[-1].record is None
    assert "the rest of the file is unreadable" in (items[-1].error or "")
    assert items[-1].number == len(items)
