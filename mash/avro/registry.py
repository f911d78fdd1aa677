"""A schema registry made of files: ``schemas/**/*.avsc`` and ``schemas/subjects.yaml``.

Why files and not a Schema Registry server: the hub must decode every message it ever logged,
offline and years later, and the ids live in the repository next to the schemas, reviewed like
code. ``subjects.yaml`` gives each subject its versions, each version a *stable* id (written into
every Confluent-framed message, so never reused) and the subject's compatibility policy.

Everything expensive happens once, at load: parsing, canonical forms, fingerprints, and a
decode plan per writer schema (its parsed schema plus the subject's newest, ready for fastavro's
writer->reader resolution). The per-message path is a header lookup and one fastavro call.
"""

from __future__ import annotations

import enum
import io
import json
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import fastavro
import fastavro.schema
import yaml

from mash.avro.forms import (
    Check,
    Convert,
    Invalid,
    compile_from_json,
    compile_range_check,
    compile_validator,
    to_json_value,
)
from mash.avro.framing import (
    Wire,
    as_wire,
    confluent_header,
    parse_header,
    single_object_header,
)
from mash.errors import ConfigError, DecodeError, SchemaError

SUBJECTS_FILE = "subjects.yaml"
EXAMPLES_DIR = "examples"
_VERSION_IN_NAME = re.compile(r"\.v(\d+)\.avsc$")


class Compatibility(enum.StrEnum):
    """How each version of a subject must relate to the ones before it (Confluent's names)."""

    BACKWARD = "BACKWARD"
    BACKWARD_TRANSITIVE = "BACKWARD_TRANSITIVE"
    FORWARD = "FORWARD"
    FORWARD_TRANSITIVE = "FORWARD_TRANSITIVE"
    FULL = "FULL"
    FULL_TRANSITIVE = "FULL_TRANSITIVE"
    NONE = "NONE"


@dataclass(frozen=True, eq=False)
class SchemaVersion:
    """One version of one subject: the .avsc as written, parsed once, with its wire identity."""

    subject: str
    version: int
    schema_id: int
    path: Path
    schema: Mapping[str, Any] = field(repr=False)
    parsed: Any = field(repr=False)
    canonical: str = field(repr=False)
    fingerprint: bytes = field(repr=False)

    @property
    def label(self) -> str:
        """``police v2`` — how errors and reports name a schema."""
        return f"{self.subject} v{self.version}"

    @property
    def fullname(self) -> str:
        name: str = self.schema["name"]
        space = self.schema.get("namespace")
        return name if "." in name or not space else f"{space}.{name}"

    def header(self, wire: Wire) -> bytes:
        """The frame header announcing this schema on the wire."""
        if wire is Wire.CONFLUENT:
            return confluent_header(self.schema_id)
        return single_object_header(self.fingerprint)


@dataclass(frozen=True)
class Subject:
    """A named line of schema versions (one topic family) and its compatibility policy."""

    name: str
    compatibility: Compatibility
    versions: tuple[SchemaVersion, ...]
    doc: str = ""

    @property
    def latest(self) -> SchemaVersion:
        return self.versions[-1]

    def version(self, number: int | None = None) -> SchemaVersion:
        """A version by number (``None``: the newest); :class:`SchemaError` if there is none."""
        if number is None:
            return self.latest
        for candidate in self.versions:
            if candidate.version == number:
                return candidate
        known = ", ".join(str(v.version) for v in self.versions)
        raise SchemaError(f"subject {self.name} has no version {number} (versions: {known})")


@dataclass(frozen=True, slots=True)
class _Plan:
    """How to read a payload written with one schema: writer and reader for fastavro
    (``reader`` is ``None`` when the writer *is* the newest, so fastavro skips resolution),
    and the range check of the reader's int/long fields (None when it has none)."""

    writer: SchemaVersion
    writer_parsed: Any
    reader_parsed: Any
    ranges: Check | None


