"""Hub staff accounts and what each role may see and do.

Roles follow how a front door is run:

- ``social-worker`` works the queues of their team (``queues``; all when not set): sees each
  item's reasons, checks and identity match, claims items and confirms or overrides items
  that are unclaimed or claimed by them;
- ``team-manager`` sees every queue and the SLA summary, may decide any item (reassigning
  work is a manager's call), and approves or refuses the decisions that wait for a manager
  (a step down, no further action: :mod:`mash.domain.oversight`);
- ``auditor`` sees every queue and item read-only, and the SLA summary: no forms, and any
  attempt to act is refused.

Passwords are stored as salted scrypt hashes (stdlib :func:`hashlib.scrypt`), never in clear;
the file lives in ``$MASH_HOME/users.json`` with owner-only permissions.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from mash.domain.routes import Route
from mash.errors import ConfigError, UsageError

SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,63}$")


class Role(StrEnum):
    SOCIAL_WORKER = "social-worker"
    TEAM_MANAGER = "team-manager"
    AUDITOR = "auditor"


class Permission(StrEnum):
    VIEW = "view"
    CLAIM = "claim"
    DECIDE = "decide"
    DECIDE_ANY = "decide-any"
    APPROVE = "approve"
    SLA = "sla"


PERMISSIONS: Mapping[Role, frozenset[Permission]] = {
    Role.SOCIAL_WORKER: frozenset({Permission.VIEW, Permission.CLAIM, Permission.DECIDE}),
    Role.TEAM_MANAGER: frozenset(Permission),
    Role.AUDITOR: frozenset({Permission.VIEW, Permission.SLA}),
}


@dataclass(frozen=True, slots=True)
class Staff:
    """A signed-in member of staff: name, role and the queues their team works."""

    username: str
    role: Role
    queues: tuple[str, ...] = Route.ordered()

    def may(self, permission: Permission) -> bool:
        return permission in PERMISSIONS[self.role]

    def sees(self, route: str) -> bool:
        """Whether this person may see items on ``route`` at all."""
        return self.role is not Role.SOCIAL_WORKER or route in self.queues

    def may_decide(self, claimed_by: str | None) -> bool:
        """Deciding someone else's claimed item is a manager's call."""
        if self.may(Permission.DECIDE_ANY):
            return True
        return self.may(Permission.DECIDE) and claimed_by in (None, self.username)


def hash_password(password: str, salt: bytes | None = None) -> dict[str, Any]:
    """A salted scrypt hash with its parameters, so they can be raised later per user."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32
    )
    return {
        "salt": base64.b64encode(salt).decode(),
        "hash": base64.b64encode(digest).decode(),
        "n": SCRYPT_N,
        "r": SCRYPT_R,
        "p": SCRYPT_P,
    }


def verify_password(password: str, record: Mapping[str, Any]) -> bool:
    """Constant-time check of a password against a stored hash."""
    salt = base64.b64decode(record["salt"])
    expected = base64.b64decode(record["hash"])
    digest = hashlib.scrypt(
        password.encode(),
        salt=salt,
        n=int(record.get("n", SCRYPT_N)),
        r=int(record.get("r", SCRYPT_R)),
        p=int(record.get("p", SCRYPT_P)),
        dklen=len(expected),
    )
    return hmac.compare_digest(digest, expected)


def _queues(queues: Iterable[str] | None) -> tuple[str, ...]:
    chosen = tuple(queues or Route.ordered())
    unknown = [q for q in chosen if Route.parse(q) is None]
    if unknown:
        routes = ", ".join(Route.ordered())
        raise UsageError(f"unknown queue {unknown[0]!r}: choose from {routes}")
    return chosen


MAX_FAILURES = 5
"""Failed sign-ins to one account, within ``LOCKOUT``, before that account is locked."""
LOCKOUT = timedelta(minutes=15)
"""How long a locked account stays locked, and how far back failures count."""


