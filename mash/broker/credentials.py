"""The principals' secrets: generated once, kept in ``$MASH_HOME/secrets/`` (mode 0600).

Why files and not the repository or the environment of the set-up command: a password in the
repository is a password for everyone with a clone, and one in a command line is in ``ps``.
Each principal's password is a file of its own, created with ``O_EXCL`` so two set-ups racing
each other cannot overwrite one another, in a directory only the owner can list. Passwords leave
these files in exactly one place: ``mash broker credentials PRINCIPAL``, on explicit request.
What a client makes of a password (:func:`mash.kafka.security_for`, the credentials document)
is :mod:`mash.kafka.options`' business: this module only keeps the secrets.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
from pathlib import Path

from mash.errors import ConfigError, UsageError

_PRINCIPAL = re.compile(r"^[a-z][a-z0-9-]{0,62}$")


def check_principal(name: str) -> str:
    """A principal name is also a file name here: lower-case letters, digits and dashes only."""
    if not _PRINCIPAL.match(name):
        raise UsageError(
            f"principal {name!r} is not a name like 'police' or 'mash-router' "
            "(lower-case letters, digits and dashes)"
        )
    return name


def _secret_file(directory: Path, principal: str) -> Path:
    return directory / f"{check_principal(principal)}.password"


def ensure_password(directory: Path, principal: str) -> str:
    """The principal's password, generated (and kept) the first time it is asked for."""
    directory.mkdir(parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    path = _secret_file(directory, principal)
    with contextlib.suppress(FileExistsError):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(32) + "\n")
    return read_password(directory, principal)


def read_password(directory: Path, principal: str) -> str:
    """A password made earlier; a missing one says how to make it (never what it is)."""
    path = _secret_file(directory, principal)
    try:
        password = path.read_text().strip()
    except FileNotFoundError:
        raise ConfigError(
            f"no password for {principal!r} in {directory}: run `mash acl apply` "
            "(or `mash broker start --secure` for the admin) first"
        ) from None
    if not password:
        raise ConfigError(f"the password file of {principal!r} in {directory} is empty")
    return password
