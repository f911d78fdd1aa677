"""Principals and their ACLs from a declarative file, applied to the broker idempotently.

The plan (:func:`load_policy`, :func:`bindings`) is pure data: which principal may do which
operation on which resource. The shell (:func:`apply_policy`) makes it true on a broker: SCRAM
credentials for every principal (passwords from the secrets dir, generated the first time) and
the missing ACL bindings; bindings already there are left as they are, so it is safe to run on
every deployment. Why a file: who may do what to safeguarding data is a policy decision that
must be reviewed as a diff, not hidden in code.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mash.broker.credentials import check_principal, ensure_password
from mash.errors import BrokerError, UsageError
from mash.kafka.options import DEFAULT_MECHANISM, ClientSecurity

DEFAULT_FILE = Path(__file__).resolve().parents[2] / "deploy" / "security" / "acls.yaml"

RESOURCE_KEYS: Mapping[str, tuple[str, str]] = {
    "topics": ("TOPIC", "LITERAL"),
    "topic_prefixes": ("TOPIC", "PREFIXED"),
    "groups": ("GROUP", "LITERAL"),
    "group_prefixes": ("GROUP", "PREFIXED"),
    "transactional_ids": ("TRANSACTIONAL_ID", "LITERAL"),
    "transactional_id_prefixes": ("TRANSACTIONAL_ID", "PREFIXED"),
}
OPERATIONS = frozenset(
    {
        "read",
        "write",
        "create",
        "delete",
        "alter",
        "describe",
        "describe_configs",
        "alter_configs",
        "idempotent_write",
        "all",
    }
)


@dataclass(frozen=True, order=True)
class Binding:
    """One ALLOW ACL: ``User:<principal>`` may ``operation`` on a resource, from any host."""

    principal: str
    resource_type: str  # TOPIC, GROUP, TRANSACTIONAL_ID
    name: str
    pattern: str  # LITERAL or PREFIXED
    operation: str  # upper case, kafka-python's ACLOperation names


@dataclass(frozen=True)
class Policy:
    """The whole file: the super users (not created here) and each principal's grants."""

    super_users: tuple[str, ...]
    principals: Mapping[str, tuple[Mapping[str, Any], ...]]

    @property
    def users(self) -> list[str]:
        """The principals ``mash acl apply`` creates (super users exist already)."""
        return sorted(name for name in self.principals if name not in self.super_users)


def load_policy(path: Path | None = None) -> Policy:
    """Read and check the ACL file; every mistake is a UsageError naming the entry."""
    import yaml

    source = path or DEFAULT_FILE
    try:
        data = yaml.safe_load(source.read_text())
    except OSError as exc:
        raise UsageError(f"cannot read the ACL file {source} ({exc.strerror})") from exc
    except yaml.YAMLError as exc:
        raise UsageError(f"the ACL file {source} is not valid YAML ({exc})") from exc
    return parse_policy(data, str(source))


def parse_policy(data: Any, source: str = "the ACL file") -> Policy:
    """Validate the file's structure (pure): known keys, known operations, valid names."""
    if not isinstance(data, Mapping) or not isinstance(data.get("principals"), Mapping):
        raise UsageError(f"{source} needs a 'principals' mapping")
    supers = tuple(check_principal(str(name)) for name in data.get("super_users") or [])
    principals: dict[str, tuple[Mapping[str, Any], ...]] = {}
    for name, entry in data["principals"].items():
        grants = (entry or {}).get("allow") or []
        if not isinstance(grants, list):
            raise UsageError(f"{source}: 'allow' of {name!r} must be a list")
        principals[check_principal(str(name))] = tuple(
            _check_grant(grant, f"{source}: {name}") for grant in grants
        )
    return Policy(supers, principals)


