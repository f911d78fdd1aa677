"""The Python API of :mod:`mash.generate` (re-exported there): generate without files."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from mash.generate.synth import (
    DEFAULT_DAYS,
    DEFAULT_START,
    RECORD_SUBJECTS,
    REFERRAL_SUBJECTS,
    Item,
    Synthesiser,
)


def _start(start: date | datetime) -> datetime:
    if isinstance(start, datetime):
        return start
    return datetime(start.year, start.month, start.day)


def generate_items(
    n: int, seed: int = 0, start: date | datetime = DEFAULT_START, days: int = DEFAULT_DAYS
) -> Iterator[Item]:
    """Every generated message (referrals and records) with its ground truth."""
    return Synthesiser(seed, _start(start), days).items(n)


def generate_all(
    n: int, seed: int = 0, start: date | datetime = DEFAULT_START, days: int = DEFAULT_DAYS
) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(subject, value)`` for every message: subjects are the schema registry's
    (``police``, ``health``, ``council``, ``records.social-care``, ...)."""
    for item in generate_items(n, seed, start, days):
        yield item.subject, item.value


def generate(
    n: int, seed: int = 0, start: date | datetime = DEFAULT_START, days: int = DEFAULT_DAYS
) -> Iterator[tuple[str, dict[str, Any]]]:
    """``n`` agency referrals as ``(agency, value)``, agency in police, health, council."""
    for item in generate_items(n, seed, start, days):
        if item.subject in REFERRAL_SUBJECTS:
            yield item.subject, item.value


def generate_records(
    n: int, seed: int = 0, start: date | datetime = DEFAULT_START, days: int = DEFAULT_DAYS
) -> Iterator[tuple[str, dict[str, Any]]]:
    """The record topics' contents for the same data set as ``generate(n, seed, ...)``, as
    ``(kind, value)`` with kind in social-care, early-help, police, health."""
    for item in generate_items(n, seed, start, days):
        if item.subject in RECORD_SUBJECTS:
            yield item.subject.removeprefix("records."), item.value
