"""One project error type, so callers catch ``MashError`` and not a zoo of library errors.

Library exceptions are translated at the adapter boundary with ``raise ... from exc``.
Messages name the problem and the record's id, never personal data (names, dates of birth,
narrative text): they end up in logs and in the dead-letter topic.
"""


class MashError(Exception):
    """Base class of every error MASH Broker raises on purpose."""


class UsageError(MashError):
    """Bad usage or bad input given on the command line (exit code 2)."""


class ConfigError(MashError):
    """Missing prerequisite or bad configuration (named, with how to fix it)."""


class DecodeError(MashError):
    """Bytes that are not a valid message of a known schema (unknown id, truncated, not Avro)."""


class SchemaError(MashError):
    """A record that does not fit its Avro schema, or a schema that does not load or evolve
    compatibly. Names the subject and the field path, never the value."""


class InvalidReferral(MashError):
    """A decoded referral that cannot be routed (e.g. a child with neither name nor id)."""


class InvalidRecord(MashError):
    """A cross-agency person record that cannot be indexed (e.g. no person_id or updated_at)."""


class RuleError(MashError):
    """A rule set that does not load, or a rule that fails to evaluate."""


class BrokerError(MashError):
    """The local Kafka broker could not be started, reached or stopped."""


class AuditError(MashError):
    """The decision log failed a check or refused an operation."""


class InvalidDecision(AuditError):
    """A decision or override the log refuses (no id, unknown route, override without reason)."""


class StateError(UsageError):
    """A work-item action its current state forbids (deciding twice, claiming a claimed item)."""
