"""Statements of the versioned saver: a lineage of checkpoints per (thread, namespace).

`LineageStatements.of(prefix, dialect)` builds them once per (table prefix, dialect);
every value is a named bind parameter supplied per call (see `Bind`). Bind names
never equal a column key, so SQLAlchemy never mistakes an execute parameter for a
``SET``/``VALUES`` column.

Ordering and appending rely on ``seq``, a per-(thread, namespace) position backed
by a unique index: an append computes ``COALESCE(MAX(seq), 0) + 1`` inside its own
``INSERT ... SELECT``, so two racing writers cannot both take a position; the
loser's statement fails on the unique index and is retried by the caller.

They are portable constructs but for PostgreSQL's row locks: an append locks the
parent row it reads (``FOR KEY SHARE``) and a splice locks the version it removes,
so a concurrent vacuum or splice never leaves an appended version a dangling parent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Self

from sqlalchemy import (
    Delete,
    Executable,
    Insert,
    Integer,
    Select,
    String,
    Table,
    Update,
    and_,
    bindparam,
    case,
    delete,
    exists,
    func,
    insert,
    literal_column,
    null,
    select,
)
from sqlalchemy.sql.elements import BindParameter, ClauseElement, ColumnElement

from locus_store.schema.tables import MAX_KEY_LENGTH, Schema
from locus_store.schema.types import JSONDocument, KeyString, UTCDateTime
from locus_store.sql.json_match import json_matches
from locus_store.sql.like import LIKE_ESCAPE as LIKE_ESCAPE
from locus_store.sql.like import CaseSensitiveLike, glob_to_like
from locus_store.sql.merge import Upsert, upsert
from locus_store.sql.statements import Dialect, StatementSet, bound

__all__ = [
    "DEFAULT_NAMESPACE",
    "LIKE_ESCAPE",
    "Bind",
    "LineageStatements",
    "glob_to_like",
    "lineage_statements",
]

#: The namespace of the notebook's saver when none is given.
DEFAULT_NAMESPACE = "default"


class Bind:
    """Names of the bind parameters the statements take."""

    THREAD = "thread"
    NS = "ns"
    CHECKPOINT = "cid"
    PARENT = "parent"
    DOCUMENT = "document"
    METADATA = "meta_document"
    CREATED = "created"
    BEFORE = "before"
    LIMIT = "row_limit"
    TASK = "task"
    SOURCE = "source"
    DEST = "dest"
    CUTOFF = "cutoff"
    KEEP_LAST = "keep_last"
    PATTERN = "pattern"
    COUNT = "write_count"


def _key(name: str) -> BindParameter[str]:
    return bindparam(name, type_=String(MAX_KEY_LENGTH))


def _ns() -> BindParameter[str]:
    return bindparam(Bind.NS, type_=KeyString(MAX_KEY_LENGTH))


def _limit() -> BindParameter[int]:
    return bindparam(Bind.LIMIT, type_=Integer())


def _same_lineage(table: Any) -> ColumnElement[bool]:
    return and_(table.c.thread_id == _key(Bind.THREAD), table.c.checkpoint_ns == _ns())


def _of_checkpoint(table: Any) -> ColumnElement[bool]:
    return and_(_same_lineage(table), table.c.checkpoint_id == _key(Bind.CHECKPOINT))


def _of_thread(table: Any) -> ColumnElement[bool]:
    condition: ColumnElement[bool] = table.c.thread_id == _key(Bind.THREAD)
    return condition


#: The columns an append writes, in the order `_appended` gives their values.
_APPENDED = [
    "thread_id",
    "checkpoint_ns",
    "checkpoint_id",
    "seq",
    "parent_checkpoint_id",
    "checkpoint",
    "metadata",
    "created_at",
]


def _appended(parent: ColumnElement[Any], seq: ColumnElement[Any]) -> list[ColumnElement[Any]]:
    return [
        _key(Bind.THREAD),
        _ns(),
        _key(Bind.CHECKPOINT),
        seq,
        parent,
        bindparam(Bind.DOCUMENT, type_=JSONDocument()),
        bindparam(Bind.METADATA, type_=JSONDocument()),
        bindparam(Bind.CREATED, type_=UTCDateTime()),
    ]


def _appends(cp: Table, dialect: Dialect) -> tuple[Insert, Insert, Insert]:
    """``put_root``, ``put_child`` and ``append``: each takes its position in its own insert."""
    pos = cp.alias("pos")
    next_seq = (
        select(func.coalesce(func.max(pos.c.seq), literal_column("0")) + literal_column("1"))
        .where(_same_lineage(pos))
        .scalar_subquery()
    )
    top = cp.alias("top")
    newest_seq = select(func.max(top.c.seq)).where(_same_lineage(top)).scalar_subquery()
    cur = cp.alias("cur")
    newest_row = select(cur.c.checkpoint_id).where(_same_lineage(cur), cur.c.seq == newest_seq)
    par = cp.alias("par")
    parent_row = select(par.c.checkpoint_id)
    if dialect == "postgresql":
        # Lock the parent row while appending under it. A transaction deleting it
        # (vacuum, splice, thread deletion) either waits for the append, then sees the
        # new child, or makes the append wait, then find the row gone.
        newest_row = newest_row.with_for_update(read=True, key_share=True)
        parent_row = parent_row.with_for_update(read=True, key_share=True, of=par)
    newest_id = newest_row.scalar_subquery()
    append_seq: ColumnElement[Any] = next_seq
    if dialect == "postgresql":
        # The newest row vanished while the append waited for it: no position, so the
        # NOT NULL constraint fails the insert and the append is tried afresh.
        append_seq = case(
            (and_(newest_seq.is_not(None), newest_id.is_(None)), null()), else_=next_seq
        )
    put_root = insert(cp).from_select(_APPENDED, select(*_appended(null(), next_seq)))
    put_child = insert(cp).from_select(
        _APPENDED,
        parent_row.with_only_columns(*_appended(par.c.checkpoint_id, next_seq)).where(
            _same_lineage(par), par.c.checkpoint_id == _key(Bind.PARENT)
        ),
    )
    append = insert(cp).from_select(_APPENDED, select(*_appended(newest_id, append_seq)))
    return put_root, put_child, append


def _upsert_writes(cp: Table, wr: Table, dialect: Dialect) -> Upsert:
    """Write a task's set by position: insert, or update the row already there.

    Replacing a task's writes upserts the new set, then trims what lies past its end:
    two writers replacing the same task at once queue on the same rows (a delete then
    an insert let the second fail on the primary key, the first's rows being invisible
    to its delete).
    """
    values: dict[str, Any] = {c.key: bindparam(c.key, type_=c.type) for c in wr.columns}
    # Each write's channel is read through its checkpoint row: with the checkpoint gone
    # (erased while an agent still ran) it is NULL, which the column refuses, so the
    # whole set fails and no write is left without its checkpoint. PostgreSQL reads the
    # row FOR SHARE: an erasure deleting it waits for this transaction, then deletes its
    # writes too; a write waiting on an erasure finds the row gone.
    channel_of_checkpoint = select(values["channel"]).where(
        *(cp.c[c] == values[c] for c in ("thread_id", "checkpoint_ns", "checkpoint_id"))
    )
    if dialect == "postgresql":
        channel_of_checkpoint = channel_of_checkpoint.with_for_update(read=True)
    values["channel"] = channel_of_checkpoint.scalar_subquery()
    return upsert(
        wr,
        dialect,
        values=values,
        keys=[c.key for c in wr.primary_key.columns],
        update=["channel", "value"],
    )


def _copy(cp: Table, table: Table, *, namespace: bool) -> Insert:
    """Copy thread ``:source``'s rows of ``table`` (one namespace's, or all) to ``:dest``."""
    names = [c.key for c in table.columns]
    src = [_key(Bind.DEST) if c.key == "thread_id" else c for c in table.columns]
    query = select(*src).where(table.c.thread_id == _key(Bind.SOURCE))
    if namespace:
        query = query.where(table.c.checkpoint_ns == _ns())
    if table is cp:
        taken = cp.alias("taken")
        occupied = taken.c.thread_id == _key(Bind.DEST)
        if namespace:
            occupied = and_(occupied, taken.c.checkpoint_ns == _ns())
        query = query.where(~exists().where(occupied))
    return insert(table).from_select(names, query)


def _vacuumable(cp: Table, row: Any) -> ColumnElement[bool]:
    """Old versions of a namespace, but each lineage's newest ``:keep_last``."""
    newer = cp.alias("newer")
    newer_count = (
        select(func.count())
        .select_from(newer)
        .where(
            newer.c.thread_id == row.c.thread_id,
            newer.c.checkpoint_ns == row.c.checkpoint_ns,
            newer.c.seq > row.c.seq,
        )
        .scalar_subquery()
    )
    return and_(
        row.c.checkpoint_ns == _ns(),
        row.c.created_at < bindparam(Bind.CUTOFF, type_=UTCDateTime()),
        newer_count >= bindparam(Bind.KEEP_LAST, type_=Integer()),
    )


