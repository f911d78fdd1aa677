"""The decision log's database adapter: open (and migrate), append under a lock, read.

SQLite by default (a file in WAL mode with ``synchronous=FULL``: a committed decision survives
a power cut), PostgreSQL by URL. Positions in the chain are assigned while holding the log's
write lock (SQLite ``BEGIN IMMEDIATE``; PostgreSQL ``LOCK TABLE ... IN EXCLUSIVE MODE``, which
still lets readers read), so two writers can never extend the same head and fork the chain.
A decision id already in the log is skipped, not an error: replays and redeliveries are
normal in a Kafka pipeline and must not stop it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Table,
    and_,
    create_engine,
    event,
    func,
    insert,
    select,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from mash.audit.canonical import CURRENT_FORMAT, NotCanonical
from mash.audit.chain import GENESIS, access_leaf, chain_hash, row_of, seal
from mash.audit.entries import Prepared, format_instant, jsonable, prepare_entry, unique_by_id
from mash.audit.models import ACCESS, DECISIONS, OFFSETS
from mash.domain.decision import DecisionRecord
from mash.errors import AuditError, UsageError

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "mash_audit_version"
_CHUNK = 500
_PG_MIGRATION_LOCK = 0x6D617368  # "mash": serialises first-time migrations across processes
_WRITE = "mash_write"

Offsets = Mapping[tuple[str, int], int]


@dataclass(frozen=True)
class QueryFilter:
    """What an auditor asks for; every field narrows the answer, None means any."""

    child_key: str | None = None
    source_id: str | None = None
    route: str | None = None
    rule: str | None = None
    since: date | None = None
    until: date | None = None
    kind: str | None = None


def normalise_url(url: str) -> str:
    """Accept the spellings people paste (postgres://, postgresql://) and use psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


@contextmanager
def scratch_schema(url: str, prefix: str) -> Iterator[str]:
    """A fresh schema of a run's own in the PostgreSQL database at ``url``: yields the URL of
    the same database with that schema first on every connection's search path, and drops it
    afterwards whatever happened, so a benchmark or a chaos run never writes into a real log."""
    from uuid import uuid4

    base = normalise_url(url)
    schema = f"{prefix}_{uuid4().hex[:12]}"
    admin = create_engine(base)
    try:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
        scoped = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
        yield scoped.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        admin.dispose()


def masked(url: str) -> str:
    """The URL with any password hidden, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable database URL>"


def _sqlite_events(engine: Engine) -> None:
    """WAL + synchronous=FULL on every connection; BEGIN IMMEDIATE for writers.

    pysqlite's own transaction handling is switched off so that we choose the BEGIN: a
    writer takes the write lock before it reads the chain head, a reader never blocks one.
    """

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in (
            "journal_mode=WAL",
            "synchronous=FULL",
            "busy_timeout=60000",
            "foreign_keys=ON",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        mode = "IMMEDIATE" if conn.get_execution_options().get(_WRITE) else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")


def make_engine(url: str) -> Engine:
    """An engine for a SQLite or PostgreSQL URL; anything else is a usage error."""
    url = normalise_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise UsageError(f"not a database URL: {masked(url)}") from exc
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise UsageError(f"the decision log needs SQLite or PostgreSQL, not {backend!r}")
    if backend == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    try:
        if backend == "sqlite":
            engine = create_engine(url, connect_args={"timeout": 60})
            _sqlite_events(engine)
        else:
            engine = create_engine(url, pool_pre_ping=True)
    except (ArgumentError, NoSuchModuleError) as exc:
        raise UsageError(f"cannot use database URL {masked(url)}: {exc}") from exc
    return engine


def _reason(exc: SQLAlchemyError) -> str:
    """The driver's first line (e.g. the trigger's refusal), never the statement's data."""
    orig = getattr(exc, "orig", None)
    source = orig if orig is not None else exc
    first = str(source).strip().splitlines()[0] if str(source).strip() else ""
    return f"{type(source).__name__}: {first[:300]}"


