"""The jars cache: the shipped pom pins what the broker needs, the marker is keyed on it."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from mash.broker.jars import jars_ready, marker_path, maven_command, pom_hash, pom_text

NS = {"m": "http://maven.apache.org/POM/4.0.0"}


def _dependencies() -> dict[str, str]:
    root = ET.fromstring(pom_text())
    props = {el.tag.split("}")[1]: el.text or "" for el in root.find("m:properties", NS) or []}
    found = {}
    for dep in root.iterfind("m:dependencies/m:dependency", NS):
        artifact = dep.findtext("m:artifactId", namespaces=NS) or ""
        version = dep.findtext("m:version", namespaces=NS) or ""
        if version.startswith("${"):
            version = props[version[2:-1]]
        found[artifact] = version
    return found


def test_pom_brings_kafka_and_a_log4j2_binding_with_slf4j_2() -> None:
    deps = _dependencies()

    assert deps["kafka_2.13"] == "4.1.1"
    assert deps["log4j-slf4j2-impl"] == deps["log4j-core"] == "2.24.3"
    # the slf4j2 binding needs slf4j-api 2.x; Kafka alone would bring 1.7.x
    assert deps["slf4j-api"].startswith("2.")


def test_cache_is_ready_only_with_this_poms_marker_and_the_kafka_jar(tmp_path: Path) -> None:
    pom = b"<project/>"
    assert not jars_ready(tmp_path, pom)

    (tmp_path / "kafka_2.13-4.1.1.jar").write_bytes(b"")
    assert not jars_ready(tmp_path, pom)

    marker_path(tmp_path, pom_hash(b"<project>old</project>")).write_text("")
    assert not jars_ready(tmp_path, pom)

    marker_path(tmp_path, pom_hash(pom)).write_text("")
    assert jars_ready(tmp_path, pom)


def test_maven_command_copies_dependencies_to_the_cache(tmp_path: Path) -> None:
    command = maven_command("mvn", tmp_path / "pom.xml", tmp_path / "out", tmp_path / "repo")

    assert "dependency:copy-dependencies" in command
    assert f"-DoutputDirectory={tmp_path / 'out'}" in command
    assert f"-Dmaven.repo.local={tmp_path / 'repo'}" in command
    assert "-B" in command
    assert not any(
        arg.startswith("-Dmaven.repo.local")
        for arg in maven_command("mvn", tmp_path, tmp_path, None)
    )
