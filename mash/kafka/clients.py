"""Every Kafka client of MASH is made here: kafka-python, aiokafka and Faust, one factory each.

Why factories and not constructors at each call site: a constructor written out in sixteen
places is sixteen places to forget the security options (or spell them a fourth way), and no
place a test can hand a fake to. Each factory takes the bootstrap list, an optional
:class:`~mash.kafka.options.ClientSecurity` (default: this process's settings;
:data:`~mash.kafka.options.PLAINTEXT` to ignore them) and the call's own tuning as keywords,
and passes :func:`~mash.kafka.options.client_config` to the library's constructor, nothing
else. Tuning stays with the caller, next to the reason for it (``acks``, ``linger_ms``,
idempotence, batch sizes): a factory that chose them would hide why each client differs.

Classes that own a client take a factory of this module as a parameter with this default, so a
test passes a fake in instead of patching an attribute afterwards (see
:class:`mash.stream.ingest.IngestLoop`). Errors are not translated here: each caller knows
what it was trying to do, and says so in its :class:`~mash.errors.BrokerError`.

The client libraries are imported inside the factories, so ``mash --help`` does not pay for
them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mash.kafka.options import ClientSecurity, client_config

if TYPE_CHECKING:
    import faust
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
    from aiokafka.admin import AIOKafkaAdminClient
    from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer


# --------------------------------------------------------------------------- kafka-python


def producer(
    bootstrap: str, *, security: ClientSecurity | None = None, **tuned: Any
) -> KafkaProducer:
    """A kafka-python producer (it connects to ``bootstrap`` before it returns)."""
    from kafka import KafkaProducer

    return KafkaProducer(**client_config("kafka-python", bootstrap, security=security, **tuned))


def consumer(
    bootstrap: str, *topics: str, security: ClientSecurity | None = None, **tuned: Any
) -> KafkaConsumer:
    """A kafka-python consumer, subscribed to ``topics`` if any are named."""
    from kafka import KafkaConsumer

    return KafkaConsumer(
        *topics, **client_config("kafka-python", bootstrap, security=security, **tuned)
    )


def admin(
    bootstrap: str, *, security: ClientSecurity | None = None, **tuned: Any
) -> KafkaAdminClient:
    """A kafka-python admin client (see :func:`mash.broker.admin.admin_client` for the
    context manager most callers want)."""
    from kafka import KafkaAdminClient

    return KafkaAdminClient(**client_config("kafka-python", bootstrap, security=security, **tuned))


# --------------------------------------------------------------------------- aiokafka


def aio_producer(
    bootstrap: str, *, security: ClientSecurity | None = None, **tuned: Any
) -> AIOKafkaProducer:
    """An aiokafka producer, not started (``await producer.start()`` connects)."""
    from aiokafka import AIOKafkaProducer

    return AIOKafkaProducer(**client_config("aiokafka", bootstrap, security=security, **tuned))


def aio_consumer(
    bootstrap: str, *topics: str, security: ClientSecurity | None = None, **tuned: Any
) -> AIOKafkaConsumer:
    """An aiokafka consumer, subscribed to ``topics`` if any are named; not started."""
    from aiokafka import AIOKafkaConsumer

    return AIOKafkaConsumer(
        *topics, **client_config("aiokafka", bootstrap, security=security, **tuned)
    )


def aio_admin(
    bootstrap: str, *, security: ClientSecurity | None = None, **tuned: Any
) -> AIOKafkaAdminClient:
    """An aiokafka admin client, not started."""
    from aiokafka.admin import AIOKafkaAdminClient

    return AIOKafkaAdminClient(**client_config("aiokafka", bootstrap, security=security, **tuned))


# --------------------------------------------------------------------------- Faust


def faust_settings(
    bootstrap: str, *, security: ClientSecurity | None = None, **settings: Any
) -> dict[str, Any]:
    """A Faust app's settings: ``broker`` URLs, ``broker_credentials`` for SASL, then
    ``settings`` (store, datadir, timeouts...)."""
    return client_config("faust", bootstrap, security=security, **settings)


def faust_app(
    app_id: str, bootstrap: str, *, security: ClientSecurity | None = None, **settings: Any
) -> faust.App:
    """A Faust app named ``app_id`` (its consumer group) on ``bootstrap``."""
    import faust

    return faust.App(app_id, **faust_settings(bootstrap, security=security, **settings))
