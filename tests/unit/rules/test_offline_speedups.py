"""The fast paths of ``mash route`` change nothing but speed: each JSON line is read with
orjson to exactly the values (and, for a bad line, exactly the error) the standard library
gives, and the collector's hold on the existing heap is released however a run ends."""

from __future__ import annotations

import gc
import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mash.rules.offline import _json_lines, _loads, settled_heap

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(-(2**80), 2**80)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


def same(left: Any, right: Any) -> bool:
    """Equal values of the same types all the way down (``1 == 1.0`` is not enough)."""
    if type(left) is not type(right):
        return False
    if isinstance(left, dict):
        return list(left) == list(right) and all(same(left[k], right[k]) for k in left)
    if isinstance(left, list):
        return len(left) == len(right) and all(map(same, left, right))
    if isinstance(left, float):
        return math.copysign(1, left) == math.copysign(1, right) and repr(left) == repr(right)
    return bool(left == right)


@settings(max_examples=300, deadline=None)
@given(value=JSON_VALUES, ascii_only=st.booleans())
def test_any_line_reads_as_the_standard_library_reads_it(value: Any, ascii_only: bool) -> None:
    line = json.dumps(value, ensure_ascii=ascii_only)
    assert same(_loads(line), json.loads(line))


@pytest.mark.parametrize(
    "line",
    [
        '{"ppn_id": 123456789012345678901234567890}',  # orjson alone would give a float
        '{"n": -9223372036854775809}',
        '{"a": NaN, "b": Infinity}',
        '{"big": 1e400}',
        '{"s": "\\ud800"}',  # a lone surrogate, escaped
        '{"a": 1, "a": 2}',
        '"\\u2028"',
    ],
)
def test_what_orjson_reads_differently_is_read_by_the_standard_library(line: str) -> None:
    assert repr(_loads(line)) == repr(json.loads(line))


@pytest.mark.parametrize("line", ['{"a": [}', '{"a": "tab\there"}', "[1,]", '\ufeff{"a": 1}'])
def test_bad_lines_fail_with_the_standard_librarys_message(line: str) -> None:
    with pytest.raises(json.JSONDecodeError) as expected:
        json.loads(line)
    with pytest.raises(json.JSONDecodeError) as got:
        _loads(line)
    assert (got.value.msg, got.value.colno) == (expected.value.msg, expected.value.colno)


def test_bad_lines_are_reported_by_number_and_the_rest_are_read(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text('{"id": 1}\n{"id": [}\n\n[2]\n{"id": 12345678901234567890123}\n')
    items = list(_json_lines(path))
    assert [number for number, _ in items] == [1, 2, 4, 5]
    assert items[0][1] == {"id": 1}
    with pytest.raises(json.JSONDecodeError) as bad:
        json.loads('{"id": [}')
    assert (
        str(items[1][1]) == f"line 2: not valid JSON ({bad.value.msg} at column {bad.value.colno})"
    )
    assert str(items[2][1]) == "line 4: not a JSON object"
    assert items[3][1] == {"id": 12345678901234567890123}


def test_routing_sets_the_existing_heap_aside_and_hands_it_back() -> None:
    before = gc.get_freeze_count()
    with settled_heap():
        assert gc.get_freeze_count() > before
    assert gc.get_freeze_count() == before
    with pytest.raises(RuntimeError), settled_heap():
        raise RuntimeError("a failing run")
    assert gc.get_freeze_count() == before
