"""Cross-agency person records: the latest known state of a person in each agency's system.

Fed from the compacted ``mash.records.*`` topics (stream) or JSON Lines files (offline, via
:mod:`mash.records_files`). The router only sees the narrow :class:`RecordLookup` protocol, so
the same routing code runs over a Faust table, an in-memory :class:`RecordIndex` or a test fake.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Final, Literal, Protocol, TypeAlias

from mash.domain.normalise import (
    is_valid_nhs_number,
    is_valid_upn,
    name_key,
    normalise_nhs_number,
    normalise_postcode,
    normalise_upn,
    postcode_outward,
    soundex,
    tidy_name,
)
from mash.domain.referral import Child
from mash.domain.values import as_bool, as_code, as_date, as_datetime, as_int, as_text
from mash.errors import InvalidRecord

RecordKind = Literal["social-care", "early-help", "police", "health"]
RECORD_KINDS: Final[tuple[RecordKind, ...]] = ("social-care", "early-help", "police", "health")


@dataclass(frozen=True, slots=True)
class PersonRecord:
    """One person in one agency's system. ``attributes`` holds the agency-specific fields
    (e.g. social care ``status``, police ``domestic_incidents_12m``), already typed.

    An attribute the agency did not send is absent, never defaulted: "no status recorded" must
    not read as "status NONE" to the rules."""

    kind: RecordKind
    person_id: str
    forenames: str
    surname: str
    dob: date | None
    updated_at: datetime
    nhs_number: str | None = None
    postcode: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    upn: str | None = None


# --------------------------------------------------------------------------- from a mapping

_Convert: TypeAlias = Callable[[Any], Any]


def _enum(*symbols: str) -> _Convert:
    allowed = frozenset(symbols)

    def convert(value: Any) -> str | None:
        code = as_code(value)
        if code is not None and code not in allowed:
            raise ValueError("is not one of the allowed values")
        return None if code is None else sys.intern(code)

    return convert


def _free_text(value: Any) -> str | None:
    return tidy_name(as_text(value))


# The typed agency-specific fields of each record kind (DESIGN.md). Anything else an agency
# sends is ignored, so an unexpected free-text field can never reach the checks or the log.
ATTRIBUTES: Final[dict[RecordKind, dict[str, _Convert]]] = {
    "social-care": {
        # UNKNOWN: what an Avro reader sees for a symbol newer than its schema; kept as is, and
        # read as involvement, never as none.
        "status": _enum("NONE", "OPEN_CIN", "CP_PLAN", "LOOKED_AFTER", "CLOSED", "UNKNOWN"),
        "referrals_12m": as_int,
        "last_s47_date": as_date,
    },
    "early-help": {"open_episode": as_bool, "lead_professional": _free_text},
    "police": {
        "domestic_incidents_12m": as_int,
        "open_marac": as_bool,
        "household_risk_to_children": as_bool,
    },
    "health": {
        "cpis_flag": _enum("NONE", "CP_PLAN", "LOOKED_AFTER", "UNBORN_CP_PLAN", "UNKNOWN"),
        "ed_attendances_12m": as_int,
    },
}


def _interned(value: str | None) -> str | None:
    # Names and postcodes repeat across a population; one shared object per spelling keeps
    # a million records within a few hundred megabytes.
    return None if value is None else sys.intern(value)


def _field(kind: str, person_id: str, name: str, convert: _Convert, value: Any) -> Any:
    try:
        return convert(value)
    except ValueError as exc:
        raise InvalidRecord(f"{kind} record {person_id}: {name} {exc}") from None


def _postcode(value: Any) -> str | None:
    return _interned(normalise_postcode(as_text(value)))


def _upn(value: Any) -> str | None:
    return normalise_upn(as_text(value))


def _nhs(value: Any) -> str | None:
    return normalise_nhs_number(as_text(value))


def _name(value: Any) -> str:
    return _interned(tidy_name(as_text(value))) or ""


# The identifying fields every kind shares, with their converters (in this order).
_CORE: Final[tuple[tuple[str, _Convert], ...]] = (
    ("updated_at", as_datetime),
    ("forenames", _name),
    ("surname", _name),
    ("dob", as_date),
    ("nhs_number", _nhs),
    ("postcode", _postcode),
    ("upn", _upn),
)


def record_from_mapping(kind: str, obj: Mapping[str, Any]) -> PersonRecord:
    """A :class:`PersonRecord` from a JSON-form or Avro-decoded record of one agency.

    Raises :class:`~mash.errors.InvalidRecord` naming the person id and the field, never the
    value, when the record cannot be indexed (no ``person_id``, no ``updated_at``, a field of
    the wrong type, an unknown enum symbol).
    """
    if kind not in ATTRIBUTES:
        raise InvalidRecord(f"unknown record kind {kind!r}")
    record_kind: RecordKind = kind
    if not isinstance(obj, Mapping):
        raise InvalidRecord(f"{kind} record is not an object")
    person_id = _field(kind, "?", "person_id", as_text, obj.get("person_id"))
    person_id = person_id.strip() if person_id else ""
    if not person_id:
        raise InvalidRecord(f"{kind} record without person_id")
    # One try block around every field, naming the field being read: a million records are
    # loaded at start-up, so the common path avoids a call per field just for the error.
    get = obj.get
    name = ""
    try:
        core = []
        for name, convert in _CORE:
            core.append(convert(get(name)))
        attributes: dict[str, Any] = {}
        for name, convert in ATTRIBUTES[record_kind].items():
            value = convert(get(name))
            if value is not None:
                attributes[name] = value
    except ValueError as exc:
        raise InvalidRecord(f"{kind} record {person_id}: {name} {exc}") from None
    updated_at, forenames, surname, dob, nhs_number, postcode, upn = core
    if updated_at is None:
        raise InvalidRecord(f"{kind} record {person_id}: updated_at is missing")
    return PersonRecord(
        kind=record_kind,
        person_id=person_id,
        forenames=forenames,
        surname=surname,
        dob=dob,
        updated_at=updated_at,
        nhs_number=nhs_number,
        postcode=postcode,
        attributes=attributes,
        upn=upn,
    )


# --------------------------------------------------------------------------- lookup protocol


class RecordLookup(Protocol):
    """What the router needs from a store of records: is a kind usable, and who might this
    child be in it. Implementations return *candidates*; deciding which (if any) is the child
    is identity resolution's job (:mod:`mash.domain.identity`)."""

    def available(self, kind: RecordKind) -> bool:
        """True once the kind's records are fully loaded (e.g. the Faust table recovered)."""
        ...

    def candidates(self, kind: RecordKind, child: Child) -> list[PersonRecord]:
        """Records that share an identifier or a blocking key with ``child``."""
        ...


