"""Client options: one source of security settings, three client libraries' spellings, no
leaked secret; and the one builder every client's keywords come from."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mash.errors import ConfigError
from mash.kafka import (
    PLAINTEXT,
    ClientSecurity,
    broker_urls,
    client_config,
    client_options,
    credentials_document,
)

ALL = (
    "MASH_SECURITY_PROTOCOL",
    "MASH_SASL_MECHANISM",
    "MASH_SASL_USERNAME",
    "MASH_SASL_PASSWORD",
    "MASH_SASL_PASSWORD_FILE",
    "MASH_SSL_CAFILE",
    "MASH_CREDENTIALS_FILE",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MASH_HOME", str(tmp_path / "home"))
    for name in ALL:
        monkeypatch.delenv(name, raising=False)


def test_plaintext_is_the_default_and_adds_nothing() -> None:
    assert ClientSecurity.from_settings().protocol == "PLAINTEXT"
    for kind in ("kafka-python", "aiokafka", "faust"):
        assert client_options(kind) == {}  # type: ignore[arg-type]


def test_sasl_settings_from_the_environment_with_the_password_in_a_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    secret = tmp_path / "pw"
    secret.write_text("s3cret\n")
    monkeypatch.setenv("MASH_SECURITY_PROTOCOL", "sasl_plaintext")
    monkeypatch.setenv("MASH_SASL_USERNAME", "police")
    monkeypatch.setenv("MASH_SASL_PASSWORD_FILE", str(secret))
    assert client_options("kafka-python") == {
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "police",
        "sasl_plain_password": "s3cret",
    }
    assert client_options("aiokafka") == client_options("kafka-python")


def test_the_credentials_file_of_mash_broker_credentials_is_read(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "creds.json"
    path.write_text(
        json.dumps(
            {
                "bootstrap": "h:1",
                "security_protocol": "SASL_PLAINTEXT",
                "sasl_mechanism": "SCRAM-SHA-512",
                "username": "auditor",
                "password": "pw",
            }
        )
    )
    monkeypatch.setenv("MASH_CREDENTIALS_FILE", str(path))
    security = ClientSecurity.from_settings()
    assert (security.username, security.password, security.sasl) == ("auditor", "pw", True)
    monkeypatch.setenv("MASH_SASL_USERNAME", "hub-staff")  # a variable wins over the file
    assert ClientSecurity.from_settings().username == "hub-staff"


def test_faust_gets_sasl_credentials_for_the_same_principal() -> None:
    import faust

    security = ClientSecurity("SASL_PLAINTEXT", "SCRAM-SHA-512", "mash-router", "pw")
    credentials = client_options("faust", security)["broker_credentials"]
    assert isinstance(credentials, faust.SASLCredentials)
    assert (credentials.username, credentials.password) == ("mash-router", "pw")
    assert credentials.mechanism.value == "SCRAM-SHA-512"
    assert credentials.protocol.value == "SASL_PLAINTEXT"


def test_sasl_ssl_gives_each_library_its_tls_settings() -> None:
    import ssl

    security = ClientSecurity("SASL_SSL", "SCRAM-SHA-512", "police", "pw", cafile=None)
    assert "ssl_cafile" not in client_options("kafka-python", security)
    assert isinstance(client_options("aiokafka", security)["ssl_context"], ssl.SSLContext)
    faust_credentials = client_options("faust", security)["broker_credentials"]
    assert faust_credentials.protocol.value == "SASL_SSL"


@pytest.mark.parametrize(
    ("protocol", "user", "password", "message"),
    [
        ("SSL", "u", "p", "is not one of"),
        ("SASL_PLAINTEXT", None, "p", "needs a user name and a password"),
        ("SASL_PLAINTEXT", "u", None, "needs a user name and a password"),
    ],
)
def test_incomplete_or_unknown_settings_are_refused(
    protocol: str, user: str | None, password: str | None, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        ClientSecurity(protocol, "SCRAM-SHA-512", user, password)


def test_the_password_never_shows_in_a_repr() -> None:
    security = ClientSecurity("SASL_PLAINTEXT", "SCRAM-SHA-512", "police", "hunter2-secret")
    assert "hunter2-secret" not in repr(security)


def test_a_broken_credentials_file_is_named(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "creds.json"
    path.write_text("{not json")
    monkeypatch.setenv("MASH_CREDENTIALS_FILE", str(path))
    with pytest.raises(ConfigError, match="is not JSON"):
        ClientSecurity.from_settings()


SASL = ClientSecurity("SASL_PLAINTEXT", "SCRAM-SHA-512", "police", "pw")


def test_a_client_gets_where_to_connect_how_to_authenticate_and_its_own_tuning() -> None:
    assert client_config("kafka-python", "h:1", security=SASL, acks="all", linger_ms=5) == {
        "bootstrap_servers": "h:1",
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "police",
        "sasl_plain_password": "pw",
        "acks": "all",
        "linger_ms": 5,
    }
    assert client_config("aiokafka", "h:1", security=SASL) == client_config(
        "kafka-python", "h:1", security=SASL
    )


def test_the_call_s_own_setting_wins_over_the_security_settings() -> None:
    options = client_config("kafka-python", "h:1", security=SASL, security_protocol="PLAINTEXT")
    assert options["security_protocol"] == "PLAINTEXT"


def test_the_settings_of_this_process_apply_unless_plaintext_is_asked_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MASH_SECURITY_PROTOCOL", "SASL_PLAINTEXT")
    monkeypatch.setenv("MASH_SASL_USERNAME", "police")
    monkeypatch.setenv("MASH_SASL_PASSWORD", "pw")
    assert client_config("kafka-python", "h:1")["sasl_plain_username"] == "police"
    assert client_config("kafka-python", "h:1", security=PLAINTEXT) == {"bootstrap_servers": "h:1"}


def test_faust_gets_one_url_per_server_and_its_credentials() -> None:
    assert broker_urls("h1:9092, h2:9092") == ["kafka://h1:9092", "kafka://h2:9092"]
    settings = client_config("faust", "h1:9092,h2:9092", security=SASL, store="memory://")
    assert settings["broker"] == ["kafka://h1:9092", "kafka://h2:9092"]
    assert settings["store"] == "memory://"
    assert settings["broker_credentials"].username == "police"
    assert client_config("faust", "h:1", security=PLAINTEXT) == {"broker": ["kafka://h:1"]}


def test_the_credentials_document_reads_back_as_the_same_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    security = ClientSecurity("SASL_SSL", "SCRAM-SHA-256", "auditor", "pw", cafile="/ca.pem")
    path = tmp_path / "auditor.json"
    path.write_text(json.dumps(credentials_document("h:1", security)))
    monkeypatch.setenv("MASH_CREDENTIALS_FILE", str(path))
    assert ClientSecurity.from_settings() == security