@contextmanager
def translated(what: str, url: str) -> Iterator[None]:
    """Turn SQLAlchemy errors into AuditError naming the operation and the (masked) URL."""
    try:
        yield
    except SQLAlchemyError as exc:
        raise AuditError(f"{what} failed on {masked(url)}: {_reason(exc)}") from exc


def _alembic_config(connection: Connection) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _at_head(connection: Connection) -> bool:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    heads = set(ScriptDirectory(str(MIGRATIONS)).get_heads())
    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return set(context.get_current_heads()) == heads


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision, holding a lock so two processes cannot race."""
    from alembic import command

    url = str(engine.url)
    with translated("opening the decision log", url), engine.connect() as conn:
        current = _at_head(conn)
    if current:
        return
    with translated("migrating the decision log", url), _writing(engine) as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_MIGRATION_LOCK})")
        command.upgrade(_alembic_config(conn), "head")


@contextmanager
def _writing(engine: Engine) -> Iterator[Connection]:
    """A connection in a write transaction (BEGIN IMMEDIATE on SQLite), committed on exit."""
    with engine.connect() as conn:
        conn.execution_options(**{_WRITE: True})
        with conn.begin():
            yield conn


def _lock(conn: Connection, table: Table) -> None:
    """Take the chain's write lock (SQLite already holds it since BEGIN IMMEDIATE)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"LOCK TABLE {table.name} IN EXCLUSIVE MODE")


def _head(conn: Connection, table: Table) -> tuple[int, bytes]:
    row = conn.execute(
        select(table.c.seq, table.c.entry_hash).order_by(table.c.seq.desc()).limit(1)
    ).first()
    return (0, GENESIS) if row is None else (int(row.seq), bytes.fromhex(row.entry_hash))


def _upsert_offsets(dialect: str, rows: list[dict[str, Any]]) -> Any:
    """INSERT ... ON CONFLICT (topic, partition) DO UPDATE, in the engine's dialect."""
    from sqlalchemy.dialects import postgresql, sqlite

    statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(OFFSETS)
    statement = statement.values(rows)
    return statement.on_conflict_do_update(
        index_elements=[OFFSETS.c.topic, OFFSETS.c.partition],
        set_={"next_offset": statement.excluded.next_offset},
    )


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _conditions(query: QueryFilter) -> list[ColumnElement[bool]]:
    c = DECISIONS.c
    conditions: list[ColumnElement[bool]] = []
    for column, value in (
        (c.child_key, query.child_key),
        (c.source_id, query.source_id),
        (c.route, query.route),
        (c.kind, query.kind),
    ):
        if value is not None:
            conditions.append(column == value)
    if query.rule is not None:
        conditions.append(c.rule_ids.contains(f"|{query.rule}|", autoescape=True))
    if query.since is not None:
        conditions.append(c.decided_at >= _start_of(query.since))
    if query.until is not None:
        conditions.append(c.decided_at < _start_of(query.until + timedelta(days=1)))
    return conditions