@dataclass
class LoginThrottle:
    """Locks an account after repeated failed sign-ins, so a password cannot be guessed
    online (NCSC password guidance: throttle or lock out rather than demand complex passwords).

    Pure and in memory: the board asks :meth:`locked_until` before checking a password, and
    reports each outcome. Counted per username, whether or not it exists, so a lock reveals
    nothing about which accounts there are. A correct password clears the count; while
    locked, even a correct password is refused. A restarted board starts afresh, which costs
    an attacker a restart per five guesses.
    """

    max_failures: int = MAX_FAILURES
    lockout: timedelta = LOCKOUT
    _failures: dict[str, list[datetime]] = field(default_factory=dict)

    def locked_until(self, username: str, now: datetime) -> datetime | None:
        """When the lock on ``username`` ends, or None when it may try to sign in."""
        recent = self._recent(username, now)
        if len(recent) < self.max_failures:
            return None
        return recent[-1] + self.lockout

    def failed(self, username: str, now: datetime) -> datetime | None:
        """Count a failed sign-in; when the lock it may have set ends (None: not locked)."""
        self._failures[username] = [*self._recent(username, now), now]
        return self.locked_until(username, now)

    def succeeded(self, username: str) -> None:
        self._failures.pop(username, None)

    def _recent(self, username: str, now: datetime) -> list[datetime]:
        since = now - self.lockout
        return [at for at in self._failures.get(username, ()) if at > since]


@dataclass(frozen=True)
class UserStore:
    """The staff file: ``{"users": {name: {role, queues, salt, hash, n, r, p}}}``."""

    path: Path

    def _read(self) -> dict[str, Any]:
        if not self.path.exists():
            return {}
        try:
            data = json.loads(self.path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise ConfigError(f"cannot read staff file {self.path}") from exc
        users = data.get("users") if isinstance(data, dict) else None
        if not isinstance(users, dict):
            raise ConfigError(f"staff file {self.path} has no 'users' object")
        return users

    def exists(self) -> bool:
        return self.path.exists()

    def get(self, username: str) -> Staff | None:
        record = self._read().get(username)
        if record is None:
            return None
        return Staff(username, Role(record["role"]), _queues(record.get("queues")))

    def authenticate(self, username: str, password: str) -> Staff | None:
        """The member of staff if the password is right, else None (no hint which was wrong)."""
        record = self._read().get(username)
        if record is None:
            hash_password(password)  # same cost either way: no user enumeration by timing
            return None
        if not verify_password(password, record):
            return None
        return Staff(username, Role(record["role"]), _queues(record.get("queues")))

    def add(
        self, username: str, password: str, role: str, queues: Iterable[str] | None = None
    ) -> Staff:
        """Add or replace a member of staff; the file is written owner-only."""
        if not USERNAME.match(username):
            raise UsageError("a username is 2-64 of a-z 0-9 . _ @ - and starts with a letter/digit")
        if len(password) < 12:
            raise UsageError("a password needs at least 12 characters")
        try:
            chosen = Role(role)
        except ValueError as exc:
            raise UsageError(f"unknown role {role!r}: choose from {', '.join(Role)}") from exc
        users = self._read()
        record: dict[str, Any] = {"role": chosen.value, **hash_password(password)}
        if queues:
            record["queues"] = list(_queues(queues))
        users[username] = record
        self._write({"users": users})
        return Staff(username, chosen, _queues(queues))

    def _write(self, data: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(data, handle, indent=2, sort_keys=True)
        os.replace(tmp, self.path)


def user_store(home: Path) -> UserStore:
    """The staff file of this MASH installation."""
    return UserStore(home / "users.json")


def staff_named(home: Path, name: str) -> Staff | None:
    """The named member of staff for a command run as them (``--as NAME``); None when no staff
    file exists (a trusted single-user command line), UsageError for a name it does not hold."""
    store = user_store(home)
    if not store.exists():
        return None
    staff = store.get(name)
    if staff is None:
        raise UsageError(f"{name} is not in the staff file (mash board adduser)")
    return staff
