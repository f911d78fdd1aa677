"""A secure broker of the security tests' own: SASL/SCRAM, ACLs from deploy/security/acls.yaml.

Session-scoped: one throwaway broker (its own data dir, secrets dir and free ports; the CLI's
jars cache) for every test in this directory, stopped at the end. It never touches the shared
development broker or the test session's PLAINTEXT broker.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from secure_harness import SecureBroker

from mash.broker.config import ADMIN_USER, BrokerConfig
from mash.kafka import security_for
from mash.topics import Topics


def secure_config(base: Path) -> BrokerConfig:
    from mash.broker.prereqs import free_port

    ports: set[int] = set()
    while len(ports) < 3:
        ports.add(free_port())
    port, controller, internal = sorted(ports)
    return replace(
        BrokerConfig.from_settings(),
        data_dir=base / "broker",
        secrets_dir=base / "secrets",
        port=port,
        controller_port=controller,
        internal_port=internal,
        heap_mb=384,
        secure=True,
    )


@pytest.fixture(scope="session")
def secure_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureBroker]:
    """Start the broker, create the topics and apply the ACL file as the admin; stop at the end."""
    from mash.broker import lifecycle
    from mash.broker.acls import apply_policy, load_policy
    from mash.broker.topics import create_topics
    from mash.errors import MashError

    base = tmp_path_factory.mktemp("secure-mash-home")
    config = secure_config(base)
    try:
        lifecycle.start(config)
    except MashError as exc:
        if os.environ.get("MASH_REQUIRE_BROKER") == "1":
            pytest.fail(f"cannot start the secure broker: {exc}", pytrace=False)
        pytest.skip(f"cannot start the secure broker: {exc}")
    try:
        topics = Topics("")
        admin = security_for(config.secrets, ADMIN_USER)
        with pytest.MonkeyPatch.context() as patch:
            for name, value in SecureBroker(config, topics).env(ADMIN_USER).items():
                patch.setenv(name, value)
            create_topics(config.bootstrap, topics, 2)
        apply_policy(config.bootstrap, load_policy(), config.secrets, admin)
        yield SecureBroker(config, topics)
    finally:
        lifecycle.stop(config)
