"""A guidance corpus: referrals written from published threshold documents, each child with the
routes the guidance gives, and how a rule set does on them (``mash rules check --corpus``).

Why: the rules must follow the guidance they cite, and a safeguarding hub needs to see, before
a rule set goes live, that no child of a guidance-derived case goes below the lowest route the
guidance accepts (an *under-routing*, the error that can leave a child unprotected), how many
go exactly where the guidance says, and how many go above anything it accepts (an
*over-routing*, which uses up scarce assessment capacity). The expected routes come from the
documents, never from this code: the corpus is an oracle the rule set cannot influence.

A corpus directory holds one or more *case sets*: every directory (the corpus directory itself
included) with an ``expected.jsonl``. A case set is laid out like the public vignettes:
``police.jsonl``, ``health.jsonl``, ``council.jsonl`` (agency JSON forms, any missing file is
no referrals), ``records/`` (cross-agency records for that set only; a kind without a file is
UNAVAILABLE, as in ``mash route --records``) and ``expected.jsonl``,
one line per child: ``agency``, ``source_id``, ``child_index``, ``route``, ``acceptable`` and
a citation (``guidance``, and ``document``/``indicator`` naming a row of the coverage matrix).

Every referral of a set is routed with the set's own records, received at one fixed time
(:data:`RECEIVED_AT`, so ages and clocks do not drift as the calendar moves on).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, Literal

from mash.agencies import AGENCIES, to_referral
from mash.domain.decision import Route
from mash.domain.routing import Router
from mash.domain.thresholds import ROUTE_RANK, RuleSet
from mash.errors import InvalidReferral, UsageError
from mash.records_files import load_records_dir
from mash.rules.offline import Bad, read_input

RECEIVED_AT: Final = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
"""When every corpus referral is taken to arrive (a Thursday, office hours): case writers give
dates of birth relative to it."""

Verdict = Literal["EXACT", "ACCEPTABLE", "UNDER", "OVER", "MISSING"]
Key = tuple[str, str, int]


@dataclass(frozen=True, slots=True)
class Expected:
    """One child's expected routes and where the expectation comes from."""

    agency: str
    source_id: str
    child_index: int
    route: Route
    acceptable: tuple[Route, ...]
    document: str = ""
    indicator: str = ""
    guidance: str = ""

    @property
    def key(self) -> Key:
        return (self.agency, self.source_id, self.child_index)

    def verdict(self, route: str | None) -> Verdict:
        """How a decided route compares with the guidance (``None``: the child was not
        decided, which is as bad as an under-routing)."""
        if route is None:
            return "MISSING"
        if route == self.route:
            return "EXACT"
        rank = ROUTE_RANK[route]
        if rank < min(ROUTE_RANK[r] for r in self.acceptable):
            return "UNDER"
        if rank > max(ROUTE_RANK[r] for r in self.acceptable):
            return "OVER"
        return "ACCEPTABLE"


@dataclass(frozen=True, slots=True)
class CaseResult:
    """One child: what was expected, what the rule set decided and which rules fired."""

    case_set: str
    expected: Expected
    route: str | None
    rules: tuple[str, ...]
    verdict: Verdict
    nothing_found: bool = False
    """No agency's records matched the child (every check NOT_FOUND, or UNAVAILABLE as for
    an unborn baby, which can only raise a route to assessment): what the referral says
    carried the route."""


@dataclass
class CorpusReport:
    """Every child of every case set, and the inputs that could not be routed."""

    rule_set_version: str
    results: list[CaseResult] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)

    @property
    def counts(self) -> Counter[str]:
        return Counter(result.verdict for result in self.results)

    @property
    def total(self) -> int:
        return len(self.results)

    def share(self, *verdicts: Verdict) -> float:
        """The share of children with one of ``verdicts`` (0.0 for an empty corpus)."""
        if not self.results:
            return 0.0
        return sum(self.counts[v] for v in verdicts) / self.total

    @property
    def safe(self) -> bool:
        """No child under its lowest acceptable route and none left undecided."""
        return self.counts["UNDER"] == 0 and self.counts["MISSING"] == 0

    def as_dict(self) -> dict[str, Any]:
        counts = self.counts
        return {
            "rule_set_version": self.rule_set_version,
            "children": self.total,
            **{verdict.lower(): counts[verdict] for verdict in VERDICTS},
            "exact_share": round(self.share("EXACT"), 4),
            "over_share": round(self.share("OVER"), 4),
            "rejected": self.rejected,
            "unexpected": self.unexpected,
        }


VERDICTS: Final[tuple[Verdict, ...]] = ("EXACT", "ACCEPTABLE", "UNDER", "OVER", "MISSING")
OFF_GUIDANCE: Final[tuple[Verdict, ...]] = ("ACCEPTABLE", "UNDER", "OVER", "MISSING")
"""Every verdict but EXACT: the children worth a look."""


# --------------------------------------------------------------------------- reading


