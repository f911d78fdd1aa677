"""The versioned rule set (data) and its loader.

``load_rules(path=None)`` compiles a rules file (default: the shipped ``default.yaml``) into a
:class:`~mash.domain.thresholds.RuleSet`; ``check_rules_file`` reports every problem in one.
"""

from mash.rules.loader import (
    DEFAULT_RULES,
    RuleFileReport,
    check_rules_bytes,
    check_rules_file,
    load_rules,
    rules_from_bytes,
    version_of,
)

__all__ = [
    "DEFAULT_RULES",
    "RuleFileReport",
    "check_rules_bytes",
    "check_rules_file",
    "load_rules",
    "rules_from_bytes",
    "version_of",
]
