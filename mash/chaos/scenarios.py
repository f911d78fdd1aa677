"""The chaos scenarios: real workers, sinks and brokers, a real fault, and a count in the log.

Every scenario has the same skeleton (:func:`run`): publish the cross-agency records, start a
worker and a decision-log sink, feed referrals paced from a thread as agencies do (acks=all),
inject the fault while they flow, wait for the log to catch up, stop everything, drain the
topic into the log with a fresh sink, and count the log against what the broker acknowledged
(:mod:`mash.chaos.tally`). A scenario is the fault plus its own extra checks.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mash.avro.registry import Registry
from mash.chaos import tally
from mash.chaos.fuzz import mutate
from mash.chaos.harness import Feed, logged_count, logged_decisions, read_topic, wait_for_log
from mash.chaos.processes import Message, Worker, Workers, record_messages, referral_message
from mash.chaos.processes import workers as worker_pool
from mash.chaos.proxy import Proxy
from mash.domain.decision import DecisionRecord
from mash.domain.referral import Referral
from mash.domain.routes import Route
from mash.errors import MashError, UsageError
from mash.topics import Topics

if TYPE_CHECKING:
    from mash.chaos.cluster import Cluster

Accepted = Referral | None


@dataclass(frozen=True)
class Stage:
    """Where a scenario runs: a broker, a topic prefix of its own, a scratch directory."""

    bootstrap: str
    topics: Topics
    home: Path


@dataclass(frozen=True)
class Size:
    """How much load and how many faults: ``rate`` referrals/s, ``faults`` injections."""

    referrals: int
    faults: int
    rate: float
    fuzz: int = 0
    outage_s: float = 0.0


@dataclass
class Run:
    """The processes of one scenario run, restarted as the scenario says."""

    stage: Stage
    pool: Workers
    feed: Feed
    db_url: str
    rng: random.Random
    sink_db_url: str
    worker_options: tuple[str, ...] = ()
    worker: Worker | None = None
    sink: Worker | None = None
    notes: list[str] = field(default_factory=list)
    restarts: int = 0
    unexpected_deaths: int = 0
    worker_alive_at_end: bool = False

    def start_worker(self) -> None:
        self.restarts += 1
        self.worker = self.pool.start(f"worker-{self.restarts}", *self.worker_options)

    def start_sink(self) -> None:
        self.restarts += 1
        self.sink = self.pool.start_sink(f"sink-{self.restarts}", self.sink_db_url)

    def keep_alive(self) -> None:
        """Restart a worker or sink that died on its own (counted: it is a finding)."""
        if self.worker is not None and not self.worker.alive():
            self.unexpected_deaths += 1
            self.start_worker()
        if self.sink is not None and not self.sink.alive():
            self.unexpected_deaths += 1
            self.start_sink()

    def fault_times(self, count: int) -> list[float]:
        """``count`` random moments within the feed's expected duration (seconds from now),
        one in each of ``count`` equal slots: random points, but never all in one worker's
        start-up (a kill before the last restart routed anything proves little)."""
        span = len(self.feed.messages) / max(1, self.feed.chunk) * self.feed.pause_s
        slot = 0.9 * span / max(1, count)
        return [0.1 * span + slot * (k + self.rng.uniform(0.2, 1.0)) for k in range(count)]


Fault = Callable[[Run], None]
Check = Callable[[Run, list[DecisionRecord]], list[str]]


# --------------------------------------------------------------------------- data


@dataclass
class Dataset:
    """What a scenario feeds: the record topics' messages, the referral messages, and per
    message the referral the worker must route (``None``: it must be dead-lettered). A
    scenario may alter messages before the run (fuzzing, poison records)."""

    registry: Registry
    records: list[Message]
    messages: list[Message]
    accepted: list[Accepted]


def dataset(topics: Topics, n: int, seed: int) -> Dataset:
    """The seed's generated records and referrals, framed with the default registry."""
    registry = Registry.default()
    from collections import defaultdict

    from mash.generate import generate, generate_records

    records: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for kind, row in generate_records(n, seed=seed):
        records[kind].append(row)
    referrals = list(generate(n, seed=seed))
    messages = [
        referral_message(registry, topics, agency, obj, i)
        for i, (agency, obj) in enumerate(referrals)
    ]
    accepted = [tally.accepted(agency, obj) for agency, obj in referrals]
    return Dataset(registry, record_messages(registry, topics, records), messages, accepted)


