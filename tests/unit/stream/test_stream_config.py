"""Worker settings: names from MASH_* settings, checks on options, Faust's configuration."""

from __future__ import annotations

from pathlib import Path

import pytest

from mash.config import Settings
from mash.errors import UsageError
from mash.stream.app import worker_settings
from mash.stream.config import WorkerConfig
from mash.topics import Topics


def config(**changes: object) -> WorkerConfig:
    values: dict[str, object] = {
        "bootstrap": "h1:9092, h2:9092",
        "topics": Topics("p."),
        "group": "p.mash-worker",
        "data_dir": Path("/tmp/x"),
    }
    values.update(changes)
    return WorkerConfig(**values)  # type: ignore[arg-type]


def test_from_settings_prefixes_the_group_and_topics(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, bootstrap="b:1", topic_prefix="t1.")
    made = WorkerConfig.from_settings(settings)
    assert made.group == "t1.mash-worker"
    assert made.topics.referrals("police") == "t1.mash.referrals.police"
    assert made.data_dir == tmp_path / "worker" / "t1.mash-worker"
    assert WorkerConfig.from_settings(settings, group="other").group == "other"


@pytest.mark.parametrize(
    "changes",
    [{"batch_size": 0}, {"records_wait_s": -1}, {"session_timeout_s": 3}, {"web_port": 70000}],
)
def test_bad_options_are_usage_errors(changes: dict[str, object]) -> None:
    with pytest.raises(UsageError):
        config(**changes)


def test_faust_runs_at_least_once_without_a_web_server_unless_asked() -> None:
    settings = worker_settings(config(), "memory://")
    assert settings["processing_guarantee"] == "at_least_once"
    assert settings["web_enabled"] is False
    assert settings["consumer_auto_offset_reset"] == "earliest"
    with_web = worker_settings(config(web_port=6070), "memory://")
    assert (with_web["web_enabled"], with_web["web_port"]) == (True, 6070)
