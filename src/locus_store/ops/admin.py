"""Operator views over every table of a store: schema status, threads, history, vacuum, copy.

What the ``locus-store`` command line runs. Each function takes a `Store` and
works across the single-row table, the versioned lineage with its writes, and the
LangGraph saver's tables, so an operator sees one thread wherever its rows live.
Every query is keyed by thread or bounded by a limit, except the listing of
threads (a grouped scan, fine for an operator tool).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import Integer, String, Table, bindparam, case, func, insert, select
from sqlalchemy.exc import DBAPIError

from locus_store.cli.console import count as counted
from locus_store.errors import (
    CheckpointExistsError,
    ConstraintError,
    InvalidInputError,
    LocusStoreError,
)
from locus_store.errors import SchemaNotCurrentError as SchemaNotCurrentError
from locus_store.latest.statements import LatestStatements
from locus_store.schema.tables import Schema, schema_for
from locus_store.schema.types import EMPTY_STRING_SENTINEL
from locus_store.sql.like import CaseSensitiveLike
from locus_store.sql.statements import Dialect
from locus_store.timestamps import iso_utc
from locus_store.validation import require_key, require_limit, require_non_negative_number
from locus_store.versioned.statements import LIKE_ESCAPE, Bind, glob_to_like, lineage_statements

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlalchemy.ext.asyncio import AsyncConnection

    from locus_store.store import Store

#: Threads handled per statement by vacuum, export and import (Oracle allows 1000 in IN).
THREADS_PER_BATCH = 200
#: The namespace the versioned saver uses when none is given.
DEFAULT_NAMESPACE = "default"
#: The namespace of a LangGraph graph's own checkpoints (subgraphs have their own).
ROOT_NAMESPACE = ""

_log = logging.getLogger(__name__)


class ThreadNotFoundError(LocusStoreError, LookupError):
    """A thread or checkpoint named by the caller has no rows."""


# -- schema status ---------------------------------------------------------------------------
@dataclass(frozen=True)
class SchemaStatus:
    """The Alembic revision(s) recorded for a prefix and the heads this package ships."""

    prefix: str
    current: tuple[str, ...]
    heads: tuple[str, ...]
    #: Why the version table could not be read (a role with DML on the tables only), if so.
    unreadable: str | None = None

    @property
    def is_current(self) -> bool:
        return bool(self.current) and set(self.current) == set(self.heads)

    @property
    def is_unknown(self) -> bool:
        """A recorded revision this package does not know (a newer locus-store wrote it)."""
        from alembic.script import ScriptDirectory

        from locus_store.migrate import alembic_config

        script = ScriptDirectory.from_config(alembic_config(self.prefix))
        known = {rev.revision for rev in script.walk_revisions()}
        return any(rev not in known for rev in self.current)


async def schema_status(store: Store) -> SchemaStatus:
    """The revision recorded in the prefix's version table (empty when there is none)."""
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from locus_store.migrate import alembic_config

    version_table = store.schema.version_table

    def current(sync_conn: Connection) -> tuple[str, ...]:
        context = MigrationContext.configure(sync_conn, opts={"version_table": version_table})
        return tuple(context.get_current_heads())

    async def work(conn: AsyncConnection) -> tuple[str, ...]:
        return await conn.run_sync(current)

    heads = tuple(ScriptDirectory.from_config(alembic_config(store.table_prefix)).get_heads())
    try:
        recorded = await store.run(work)
    except DBAPIError as exc:
        reason = str(exc.orig or exc).strip().splitlines()[0]
        return SchemaStatus(store.table_prefix, (), heads, unreadable=reason)
    return SchemaStatus(store.table_prefix, recorded, heads)


@cache
def _probes(prefix: str) -> tuple[Any, ...]:
    return tuple(select(t.c.thread_id).limit(1) for t in thread_tables(schema_for(prefix)))