class DecisionLog:
    """The append-only, hash-chained log of decisions and overrides, and its access log."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._url = str(engine.url)

    @property
    def url(self) -> str:
        """The database URL with the password hidden."""
        return masked(self._url)

    @property
    def dialect(self) -> str:
        return self._engine.dialect.name

    @property
    def engine(self) -> Engine:
        return self._engine

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> DecisionLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- writing -------------------------------------------------------------------------

    def append(self, decisions: Iterable[Mapping[str, Any] | Prepared]) -> int:
        """Seal decisions at the end of the chain; returns how many were new."""
        return self.append_with_offsets(decisions, {})

    def append_with_offsets(
        self, decisions: Iterable[Mapping[str, Any] | Prepared], offsets: Offsets
    ) -> int:
        """Append decisions and store the sink's next offsets in ONE transaction.

        Either both the entries and the offsets that cover them are committed, or neither:
        a sink restarted after a crash at any point resumes exactly where the log ends.
        Decisions already prepared (``entries.prepare_entry``, as the sink does message by
        message) are not prepared again.
        """
        ready = unique_by_id(
            [d if isinstance(d, Prepared) else prepare_entry(d) for d in decisions]
        )
        with translated("appending to the decision log", self._url), _writing(self._engine) as conn:
            _lock(conn, DECISIONS)
            fresh = self._not_logged(conn, ready)
            if fresh:
                self._insert(conn, fresh)
            if offsets:
                self._save_offsets(conn, offsets)
        return len(fresh)

    def _not_logged(self, conn: Connection, prepared: Sequence[Prepared]) -> list[Prepared]:
        logged: set[str] = set()
        ids = [d.decision_id for d in prepared]
        for chunk in _chunks(ids):
            rows = conn.execute(
                select(DECISIONS.c.decision_id).where(DECISIONS.c.decision_id.in_(chunk))
            )
            logged.update(row.decision_id for row in rows)
        return [d for d in prepared if d.decision_id not in logged]

    def _insert(self, conn: Connection, fresh: Sequence[Prepared]) -> None:
        last_seq, last_hash = _head(conn, DECISIONS)
        now = datetime.now(UTC)
        sealed = seal(fresh, last_seq, last_hash, format_instant(now))
        rows = [row_of(entry, now) for entry in sealed]
        for chunk in _chunks(rows):
            conn.execute(insert(DECISIONS), list(chunk))

    def _save_offsets(self, conn: Connection, offsets: Offsets) -> None:
        rows = [
            {"topic": topic, "partition": partition, "next_offset": offset}
            for (topic, partition), offset in sorted(offsets.items())
        ]
        conn.execute(_upsert_offsets(conn.dialect.name, rows))

    def record_access(self, who: str, action: str, detail: Mapping[str, Any]) -> int:
        """Chain one read of the log into the access log; returns its position."""
        if not who.strip():
            raise UsageError("say who is reading the log (--as NAME or $USER)")
        clean = jsonable(detail)
        with (
            translated("recording access to the decision log", self._url),
            _writing(self._engine) as conn,
        ):
            _lock(conn, ACCESS)
            last_seq, last_hash = _head(conn, ACCESS)
            now = datetime.now(UTC)
            seq = last_seq + 1
            leaf = _access_leaf(seq, format_instant(now), who, action, clean)
            conn.execute(
                insert(ACCESS),
                {
                    "seq": seq,
                    "who": who,
                    "action": action,
                    "detail": json.dumps(clean, sort_keys=True, separators=(",", ":")),
                    "at": now,
                    "prev_hash": last_hash.hex(),
                    "entry_hash": chain_hash(last_hash, leaf).hex(),
                    "format": CURRENT_FORMAT,
                },
            )
        return seq

    # --- reading -------------------------------------------------------------------------

    def committed_offsets(self, topic: str) -> dict[int, int]:
        """partition -> next offset to read, as last committed with the entries."""
        with translated("reading sink offsets", self._url), self._engine.connect() as conn:
            rows = conn.execute(
                select(OFFSETS.c.partition, OFFSETS.c.next_offset).where(OFFSETS.c.topic == topic)
            )
            return {int(r.partition): int(r.next_offset) for r in rows}

    def count(self) -> int:
        with translated("counting the decision log", self._url), self._engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(DECISIONS)).scalar_one())

    def _stream(self, statement: Any) -> Iterator[Any]:
        with translated("reading the decision log", self._url), self._engine.connect() as conn:
            result = conn.execution_options(stream_results=True, yield_per=1000).execute(statement)
            yield from result

    def iter_decisions(self, since: date | None = None) -> Iterator[DecisionRecord]:
        """Every logged decision and override dict in log order, optionally from a date on.

        ``since`` compares with decided_at (UTC). Overrides have kind "override".
        """
        yield from self.find(QueryFilter(since=since))

    def find(self, query: QueryFilter) -> Iterator[DecisionRecord]:
        """Decision dicts matching ``query``, in log order."""
        statement = (
            select(DECISIONS.c.body)
            .where(and_(True, *_conditions(query)))
            .order_by(DECISIONS.c.seq)
        )
        for row in self._stream(statement):
            yield _record(row.body)

    def find_entries(self, query: QueryFilter) -> Iterator[dict[str, Any]]:
        """Like ``find`` but each with its place in the chain: seq, created_at, format, hashes."""
        c = DECISIONS.c
        statement = (
            select(c.seq, c.created_at, c.format, c.prev_hash, c.entry_hash, c.body)
            .where(and_(True, *_conditions(query)))
            .order_by(c.seq)
        )
        for row in self._stream(statement):
            yield {
                "seq": int(row.seq),
                "created_at": format_instant(_utc(row.created_at)),
                "format": int(row.format),
                "prev_hash": row.prev_hash,
                "entry_hash": row.entry_hash,
                "decision": _record(row.body),
            }

    def get(self, decision_id: str) -> DecisionRecord | None:
        """One decision or override by id, or None."""
        return self.get_many([decision_id]).get(decision_id)

    def get_many(self, decision_ids: Sequence[str]) -> dict[str, DecisionRecord]:
        found: dict[str, DecisionRecord] = {}
        with translated("reading the decision log", self._url), self._engine.connect() as conn:
            for chunk in _chunks(list(dict.fromkeys(decision_ids))):
                rows = conn.execute(
                    select(DECISIONS.c.decision_id, DECISIONS.c.body).where(
                        DECISIONS.c.decision_id.in_(chunk)
                    )
                )
                found.update({r.decision_id: _record(r.body) for r in rows})
        return found

    def overrides_of(self, decision_id: str) -> list[DecisionRecord]:
        """Staff confirmations and overrides of a decision, oldest first."""
        statement = (
            select(DECISIONS.c.body)
            .where(DECISIONS.c.supersedes == decision_id)
            .order_by(DECISIONS.c.seq)
        )
        return [_record(row.body) for row in self._stream(statement)]

    def actions_of(self, decision: DecisionRecord) -> list[DecisionRecord]:
        """Every other staff step about a decision (claims, requests awaiting approval,
        refusals, transfers, closes), oldest first: found by the decision's referral, then by
        the ``subject`` each action names."""
        decision_id = decision.get("decision_id")
        query = QueryFilter(source_id=str(decision.get("source_id") or ""), kind="action")
        return [a for a in self.find(query) if a.get("subject") == decision_id]

    def entry_rows(self) -> Iterator[dict[str, Any]]:
        """Every stored column of every entry, in seq order, for verification."""
        statement = select(DECISIONS).order_by(DECISIONS.c.seq)
        for row in self._stream(statement):
            yield dict(row._mapping)

    def access_rows(self) -> Iterator[dict[str, Any]]:
        """Every access-log row in seq order, for verification."""
        statement = select(ACCESS).order_by(ACCESS.c.seq)
        for row in self._stream(statement):
            yield dict(row._mapping)


def _record(body: str) -> DecisionRecord:
    """A stored entry's decision: its sealed JSON, checked by ``prepare_entry`` when logged."""
    record: DecisionRecord = json.loads(body)
    return record


def _access_leaf(seq: int, at: str, who: str, action: str, detail: Mapping[str, Any]) -> bytes:
    """The leaf of a read to record; a read that cannot be written canonically is refused.

    Such a read names something that is not text (a lone surrogate from a badly encoded
    command line): it cannot match anything in the log either, so nothing is lost.
    """
    try:
        return access_leaf(seq, at, who, action, detail)
    except NotCanonical as exc:
        raise UsageError(f"cannot record this {action}: its {exc.path} {exc.why}") from None


def _utc(moment: datetime) -> datetime:
    """SQLite hands times back without a zone; the log only ever stores UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def open_log(url: str | None = None, *, migrate_schema: bool = True) -> DecisionLog:
    """Open the decision log at ``url`` (default: Settings' database URL), migrated to head."""
    if url is None:
        from mash.config import Settings

        url = Settings.load().database_url
    engine = make_engine(url)
    if migrate_schema:
        try:
            migrate(engine)
        except BaseException:
            engine.dispose()
            raise
    return DecisionLog(engine)
