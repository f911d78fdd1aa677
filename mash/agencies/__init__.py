"""Agency records -> the canonical referral: one pure mapping per agency.

Each agency speaks its own dialect (police PPNs in snake_case, NHS referrals in camelCase,
council requests for support); :func:`to_referral` is the one entry point the offline router
and the stream's ingest agents call. It accepts the JSON form (ISO strings) and the
Avro-decoded form (``date``/``datetime`` objects) alike, and never raises anything but
:class:`~mash.errors.InvalidReferral`, whose message names the referral id and the field,
never personal data, so it can go to logs and the dead-letter topic as is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Final

from mash.agencies import council, health, police
from mash.domain.referral import Referral
from mash.errors import InvalidReferral

Mapper = Callable[[Mapping[str, Any], datetime], Referral]

MAPPERS: Final[Mapping[str, Mapper]] = {
    "police": police.to_referral,
    "health": health.to_referral,
    "council": council.to_referral,
}
AGENCIES: Final = tuple(MAPPERS)
ID_FIELDS: Final[Mapping[str, str]] = {
    "police": "ppn_id",
    "health": "referralId",
    "council": "request_ref",
}


def to_referral(agency: str, record: Mapping[str, Any], received_at: datetime) -> Referral:
    """The canonical :class:`Referral` of one agency record, received at ``received_at``.

    Raises :class:`InvalidReferral` for an unknown agency or a record that cannot be routed
    (no referral id, no children, a child with neither name nor identifier, an unparseable
    date, a field of the wrong type).
    """
    mapper = MAPPERS.get(agency)
    if mapper is None:
        raise InvalidReferral(f"unknown agency {agency!r} (expected one of {', '.join(AGENCIES)})")
    try:
        return mapper(record, received_at)
    except InvalidReferral:
        raise
    except Exception as exc:  # any other shape error: never crash the stream on input
        ref = record.get(ID_FIELDS[agency]) if isinstance(record, Mapping) else None
        ref_text = ref if isinstance(ref, str) and len(ref) <= 64 else "?"
        raise InvalidReferral(
            f"{agency} referral {ref_text}: malformed record ({type(exc).__name__})"
        ) from exc


__all__ = ["AGENCIES", "MAPPERS", "to_referral"]
