"""Reading a store as an operator: its threads, a thread's history, one checkpoint.

Each function takes a `Store` and looks across the single-row table, the versioned
lineage with its writes, and the LangGraph saver's tables, so an operator sees one
thread wherever its rows live (``locus-store threads``, ``history``, ``show``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from locus_store.ops.statements import (
    CheckpointStatements,
    HistoryStatements,
    ListingStatements,
)
from locus_store.schema.types import EMPTY_STRING_SENTINEL
from locus_store.timestamps import iso_utc
from locus_store.validation import require_key, require_limit
from locus_store.versioned.statements import glob_to_like

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

    from locus_store.store import Store


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


async def list_threads(
    store: Store, *, pattern: str = "*", limit: int = 100
) -> list[ThreadSummary]:
    """Threads whose id matches the glob ``pattern``, most recently written first.

    A thread's last write is the latest of its single-row save, its newest version
    and its newest LangGraph checkpoint.
    """
    require_key(pattern, "pattern")
    params = {"pattern": glob_to_like(pattern), "row_limit": require_limit(limit)}
    sql = ListingStatements.of(store.table_prefix, store.dialect_name)

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
async def thread_history(store: Store, thread_id: str, *, limit: int = 100) -> list[dict[str, Any]]:
    """The thread's checkpoints in every table: its single-row save, versions, LangGraph ones.

    Versions and LangGraph checkpoints are newest first within each namespace,
    at most ``limit`` of each kind.
    """
    params = {"thread": require_key(thread_id, "thread_id"), "row_limit": require_limit(limit)}
    sql = HistoryStatements.of(store.table_prefix, store.dialect_name)
    kinds = (
        ("latest", sql.latest, "updated_at"),
        ("versioned", sql.versions, "created_at"),
        ("langgraph", sql.langgraph, "created_at"),
    )

    async def work(conn: AsyncConnection) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = []
        for kind, statement, written_at in kinds:
            for row in await conn.execute(statement, params):
                # Row._mapping is public API (underscored so no column name can shadow it).
                mapping = row._mapping  # noqa: SLF001
                entries.append(_entry(kind, mapping, mapping[written_at]))
        return entries

    return await store.run(work)


def _entry(kind: str, row: Any, when: dt.datetime) -> dict[str, Any]:
    """One line of a history; the columns a kind has not (namespace, seq, parent) are None."""
    seq = row.get("seq")
    return {
        "kind": kind,
        "checkpoint_ns": row.get("checkpoint_ns"),
        "seq": None if seq is None else int(seq),
        "checkpoint_id": row["checkpoint_id"],
        "parent_checkpoint_id": row.get("parent_checkpoint_id"),
        "created_at": iso_utc(when),
        "metadata": row["metadata"] or {},
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
    sql = CheckpointStatements.of(store.table_prefix, store.dialect_name)
    by = {"by_ns": ns is not None, "by_id": wanted is not None}

    async def first(conn: AsyncConnection) -> tuple[Any, Any, Any]:
        current = (await conn.execute(sql.current_row, params)).first()
        version = (await conn.execute(sql.locate("versioned", **by), params)).first()
        graph = (await conn.execute(sql.locate("langgraph", **by), params)).first()
        return current, version, graph

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


def _stored_view(thread_id: str, source: str, row: Any, document: dict[str, Any]) -> CheckpointView:
    """A version or LangGraph checkpoint row as a view (writes added by the caller)."""
    return CheckpointView(
        thread_id=thread_id,
        checkpoint_id=row.checkpoint_id,
        source=source,
        document=document,
        metadata=row.metadata or {},
        created_at=iso_utc(row.created_at),
        checkpoint_ns=row.checkpoint_ns,
        parent_checkpoint_id=row.parent_checkpoint_id,
    )


async def _version_view(store: Store, thread_id: str, row: Any) -> CheckpointView:
    view = _stored_view(thread_id, "versioned", row, row.checkpoint)
    view.writes = await store.versioned().get_writes(
        thread_id=thread_id, checkpoint_id=row.checkpoint_id, checkpoint_ns=row.checkpoint_ns
    )
    return view


async def _langgraph_view(store: Store, thread_id: str, row: Any) -> CheckpointView:
    """The checkpoint decoded by the LangGraph saver; its channel names without the extra."""
    document = {"channel_versions": _channel_versions(row.channel_versions)}
    view = _stored_view(thread_id, "langgraph", row, document)
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
