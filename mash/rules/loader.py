"""Reading rule sets from files: the imperative shell around :mod:`mash.domain.thresholds`.

A rule set's version is the SHA-256 of the file's bytes (first :data:`VERSION_LENGTH` hex
digits), so the version changes with any edit and two hubs running the same file agree on it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import yaml

from mash.domain.thresholds import Problem, RuleSet, inspect_rule_set
from mash.errors import RuleError, UsageError

DEFAULT_RULES: Final = Path(__file__).with_name("default.yaml")
VERSION_LENGTH: Final = 12


@dataclass(frozen=True, slots=True)
class RuleFileReport:
    """What ``mash rules check`` says about a file: its version, the rule set if it loads,
    and every problem found."""

    path: str
    version: str
    rule_set: RuleSet | None
    problems: tuple[Problem, ...]

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(problem for problem in self.problems if problem.severity == "error")

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(problem for problem in self.problems if problem.severity == "warning")


def version_of(content: bytes) -> str:
    """The version of a rule set: a short hash of exactly these bytes."""
    return hashlib.sha256(content).hexdigest()[:VERSION_LENGTH]


def _parse(content: bytes) -> Any:
    try:
        return yaml.safe_load(content)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise RuleError(f"rules file is not valid YAML{where}: {problem}") from exc


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read rules file {path}: {exc.strerror or exc}") from exc


def check_rules_bytes(content: bytes, path: str = "<text>") -> RuleFileReport:
    """Validate rule-set content without raising for what is wrong in it."""
    version = version_of(content)
    try:
        data = _parse(content)
    except RuleError as exc:
        return RuleFileReport(path, version, None, (Problem("file", str(exc)),))
    rule_set, problems = inspect_rule_set(data, version)
    return RuleFileReport(path, version, rule_set, tuple(problems))


def check_rules_file(path: str | Path) -> RuleFileReport:
    """Validate a rules file. Raises :class:`UsageError` only when it cannot be read."""
    return check_rules_bytes(_read(Path(path)), str(path))


def rules_from_bytes(content: bytes | str) -> RuleSet:
    """A compiled rule set from rules-file content; :class:`RuleError` if it is not valid."""
    raw = content.encode() if isinstance(content, str) else content
    return RuleSet.from_mapping(_parse(raw), version_of(raw))


def load_rules(path: str | Path | None = None) -> RuleSet:
    """The rule set in ``path`` (default: the shipped ``default.yaml``), compiled once.

    Raises :class:`UsageError` when the file cannot be read and :class:`RuleError` when it is
    not a valid rule set (run ``mash rules check`` for the full list of problems).
    """
    return rules_from_bytes(_read(Path(path) if path is not None else DEFAULT_RULES))
