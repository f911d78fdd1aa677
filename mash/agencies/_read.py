"""Reading one agency record field by field, with errors that name the field, never the value.

Shared by the three agency mappings. Every failure becomes
:class:`~mash.errors.InvalidReferral` with the agency, the referral id and the field path
(``children[1].dob is not an ISO-8601 date``): enough to find and fix the input, and safe to
write to logs and the dead-letter topic because no name, date or narrative is repeated.

Enum fields follow the agency's Avro schema: a symbol the schema does not know reads as the
schema's default (``OTHER``, ``NOT_ASSESSED``, ``NOT_RECORDED``, ``ASSESSMENT``), exactly what
an Avro reader would see, so a JSON file and a Kafka topic carrying the same referral route
the same way. Those defaults were chosen to fail upward (an unknown DASH grading is "not
assessed", never "standard").

Speed: every referral passes through here (the offline target is 20,000 referrals a second on
one core), so each accessor takes the common well-typed value on a fast path and builds the
field path only when it has something to complain about.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, NoReturn

from mash.domain.normalise import (
    is_valid_nhs_number,
    is_valid_upn,
    normalise_nhs_number,
    normalise_postcode,
    normalise_upn,
    tidy_name,
)
from mash.domain.referral import Child
from mash.domain.values import as_bool, as_code, as_date, as_datetime, as_float, as_int, as_text
from mash.errors import InvalidReferral

_MAX_ID = 64  # ids are echoed in errors; a fuzzed 1 MB id must not be


def referral_id(agency: str, record: Any, key: str) -> str:
    """The agency's own referral id, or :class:`InvalidReferral` when there is none."""
    if not isinstance(record, Mapping):
        raise InvalidReferral(f"{agency} referral is not an object")
    value = record.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise InvalidReferral(f"{agency} referral without {key}")
    return value.strip()


def optional_enum(
    read: Reader,
    obj: Mapping[str, Any],
    key: str,
    symbols: frozenset[str],
    default: str,
    where: str = "",
) -> str | None:
    """A nullable enum (``["null", Enum]``): ``None`` when absent (not asked), otherwise the
    symbol, with an unknown one read as the schema's default as :meth:`Reader.enum` does."""
    if obj.get(key) is None:
        return None
    return read.enum(obj, key, symbols, default, where)


def _nhs_number(value: Any) -> str | None:
    # Kept even when the check digit is wrong, so staff see what was sent; identity never
    # matches on it and the decision is flagged INVALID_NHS_NUMBER.
    return normalise_nhs_number(as_text(value))


def _upn(value: Any) -> str | None:
    return normalise_upn(as_text(value))


def _postcode(value: Any) -> str | None:
    return normalise_postcode(as_text(value))


