"""The Kafka admin client at the boundary: kafka-python errors become :class:`BrokerError`.

The client itself comes from :func:`mash.kafka.clients.admin` (the one place clients are built);
this module adds what every admin caller wants around it: a timeout, a context that closes it,
and errors that name the broker. kafka-python is imported inside the functions so that
``mash --help`` does not pay for it.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING

from mash.errors import BrokerError
from mash.kafka import ClientSecurity, clients

if TYPE_CHECKING:
    from kafka import KafkaAdminClient


@contextlib.contextmanager
def admin_client(
    bootstrap: str,
    timeout_s: float = 30.0,
    *,
    security: ClientSecurity | None = None,
) -> Iterator[KafkaAdminClient]:
    """A connected admin client, closed on exit; no broker reachable is a BrokerError.

    ``security`` defaults to this process's settings (:mod:`mash.kafka.options`)."""
    from kafka.errors import KafkaError

    timeout_ms = int(timeout_s * 1000)
    try:
        client = clients.admin(
            bootstrap,
            security=security,
            client_id="mash-admin",
            bootstrap_timeout_ms=timeout_ms,
            request_timeout_ms=max(timeout_ms, 5000),
        )
    except KafkaError as exc:
        reason = type(exc).__name__
        raise BrokerError(f"no Kafka broker answered at {bootstrap} ({reason})") from exc
    try:
        yield client
    except KafkaError as exc:
        raise BrokerError(f"Kafka admin request to {bootstrap} failed: {exc}") from exc
    finally:
        client.close()


def broker_count(client: KafkaAdminClient) -> int:
    """How many brokers the cluster has (from a metadata request)."""
    return len(client.describe_cluster().get("brokers", []))


def metadata_ready(
    bootstrap: str, timeout_s: float = 2.0, *, security: ClientSecurity | None = None
) -> bool:
    """True when a metadata request succeeds and names at least one broker.

    That is the moment clients can work: the listener is up, the KRaft controller has elected
    itself and the broker has registered and been unfenced.
    """
    quiet = logging.getLogger("kafka")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)  # connection-refused noise while the broker boots
    try:
        with admin_client(bootstrap, timeout_s, security=security) as client:
            return broker_count(client) > 0
    except BrokerError:
        return False
    finally:
        quiet.setLevel(level)
