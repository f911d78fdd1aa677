"""Each principal can do its job on the secure broker, and the broker refuses everything else.

Refusals are asserted on what the broker answers (an authorisation error for a request it
authenticated; a failed SASL exchange, logged by the broker, for bad or missing credentials),
never on the client's own checks.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest
from kafka import TopicPartition
from kafka.errors import KafkaError, KafkaTimeoutError, TopicAuthorizationFailedError
from secure_harness import SecureBroker

from mash.kafka import PLAINTEXT, ClientSecurity, clients

pytestmark = pytest.mark.broker


def produce(broker: SecureBroker, principal: str, topic: str, value: bytes) -> None:
    """One acknowledged write as ``principal`` (raises what the broker answered)."""
    producer = clients.producer(
        broker.bootstrap, security=broker.security(principal), acks="all", max_block_ms=10_000
    )
    try:
        producer.send(topic, value, key=value).get(timeout=15)
    finally:
        producer.close(timeout=5)


def read_all(
    broker: SecureBroker,
    principal: str,
    topic: str,
    group: str | None = None,
    expect: bytes | None = None,
) -> list[bytes]:
    """Every value of ``topic`` from the start, as ``principal`` (a group member if ``group``)."""
    consumer = clients.consumer(
        broker.bootstrap,
        security=broker.security(principal),
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    try:
        partitions = [TopicPartition(topic, p) for p in range(2)]
        end = consumer.end_offsets(partitions)  # ListOffsets: refused without Describe
        if group is None:
            consumer.assign(partitions)
            consumer.seek_to_beginning()
        else:
            consumer.subscribe([topic])
        values: list[bytes] = []
        deadline = time.monotonic() + 60  # the first group join creates __consumer_offsets
        while time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=500).values():
                values += [record.value for record in records]
            if expect in values or (
                expect is None
                and consumer.assignment()
                and all(consumer.position(tp) >= end[tp] for tp in consumer.assignment())
            ):
                break
        if group is not None:
            consumer.commit()  # OffsetCommit: refused without Read on the group
        return values
    finally:
        consumer.close()


def token() -> bytes:
    return f"probe-{uuid.uuid4().hex}".encode()


# ----------------------------------------------------------------------------- allowed


def test_police_publishes_and_the_router_reads_it(secure_broker: SecureBroker) -> None:
    sent = token()
    produce(secure_broker, "police", secure_broker.topics.referrals("police"), sent)
    got = read_all(
        secure_broker,
        "mash-router",
        secure_broker.topics.referrals("police"),
        group="mash-worker-probe",
        expect=sent,
    )
    assert sent in got


def test_hub_staff_reads_a_queue_and_writes_an_override(secure_broker: SecureBroker) -> None:
    item, override = token(), token()
    produce(secure_broker, "mash-router", secure_broker.topics.queue("s47"), item)
    assert item in read_all(
        secure_broker,
        "hub-staff",
        secure_broker.topics.queue("s47"),
        group="mash-hub-probe",
        expect=item,
    )
    produce(secure_broker, "hub-staff", secure_broker.topics.overrides, override)
    assert override in read_all(
        secure_broker,
        "mash-sink",
        secure_broker.topics.overrides,
        group="mash-sink-probe",
        expect=override,
    )


def test_auditor_reads_decisions(secure_broker: SecureBroker) -> None:
    decision = token()
    produce(secure_broker, "mash-router", secure_broker.topics.decisions, decision)
    assert decision in read_all(
        secure_broker,
        "auditor",
        secure_broker.topics.decisions,
        group="mash-audit-probe",
        expect=decision,
    )


# ----------------------------------------------------------------------------- refused


@pytest.mark.parametrize(
    ("principal", "topic"),
    [
        ("police", "mash.queue.s47"),
        ("auditor", "mash.queue.s47"),
        ("auditor", "mash.overrides"),
        ("hub-staff", "mash.decisions"),
        ("health", "mash.referrals.police"),
    ],
)
def test_reading_outside_the_grant_is_refused(
    secure_broker: SecureBroker, principal: str, topic: str
) -> None:
    with pytest.raises(TopicAuthorizationFailedError):
        read_all(secure_broker, principal, topic)


def test_describe_without_read_still_cannot_fetch(secure_broker: SecureBroker) -> None:
    """Police may write (and so describe) its ingest topic, but not read other forces' data
    back out of it: the Fetch itself is refused."""
    produce(secure_broker, "police", secure_broker.topics.referrals("police"), token())
    with pytest.raises(TopicAuthorizationFailedError):
        read_all(secure_broker, "police", secure_broker.topics.referrals("police"))


@pytest.mark.parametrize(
    ("principal", "topic"),
    [
        ("health", "mash.referrals.police"),
        ("police", "mash.records.health"),
        ("hub-staff", "mash.decisions"),
        ("hub-staff", "mash.queue.s47"),
        ("auditor", "mash.decisions"),
        ("auditor", "mash.overrides"),
        ("auditor", "mash.queue.caf"),
        ("mash-sink", "mash.decisions"),
        ("mash-router", "mash.overrides"),
    ],
)
def test_writing_outside_the_grant_is_refused(
    secure_broker: SecureBroker, principal: str, topic: str
) -> None:
    """A principal with no write anywhere (the auditor) is already refused the producer id
    (cluster IdempotentWrite); the others are refused the topic."""
    with pytest.raises(KafkaError) as refused:
        produce(secure_broker, principal, topic, token())
    assert isinstance(refused.value, TopicAuthorizationFailedError) or (
        "ClusterAuthorizationFailed" in str(refused.value) and principal == "auditor"
    )


def test_a_group_outside_the_grant_is_refused(secure_broker: SecureBroker) -> None:
    """The auditor may read decisions, but only in its own groups (mash-audit*)."""
    from kafka.errors import GroupAuthorizationFailedError

    with pytest.raises(GroupAuthorizationFailedError):
        read_all(secure_broker, "auditor", secure_broker.topics.decisions, group="mash-worker")


# ----------------------------------------------------------------------------- no entry


def _new_log_lines(broker: SecureBroker, before: int) -> Iterator[str]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        lines = broker.log_lines()[before:]
        if lines:
            yield from lines
            return
        time.sleep(0.2)


def _connect_and_fail(broker: SecureBroker, security: ClientSecurity | None, needle: str) -> None:
    """The client cannot get metadata, and the broker's log says why it turned it away."""
    before = len(broker.log_lines())
    with pytest.raises(KafkaTimeoutError):
        clients.producer(
            broker.bootstrap,
            security=security or PLAINTEXT,
            bootstrap_timeout_ms=3000,
            max_block_ms=3000,
        )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if any(needle in line for line in broker.log_lines()[before:]):
            return
        time.sleep(0.2)
    pytest.fail(f"the broker log has no {needle!r} after the attempt")