def sleep_until(began: float, at_s: float) -> None:
    time.sleep(max(0.0, began + at_s - time.monotonic()))


# --------------------------------------------------------------------------- skeleton


def run(
    name: str,
    stage: Stage,
    size: Size,
    fault: Fault,
    data: Dataset,
    *,
    seed: int,
    worker_options: tuple[str, ...] = (),
    check: Check | None = None,
    db_url: str | None = None,
    sink_db_url: str | None = None,
) -> tally.Result:
    """Feed ``data`` through a worker and a sink while ``fault`` strikes; count the log.

    The log is a SQLite file of the run's own unless ``db_url`` names another; the sinks under
    fault write through ``sink_db_url`` when given (a proxy that can cut the database), while
    the counting and the final drain always use ``db_url`` itself."""
    began = time.monotonic()
    db_url = db_url or f"sqlite:///{stage.home / f'{name}.db'}"
    chunk = max(1, int(size.rate / 2))
    feed = Feed(stage.bootstrap, data.messages, chunk=chunk, pause_s=0.5)
    with worker_pool(stage.bootstrap, stage.topics, stage.home) as pool:
        from mash.chaos.processes import Publisher

        publisher = Publisher(stage.bootstrap)
        publisher.send(data.records)
        publisher.close()
        state = Run(
            stage, pool, feed, db_url, random.Random(seed), sink_db_url or db_url, worker_options
        )
        state.start_worker()
        state.start_sink()
        feed.start()
        fault(state)
        feed.join()
        expected = tally.expected_children(data.accepted[i] for i in feed.acked)
        wait_for_log(db_url, len(expected), state.keep_alive)
        state.worker_alive_at_end = state.worker is not None and state.worker.alive()
        for process in (state.worker, state.sink):
            if process is not None:
                with contextlib.suppress(AssertionError):
                    process.stop(60)
        final = pool.start_sink("sink-final", db_url, "--until-idle", "3")
        final.wait(300)
        logged = logged_decisions(db_url)
        counts = tally.count(expected, logged)
        problems = check(state, logged) if check is not None else []
        notes = [*state.notes, *problems]
        if feed.failed:
            notes.append(f"{len(feed.failed)} sends not acknowledged (agency must resend)")
        if state.unexpected_deaths:
            notes.append(f"{state.unexpected_deaths} process deaths not caused by the fault")
        if counts.lost_examples:
            notes.append("lost e.g. " + ", ".join(counts.lost_examples))
    ok = counts.lost == 0 and counts.duplicated == 0 and not problems
    return tally.Result(
        name,
        len(feed.acked),
        counts.children_expected,
        counts.decided,
        counts.lost,
        counts.duplicated,
        time.monotonic() - began,
        notes,
        ok,
    )


# --------------------------------------------------------------------------- 1, 2: kill -9


def kill_processes(which: str, count: int) -> Fault:
    """SIGKILL the worker (or the sink) ``count`` times at random moments; restart at once."""

    def fault(state: Run) -> None:
        began = time.monotonic()
        for at in state.fault_times(count):
            sleep_until(began, at)
            target = state.worker if which == "worker" else state.sink
            assert target is not None
            target.kill()
            if which == "worker":
                state.start_worker()
            else:
                state.start_sink()
        state.notes.append(f"{count} {which} kill -9 at random points")

    return fault


def worker_kill(stage: Stage, size: Size, seed: int = 1) -> tally.Result:
    data = dataset(stage.topics, size.referrals, seed)
    return run("worker-kill", stage, size, kill_processes("worker", size.faults), data, seed=seed)


def sink_kill(stage: Stage, size: Size, seed: int = 2) -> tally.Result:
    data = dataset(stage.topics, size.referrals, seed)
    return run("sink-kill", stage, size, kill_processes("sink", size.faults), data, seed=seed)


# --------------------------------------------------------------------------- 3: broker