def _check_grant(grant: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(grant, Mapping):
        raise UsageError(f"{where}: each grant must be a mapping")
    kinds = [key for key in grant if key in RESOURCE_KEYS]
    unknown = set(grant) - set(RESOURCE_KEYS) - {"operations"}
    if len(kinds) != 1 or unknown:
        raise UsageError(
            f"{where}: a grant names exactly one of {', '.join(RESOURCE_KEYS)} and "
            f"'operations' (got {', '.join(map(str, grant))})"
        )
    operations = [str(op).lower() for op in grant.get("operations") or []]
    bad = [op for op in operations if op not in OPERATIONS]
    if not operations or bad:
        raise UsageError(f"{where}: operations must be some of {', '.join(sorted(OPERATIONS))}")
    names = grant[kinds[0]]
    if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
        raise UsageError(f"{where}: {kinds[0]} must be a list of names")
    return grant


def bindings(policy: Policy, prefix: str = "") -> list[Binding]:
    """Every ACL binding the policy asks for, with the topic prefix applied, sorted, unique."""
    found: set[Binding] = set()
    for principal, grants in policy.principals.items():
        for grant in grants:
            key = next(k for k in grant if k in RESOURCE_KEYS)
            resource_type, pattern = RESOURCE_KEYS[key]
            for name in grant[key]:
                for operation in grant["operations"]:
                    found.add(
                        Binding(
                            principal,
                            resource_type,
                            f"{prefix}{name}",
                            pattern,
                            str(operation).upper(),
                        )
                    )
    return sorted(found)


# --------------------------------------------------------------------------- the shell


@dataclass(frozen=True)
class ApplyResult:
    """What ``mash acl apply`` did: users given credentials, bindings created and kept."""

    users: list[str]
    created: int
    existing: int


def apply_policy(
    bootstrap: str,
    policy: Policy,
    secrets_dir: Path,
    admin: ClientSecurity,
    prefix: str = "",
) -> ApplyResult:
    """Create the users' SCRAM credentials and every missing ACL binding, as the admin."""
    from kafka.admin import ScramMechanism, UserScramCredentialUpsertion

    from mash.broker.admin import admin_client

    wanted = bindings(policy, prefix)
    mechanism = ScramMechanism[DEFAULT_MECHANISM.replace("-", "_")]
    with admin_client(bootstrap, security=admin) as client:
        upserts = [
            UserScramCredentialUpsertion(user, mechanism, ensure_password(secrets_dir, user))
            for user in policy.users
        ]
        if upserts:
            _check_errors(client.alter_user_scram_credentials(upserts), "SCRAM credentials")
        have = set(_current(client))
        missing = [binding for binding in wanted if binding not in have]
        if missing:
            result = client.create_acls([_to_acl(binding) for binding in missing])
            if result["failed"]:
                raise BrokerError(
                    f"could not create {len(result['failed'])} ACL(s): {result['failed'][0]}"
                )
    return ApplyResult(policy.users, len(missing), len(wanted) - len(missing))


def _check_errors(results: Mapping[str, str | None], what: str) -> None:
    failed = {user: error for user, error in results.items() if error}
    if failed:
        raise BrokerError(
            f"could not set {what} for {', '.join(sorted(failed))}: {next(iter(failed.values()))}"
        )


def _current(client: Any) -> Iterable[Binding]:
    """The ALLOW bindings of ``User:`` principals on the broker now (for the idempotency)."""
    from kafka.admin import (
        ACLFilter,
        ACLOperation,
        ACLPermissionType,
        ACLResourcePatternType,
        ResourcePatternFilter,
        ResourceType,
    )
    from kafka.errors import NoError

    everything = ACLFilter(
        principal=None,
        host="*",
        operation=ACLOperation.ANY,
        permission_type=ACLPermissionType.ALLOW,
        resource_pattern=ResourcePatternFilter(ResourceType.ANY, None, ACLResourcePatternType.ANY),
    )
    acls, error = client.describe_acls(everything)
    if error is not NoError and not isinstance(error, NoError):
        raise BrokerError(f"could not list the ACLs: {error}")
    for acl in acls:
        if str(acl.principal).startswith("User:"):
            pattern = acl.resource_pattern
            yield Binding(
                str(acl.principal)[5:],
                pattern.resource_type.name,
                pattern.resource_name,
                pattern.pattern_type.name,
                acl.operation.name,
            )


def _to_acl(binding: Binding) -> Any:
    from kafka.admin import (
        ACL,
        ACLOperation,
        ACLPermissionType,
        ACLResourcePatternType,
        ResourcePattern,
        ResourceType,
    )

    return ACL(
        principal=f"User:{binding.principal}",
        host="*",
        operation=ACLOperation[binding.operation],
        permission_type=ACLPermissionType.ALLOW,
        resource_pattern=ResourcePattern(
            ResourceType[binding.resource_type],
            binding.name,
            ACLResourcePatternType[binding.pattern],
        ),
    )
