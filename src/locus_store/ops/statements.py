"""Every statement of the operator jobs, built once per (prefix, dialect).

One `StatementSet` per job: the tables of a thread (`ThreadStatements`), listing
threads, a thread's history, finding one checkpoint, vacuum, copy and export. The
jobs in ``status``, ``browse``, ``vacuum``, ``copy`` and ``transfer`` only bind and
run them. Every query is keyed by thread or bounded by a limit, except the listing
of threads (a grouped scan, fine for an operator tool).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import product
from typing import Any, Literal, Self

from sqlalchemy import (
    Delete,
    Insert,
    Integer,
    Select,
    String,
    Table,
    Update,
    bindparam,
    case,
    delete,
    func,
    insert,
    select,
)
from sqlalchemy.sql.elements import ClauseElement, ColumnElement

from locus_store.latest.statements import LatestStatements
from locus_store.ops.threads import in_threads, thread_lookup, thread_tables
from locus_store.schema.tables import Schema
from locus_store.sql.like import CaseSensitiveLike
from locus_store.sql.statements import Dialect, StatementSet, bound
from locus_store.versioned.saver import DEFAULT_NAMESPACE
from locus_store.versioned.statements import LIKE_ESCAPE, Bind, LineageStatements

#: The namespace of a LangGraph graph's own checkpoints (subgraphs have their own).
ROOT_NAMESPACE = ""
#: The contracts a checkpoint can be looked up in besides the single-row table.
Kind = Literal["versioned", "langgraph"]
KINDS: tuple[Kind, ...] = ("versioned", "langgraph")

_NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
#: Representative values of every bind the operator statements take (for `review`).
_REVIEW_VALUES: dict[str, Any] = {
    "threads": ["thread-1", "thread-2"],
    "thread": "thread-1",
    "pattern": "thread-%",
    "row_limit": 100,
    "source": "thread-1",
    "dest": "thread-2",
    "ns": DEFAULT_NAMESPACE,
    "checkpoint": "checkpoint-1",
    "cutoff": _NOW - dt.timedelta(days=30),
    "now": _NOW,
    Bind.NS: DEFAULT_NAMESPACE,
    Bind.CUTOFF: _NOW - dt.timedelta(days=30),
    Bind.KEEP_LAST: 1,
}


def _reviewed(statements: Mapping[str, Any]) -> dict[str, ClauseElement]:
    return {name: bound(statement, _REVIEW_VALUES) for name, statement in statements.items()}


def _thread_is(table: Table, name: str = "thread") -> ColumnElement[bool]:
    return table.c.thread_id == bindparam(name, type_=String())


@dataclass(frozen=True)
class ThreadStatements(StatementSet):
    """Where a thread's rows are: one probe and one lookup per table holding threads."""

    #: Table name -> ``SELECT thread_id ... LIMIT 1``: whether the table can be read.
    probes: dict[str, Select[Any]]
    #: Table name -> the ids among ``:threads`` with rows in that table (`thread_lookup`).
    lookups: dict[str, Select[Any]]

    @classmethod
    def build(cls, schema: Schema, dialect: Dialect) -> Self:
        tables = thread_tables(schema)
        return cls(
            probes={t.name: select(t.c.thread_id).limit(1) for t in tables},
            lookups={t.name: thread_lookup(t) for t in tables},
        )

    def lookups_in(self, *tables: Table) -> list[Select[Any]]:
        """The lookups of ``tables`` (every table holding threads when none are given)."""
        if not tables:
            return list(self.lookups.values())
        return [self.lookups[t.name] for t in tables]

    def review(self) -> dict[str, ClauseElement]:
        return _reviewed(
            {
                **{f"probe.{name}": s for name, s in self.probes.items()},
                **{f"lookup.{name}": s for name, s in self.lookups.items()},
            }
        )