@contextlib.contextmanager
def own_broker(home: Path) -> Iterator[Any]:
    """A single-node broker of the scenario's own: own data dir, free ports; stopped after."""
    from mash.broker import lifecycle
    from mash.broker.config import BrokerConfig
    from mash.broker.prereqs import free_port

    port = free_port()
    controller = free_port()
    while controller == port:
        controller = free_port()
    config = replace(
        BrokerConfig.from_settings(),
        data_dir=home / "broker",
        port=port,
        controller_port=controller,
        heap_mb=512,
    )
    lifecycle.start(config)
    try:
        yield config
    finally:
        lifecycle.stop(config)


def broker_kill(stage: Stage, size: Size, seed: int = 3) -> tally.Result:
    """Scenario 3: ``stage.bootstrap`` is ignored; the scenario runs on a broker of its own."""
    from mash.broker import lifecycle, process
    from mash.broker.topics import create_topics

    with own_broker(stage.home) as config:
        topics = stage.topics
        create_topics(config.bootstrap, topics, 2)
        own = Stage(config.bootstrap, topics, stage.home)

        def fault(state: Run) -> None:
            began = time.monotonic()
            for at in state.fault_times(size.faults):
                sleep_until(began, at)
                pid = process.read_pid(config.pid_file)
                assert pid is not None, "the scenario's broker has no pid file"
                os.kill(pid, signal.SIGKILL)
                down = time.monotonic()
                time.sleep(state.rng.uniform(2.0, 5.0))
                result = lifecycle.start(config)
                state.notes.append(
                    f"broker kill -9, back after {time.monotonic() - down:.1f} s"
                    f" (recovered={result.recovered_from_dead})"
                )

        return run(
            "broker-kill", own, size, fault, dataset(topics, size.referrals, seed), seed=seed
        )


# --------------------------------------------------------------------------- 4: cluster


