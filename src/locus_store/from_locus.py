"""Importing conversations from the tables locus-sdk's own backends write.

Two shapes are read, on any database SQLAlchemy reaches:

- the key/value table of ``postgresql_checkpointer`` / ``oracle_checkpointer``
  (``StorageBackendAdapter`` over ``PostgreSQLBackend`` / ``OracleBackend``): columns
  ``thread_id`` (the key), ``checkpoint_id``, ``data``, ``created_at``, ``updated_at``,
  ``metadata``; per conversation ``<thread>:<checkpoint>`` rows, ``<thread>:latest`` and
  the index ``<thread>:_checkpoints``. A row keyed by a bare thread id (an
  ``OracleBackend`` used directly) is a conversation with one state.
- ``OracleCheckpointSaver``'s ``<name>_checkpoints`` and ``<name>_writes``.

A key/value conversation becomes a single-row thread (its latest state) and a
versioned lineage (its checkpoints oldest to newest, each the parent of the next),
or either one. Checkpoint rows the index lost (concurrent saves from several
processes) are imported too, ordered by their own timestamps; index entries whose
row is gone (vacuumed) are counted as missing. Saver rows go to the versioned
tables as they are, ordered by ``created_at`` within each (thread, namespace).

Every thread is written in one transaction with the others of its batch, and
nothing in the source tables is changed.
"""

from __future__ import annotations

import datetime as dt
import heapq
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Column, Integer, MetaData, String, Table, Text, func, select
from sqlalchemy.types import TypeDecorator

from locus_store.admin import in_threads
from locus_store.errors import CheckpointExistsError, InvalidInputError
from locus_store.repositories._state import decode_state, search_text
from locus_store.validation import require_json, require_key, require_metadata

if TYPE_CHECKING:
    from sqlalchemy.engine import Dialect
    from sqlalchemy.ext.asyncio import AsyncConnection

    from locus_store.store import Store

LATEST_SUFFIX = ":latest"
INDEX_SUFFIX = ":_checkpoints"
#: Fields the adapter adds to a stored state (removed on import).
ADAPTER_FIELDS = ("_checkpoint_id", "_checkpoint_timestamp", "_metadata")
#: Where a key/value conversation goes.
TARGETS = ("both", "latest", "versioned")
ON_CONFLICT = ("fail", "skip", "replace")
#: Threads read and written per transaction.
THREADS_PER_BATCH = 100
#: Keys per ``IN`` list (Oracle accepts at most 1000).
KEYS_PER_STATEMENT = 500

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_$#]{0,127}")

Progress = Callable[[int, int], None]


class _Document(TypeDecorator[Any]):
    """A JSON document read as JSONB (PostgreSQL), CLOB text (Oracle) or text (SQLite)."""

    impl = Text
    cache_ok = True

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if isinstance(value, bytes | bytearray):
            value = value.decode("utf-8")
        if isinstance(value, str):
            return json.loads(value) if value.strip() else None
        return value


class _Instant(TypeDecorator[dt.datetime]):
    """A timestamp as an aware UTC ``datetime`` (naive values are taken as UTC)."""

    impl = Text
    cache_ok = True

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        stamp = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
        if not isinstance(stamp, dt.datetime):
            return None
        return stamp.replace(tzinfo=dt.UTC) if stamp.tzinfo is None else stamp.astimezone(dt.UTC)


def _utc(column: Any, dialect_name: str) -> Any:
    """``column`` as UTC: Oracle's driver drops the zone of ``TIMESTAMP WITH TIME ZONE``."""
    if dialect_name == "oracle":
        return func.sys_extract_utc(column, type_=_Instant()).label(column.name)
    return column


def _table(name: str, *columns: Column[Any]) -> Table:
    """A source table named ``name`` or ``schema.name`` (identifiers checked)."""
    parts = name.split(".")
    if len(parts) > 2 or not all(_IDENTIFIER.fullmatch(p) for p in parts):
        raise InvalidInputError(f"{name!r} is not a table name (use NAME or SCHEMA.NAME)")
    schema = parts[0] if len(parts) == 2 else None
    return Table(parts[-1], MetaData(), *columns, schema=schema)