@dataclass(frozen=True)
class ListingStatements(StatementSet):
    """``locus-store threads``: recent threads per table by a glob, then their details."""

    recent_latest: Select[Any]
    recent_versions: Select[Any]
    recent_langgraph: Select[Any]
    latest_of: Select[Any]
    versions_of: Select[Any]
    langgraph_of: Select[Any]

    @classmethod
    def build(cls, schema: Schema, dialect: Dialect) -> Self:
        th, cp, lg = schema.threads, schema.checkpoints, schema.lg_checkpoints
        limit = bindparam("row_limit", type_=Integer())

        def like(table: Table) -> ColumnElement[bool]:
            return CaseSensitiveLike(table.c.thread_id, "pattern", LIKE_ESCAPE)

        def grouped(table: Table) -> Select[Any]:
            return select(
                table.c.thread_id,
                func.count().label("n"),
                func.max(table.c.created_at).label("written_at"),
            ).group_by(table.c.thread_id)

        def newest(table: Table) -> ColumnElement[Any]:
            return func.max(table.c.created_at).desc()

        latest = select(th.c.thread_id, th.c.checkpoint_id, th.c.updated_at, th.c.expires_at)
        return cls(
            recent_latest=latest.where(like(th)).order_by(th.c.updated_at.desc()).limit(limit),
            recent_versions=grouped(cp).where(like(cp)).order_by(newest(cp)).limit(limit),
            recent_langgraph=grouped(lg).where(like(lg)).order_by(newest(lg)).limit(limit),
            latest_of=latest.where(in_threads(th)),
            versions_of=grouped(cp).where(in_threads(cp)),
            langgraph_of=grouped(lg).where(in_threads(lg)),
        )

    def review(self) -> dict[str, ClauseElement]:
        return _reviewed(self.statements())


@dataclass(frozen=True)
class HistoryStatements(StatementSet):
    """``locus-store history``: a thread's checkpoints in each table, newest first."""

    latest: Select[Any]
    versions: Select[Any]
    langgraph: Select[Any]

    @classmethod
    def build(cls, schema: Schema, dialect: Dialect) -> Self:
        th, cp, lg = schema.threads, schema.checkpoints, schema.lg_checkpoints
        limit = bindparam("row_limit", type_=Integer())
        return cls(
            latest=select(th.c.checkpoint_id, th.c.updated_at, th.c["metadata"]).where(
                _thread_is(th)
            ),
            versions=select(
                cp.c.checkpoint_ns,
                cp.c.seq,
                cp.c.checkpoint_id,
                cp.c.parent_checkpoint_id,
                cp.c.created_at,
                cp.c["metadata"],
            )
            .where(_thread_is(cp))
            .order_by(cp.c.checkpoint_ns, cp.c.seq.desc())
            .limit(limit),
            langgraph=select(
                lg.c.checkpoint_ns,
                lg.c.checkpoint_id,
                lg.c.parent_checkpoint_id,
                lg.c.created_at,
                lg.c["metadata"],
            )
            .where(_thread_is(lg))
            .order_by(lg.c.checkpoint_ns, lg.c.checkpoint_id.desc())
            .limit(limit),
        )

    def review(self) -> dict[str, ClauseElement]:
        return _reviewed(self.statements())


@dataclass(frozen=True)
class CheckpointStatements(StatementSet):
    """``locus-store show``: a thread's single-row state, or one version or LangGraph checkpoint."""

    current_row: Select[Any]
    #: ``(kind, by namespace, by checkpoint id)`` -> the newest matching checkpoint.
    located: dict[tuple[Kind, bool, bool], Select[Any]]

    @classmethod
    def build(cls, schema: Schema, dialect: Dialect) -> Self:
        return cls(
            current_row=select(schema.threads).where(_thread_is(schema.threads)),
            located={
                (kind, by_ns, by_id): _located(schema, kind, by_ns=by_ns, by_id=by_id)
                for kind, by_ns, by_id in product(KINDS, (False, True), (False, True))
            },
        )

    def locate(self, kind: Kind, *, by_ns: bool, by_id: bool) -> Select[Any]:
        """The newest checkpoint of ``kind``; in ``:ns``, of id ``:checkpoint``, as asked."""
        return self.located[(kind, by_ns, by_id)]

    def review(self) -> dict[str, ClauseElement]:
        named = {
            f"located.{kind}{'.ns' * by_ns}{'.id' * by_id}": statement
            for (kind, by_ns, by_id), statement in self.located.items()
        }
        return _reviewed({"current_row": self.current_row, **named})


