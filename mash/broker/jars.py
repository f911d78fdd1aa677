"""The broker's jars: resolved once from Maven Central into a cache outside the repository.

The cache (``$MASH_JARS``, default ``$MASH_HOME/jars``) is keyed on the hash of the shipped
``pom.xml``: a marker file records which pom the jars came from, so a changed pom (e.g. a new
Kafka version) resolves again and an unchanged one costs nothing. Maven's own repository
(``~/.m2`` or ``$MASH_MAVEN_REPO``) keeps downloads across caches and CI runs.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from importlib import resources
from pathlib import Path

from mash.broker.config import BrokerConfig
from mash.broker.prereqs import require_maven
from mash.broker.process import file_lock
from mash.errors import BrokerError

MAVEN_TIMEOUT_S = 900


def pom_text() -> bytes:
    """The pom shipped as package data (it lists Kafka and the logging binding)."""
    return (resources.files("mash.broker") / "pom.xml").read_bytes()


def pom_hash(pom: bytes) -> str:
    return hashlib.sha256(pom).hexdigest()[:16]


def marker_path(jars_dir: Path, digest: str) -> Path:
    return jars_dir / f".resolved-{digest}"


def jars_ready(jars_dir: Path, pom: bytes | None = None) -> bool:
    """True when the cache holds the jars of exactly this pom."""
    digest = pom_hash(pom if pom is not None else pom_text())
    return marker_path(jars_dir, digest).exists() and any(jars_dir.glob("kafka_2.13-*.jar"))


def maven_command(mvn: str, pom: Path, output: Path, repo: Path | None) -> list[str]:
    """``mvn dependency:copy-dependencies``; quiet, batch mode, no colour codes in our output."""
    command = [
        mvn,
        "-q",
        "-B",
        "-Dstyle.color=never",
        "-f",
        str(pom),
        "dependency:copy-dependencies",
        f"-DoutputDirectory={output}",
        "-DincludeScope=runtime",
    ]
    if repo is not None:
        command.append(f"-Dmaven.repo.local={repo}")
    return command


def ensure_jars(config: BrokerConfig, report: Callable[[str], None] = lambda _: None) -> Path:
    """Resolve the jars into ``config.jars_dir`` unless this pom's jars are already there."""
    pom = pom_text()
    if jars_ready(config.jars_dir, pom):
        return config.jars_dir
    # One resolver at a time: a test session and a CLI start may share the cache.
    with file_lock(config.jars_dir / ".lock"):
        if jars_ready(config.jars_dir, pom):  # another process finished while we waited
            return config.jars_dir
        mvn = require_maven()
        report("resolving the Kafka jars from Maven Central (first start only)")
        _resolve(mvn, pom, config)
    return config.jars_dir


def _resolve(mvn: str, pom: bytes, config: BrokerConfig) -> None:
    """Download into a staging directory, then swap it in, so a failed run leaves no half cache."""
    with tempfile.TemporaryDirectory(prefix=".staging-", dir=config.jars_dir) as staging:
        work = Path(staging)
        (work / "pom.xml").write_bytes(pom)
        output = work / "jars"
        command = maven_command(mvn, work / "pom.xml", output, config.maven_repo)
        try:
            result = subprocess.run(
                command,
                cwd=work,
                capture_output=True,
                text=True,
                timeout=MAVEN_TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise BrokerError(
                f"Maven did not resolve the Kafka jars within {MAVEN_TIMEOUT_S} s"
            ) from exc
        jars = sorted(output.glob("*.jar")) if output.exists() else []
        if result.returncode != 0 or not jars:
            tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-15:])
            raise BrokerError(
                "Maven could not resolve the Kafka jars (is Maven Central reachable?):\n" + tail
            )
        for old in [*config.jars_dir.glob("*.jar"), *config.jars_dir.glob(".resolved-*")]:
            old.unlink()
        for jar in jars:
            shutil.move(str(jar), config.jars_dir / jar.name)
        marker_path(config.jars_dir, pom_hash(pom)).write_text(" ".join(j.name for j in jars))