def kv_table(name: str) -> Table:
    """The key/value table of ``postgresql_checkpointer`` / ``oracle_checkpointer``."""
    return _table(
        name,
        Column("thread_id", String(255), primary_key=True),
        Column("checkpoint_id", String(255)),
        Column("data", _Document()),
        Column("created_at", _Instant()),
        Column("updated_at", _Instant()),
        Column("metadata", _Document()),
    )


def saver_tables(name: str) -> tuple[Table, Table]:
    """``OracleCheckpointSaver(table_name=name)``'s checkpoints and writes tables."""
    schema, _, base = name.rpartition(".")
    qualified = f"{schema}." if schema else ""
    checkpoints = _table(
        f"{qualified}{base}_checkpoints",
        Column("thread_id", String(255), primary_key=True),
        Column("checkpoint_ns", String(255), primary_key=True),
        Column("checkpoint_id", String(255), primary_key=True),
        Column("parent_checkpoint_id", String(255)),
        Column("checkpoint_data", _Document()),
        Column("metadata", _Document()),
        Column("created_at", _Instant()),
    )
    writes = _table(
        f"{qualified}{base}_writes",
        Column("thread_id", String(255), primary_key=True),
        Column("checkpoint_ns", String(255), primary_key=True),
        Column("checkpoint_id", String(255), primary_key=True),
        Column("task_id", String(255), primary_key=True),
        Column("idx", Integer(), primary_key=True),
        Column("channel", String(255)),
        Column("value", Text()),
    )
    return checkpoints, writes


# -- reports ------------------------------------------------------------------------------------
@dataclass
class LocusImportReport:
    """What an import wrote, skipped and could not use."""

    threads: int = 0
    single_row: int = 0
    checkpoints: int = 0
    writes: int = 0
    skipped: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    #: Index entries whose checkpoint row no longer exists.
    missing_checkpoints: int = 0
    #: Checkpoint rows found although the index did not list them.
    unindexed_checkpoints: int = 0
    #: ``"<thread>: <reason>"`` for each conversation that could not be imported.
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "threads": self.threads,
            "single_row": self.single_row,
            "checkpoints": self.checkpoints,
            "writes": self.writes,
            "skipped": self.skipped,
            "replaced": self.replaced,
            "missing_checkpoints": self.missing_checkpoints,
            "unindexed_checkpoints": self.unindexed_checkpoints,
            "problems": self.problems,
        }


# -- key/value conversations ----------------------------------------------------------------------
def thread_of_key(key: str, known: set[str]) -> str:
    """The conversation a key/value row belongs to, from its key alone.

    ``<t>:latest`` and ``<t>:_checkpoints`` name their thread; another key belongs
    to the longest known thread it extends with ``:``, else to the part before its
    last ``:`` (a checkpoint row whose index and latest row are gone), else it is
    a thread of its own.
    """
    for suffix in (LATEST_SUFFIX, INDEX_SUFFIX):
        if key.endswith(suffix) and len(key) > len(suffix):
            return key[: -len(suffix)]
    owners = [key[:i] for i, char in enumerate(key) if char == ":" and key[:i] in known]
    if owners:
        return max(owners, key=len)
    head, colon, _ = key.rpartition(":")
    return head if colon and head else key


def group_keys(keys: Iterable[str]) -> dict[str, list[str]]:
    """Thread id -> its keys, for every key of a key/value table."""
    keys = list(keys)
    known = {
        key[: -len(suffix)]
        for key in keys
        for suffix in (LATEST_SUFFIX, INDEX_SUFFIX)
        if key.endswith(suffix) and len(key) > len(suffix)
    }
    groups: dict[str, list[str]] = {}
    for key in keys:
        groups.setdefault(thread_of_key(key, known), []).append(key)
    return groups


@dataclass
class _Snapshot:
    checkpoint_id: str
    document: dict[str, Any]
    metadata: dict[str, Any] | None
    created_at: dt.datetime


