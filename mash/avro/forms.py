"""A record's two forms: JSON (what agency files hold) and Avro (what fastavro reads and writes).

JSON form has ISO-8601 strings for dates and times and base64 for bytes; Avro form has
``date``/``datetime``/``bytes`` objects. Each schema is *compiled once* into a tree of small
closures that convert and check a value in one pass, because the connectors run this for every
line of a million-line file and re-walking the schema per record would dominate.

A value that does not fit raises :class:`Invalid` with the field path (``children[1].dob``)
and what was expected: never the value itself, which may be a name or a date of birth.
"""

from __future__ import annotations

import base64
import binascii
import copy
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any

Convert = Callable[[Any], Any]

_INT_RANGE = (-(2**31), 2**31 - 1)
_LONG_RANGE = (-(2**63), 2**63 - 1)
_IDENTIFIER_MAX = 40


class Invalid(Exception):
    """A value that does not fit the schema. ``segments`` is the field path, innermost
    first (each enclosing record or array appends its part on the way out)."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.segments: list[str] = []

    @property
    def path(self) -> str:
        """The field path, outermost first: ``children[1].dob``."""
        text = ""
        for segment in reversed(self.segments):
            text += segment if segment.startswith("[") or not text else f".{segment}"
        return text

    def describe(self) -> str:
        """``children[1].dob: expected a date``, or just the problem at the top level."""
        return f"{self.path}: {self.problem}" if self.segments else self.problem


# --------------------------------------------------------------------------- primitives


def _null(value: Any) -> None:
    if value is not None:
        raise Invalid("expected null")


def _boolean(value: Any) -> bool:
    if value is True or value is False:
        return bool(value)
    raise Invalid("expected true or false")


def _integer(bounds: tuple[int, int], what: str) -> Convert:
    low, high = bounds

    def convert(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise Invalid(f"expected {what}")
        if not low <= value <= high:
            raise Invalid(f"{what} out of range")
        return value

    return convert


def _floating(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Invalid("expected a number")
    return float(value)


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise Invalid("expected a string")
    return value


def _bytes_from(json_input: bool) -> Convert:
    def convert(value: Any) -> bytes:
        if isinstance(value, bytes | bytearray | memoryview):
            return bytes(value)
        if json_input and isinstance(value, str):
            try:
                return base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError):
                raise Invalid("expected base64 text") from None
        raise Invalid("expected bytes" + (" (base64 text)" if json_input else ""))

    return convert


def _date_from(json_input: bool) -> Convert:
    def convert(value: Any) -> date:
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        if json_input and isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                raise Invalid("expected a date (YYYY-MM-DD)") from None
        raise Invalid("expected a date" + (" (YYYY-MM-DD)" if json_input else ""))

    return convert


def _instant_from(json_input: bool) -> Convert:
    # A time without an offset is taken as UTC, as everywhere in MASH (mash.domain.values):
    # agency systems that omit it write UTC, and guessing local time would move deadlines.
    def convert(value: Any) -> datetime:
        if isinstance(value, datetime):
            moment = value
        elif json_input and isinstance(value, str):
            try:
                moment = datetime.fromisoformat(value)
            except ValueError:
                raise Invalid("expected an ISO-8601 date-time") from None
        else:
            raise Invalid("expected a date-time" + (" (ISO-8601)" if json_input else ""))
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)

    return convert


# --------------------------------------------------------------------------- the compiler


def _field_label(name: Any) -> str:
    """An unexpected key, shown only if it looks like a field name (a key could be anything,
    including a value pasted into the wrong place)."""
    text = str(name)
    if text.isidentifier() and len(text) <= _IDENTIFIER_MAX:
        return f"unknown field {text!r}"
    return "an unknown field"


class _Compiler:
    """Turns one schema (its JSON) into a converter. ``json_input`` picks the input form:
    JSON (ISO strings, base64) for :func:`from_json`, Avro objects for :func:`validator`."""

    def __init__(self, json_input: bool) -> None:
        self.json_input = json_input
        self.named: dict[str, Convert] = {}
        self._primitives: dict[str, Convert] = {
            "null": _null,
            "boolean": _boolean,
            "int": _integer(_INT_RANGE, "an int"),
            "long": _integer(_LONG_RANGE, "a long"),
            "float": _floating,
            "double": _floating,
            "string": _string,
            "bytes": _bytes_from(json_input),
        }

    def compile(self, schema: Any, namespace: str = "") -> Convert:
        if isinstance(schema, str):
            return self._reference(schema, namespace)
        if isinstance(schema, list):
            return self._union([self.compile(branch, namespace) for branch in schema], schema)
        kind = schema["type"]
        logical = schema.get("logicalType")
        if logical == "date":
            return _date_from(self.json_input)
        if logical in ("timestamp-millis", "timestamp-micros"):
            return _instant_from(self.json_input)
        if kind == "record":
            return self._record(schema, namespace)
        if kind == "enum":
            return self._define(schema, namespace, self._enum(schema))
        if kind == "array":
            return self._array(self.compile(schema["items"], namespace))
        if kind == "map":
            return self._map(self.compile(schema["values"], namespace))
        if kind == "fixed":
            return self._define(schema, namespace, self._fixed(schema["size"]))
        return self.compile(kind, namespace)

    # named types --------------------------------------------------------------------------

    @staticmethod
    def _fullname(schema: Mapping[str, Any], namespace: str) -> tuple[str, str]:
        name: str = schema["name"]
        if "." in name:
            return name, name.rpartition(".")[0]
        space = schema.get("namespace", namespace) or ""
        return (f"{space}.{name}" if space else name), space

    def _define(self, schema: Mapping[str, Any], namespace: str, convert: Convert) -> Convert:
        fullname, _ = self._fullname(schema, namespace)
        self.named[fullname] = convert
        return convert

    def _reference(self, name: str, namespace: str) -> Convert:
        if name in self._primitives:
            return self._primitives[name]
        candidates = [f"{namespace}.{name}", name] if namespace and "." not in name else [name]
        for candidate in candidates:
            if candidate in self.named:
                return self._late(candidate)
        raise ValueError(f"unknown type {name!r}")

    def _late(self, fullname: str) -> Convert:
        """Looked up at call time, so a record may refer to itself."""
        named = self.named

        def reference(value: Any) -> Any:
            return named[fullname](value)

        return reference

    # composite types ----------------------------------------------------------------------

    def _union(self, branches: list[Convert], schema: list[Any]) -> Convert:
        nullable = "null" in schema
        others = [b for b, s in zip(branches, schema, strict=True) if s != "null"]
        if len(others) == 1:
            (only,) = others

            def optional(value: Any) -> Any:
                if value is None and nullable:
                    return None
                return only(value)

            return optional

        def union(value: Any) -> Any:
            if value is None and nullable:
                return None
            for branch in others:
                try:
                    return branch(value)
                except Invalid:
                    continue
            raise Invalid("fits no branch of the union")

        return union

    def _enum(self, schema: Mapping[str, Any]) -> Convert:
        symbols = frozenset(schema["symbols"])
        name = schema["name"]

        def enum(value: Any) -> str:
            if isinstance(value, str) and value in symbols:
                return value
            raise Invalid(f"not a symbol of {name}")

        return enum

    @staticmethod
    def _fixed(size: int) -> Convert:
        def fixed(value: Any) -> bytes:
            if isinstance(value, bytes | bytearray) and len(value) == size:
                return bytes(value)
            raise Invalid(f"expected {size} bytes")

        return fixed

    @staticmethod
    def _array(item: Convert) -> Convert:
        def array(value: Any) -> list[Any]:
            if not isinstance(value, list | tuple):
                raise Invalid("expected an array")
            out = []
            for index, element in enumerate(value):
                try:
                    out.append(item(element))
                except Invalid as exc:
                    exc.segments.append(f"[{index}]")
                    raise
            return out

        return array

    @staticmethod
    def _map(values: Convert) -> Convert:
        def mapping(value: Any) -> dict[str, Any]:
            if not isinstance(value, Mapping):
                raise Invalid("expected an object")
            out = {}
            for key, element in value.items():
                if not isinstance(key, str):
                    raise Invalid("map keys must be strings")
                try:
                    out[key] = values(element)
                except Invalid as exc:
                    exc.segments.append(f"[{key!r}]" if key.isidentifier() else "[key]")
                    raise
            return out

        return mapping

    def _record(self, schema: Mapping[str, Any], namespace: str) -> Convert:
        fullname, space = self._fullname(schema, namespace)
        cell: list[Convert] = []
        self.named[fullname] = lambda value: cell[0](value)
        plan = []
        for field in schema["fields"]:
            convert = self.compile(field["type"], space)
            has_default = "default" in field
            default = self._default(convert, field.get("default")) if has_default else None
            plan.append((field["name"], convert, has_default, default))
        known = frozenset(name for name, *_ in plan)

        def record(value: Any) -> dict[str, Any]:
            if not isinstance(value, Mapping):
                raise Invalid("expected an object")
            out: dict[str, Any] = {}
            for name, convert, has_default, default in plan:
                if name in value:
                    try:
                        out[name] = convert(value[name])
                    except Invalid as exc:
                        exc.segments.append(name)
                        raise
                elif has_default:
                    # Mutable defaults are copied so no two records share one list.
                    out[name] = copy.copy(default) if isinstance(default, list | dict) else default
                else:
                    error = Invalid("missing (required)")
                    error.segments.append(name)
                    raise error
            if len(value) != len(out) or any(key not in known for key in value):
                for key in value:
                    if key not in known:
                        raise Invalid(_field_label(key))
            return out

        cell.append(record)
        return record

    def _default(self, convert: Convert, default: Any) -> Any:
        # Schema defaults are written in JSON form; convert them once, here.
        try:
            return convert(default)
        except Invalid:
            return default


def compile_from_json(schema: Mapping[str, Any]) -> Convert:
    """A converter from JSON form to Avro form (filling defaults), checking as it goes."""
    return _Compiler(json_input=True).compile(schema)


def compile_validator(schema: Mapping[str, Any]) -> Convert:
    """A checker of Avro form (``date``/``datetime`` objects); returns a normalised copy."""
    return _Compiler(json_input=False).compile(schema)


# --------------------------------------------------------------------------- decoded ranges

Check = Callable[[Any], None]
_RANGES = {"int": _INT_RANGE, "long": _LONG_RANGE}


def _range_leaf(bounds: tuple[int, int]) -> Check:
    low, high = bounds

    def check(value: Any) -> None:
        if isinstance(value, int) and not low <= value <= high:
            raise Invalid("an integer out of range")

    return check


class _RangeCompiler:
    """Builds a checker that visits only the int and long fields of a schema. fastavro reads
    an over-long varint into an unbounded Python int; that must not pass for a valid record.
    Visiting nothing else keeps it cheap enough to run on every decoded message."""

    def __init__(self) -> None:
        self.named: dict[str, Any] = {}

    def compile(self, schema: Any, namespace: str = "") -> Check | None:
        if isinstance(schema, str):
            if schema in _RANGES:
                return _range_leaf(_RANGES[schema])
            key = f"{namespace}.{schema}" if namespace and "." not in schema else schema
            target = self.named.get(key, self.named.get(schema))
            return None if target is None else self.compile(target, namespace)
        if isinstance(schema, list):
            return self._union([self.compile(branch, namespace) for branch in schema])
        kind = schema["type"]
        if schema.get("logicalType") or kind in ("enum", "fixed"):
            return None  # logical types fail in conversion already; enums are index-checked
        if kind == "record":
            return self._record(schema, namespace)
        if kind == "array":
            return self._each(self.compile(schema["items"], namespace), is_map=False)
        if kind == "map":
            return self._each(self.compile(schema["values"], namespace), is_map=True)
        return self.compile(kind, namespace)

    @staticmethod
    def _union(branches: list[Check | None]) -> Check | None:
        live = [b for b in branches if b is not None]
        if not live:
            return None

        def union(value: Any) -> None:
            # Each branch ignores values not of its type, so the value is fine if any
            # branch accepts it (an int branch's bounds, or a long branch's wider ones).
            failure: Invalid | None = None
            for branch in live:
                try:
                    branch(value)
                    return
                except Invalid as exc:
                    failure = exc
            if failure is not None:
                raise failure

        return union

    @staticmethod
    def _each(item: Check | None, is_map: bool) -> Check | None:
        if item is None:
            return None

        def each(value: Any) -> None:
            if isinstance(value, dict) and is_map:
                elements: Iterable[Any] = value.values()
            elif isinstance(value, list) and not is_map:
                elements = value
            else:
                return  # a union's other branch
            for index, element in enumerate(elements):
                try:
                    item(element)
                except Invalid as exc:
                    exc.segments.append(f"[{index}]")
                    raise

        return each

    def _record(self, schema: Mapping[str, Any], namespace: str) -> Check | None:
        name: str = schema["name"]
        space = name.rpartition(".")[0] if "." in name else schema.get("namespace", namespace)
        self.named[f"{space}.{name}" if space and "." not in name else name] = schema
        checks = []
        for field in schema["fields"]:
            check = self.compile(field["type"], space)
            if check is not None:
                checks.append((field["name"], check))
        if not checks:
            return None

        def record(value: Any) -> None:
            if not isinstance(value, dict):
                return  # a union's other branch
            for name, check in checks:
                try:
                    check(value.get(name))
                except Invalid as exc:
                    exc.segments.append(name)
                    raise

        return record


def compile_range_check(schema: Mapping[str, Any]) -> Check | None:
    """A checker of the int/long ranges of a decoded record; None if it has no such field."""
    return _RangeCompiler().compile(schema)


# --------------------------------------------------------------------------- Avro -> JSON


def iso_instant(moment: datetime) -> str:
    """ISO-8601 in UTC with ``Z``: the one time format of MASH's JSON (see mash.hub.model)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def to_json_value(value: Any) -> Any:
    """Avro form -> JSON form, driven by the Python types fastavro decodes to: dates and times
    to ISO strings, bytes to base64, everything else as it is."""
    if isinstance(value, dict):
        return {key: to_json_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_json_value(item) for item in value]
    if isinstance(value, datetime):
        return iso_instant(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    return value