# --------------------------------------------------------------------------- loading


def _read_json(path: Path, root: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise SchemaError(f"{path.relative_to(root)}: not valid JSON ({exc})") from exc
    if not isinstance(value, dict) or value.get("type") != "record":
        raise SchemaError(f"{path.relative_to(root)}: a subject's schema must be a record")
    return value


def _load_version(root: Path, subject: str, entry: Mapping[str, Any]) -> SchemaVersion:
    try:
        number, schema_id, relative = int(entry["version"]), int(entry["id"]), str(entry["file"])
    except (KeyError, TypeError, ValueError) as exc:
        raise SchemaError(
            f"{SUBJECTS_FILE}: {subject}: each version needs version, id and file"
        ) from exc
    path = root / relative
    if not path.is_file():
        raise SchemaError(f"{SUBJECTS_FILE}: {subject} v{number}: {relative} does not exist")
    named = _VERSION_IN_NAME.search(path.name)
    if named is None or int(named.group(1)) != number:
        raise SchemaError(
            f"{subject} v{number}: file {relative} must be named <name>.v{number}.avsc"
        )
    raw = _read_json(path, root)
    try:
        parsed = fastavro.parse_schema(raw)
        canonical = fastavro.schema.to_parsing_canonical_form(raw)
    except Exception as exc:  # fastavro raises several types for a bad schema
        raise SchemaError(f"{relative}: not a valid Avro schema ({exc})") from exc
    fingerprint = bytes.fromhex(fastavro.schema.fingerprint(canonical, "CRC-64-AVRO"))
    return SchemaVersion(subject, number, schema_id, path, raw, parsed, canonical, fingerprint)


def _load_subject(root: Path, name: str, spec: Any, default: Compatibility) -> Subject:
    if not isinstance(spec, Mapping) or not isinstance(spec.get("versions"), list):
        raise SchemaError(f"{SUBJECTS_FILE}: subject {name} needs a list of versions")
    try:
        policy = Compatibility(str(spec.get("compatibility", default)).upper())
    except ValueError as exc:
        choices = ", ".join(c.value for c in Compatibility)
        raise SchemaError(
            f"{SUBJECTS_FILE}: {name}: compatibility must be one of {choices}"
        ) from exc
    versions = tuple(_load_version(root, name, entry) for entry in spec["versions"])
    if not versions:
        raise SchemaError(f"{SUBJECTS_FILE}: subject {name} has no versions")
    numbers = [v.version for v in versions]
    if numbers != sorted(set(numbers)):
        raise SchemaError(f"{SUBJECTS_FILE}: {name}: versions must be listed in increasing order")
    return Subject(name, policy, versions, str(spec.get("doc", "")))


def _read_subjects_file(root: Path) -> Mapping[str, Any]:
    path = root / SUBJECTS_FILE
    if not root.is_dir():
        raise ConfigError(f"schema directory {root} does not exist (set MASH_SCHEMAS_DIR or --dir)")
    if not path.is_file():
        raise ConfigError(f"{path} is missing: it gives every schema its stable id")
    try:
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise SchemaError(f"{SUBJECTS_FILE}: not valid YAML ({exc})") from exc
    if not isinstance(spec, Mapping) or not isinstance(spec.get("subjects"), Mapping):
        raise SchemaError(f"{SUBJECTS_FILE}: needs a 'subjects' mapping")
    return spec


def _check_unlisted(root: Path, subjects: Mapping[str, Subject]) -> None:
    listed = {v.path.resolve() for s in subjects.values() for v in s.versions}
    for path in sorted(root.rglob("*.avsc")):
        if path.resolve() not in listed:
            raise SchemaError(
                f"{path.relative_to(root)} is not listed in {SUBJECTS_FILE}: give it a subject, "
                "a version and a new id"
            )


def _check_unique(subjects: Mapping[str, Subject]) -> None:
    by_id: dict[int, SchemaVersion] = {}
    by_fingerprint: dict[bytes, SchemaVersion] = {}
    for version in (v for s in subjects.values() for v in s.versions):
        other = by_id.setdefault(version.schema_id, version)
        if other is not version:
            raise SchemaError(
                f"schema id {version.schema_id} used twice: {other.label} and {version.label}"
            )
        twin = by_fingerprint.setdefault(version.fingerprint, version)
        if twin is not version:
            raise SchemaError(
                f"{twin.label} and {version.label} have the same canonical form: a new version "
                "must change the schema (single-object decoding could not tell them apart)"
            )


def schemas_dir() -> Path:
    """Where the registry's files are: ``MASH_SCHEMAS_DIR`` or the repository's ``schemas/``."""
    import mash
    from mash.config import setting

    configured = setting("MASH_SCHEMAS_DIR")
    if configured:
        return Path(configured).expanduser()
    return Path(mash.__file__).resolve().parents[1] / "schemas"


@lru_cache(maxsize=8)
def _cached(directory: Path) -> Registry:
    return Registry.load(directory)


# Registry.default() by the MASH_SCHEMAS_DIR it was asked under (resolving the directory
# reads settings files, far too slow to repeat per message).
_DEFAULTS: dict[str | None, Registry] = {}


# --------------------------------------------------------------------------- the registry


class Registry:
    """Every subject and version of a schema directory; encode, decode, convert, validate."""

    def __init__(self, subjects: Mapping[str, Subject], directory: Path | None = None) -> None:
        _check_unique(subjects)
        self.directory = directory
        self._subjects = dict(subjects)
        self._plans_by_id: dict[int, _Plan] = {}
        self._plans_by_fingerprint: dict[bytes, _Plan] = {}
        for subject in self._subjects.values():
            ranges = compile_range_check(subject.latest.schema)
            for version in subject.versions:
                reader = None if version is subject.latest else subject.latest.parsed
                plan = _Plan(version, version.parsed, reader, ranges)
                self._plans_by_id[version.schema_id] = plan
                self._plans_by_fingerprint[version.fingerprint] = plan
        self._from_json: dict[SchemaVersion, Convert] = {}
        self._validators: dict[SchemaVersion, Convert] = {}

    # ---------------------------------------------------------------- construction

    @classmethod
    def load(cls, directory: Path | str) -> Registry:
        """Load ``directory/subjects.yaml`` and every schema it lists.

        Raises :class:`~mash.errors.SchemaError` naming the file or subject at fault, also for
        an ``.avsc`` that ``subjects.yaml`` does not list (it would have no stable id).
        """
        root = Path(directory)
        spec = _read_subjects_file(root)
        try:
            default = Compatibility(str(spec.get("default_compatibility", "BACKWARD")).upper())
        except ValueError as exc:
            raise SchemaError(f"{SUBJECTS_FILE}: unknown default_compatibility") from exc
        subjects = {
            str(name): _load_subject(root, str(name), body, default)
            for name, body in spec["subjects"].items()
        }
        _check_unlisted(root, subjects)
        return cls(subjects, root)

    @classmethod
    def default(cls) -> Registry:
        """The registry of the repository's ``schemas/`` (or ``MASH_SCHEMAS_DIR``), loaded
        once per process. Cheap to call per message: one dictionary lookup."""
        key = os.environ.get("MASH_SCHEMAS_DIR")
        registry = _DEFAULTS.get(key)
        if registry is None:
            registry = _DEFAULTS[key] = _cached(schemas_dir().resolve())
        return registry

    # ---------------------------------------------------------------- lookups

    @property
    def subjects(self) -> Mapping[str, Subject]:
        return self._subjects

    def subject(self, name: str) -> Subject:
        try:
            return self._subjects[name]
        except KeyError:
            known = ", ".join(sorted(self._subjects))
            raise SchemaError(f"unknown subject {name!r} (known: {known})") from None

    def schema(self, subject: str, version: int | None = None) -> SchemaVersion:
        """One version of a subject (``None``: the newest)."""
        return self.subject(subject).version(version)

    def by_id(self, schema_id: int) -> SchemaVersion | None:
        plan = self._plans_by_id.get(schema_id)
        return None if plan is None else plan.writer

    def by_fingerprint(self, fingerprint: bytes) -> SchemaVersion | None:
        plan = self._plans_by_fingerprint.get(fingerprint)
        return None if plan is None else plan.writer

    def __iter__(self) -> Iterator[SchemaVersion]:
        for subject in self._subjects.values():
            yield from subject.versions

    # ---------------------------------------------------------------- wire

    def encode(
        self,
        subject: str,
        record: Mapping[str, Any],
        version: int | None = None,
        wire: Wire | str = Wire.CONFLUENT,
    ) -> bytes:
        """Avro form -> one framed message. A record that does not fit raises
        :class:`SchemaError` naming the field path (missing fields with a default are filled)."""
        schema = self.schema(subject, version)
        try:
            header = schema.header(as_wire(wire))
        except ValueError as exc:
            raise SchemaError(str(exc)) from exc
        out = io.BytesIO()
        out.write(header)
        try:
            fastavro.schemaless_writer(out, schema.parsed, record, strict_allow_default=True)
        except Exception:
            # Not chained: fastavro's message may quote the value (a name, a date of birth),
            # and a logged traceback would carry it. The explanation names the field instead.
            raise self._explain(schema, record) from None
        return out.getvalue()

    def _explain(self, schema: SchemaVersion, record: Any) -> SchemaError:
        try:
            self._validator(schema)(record)
        except Invalid as invalid:
            return SchemaError(f"{schema.label}: {invalid.describe()}")
        return SchemaError(f"{schema.label}: the record does not fit the schema")

    def _plan(self, payload: bytes) -> tuple[_Plan, int]:
        header = parse_header(payload)
        if header.schema_id is not None:
            plan = self._plans_by_id.get(header.schema_id)
            if plan is None:
                raise DecodeError(f"unknown schema id {header.schema_id}")
        else:
            assert header.fingerprint is not None
            plan = self._plans_by_fingerprint.get(header.fingerprint)
            if plan is None:
                raise DecodeError(f"unknown schema fingerprint {header.fingerprint.hex()}")
        return plan, header.body_offset

    def writer_of(self, payload: bytes) -> SchemaVersion:
        """The schema that wrote ``payload``, from its frame header."""
        return self._plan(bytes(payload))[0].writer

    def decode(self, payload: bytes, subject: str) -> dict[str, Any]:
        """One framed message (either framing) -> Avro form in ``subject``'s newest schema.

        The writer's schema comes from the header; real Avro resolution maps it onto the
        newest reader (a v1 police notification gains v2's defaults). Every failure is a
        :class:`DecodeError` saying what was wrong, never what the bytes held.
        """
        data = payload if isinstance(payload, bytes) else _as_bytes(payload)
        plan, offset = self._plan(data)
        if plan.writer.subject != subject:
            raise DecodeError(
                f"schema {plan.writer.schema_id} ({plan.writer.label}) is not of subject {subject}"
            )
        return _read(plan, data, offset)

    def decode_any(self, payload: bytes) -> tuple[SchemaVersion, dict[str, Any]]:
        """Like :meth:`decode`, for a message of any subject; returns the writer schema too."""
        data = payload if isinstance(payload, bytes) else _as_bytes(payload)
        plan, offset = self._plan(data)
        return plan.writer, _read(plan, data, offset)

    def examples(self, subject: str, version: int | None = None) -> list[dict[str, Any]]:
        """The example records (JSON form) of one version, from ``examples/<subject>.v<N>.json``
        next to the schemas: documentation for agency integrators, checked by
        ``mash schemas check``. Empty when there are none."""
        schema = self.schema(subject, version)
        if self.directory is None:
            return []
        path = self.directory / EXAMPLES_DIR / f"{subject}.v{schema.version}.json"
        if not path.is_file():
            return []
        try:
            records = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise SchemaError(f"{EXAMPLES_DIR}/{path.name}: not valid JSON ({exc})") from exc
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise SchemaError(f"{EXAMPLES_DIR}/{path.name}: must be a JSON list of records")
        return records

    # ---------------------------------------------------------------- forms

    def _validator(self, schema: SchemaVersion) -> Convert:
        convert = self._validators.get(schema)
        if convert is None:
            convert = self._validators[schema] = compile_validator(schema.schema)
        return convert

    def from_json(
        self, subject: str, obj: Mapping[str, Any], version: int | None = None
    ) -> dict[str, Any]:
        """JSON form (ISO date strings, base64 bytes) -> Avro form, with defaults filled.

        Checks the whole record as it converts: :class:`SchemaError` names the field path and
        what was expected (``children[1].dob: expected a date (YYYY-MM-DD)``), never the value.
        Already-converted values (``date`` objects from a container file) are accepted too.
        """
        schema = self.schema(subject, version)
        convert = self._from_json.get(schema)
        if convert is None:
            convert = self._from_json[schema] = compile_from_json(schema.schema)
        try:
            result: dict[str, Any] = convert(obj)
        except Invalid as invalid:
            raise SchemaError(f"{schema.label}: {invalid.describe()}") from None
        return result

    def to_json(self, subject: str, record: Mapping[str, Any]) -> dict[str, Any]:
        """Avro form -> JSON form (dates and times as ISO-8601 strings, UTC with ``Z``)."""
        self.subject(subject)
        result: dict[str, Any] = to_json_value(dict(record))
        return result

    def validate(self, subject: str, record: Mapping[str, Any], version: int | None = None) -> None:
        """Check an Avro-form record; :class:`SchemaError` names the field path, not the value."""
        schema = self.schema(subject, version)
        try:
            self._validator(schema)(record)
        except Invalid as invalid:
            raise SchemaError(f"{schema.label}: {invalid.describe()}") from None


def _as_bytes(payload: Any) -> bytes:
    if payload is None:
        raise DecodeError("empty payload (a tombstone or an empty message)")
    try:
        return bytes(payload)
    except TypeError as exc:
        raise DecodeError("payload is not bytes") from exc


def _read(plan: _Plan, payload: bytes, offset: int) -> dict[str, Any]:
    """Run fastavro on the body and translate every way it can fail into a DecodeError."""
    label = plan.writer.label
    stream = io.BytesIO(payload)
    stream.seek(offset)
    try:
        record = fastavro.schemaless_reader(stream, plan.writer_parsed, plan.reader_parsed)
    except EOFError as exc:
        raise DecodeError(f"truncated payload: {label} body ends early") from exc
    except UnicodeDecodeError as exc:
        raise DecodeError(f"invalid data for {label}: a string is not UTF-8") from exc
    except (IndexError, KeyError) as exc:
        raise DecodeError(
            f"invalid data for {label}: union branch or enum symbol out of range"
        ) from exc
    except (ValueError, OverflowError) as exc:
        raise DecodeError(
            f"invalid data for {label}: a value out of range ({type(exc).__name__})"
        ) from exc
    except MemoryError as exc:
        raise DecodeError(f"invalid data for {label}: a length beyond memory") from exc
    except Exception as exc:  # the decoder boundary: anything else fastavro raises
        raise DecodeError(f"invalid data for {label} ({type(exc).__name__})") from exc
    trailing = len(payload) - stream.tell()
    if trailing:
        raise DecodeError(f"trailing bytes: {trailing} after the {label} record")
    if not isinstance(record, dict):
        raise DecodeError(f"invalid data for {label}: not a record")
    if plan.ranges is not None:
        try:
            plan.ranges(record)
        except Invalid as invalid:
            raise DecodeError(f"invalid data for {label}: {invalid.describe()}") from None
    return record