def _located(schema: Schema, kind: Kind, *, by_ns: bool, by_id: bool) -> Select[Any]:
    """The newest checkpoint of a thread in the versioned or LangGraph table, or the named one.

    Without a namespace: the saver's usual one first (``default`` for versions, the
    root graph's for LangGraph), then the namespace written last.
    """
    versioned = kind == "versioned"
    table = schema.checkpoints if versioned else schema.lg_checkpoints
    usual = DEFAULT_NAMESPACE if versioned else ROOT_NAMESPACE
    newest = table.c.seq.desc() if versioned else table.c.checkpoint_id.desc()
    statement = select(table).where(_thread_is(table))
    if by_ns:
        statement = statement.where(table.c.checkpoint_ns == bindparam("ns", type_=String()))
    if by_id:
        statement = statement.where(
            table.c.checkpoint_id == bindparam("checkpoint", type_=String())
        )
    in_usual_first = case((table.c.checkpoint_ns == usual, 0), else_=1)
    return statement.order_by(in_usual_first, table.c.created_at.desc(), newest).limit(1)


@dataclass(frozen=True)
class VacuumStatements(StatementSet):
    """The repositories' own vacuum statements, counted, or restricted to a batch of threads."""

    count_threads: Select[Any]
    count_checkpoints: Select[Any]
    count_writes: Select[Any]
    candidate_threads: Select[Any]
    candidate_lineages: Select[Any]
    namespaces: Select[Any]
    threads: Delete
    writes: Delete
    reroot: Update
    checkpoints: Delete
    #: LangGraph threads whose newest checkpoint (any namespace) is older than ``:cutoff``.
    idle_langgraph_threads: Select[Any]
    #: LangGraph threads with a namespace holding more than ``:keep_last`` checkpoints.
    crowded_langgraph_threads: Select[Any]
    #: The idle threads among ``:threads``.
    idle_langgraph_of: Select[Any]
    #: LangGraph table name -> its rows of the idle threads among ``:threads``, counted.
    count_idle_langgraph: dict[str, Select[Any]]
    #: The same rows deleted, checkpoints first: a put racing the vacuum writes its values
    #: before its checkpoint, so they are left once that checkpoint makes the thread busy.
    idle_langgraph: dict[str, Delete]
    #: LangGraph threads every checkpoint of which expired before ``:now`` (``ttl``).
    expired_langgraph_threads: Select[Any]
    #: The expired threads among ``:threads``; their rows counted; deleted (as above).
    expired_langgraph_of: Select[Any]
    count_expired_langgraph: dict[str, Select[Any]]
    expired_langgraph: dict[str, Delete]

    @classmethod
    def build(cls, schema: Schema, dialect: Dialect) -> Self:
        th, cp, wr = schema.threads, schema.checkpoints, schema.writes
        lg = schema.lg_checkpoints
        newer = lg.alias("newer")
        cutoff = bindparam("cutoff", type_=lg.c.created_at.type)

        now = bindparam("now", type_=lg.c.expires_at.type)
        unexpired = newer.c.expires_at.is_(None) | (newer.c.expires_at >= now)

        def gone(table: Table, kept: ColumnElement[bool]) -> ColumnElement[bool]:
            """No checkpoint of ``table``'s thread is ``kept``: checked again at delete
            time, so a thread written since the plan stays."""
            return ~(
                select(newer.c.thread_id)
                .where(newer.c.thread_id == table.c.thread_id, kept)
                .exists()
            )

        def idle(table: Table) -> ColumnElement[bool]:
            return in_threads(table) & gone(table, newer.c.created_at >= cutoff)

        def expired(table: Table) -> ColumnElement[bool]:
            return in_threads(table) & gone(table, unexpired)

        lg_tables = (lg, schema.lg_writes, schema.lg_blobs)
        # `build`, not `of`: `of` holds its lock while this set is built.
        latest = LatestStatements.build(schema, dialect).vacuum
        lineage = LineageStatements.build(schema, dialect)

        def count(table: Table, where: Any) -> Select[Any]:
            return select(func.count()).select_from(table).where(where)

        stale = latest.whereclause
        assert stale is not None
        old_version = (
            cp.c.checkpoint_ns == bindparam(Bind.NS, type_=cp.c.checkpoint_ns.type),
            cp.c.created_at < bindparam(Bind.CUTOFF, type_=cp.c.created_at.type),
        )
        return cls(
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
            idle_langgraph_threads=select(lg.c.thread_id)
            .group_by(lg.c.thread_id)
            .having(func.max(lg.c.created_at) < cutoff),
            crowded_langgraph_threads=select(lg.c.thread_id)
            .group_by(lg.c.thread_id, lg.c.checkpoint_ns)
            .having(func.count() > bindparam(Bind.KEEP_LAST, type_=Integer())),
            idle_langgraph_of=select(lg.c.thread_id).where(idle(lg)).distinct(),
            count_idle_langgraph={t.name: count(t, idle(t)) for t in lg_tables},
            idle_langgraph={t.name: delete(t).where(idle(t)) for t in lg_tables},
            # By the index on expires_at: only threads with an expired checkpoint are read.
            expired_langgraph_threads=select(lg.c.thread_id)
            .where(lg.c.expires_at < now, gone(lg, unexpired))
            .distinct(),
            expired_langgraph_of=select(lg.c.thread_id).where(expired(lg)).distinct(),
            count_expired_langgraph={t.name: count(t, expired(t)) for t in lg_tables},
            expired_langgraph={t.name: delete(t).where(expired(t)) for t in lg_tables},
        )

    def review(self) -> dict[str, ClauseElement]:
        return _reviewed(
            {
                **self.statements(),
                **{f"count_idle_langgraph.{n}": s for n, s in self.count_idle_langgraph.items()},
                **{f"idle_langgraph.{n}": s for n, s in self.idle_langgraph.items()},
                **{
                    f"count_expired_langgraph.{n}": s
                    for n, s in self.count_expired_langgraph.items()
                },
                **{f"expired_langgraph.{n}": s for n, s in self.expired_langgraph.items()},
            }
        )