async def _tables_answer(store: Store) -> bool:
    """Whether every table of the prefix can be read (it exists and this role may read it)."""

    async def read(conn: AsyncConnection) -> None:
        for probe in _probes(store.table_prefix):
            await conn.execute(probe)

    try:
        await store.run(read)
    except (DBAPIError, SchemaNotCurrentError):
        return False
    return True


async def require_current_schema(store: Store) -> SchemaStatus:
    """The schema status; `SchemaNotCurrentError` saying what to do when not current.

    A role that may not read the version table (DML on the tables only) passes when
    every table can be read: the revision cannot be checked then.
    """
    status = await schema_status(store)
    if status.is_current:
        return status
    if not status.current:
        if await _tables_answer(store):
            return status
        raise SchemaNotCurrentError(
            f"the tables of prefix {store.table_prefix!r} do not exist in this database: "
            "run `locus-store upgrade` (or give the right --url / --prefix)"
        )
    if status.is_unknown:
        raise SchemaNotCurrentError(
            f"the schema of prefix {store.table_prefix!r} is at revision "
            f"{', '.join(status.current)}, newer than this locus-store knows: "
            "upgrade the locus-store package"
        )
    raise SchemaNotCurrentError(
        f"the schema of prefix {store.table_prefix!r} is at revision "
        f"{', '.join(status.current)}, behind {', '.join(status.heads)}: "
        "run `locus-store upgrade`"
    )


# -- the tables of a thread ---------------------------------------------------------------------
def thread_tables(schema: Schema) -> list[Table]:
    """Every table of the prefix that holds rows of a thread (all are keyed by ``thread_id``)."""
    return [t for t in schema.metadata.sorted_tables if "thread_id" in t.c]


def in_threads(table: Table) -> Any:
    return table.c.thread_id.in_(bindparam("threads", expanding=True))


@cache
def _existing_threads_statements(prefix: str) -> tuple[Any, ...]:
    schema = schema_for(prefix)
    return tuple(
        select(t.c.thread_id).where(in_threads(t)).distinct() for t in thread_tables(schema)
    )


async def existing_threads(conn: AsyncConnection, schema: Schema, ids: Sequence[str]) -> set[str]:
    """Which of ``ids`` have rows in any table of ``schema`` (queried in batches)."""
    found: set[str] = set()
    for start in range(0, len(ids), THREADS_PER_BATCH):
        batch = list(ids[start : start + THREADS_PER_BATCH])
        for statement in _existing_threads_statements(schema.prefix):
            found.update(r[0] for r in await conn.execute(statement, {"threads": batch}))
    return found


# -- listing threads ----------------------------------------------------------------------------
@dataclass
class ThreadSummary:
    """Where a thread's rows are and when it was last written."""

    thread_id: str
    checkpoint_id: str | None = None
    versions: int = 0
    langgraph_checkpoints: int = 0
    updated_at: dt.datetime | None = None
    expires_at: dt.datetime | None = None

    def seen(self, when: dt.datetime | None) -> None:
        if when is not None and (self.updated_at is None or when > self.updated_at):
            self.updated_at = when

    def as_dict(self) -> dict[str, Any]:
        return {
            "thread_id": self.thread_id,
            "checkpoint_id": self.checkpoint_id,
            "versions": self.versions,
            "langgraph_checkpoints": self.langgraph_checkpoints,
            "updated_at": iso_utc(self.updated_at),
            "expires_at": iso_utc(self.expires_at),
        }


@dataclass(frozen=True)
class _Listing:
    recent_latest: Any
    recent_versions: Any
    recent_langgraph: Any
    latest_of: Any
    versions_of: Any
    langgraph_of: Any