@dataclass
class _Conversation:
    thread_id: str
    latest: _Snapshot | None = None
    first_saved: dt.datetime | None = None
    last_saved: dt.datetime | None = None
    history: list[_Snapshot] = field(default_factory=list)
    missing: int = 0
    unindexed: int = 0


def _state(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in ADAPTER_FIELDS}


def _stamp(text: Any, fallback: dt.datetime) -> dt.datetime:
    if isinstance(text, str):
        try:
            stamp = dt.datetime.fromisoformat(text)
        except ValueError:
            return fallback
        return stamp.replace(tzinfo=dt.UTC) if stamp.tzinfo is None else stamp.astimezone(dt.UTC)
    return fallback


def conversation(thread_id: str, rows: Sequence[Any]) -> _Conversation:
    """Rebuild one conversation from its key/value rows (``key``, ``data``, timestamps...)."""
    conv = _Conversation(thread_id)
    by_key = {row.thread_id: row for row in rows}
    index_row = by_key.get(thread_id + INDEX_SUFFIX)
    latest_row = by_key.get(thread_id + LATEST_SUFFIX)
    listed: list[str] = []
    if index_row is not None and isinstance(index_row.data, dict):
        entries = index_row.data.get("checkpoints") or []
        listed = [
            e["checkpoint_id"] for e in entries if isinstance(e, dict) and e.get("checkpoint_id")
        ]
    direct = by_key.get(thread_id)
    if direct is not None and isinstance(direct.data, dict):
        saved = direct.updated_at or direct.created_at or dt.datetime.now(dt.UTC)
        conv.latest = _Snapshot(
            str(direct.data.get("_checkpoint_id") or direct.checkpoint_id),
            _state(direct.data),
            direct.metadata if isinstance(direct.metadata, dict) else None,
            saved,
        )
        conv.first_saved, conv.last_saved = direct.created_at or saved, saved
    if latest_row is not None and isinstance(latest_row.data, dict):
        data = latest_row.data
        saved = latest_row.updated_at or latest_row.created_at or dt.datetime.now(dt.UTC)
        conv.latest = _Snapshot(
            str(data.get("_checkpoint_id") or latest_row.checkpoint_id),
            _state(data),
            data.get("_metadata") if isinstance(data.get("_metadata"), dict) else None,
            _stamp(data.get("_checkpoint_timestamp"), saved),
        )
        conv.first_saved, conv.last_saved = latest_row.created_at or saved, saved
    order = {cid: position for position, cid in enumerate(reversed(listed))}
    found: set[str] = set()
    for key, row in by_key.items():
        data = row.data
        if key in (thread_id, thread_id + LATEST_SUFFIX, thread_id + INDEX_SUFFIX):
            continue
        if not isinstance(data, dict) or not key.startswith(thread_id + ":"):
            continue
        cid = key[len(thread_id) + 1 :]
        if data.get("_checkpoint_id", cid) != cid:
            continue
        found.add(cid)
        saved = row.updated_at or row.created_at or dt.datetime.now(dt.UTC)
        metadata = data.get("_metadata")
        conv.history.append(
            _Snapshot(
                cid,
                _state(data),
                metadata if isinstance(metadata, dict) else None,
                _stamp(data.get("_checkpoint_timestamp"), saved),
            )
        )
    conv.history.sort(key=lambda s: (s.created_at, order.get(s.checkpoint_id, len(order))))
    conv.missing = len(set(listed) - found)
    conv.unindexed = len(found - set(listed)) if index_row is not None else 0
    return conv


def _thread_row(conv: _Conversation) -> dict[str, Any] | None:
    snapshot = conv.latest or (conv.history[-1] if conv.history else None)
    if snapshot is None:
        return None
    first = conv.first_saved or (conv.history[0].created_at if conv.history else None)
    last = conv.last_saved or snapshot.created_at
    return {
        "thread_id": conv.thread_id,
        "checkpoint_id": snapshot.checkpoint_id,
        "state": snapshot.document,
        "metadata": snapshot.metadata,
        "search_text": search_text(snapshot.document),
        "created_at": first or last,
        "updated_at": last,
        "expires_at": None,
    }