# --------------------------------------------------------------------------- in-memory index

# A multi-map value: one person id (the common case, no container) or a tuple of them.
_Ids: TypeAlias = str | tuple[str, ...]


def _mm_add(index: dict[Any, _Ids], key: Any, person_id: str) -> None:
    current = index.get(key)
    if current is None:
        index[key] = person_id
    elif isinstance(current, str):
        if current != person_id:
            index[key] = (current, person_id)
    elif person_id not in current:
        index[key] = (*current, person_id)


def _mm_remove(index: dict[Any, _Ids], key: Any, person_id: str) -> None:
    current = index.get(key)
    if current is None:
        return
    if isinstance(current, str):
        if current == person_id:
            del index[key]
        return
    rest = tuple(pid for pid in current if pid != person_id)
    index[key] = rest[0] if len(rest) == 1 else rest


def _as_ids(value: _Ids) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else value


def place_key(dob: date, postcode: str | None) -> int | None:
    """Blocking key: date of birth and postcode district. A hash, not the tuple, to keep the
    index small; a collision only adds a candidate that identity resolution then rejects."""
    outward = postcode_outward(postcode)
    return None if outward is None else hash((dob.toordinal(), outward))


def sound_key(dob: date, surname: str | None) -> int | None:
    """Blocking key: date of birth and the surname's Soundex, for misspelt surnames and
    families who moved district."""
    code = soundex(name_key(surname))
    return None if not code else hash((dob.toordinal(), code))


_LookupKeys: TypeAlias = tuple[str | None, str | None, int | None, int | None]


def _keys(
    nhs: str | None, upn: str | None, dob: date | None, postcode: str | None, surname: str | None
) -> _LookupKeys:
    nhs_key = nhs if is_valid_nhs_number(nhs) else None
    upn_key = upn if is_valid_upn(upn) else None
    if dob is None:
        return nhs_key, upn_key, None, None
    return nhs_key, upn_key, place_key(dob, postcode), sound_key(dob, surname)


