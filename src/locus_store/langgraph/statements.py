"""The SQL of the LangGraph saver, built once per (prefix, dialect) and bound per call.

Two dialect differences live here and nowhere else:

- *insert unless present* (channel blobs and pending writes are written at most
  once per key): ``ON CONFLICT DO NOTHING`` on PostgreSQL and SQLite, the
  ``IGNORE_ROW_ON_DUPKEY_INDEX`` hint on Oracle;
- *insert or replace* of a checkpoint row: ``ON CONFLICT DO UPDATE`` on PostgreSQL
  and SQLite; on Oracle the hinted insert, then an ``UPDATE`` when it inserted nothing.

Lookups by many composite keys (the channel values of a checkpoint, a page's pending
writes, the rows a prune deletes) are ``OR``-ed equalities on the primary key columns:
SQLite scans the whole table for a multi-row tuple ``IN`` list, while every engine
turns the equalities into primary-key index lookups. One statement is built per key
count rounded up to a power of two (at most `KEYS_PER_STATEMENT`) and cached.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Self

from sqlalchemy import (
    Delete,
    Integer,
    String,
    Table,
    and_,
    bindparam,
    cast,
    column,
    delete,
    exists,
    false,
    func,
    insert,
    literal_column,
    null,
    or_,
    select,
    true,
    type_coerce,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.elements import BindParameter, ColumnElement
from sqlalchemy.sql.expression import Executable, Insert, Select, TableClause, Update
from sqlalchemy.sql.visitors import InternalTraversal

from locus_store.schema.langgraph_tables import LG_KEY_LENGTH, MAX_TASK_PATH_LENGTH
from locus_store.schema.types import EMPTY_STRING_SENTINEL, KeyString
from locus_store.sql.json_match import JSONHasKey, json_matches
from locus_store.sql.statements import Dialect, StatementSet, bound

if TYPE_CHECKING:
    from locus_store.schema.tables import Schema

#: Most keys looked up by one statement (a power of two).
KEYS_PER_STATEMENT = 256
#: Most channel values sent in the same statement as their checkpoint (PostgreSQL).
MAX_COMBINED = 64

#: A statement and the parameters that bind its keys.
#: What a lookup by many keys is: a read, a delete or an update.
KeyedStatement = Select[Any] | Delete | Update
Keyed = tuple[KeyedStatement, dict[str, Any]]


def insert_ignore(table: Table, dialect_name: str) -> Executable:
    """``INSERT`` that skips rows whose primary key is already present."""
    if dialect_name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    if dialect_name == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing()
    if dialect_name == "oracle":
        pk = table.primary_key.name
        return insert(table).prefix_with(f"/*+ IGNORE_ROW_ON_DUPKEY_INDEX({table.name}, {pk}) */")
    return insert(table)


def _pk_columns(table: Table) -> list[str]:
    return [c.name for c in table.primary_key.columns]


def _bucket(count: int) -> int:
    """``count`` rounded up to a power of two, so few statement shapes exist."""
    return 0 if count <= 0 else 1 << (count - 1).bit_length()


def _keys_match(table: Table, columns: Sequence[str], prefix: str, count: int) -> Any:
    """``(c1 = :p0_c1 AND c2 = :p0_c2) OR (c1 = :p1_c1 AND ...)`` for ``count`` keys."""
    if count == 0:
        return false()
    return or_(
        *(
            and_(*(table.c[c] == bindparam(f"{prefix}{i}_{c}") for c in columns))
            for i in range(count)
        )
    )


def _key_params(
    prefix: str, columns: Sequence[str], keys: Sequence[tuple[Any, ...]], count: int
) -> dict[str, Any]:
    """Parameters of `_keys_match`; the last key repeats up to ``count``."""
    params: dict[str, Any] = {}
    for i in range(count):
        for name, value in zip(columns, keys[min(i, len(keys) - 1)], strict=True):
            params[f"{prefix}{i}_{name}"] = value
    return params


class OracleVersionPairs(TableClause):
    """Oracle: ``JSON_TABLE`` rows ``(channel, version)`` of a ``[[channel, version], ...]``
    document (SQLAlchemy would wrap a table function in ``TABLE(...)``)."""

    inherit_cache = True
    _traverse_internals = [  # noqa: RUF012 - SQLAlchemy's own class attribute
        *TableClause._traverse_internals,
        ("document", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, document: Any) -> None:
        super().__init__(
            "pairs",
            column("channel", KeyString(LG_KEY_LENGTH)),
            column("version", String(LG_KEY_LENGTH)),
        )
        self.document = document


@compiles(OracleVersionPairs, "oracle")
def _oracle_version_pairs(element: OracleVersionPairs, compiler: Any, **kw: Any) -> str:
    if not kw.get("asfrom"):
        return str(element.name)
    length = f"VARCHAR2({LG_KEY_LENGTH} CHAR)"
    return (
        f"JSON_TABLE({compiler.process(element.document, **kw)}, '$[*]' COLUMNS ("
        f"channel {length} PATH '$[0]', version {length} PATH '$[1]')) {element.name}"
    )


#: Serde type tag of a channel that has a version but no value.
EMPTY = "empty"
#: Metadata key LangGraph.js puts on threads its delta-channel graphs write.
DELTA_MARKER = "delta_writes_versioned"
#: The channel of the writes that record an interrupt (``langgraph.constants.INTERRUPT``).
INTERRUPT = "__interrupt__"
CHECKPOINT_KEY = ("thread_id", "checkpoint_ns", "checkpoint_id")
#: Binds of a child checkpoint's put: its thread and type again, read through the thread.
CHILD_THREAD, CHILD_TYPE = "child_of_thread", "child_type"
BLOB_KEY = ("thread_id", "checkpoint_ns", "channel", "version")
GROUP_KEY = ("thread_id", "checkpoint_ns")
#: Columns a repeated ``put`` of the same checkpoint replaces. Not its parent: a
#: checkpoint keeps the parent it was first written under (as LangGraph's own
#: PostgresSaver does), so no put can turn a lineage into a cycle.
_REPLACED = (
    "run_id",
    "checkpoint_type",
    "checkpoint",
    "channel_versions",
    "metadata",
    "expires_at",
)


def _through_thread(
    cp: Table, dialect: Dialect, value: BindParameter[Any], thread: str = "thread_id"
) -> Any:
    """``value``, read through one checkpoint row of the thread: NULL when it has none.

    Put in a NOT NULL column, it makes a statement fail whole (``IntegrityError``)
    for a thread with no checkpoint, i.e. one erased while a graph still ran: its
    late writes and child checkpoints are refused instead of leaving a partial
    thread. On PostgreSQL the row is read ``FOR SHARE``: an erasure deleting it
    waits for this statement's transaction, then deletes what it wrote; a
    statement waiting on an erasure finds the thread gone.
    """
    of_thread = cp.c.thread_id == bindparam(thread, type_=cp.c.thread_id.type)
    if dialect == "oracle":
        # (FETCH FIRST renders its count inline, which an executemany cannot take.)
        return select(value).where(exists().where(of_thread)).scalar_subquery()
    one = select(value).where(of_thread).limit(1)
    if dialect == "postgresql":
        one = one.with_for_update(read=True)
    return one.scalar_subquery()


def _insert_writes_of_thread(cp: Table, writes: Table, dialect: Dialect) -> Executable:
    """Pending writes (ids already there skipped), only into a thread with a checkpoint.

    Not only into their own checkpoint: LangGraph sends a step's writes while the
    put of that step's checkpoint may still be under way.
    """
    columns = [c.name for c in writes.c]
    values: dict[str, Any] = {c: bindparam(c, type_=writes.c[c].type) for c in columns}
    values["value_type"] = _through_thread(cp, dialect, values["value_type"])
    if dialect == "postgresql":
        # An untyped parameter in a select list is text, which bytea does not take.
        values["value"] = cast(values["value"], writes.c.value.type)
    row = select(*(values[c].label(c) for c in columns))
    if dialect == "sqlite":
        row = row.where(true())  # INSERT ... SELECT ... ON CONFLICT needs a WHERE
    statement: Any = insert_ignore(writes, dialect)
    return statement.from_select(columns, row)  # type: ignore[no-any-return]


def _checkpoint_upsert(
    cp: Table, dialect: Dialect, *, child: bool
) -> tuple[Executable, Update | None]:
    guarded: dict[str, Any] = {}
    if child:
        # (An INSERT ... VALUES keeps its columns' names for itself: other binds.)
        checkpoint_type = bindparam(CHILD_TYPE, type_=cp.c.checkpoint_type.type)
        guarded["checkpoint_type"] = _through_thread(cp, dialect, checkpoint_type, CHILD_THREAD)
    if dialect in ("postgresql", "sqlite"):
        ins = (postgresql if dialect == "postgresql" else sqlite).insert(cp)
        if guarded:
            ins = ins.values(guarded)
        return (
            ins.on_conflict_do_update(
                index_elements=_pk_columns(cp),
                set_={c: ins.excluded[c] for c in _REPLACED},
            ),
            None,
        )
    replace = (
        update(cp)
        .where(*(cp.c[c] == bindparam(f"key_{c}") for c in CHECKPOINT_KEY))
        .values({c: bindparam(f"new_{c}") for c in _REPLACED})
    )
    ignore: Any = insert_ignore(cp, dialect)
    return (ignore.values(guarded) if guarded else ignore), replace


def _version_rows(document: Any, dialect: Dialect) -> tuple[Any, Any, Any]:
    """A FROM item with one row per ``[channel, version]`` pair of ``document``."""
    if dialect == "postgresql":
        rows = func.jsonb_array_elements(document).table_valued("value").alias("pairs")
        pair = rows.c.value
        return rows, pair.op("->>")(literal_column("0")), pair.op("->>")(literal_column("1"))
    if dialect == "oracle":
        table = OracleVersionPairs(document)
        return table, table.c.channel, table.c.version
    rows = func.json_each(document).table_valued("value").alias("pairs")
    return (
        rows,
        func.json_extract(rows.c.value, literal_column("'$[0]'")),
        func.json_extract(rows.c.value, literal_column("'$[1]'")),
    )


def _read(
    writes: Table,
    blobs: Table,
    dialect: Dialect,
    checkpoints: Select[Any],
    *,
    ordered: bool = False,
) -> Any:
    """The ``checkpoints`` rows (kind 0), their pending writes (kind 1) and exactly the
    channel values they reference (kind 2, NULL when missing), as one ``UNION ALL``."""
    w, b = writes, blobs
    cur = checkpoints.cte("cur")
    pairs, channel, version = _version_rows(cur.c.channel_versions, dialect)
    no_key = cast(null(), String(LG_KEY_LENGTH))
    rows = select(
        literal_column("0", Integer).label("kind"),
        cur.c.thread_id,
        cur.c.checkpoint_ns,
        cur.c.checkpoint_id,
        cur.c.parent_checkpoint_id,
        no_key.label("task_id"),
        cast(null(), Integer).label("idx"),
        cast(null(), KeyString(MAX_TASK_PATH_LENGTH)).label("task_path"),
        cast(null(), KeyString(LG_KEY_LENGTH)).label("channel"),
        no_key.label("version"),
        cur.c.checkpoint_type.label("value_type"),
        cur.c.checkpoint.label("value"),
        cur.c["metadata"].label("metadata"),
    )
    pending = select(
        literal_column("1", Integer),
        w.c.thread_id,
        w.c.checkpoint_ns,
        w.c.checkpoint_id,
        null(),
        w.c.task_id,
        w.c.idx,
        w.c.task_path,
        w.c.channel,
        null(),
        w.c.value_type,
        w.c.value,
        null(),
    ).where(
        w.c.thread_id == cur.c.thread_id,
        w.c.checkpoint_ns == cur.c.checkpoint_ns,
        w.c.checkpoint_id == cur.c.checkpoint_id,
    )
    # For each referenced (channel, version), one primary-key lookup; a LEFT JOIN
    # keeps SQLite and Oracle on that join order, LATERAL keeps PostgreSQL there
    # (it guesses 100 pairs and would rather hash a scan of the table). Missing: NULL.
    one = literal_column("1") == literal_column("1")
    lookup = and_(
        b.c.thread_id == cur.c.thread_id,
        b.c.checkpoint_ns == cur.c.checkpoint_ns,
        b.c.channel == channel,
        b.c.version == version,
    )
    found: Any = b
    source = cur.join(pairs, one).outerjoin(b, lookup)
    if dialect == "postgresql":
        found = select(*(b.c[c] for c in (*BLOB_KEY, "value_type", "value")))
        found = found.where(lookup).limit(1).lateral("found")  # LIMIT: not flattened
        source = cur.join(pairs, one).outerjoin(found, one)
    values = select(
        literal_column("2", Integer),
        found.c.thread_id,
        found.c.checkpoint_ns,
        null(),
        null(),
        null(),
        null(),
        null(),
        found.c.channel,
        found.c.version,
        found.c.value_type,
        found.c.value,
        null(),
    ).select_from(source)
    union = union_all(rows, pending, values)
    if not ordered:
        return union
    order = ("kind", "checkpoint_id DESC", "thread_id DESC", "checkpoint_ns DESC")
    return union.order_by(*(literal_column(term) for term in order))


def _delta_history(
    cp: Table, writes: Table, blobs: Table, dialect: Dialect, *, latest: bool
) -> Select[Any]:
    """What ``get_delta_channel_history`` needs of a checkpoint's ancestors, in one query.

    ``lineage`` walks the parent chain from the target (``distance`` 0) with a
    recursive CTE, at most as many steps as the namespace has checkpoints, so a
    lineage cycle ends. ``stored`` is every non-empty value of a wanted channel an
    ancestor references, ``nearest`` the closest ancestor holding one per channel.
    Rows: that seed value (kind 0) and the wanted channels' pending writes of the
    ancestors up to and including it (kind 1, all ancestors when no seed).
    """
    w, b = writes, blobs
    thread = bindparam("thread_id", type_=cp.c.thread_id.type)
    ns = bindparam("checkpoint_ns", type_=cp.c.checkpoint_ns.type)
    counted = cp.alias("counted")
    in_thread = (counted.c.thread_id == thread, counted.c.checkpoint_ns == ns)
    target: Any = bindparam("checkpoint_id", type_=cp.c.checkpoint_id.type)
    if latest:
        target = select(func.max(counted.c.checkpoint_id)).where(*in_thread).scalar_subquery()
    size = select(func.count()).select_from(counted).where(*in_thread).scalar_subquery()
    lineage = (
        select(
            cp.c.thread_id,
            cp.c.checkpoint_ns,
            cp.c.checkpoint_id,
            cp.c.parent_checkpoint_id,
            cp.c.channel_versions,
            literal_column("0", Integer).label("distance"),
            size.label("most_steps"),
        )
        .where(cp.c.thread_id == thread, cp.c.checkpoint_ns == ns, cp.c.checkpoint_id == target)
        .cte("lineage", recursive=True)
    )
    parent = cp.alias("parent")
    lineage = lineage.union_all(
        select(
            parent.c.thread_id,
            parent.c.checkpoint_ns,
            parent.c.checkpoint_id,
            parent.c.parent_checkpoint_id,
            parent.c.channel_versions,
            (lineage.c.distance + literal_column("1", Integer)).label("distance"),
            lineage.c.most_steps,
        ).where(
            parent.c.thread_id == lineage.c.thread_id,
            parent.c.checkpoint_ns == lineage.c.checkpoint_ns,
            parent.c.checkpoint_id == lineage.c.parent_checkpoint_id,
            lineage.c.distance < lineage.c.most_steps,
        )
    )
    wanted: BindParameter[Any] = bindparam("channels", expanding=True)
    pairs, channel, version = _version_rows(lineage.c.channel_versions, dialect)
    # As in `_read`: one primary-key lookup per referenced (channel, version), the
    # join order held by a LEFT JOIN (LATERAL ... LIMIT 1 on PostgreSQL, which
    # misjudges a recursive CTE's size and would rather scan). Missing: NULL.
    one = literal_column("1") == literal_column("1")
    lookup = and_(
        b.c.thread_id == lineage.c.thread_id,
        b.c.checkpoint_ns == lineage.c.checkpoint_ns,
        b.c.channel == channel,
        b.c.version == version,
        b.c.value_type != literal_column(f"'{EMPTY}'", String),  # a constant, not a bind
    )
    found: Any = b
    source = lineage.join(pairs, one).outerjoin(b, lookup)
    if dialect == "postgresql":
        found = select(b.c.channel, b.c.value_type, b.c.value).where(lookup).limit(1)
        found = found.lateral("found")
        source = lineage.join(pairs, one).outerjoin(found, one)
    stored = (
        select(
            lineage.c.checkpoint_id,
            lineage.c.distance,
            found.c.channel,
            found.c.value_type,
            found.c.value,
        )
        .select_from(source)
        .where(
            lineage.c.distance > literal_column("0", Integer),
            type_coerce(channel, KeyString(LG_KEY_LENGTH)).in_(wanted),
        )
        .cte("stored")
    )
    nearest = (
        select(stored.c.channel, func.min(stored.c.distance).label("distance"))
        .where(stored.c.channel.is_not(None))
        .group_by(stored.c.channel)
        .cte("nearest")
    )
    of_ancestor = and_(
        w.c.thread_id == lineage.c.thread_id,
        w.c.checkpoint_ns == lineage.c.checkpoint_ns,
        w.c.checkpoint_id == lineage.c.checkpoint_id,
        w.c.channel.in_(wanted),
    )
    written: Any = w
    ancestors_writes = lineage.join(w, of_ancestor)
    if dialect == "postgresql":
        # (OFFSET keeps the subquery a per-ancestor index lookup, as LIMIT does above.)
        columns = ("task_id", "idx", "task_path", "channel", "value_type", "value")
        written = select(*(w.c[c] for c in columns)).where(of_ancestor).offset(0)
        written = written.lateral("written")
        ancestors_writes = lineage.join(written, one)
    seeds = select(
        literal_column("0", Integer).label("kind"),
        stored.c.checkpoint_id,
        stored.c.distance,
        cast(null(), String(LG_KEY_LENGTH)).label("task_id"),
        cast(null(), Integer).label("idx"),
        cast(null(), KeyString(MAX_TASK_PATH_LENGTH)).label("task_path"),
        stored.c.channel,
        stored.c.value_type,
        stored.c.value,
    ).select_from(
        stored.join(
            nearest,
            and_(nearest.c.channel == stored.c.channel, nearest.c.distance == stored.c.distance),
        )
    )
    pending = (
        select(
            literal_column("1", Integer),
            lineage.c.checkpoint_id,
            lineage.c.distance,
            written.c.task_id,
            written.c.idx,
            written.c.task_path,
            written.c.channel,
            written.c.value_type,
            written.c.value,
        )
        .select_from(ancestors_writes.outerjoin(nearest, nearest.c.channel == written.c.channel))
        .where(
            lineage.c.distance > literal_column("0", Integer),
            or_(nearest.c.distance.is_(None), lineage.c.distance <= nearest.c.distance),
        )
    )
    return union_all(seeds, pending)  # type: ignore[return-value]


def _copy(table: Table) -> Insert:
    """Copy ``:source``'s rows of ``table`` to thread ``:target``, skipping rows it has."""
    src, dst = table.alias("src"), table.alias("dst")
    target = bindparam("target", type_=String(LG_KEY_LENGTH))
    rest = [c for c in _pk_columns(table) if c != "thread_id"]
    already = exists().where(dst.c.thread_id == target, *(dst.c[c] == src.c[c] for c in rest))
    columns = [c.name for c in table.c]
    rows = select(*(target.label(c) if c == "thread_id" else src.c[c] for c in columns)).where(
        src.c.thread_id == bindparam("source"), ~already
    )
    return insert(table).from_select(columns, rows)


