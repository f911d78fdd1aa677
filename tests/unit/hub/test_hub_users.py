"""Staff accounts: salted scrypt hashes, owner-only file, roles and what they allow."""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mash.errors import ConfigError, UsageError
from mash.hub.users import (
    LoginThrottle,
    Permission,
    Role,
    Staff,
    UserStore,
    hash_password,
    verify_password,
)

PASSWORD = "correct horse battery"


def test_hashes_are_salted_and_verify() -> None:
    first, second = hash_password(PASSWORD), hash_password(PASSWORD)
    assert first["hash"] != second["hash"]  # a fresh salt each time
    assert verify_password(PASSWORD, first) and verify_password(PASSWORD, second)
    assert not verify_password(PASSWORD + "!", first)


def test_the_staff_file_holds_no_password_and_is_owner_only(tmp_path: Path) -> None:
    store = UserStore(tmp_path / "home" / "users.json")
    store.add("tm.cho", PASSWORD, "team-manager")
    text = store.path.read_text()
    assert PASSWORD not in text
    assert json.loads(text)["users"]["tm.cho"]["role"] == "team-manager"
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600


def test_authenticate(tmp_path: Path) -> None:
    store = UserStore(tmp_path / "users.json")
    store.add("sw.ali", PASSWORD, "social-worker", ["caf"])
    staff = store.authenticate("sw.ali", PASSWORD)
    assert staff == Staff("sw.ali", Role.SOCIAL_WORKER, ("caf",))
    assert store.authenticate("sw.ali", "not the password") is None
    assert store.authenticate("nobody", PASSWORD) is None


@pytest.mark.parametrize(
    ("username", "password", "role", "queues", "message"),
    [
        ("Bad Name", PASSWORD, "auditor", None, "username"),
        ("sw.ali", "short", "auditor", None, "12 characters"),
        ("sw.ali", PASSWORD, "admin", None, "unknown role"),
        ("sw.ali", PASSWORD, "social-worker", ["nowhere"], "unknown queue"),
    ],
)
def test_bad_accounts_are_refused(
    tmp_path: Path,
    username: str,
    password: str,
    role: str,
    queues: list[str] | None,
    message: str,
) -> None:
    with pytest.raises(UsageError, match=message):
        UserStore(tmp_path / "users.json").add(username, password, role, queues)


def test_a_broken_staff_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "users.json"
    path.write_text("{not json")
    with pytest.raises(ConfigError, match="cannot read staff file"):
        UserStore(path).get("anyone")


def test_roles() -> None:
    worker = Staff("sw.ali", Role.SOCIAL_WORKER, ("caf",))
    manager = Staff("tm.cho", Role.TEAM_MANAGER)
    auditor = Staff("au.dev", Role.AUDITOR)
    assert worker.sees("caf") and not worker.sees("s47")
    assert manager.sees("s47") and auditor.sees("s47")
    assert worker.may_decide(None) and worker.may_decide("sw.ali")
    assert not worker.may_decide("sw.bea")
    assert manager.may_decide("sw.bea")
    assert not auditor.may_decide(None) and not auditor.may(Permission.CLAIM)
    assert auditor.may(Permission.SLA) and not worker.may(Permission.SLA)


def test_the_throttle_counts_recent_failures_only_and_a_success_clears_them() -> None:
    throttle = LoginThrottle(max_failures=3, lockout=timedelta(minutes=10))
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    throttle.failed("sw.ali", start)
    throttle.failed("sw.ali", start + timedelta(minutes=1))
    assert throttle.locked_until("sw.ali", start + timedelta(minutes=2)) is None
    throttle.failed("sw.ali", start + timedelta(minutes=11))  # the first has aged out
    assert throttle.locked_until("sw.ali", start + timedelta(minutes=11)) is None
    throttle.failed("sw.ali", start + timedelta(minutes=11, seconds=5))  # the second too
    assert throttle.locked_until("sw.ali", start + timedelta(minutes=11, seconds=5)) is None
    throttle.failed("sw.ali", start + timedelta(minutes=11, seconds=10))
    until = throttle.locked_until("sw.ali", start + timedelta(minutes=12))
    assert until == start + timedelta(minutes=21, seconds=10)
    assert throttle.locked_until("nobody", start) is None
    throttle.succeeded("sw.ali")
    assert throttle.locked_until("sw.ali", start + timedelta(minutes=12)) is None
