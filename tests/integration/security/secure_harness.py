"""What the security tests share: a secure broker handle and how to be one of its principals."""

from __future__ import annotations

from dataclasses import dataclass

from mash.broker.config import BrokerConfig
from mash.kafka import ClientSecurity, security_for
from mash.topics import Topics


@dataclass(frozen=True)
class SecureBroker:
    """A running secure broker and where its secrets are."""

    config: BrokerConfig
    topics: Topics

    @property
    def bootstrap(self) -> str:
        return self.config.bootstrap

    def security(self, principal: str) -> ClientSecurity:
        """Client settings that authenticate as ``principal`` (``security=`` of a factory of
        :mod:`mash.kafka.clients`)."""
        return security_for(self.config.secrets, principal)

    def env(self, principal: str) -> dict[str, str]:
        """A process environment that makes every mash command ``principal`` on this broker.

        The password goes in a file (MASH_SASL_PASSWORD_FILE), as a deployment would do it.
        """
        return {
            "MASH_BOOTSTRAP": self.bootstrap,
            "MASH_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
            "MASH_SASL_MECHANISM": "SCRAM-SHA-512",
            "MASH_SASL_USERNAME": principal,
            "MASH_SASL_PASSWORD_FILE": str(self.config.secrets / f"{principal}.password"),
        }

    def log_lines(self) -> list[str]:
        return self.config.log_file.read_text(errors="replace").splitlines()
