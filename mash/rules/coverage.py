"""The coverage matrix: every level-4 indicator (and the main level-3 ones and the level 2/3
boundaries) of the published threshold documents the rules cite, and what covers each one.

Why: a rule set that routes the corpus well has only learned the corpus unless someone can see,
document by document, that every indicator the guidance puts at child protection is covered by
a rule, expressed by an input field, or honestly marked as something the hub cannot see (with
the reason). The matrix is data (``docs/coverage/<document>.yaml``, one file per document, read
by the tests), rendered for people as ``docs/coverage.md`` by ``mash rules coverage``.

A row says: the indicator in the analyst's own words, the document's own level name and the
level on the hub's scale, the input fields that express it (``needs``), the rules that cover it
(``rules``) or why none can (``reason``), and the corpus cases written from it (``cases``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import yaml

from mash.domain.thresholds import RuleSet
from mash.errors import UsageError
from mash.rules.corpus import CorpusReport

MATRIX_DIR: Final = Path(__file__).resolve().parents[2] / "docs" / "coverage"
"""Where the matrix lives in a checkout of the repository."""


@dataclass(frozen=True, slots=True)
class Row:
    """One indicator of one document."""

    id: str
    indicator: str
    document_level: str
    level: int
    needs: tuple[str, ...]
    rules: tuple[str, ...]
    reason: str
    cases: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Document:
    """One published document: where it was read, how its scale maps to the hub's, its rows."""

    id: str
    title: str
    publisher: str
    year: int | None
    where: str
    scale: str
    rows: tuple[Row, ...]


def _texts(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(item) for item in value)


def _row(item: Mapping[str, Any], where: str) -> Row:
    try:
        return Row(
            id=str(item["id"]),
            indicator=str(item["indicator"]),
            document_level=str(item.get("document_level") or ""),
            level=int(item["level"]),
            needs=_texts(item.get("needs")),
            rules=_texts(item.get("rule")),
            reason=str(item.get("reason") or ""),
            cases=_texts(item.get("cases")),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise UsageError(f"{where}: not a matrix row ({type(exc).__name__})") from exc


def read_document(path: Path) -> Document:
    """One matrix file; a usage error naming the file and the row when it is malformed."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise UsageError(f"{path}: cannot be read as YAML ({type(exc).__name__})") from exc
    if not isinstance(data, Mapping) or not isinstance(data.get("rows"), list):
        raise UsageError(f"{path}: a matrix file is a mapping with a list of rows")
    year = data.get("year")
    return Document(
        id=str(data.get("id") or path.stem),
        title=str(data.get("title") or ""),
        publisher=str(data.get("publisher") or ""),
        year=year if isinstance(year, int) else None,
        where=str(data.get("where") or ""),
        scale=str(data.get("scale") or "").strip(),
        rows=tuple(
            _row(item, f"{path} row {number}") for number, item in enumerate(data["rows"], 1)
        ),
    )


def read_matrix(directory: Path = MATRIX_DIR) -> list[Document]:
    """Every matrix file of ``directory``, in file-name order."""
    paths = sorted(directory.glob("*.yaml"))
    if not paths:
        raise UsageError(f"no coverage matrix files in {directory}")
    return [read_document(path) for path in paths]


def _rows(documents: Iterable[Document]) -> Iterator[tuple[Document, Row]]:
    for document in documents:
        for row in document.rows:
            yield document, row


# --------------------------------------------------------------------------- checks


def problems(
    documents: Sequence[Document], rules: RuleSet, corpus: CorpusReport | None = None
) -> list[str]:
    """What is wrong with the matrix against a rule set (and, given one, a routed corpus):
    a row neither covered by a rule nor explained, a rule id the rule set lacks, a rule
    below the row's level, a case the corpus does not hold, and a level-4 row without a case
    whose child no agency's records matched."""
    levels = {rule.id: rule.level for rule in rules.rules}
    found: list[str] = []
    seen: set[str] = set()
    for document, row in _rows(documents):
        where = f"{document.id}: {row.id}"
        if row.id in seen:
            found.append(f"{where}: duplicate row id")
        seen.add(row.id)
        if not row.rules and not row.reason:
            found.append(f"{where}: names no rule and gives no reason")
        unknown = [rule_id for rule_id in row.rules if rule_id not in levels]
        found += [f"{where}: rule {r} is not in rule set {rules.version}" for r in unknown]
        known = [levels[rule_id] for rule_id in row.rules if rule_id in levels]
        if known and max(known) < row.level:
            found.append(f"{where}: its rules stop below level {row.level}")
    if corpus is not None:
        found += _case_problems(documents, corpus)
    return found


def _case_problems(documents: Sequence[Document], corpus: CorpusReport) -> list[str]:
    by_id: dict[str, list[bool]] = {}
    for result in corpus.results:
        by_id.setdefault(result.expected.source_id, []).append(result.nothing_found)
    found = []
    for document, row in _rows(documents):
        where = f"{document.id}: {row.id}"
        missing = [case for case in row.cases if case not in by_id]
        if missing:
            found.append(f"{where}: cases not in the corpus: {', '.join(missing)}")
        if row.level == 4 and not any(all(by_id.get(case, [False])) for case in row.cases):
            found.append(f"{where}: no case in which no agency's records match the child")
    return found


# --------------------------------------------------------------------------- rendering


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def render(documents: Sequence[Document], rules: RuleSet) -> str:
    """The matrix as Markdown (``docs/coverage.md``): a summary, then one table per document."""
    rows = [row for _, row in _rows(documents)]
    level4 = [row for row in rows if row.level == 4]
    lines = [
        "# Coverage of published threshold guidance",
        "",
        "Generated by `mash rules coverage` from `docs/coverage/*.yaml`; do not edit by hand.",
        f"Rule set `{rules.version}`. {len(documents)} documents, {len(rows)} indicators "
        f"({len(level4)} at level 4): {sum(bool(r.rules) for r in rows)} covered by rules, "
        f"{sum(not r.rules for r in rows)} explained instead.",
        "",
        "Levels are the hub's: 4 child protection (s47), 3 statutory assessment (s17), 2 early "
        "help (caf), 1 universal. Each document's own scale and how it maps is under its title.",
    ]
    for document in documents:
        year = f", {document.year}" if document.year else ""
        lines += [
            "",
            f"## {document.title} ({document.publisher}{year})",
            "",
            f"`{document.id}`. Read at: {_cell(document.where)}",
            "",
            _cell(document.scale),
            "",
            "| indicator | document's level | level | covered by | needs | cases |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for row in document.rows:
            covered = ", ".join(f"`{rule}`" for rule in row.rules) or f"*{_cell(row.reason)}*"
            lines.append(
                f"| {_cell(row.indicator)} | {_cell(row.document_level)} | {row.level} "
                f"| {covered} | {_cell(', '.join(row.needs))} | {', '.join(row.cases)} |"
            )
    return "\n".join(lines) + "\n"