@cache
def _listing(prefix: str) -> _Listing:
    schema = schema_for(prefix)
    th, cp, lg = schema.threads, schema.checkpoints, schema.lg_checkpoints
    limit = bindparam("row_limit", type_=Integer())

    def like(table: Table) -> Any:
        return CaseSensitiveLike(table.c.thread_id, "pattern", LIKE_ESCAPE)

    def grouped(table: Table) -> Any:
        return select(
            table.c.thread_id,
            func.count().label("n"),
            func.max(table.c.created_at).label("written_at"),
        ).group_by(table.c.thread_id)

    def newest(table: Table) -> Any:
        return func.max(table.c.created_at).desc()

    latest = select(th.c.thread_id, th.c.checkpoint_id, th.c.updated_at, th.c.expires_at)
    return _Listing(
        recent_latest=latest.where(like(th)).order_by(th.c.updated_at.desc()).limit(limit),
        recent_versions=grouped(cp).where(like(cp)).order_by(newest(cp)).limit(limit),
        recent_langgraph=grouped(lg).where(like(lg)).order_by(newest(lg)).limit(limit),
        latest_of=latest.where(in_threads(th)),
        versions_of=grouped(cp).where(in_threads(cp)),
        langgraph_of=grouped(lg).where(in_threads(lg)),
    )


async def list_threads(
    store: Store, *, pattern: str = "*", limit: int = 100
) -> list[ThreadSummary]:
    """Threads whose id matches the glob ``pattern``, most recently written first.

    A thread's last write is the latest of its single-row save, its newest version
    and its newest LangGraph checkpoint.
    """
    require_key(pattern, "pattern")
    params = {"pattern": glob_to_like(pattern), "row_limit": require_limit(limit)}
    sql = _listing(store.table_prefix)

    async def work(conn: AsyncConnection) -> list[ThreadSummary]:
        last: dict[str, dt.datetime] = {}
        for row in await conn.execute(sql.recent_latest, params):
            _keep_latest(last, row.thread_id, row.updated_at)
        for statement in (sql.recent_versions, sql.recent_langgraph):
            for row in await conn.execute(statement, params):
                _keep_latest(last, row.thread_id, row.written_at)
        chosen = sorted(last, key=lambda t: (last[t], t), reverse=True)[:limit]
        summaries = {t: ThreadSummary(t) for t in chosen}
        ids = {"threads": chosen}
        if chosen:
            for row in await conn.execute(sql.latest_of, ids):
                summary = summaries[row.thread_id]
                summary.checkpoint_id = row.checkpoint_id
                summary.expires_at = row.expires_at
                summary.seen(row.updated_at)
            for row in await conn.execute(sql.versions_of, ids):
                summaries[row.thread_id].versions = int(row.n)
                summaries[row.thread_id].seen(row.written_at)
            for row in await conn.execute(sql.langgraph_of, ids):
                summaries[row.thread_id].langgraph_checkpoints = int(row.n)
                summaries[row.thread_id].seen(row.written_at)
        return [summaries[t] for t in chosen]

    return await store.run(work)


def _keep_latest(last: dict[str, dt.datetime], thread_id: str, when: dt.datetime) -> None:
    if thread_id not in last or when > last[thread_id]:
        last[thread_id] = when


# -- history of one thread ----------------------------------------------------------------------
@cache
def _history(prefix: str) -> tuple[Any, Any, Any]:
    schema = schema_for(prefix)
    th, cp, lg = schema.threads, schema.checkpoints, schema.lg_checkpoints
    thread = bindparam("thread", type_=String())
    limit = bindparam("row_limit", type_=Integer())
    latest = select(th.c.checkpoint_id, th.c.updated_at, th.c["metadata"]).where(
        th.c.thread_id == thread
    )
    versions = (
        select(
            cp.c.checkpoint_ns,
            cp.c.seq,
            cp.c.checkpoint_id,
            cp.c.parent_checkpoint_id,
            cp.c.created_at,
            cp.c["metadata"],
        )
        .where(cp.c.thread_id == thread)
        .order_by(cp.c.checkpoint_ns, cp.c.seq.desc())
        .limit(limit)
    )
    langgraph = (
        select(
            lg.c.checkpoint_ns,
            lg.c.checkpoint_id,
            lg.c.parent_checkpoint_id,
            lg.c.created_at,
            lg.c["metadata"],
        )
        .where(lg.c.thread_id == thread)
        .order_by(lg.c.checkpoint_ns, lg.c.checkpoint_id.desc())
        .limit(limit)
    )
    return latest, versions, langgraph


