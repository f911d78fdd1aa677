"""Kafka clients for all of MASH: one options builder (and, next, one factory per client kind).

Why a package of its own: clients were built in sixteen places across ten modules, with three
spellings of the security options. :mod:`mash.kafka.options` is the one place that knows how
this process connects and authenticates (``MASH_SECURITY_PROTOCOL``,
``MASH_CREDENTIALS_FILE``...).

Public surface:

- :class:`ClientSecurity` (``ClientSecurity.from_settings()``), :data:`PLAINTEXT`,
  :func:`security_for` (a principal's settings from the local secrets) and
  :func:`credentials_document` (what ``MASH_CREDENTIALS_FILE`` holds);
- :func:`client_options` (the security keywords alone) and :func:`client_config` (every
  keyword of one client).

Nothing here imports a client library at module level, so ``mash --help`` stays fast.
"""

from mash.kafka.options import (
    PLAINTEXT,
    ClientKind,
    ClientSecurity,
    broker_urls,
    client_config,
    client_options,
    credentials_document,
    security_for,
)

__all__ = [
    "PLAINTEXT",
    "ClientKind",
    "ClientSecurity",
    "broker_urls",
    "client_config",
    "client_options",
    "credentials_document",
    "security_for",
]
