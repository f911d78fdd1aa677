"""``mash schemas check``: compatibility per policy, conventions and examples."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from mash.avro.check import field_path
from mash.avro.registry import Registry, schemas_dir
from mash.cli import app

RUNNER = CliRunner()
POLICE_V2 = "police/police-notification.v2.avsc"
POLICE_V3 = "police/police-notification.v3.avsc"


def _check(directory: Path | None = None) -> Any:
    args = ["schemas", "check"] + ([] if directory is None else ["--dir", str(directory)])
    return RUNNER.invoke(app, args)


@pytest.fixture
def schema_copy(tmp_path: Path) -> Path:
    target = tmp_path / "schemas"
    shutil.copytree(schemas_dir(), target)
    return target


def _edit(directory: Path, relative: str, change: Callable[[dict[str, Any]], None]) -> None:
    path = directory / relative
    schema = json.loads(path.read_text())
    change(schema)
    path.write_text(json.dumps(schema, indent=2))


def _field(record: dict[str, Any], name: str) -> dict[str, Any]:
    return next(f for f in record["fields"] if f["name"] == name)


def _set_policy(directory: Path, subject: str, policy: str) -> None:
    path = directory / "subjects.yaml"
    spec = yaml.safe_load(path.read_text())
    spec["subjects"][subject]["compatibility"] = policy
    path.write_text(yaml.safe_dump(spec, sort_keys=False))


def test_the_repository_schemas_pass_and_each_is_listed_with_its_id() -> None:
    result = _check()
    assert result.exit_code == 0, result.output
    for version in Registry.default():
        line = next(x for x in result.stdout.splitlines() if x.startswith(version.subject + " "))
        assert f"id {version.schema_id}" in result.stdout
        assert line.split()[0] == version.subject
    assert "police: v1..v3 BACKWARD_TRANSITIVE ok" in result.stdout


def test_an_incompatible_type_change_fails_naming_subject_versions_and_field(
    schema_copy: Path,
) -> None:
    def dob_as_text(schema: dict[str, Any]) -> None:
        child = _field(schema, "children")["type"]["items"]
        _field(child, "dob")["type"] = "string"

    _edit(schema_copy, POLICE_V2, dob_as_text)
    result = _check(schema_copy)
    assert result.exit_code == 1
    assert "police: v2 is not BACKWARD_TRANSITIVE-compatible with v1" in result.stderr
    assert "field children[].dob" in result.stderr
    assert "type_mismatch" in result.stderr


def test_a_new_field_without_a_default_fails_backward(schema_copy: Path) -> None:
    def required_score(schema: dict[str, Any]) -> None:
        field = _field(schema, "dash_score")
        field["type"] = "int"
        del field["default"]

    _edit(schema_copy, POLICE_V2, required_score)
    result = _check(schema_copy)
    assert result.exit_code == 1
    assert "field dash_score: reader_field_missing_default_value" in result.stderr


def _drop_force_code(schema: dict[str, Any]) -> None:
    schema["fields"] = [f for f in schema["fields"] if f["name"] != "force_code"]


def test_dropping_a_field_is_backward_but_not_forward_compatible(schema_copy: Path) -> None:
    _edit(schema_copy, POLICE_V3, _drop_force_code)
    path = schema_copy / "examples" / "police.v3.json"
    records = json.loads(path.read_text())
    for record in records:
        del record["force_code"]
    path.write_text(json.dumps(records))
    assert _check(schema_copy).exit_code == 0  # the v3 reader ignores v1's and v2's force_code

    _set_policy(schema_copy, "police", "FORWARD")
    result = _check(schema_copy)
    assert result.exit_code == 1
    assert "police: v3 is not FORWARD-compatible with v2 (v2 cannot read data written with v3)" in (
        result.stderr
    )
    assert "field force_code" in result.stderr

    _set_policy(schema_copy, "police", "NONE")
    assert _check(schema_copy).exit_code == 0


def test_an_enum_losing_a_symbol_is_caught_under_full(schema_copy: Path) -> None:
    def no_default(schema: dict[str, Any]) -> None:
        enum = _field(schema, "incident_type")["type"]
        enum["symbols"].remove("ONLINE_HARM")
        del enum["default"]

    _edit(schema_copy, POLICE_V2, no_default)
    result = _check(schema_copy)
    assert result.exit_code == 1
    assert "incident_type: enum IncidentType needs a default" in result.stderr
    assert "field incident_type (enum symbols): missing_enum_symbols" in result.stderr


def test_a_field_without_a_doc_fails(schema_copy: Path) -> None:
    _edit(
        schema_copy,
        "records/health.v1.avsc",
        lambda schema: _field(schema, "ed_attendances_12m").pop("doc"),
    )
    result = _check(schema_copy)
    assert result.exit_code == 1
    assert "records.health: v1 (health.v1.avsc): ed_attendances_12m: field has no doc" in (
        result.stderr
    )


def test_an_example_that_does_not_fit_fails(schema_copy: Path) -> None:
    path = schema_copy / "examples" / "council.v1.json"
    records = json.loads(path.read_text())
    records[0]["child"]["date_of_birth"] = "27/02/2014"
    path.write_text(json.dumps(records))
    result = _check(schema_copy)
    assert result.exit_code == 1
    assert "council: v1 example 1: council v1: child.date_of_birth: expected a date" in (
        result.stderr
    )


def test_a_missing_directory_is_a_usage_error(tmp_path: Path) -> None:
    from mash.errors import ConfigError

    result = _check(tmp_path / "nowhere")
    assert isinstance(result.exception, ConfigError)


@pytest.mark.parametrize(
    ("location", "path"),
    [
        ("/fields/0", "ppn_id"),
        ("/fields/5/type/items/fields/2/type", "children[].dob"),
        ("/fields/3/type/symbols", "incident_type (enum symbols)"),
        ("/", "(the record itself)"),
    ],
)
def test_field_path_names_fields_from_checker_locations(location: str, path: str) -> None:
    schema = Registry.default().schema("police", 1).schema
    assert field_path(schema, location) == path