def wait_new_leader(
    nodes: Cluster, topic: str, partition: int, old: int, timeout_s: float = 60.0
) -> int | None:
    """The partition's leader once it is no longer ``old`` (the controller fenced the dead
    node and elected an in-sync replica), or None if none was elected in time."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with contextlib.suppress(MashError):
            leader = nodes.leader(topic, partition)
            if leader not in (old, -1):
                return leader
        time.sleep(0.5)
    return None


def leader_kills(nodes: Cluster, topic: str, partitions: int, count: int) -> Fault:
    """SIGKILL the leader of a partition of ``topic`` ``count`` times (cycling through its
    partitions) at random moments while referrals flow; restart the node after a few seconds
    and wait until it is back in sync, so no kill ever leaves fewer than two replicas."""

    def fault(state: Run) -> None:
        began = time.monotonic()
        for k, at in enumerate(state.fault_times(count)):
            sleep_until(began, at)
            partition = k % partitions
            leader = nodes.leader(topic, partition)
            nodes.kill(leader)
            down = time.monotonic()
            elected = wait_new_leader(nodes, topic, partition, leader)
            took = time.monotonic() - down
            time.sleep(state.rng.uniform(2.0, 5.0))
            nodes.start(leader)
            synced = nodes.wait_in_sync(topic)
            state.notes.append(
                f"leader node {leader} of {topic.rsplit('.', 1)[-1]}[{partition}] kill -9"
                f" at {len(state.feed.acked)} acked; new leader {elected} after {took:.1f} s;"
                f" back in sync={synced} after {time.monotonic() - down:.0f} s"
            )
            if elected is None:
                state.notes.append("no new leader elected within 60 s")

    return fault


def cluster_leader_kill(stage: Stage, size: Size, seed: int = 4) -> tally.Result:
    """Scenario 4: ``stage.bootstrap`` is ignored; three nodes of ``deploy/cluster`` of its own
    (RF 3, min.insync.replicas 2, unclean election off), the feed on acks=all."""
    from mash.broker.topics import create_topics
    from mash.chaos.cluster import cluster

    partitions = 2
    with cluster(stage.home / "cluster") as nodes:
        topics = stage.topics
        create_topics(nodes.bootstrap, topics, partitions)
        own = Stage(nodes.bootstrap, topics, stage.home)
        data = dataset(topics, size.referrals, seed)
        counts: dict[str, int] = {}
        for topic, _, _ in data.messages:
            counts[topic] = counts.get(topic, 0) + 1
        target = max(counts, key=lambda t: counts[t])  # the busiest ingest topic
        described = nodes.describe(target)
        replicas = {len(p["replicas"]) for p in described}

        def check(state: Run, logged: list[DecisionRecord]) -> list[str]:
            state.notes.insert(0, f"3 nodes, {target} replicas per partition {sorted(replicas)}")
            kills = sum("kill -9" in note for note in state.notes)
            problems = [] if replicas == {3} else ["the ingest topic is not replicated 3 times"]
            if kills != size.faults:
                problems.append(f"{kills} leader kills, expected {size.faults}")
            if any("in sync=False" in note or "within 60 s" in note for note in state.notes):
                problems.append("a partition stayed under-replicated or leaderless")
            return problems

        return run(
            "cluster-leader-kill",
            own,
            size,
            leader_kills(nodes, target, partitions, size.faults),
            data,
            seed=seed,
            check=check,
        )


# --------------------------------------------------------------------------- 5: fuzz


def fuzzed(
    registry: Registry,
    messages: Sequence[Message],
    accepted: Sequence[Accepted],
    count: int,
    seed: int,
) -> tuple[list[Message], list[Accepted], set[int]]:
    """``count`` mutated payloads interleaved with the valid ``messages``.

    Returns the mixed messages, the referral the worker must route for each (the worker's own
    pure decode and validate decide which mutations are bad), and the positions of the bad."""
    rng = random.Random(seed)
    out: list[Message] = []
    routed: list[Accepted] = []
    bad: set[int] = set()
    for i, (message, referral) in enumerate(zip(messages, accepted, strict=True)):
        out.append(message)
        routed.append(referral)
        for _ in range(count // len(messages) + (1 if i < count % len(messages) else 0)):
            topic, _key, value = rng.choice(messages)
            agency = topic.rsplit(".", 1)[-1]
            _, payload = mutate(value or b"", rng)
            verdict = tally.accepted_bytes(registry, agency, payload)
            if verdict is None:
                bad.add(len(out))
            out.append((topic, f"fuzz-{len(out)}".encode(), payload))
            routed.append(verdict)
    return out, routed, bad


def fuzz(stage: Stage, size: Size, seed: int = 5) -> tally.Result:
    valid = dataset(stage.topics, size.referrals, seed)
    registry = valid.registry
    messages, routed, bad = fuzzed(registry, valid.messages, valid.accepted, size.fuzz, seed)
    first: list[Worker] = []

    def fault(state: Run) -> None:
        assert state.worker is not None
        first.append(state.worker)
        state.notes.append(f"{size.fuzz} mutated payloads, {len(bad)} undecodable or invalid")

    def check(state: Run, logged: list[DecisionRecord]) -> list[str]:
        problems = []
        survived = bool(first) and first[0] is state.worker and state.worker_alive_at_end
        if not survived:
            problems.append("the worker crashed (the pid alive at the end is not the first)")
        else:
            state.notes.append(f"worker pid {first[0].pid} alive from start to end")
        letters = {}
        for message in read_topic(stage.bootstrap, stage.topics.deadletter):
            record = registry.decode(message.value, "deadletter")
            letters[(record["key"], record["value"])] = record["reason"]
        sent_bad = [i for i in bad if i in state.feed.acked]
        missing = [i for i in sent_bad if not letters.get((messages[i][1], messages[i][2]))]
        state.notes.append(
            f"{len(sent_bad) - len(missing)} of {len(sent_bad)} bad payloads "
            "dead-lettered with a reason and their original bytes"
        )
        if missing:
            problems.append(f"{len(missing)} bad payloads not dead-lettered")
        return problems

    return run(
        "fuzz",
        stage,
        size,
        fault,
        replace(valid, messages=messages, accepted=routed),
        seed=seed,
        check=check,
    )


# --------------------------------------------------------------------------- 6: database


POSTGRES_ENV = "MASH_TEST_POSTGRES_URL"
"""The PostgreSQL database scenario db-outage logs into (a schema of its own, dropped after)."""


def via_proxy(url: str, proxy: Proxy) -> str:
    """``url`` pointed at ``proxy`` instead of the database server."""
    from sqlalchemy.engine import make_url

    routed = make_url(url).set(host="127.0.0.1", port=proxy.port)
    return routed.render_as_string(hide_password=False)


def db_outage(stage: Stage, size: Size, seed: int = 6) -> tally.Result:
    """Scenario 6: the sink's database vanishes for ``size.outage_s`` (``size.faults`` times)
    while referrals flow; the sink must wait and retry (not die, not skip), then catch up.

    The database is cut with a TCP proxy between the sink and PostgreSQL rather than by
    stopping the server, which is shared: to the sink it is the same (connections reset, new
    ones refused)."""
    from sqlalchemy.engine import make_url

    from mash.audit.store import open_log, scratch_schema

    base = os.environ.get(POSTGRES_ENV)
    if not base:
        raise UsageError(f"scenario db-outage needs {POSTGRES_ENV} (a PostgreSQL URL)")
    with scratch_schema(base, "chaos") as db_url:
        with open_log(db_url):
            pass  # create the tables before the outage: the cut then lands in the work
        target = make_url(db_url)
        proxy = Proxy(target.host or "127.0.0.1", target.port or 5432)
        proxy.up()
        survived: list[bool] = []

        def fault(state: Run) -> None:
            began = time.monotonic()
            for at in state.fault_times(size.faults):
                sleep_until(began, at)
                before = logged_count(db_url)
                sink = state.sink
                proxy.down()
                time.sleep(size.outage_s)
                survived.append(sink is state.sink and sink is not None and sink.alive())
                during = logged_count(db_url) - before
                proxy.up()
                back = time.monotonic()
                while logged_count(db_url) <= before + during and time.monotonic() - back < 120:
                    time.sleep(0.5)
                state.notes.append(
                    f"database cut for {size.outage_s:.0f} s at {before} logged "
                    f"({during} written during the cut); writing again "
                    f"{time.monotonic() - back:.1f} s after it came back"
                )

        def check(state: Run, logged: list[DecisionRecord]) -> list[str]:
            problems = []
            if not all(survived):
                problems.append("the sink died during a database outage instead of waiting")
            retries = sum(
                log.read_text(errors="replace").count("retrying")
                for log in stage.home.glob("sink-*.log")
            )
            state.notes.append(f"sink logged {retries} retry messages")
            if retries == 0:
                problems.append("the sink never said it was retrying")
            return problems

        try:
            return run(
                "db-outage",
                stage,
                size,
                fault,
                dataset(stage.topics, size.referrals, seed),
                seed=seed,
                check=check,
                db_url=db_url,
                sink_db_url=via_proxy(db_url, proxy),
            )
        finally:
            proxy.down()


# --------------------------------------------------------------------------- 7: poison


POISON_ATTENDANCE = 13.125
POISON_RULE = f"""rules:
  - id: chaos.poison
    level: 1
    reason: A rule that divides by zero for one attendance figure (chaos scenario 7).
    when: "attendance_known && attendance_percent == {POISON_ATTENDANCE} && 1 / (age_years - \
age_years) > 0"
    guidance: none; a deliberately broken rule, to prove a rule error never stalls a partition.
