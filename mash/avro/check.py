"""What ``mash schemas check`` verifies: each version is compatible with the ones before under
its subject's policy, and each schema is documented and can grow.

Compatibility is decided by the Apache ``avro`` package's ``ReaderWriterCompatibilityChecker``
(the reference implementation's rules), not by a home-grown diff: the point is to agree with
what every other Avro reader will do. Its answer locates a problem as a JSON-pointer-like path
through the reader schema (``/fields/3/type/items/fields/1/type``); :func:`field_path` turns
that into the field names a person reads (``children[].dob``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import avro.schema
from avro.compatibility import ReaderWriterCompatibilityChecker, SchemaCompatibilityType

from mash.avro.framing import Wire
from mash.avro.registry import EXAMPLES_DIR, Compatibility, Registry, SchemaVersion, Subject
from mash.errors import DecodeError, SchemaError

_BACKWARD = {Compatibility.BACKWARD, Compatibility.FULL}
_FORWARD = {Compatibility.FORWARD, Compatibility.FULL}
_TRANSITIVE_BACKWARD = {Compatibility.BACKWARD_TRANSITIVE, Compatibility.FULL_TRANSITIVE}
_TRANSITIVE_FORWARD = {Compatibility.FORWARD_TRANSITIVE, Compatibility.FULL_TRANSITIVE}


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a subject: which versions, which field, what."""

    subject: str
    message: str

    def __str__(self) -> str:
        return f"{self.subject}: {self.message}"


# --------------------------------------------------------------------------- field paths


def _resolve(node: Any, named: Mapping[str, Any]) -> Any:
    if isinstance(node, str):
        return named.get(node, node)
    return node