async def thread_history(store: Store, thread_id: str, *, limit: int = 100) -> list[dict[str, Any]]:
    """The thread's checkpoints in every table: its single-row save, versions, LangGraph ones.

    Versions and LangGraph checkpoints are newest first within each namespace,
    at most ``limit`` of each kind.
    """
    params = {"thread": require_key(thread_id, "thread_id"), "row_limit": require_limit(limit)}
    latest, versions, langgraph = _history(store.table_prefix)

    async def work(conn: AsyncConnection) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = []
        for row in await conn.execute(latest, params):
            entries.append(
                _entry("latest", None, None, row.checkpoint_id, None, row.updated_at, row)
            )
        for row in await conn.execute(versions, params):
            entries.append(
                _entry(
                    "versioned",
                    row.checkpoint_ns,
                    int(row.seq),
                    row.checkpoint_id,
                    row.parent_checkpoint_id,
                    row.created_at,
                    row,
                )
            )
        for row in await conn.execute(langgraph, params):
            entries.append(
                _entry(
                    "langgraph",
                    row.checkpoint_ns,
                    None,
                    row.checkpoint_id,
                    row.parent_checkpoint_id,
                    row.created_at,
                    row,
                )
            )
        return entries

    return await store.run(work)


def _entry(
    kind: str,
    ns: str | None,
    seq: int | None,
    checkpoint_id: str,
    parent: str | None,
    when: dt.datetime,
    row: Any,
) -> dict[str, Any]:
    return {
        "kind": kind,
        "checkpoint_ns": ns,
        "seq": seq,
        "checkpoint_id": checkpoint_id,
        "parent_checkpoint_id": parent,
        "created_at": iso_utc(when),
        "metadata": row.metadata or {},
    }


# -- one checkpoint's document --------------------------------------------------------------------
@dataclass
class CheckpointView:
    """A stored document with where it came from (for ``locus-store show``)."""

    thread_id: str
    checkpoint_id: str
    #: Which contract holds it: ``latest``, ``versioned`` or ``langgraph``.
    source: str
    document: dict[str, Any]
    metadata: dict[str, Any]
    created_at: str | None
    updated_at: str | None = None
    checkpoint_ns: str | None = None
    parent_checkpoint_id: str | None = None
    writes: list[dict[str, Any]] = field(default_factory=list)
    #: What could not be shown, and why (LangGraph values without the langgraph extra).
    note: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "thread_id": self.thread_id,
            "checkpoint_id": self.checkpoint_id,
            "source": self.source,
            "checkpoint_ns": self.checkpoint_ns,
            "parent_checkpoint_id": self.parent_checkpoint_id,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "metadata": self.metadata,
            "state": self.document,
            "writes": self.writes,
            **({"note": self.note} if self.note else {}),
        }


@cache
def _current_row(prefix: str) -> Any:
    th = schema_for(prefix).threads
    return select(th).where(th.c.thread_id == bindparam("thread", type_=String()))


@cache
def _located(prefix: str, kind: str, by_ns: bool, by_id: bool) -> Any:
    """The newest checkpoint of a thread in the versioned or LangGraph table, or the named one.

    Without a namespace: the saver's usual one first (``default`` for versions, the
    root graph's for LangGraph), then the namespace written last.
    """
    schema = schema_for(prefix)
    table = schema.checkpoints if kind == "versioned" else schema.lg_checkpoints
    usual = DEFAULT_NAMESPACE if kind == "versioned" else ROOT_NAMESPACE
    newest = table.c.seq.desc() if kind == "versioned" else table.c.checkpoint_id.desc()
    statement = select(table).where(table.c.thread_id == bindparam("thread", type_=String()))
    if by_ns:
        statement = statement.where(table.c.checkpoint_ns == bindparam("ns", type_=String()))
    if by_id:
        statement = statement.where(
            table.c.checkpoint_id == bindparam("checkpoint", type_=String())
        )
    in_usual_first = case((table.c.checkpoint_ns == usual, 0), else_=1)
    return statement.order_by(in_usual_first, table.c.created_at.desc(), newest).limit(1)