def test_a_wrong_password_is_refused(secure_broker: SecureBroker) -> None:
    wrong = ClientSecurity("SASL_PLAINTEXT", "SCRAM-SHA-512", "police", "not-the-password")
    _connect_and_fail(secure_broker, wrong, "invalid credentials")


def test_an_unknown_user_is_refused(secure_broker: SecureBroker) -> None:
    stranger = ClientSecurity("SASL_PLAINTEXT", "SCRAM-SHA-512", "mallory", "whatever")
    _connect_and_fail(secure_broker, stranger, "invalid credentials")


def test_no_credentials_at_all_is_refused(secure_broker: SecureBroker) -> None:
    _connect_and_fail(secure_broker, None, "during SASL handshake")


def test_another_principals_password_does_not_work(secure_broker: SecureBroker) -> None:
    """Each principal has its own generated secret: police's password is not health's."""
    mixed = ClientSecurity(
        "SASL_PLAINTEXT", "SCRAM-SHA-512", "health", secure_broker.security("police").password
    )
    _connect_and_fail(secure_broker, mixed, "invalid credentials")


def test_no_password_is_in_the_broker_log(secure_broker: SecureBroker) -> None:
    """The broker logs authentication failures and its authoriser's set-up; never a secret."""
    secrets = [path.read_text().strip() for path in secure_broker.config.secrets.iterdir()]
    text = secure_broker.config.log_file.read_text(errors="replace")
    assert len(secrets) >= 8 and "StandardAuthorizer" in text
    assert secure_broker.config.properties_file.stat().st_mode & 0o077 == 0  # owner-only
    assert not [secret for secret in secrets if secret in text]