def _named_types(
    schema: Any, namespace: str = "", out: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Every named type of a schema by short and full name (to follow references)."""
    table: dict[str, Any] = {} if out is None else out
    if isinstance(schema, list):
        for branch in schema:
            _named_types(branch, namespace, table)
    elif isinstance(schema, dict):
        space = schema.get("namespace", namespace)
        if "name" in schema and schema.get("type") in ("record", "enum", "fixed"):
            table[schema["name"]] = schema
            table[f"{space}.{schema['name']}" if space else schema["name"]] = schema
        for field in schema.get("fields", ()):
            _named_types(field["type"], space, table)
        for key in ("items", "values"):
            if key in schema:
                _named_types(schema[key], space, table)
    return table


def _branch_with(node: Any, key: str, named: Mapping[str, Any]) -> Any:
    """Inside a union, the branch that has ``key`` (a record's fields, an array's items)."""
    if isinstance(node, list):
        for branch in node:
            branch = _resolve(branch, named)
            if isinstance(branch, dict) and key in branch:
                return branch
    if isinstance(node, dict) and isinstance(node.get("type"), dict | list):
        return _branch_with(node["type"], key, named)
    return node


def field_path(schema: Mapping[str, Any], location: str) -> str:
    """``/fields/5/type/items/fields/2/type`` in ``schema`` -> ``children[].dob``."""
    named = _named_types(schema)
    tokens = [t for t in location.split("/") if t]
    node: Any = schema
    path = ""
    index = 0
    while index < len(tokens):
        token = tokens[index]
        node = _resolve(node, named)
        if token == "fields" and index + 1 < len(tokens):
            record = _branch_with(node, "fields", named)
            try:
                field = record["fields"][int(tokens[index + 1])]
            except (KeyError, IndexError, TypeError, ValueError):
                break
            path += f".{field['name']}" if path else field["name"]
            node = field
            index += 2
            continue
        if token == "type" and isinstance(node, dict) and "name" in node and "type" in node:
            node = node["type"]
        elif token in ("items", "values"):
            node = _branch_with(node, token, named)
            node = node.get(token) if isinstance(node, dict) else node
            path += "[]" if token == "items" else "{}"
        elif token == "symbols":
            path += " (enum symbols)"
        elif token == "name":
            path += " (type name)"
        index += 1
    return path or "(the record itself)"


# --------------------------------------------------------------------------- compatibility


def _avro(version: SchemaVersion) -> avro.schema.Schema:
    try:
        return avro.schema.parse(json.dumps(version.schema))
    except Exception as exc:  # avro raises its own hierarchy for unparseable schemas
        raise SchemaError(f"{version.path.name}: the avro package cannot parse it ({exc})") from exc


def _read_problem(reader: SchemaVersion, writer: SchemaVersion, policy: str) -> str | None:
    """Why ``reader`` cannot read what ``writer`` wrote, naming the fields; None if it can."""
    result = ReaderWriterCompatibilityChecker().get_compatibility(_avro(reader), _avro(writer))
    if result.compatibility is not SchemaCompatibilityType.incompatible:
        return None
    newer, older = sorted((reader, writer), key=lambda v: v.version, reverse=True)
    # The checker pools every problem's location and message; "/" is the root it adds for
    # compatible parts, noise once a real location is known.
    locations = sorted(result.locations - {"/"}) or ["/"]
    fields = ", ".join(dict.fromkeys(field_path(reader.schema, loc) for loc in locations))
    kinds = ", ".join(sorted({kind.value for kind in result.incompatibilities}))
    details = "; ".join(sorted(result.messages))
    return (
        f"v{newer.version} is not {policy}-compatible with v{older.version} "
        f"(v{reader.version} cannot read data written with v{writer.version}): "
        f"field {fields}: {kinds} ({details})"
    )


def _pairs(subject: Subject) -> Iterator[tuple[SchemaVersion, SchemaVersion, str]]:
    """(reader, writer, policy) pairs the subject's policy requires to be readable."""
    policy = subject.compatibility
    versions = subject.versions
    for position in range(1, len(versions)):
        new = versions[position]
        if policy in _TRANSITIVE_BACKWARD or policy in _TRANSITIVE_FORWARD:
            olds: Sequence[SchemaVersion] = versions[:position]
        else:
            olds = versions[position - 1 : position]
        for old in olds:
            if policy in _BACKWARD or policy in _TRANSITIVE_BACKWARD:
                yield new, old, policy.value
            if policy in _FORWARD or policy in _TRANSITIVE_FORWARD:
                yield old, new, policy.value


def compatibility_problems(subject: Subject) -> list[Problem]:
    """Every way a version of ``subject`` breaks its compatibility policy (empty: all fine)."""
    problems = []
    for reader, writer, policy in _pairs(subject):
        message = _read_problem(reader, writer, policy)
        if message is not None:
            problems.append(Problem(subject.name, message))
    return problems


# --------------------------------------------------------------------------- conventions


def _walk_conventions(node: Any, path: str, out: list[str]) -> None:
    if isinstance(node, list):
        for branch in node:
            _walk_conventions(branch, path, out)
        if "null" in node and node[0] != "null":
            out.append(f"{path}: an optional field's union must list null first")
        return
    if not isinstance(node, dict):
        return
    kind = node.get("type")
    if kind == "record":
        if not node.get("doc"):
            out.append(f"{path or node['name']}: record {node['name']} has no doc")
        for field in node["fields"]:
            where = f"{path}.{field['name']}" if path else field["name"]
            if not field.get("doc"):
                out.append(f"{where}: field has no doc")
            optional = isinstance(field["type"], list) and field["type"][:1] == ["null"]
            if optional and ("default" not in field or field["default"] is not None):
                out.append(f"{where}: an optional field needs default null")
            _walk_conventions(field["type"], where, out)
    elif kind == "enum":
        if "default" not in node:
            out.append(f"{path}: enum {node['name']} needs a default so it can grow")
    elif kind == "array":
        _walk_conventions(node["items"], f"{path}[]", out)
    elif kind == "map":
        _walk_conventions(node["values"], f"{path}{{}}", out)
    elif isinstance(kind, dict | list):
        _walk_conventions(kind, path, out)


def convention_problems(version: SchemaVersion) -> list[Problem]:
    """House rules: a doc on every record and field, a default on every enum, optional fields
    as ``["null", T]`` with default null."""
    found: list[str] = []
    _walk_conventions(version.schema, "", found)
    where = f"v{version.version} ({version.path.name})"
    return [Problem(version.subject, f"{where}: {problem}") for problem in found]


# --------------------------------------------------------------------------- examples


def _example_problem(registry: Registry, version: SchemaVersion, record: Any) -> str | None:
    subject = version.subject
    latest = registry.subject(subject).latest
    expected = registry.from_json(subject, record, version.version)
    for wire in Wire:
        decoded = registry.decode(
            registry.encode(subject, expected, version.version, wire), subject
        )
        if version is latest and decoded != expected:
            return f"does not survive a {wire.value} round trip"
        # An older version's record is read into the newest schema: it must fit it, and keep
        # the values of the fields both versions share.
        registry.validate(subject, decoded)
        kept = [
            name
            for name in decoded
            if name in expected and not isinstance(decoded[name], list | dict)
        ]
        if any(decoded[name] != expected[name] for name in kept):
            return f"changes value when read with v{latest.version} ({wire.value})"
    return None


def example_problems(registry: Registry, version: SchemaVersion) -> list[Problem]:
    """Every version needs at least one example record, and each must convert, encode under
    both framings and decode (resolved to the newest version) to what it was."""
    where = f"v{version.version} example"
    records = registry.examples(version.subject, version.version)
    if not records:
        name = f"{EXAMPLES_DIR}/{version.subject}.v{version.version}.json"
        return [Problem(version.subject, f"v{version.version} has no example records ({name})")]
    problems = []
    for number, record in enumerate(records, start=1):
        try:
            problem = _example_problem(registry, version, record)
        except (SchemaError, DecodeError) as exc:
            problem = str(exc)
        if problem is not None:
            problems.append(Problem(version.subject, f"{where} {number}: {problem}"))
    return problems


def check_registry(registry: Registry) -> list[Problem]:
    """Everything ``mash schemas check`` reports, in subject order."""
    problems: list[Problem] = []
    for subject in registry.subjects.values():
        for version in subject.versions:
            _avro(version)  # the reference implementation must parse it too
            problems.extend(convention_problems(version))
            problems.extend(example_problems(registry, version))
        problems.extend(compatibility_problems(subject))
    return problems