async def find_checkpoint(
    store: Store,
    thread_id: str,
    checkpoint_id: str | None = None,
    *,
    checkpoint_ns: str | None = None,
) -> CheckpointView | None:
    """A thread's checkpoint in whichever contract holds it; ``None`` when none does.

    Without ``checkpoint_id``: the single-row state, else the newest version, else
    the newest LangGraph checkpoint. With it: the single-row state while that id is
    current, else the version with that id, else the LangGraph checkpoint. Versions
    and LangGraph checkpoints are looked for in ``checkpoint_ns`` when given, else in
    the usual namespace first and then in any other.
    """
    thread_id = require_key(thread_id, "thread_id")
    wanted = None if checkpoint_id is None else require_key(checkpoint_id, "checkpoint_id")
    ns = (
        None
        if checkpoint_ns is None
        else require_key(checkpoint_ns, "checkpoint_ns", allow_empty=True)
    )
    params: dict[str, Any] = {"thread": thread_id, "ns": ns, "checkpoint": wanted}
    prefix = store.table_prefix

    async def first(conn: AsyncConnection) -> tuple[Any, Any, Any]:
        current = (await conn.execute(_current_row(prefix), params)).first()
        rows = [
            (
                await conn.execute(
                    _located(prefix, kind, ns is not None, wanted is not None), params
                )
            ).first()
            for kind in ("versioned", "langgraph")
        ]
        return current, rows[0], rows[1]

    current, version, graph = await store.run(first)
    if current is not None and wanted in (None, current.checkpoint_id):
        return CheckpointView(
            thread_id=thread_id,
            checkpoint_id=current.checkpoint_id,
            source="latest",
            document=current.state,
            metadata=current.metadata or {},
            created_at=iso_utc(current.created_at),
            updated_at=iso_utc(current.updated_at),
        )
    if version is not None:
        return await _version_view(store, thread_id, version)
    if graph is not None:
        return await _langgraph_view(store, thread_id, graph)
    return None


def _channel_versions(pairs: Any) -> dict[str, str]:
    """The ``channel_versions`` column (``[[channel, version], ...]``) as LangGraph's mapping."""
    return {
        ("" if channel == EMPTY_STRING_SENTINEL else channel): version
        for channel, version in pairs or ()
    }


async def _version_view(store: Store, thread_id: str, row: Any) -> CheckpointView:
    writes = await store.versioned().get_writes(
        thread_id=thread_id, checkpoint_id=row.checkpoint_id, checkpoint_ns=row.checkpoint_ns
    )
    return CheckpointView(
        thread_id=thread_id,
        checkpoint_id=row.checkpoint_id,
        source="versioned",
        document=row.checkpoint,
        metadata=row.metadata or {},
        created_at=iso_utc(row.created_at),
        checkpoint_ns=row.checkpoint_ns,
        parent_checkpoint_id=row.parent_checkpoint_id,
        writes=writes,
    )


async def _langgraph_view(store: Store, thread_id: str, row: Any) -> CheckpointView:
    """The checkpoint decoded by the LangGraph saver; its channel names without the extra."""
    view = CheckpointView(
        thread_id=thread_id,
        checkpoint_id=row.checkpoint_id,
        source="langgraph",
        document={"channel_versions": _channel_versions(row.channel_versions)},
        metadata=row.metadata or {},
        created_at=iso_utc(row.created_at),
        checkpoint_ns=row.checkpoint_ns,
        parent_checkpoint_id=row.parent_checkpoint_id,
    )
    try:
        saver = store.langgraph_saver()
    except ImportError:
        view.note = (
            "channel values not decoded: the langgraph extra is not installed "
            "(pip install 'locus-store[langgraph]')"
        )
        return view
    config = {
        "configurable": {
            "thread_id": thread_id,
            "checkpoint_ns": row.checkpoint_ns,
            "checkpoint_id": row.checkpoint_id,
        }
    }
    found = await saver.aget_tuple(config)  # type: ignore[arg-type]
    if found is not None:
        view.document = dict(found.checkpoint)
        view.metadata = dict(found.metadata or {})
        view.writes = [
            {"task_id": task, "channel": channel, "value": value}
            for task, channel, value in found.pending_writes or ()
        ]
    return view