@dataclass(frozen=True)
class CopyStatements(StatementSet):
    """``INSERT ... SELECT`` per table: the ``:source`` thread's rows under the ``:dest`` id."""

    #: Table name -> its copy, in the order tables are filled (parents first).
    per_table: dict[str, Insert]

    @classmethod
    def build(cls, schema: Schema, dialect: Dialect) -> Self:
        copies = {}
        for table in thread_tables(schema):
            dest = bindparam("dest", type_=String())
            columns = [dest if c.key == "thread_id" else c for c in table.columns]
            source = select(*columns).where(_thread_is(table, "source"))
            copies[table.name] = insert(table).from_select([c.key for c in table.columns], source)
        return cls(per_table=copies)

    def review(self) -> dict[str, ClauseElement]:
        return _reviewed(dict(self.per_table))


def record_tables(schema: Schema) -> dict[str, Table]:
    """Export record kind -> table, in the order a thread's records are written."""
    return {
        "thread": schema.threads,
        "checkpoint": schema.checkpoints,
        "write": schema.writes,
        "lg_checkpoint": schema.lg_checkpoints,
        "lg_blob": schema.lg_blobs,
        "lg_write": schema.lg_writes,
    }


@dataclass(frozen=True)
class ExportStatements(StatementSet):
    """``locus-store export``: every thread id, and the rows of a batch of threads per kind."""

    #: One ``SELECT DISTINCT thread_id`` per table holding threads.
    every_thread: tuple[Select[Any], ...]
    #: Record kind -> the rows of ``:threads`` in its table.
    rows: dict[str, Select[Any]]

    @classmethod
    def build(cls, schema: Schema, dialect: Dialect) -> Self:
        return cls(
            every_thread=tuple(select(t.c.thread_id).distinct() for t in thread_tables(schema)),
            rows={
                kind: select(table).where(in_threads(table))
                for kind, table in record_tables(schema).items()
            },
        )

    def review(self) -> dict[str, ClauseElement]:
        return _reviewed(
            {
                **{f"every_thread.{i}": s for i, s in enumerate(self.every_thread)},
                **{f"rows.{kind}": s for kind, s in self.rows.items()},
            }
        )


#: Every operator statement set, by the job that runs it (for reviews and tests).
OPERATOR_STATEMENTS: dict[str, type[StatementSet]] = {
    "threads": ThreadStatements,
    "listing": ListingStatements,
    "history": HistoryStatements,
    "checkpoint": CheckpointStatements,
    "vacuum": VacuumStatements,
    "copy": CopyStatements,
    "export": ExportStatements,
}
