"""Two processes appending to one log at once never fork the chain or log a decision twice."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mash.audit.store import open_log
from mash.audit.verify import verify_log

MakeDecision = Callable[..., dict[str, Any]]

APPENDER = """
import json, random, sys
from mash.audit.store import open_log
url, path, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
decisions = json.loads(open(path).read())
rng = random.Random(seed)
written = 0
with open_log(url) as log:
    print("ready", flush=True)
    sys.stdin.readline()  # start together
    while decisions:
        size = rng.randint(1, 40)
        batch, decisions = decisions[:size], decisions[size:]
        written += log.append(batch)
print(written)
"""


def test_concurrent_appenders_share_one_chain(
    db_url: str, make_decision: MakeDecision, tmp_path: Path
) -> None:
    with open_log(db_url) as log:  # migrate once up front, as a deployment would
        assert log.count() == 0
    ranges = {"a": range(0, 1200), "b": range(600, 1800)}  # 600 ids in both
    processes = []
    for seed, (name, ids) in enumerate(ranges.items()):
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps([make_decision(i) for i in ids]))
        process = subprocess.Popen(
            [sys.executable, "-c", APPENDER, db_url, str(path), str(seed)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert process.stdout is not None and process.stdout.readline().strip() == "ready"
        processes.append(process)
    for process in processes:
        assert process.stdin is not None
        process.stdin.write("go\n")
        process.stdin.flush()
    written = []
    for process in processes:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
        written.append(int(out.strip().splitlines()[-1]))
    assert sum(written) == 1800  # every id once, whoever won each race
    with open_log(db_url) as log:
        logged = [d["decision_id"] for d in log.iter_decisions()]
        report = verify_log(log)
        seqs = [row["seq"] for row in log.entry_rows()]
    assert len(logged) == len(set(logged)) == 1800
    assert set(logged) == {f"dec-{i:06d}" for i in range(1800)}
    assert seqs == list(range(1, 1801))
    assert report.ok, report.first
