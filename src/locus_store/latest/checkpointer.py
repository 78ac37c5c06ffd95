"""The single-row checkpointer: one row per thread, the latest save wins.

``store.latest()`` is a ``locus.memory.BaseCheckpointer``: pass it to
``Agent(checkpointer=...)``. A thread keeps only its current state, so a save
is one upsert of one row (``MERGE`` on Oracle) and a load is one primary-key
read. Every statement is built once per (table prefix, dialect) and bound per
call (`locus_store.latest.statements`).

Expiry: with ``ttl`` a save stamps ``expires_at``; an expired row is invisible
to every read and removed by `LatestCheckpointer.vacuum`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from uuid import uuid4

from locus.core.protocols import CheckpointerCapabilities
from locus.memory.checkpointer import BaseCheckpointer
from sqlalchemy.sql.base import Executable

from locus_store._engine.fast_path import Record
from locus_store.agent_state import decode_state, encode_state, search_text
from locus_store.errors import ConstraintError, InvalidInputError
from locus_store.latest.statements import LatestStatements
from locus_store.sql.like import glob_to_like
from locus_store.timestamps import iso_utc, utcnow
from locus_store.validation import (
    require_json,
    require_key,
    require_limit,
    require_metadata,
    require_metadata_key,
    require_non_negative_number,
    require_optional_key,
    require_ttl,
)

if TYPE_CHECKING:
    from locus.core.state import AgentState
    from sqlalchemy.ext.asyncio import AsyncConnection

    from locus_store.store import Store


def _record(row: Record) -> dict[str, Any]:
    return {
        "thread_id": row.thread_id,
        "checkpoint_id": row.checkpoint_id,
        "metadata": row.metadata if row.metadata is not None else {},
        "created_at": iso_utc(row.created_at),
        "updated_at": iso_utc(row.updated_at),
        "expires_at": iso_utc(row.expires_at),
    }


class LatestCheckpointer(BaseCheckpointer):
    """Locus checkpointer keeping one row per thread: its latest state, id and metadata.

    ``list_checkpoints`` returns the current id only; ``load`` with any other id
    returns ``None``; ``delete`` with an id removes the thread only while that id
    is still its current one. Build it with ``store.latest(ttl=...)``.
    """

    def __init__(self, store: Store, *, ttl: dt.timedelta | float | None = None) -> None:
        self._store = store
        self._ttl = require_ttl(ttl)
        self._sql = LatestStatements.of(store.schema.prefix, store.dialect)
        self._threads = store.schema.threads

    @property
    def capabilities(self) -> CheckpointerCapabilities:
        return CheckpointerCapabilities(
            search=True,
            metadata_query=True,
            vacuum=True,
            branching=True,
            ttl=self._ttl is not None,
            list_threads=True,
            list_with_metadata=True,
            persistent_checkpoint_ids=True,
        )

    @property
    def ttl(self) -> dt.timedelta | None:
        return self._ttl

    def __repr__(self) -> str:
        ttl = f", ttl={self._ttl}" if self._ttl is not None else ""
        return f"LatestCheckpointer({self._store!r}{ttl})"

    # -- running statements --------------------------------------------------------------
    def _expiry(self, now: dt.datetime) -> dt.datetime | None:
        return now + self._ttl if self._ttl is not None else None

    async def _rows(self, statement: Executable, params: Mapping[str, Any]) -> list[Record]:
        return await self._store.fetch_all(statement, params)

    async def _count(self, statement: Executable, params: Mapping[str, Any]) -> int:
        return await self._store.row_count(statement, params)

    async def _current(
        self,
        by_thread: Executable,
        by_checkpoint: Executable,
        thread_id: str,
        checkpoint_id: str | None,
    ) -> Record | None:
        """The thread's unexpired row: ``by_thread``, or ``by_checkpoint`` when an id is given."""
        params: dict[str, Any] = {"thread_id": require_key(thread_id, "thread_id")}
        statement = by_thread
        if checkpoint_id is not None:
            params["checkpoint_id"] = require_key(checkpoint_id, "checkpoint_id")
            statement = by_checkpoint
        params["now"] = utcnow()
        rows = await self._rows(statement, params)
        return rows[0] if rows else None

    # -- the core contract -------------------------------------------------------------------
    async def save(
        self,
        state: AgentState,
        thread_id: str,
        checkpoint_id: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> str:
        """Make ``state`` the thread's current checkpoint in one upsert; return its id."""
        thread_id = require_key(thread_id, "thread_id")
        checkpoint_id = require_optional_key(checkpoint_id, "checkpoint_id") or uuid4().hex
        metadata = require_metadata(metadata)
        document = require_json(encode_state(state), "state")
        now = utcnow()
        params = {
            "thread_id": thread_id,
            "checkpoint_id": checkpoint_id,
            "state": document,
            "meta": metadata,
            "search_text": search_text(document),
            "now": now,
            "expires_at": self._expiry(now),
        }

        try:
            await self._store.row_count(self._sql.save, params)
        except ConstraintError:
            # Oracle's MERGE can lose a race with a concurrent first save of the same
            # thread (ORA-00001); the second attempt finds the row and updates it.
            await self._store.row_count(self._sql.save, params)
        return checkpoint_id

    async def load(self, thread_id: str, checkpoint_id: str | None = None) -> AgentState | None:
        """The thread's current state; ``None`` for an unknown thread or a superseded id."""
        row = await self._current(
            self._sql.load, self._sql.load_checkpoint, thread_id, checkpoint_id
        )
        return decode_state(row.state) if row is not None else None

    async def list_checkpoints(self, thread_id: str, limit: int = 10) -> list[str]:
        """``[current checkpoint id]``, or ``[]`` for an unknown or expired thread."""
        params = {"thread_id": require_key(thread_id, "thread_id"), "now": utcnow()}
        require_limit(limit)
        return [row.checkpoint_id for row in await self._rows(self._sql.current_checkpoint, params)]

    async def exists(self, thread_id: str, checkpoint_id: str | None = None) -> bool:
        """Whether the thread exists (and ``checkpoint_id``, when given, is its current id)."""
        wanted = require_optional_key(checkpoint_id, "checkpoint_id")
        current = await self.list_checkpoints(thread_id)
        return bool(current) and (wanted is None or current[0] == wanted)

    async def delete(self, thread_id: str, checkpoint_id: str | None = None) -> bool:
        """Delete the thread; with ``checkpoint_id``, only while that id is still current."""
        params = {"thread_id": require_key(thread_id, "thread_id")}
        if checkpoint_id is None:
            return await self._count(self._sql.delete_thread, params) > 0
        params["checkpoint_id"] = require_key(checkpoint_id, "checkpoint_id")
        return await self._count(self._sql.delete_checkpoint, params) > 0

    async def close(self) -> None:
        """Release the store's pooled connections (the store stays usable)."""
        await self._store.close()

    # -- extended capabilities -------------------------------------------------------------
    async def list_threads(self, limit: int = 100, pattern: str = "*") -> list[str]:
        """Thread ids matching the glob ``pattern`` (``*``, ``?``), most recently saved first."""
        params = {
            "pattern": glob_to_like(require_key(pattern, "pattern")),
            "limit": require_limit(limit),
            "now": utcnow(),
        }
        return [row.thread_id for row in await self._rows(self._sql.list_threads, params)]

    async def search(self, query: str, limit: int = 10) -> list[dict[str, Any]]:
        """Threads whose messages contain every word of ``query``, best match first.

        Any text is a valid query: the words are escaped for the engine's query
        language. Results: ``thread_id``, ``checkpoint_id``, ``score``, ``updated_at``.
        """
        require_limit(limit)
        translated = self._sql.search_query(query)
        if translated is None:
            return []
        params = {"query": translated, "limit": limit, "now": utcnow()}
        return [
            {
                "thread_id": row.thread_id,
                "checkpoint_id": row.checkpoint_id,
                "score": float(row.score),
                "updated_at": iso_utc(row.updated_at),
            }
            for row in await self._rows(self._sql.search, params)
        ]

    async def query_by_metadata(
        self, key: str, value: Any, limit: int = 100
    ) -> list[dict[str, Any]]:
        """Threads whose metadata holds ``value`` at ``key`` (same JSON type), newest first."""
        key = require_metadata_key(key)
        require_json(value, "value")
        statement = self._sql.metadata_query(key, value)
        params = {"limit": require_limit(limit), "now": utcnow()}
        return [_record(row) for row in await self._rows(statement, params)]

    async def get_metadata(
        self, thread_id: str, checkpoint_id: str | None = None
    ) -> dict[str, Any] | None:
        """The thread's record (ids, ``metadata``, timestamps), or ``None``."""
        row = await self._current(
            self._sql.get_metadata, self._sql.get_checkpoint_metadata, thread_id, checkpoint_id
        )
        return _record(row) if row is not None else None

    async def list_with_metadata(self, limit: int = 100) -> list[dict[str, Any]]:
        """Every thread's record, most recently saved first."""
        params = {"limit": require_limit(limit), "now": utcnow()}
        return [_record(row) for row in await self._rows(self._sql.list_with_metadata, params)]

    async def vacuum(self, older_than_days: float = 30) -> int:
        """Delete threads not saved for ``older_than_days`` and expired ones; return the count."""
        days = require_non_negative_number(older_than_days, "older_than_days")
        now = utcnow()
        try:
            cutoff = now - dt.timedelta(days=days)
        except OverflowError:
            raise InvalidInputError(f"older_than_days {older_than_days} is too large") from None
        return await self._count(self._sql.vacuum, {"cutoff": cutoff, "now": now})

    async def copy_thread(self, source_thread_id: str, dest_thread_id: str) -> bool:
        """Branch: copy the source thread's current row to a new thread.

        ``False`` when the source does not exist or the destination already does
        (an expired destination counts as free).
        """
        source = require_key(source_thread_id, "source_thread_id")
        dest = require_key(dest_thread_id, "dest_thread_id")
        if source == dest:
            raise InvalidInputError("copy_thread needs two different thread ids")
        now = utcnow()
        params = {
            "thread_id": source,
            "dest_thread_id": dest,
            "now": now,
            "expires_at": self._expiry(now),
        }

        async def work(conn: AsyncConnection) -> int:
            await conn.execute(self._sql.drop_expired_thread, params)
            return int((await conn.execute(self._sql.copy_thread, params)).rowcount)

        try:
            return await self._store.run(work, atomic=True) == 1
        except ConstraintError:  # the destination was created concurrently
            return False
