"""The one options builder of every Kafka client of MASH: where to connect and how to
authenticate, in each client library's spelling.

Why one builder: the agencies' connectors, the worker, the sink, the hub, the chaos and bench
harnesses and the admin commands use three client libraries (kafka-python, aiokafka, Faust)
that spell the same settings differently. Every client is built from :func:`client_config`
(through the factories of :mod:`mash.kafka.clients`), so a deployment changes only
environment variables (or one credentials file) to move every process from the PLAINTEXT
development broker to a SASL/SCRAM broker, and never edits code; and a client that must ignore
those settings (the chaos cluster, the local broker's own start-up checks) says so in one way,
``security=PLAINTEXT``, rather than by overriding one keyword.

Settings (process environment first, then ``$MASH_HOME/mash.env``):

- ``MASH_CREDENTIALS_FILE``: the JSON printed by ``mash broker credentials PRINCIPAL``
  (:func:`credentials_document`: ``security_protocol``, ``sasl_mechanism``, ``username``,
  ``password``, ``ssl_cafile``?);
- ``MASH_SECURITY_PROTOCOL``: ``PLAINTEXT`` (default), ``SASL_PLAINTEXT`` or ``SASL_SSL``;
- ``MASH_SASL_MECHANISM`` (default ``SCRAM-SHA-512``), ``MASH_SASL_USERNAME``,
  ``MASH_SASL_PASSWORD`` or ``MASH_SASL_PASSWORD_FILE`` (a file holding only the password, so
  it need not sit in the environment of every child process), ``MASH_SSL_CAFILE``.

Individual variables win over the credentials file. Nothing here logs or prints a password;
:class:`ClientSecurity`'s ``repr`` hides it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

from mash.config import setting
from mash.errors import ConfigError

ClientKind = Literal["kafka-python", "aiokafka", "faust"]

PROTOCOLS = ("PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL")
MECHANISMS = ("SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN")
DEFAULT_MECHANISM = "SCRAM-SHA-512"
SECURE_PROTOCOL = "SASL_PLAINTEXT"
"""What the local secure broker (``mash broker start --secure``) listens with."""


@dataclass(frozen=True)
class ClientSecurity:
    """How one client authenticates: a protocol and, for SASL, a principal and its secret."""

    protocol: str = "PLAINTEXT"
    mechanism: str = DEFAULT_MECHANISM
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    cafile: str | None = None

    def __post_init__(self) -> None:
        if self.protocol not in PROTOCOLS:
            raise ConfigError(
                f"security protocol {self.protocol!r} is not one of {', '.join(PROTOCOLS)}"
            )
        if self.mechanism not in MECHANISMS:
            raise ConfigError(
                f"SASL mechanism {self.mechanism!r} is not one of {', '.join(MECHANISMS)}"
            )
        if self.sasl and not (self.username and self.password):
            raise ConfigError(
                f"{self.protocol} needs a user name and a password: set MASH_SASL_USERNAME and "
                "MASH_SASL_PASSWORD (or MASH_SASL_PASSWORD_FILE), or MASH_CREDENTIALS_FILE"
            )

    @property
    def sasl(self) -> bool:
        return self.protocol.startswith("SASL_")

    @property
    def tls(self) -> bool:
        return self.protocol == "SASL_SSL"

    @classmethod
    def from_settings(cls) -> ClientSecurity:
        """The settings of this process (see the module docstring for the names)."""
        base = _credentials_file(setting("MASH_CREDENTIALS_FILE"))
        password_file = setting("MASH_SASL_PASSWORD_FILE")
        password = setting("MASH_SASL_PASSWORD") or (
            _read_secret(password_file) if password_file else None
        )
        return cls(
            protocol=(
                setting("MASH_SECURITY_PROTOCOL") or base.get("security_protocol") or "PLAINTEXT"
            ).upper(),
            mechanism=(
                setting("MASH_SASL_MECHANISM") or base.get("sasl_mechanism") or DEFAULT_MECHANISM
            ).upper(),
            username=setting("MASH_SASL_USERNAME") or base.get("username"),
            password=password or base.get("password"),
            cafile=setting("MASH_SSL_CAFILE") or base.get("ssl_cafile"),
        )


PLAINTEXT: Final = ClientSecurity()
"""No authentication, whatever this process's settings say: for brokers MASH started itself
without SASL (the chaos cluster, a local broker's own start-up checks)."""


def security_for(
    directory: Path, principal: str, protocol: str = SECURE_PROTOCOL
) -> ClientSecurity:
    """Client settings of one principal from the local secrets (the admin's, for set-up)."""
    from mash.broker.credentials import read_password  # the broker package imports this one

    password = read_password(directory, principal)
    return ClientSecurity(protocol, DEFAULT_MECHANISM, principal, password)


def credentials_document(bootstrap: str, security: ClientSecurity) -> dict[str, Any]:
    """The JSON of ``mash broker credentials``, which ``MASH_CREDENTIALS_FILE`` reads back
    (:func:`_credentials_file`, below: the writer and the reader of one format together)."""
    document: dict[str, Any] = {
        "bootstrap": bootstrap,
        "security_protocol": security.protocol,
        "sasl_mechanism": security.mechanism,
        "username": security.username,
        "password": security.password,
    }
    if security.cafile:
        document["ssl_cafile"] = security.cafile
    return document


def _credentials_file(path: str | None) -> dict[str, str]:
    """The JSON of ``mash broker credentials``; a bad file is a ConfigError naming the file."""
    if not path:
        return {}
    try:
        data = json.loads(Path(path).expanduser().read_text())
    except OSError as exc:
        raise ConfigError(f"MASH_CREDENTIALS_FILE {path} cannot be read ({exc.strerror})") from exc
    except ValueError as exc:
        raise ConfigError(f"MASH_CREDENTIALS_FILE {path} is not JSON") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"MASH_CREDENTIALS_FILE {path} is not a JSON object")
    return {str(key): str(value) for key, value in data.items() if value is not None}