class _KindIndex:
    """The records of one kind and their four lookup maps."""

    __slots__ = ("by_nhs", "by_place", "by_sound", "by_upn", "loaded", "records")

    def __init__(self) -> None:
        self.records: dict[str, PersonRecord] = {}
        self.by_nhs: dict[str, _Ids] = {}
        self.by_upn: dict[str, _Ids] = {}
        self.by_place: dict[int, _Ids] = {}
        self.by_sound: dict[int, _Ids] = {}
        self.loaded = False

    def _maps(self, record: PersonRecord) -> Iterator[tuple[dict[Any, _Ids], Any]]:
        keys = _keys(record.nhs_number, record.upn, record.dob, record.postcode, record.surname)
        maps: tuple[dict[Any, _Ids], ...] = (self.by_nhs, self.by_upn, self.by_place, self.by_sound)
        for index, key in zip(maps, keys, strict=True):
            if key is not None:
                yield index, key

    def put(self, record: PersonRecord) -> bool:
        person_id = record.person_id
        old = self.records.get(person_id)
        if old is not None:
            if old.updated_at > record.updated_at:
                return False
            self.remove(person_id)
        self.records[person_id] = record
        for index, key in self._maps(record):
            _mm_add(index, key, person_id)
        return True

    def remove(self, person_id: str) -> bool:
        old = self.records.pop(person_id, None)
        if old is None:
            return False
        for index, key in self._maps(old):
            _mm_remove(index, key, person_id)
        return True

    def candidates(self, keys: _LookupKeys) -> list[PersonRecord]:
        nhs, upn, place, sound = keys
        found: list[str] = []
        # Spelled out rather than looped: this runs for every child and every kind.
        if nhs is not None and (hit := self.by_nhs.get(nhs)) is not None:
            found.extend(_as_ids(hit))
        if upn is not None and (hit := self.by_upn.get(upn)) is not None:
            found.extend(_as_ids(hit))
        if place is not None and (hit := self.by_place.get(place)) is not None:
            found.extend(_as_ids(hit))
        if sound is not None and (hit := self.by_sound.get(sound)) is not None:
            found.extend(_as_ids(hit))
        if len(found) > 1:
            found = list(dict.fromkeys(found))  # each person once, in a deterministic order
        records = self.records
        return [records[pid] for pid in found]


class RecordIndex:
    """All four kinds of cross-agency records in memory, looked up in microseconds.

    Compacted-topic semantics: :meth:`put` keeps the latest ``updated_at`` per person (an
    older update arriving late is ignored), :meth:`remove` applies a tombstone. A kind is
    *available* only once marked loaded, so a half-recovered table reads UNAVAILABLE (fail
    upward) rather than NOT_FOUND.
    """

    __slots__ = ("_kinds", "_last")

    def __init__(self) -> None:
        self._kinds: dict[RecordKind, _KindIndex] = {kind: _KindIndex() for kind in RECORD_KINDS}
        # The router asks for the same child once per kind: its keys are computed once.
        self._last: tuple[Child, _LookupKeys] | None = None

    def _kind(self, kind: str) -> _KindIndex:
        try:
            return self._kinds[kind]  # type: ignore[index]
        except KeyError:
            raise InvalidRecord(f"unknown record kind {kind!r}") from None

    def put(self, record: PersonRecord) -> bool:
        """Add or replace a person's record; False when an equal-or-newer one is already held."""
        return self._kind(record.kind).put(record)

    def remove(self, kind: RecordKind, person_id: str) -> bool:
        """Forget a person (a tombstone on the compacted topic); False when unknown."""
        return self._kind(kind).remove(person_id)

    def load(self, kind: RecordKind, rows: Iterable[Mapping[str, Any]]) -> int:
        """Index every row of one kind, then mark the kind available. Returns rows indexed.

        Raises :class:`~mash.errors.InvalidRecord` on the first bad row, leaving the kind
        unavailable: a partly loaded kind must not pass for a complete one.
        """
        target = self._kind(kind)
        count = 0
        for row in rows:
            target.put(record_from_mapping(kind, row))
            count += 1
        target.loaded = True
        return count

    def mark_available(self, kind: RecordKind, available: bool = True) -> None:
        """Say a kind is (or is no longer) complete, e.g. when a Faust table has recovered."""
        self._kind(kind).loaded = available

    def available(self, kind: RecordKind) -> bool:
        index = self._kinds.get(kind)  # asked for every child and kind: no helper call
        return index.loaded if index is not None else self._kind(kind).loaded

    def candidates(self, kind: RecordKind, child: Child) -> list[PersonRecord]:
        last = self._last
        if last is not None and last[0] is child:
            keys = last[1]
        else:
            keys = _keys(child.nhs_number, child.upn, child.dob, child.postcode, child.surname)
            self._last = (child, keys)
        index = self._kinds.get(kind)
        return (index if index is not None else self._kind(kind)).candidates(keys)

    def get(self, kind: RecordKind, person_id: str) -> PersonRecord | None:
        """The record held for one person, if any."""
        return self._kind(kind).records.get(person_id)

    def count(self, kind: RecordKind) -> int:
        """How many people of one kind are held."""
        return len(self._kind(kind).records)

    def __len__(self) -> int:
        return sum(len(index.records) for index in self._kinds.values())