def case_sets(corpus: Path) -> list[Path]:
    """Every directory under ``corpus`` (itself included) that holds an ``expected.jsonl``."""
    if not corpus.is_dir():
        raise UsageError(f"--corpus {corpus}: not a directory")
    found = sorted(path.parent for path in corpus.rglob("expected.jsonl"))
    if not found:
        raise UsageError(f"--corpus {corpus}: no expected.jsonl in it or below it")
    return found


def _expected(row: Mapping[str, Any], where: str) -> Expected:
    try:
        route = row["route"]
        acceptable = tuple(row.get("acceptable") or (route,))
        if route not in ROUTE_RANK or any(r not in ROUTE_RANK for r in acceptable):
            raise UsageError(f"{where}: a route is not one of {', '.join(ROUTE_RANK)}")
        if route not in acceptable:
            raise UsageError(f"{where}: route {route} is not among its acceptable routes")
        return Expected(
            agency=str(row["agency"]),
            source_id=str(row["source_id"]),
            child_index=int(row["child_index"]),
            route=route,
            acceptable=acceptable,
            document=str(row.get("document", "")),
            indicator=str(row.get("indicator", "")),
            guidance=str(row.get("guidance", "")),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise UsageError(f"{where}: not an expected line ({type(exc).__name__})") from exc


def read_expected(path: Path) -> list[Expected]:
    """The expected lines of a case set; a malformed line is a usage error naming it."""
    rows = []
    for number, row in read_input(path):
        where = f"{path}:{number}"
        if isinstance(row, Bad):
            raise UsageError(f"{where}: {row.reason}")
        rows.append(_expected(row, where))
    return rows


# --------------------------------------------------------------------------- routing


Decided = dict[Key, tuple[str, tuple[str, ...], bool]]


def _route_set(directory: Path, rules: RuleSet, received_at: datetime) -> tuple[Decided, list[str]]:
    """Every child of one case set: its route, fired rule ids and whether every check found
    nobody; and the rejected lines."""
    # strict: a bad records line in a corpus is the corpus's error, not an unavailable agency
    index, _ = load_records_dir(directory / "records")
    router = Router(rules, index)
    decided: Decided = {}
    rejected: list[str] = []
    for agency in AGENCIES:
        path = directory / f"{agency}.jsonl"
        if not path.exists():
            continue
        for number, record in read_input(path):
            if isinstance(record, Bad):
                rejected.append(f"{path.name}:{number}: {record.reason}")
                continue
            try:
                referral = to_referral(agency, record, received_at)
            except InvalidReferral as exc:
                rejected.append(f"{path.name}:{number}: {exc}")
                continue
            for decision in router.decide(referral, received_at):
                key = (agency, decision.source_id, decision.child_index)
                quiet = "FOUND" not in decision.checks.values()
                decided[key] = (decision.route, tuple(rule.id for rule in decision.rules), quiet)
    return decided, rejected


def check_corpus(corpus: Path, rules: RuleSet, received_at: datetime = RECEIVED_AT) -> CorpusReport:
    """Route every case set of ``corpus`` under ``rules`` and compare with the guidance."""
    report = CorpusReport(rules.version)
    for directory in case_sets(corpus):
        name = str(directory.relative_to(corpus)) if directory != corpus else "."
        decided, rejected = _route_set(directory, rules, received_at)
        report.rejected += [f"{name}/{line}" for line in rejected]
        expected = read_expected(directory / "expected.jsonl")
        for row in expected:
            route, fired, quiet = decided.get(row.key, (None, (), False))
            report.results.append(CaseResult(name, row, route, fired, row.verdict(route), quiet))
        known = {row.key for row in expected}
        report.unexpected += [
            f"{name}/{agency} {source} child {child}"
            for agency, source, child in sorted(decided.keys() - known)
        ]
    return report


def lines(report: CorpusReport, show: Iterable[Verdict] = VERDICTS) -> Iterator[str]:
    """The report as text: one line per child whose verdict is in ``show``, then totals."""
    wanted = set(show)
    for result in report.results:
        if result.verdict not in wanted:
            continue
        row = result.expected
        yield (
            f"{result.verdict:<10} {result.case_set}/{row.agency} {row.source_id} "
            f"child {row.child_index}: {result.route or '-'} (guidance {row.route}, "
            f"acceptable {'/'.join(row.acceptable)}; {row.indicator or row.guidance[:60]})"
            f"{'  rules: ' + ', '.join(result.rules) if result.verdict != 'EXACT' else ''}"
        )
    for line in report.rejected:
        yield f"REJECTED   {line}"
    for line in report.unexpected:
        yield f"UNEXPECTED {line} (no expected line)"
    counts = report.counts
    total = report.total or 1
    summary = ", ".join(
        f"{counts[v]} {v.lower()} ({100 * counts[v] / total:.1f}%)" for v in VERDICTS
    )
    yield f"rule set {report.rule_set_version}: {report.total} children: {summary}"
