"""The coverage matrix of published guidance (docs/coverage/*.yaml) holds against the shipped
rules and the guidance corpus, and docs/coverage.md is what `mash rules coverage` renders."""

from __future__ import annotations

from pathlib import Path

import pytest
from datafiles import DATA

from mash.errors import UsageError
from mash.rules import load_rules
from mash.rules.corpus import check_corpus
from mash.rules.coverage import MATRIX_DIR, problems, read_matrix, render

RULES = load_rules()
DOCUMENTS = read_matrix()


def test_the_matrix_names_at_least_eight_documents_and_their_level_4_indicators() -> None:
    assert len(DOCUMENTS) >= 8
    level4 = [row for document in DOCUMENTS for row in document.rows if row.level == 4]
    assert len(level4) >= 40
    assert all(document.scale and document.where for document in DOCUMENTS)


def test_every_row_is_covered_or_explained_and_every_level_4_row_has_a_case_of_its_own() -> None:
    corpus = check_corpus(DATA / "guidance", RULES)
    assert problems(DOCUMENTS, RULES, corpus) == []


def test_a_rule_the_rule_set_lacks_is_reported(tmp_path: Path) -> None:
    source = next(MATRIX_DIR.glob("*.yaml"))
    text = source.read_text(encoding="utf-8")
    first_rule = next(line for line in text.splitlines() if line.startswith("    rule: ["))
    (tmp_path / source.name).write_text(
        text.replace(first_rule, "    rule: [l4.no-such-rule]", 1), encoding="utf-8"
    )
    found = problems(read_matrix(tmp_path), RULES)
    assert any("rule l4.no-such-rule is not in rule set" in problem for problem in found)


def test_a_malformed_matrix_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text("rows: [{id: x}]\n", encoding="utf-8")
    with pytest.raises(UsageError, match=r"broken\.yaml row 1"):
        read_matrix(tmp_path)


def test_the_rendered_document_is_up_to_date() -> None:
    committed = (MATRIX_DIR.parent / "coverage.md").read_text(encoding="utf-8")
    assert committed == render(DOCUMENTS, RULES), "run: mash rules coverage --out docs/coverage.md"