def _version_rows(conv: _Conversation, namespace: str) -> list[dict[str, Any]]:
    history = list(conv.history)
    if conv.latest is not None and conv.latest.checkpoint_id not in {
        s.checkpoint_id for s in history
    }:
        history.append(conv.latest)
    rows = []
    parent = None
    for seq, snapshot in enumerate(history, start=1):
        rows.append(
            {
                "thread_id": conv.thread_id,
                "checkpoint_ns": namespace,
                "checkpoint_id": snapshot.checkpoint_id,
                "seq": seq,
                "parent_checkpoint_id": parent,
                "checkpoint": snapshot.document,
                "metadata": snapshot.metadata or {},
                "created_at": snapshot.created_at,
            }
        )
        parent = snapshot.checkpoint_id
    return rows


def _check_conversation(conv: _Conversation) -> None:
    """Refuse what the store would refuse, and states Locus can no longer read."""
    require_key(conv.thread_id, "thread_id")
    for snapshot in [*([conv.latest] if conv.latest else []), *conv.history]:
        require_key(snapshot.checkpoint_id, "checkpoint_id")
        require_json(snapshot.document, "state")
        require_metadata(snapshot.metadata)
        decode_state(snapshot.document)


# -- writing into the store -----------------------------------------------------------------------
async def _taken(conn: AsyncConnection, tables: Sequence[Table], ids: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(ids), KEYS_PER_STATEMENT):
        batch = list(ids[start : start + KEYS_PER_STATEMENT])
        for table in tables:
            query = select(table.c.thread_id).where(in_threads(table)).distinct()
            found.update(r[0] for r in await conn.execute(query, {"threads": batch}))
    return found


async def _check_conflicts(
    target: Store, tables: Sequence[Table], ids: Sequence[str], on_conflict: str
) -> set[str]:
    if on_conflict not in ON_CONFLICT:
        raise InvalidInputError(f"on_conflict must be one of {ON_CONFLICT}, not {on_conflict!r}")
    existing = await target.run(lambda conn: _taken(conn, tables, ids))
    if existing and on_conflict == "fail":
        shown = ", ".join(sorted(existing)[:5]) + (", ..." if len(existing) > 5 else "")
        raise CheckpointExistsError(
            f"{len(existing)} of these threads already exist in the store ({shown}): "
            "choose --on-conflict skip or --on-conflict replace"
        )
    return existing


async def _write(
    target: Store,
    rows: dict[Table, list[dict[str, Any]]],
    replace: Sequence[str],
) -> None:
    async def work(conn: AsyncConnection) -> None:
        if replace:
            for table in rows:
                await conn.execute(table.delete().where(in_threads(table)), {"threads": replace})
        for table, values in rows.items():
            if values:
                await conn.execute(table.insert(), values)

    await target.run(work, atomic=True)


async def _source_keys(source: Store, table: Table) -> list[str]:
    async def work(conn: AsyncConnection) -> list[str]:
        return [r[0] for r in await conn.execute(select(table.c.thread_id))]

    return await source.run(work)