class Reader:
    """Typed access to one referral's fields; raises with the field path on bad input.

    Accessors take the object, the key and ``where`` (the object's own path, ``""`` at the
    top level, ``children[1]`` for the second child): the path in a message is
    ``where.key``.
    """

    __slots__ = ("agency", "ref")

    def __init__(self, agency: str, ref: str) -> None:
        self.agency = agency
        self.ref = ref if len(ref) <= _MAX_ID else ref[:_MAX_ID] + "..."

    def fail(self, where: str, key: str, problem: str) -> NoReturn:
        """Reject the referral, naming the field and what is wrong with it."""
        path = f"{where}.{key}" if where and key else where or key
        raise InvalidReferral(f"{self.agency} referral {self.ref}: {path} {problem}")

    def convert(self, raw: Any, where: str, key: str, convert: Callable[[Any], Any]) -> Any:
        """``convert(raw)``; a converter's ``ValueError`` (whose message never quotes the
        value, see :mod:`mash.domain.values`) becomes InvalidReferral."""
        try:
            return convert(raw)
        except ValueError as exc:
            self.fail(where, key, str(exc))

    def text(self, obj: Mapping[str, Any], key: str, where: str = "") -> str | None:
        value = obj.get(key)
        if value is None or type(value) is str:
            return value
        return self.convert(value, where, key, as_text)

    def name(self, obj: Mapping[str, Any], key: str, where: str = "") -> str | None:
        return tidy_name(self.text(obj, key, where))

    def day(self, obj: Mapping[str, Any], key: str, where: str = "") -> date | None:
        value = obj.get(key)
        if value is None or (type(value) is date):
            return value
        return self.convert(value, where, key, as_date)

    def moment(self, obj: Mapping[str, Any], key: str, where: str = "") -> datetime | None:
        return self.convert(obj.get(key), where, key, as_datetime)

    def flag(self, obj: Mapping[str, Any], key: str, where: str = "") -> bool:
        """A yes/no field where "not said" means no (e.g. ``weapon_used``)."""
        value = obj.get(key)
        if value is True or value is False:
            return value
        return self.convert(value, where, key, as_bool) is True

    def maybe(self, obj: Mapping[str, Any], key: str, where: str = "") -> bool | None:
        """A yes/no field where "not said" must stay unknown (e.g. ``childIsMobile``)."""
        value = obj.get(key)
        if value is None or value is True or value is False:
            return value
        return self.convert(value, where, key, as_bool)

    def answers(
        self, obj: Mapping[str, Any], fields: Mapping[str, str], where: str = ""
    ) -> dict[str, Any]:
        """Yes/no questions a form may not have asked: ``{canonical name: True, False or
        None}`` for each ``canonical name -> form field`` of ``fields`` (one table per agency
        says which of its fields answers which canonical question). Typed ``Any`` because it
        is spread into the canonical dataclasses' keyword arguments."""
        return {name: self.maybe(obj, key, where) for name, key in fields.items()}

    def flags(
        self, obj: Mapping[str, Any], fields: Mapping[str, str], where: str = ""
    ) -> dict[str, Any]:
        """Like :meth:`answers` for questions where "not said" means no (:meth:`flag`)."""
        return {name: self.flag(obj, key, where) for name, key in fields.items()}

    def whole(
        self, obj: Mapping[str, Any], key: str, low: int, high: int, where: str = ""
    ) -> int | None:
        number = self.convert(obj.get(key), where, key, as_int)
        if number is not None and not low <= number <= high:
            self.fail(where, key, f"is outside {low}-{high}")
        return number

    def number(
        self, obj: Mapping[str, Any], key: str, low: float, high: float, where: str = ""
    ) -> float | None:
        number = self.convert(obj.get(key), where, key, as_float)
        if number is not None and not low <= number <= high:
            self.fail(where, key, f"is outside {low:g}-{high:g}")
        return number

    def enum(
        self,
        obj: Mapping[str, Any],
        key: str,
        symbols: frozenset[str],
        default: str,
        where: str = "",
    ) -> str:
        """An enum symbol, upper-cased; missing or unknown reads as the schema's default."""
        value = obj.get(key)
        if type(value) is str and value in symbols:  # the usual case: a valid symbol
            return value
        code = self.convert(value, where, key, as_code)
        return code if code in symbols else default

    def mapping(
        self, obj: Mapping[str, Any], key: str, where: str = ""
    ) -> Mapping[str, Any] | None:
        value = obj.get(key)
        if value is None or isinstance(value, Mapping):
            return value
        self.fail(where, key, "is not an object")

    def items(self, obj: Mapping[str, Any], key: str, where: str = "") -> Sequence[Any]:
        value = obj.get(key)
        if value is None:
            return ()
        if isinstance(value, list | tuple):
            return value
        self.fail(where, key, "is not a list")

    def objects(self, obj: Mapping[str, Any], key: str) -> list[tuple[str, Mapping[str, Any]]]:
        """``(path, item)`` for each object of a top-level list (``children[0]``, ...)."""
        out = []
        for index, item in enumerate(self.items(obj, key)):
            where = f"{key}[{index}]"
            if not isinstance(item, Mapping):
                self.fail(where, "", "is not an object")
            out.append((where, item))
        return out

    def codes(self, obj: Mapping[str, Any], key: str) -> frozenset[str]:
        """Concern codes, trimmed and upper-cased (``3c`` -> ``3C``). Codes outside the hub's
        list are kept, not dropped: the agency meant something, and the facts mark it
        (``unrecognised_concerns``) so a person reads the referral."""
        codes = set()
        for index, item in enumerate(self.items(obj, key)):
            if type(item) is not str:
                self.fail(f"{key}[{index}]", "", "is not text")
            code = item.strip().upper()
            if code:
                codes.add(code)
        return frozenset(codes)

    def symbols(
        self, obj: Mapping[str, Any], key: str, symbols: frozenset[str], default: str
    ) -> frozenset[str]:
        """A list of enum symbols; unknown ones read as the schema's default."""
        return frozenset(code if code in symbols else default for code in self.codes(obj, key))

    def child(
        self,
        where: str,
        index: int,
        forenames: str | None,
        surname: str | None,
        dob: date | None,
        nhs_number: Any = None,
        upn: Any = None,
        postcode: Any = None,
        **details: Any,
    ) -> Child:
        """A canonical child with normalised identifiers, or InvalidReferral when the child
        has neither a name nor a usable identifier (nobody could ever find or help them)."""
        nhs = (
            None
            if nhs_number is None
            else self.convert(nhs_number, where, "nhs_number", _nhs_number)
        )
        pupil = None if upn is None else self.convert(upn, where, "upn", _upn)
        place = None if postcode is None else self.convert(postcode, where, "postcode", _postcode)
        if not (forenames or surname or is_valid_nhs_number(nhs) or is_valid_upn(pupil)):
            self.fail(where, "", "has neither a name nor an identifier")
        return Child(
            index=index,
            forenames=forenames,
            surname=surname,
            dob=dob,
            nhs_number=nhs,
            upn=pupil,
            postcode=place,
            **details,
        )
