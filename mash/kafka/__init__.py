"""Kafka clients for all of MASH: one options builder, one factory per client kind.

Why a package of its own: clients were built in sixteen places across ten modules, with three
spellings of the security options, and the classes that owned them could not be given a fake.
Now :mod:`mash.kafka.options` is the one place that knows how this process connects and
authenticates (``MASH_SECURITY_PROTOCOL``, ``MASH_CREDENTIALS_FILE``...), and
:mod:`mash.kafka.clients` the one place that calls a client library's constructor. Callers keep
their own tuning and their own error messages.

Public surface:

- :class:`ClientSecurity` (``ClientSecurity.from_settings()``), :data:`PLAINTEXT`,
  :func:`security_for` (a principal's settings from the local secrets) and
  :func:`credentials_document` (what ``MASH_CREDENTIALS_FILE`` holds);
- :func:`client_options` (the security keywords alone) and :func:`client_config` (every
  keyword of one client);
- factories :func:`producer`, :func:`consumer`, :func:`admin` (kafka-python),
  :func:`aio_producer`, :func:`aio_consumer`, :func:`aio_admin` (aiokafka), and
  :func:`faust_settings`, :func:`faust_app` (Faust).

Nothing here imports a client library at module level, so ``mash --help`` stays fast.
"""

from mash.kafka.clients import (
    admin,
    aio_admin,
    aio_consumer,
    aio_producer,
    consumer,
    faust_app,
    faust_settings,
    producer,
)
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
    "admin",
    "aio_admin",
    "aio_consumer",
    "aio_producer",
    "broker_urls",
    "client_config",
    "client_options",
    "consumer",
    "credentials_document",
    "faust_app",
    "faust_settings",
    "producer",
    "security_for",
]