async def import_key_value(
    target: Store,
    source: Store,
    table_name: str,
    *,
    into: str = "both",
    namespace: str = "default",
    on_conflict: str = "fail",
    progress: Progress | None = None,
) -> LocusImportReport:
    """Import every conversation of a ``postgresql_checkpointer`` / ``oracle_checkpointer`` table.

    ``into``: ``"latest"`` (single-row threads), ``"versioned"`` (lineages in
    ``namespace``) or ``"both"``.
    """
    if into not in TARGETS:
        raise InvalidInputError(f"into must be one of {TARGETS}, not {into!r}")
    require_key(namespace, "namespace", allow_empty=True)
    table = kv_table(table_name)
    dialect = source.dialect_name
    read = select(
        table.c.thread_id,
        table.c.checkpoint_id,
        table.c.data,
        _utc(table.c.created_at, dialect),
        _utc(table.c.updated_at, dialect),
        table.c["metadata"],
    )
    groups = group_keys(await _source_keys(source, table))
    threads = sorted(groups)
    schema = target.schema
    tables = [schema.threads] * (into != "versioned") + [schema.checkpoints] * (into != "latest")
    existing = await _check_conflicts(target, tables, threads, on_conflict)
    report = LocusImportReport()
    for start in range(0, len(threads), THREADS_PER_BATCH):
        batch = threads[start : start + THREADS_PER_BATCH]
        if on_conflict == "skip":
            report.skipped.extend(t for t in batch if t in existing)
            batch = [t for t in batch if t not in existing]
        keys = [key for thread in batch for key in groups[thread]]

        async def fetch(conn: AsyncConnection, keys: list[str] = keys) -> list[Any]:
            found: list[Any] = []
            for i in range(0, len(keys), KEYS_PER_STATEMENT):
                chunk = keys[i : i + KEYS_PER_STATEMENT]
                found.extend(await conn.execute(read.where(table.c.thread_id.in_(chunk))))
            return found

        by_thread: dict[str, list[Any]] = {t: [] for t in batch}
        owner = {key: thread for thread in batch for key in groups[thread]}
        for row in await source.run(fetch) if keys else []:
            by_thread[owner[row.thread_id]].append(row)
        rows: dict[Table, list[dict[str, Any]]] = {t: [] for t in tables}
        written: list[str] = []
        for thread in batch:
            conv = conversation(thread, by_thread[thread])
            try:
                _check_conversation(conv)
            except (TypeError, ValueError) as exc:
                report.problems.append(f"{thread}: {exc}")
                continue
            thread_row = _thread_row(conv)
            if thread_row is None:
                report.problems.append(f"{thread}: no readable checkpoint")
                continue
            if into != "versioned":
                rows[schema.threads].append(thread_row)
                report.single_row += 1
            if into != "latest":
                versions = _version_rows(conv, namespace)
                rows[schema.checkpoints].extend(versions)
                report.checkpoints += len(versions)
            report.missing_checkpoints += conv.missing
            report.unindexed_checkpoints += conv.unindexed
            written.append(thread)
        replace = [t for t in written if t in existing] if on_conflict == "replace" else []
        await _write(target, rows, replace)
        report.replaced.extend(replace)
        report.threads += len(written)
        if progress is not None:
            progress(min(start + THREADS_PER_BATCH, len(threads)), len(threads))
    return report


# -- OracleCheckpointSaver's tables ---------------------------------------------------------------
def _write_value(raw: str | None) -> Any:
    """A pending write's value as the saver reads it back: JSON when it parses, else the text."""
    if raw is None or not raw:
        return None
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


def lineage_order(rows: Sequence[Any]) -> list[Any]:
    """Checkpoint rows oldest first (``created_at``, then id), each parent before its children.

    The saver stamps ``created_at`` with the server clock, so rows saved within one
    clock tick tie; their parent links decide.
    """
    earliest = dt.datetime.min.replace(tzinfo=dt.UTC)
    ordered = sorted(rows, key=lambda r: (r.created_at or earliest, r.checkpoint_id))
    position = {row.checkpoint_id: i for i, row in enumerate(ordered)}
    children: dict[str, list[int]] = {}
    ready = []
    for i, row in enumerate(ordered):
        parent = row.parent_checkpoint_id
        if parent in position and parent != row.checkpoint_id:
            children.setdefault(parent, []).append(i)
        else:
            ready.append(i)
    heapq.heapify(ready)
    result: list[Any] = []
    while ready:
        row = ordered[heapq.heappop(ready)]
        result.append(row)
        for child in children.get(row.checkpoint_id, ()):
            heapq.heappush(ready, child)
    placed = {row.checkpoint_id for row in result}
    return result + [row for row in ordered if row.checkpoint_id not in placed]