def _read_secret(path: str) -> str:
    try:
        return Path(path).expanduser().read_text().strip()
    except OSError as exc:
        reason = exc.strerror
        raise ConfigError(f"MASH_SASL_PASSWORD_FILE {path} cannot be read ({reason})") from exc


def client_options(
    kind: ClientKind = "kafka-python", security: ClientSecurity | None = None
) -> dict[str, Any]:
    """The security keywords of one client constructor; empty for PLAINTEXT.

    ``security`` defaults to this process's settings. ``kind`` picks the spelling:
    kafka-python's and aiokafka's constructors take ``security_protocol``/``sasl_*`` keywords
    (aiokafka wants an ``ssl_context`` where kafka-python takes ``ssl_cafile``); a Faust app
    takes ``broker_credentials``.
    """
    security = security if security is not None else ClientSecurity.from_settings()
    if not security.sasl:
        return {}
    if kind == "faust":
        return {"broker_credentials": _faust_credentials(security)}
    options: dict[str, Any] = {
        "security_protocol": security.protocol,
        "sasl_mechanism": security.mechanism,
        "sasl_plain_username": security.username,
        "sasl_plain_password": security.password,
    }
    if security.tls:
        if kind == "aiokafka":
            options["ssl_context"] = _ssl_context(security)
        elif security.cafile:
            options["ssl_cafile"] = security.cafile
    return options


def broker_urls(bootstrap: str) -> list[str]:
    """Faust's form of a bootstrap list: ``kafka://host:port`` per server."""
    return [f"kafka://{server.strip()}" for server in bootstrap.split(",") if server]


def client_config(
    kind: ClientKind, bootstrap: str, *, security: ClientSecurity | None = None, **tuned: Any
) -> dict[str, Any]:
    """Every keyword of one client: where to connect, how to authenticate, then the call's
    own tuning (``acks``, ``linger_ms``, timeouts...), which wins over the rest.

    kafka-python and aiokafka take ``bootstrap_servers``; Faust takes ``broker`` as URLs.
    """
    if kind == "faust":
        return {"broker": broker_urls(bootstrap), **client_options(kind, security), **tuned}
    return {"bootstrap_servers": bootstrap, **client_options(kind, security), **tuned}


def _ssl_context(security: ClientSecurity) -> Any:
    from aiokafka.helpers import create_ssl_context

    return create_ssl_context(cafile=security.cafile)


def _faust_credentials(security: ClientSecurity) -> Any:
    import faust

    return faust.SASLCredentials(
        username=security.username,
        password=security.password,
        mechanism=security.mechanism,
        ssl_context=_ssl_context(security) if security.tls else None,
    )