@dataclass(frozen=True)
class LangGraphStatements(StatementSet):
    """Every statement the saver issues, for one table prefix and one dialect."""

    dialect: Dialect
    checkpoints: Table
    blobs: Table
    writes: Table
    #: The columns of a checkpoint row as reads return it.
    checkpoint_columns: tuple[ColumnElement[Any], ...]

    insert_blobs: Executable
    insert_writes: Executable
    insert_checkpoint: Executable
    #: Oracle: replace a checkpoint row the hinted insert skipped (None elsewhere: the
    #: insert replaces it itself).
    update_checkpoint: Update | None
    #: A checkpoint with a parent: only into a thread that still has a checkpoint.
    insert_child_checkpoint: Executable
    #: Special writes (errors, interrupts, ...) of a task replace earlier ones.
    delete_task_writes: Delete
    #: One checkpoint with its pending writes and channel values, in one query.
    read_checkpoint: Select[Any]
    read_latest_checkpoint: Select[Any]
    #: ``get_delta_channel_history``: a checkpoint's ancestors' seeds and writes, one query.
    read_delta_history: Select[Any]
    read_latest_delta_history: Select[Any]
    #: What a refused child put (the thread erased meanwhile) sent ahead of its row.
    delete_values_of_erased_thread: Delete
    #: delete_thread and prune(strategy="delete"): writes, values, then checkpoints.
    delete_threads: tuple[Delete, ...]
    #: delete_for_runs
    select_run_checkpoints: Select[Any]
    #: prune(strategy="keep_latest")
    select_lineage: Select[Any]
    #: Namespaces some checkpoint of which LangGraph.js marked as written by a
    #: graph with delta channels (it records no counters to tell which).
    select_delta_marked: Select[Any]
    #: The checkpoints of some threads holding interrupt writes (a prune keeps the pending).
    select_interrupted: Select[Any]
    #: Checkpoints, values, then writes.
    copy_thread: tuple[Insert, ...]

    _keyed: dict[tuple[str, int, int], KeyedStatement] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _with_values: dict[tuple[int, bool], Insert] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @classmethod
    def build(cls, schema: Schema, dialect: Dialect) -> Self:
        cp, blobs, writes = schema.lg_checkpoints, schema.lg_blobs, schema.lg_writes
        insert_checkpoint, update_checkpoint = _checkpoint_upsert(cp, dialect, child=False)
        insert_child_checkpoint, _ = _checkpoint_upsert(cp, dialect, child=True)
        row = (
            cp.c.thread_id,
            cp.c.checkpoint_ns,
            cp.c.checkpoint_id,
            cp.c.parent_checkpoint_id,
            cp.c.checkpoint_type,
            cp.c.checkpoint,
            cp.c["metadata"],
            cp.c.channel_versions,
        )
        in_thread = and_(
            cp.c.thread_id == bindparam("thread_id"),
            cp.c.checkpoint_ns == bindparam("checkpoint_ns"),
        )

        def of_threads() -> BindParameter[Any]:
            return bindparam("thread_ids", expanding=True)

        return cls(
            dialect=dialect,
            checkpoints=cp,
            blobs=blobs,
            writes=writes,
            checkpoint_columns=row,
            insert_blobs=insert_ignore(blobs, dialect),
            insert_writes=_insert_writes_of_thread(cp, writes, dialect),
            insert_checkpoint=insert_checkpoint,
            update_checkpoint=update_checkpoint,
            insert_child_checkpoint=insert_child_checkpoint,
            delete_task_writes=delete(writes).where(
                writes.c.thread_id == bindparam("thread_id"),
                writes.c.checkpoint_ns == bindparam("checkpoint_ns"),
                writes.c.checkpoint_id == bindparam("checkpoint_id"),
                writes.c.task_id == bindparam("task_id"),
                writes.c.idx.in_(bindparam("idxs", expanding=True)),
            ),
            read_checkpoint=_read(
                writes,
                blobs,
                dialect,
                select(*row).where(in_thread, cp.c.checkpoint_id == bindparam("checkpoint_id")),
            ),
            read_latest_checkpoint=_read(
                writes,
                blobs,
                dialect,
                select(*row).where(in_thread).order_by(cp.c.checkpoint_id.desc()).limit(1),
            ),
            read_delta_history=_delta_history(cp, writes, blobs, dialect, latest=False),
            read_latest_delta_history=_delta_history(cp, writes, blobs, dialect, latest=True),
            delete_values_of_erased_thread=delete(blobs).where(
                blobs.c.thread_id == bindparam("thread_id"),
                ~exists().where(cp.c.thread_id == bindparam("thread_id")),
            ),
            delete_threads=tuple(
                delete(t).where(t.c.thread_id.in_(of_threads())) for t in (writes, blobs, cp)
            ),
            select_run_checkpoints=select(*row).where(
                cp.c.run_id.in_(bindparam("run_ids", expanding=True))
            ),
            select_lineage=select(
                cp.c.thread_id, cp.c.checkpoint_ns, cp.c.checkpoint_id, cp.c.parent_checkpoint_id
            ).where(cp.c.thread_id.in_(of_threads())),
            select_delta_marked=select(cp.c.thread_id, cp.c.checkpoint_ns)
            .where(cp.c.thread_id.in_(of_threads()))
            .where(JSONHasKey(cp.c.metadata, DELTA_MARKER))
            .distinct(),
            select_interrupted=select(
                writes.c.thread_id, writes.c.checkpoint_ns, writes.c.checkpoint_id
            )
            .where(writes.c.thread_id.in_(of_threads()), writes.c.channel == INTERRUPT)
            .distinct(),
            copy_thread=tuple(_copy(t) for t in (cp, blobs, writes)),
        )

    # -- a checkpoint's put ---------------------------------------------------------------
    def insert_checkpoint_row(self, row: Mapping[str, Any]) -> tuple[Executable, dict[str, Any]]:
        """The insert (root or child) of a checkpoint row and its parameters."""
        if row["parent_checkpoint_id"] is None:
            return self.insert_checkpoint, dict(row)
        return self.insert_child_checkpoint, {**row, **child_params(row)}

    def replace_params(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """The parameters of `update_checkpoint` replacing the stored row with ``row``."""
        params = {f"key_{c}": row[c] for c in CHECKPOINT_KEY}
        params.update({f"new_{c}": row[c] for c in _REPLACED})
        return params

    # -- lookups by many keys ------------------------------------------------------------
    def _by_keys(
        self, name: str, keys: Sequence[tuple[Any, ...]], columns: Sequence[str], make: Any
    ) -> Keyed:
        count = _bucket(len(keys))
        statement = self._keyed.get((name, count, 0))
        if statement is None:
            statement = make(count)
            self._keyed[(name, count, 0)] = statement
        return statement, _key_params("k", columns, keys, count)

    def checkpoints_by_key(self, keys: Sequence[tuple[str, str, str]]) -> Keyed:
        cp = self.checkpoints
        return self._by_keys(
            "checkpoints",
            keys,
            CHECKPOINT_KEY,
            lambda n: select(*self.checkpoint_columns).where(
                _keys_match(cp, CHECKPOINT_KEY, "k", n)
            ),
        )

    def blob_types(self, keys: Sequence[tuple[str, ...]]) -> Keyed:
        """Which of these channel value versions are stored, and with which type tag."""
        b = self.blobs
        return self._by_keys(
            "blob_types",
            keys,
            BLOB_KEY,
            lambda n: select(*(b.c[c] for c in BLOB_KEY), b.c.value_type).where(
                _keys_match(b, BLOB_KEY, "k", n)
            ),
        )

    def group_checkpoints(self, groups: Sequence[tuple[str, str]]) -> Keyed:
        """The checkpoints of some (thread, namespace) pairs."""
        cp = self.checkpoints
        return self._by_keys(
            "group_checkpoints",
            groups,
            GROUP_KEY,
            lambda n: select(*self.checkpoint_columns).where(_keys_match(cp, GROUP_KEY, "k", n)),
        )

    def group_blob_keys(self, groups: Sequence[tuple[str, str]]) -> Keyed:
        """The keys (not the values) of the channel values of some (thread, namespace) pairs."""
        b = self.blobs
        return self._by_keys(
            "group_blob_keys",
            groups,
            GROUP_KEY,
            lambda n: select(*(b.c[c] for c in BLOB_KEY)).where(_keys_match(b, GROUP_KEY, "k", n)),
        )

    def count_writes(self, keys: Sequence[tuple[str, str, str]]) -> Keyed:
        """How many pending writes these checkpoints hold (a prune's dry run)."""
        w = self.writes
        return self._by_keys(
            "count_writes",
            keys,
            CHECKPOINT_KEY,
            lambda n: (
                select(func.count()).select_from(w).where(_keys_match(w, CHECKPOINT_KEY, "k", n))
            ),
        )

    def delete_writes(self, keys: Sequence[tuple[str, str, str]]) -> Keyed:
        w = self.writes
        return self._by_keys(
            "delete_writes",
            keys,
            CHECKPOINT_KEY,
            lambda n: delete(w).where(_keys_match(w, CHECKPOINT_KEY, "k", n)),
        )

    def clear_parents(self, keys: Sequence[tuple[str, str, str]]) -> Keyed:
        """Make these checkpoints roots (their parent is gone)."""
        cp = self.checkpoints
        return self._by_keys(
            "clear_parents",
            keys,
            CHECKPOINT_KEY,
            lambda n: (
                update(cp)
                .where(_keys_match(cp, CHECKPOINT_KEY, "k", n))
                .values(parent_checkpoint_id=None)
            ),
        )

    def delete_checkpoints(self, keys: Sequence[tuple[str, str, str]]) -> Keyed:
        cp = self.checkpoints
        return self._by_keys(
            "delete_checkpoints",
            keys,
            CHECKPOINT_KEY,
            lambda n: delete(cp).where(_keys_match(cp, CHECKPOINT_KEY, "k", n)),
        )

    def delete_blobs(self, keys: Sequence[tuple[str, ...]]) -> Keyed:
        b = self.blobs
        return self._by_keys(
            "delete_blobs",
            keys,
            BLOB_KEY,
            lambda n: delete(b).where(_keys_match(b, BLOB_KEY, "k", n)),
        )

    # -- reading checkpoints ---------------------------------------------------------------
    def versions_document(self, versions: Mapping[str, Any]) -> list[list[str]]:
        """The ``channel_versions`` column: ``[[channel, version], ...]``, keys as stored."""
        empty = EMPTY_STRING_SENTINEL if self.dialect == "oracle" else ""
        return [[channel or empty, str(version)] for channel, version in versions.items()]

    def select_page(
        self,
        *,
        thread: bool,
        namespace: bool,
        checkpoint: bool,
        before: bool,
        after_cursor: bool,
        filter: Mapping[str, Any] | None,
        limit: int,
    ) -> Select[Any]:
        """A page of ``list``, newest first, continuing after ``(:c_id, :c_thread, :c_ns)``."""
        cp = self.checkpoints
        clauses: list[Any] = []
        if thread:
            clauses.append(cp.c.thread_id == bindparam("thread_id"))
        if namespace:
            clauses.append(cp.c.checkpoint_ns == bindparam("checkpoint_ns"))
        if checkpoint:
            clauses.append(cp.c.checkpoint_id == bindparam("checkpoint_id"))
        if before:
            clauses.append(cp.c.checkpoint_id < bindparam("before_id", type_=String()))
        if filter:
            clauses.append(json_matches(cp.c["metadata"], filter))
        if after_cursor:
            c_id = bindparam("c_id", type_=String())
            c_thread = bindparam("c_thread", type_=String())
            c_ns = bindparam("c_ns", type_=KeyString())
            clauses.append(
                or_(
                    cp.c.checkpoint_id < c_id,
                    and_(
                        cp.c.checkpoint_id == c_id,
                        or_(
                            cp.c.thread_id < c_thread,
                            and_(cp.c.thread_id == c_thread, cp.c.checkpoint_ns < c_ns),
                        ),
                    ),
                )
            )
        page = (
            select(*self.checkpoint_columns)
            .where(*clauses)
            .order_by(cp.c.checkpoint_id.desc(), cp.c.thread_id.desc(), cp.c.checkpoint_ns.desc())
            .limit(limit)
        )
        return _read(self.writes, self.blobs, self.dialect, page, ordered=True)  # type: ignore[no-any-return]

    # -- dialect-dependent operations ------------------------------------------------------
    def insert_checkpoint_with_values(self, count: int, *, child: bool = False) -> Insert:
        """PostgreSQL: ``count`` channel values and the checkpoint row in one statement.

        The values are bound as ``<column>_<i>``; one statement per ``count`` is built
        and cached (a multi-row ``VALUES`` insert would be compiled on every call).
        """
        found = self._with_values.get((count, child))
        if found is None:
            b, columns = self.blobs, [c.name for c in self.blobs.c]
            rows = [
                select(
                    *(
                        cast(bindparam(f"{c}_{i}", type_=b.c[c].type), b.c[c].type).label(c)
                        if c == "value"
                        else bindparam(f"{c}_{i}", type_=b.c[c].type).label(c)
                        for c in columns
                    )
                )
                for i in range(count)
            ]
            source = union_all(*rows) if count > 1 else rows[0]
            values = postgresql.insert(b).from_select(columns, source).on_conflict_do_nothing()
            checkpoint: Any = self.insert_child_checkpoint if child else self.insert_checkpoint
            found = checkpoint.add_cte(values.cte("new_values"))
            self._with_values[count, child] = found
        return found

    def put_in_one_statement(
        self, row: Mapping[str, Any], blob_rows: Sequence[Mapping[str, Any]] = ()
    ) -> tuple[Insert, dict[str, Any]] | None:
        """PostgreSQL: the statement and parameters of a put that is one statement, else None."""
        if not blob_rows or self.dialect != "postgresql" or len(blob_rows) > MAX_COMBINED:
            return None
        params = dict(row)
        for i, blob in enumerate(blob_rows):
            params.update({f"{c}_{i}": v for c, v in blob.items()})
        child = row["parent_checkpoint_id"] is not None
        if child:
            params.update(child_params(row))
        return self.insert_checkpoint_with_values(len(blob_rows), child=child), params

    def review(self) -> dict[str, ClauseElement]:
        thread, ns, cid = "thread-1", "", "1f0a9c3e-0000-6000-8000-000000000002"
        version = "00000000000000000000000000000002.0123456789012345"
        blob_key = (thread, ns, "messages", version)
        cp_key = (thread, ns, cid)
        checkpoint_row = {
            "thread_id": thread,
            "checkpoint_ns": ns,
            "checkpoint_id": cid,
            "parent_checkpoint_id": "1f0a9c3e-0000-6000-8000-000000000001",
            "run_id": "run-1",
            "checkpoint_type": "msgpack",
            "checkpoint": b"\x80",
            "channel_versions": self.versions_document({"messages": version}),
            "metadata": {"source": "loop", "step": 1},
            "created_at": dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC),
            "expires_at": dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC),
        }
        blob_row = dict(zip(BLOB_KEY, blob_key, strict=True)) | {
            "value_type": "msgpack",
            "value": b"\x90",
        }
        write_row = dict(zip(CHECKPOINT_KEY, cp_key, strict=True)) | {
            "task_id": "task-1",
            "idx": 0,
            "channel": "messages",
            "value_type": "msgpack",
            "value": b"\x90",
            "task_path": "~__pregel_pull, agent",
        }
        found: dict[str, ClauseElement] = {
            "put_blobs": _values(self.insert_blobs, blob_row),
            "put_checkpoint": _values(self.insert_checkpoint, checkpoint_row),
            "put_child_checkpoint": _bound(
                _values(
                    self.insert_child_checkpoint,
                    {c: v for c, v in checkpoint_row.items() if c != "checkpoint_type"},
                ),
                child_params(checkpoint_row),
            ),
            "put_writes": _bound(self.insert_writes, write_row),
            "replace_special_writes": _bound(
                self.delete_task_writes,
                thread_id=thread,
                checkpoint_ns=ns,
                checkpoint_id=cid,
                task_id="task-1",
                idxs=[-1, -3],
            ),
            "delete_values_of_erased_thread": _bound(
                self.delete_values_of_erased_thread, thread_id=thread
            ),
            "get_checkpoint": _bound(
                self.read_checkpoint, thread_id=thread, checkpoint_ns=ns, checkpoint_id=cid
            ),
            "get_latest_checkpoint": _bound(
                self.read_latest_checkpoint, thread_id=thread, checkpoint_ns=ns
            ),
            "get_delta_channel_history": _bound(
                self.read_delta_history,
                thread_id=thread,
                checkpoint_ns=ns,
                checkpoint_id=cid,
                channels=["messages", "files"],
            ),
            "get_latest_delta_channel_history": _bound(
                self.read_latest_delta_history,
                thread_id=thread,
                checkpoint_ns=ns,
                channels=["messages"],
            ),
            "list_page": _bound(
                self.select_page(
                    thread=True,
                    namespace=True,
                    checkpoint=False,
                    before=True,
                    after_cursor=True,
                    filter={"source": "loop", "step": 1, "parents": {"p": cid}, "missing": None},
                    limit=50,
                ),
                thread_id=thread,
                checkpoint_ns=ns,
                before_id=cid,
                c_id=cid,
                c_thread=thread,
                c_ns=ns,
            ),
            "list_all_threads_page": self.select_page(
                thread=False,
                namespace=False,
                checkpoint=False,
                before=False,
                after_cursor=False,
                filter={"flag": True},
                limit=50,
            ),
            "get_run_checkpoints": _bound(self.select_run_checkpoints, run_ids=["run-1", "run-2"]),
            "get_lineage": _bound(self.select_lineage, thread_ids=[thread]),
            "get_delta_marked": _bound(self.select_delta_marked, thread_ids=[thread]),
            "get_interrupted": _bound(self.select_interrupted, thread_ids=[thread]),
            "count_writes_by_key": _bound(*self.count_writes([cp_key])),
            "get_checkpoints_by_key": _bound(*self.checkpoints_by_key([cp_key])),
            "get_blob_types": _bound(*self.blob_types([blob_key])),
            "get_group_checkpoints": _bound(*self.group_checkpoints([(thread, ns)])),
            "get_group_blob_keys": _bound(*self.group_blob_keys([(thread, ns)])),
            "delete_writes_by_key": _bound(*self.delete_writes([cp_key])),
            "delete_checkpoints_by_key": _bound(*self.delete_checkpoints([cp_key])),
            "clear_parents_by_key": _bound(*self.clear_parents([cp_key])),
            "delete_blobs_by_key": _bound(
                *self.delete_blobs([blob_key, (thread, ns, "a", version)])
            ),
        }
        if self.dialect == "postgresql":
            found["put_checkpoint_with_values"] = _bound(
                self.insert_checkpoint_with_values(1), {f"{c}_0": v for c, v in blob_row.items()}
            )
        if self.update_checkpoint is not None:
            found["put_checkpoint_replace"] = _bound(
                self.update_checkpoint, self.replace_params(checkpoint_row)
            )
        for table, statement in zip(
            ("writes", "blobs", "checkpoints"), self.delete_threads, strict=True
        ):
            found[f"delete_thread_{table}"] = _bound(statement, thread_ids=[thread])
        for table, copy in zip(("checkpoints", "blobs", "writes"), self.copy_thread, strict=True):
            found[f"copy_thread_{table}"] = _bound(copy, source=thread, target="thread-2")
        return found


def child_params(row: Mapping[str, Any]) -> dict[str, Any]:
    """The extra binds of a child checkpoint's put (see ``LangGraphStatements``)."""
    return {CHILD_THREAD: row["thread_id"], CHILD_TYPE: row["checkpoint_type"]}


def _values(statement: Executable, row: dict[str, Any]) -> ClauseElement:
    """``statement`` (an ``INSERT``) with ``row`` as its ``VALUES``."""
    values: Any = statement
    return values.values(row)  # type: ignore[no-any-return]


def _bound(
    statement: object, values: Mapping[str, Any] | None = None, **more: Any
) -> ClauseElement:
    """`bound`, for a statement typed as ``Executable`` (each is a ``ClauseElement`` too)."""
    assert isinstance(statement, ClauseElement)
    return bound(statement, values, **more)