async def import_saver(
    target: Store,
    source: Store,
    table_name: str,
    *,
    on_conflict: str = "fail",
    progress: Progress | None = None,
) -> LocusImportReport:
    """Import the checkpoints and writes of ``OracleCheckpointSaver(table_name=...)``."""
    source_cp, source_wr = saver_tables(table_name)
    dialect = source.dialect_name
    read_checkpoints = select(
        source_cp.c.thread_id,
        source_cp.c.checkpoint_ns,
        source_cp.c.checkpoint_id,
        source_cp.c.parent_checkpoint_id,
        source_cp.c.checkpoint_data,
        source_cp.c["metadata"],
        _utc(source_cp.c.created_at, dialect),
    ).where(in_threads(source_cp))
    read_writes = select(source_wr).where(in_threads(source_wr))

    async def ids(conn: AsyncConnection) -> list[str]:
        found: set[str] = set()
        for table in (source_cp, source_wr):
            found.update(r[0] for r in await conn.execute(select(table.c.thread_id).distinct()))
        return sorted(found)

    threads = await source.run(ids)
    schema = target.schema
    tables = [schema.checkpoints, schema.writes]
    existing = await _check_conflicts(target, tables, threads, on_conflict)
    report = LocusImportReport()
    for start in range(0, len(threads), THREADS_PER_BATCH):
        batch = threads[start : start + THREADS_PER_BATCH]
        if on_conflict == "skip":
            report.skipped.extend(t for t in batch if t in existing)
            batch = [t for t in batch if t not in existing]

        async def fetch(conn: AsyncConnection, batch: list[str] = batch) -> tuple[Any, Any]:
            params = {"threads": batch}
            return (
                list(await conn.execute(read_checkpoints, params)),
                list(await conn.execute(read_writes, params)),
            )

        checkpoints, writes = await source.run(fetch) if batch else ([], [])
        rows: dict[Table, list[dict[str, Any]]] = {schema.checkpoints: [], schema.writes: []}
        lineages: dict[tuple[str, str], list[Any]] = {}
        for row in checkpoints:
            lineages.setdefault((row.thread_id, row.checkpoint_ns), []).append(row)
        bad: set[str] = set()
        for (thread, ns), lineage in lineages.items():
            lineage = lineage_order(lineage)
            try:
                for seq, row in enumerate(lineage, start=1):
                    rows[schema.checkpoints].append(
                        {
                            "thread_id": require_key(thread, "thread_id"),
                            "checkpoint_ns": require_key(ns, "checkpoint_ns", allow_empty=True),
                            "checkpoint_id": require_key(row.checkpoint_id, "checkpoint_id"),
                            "seq": seq,
                            "parent_checkpoint_id": row.parent_checkpoint_id,
                            "checkpoint": require_json(row.checkpoint_data or {}, "checkpoint"),
                            "metadata": require_metadata(row.metadata) or {},
                            "created_at": row.created_at or dt.datetime.now(dt.UTC),
                        }
                    )
            except (TypeError, ValueError) as exc:
                report.problems.append(f"{thread}: {exc}")
                bad.add(thread)
        for row in writes:
            try:
                rows[schema.writes].append(
                    {
                        "thread_id": row.thread_id,
                        "checkpoint_ns": require_key(
                            row.checkpoint_ns, "checkpoint_ns", allow_empty=True
                        ),
                        "checkpoint_id": require_key(row.checkpoint_id, "checkpoint_id"),
                        "task_id": require_key(row.task_id, "task_id"),
                        "idx": int(row.idx),
                        "channel": require_key(row.channel, "channel", allow_empty=True),
                        "value": require_json(_write_value(row.value), "value"),
                    }
                )
            except (TypeError, ValueError) as exc:
                report.problems.append(f"{row.thread_id}: {exc}")
                bad.add(row.thread_id)
        for table_rows in rows.values():
            table_rows[:] = [r for r in table_rows if r["thread_id"] not in bad]
        written = [t for t in batch if t not in bad]
        replace = [t for t in written if t in existing] if on_conflict == "replace" else []
        await _write(target, rows, replace)
        report.replaced.extend(replace)
        report.threads += len(written)
        report.checkpoints += len(rows[schema.checkpoints])
        report.writes += len(rows[schema.writes])
        if progress is not None:
            progress(min(start + THREADS_PER_BATCH, len(threads)), len(threads))
    return report