# -- vacuum ---------------------------------------------------------------------------------------
@dataclass
class VacuumReport:
    """Rows removed (or, in a dry run, that would be)."""

    threads: int = 0
    checkpoints: int = 0
    writes: int = 0
    dry_run: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "threads": self.threads,
            "checkpoints": self.checkpoints,
            "writes": self.writes,
            "dry_run": self.dry_run,
        }

    def summary(self) -> str:
        """``1 single-row thread, 2 versions and 0 pending writes``."""
        return (
            f"{counted(self.threads, 'single-row thread')}, "
            f"{counted(self.checkpoints, 'version')} and {counted(self.writes, 'pending write')}"
        )


@dataclass(frozen=True)
class _VacuumSql:
    count_threads: Any
    count_checkpoints: Any
    count_writes: Any
    candidate_threads: Any
    candidate_lineages: Any
    namespaces: Any
    threads: Any
    writes: Any
    reroot: Any
    checkpoints: Any


@cache
def _vacuum_sql(prefix: str, dialect_name: Dialect) -> _VacuumSql:
    """The repositories' own vacuum statements, counted, or restricted to a batch of threads."""
    schema = schema_for(prefix)
    th, cp, wr = schema.threads, schema.checkpoints, schema.writes
    latest = LatestStatements.of(prefix, dialect_name).vacuum
    lineage = lineage_statements(prefix, dialect_name)

    def count(table: Table, where: Any) -> Any:
        return select(func.count()).select_from(table).where(where)

    stale = latest.whereclause
    assert stale is not None
    old_version = (
        cp.c.checkpoint_ns == bindparam(Bind.NS, type_=cp.c.checkpoint_ns.type),
        cp.c.created_at < bindparam(Bind.CUTOFF, type_=cp.c.created_at.type),
    )
    return _VacuumSql(
        count_threads=count(th, stale),
        count_checkpoints=count(cp, lineage.vacuum_checkpoints.whereclause),
        count_writes=count(wr, lineage.vacuum_writes.whereclause),
        candidate_threads=select(th.c.thread_id).where(stale),
        candidate_lineages=select(cp.c.thread_id).where(*old_version).distinct(),
        namespaces=select(cp.c.checkpoint_ns).distinct(),
        threads=latest.where(in_threads(th)),
        writes=lineage.vacuum_writes.where(in_threads(wr)),
        reroot=lineage.vacuum_reroot.where(in_threads(cp)),
        checkpoints=lineage.vacuum_checkpoints.where(in_threads(cp)),
    )


