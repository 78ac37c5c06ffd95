"""Statements of the versioned saver: a lineage of checkpoints per (thread, namespace).

Built once per (table prefix, dialect) by `lineage_statements`; every value is
a named bind parameter supplied per call (see `Bind`). Bind names never
equal a column key, so SQLAlchemy never mistakes an execute parameter for a
``SET``/``VALUES`` column.

Ordering and appending rely on ``seq``, a per-(thread, namespace) position backed
by a unique index: an append computes ``COALESCE(MAX(seq), 0) + 1`` inside its own
``INSERT ... SELECT``, so two racing writers cannot both take a position; the
loser's statement fails on the unique index and is retried by the caller.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import (
    Delete,
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
from sqlalchemy.sql.visitors import cloned_traverse

from locus_store.schema.tables import MAX_KEY_LENGTH, schema_for
from locus_store.schema.types import JSONDocument, KeyString, UTCDateTime
from locus_store.sql.like import CaseSensitiveLike
from locus_store.sql.merge import Upsert, upsert

#: Escape character of the ``LIKE`` patterns built by `glob_to_like`.
LIKE_ESCAPE = "!"

_S = TypeVar("_S", bound=ClauseElement)


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


def glob_to_like(pattern: str) -> str:
    """A ``*``/``?`` glob as a ``LIKE`` pattern escaped with `LIKE_ESCAPE`."""
    out = []
    for char in pattern:
        if char in (LIKE_ESCAPE, "%", "_"):
            out.append(LIKE_ESCAPE + char)
        elif char == "*":
            out.append("%")
        elif char == "?":
            out.append("_")
        else:
            out.append(char)
    return "".join(out)


@dataclass(frozen=True)
class LineageStatements:
    """Every statement the versioned saver and its checkpointer view issue."""

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

    def metadata_matches(self, condition: ColumnElement[bool]) -> Select[Any]:
        """Checkpoints of a namespace whose metadata satisfies ``condition``, newest first."""
        return self.recent.where(condition)

    def items(self) -> list[tuple[str, Any]]:
        named = ((name, getattr(self, name)) for name in self.__dataclass_fields__)
        return [(name, statement) for name, statement in named if statement is not None]


def _build(cp: Table, wr: Table, dialect_name: str) -> LineageStatements:
    def same_lineage(table: Any) -> ColumnElement[bool]:
        return and_(table.c.thread_id == _key(Bind.THREAD), table.c.checkpoint_ns == _ns())

    # -- appending ----------------------------------------------------------------------
    pos = cp.alias("pos")
    next_seq = (
        select(func.coalesce(func.max(pos.c.seq), literal_column("0")) + literal_column("1"))
        .where(same_lineage(pos))
        .scalar_subquery()
    )
    top = cp.alias("top")
    newest_seq = select(func.max(top.c.seq)).where(same_lineage(top)).scalar_subquery()
    cur = cp.alias("cur")
    newest_row = select(cur.c.checkpoint_id).where(same_lineage(cur), cur.c.seq == newest_seq)
    par = cp.alias("par")
    parent_row = select(par.c.checkpoint_id)
    if dialect_name == "postgresql":
        # Lock the parent row while appending under it. A transaction deleting it
        # (vacuum, splice, thread deletion) either waits for the append, then sees the
        # new child, or makes the append wait, then find the row gone.
        newest_row = newest_row.with_for_update(read=True, key_share=True)
        parent_row = parent_row.with_for_update(read=True, key_share=True, of=par)
    newest_id = newest_row.scalar_subquery()
    append_seq: ColumnElement[Any] = next_seq
    if dialect_name == "postgresql":
        # The newest row vanished while the append waited for it: no position, so the
        # NOT NULL constraint fails the insert and the append is tried afresh.
        append_seq = case(
            (and_(newest_seq.is_not(None), newest_id.is_(None)), null()), else_=next_seq
        )
    columns = [
        "thread_id",
        "checkpoint_ns",
        "checkpoint_id",
        "seq",
        "parent_checkpoint_id",
        "checkpoint",
        "metadata",
        "created_at",
    ]

    def appended(
        parent: ColumnElement[Any], seq: ColumnElement[Any] = next_seq
    ) -> list[ColumnElement[Any]]:
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

    put_root = insert(cp).from_select(columns, select(*appended(null())))
    put_child = insert(cp).from_select(
        columns,
        parent_row.with_only_columns(*appended(par.c.checkpoint_id)).where(
            same_lineage(par), par.c.checkpoint_id == _key(Bind.PARENT)
        ),
    )
    append = insert(cp).from_select(columns, select(*appended(newest_id, append_seq)))

    # -- reading ------------------------------------------------------------------------
    shown = select(
        cp.c.checkpoint_id,
        cp.c.parent_checkpoint_id,
        cp.c.checkpoint,
        cp.c["metadata"],
        cp.c.created_at,
    )
    newest = shown.where(same_lineage(cp)).order_by(cp.c.seq.desc()).limit(1)
    named = shown.where(same_lineage(cp), cp.c.checkpoint_id == _key(Bind.CHECKPOINT))
    history = shown.where(same_lineage(cp)).order_by(cp.c.seq.desc()).limit(_limit())
    mark = cp.alias("mark")
    before_seq = (
        select(mark.c.seq)
        .where(same_lineage(mark), mark.c.checkpoint_id == _key(Bind.BEFORE))
        .scalar_subquery()
    )
    history_before = (
        shown.where(same_lineage(cp), cp.c.seq < before_seq)
        .order_by(cp.c.seq.desc())
        .limit(_limit())
    )
    newest_ids = (
        select(cp.c.checkpoint_id).where(same_lineage(cp)).order_by(cp.c.seq.desc()).limit(_limit())
    )

    # -- pending writes ---------------------------------------------------------------
    def of_checkpoint(table: Any) -> ColumnElement[bool]:
        return and_(same_lineage(table), table.c.checkpoint_id == _key(Bind.CHECKPOINT))

    # Replacing a task's writes upserts the new set, then trims what lies past its end:
    # two writers replacing the same task at once queue on the same rows (a delete then
    # an insert let the second fail on the primary key, the first's rows being invisible
    # to its delete).
    write_values: dict[str, Any] = {c.key: bindparam(c.key, type_=c.type) for c in wr.columns}
    # Each write's channel is read through its checkpoint row: with the checkpoint gone
    # (erased while an agent still ran) it is NULL, which the column refuses, so the
    # whole set fails and no write is left without its checkpoint. PostgreSQL reads the
    # row FOR SHARE: an erasure deleting it waits for this transaction, then deletes its
    # writes too; a write waiting on an erasure finds the row gone.
    channel_of_checkpoint = select(write_values["channel"]).where(
        *(cp.c[c] == write_values[c] for c in ("thread_id", "checkpoint_ns", "checkpoint_id"))
    )
    if dialect_name == "postgresql":
        channel_of_checkpoint = channel_of_checkpoint.with_for_update(read=True)
    write_values["channel"] = channel_of_checkpoint.scalar_subquery()
    upsert_writes = upsert(
        wr,
        dialect_name,
        values=write_values,
        keys=[c.key for c in wr.primary_key.columns],
        update=["channel", "value"],
    )
    trim_task_writes = delete(wr).where(
        of_checkpoint(wr),
        wr.c.task_id == _key(Bind.TASK),
        wr.c.idx >= bindparam(Bind.COUNT, type_=Integer()),
    )
    writes_shown = select(wr.c.task_id, wr.c.idx, wr.c.channel, wr.c.value)
    writes = writes_shown.where(of_checkpoint(wr)).order_by(wr.c.task_id, wr.c.idx)
    task_writes = writes_shown.where(of_checkpoint(wr), wr.c.task_id == _key(Bind.TASK)).order_by(
        wr.c.idx
    )

    # -- threads ------------------------------------------------------------------------
    def of_thread(table: Any) -> ColumnElement[bool]:
        condition: ColumnElement[bool] = table.c.thread_id == _key(Bind.THREAD)
        return condition

    def copy(table: Table, namespace: bool) -> Insert:
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

    # -- one version out of a lineage -----------------------------------------------------
    gone = cp.alias("gone")
    spliced_parent = (
        select(gone.c.parent_checkpoint_id)
        .where(same_lineage(gone), gone.c.checkpoint_id == _key(Bind.CHECKPOINT))
        .scalar_subquery()
    )
    splice_children = (
        cp.update()
        .where(same_lineage(cp), cp.c.parent_checkpoint_id == _key(Bind.CHECKPOINT))
        .values(parent_checkpoint_id=spliced_parent)
    )
    splice_lock = None
    if dialect_name == "postgresql":
        splice_lock = select(cp.c.checkpoint_id).where(of_checkpoint(cp)).with_for_update()

    # -- vacuum: old versions of a namespace, keeping each lineage's newest N ----------------
    def vacuumable(row: Any) -> ColumnElement[bool]:
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

    old = cp.alias("aged")
    vacuum_writes = delete(wr).where(
        exists().where(
            old.c.thread_id == wr.c.thread_id,
            old.c.checkpoint_ns == wr.c.checkpoint_ns,
            old.c.checkpoint_id == wr.c.checkpoint_id,
            vacuumable(old),
        )
    )
    # Run after the delete, in a statement of its own: it also sees the versions
    # appended meanwhile under a parent the delete removed.
    kept = cp.alias("kept")
    vacuum_reroot = (
        cp.update()
        .where(
            cp.c.checkpoint_ns == _ns(),
            cp.c.parent_checkpoint_id.is_not(None),
            ~exists().where(
                kept.c.thread_id == cp.c.thread_id,
                kept.c.checkpoint_ns == cp.c.checkpoint_ns,
                kept.c.checkpoint_id == cp.c.parent_checkpoint_id,
            ),
        )
        .values(parent_checkpoint_id=null())
    )
    vacuum_checkpoints = delete(cp).where(vacuumable(cp))

    list_threads = (
        select(cp.c.thread_id)
        .where(
            cp.c.checkpoint_ns == _ns(),
            CaseSensitiveLike(cp.c.thread_id, Bind.PATTERN, LIKE_ESCAPE),
        )
        .group_by(cp.c.thread_id)
        .order_by(cp.c.thread_id)
        .limit(_limit())
    )
    recent = (
        select(
            cp.c.thread_id,
            cp.c.checkpoint_id,
            cp.c.parent_checkpoint_id,
            cp.c["metadata"],
            cp.c.created_at,
        )
        .where(cp.c.checkpoint_ns == _ns())
        .order_by(cp.c.created_at.desc(), cp.c.seq.desc())
        .limit(_limit())
    )

    def any_row(namespace: bool) -> Select[Any]:
        condition = same_lineage(cp) if namespace else of_thread(cp)
        return select(literal_column("1")).where(exists().where(condition))

    return LineageStatements(
        put_root=put_root,
        put_child=put_child,
        append=append,
        newest=newest,
        named=named,
        history=history,
        history_before=history_before,
        newest_ids=newest_ids,
        upsert_writes=upsert_writes,
        trim_task_writes=trim_task_writes,
        writes=writes,
        task_writes=task_writes,
        delete_thread_writes=delete(wr).where(of_thread(wr)),
        delete_thread_checkpoints=delete(cp).where(of_thread(cp)),
        delete_namespace_writes=delete(wr).where(same_lineage(wr)),
        delete_namespace_checkpoints=delete(cp).where(same_lineage(cp)),
        copy_thread_checkpoints=copy(cp, namespace=False),
        copy_thread_writes=copy(wr, namespace=False),
        copy_namespace_checkpoints=copy(cp, namespace=True),
        copy_namespace_writes=copy(wr, namespace=True),
        thread_exists=any_row(namespace=False),
        namespace_exists=any_row(namespace=True),
        splice_lock=splice_lock,
        splice_children=splice_children,
        delete_checkpoint_writes=delete(wr).where(of_checkpoint(wr)),
        delete_checkpoint=delete(cp).where(of_checkpoint(cp)),
        vacuum_writes=vacuum_writes,
        vacuum_reroot=vacuum_reroot,
        vacuum_checkpoints=vacuum_checkpoints,
        list_threads=list_threads,
        recent=recent,
    )


@cache
def lineage_statements(prefix: str, dialect_name: str) -> LineageStatements:
    """The statements for one table prefix, built once per (prefix, dialect).

    They are portable constructs but for PostgreSQL's row locks: an append locks the
    parent row it reads (``FOR KEY SHARE``) and a splice locks the version it removes,
    so a concurrent vacuum or splice never leaves an appended version a dangling parent.
    """
    schema = schema_for(prefix)
    return _build(schema.checkpoints, schema.writes, dialect_name)


def with_values(statement: _S, values: Mapping[str, Any]) -> _S:
    """A copy of ``statement`` whose bind parameters carry ``values`` (for review output)."""

    def visit_bindparam(bind: BindParameter[Any]) -> None:
        if bind.key in values:
            bind.value = values[bind.key]
            bind.required = False

    return cloned_traverse(
        statement,
        {"maintain_key": True, "detect_subquery_cols": True},
        {"bindparam": visit_bindparam},
    )
