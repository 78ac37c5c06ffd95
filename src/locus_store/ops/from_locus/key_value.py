"""The key/value table of ``postgresql_checkpointer`` / ``oracle_checkpointer``, imported.

locus-sdk's ``StorageBackendAdapter`` keeps a conversation as rows keyed
``<thread>:<checkpoint>``, ``<thread>:latest`` and ``<thread>:_checkpoints`` (the index).
A conversation becomes a single-row thread (its latest state), a versioned lineage
(its checkpoints oldest to newest, each the parent of the next), or both. Checkpoint
rows the index lost are imported too, ordered by their own timestamps; index entries
whose row is gone are counted as missing. A row keyed by a bare thread id (an
``OracleBackend`` used directly) is a conversation with one state.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, select

from locus_store.agent_state import decode_state, search_text
from locus_store.errors import InvalidInputError
from locus_store.ops.from_locus.common import (
    LocusImportReport,
    as_utc,
    batches,
    check_conflicts,
    kv_table,
    utc,
    write_rows,
)
from locus_store.ops.threads import IDS_PER_STATEMENT, Progress, in_batches
from locus_store.timestamps import utcnow
from locus_store.validation import require_json, require_key, require_metadata
from locus_store.versioned.saver import DEFAULT_NAMESPACE

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

    from locus_store.store import Store

LATEST_SUFFIX = ":latest"
INDEX_SUFFIX = ":_checkpoints"
#: Fields the adapter adds to a stored state (removed on import).
ADAPTER_FIELDS = ("_checkpoint_id", "_checkpoint_timestamp", "_metadata")
#: Where a key/value conversation goes.
TARGETS = ("both", "latest", "versioned")


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
            return as_utc(dt.datetime.fromisoformat(text))
        except ValueError:
            return fallback
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
        saved = direct.updated_at or direct.created_at or utcnow()
        conv.latest = _Snapshot(
            str(direct.data.get("_checkpoint_id") or direct.checkpoint_id),
            _state(direct.data),
            direct.metadata if isinstance(direct.metadata, dict) else None,
            saved,
        )
        conv.first_saved, conv.last_saved = direct.created_at or saved, saved
    if latest_row is not None and isinstance(latest_row.data, dict):
        data = latest_row.data
        saved = latest_row.updated_at or latest_row.created_at or utcnow()
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
        saved = row.updated_at or row.created_at or utcnow()
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
    namespace: str = DEFAULT_NAMESPACE,
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
        utc(table.c.created_at, dialect),
        utc(table.c.updated_at, dialect),
        table.c["metadata"],
    )
    groups = group_keys(await _source_keys(source, table))
    threads = sorted(groups)
    schema = target.schema
    tables = [schema.threads] * (into != "versioned") + [schema.checkpoints] * (into != "latest")
    existing = await check_conflicts(target, tables, threads, on_conflict)
    report = LocusImportReport()
    for batch, done in batches(threads, existing, on_conflict, report):
        keys = [key for thread in batch for key in groups[thread]]

        async def fetch(conn: AsyncConnection, keys: list[str] = keys) -> list[Any]:
            found: list[Any] = []
            for chunk in in_batches(keys, IDS_PER_STATEMENT):
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
        await write_rows(target, rows, replace)
        report.replaced.extend(replace)
        report.threads += len(written)
        if progress is not None:
            progress(done, len(threads))
    return report