def _any_row(cp: Table, *, namespace: bool) -> Select[Any]:
    condition = _same_lineage(cp) if namespace else _of_thread(cp)
    return select(literal_column("1")).where(exists().where(condition))


@dataclass(frozen=True)
class LineageStatements(StatementSet):
    """Every statement the versioned saver and its checkpointer view issue."""

    checkpoints: Table
    # -- checkpoints: append and read ------------------------------------------------
    #: Append a root checkpoint (no parent).
    put_root: Insert
    #: Append a checkpoint under a named parent; inserts nothing when the parent is missing.
    put_child: Insert
    #: Append a checkpoint whose parent is the thread's newest, resolved in the statement.
    append: Insert
    newest: Select[Any]
    named: Select[Any]
    history: Select[Any]
    history_before: Select[Any]
    newest_ids: Select[Any]
    # -- pending writes ---------------------------------------------------------------
    #: Write a task's set by position (insert, or update the row already there)...
    upsert_writes: Upsert
    #: ...then drop the task's positions past the end of the new set.
    trim_task_writes: Delete
    writes: Select[Any]
    task_writes: Select[Any]
    # -- threads ----------------------------------------------------------------------
    delete_thread_writes: Delete
    delete_thread_checkpoints: Delete
    delete_namespace_writes: Delete
    delete_namespace_checkpoints: Delete
    copy_thread_checkpoints: Insert
    copy_thread_writes: Insert
    copy_namespace_checkpoints: Insert
    copy_namespace_writes: Insert
    thread_exists: Select[Any]
    namespace_exists: Select[Any]
    # -- one version out of a lineage ---------------------------------------------------
    #: PostgreSQL: lock the version first, so appends under it finish before the splice
    #: reads its children, and later ones wait and see it gone (None elsewhere).
    splice_lock: Select[Any] | None
    splice_children: Update
    delete_checkpoint_writes: Delete
    delete_checkpoint: Delete
    # -- maintenance and listing --------------------------------------------------------
    vacuum_writes: Delete
    vacuum_reroot: Update
    vacuum_checkpoints: Delete
    list_threads: Select[Any]
    recent: Select[Any]

    @classmethod
    def build(cls, schema: Schema, dialect: Dialect) -> Self:
        cp, wr = schema.checkpoints, schema.writes
        put_root, put_child, append = _appends(cp, dialect)

        # -- reading --------------------------------------------------------------------
        shown = select(
            cp.c.checkpoint_id,
            cp.c.parent_checkpoint_id,
            cp.c.checkpoint,
            cp.c["metadata"],
            cp.c.created_at,
        )
        mark = cp.alias("mark")
        before_seq = (
            select(mark.c.seq)
            .where(_same_lineage(mark), mark.c.checkpoint_id == _key(Bind.BEFORE))
            .scalar_subquery()
        )
        writes_shown = select(wr.c.task_id, wr.c.idx, wr.c.channel, wr.c.value)

        # -- one version out of a lineage -------------------------------------------------
        gone = cp.alias("gone")
        spliced_parent = (
            select(gone.c.parent_checkpoint_id)
            .where(_same_lineage(gone), gone.c.checkpoint_id == _key(Bind.CHECKPOINT))
            .scalar_subquery()
        )
        splice_lock = None
        if dialect == "postgresql":
            splice_lock = select(cp.c.checkpoint_id).where(_of_checkpoint(cp)).with_for_update()

        # -- vacuum: old versions of a namespace, keeping each lineage's newest N ------------
        old = cp.alias("aged")
        kept = cp.alias("kept")
        return cls(
            checkpoints=cp,
            put_root=put_root,
            put_child=put_child,
            append=append,
            newest=shown.where(_same_lineage(cp)).order_by(cp.c.seq.desc()).limit(1),
            named=shown.where(_same_lineage(cp), cp.c.checkpoint_id == _key(Bind.CHECKPOINT)),
            history=shown.where(_same_lineage(cp)).order_by(cp.c.seq.desc()).limit(_limit()),
            history_before=shown.where(_same_lineage(cp), cp.c.seq < before_seq)
            .order_by(cp.c.seq.desc())
            .limit(_limit()),
            newest_ids=select(cp.c.checkpoint_id)
            .where(_same_lineage(cp))
            .order_by(cp.c.seq.desc())
            .limit(_limit()),
            upsert_writes=_upsert_writes(cp, wr, dialect),
            trim_task_writes=delete(wr).where(
                _of_checkpoint(wr),
                wr.c.task_id == _key(Bind.TASK),
                wr.c.idx >= bindparam(Bind.COUNT, type_=Integer()),
            ),
            writes=writes_shown.where(_of_checkpoint(wr)).order_by(wr.c.task_id, wr.c.idx),
            task_writes=writes_shown.where(
                _of_checkpoint(wr), wr.c.task_id == _key(Bind.TASK)
            ).order_by(wr.c.idx),
            delete_thread_writes=delete(wr).where(_of_thread(wr)),
            delete_thread_checkpoints=delete(cp).where(_of_thread(cp)),
            delete_namespace_writes=delete(wr).where(_same_lineage(wr)),
            delete_namespace_checkpoints=delete(cp).where(_same_lineage(cp)),
            copy_thread_checkpoints=_copy(cp, cp, namespace=False),
            copy_thread_writes=_copy(cp, wr, namespace=False),
            copy_namespace_checkpoints=_copy(cp, cp, namespace=True),
            copy_namespace_writes=_copy(cp, wr, namespace=True),
            thread_exists=_any_row(cp, namespace=False),
            namespace_exists=_any_row(cp, namespace=True),
            splice_lock=splice_lock,
            splice_children=cp.update()
            .where(_same_lineage(cp), cp.c.parent_checkpoint_id == _key(Bind.CHECKPOINT))
            .values(parent_checkpoint_id=spliced_parent),
            delete_checkpoint_writes=delete(wr).where(_of_checkpoint(wr)),
            delete_checkpoint=delete(cp).where(_of_checkpoint(cp)),
            vacuum_writes=delete(wr).where(
                exists().where(
                    old.c.thread_id == wr.c.thread_id,
                    old.c.checkpoint_ns == wr.c.checkpoint_ns,
                    old.c.checkpoint_id == wr.c.checkpoint_id,
                    _vacuumable(cp, old),
                )
            ),
            # Run after the delete, in a statement of its own: it also sees the versions
            # appended meanwhile under a parent the delete removed.
            vacuum_reroot=cp.update()
            .where(
                cp.c.checkpoint_ns == _ns(),
                cp.c.parent_checkpoint_id.is_not(None),
                ~exists().where(
                    kept.c.thread_id == cp.c.thread_id,
                    kept.c.checkpoint_ns == cp.c.checkpoint_ns,
                    kept.c.checkpoint_id == cp.c.parent_checkpoint_id,
                ),
            )
            .values(parent_checkpoint_id=null()),
            vacuum_checkpoints=delete(cp).where(_vacuumable(cp, cp)),
            list_threads=select(cp.c.thread_id)
            .where(cp.c.checkpoint_ns == _ns(), CaseSensitiveLike(cp.c.thread_id, Bind.PATTERN))
            .group_by(cp.c.thread_id)
            .order_by(cp.c.thread_id)
            .limit(_limit()),
            recent=select(
                cp.c.thread_id,
                cp.c.checkpoint_id,
                cp.c.parent_checkpoint_id,
                cp.c["metadata"],
                cp.c.created_at,
            )
            .where(cp.c.checkpoint_ns == _ns())
            .order_by(cp.c.created_at.desc(), cp.c.seq.desc())
            .limit(_limit()),
        )

    def metadata_matches(self, metadata_filter: Mapping[str, Any]) -> Select[Any]:
        """Checkpoints of a namespace whose metadata holds every key of ``metadata_filter``
        with an equal JSON value, newest first."""
        return self.recent.where(json_matches(self.checkpoints.c["metadata"], metadata_filter))

    def delete_version(self) -> list[Executable]:
        """The statements that take one version out of its lineage, in order (one transaction)."""
        splice: list[Executable] = [
            self.splice_children,
            self.delete_checkpoint_writes,
            self.delete_checkpoint,
        ]
        return splice if self.splice_lock is None else [self.splice_lock, *splice]

    def review(self) -> dict[str, ClauseElement]:
        now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        sample: dict[str, Any] = {
            Bind.THREAD: "thread-1",
            Bind.NS: DEFAULT_NAMESPACE,
            Bind.CHECKPOINT: "v2",
            Bind.PARENT: "v1",
            Bind.DOCUMENT: {"messages": []},
            Bind.METADATA: {"turn": 2},
            Bind.CREATED: now,
            Bind.BEFORE: "v2",
            Bind.LIMIT: 10,
            Bind.TASK: "task-1",
            Bind.SOURCE: "thread-1",
            Bind.DEST: "thread-2",
            Bind.CUTOFF: now,
            Bind.KEEP_LAST: 1,
            Bind.PATTERN: glob_to_like("thread-*"),
            Bind.COUNT: 1,
        }
        write = {
            "thread_id": "thread-1",
            "checkpoint_ns": DEFAULT_NAMESPACE,
            "checkpoint_id": "v2",
            "task_id": "task-1",
            "idx": 0,
            "channel": "status",
            "value": "investigating",
        }
        statements: dict[str, ClauseElement] = {}
        for name, executable in self.statements().items():
            assert isinstance(executable, ClauseElement)  # every statement of the set is
            statement = bound(executable, write) if name == "upsert_writes" else executable
            statements[name] = bound(statement, sample)
        statements["metadata_matches"] = bound(self.metadata_matches({"turn": 2}), sample)
        return statements


def lineage_statements(prefix: str, dialect: Dialect) -> LineageStatements:
    """`LineageStatements.of` (kept for ``ops.admin``)."""
    return LineageStatements.of(prefix, dialect)
