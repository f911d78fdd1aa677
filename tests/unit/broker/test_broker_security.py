"""The secure broker's settings, the ACL file's plan and the secrets store (no broker needed)."""

from __future__ import annotations

import stat
from dataclasses import replace
from pathlib import Path

import pytest

from mash.broker.acls import Binding, bindings, load_policy, parse_policy
from mash.broker.config import BrokerConfig, format_command, server_properties
from mash.broker.credentials import check_principal, ensure_password, read_password
from mash.errors import ConfigError, UsageError
from mash.kafka import credentials_document, security_for


def secure(tmp_path: Path) -> BrokerConfig:
    return BrokerConfig(
        data_dir=tmp_path / "b",
        jars_dir=tmp_path / "j",
        port=19092,
        controller_port=19093,
        internal_port=19094,
        secure=True,
        admin_password="pw-123",
    )


def test_a_plain_broker_has_no_authoriser_and_no_sasl(tmp_path: Path) -> None:
    plain = replace(secure(tmp_path), secure=False, admin_password=None)
    properties = server_properties(plain)
    assert "authorizer.class.name" not in properties
    protocols = properties["listener.security.protocol.map"]
    assert protocols == "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
    assert "--add-scram" not in format_command("java", plain, "cid")


def test_the_secure_broker_authenticates_every_listener_and_denies_by_default(
    tmp_path: Path,
) -> None:
    properties = server_properties(secure(tmp_path))
    assert properties["listeners"] == (
        "CLIENT://127.0.0.1:19092,BROKER://127.0.0.1:19094,CONTROLLER://127.0.0.1:19093"
    )
    assert properties["advertised.listeners"] == "CLIENT://127.0.0.1:19092,BROKER://127.0.0.1:19094"
    assert properties["listener.security.protocol.map"] == (
        "CLIENT:SASL_PLAINTEXT,BROKER:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT"
    )
    assert properties["inter.broker.listener.name"] == "BROKER"
    assert properties["sasl.enabled.mechanisms"] == "SCRAM-SHA-512"
    assert properties["sasl.mechanism.controller.protocol"] == "PLAIN"
    assert properties["authorizer.class.name"].endswith("StandardAuthorizer")
    assert properties["allow.everyone.if.no.acl.found"] == "false"
    assert properties["super.users"] == "User:admin"
    assert 'password="pw-123"' in properties["listener.name.broker.scram-sha-512.sasl.jaas.config"]


def test_the_admin_scram_credential_is_added_at_format_time(tmp_path: Path) -> None:
    command = format_command("java", secure(tmp_path), "cid")
    assert command[-2:] == ["--add-scram", "SCRAM-SHA-512=[name=admin,password=pw-123]"]


def test_a_secure_broker_needs_three_ports_and_the_admin_password(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="three different ports"):
        replace(secure(tmp_path), internal_port=19093)
    with pytest.raises(ConfigError, match="admin password"):
        server_properties(replace(secure(tmp_path), admin_password=None))


def test_the_password_is_not_in_the_config_repr(tmp_path: Path) -> None:
    assert "pw-123" not in repr(secure(tmp_path))


# --------------------------------------------------------------------------- ACL file


def test_the_shipped_file_gives_police_only_its_own_writes_and_its_own_feedback() -> None:
    police = [b for b in bindings(load_policy()) if b.principal == "police"]
    assert {(b.name, b.operation) for b in police} == {
        ("mash.referrals.police", "WRITE"),
        ("mash.referrals.police", "DESCRIBE"),
        ("mash.records.police", "WRITE"),
        ("mash.records.police", "DESCRIBE"),
        ("mash.feedback.police", "READ"),
        ("mash.feedback.police", "DESCRIBE"),
        ("police-feedback", "READ"),
        ("police-feedback", "DESCRIBE"),
    }


def test_the_shipped_file_lets_the_auditor_read_decisions_and_nothing_else() -> None:
    auditor = [b for b in bindings(load_policy()) if b.principal == "auditor"]
    assert {b.operation for b in auditor} == {"READ", "DESCRIBE"}
    assert {b.name for b in auditor if b.resource_type == "TOPIC"} == {"mash.decisions"}


def test_only_the_router_writes_decisions_and_queues() -> None:
    writers = {(b.name, b.principal) for b in bindings(load_policy()) if b.operation == "WRITE"}
    for topic in ("mash.decisions", "mash.queue.s47", "mash.alerts"):
        assert {p for name, p in writers if name == topic} == {"mash-router"}
    assert {p for name, p in writers if name == "mash.overrides"} == {"hub-staff"}


def test_the_topic_prefix_applies_to_every_resource() -> None:
    found = bindings(load_policy(), prefix="t1.")
    assert found and all(b.name.startswith("t1.") for b in found)
    assert Binding("mash-router", "TOPIC", "t1.mash-worker", "PREFIXED", "CREATE") in found


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "needs a 'principals' mapping"),
        (
            {"principals": {"x": {"allow": [{"topics": ["a"], "operations": ["fly"]}]}}},
            "operations must be",
        ),
        (
            {
                "principals": {
                    "x": {"allow": [{"topics": ["a"], "groups": ["g"], "operations": ["read"]}]}
                }
            },
            "exactly one of",
        ),
        ({"principals": {"Bad Name": {"allow": []}}}, "is not a name"),
        (
            {"principals": {"x": {"allow": [{"topics": "a", "operations": ["read"]}]}}},
            "must be a list of names",
        ),
    ],
)
def test_a_malformed_acl_file_is_a_usage_error(data: object, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_policy(data)


# --------------------------------------------------------------------------- secrets


def test_a_password_is_generated_once_owner_only_and_kept(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets"
    first = ensure_password(secrets, "police")
    assert ensure_password(secrets, "police") == first == read_password(secrets, "police")
    assert len(first) >= 32 and first != ensure_password(secrets, "health")
    assert stat.S_IMODE((secrets / "police.password").stat().st_mode) == 0o600
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o700


def test_a_missing_password_says_how_to_make_it_and_not_what_it_is(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="mash acl apply"):
        read_password(tmp_path, "auditor")


def test_a_principal_name_cannot_leave_the_secrets_dir() -> None:
    for name in ("../admin", "a/b", "", "Admin"):
        with pytest.raises(UsageError):
            check_principal(name)


def test_the_credentials_document_is_what_clients_read(tmp_path: Path) -> None:
    ensure_password(tmp_path, "hub-staff")
    document = credentials_document("127.0.0.1:9", security_for(tmp_path, "hub-staff"))
    assert document == {
        "bootstrap": "127.0.0.1:9",
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": "SCRAM-SHA-512",
        "username": "hub-staff",
        "password": read_password(tmp_path, "hub-staff"),
    }
