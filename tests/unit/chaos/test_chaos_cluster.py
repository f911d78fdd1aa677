"""The chaos cluster runs the deployed configuration: only ports and data dirs are rewritten."""

from __future__ import annotations

from pathlib import Path

import pytest

from mash.chaos.cluster import DEPLOY_DIR, NODES, node_properties, read_properties

PORTS = {1: (41001, 41002), 2: (42001, 42002), 3: (43001, 43002)}


def test_read_properties_skips_comments_and_keeps_values_with_equals(tmp_path: Path) -> None:
    path = tmp_path / "x.properties"
    path.write_text(
        "# comment\n\n! other\na.b = 1\nlisteners=PLAINTEXT://h:1,X://h:2\nopts=-Dx=y\n"
    )
    assert read_properties(path) == {
        "a.b": "1",
        "listeners": "PLAINTEXT://h:1,X://h:2",
        "opts": "-Dx=y",
    }


@pytest.mark.parametrize("node", NODES)
def test_node_properties_keep_durability_and_move_ports(node: int, tmp_path: Path) -> None:
    template = read_properties(DEPLOY_DIR / f"server-{node}.properties")
    props = node_properties(template, node, PORTS, tmp_path / "data")
    client, controller = PORTS[node]
    assert props["node.id"] == str(node)
    assert props["listeners"] == (
        f"PLAINTEXT://127.0.0.1:{client},CONTROLLER://127.0.0.1:{controller}"
    )
    assert props["advertised.listeners"] == f"PLAINTEXT://127.0.0.1:{client}"
    assert props["controller.quorum.voters"] == (
        "1@127.0.0.1:41002,2@127.0.0.1:42002,3@127.0.0.1:43002"
    )
    assert props["log.dirs"] == str(tmp_path / "data")
    for key in (
        "default.replication.factor",
        "min.insync.replicas",
        "unclean.leader.election.enable",
        "offsets.topic.replication.factor",
    ):
        assert props[key] == template[key]
    assert (
        props["default.replication.factor"],
        props["min.insync.replicas"],
        props["unclean.leader.election.enable"],
    ) == ("3", "2", "false")
    assert not any("19092" in v or "29093" in v for v in props.values())