async def vacuum(
    store: Store,
    *,
    older_than_days: float,
    keep_last: int = 0,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> VacuumReport:
    """Remove single-row threads not saved for ``older_than_days`` (and expired ones), and
    versions older than that in every namespace but each lineage's newest ``keep_last``.

    The same rules as ``store.latest().vacuum`` and ``store.versioned().vacuum``, run in
    short transactions of `THREADS_PER_BATCH` threads each; ``progress(done, total)``
    is called after each. ``dry_run`` counts instead of deleting.
    """
    days = require_non_negative_number(older_than_days, "older_than_days")
    if isinstance(keep_last, bool) or not isinstance(keep_last, int) or keep_last < 0:
        raise InvalidInputError(f"keep_last must be an int >= 0, not {keep_last!r}")
    now = dt.datetime.now(dt.UTC)
    try:
        cutoff = now - dt.timedelta(days=days)
    except OverflowError:
        raise InvalidInputError(f"older_than_days {older_than_days} is too large") from None
    sql = _vacuum_sql(store.table_prefix, store.dialect_name)
    single = {"cutoff": cutoff, "now": now}

    def lineage(ns: str) -> dict[str, Any]:
        return {Bind.NS: ns, Bind.CUTOFF: cutoff, Bind.KEEP_LAST: keep_last}

    async def plan(conn: AsyncConnection) -> tuple[list[str], list[str], dict[str, list[str]]]:
        namespaces = [r[0] for r in await conn.execute(sql.namespaces)]
        threads = [r[0] for r in await conn.execute(sql.candidate_threads, single)]
        lineages = {
            ns: [r[0] for r in await conn.execute(sql.candidate_lineages, lineage(ns))]
            for ns in namespaces
        }
        return namespaces, threads, lineages

    namespaces, threads, lineages = await store.run(plan)
    report = VacuumReport(dry_run=dry_run)
    if dry_run:

        async def count(conn: AsyncConnection) -> None:
            report.threads = int((await conn.execute(sql.count_threads, single)).scalar_one())
            for ns in namespaces:
                params = lineage(ns)
                report.checkpoints += int(
                    (await conn.execute(sql.count_checkpoints, params)).scalar_one()
                )
                report.writes += int((await conn.execute(sql.count_writes, params)).scalar_one())

        await store.run(count)
        _log.info("vacuum dry run would remove %s", report.summary())
        return report

    batches: list[tuple[str | None, list[str]]] = [(None, b) for b in _batches(threads)]
    for ns in namespaces:
        batches.extend((ns, b) for b in _batches(lineages[ns]))
    total = sum(len(b) for _, b in batches)
    done = 0
    for namespace, batch in batches:

        async def work(
            conn: AsyncConnection, ns: str | None = namespace, batch: list[str] = batch
        ) -> None:
            if ns is None:
                result = await conn.execute(sql.threads, {**single, "threads": batch})
                report.threads += result.rowcount
                return
            params = {**lineage(ns), "threads": batch}
            report.writes += (await conn.execute(sql.writes, params)).rowcount
            report.checkpoints += (await conn.execute(sql.checkpoints, params)).rowcount
            await conn.execute(sql.reroot, params)  # after the delete: orphans become roots

        await store.run(work, atomic=True)
        done += len(batch)
        if progress is not None:
            progress(done, total)
    _log.info("vacuum removed %s", report.summary())
    return report


def _batches(ids: Sequence[str], size: int = THREADS_PER_BATCH) -> Iterable[list[str]]:
    for start in range(0, len(ids), size):
        yield list(ids[start : start + size])


# -- copy ---------------------------------------------------------------------------------------
@cache
def _copy_statements(prefix: str) -> tuple[Any, ...]:
    """``INSERT ... SELECT`` per table: the source thread's rows under the destination's id."""
    statements = []
    for table in thread_tables(schema_for(prefix)):
        names = [c.key for c in table.columns]
        dest = bindparam("dest", type_=String())
        columns = [dest if c.key == "thread_id" else c for c in table.columns]
        source = select(*columns).where(table.c.thread_id == bindparam("source", type_=String()))
        statements.append(insert(table).from_select(names, source))
    return tuple(statements)


async def copy_thread(store: Store, source_thread_id: str, dest_thread_id: str) -> int:
    """Copy every row of a thread, in every table, to a new thread in one transaction.

    Same checkpoint ids, timestamps and lineage order; returns the number of rows
    copied (0 when the source has none). ``CheckpointExistsError`` when the
    destination already has rows.
    """
    source = require_key(source_thread_id, "source_thread_id")
    dest = require_key(dest_thread_id, "dest_thread_id")
    if source == dest:
        raise InvalidInputError(f"cannot copy thread {source!r} onto itself")

    async def work(conn: AsyncConnection) -> int:
        if await existing_threads(conn, store.schema, [dest]):
            raise CheckpointExistsError(f"thread {dest!r} already exists")
        copied = 0
        for statement in _copy_statements(store.table_prefix):
            copied += (await conn.execute(statement, {"source": source, "dest": dest})).rowcount
        return copied

    try:
        return await store.run(work, atomic=True)
    except ConstraintError:
        raise CheckpointExistsError(f"thread {dest!r} already exists") from None