"""


def poison_rules(home: Path) -> Path:
    """The shipped rule set plus one rule that raises at run time (integer division by zero)
    for a child whose school attendance is exactly ``POISON_ATTENDANCE``: a rules-file bug, the
    way it happens in production, with no hook in the worker's code."""
    shipped = (resources.files("mash.rules") / "default.yaml").read_text()
    path = home / "poison-rules.yaml"
    path.write_text(shipped.replace("rules:\n", POISON_RULE, 1))
    return path


def poison(stage: Stage, size: Size, seed: int = 7) -> tally.Result:
    from mash.generate import generate

    data = dataset(stage.topics, size.referrals, seed)
    registry, messages, accepted = data.registry, data.messages, data.accepted
    referrals = list(generate(size.referrals, seed=seed))
    councils = [
        i
        for i, (agency, _) in enumerate(referrals)
        if agency == "council" and accepted[i] is not None
    ]
    step = max(1, len(councils) // (size.faults + 1))
    poisoned = set(councils[step // 2 :: step][: size.faults])
    for i in poisoned:
        agency, obj = referrals[i]
        obj = {**obj, "attendance_percent": POISON_ATTENDANCE}
        messages[i] = referral_message(registry, stage.topics, agency, obj, i)
        accepted[i] = tally.accepted(agency, obj)
    poisoned_ids = {
        (accepted[i].agency, accepted[i].source_id)  # type: ignore[union-attr]
        for i in poisoned
    }
    rules = poison_rules(stage.home)

    def fault(state: Run) -> None:
        state.notes.append(f"{len(poisoned)} poison referrals under a rule that raises")

    def check(state: Run, logged: list[DecisionRecord]) -> list[str]:
        problems = []
        flagged = {(d["agency"], d["source_id"]) for d in logged if "ENGINE_ERROR" in d["flags"]}
        if flagged != poisoned_ids:
            problems.append(
                f"ENGINE_ERROR on {len(flagged)} referrals, expected {len(poisoned_ids)}"
            )
        for d in logged:
            if (d["agency"], d["source_id"]) in poisoned_ids and not (
                d["route"] == Route.ASSESSMENT
                and [r["id"] for r in d["rules"]] == ["engine.error"]
                and d["rules"][0]["evidence"].get("error")
            ):
                problems.append(
                    f"poison child {d['decision_id']} not sent to assessment "
                    "with the engine error logged"
                )
        decided = {(d["agency"], d["source_id"]) for d in logged}
        later = _later_on_same_partition(state.feed, messages, poisoned)
        behind = [
            i
            for i in later
            if accepted[i] is not None
            and (accepted[i].agency, accepted[i].source_id)  # type: ignore[union-attr]
            not in decided
        ]
        state.notes.append(
            f"{len(later) - len(behind)} of {len(later)} later referrals on "
            "the poisoned partitions decided"
        )
        if behind:
            problems.append(f"{len(behind)} referrals behind a poison record not decided")
        return problems

    return run(
        "poison",
        stage,
        size,
        fault,
        data,
        seed=seed,
        worker_options=("--rules", str(rules)),
        check=check,
    )


def _later_on_same_partition(
    feed: Feed, messages: Sequence[Message], poisoned: set[int]
) -> list[int]:
    """Messages acknowledged after a poison record on the same topic partition."""
    later: set[int] = set()
    for p in poisoned:
        if p not in feed.acked:
            continue
        at = feed.acked[p]
        later |= {
            i
            for i, sent in feed.acked.items()
            if messages[i][0] == messages[p][0]
            and sent.partition == at.partition
            and sent.offset > at.offset
        }
    return sorted(later)


# --------------------------------------------------------------------------- the catalogue


Scenario = Callable[[Stage, Size], tally.Result]

SCENARIOS: dict[str, tuple[Scenario, Size, Size]] = {
    # name: (function, quick size, full size)
    "worker-kill": (worker_kill, Size(2000, 3, 60.0), Size(50000, 20, 300.0)),
    "sink-kill": (sink_kill, Size(2000, 3, 80.0), Size(20000, 10, 300.0)),
    "broker-kill": (broker_kill, Size(1500, 1, 60.0), Size(20000, 3, 200.0)),
    "fuzz": (fuzz, Size(500, 0, 60.0, fuzz=1000), Size(5000, 0, 200.0, fuzz=10000)),
    "poison": (poison, Size(500, 5, 80.0), Size(5000, 20, 200.0)),
    "db-outage": (
        db_outage,
        Size(1500, 1, 60.0, outage_s=8.0),
        Size(10000, 1, 200.0, outage_s=30.0),
    ),
    "cluster-leader-kill": (cluster_leader_kill, Size(1200, 2, 20.0), Size(5000, 5, 25.0)),
}
SHARED_BROKER = ("worker-kill", "sink-kill", "fuzz", "poison", "db-outage")
"""Scenarios that run on the shared broker (topics of their own); the others bring theirs."""


def unavailable(name: str) -> str | None:
    """Why scenario ``name`` cannot run here (a missing prerequisite), or None."""
    if name == "db-outage" and not os.environ.get(POSTGRES_ENV):
        return f"{POSTGRES_ENV} is not set"
    return None
