"""The single-row checkpointer: one row per thread, the latest save wins.

``store.latest()`` is a ``locus.memory.BaseCheckpointer``: pass it to
``Agent(checkpointer=...)``. A thread keeps only its current state, so a save
is one upsert of one row (``MERGE`` on Oracle) and a load is one primary-key
read. Every statement is built once per (table prefix, dialect) and bound per
call; `review_statements` lists them all for review.

Expiry: with ``ttl`` a save stamps ``expires_at``; an expired row is invisible
to every read and removed by `LatestCheckpointer.vacuum`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from uuid import uuid4

from locus.core.protocols import CheckpointerCapabilities
from locus.memory.checkpointer import BaseCheckpointer
from sqlalchemy import (
    Delete,
    Insert,
    Integer,
    Select,
    Table,
    and_,
    bindparam,
    exists,
    or_,
    select,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.elements import BindParameter, ClauseElement, ColumnElement
from sqlalchemy.sql.visitors import cloned_traverse

from locus_store.errors import InvalidInputError
from locus_store.fast_path import Record, all_rows, row_count
from locus_store.repositories._state import decode_state, encode_state, search_text
from locus_store.schema.tables import Schema, schema_for
from locus_store.sql.json_match import json_matches
from locus_store.sql.like import CaseSensitiveLike
from locus_store.sql.merge import Upsert, upsert
from locus_store.sql.search import search_statement, translate_query
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

#: ``LIKE`` escape character of `glob_to_like`.
LIKE_ESCAPE = "/"


def glob_to_like(pattern: str) -> str:
    """A ``LIKE`` pattern (escape ``/``) for a glob: ``*`` any run, ``?`` one character.

    Every other character is literal, ``%`` and ``_`` included.
    """
    escaped = "".join(
        f"{LIKE_ESCAPE}{ch}" if ch in ("%", "_", LIKE_ESCAPE) else ch for ch in pattern
    )
    return escaped.replace("*", "%").replace("?", "_")


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _iso(stamp: dt.datetime | None) -> str | None:
    return stamp.isoformat() if stamp is not None else None


@dataclass(frozen=True)
class _Statements:
    """Every statement of the repository for one (prefix, dialect), parameters unbound."""

    save: Upsert
    load: Select[Any]
    load_checkpoint: Select[Any]
    current_checkpoint: Select[Any]
    delete_thread: Delete
    delete_checkpoint: Delete
    list_threads: Select[Any]
    search: Select[Any]
    get_metadata: Select[Any]
    get_checkpoint_metadata: Select[Any]
    list_with_metadata: Select[Any]
    vacuum: Delete
    drop_expired_thread: Delete
    copy_thread: Insert


def _records(threads: Table) -> tuple[ColumnElement[Any], ...]:
    """The columns of a metadata record (everything but the state and its text)."""
    c = threads.c
    return (c.thread_id, c.checkpoint_id, c.metadata, c.created_at, c.updated_at, c.expires_at)


def _visible(threads: Table) -> ColumnElement[bool]:
    """Not expired at ``:now``."""
    expires_at = threads.c.expires_at
    return or_(expires_at.is_(None), expires_at > bindparam("now", type_=expires_at.type))


def _param(threads: Table, name: str, column: str) -> BindParameter[Any]:
    return bindparam(name, type_=threads.c[column].type)


@lru_cache(maxsize=64)
def _statements(prefix: str, dialect_name: str) -> _Statements:
    schema = schema_for(prefix)
    t = schema.threads
    c = t.c
    thread_id = _param(t, "thread_id", "thread_id")
    checkpoint_id = _param(t, "checkpoint_id", "checkpoint_id")
    now = _param(t, "now", "updated_at")
    expires_at = _param(t, "expires_at", "expires_at")
    limit = bindparam("limit", type_=Integer())
    visible = _visible(t)
    this_thread = c.thread_id == thread_id
    this_checkpoint = and_(this_thread, c.checkpoint_id == checkpoint_id)
    newest_first = (c.updated_at.desc(), c.thread_id)

    save = upsert(
        t,
        dialect_name,
        values={
            "thread_id": thread_id,
            "checkpoint_id": checkpoint_id,
            "state": _param(t, "state", "state"),
            "metadata": _param(t, "meta", "metadata"),
            "search_text": _param(t, "search_text", "search_text"),
            "created_at": now,
            "updated_at": now,
            "expires_at": expires_at,
        },
        keys=["thread_id"],
        update=["checkpoint_id", "state", "metadata", "search_text", "updated_at", "expires_at"],
    )
    load = select(c.checkpoint_id, c.state).where(this_thread, visible)
    records = select(*_records(t)).where(visible)
    dest = _param(t, "dest_thread_id", "thread_id")
    taken = t.alias("taken")
    branch = select(
        dest, c.checkpoint_id, c.state, c.metadata, c.search_text, now, now, expires_at
    ).where(this_thread, visible, ~exists().where(taken.c.thread_id == dest))
    copied = ("thread_id", "checkpoint_id", "state", "metadata", "search_text")
    copy = t.insert().from_select([*copied, "created_at", "updated_at", "expires_at"], branch)
    return _Statements(
        save=save,
        load=load,
        load_checkpoint=load.where(c.checkpoint_id == checkpoint_id),
        current_checkpoint=select(c.checkpoint_id).where(this_thread, visible),
        delete_thread=t.delete().where(this_thread),
        delete_checkpoint=t.delete().where(this_checkpoint),
        list_threads=select(c.thread_id)
        .where(CaseSensitiveLike(c.thread_id, "pattern", LIKE_ESCAPE), visible)
        .order_by(*newest_first)
        .limit(limit),
        search=search_statement(schema, dialect_name, where=visible),
        get_metadata=records.where(this_thread),
        get_checkpoint_metadata=records.where(this_checkpoint),
        list_with_metadata=records.order_by(*newest_first).limit(limit),
        vacuum=t.delete().where(
            or_(
                c.updated_at < _param(t, "cutoff", "updated_at"),
                c.expires_at <= now,
            )
        ),
        drop_expired_thread=t.delete().where(c.thread_id == dest, c.expires_at <= now),
        copy_thread=copy,
    )


def _metadata_query(threads: Table, key: str, value: Any) -> Select[Any]:
    """Visible threads whose metadata holds ``value`` at ``key`` (JSON type included)."""
    return (
        select(*_records(threads))
        .where(json_matches(threads.c.metadata, {key: value}), _visible(threads))
        .order_by(threads.c.updated_at.desc(), threads.c.thread_id)
        .limit(bindparam("limit", type_=Integer()))
    )


def _bound(statement: ClauseElement, **values: Any) -> ClauseElement:
    """A copy of ``statement`` with these values on its bind parameters (DML included)."""

    def visit_bindparam(bind: BindParameter[Any]) -> None:
        if bind.key in values:
            bind.value = values[bind.key]
            bind.required = False

    return cloned_traverse(statement, {"maintain_key": True}, {"bindparam": visit_bindparam})


def review_statements(schema: Schema, dialect_name: str = "oracle") -> dict[str, ClauseElement]:
    """Every statement the repository issues, with representative parameters bound."""
    sql = _statements(schema.prefix, dialect_name)
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    thread = {"thread_id": "thread-1", "now": now}
    checkpoint = {**thread, "checkpoint_id": "checkpoint-1"}
    document = {"agent_id": "agent", "messages": [{"role": "user", "content": "hello"}]}
    return {
        "save": _bound(
            sql.save,
            **checkpoint,
            state=document,
            meta={"source": "review"},
            search_text="hello",
            expires_at=None,
        ),
        "load": _bound(sql.load, **thread),
        "load_checkpoint": _bound(sql.load_checkpoint, **checkpoint),
        "current_checkpoint": _bound(sql.current_checkpoint, **thread),
        "delete_thread": _bound(sql.delete_thread, thread_id="thread-1"),
        "delete_checkpoint": _bound(
            sql.delete_checkpoint, thread_id="thread-1", checkpoint_id="checkpoint-1"
        ),
        "list_threads": _bound(sql.list_threads, pattern="user/%", now=now, limit=100),
        "search": _bound(
            sql.search, query=translate_query("hello world", dialect_name), now=now, limit=10
        ),
        "query_by_metadata": _bound(
            _metadata_query(schema.threads, "source", "review"), now=now, limit=100
        ),
        "get_metadata": _bound(sql.get_metadata, **thread),
        "get_checkpoint_metadata": _bound(sql.get_checkpoint_metadata, **checkpoint),
        "list_with_metadata": _bound(sql.list_with_metadata, now=now, limit=100),
        "vacuum": _bound(sql.vacuum, now=now, cutoff=now - dt.timedelta(days=30)),
        "drop_expired_thread": _bound(sql.drop_expired_thread, dest_thread_id="thread-2", now=now),
        "copy_thread": _bound(
            sql.copy_thread,
            thread_id="thread-1",
            dest_thread_id="thread-2",
            now=now,
            expires_at=None,
        ),
    }


def _record(row: Record) -> dict[str, Any]:
    return {
        "thread_id": row.thread_id,
        "checkpoint_id": row.checkpoint_id,
        "metadata": row.metadata if row.metadata is not None else {},
        "created_at": _iso(row.created_at),
        "updated_at": _iso(row.updated_at),
        "expires_at": _iso(row.expires_at),
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
        self._sql = _statements(store.schema.prefix, store.dialect_name)
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
        return await self._store.execute(statement, params, all_rows)

    async def _count(self, statement: Executable, params: Mapping[str, Any]) -> int:
        return await self._store.execute(statement, params, row_count)

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
        params["now"] = _utcnow()
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
        now = _utcnow()
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
            await self._store.execute(self._sql.save, params, row_count)
        except IntegrityError:
            # Oracle's MERGE can lose a race with a concurrent first save of the same
            # thread (ORA-00001); the second attempt finds the row and updates it.
            await self._store.execute(self._sql.save, params, row_count)
        return checkpoint_id

    async def load(self, thread_id: str, checkpoint_id: str | None = None) -> AgentState | None:
        """The thread's current state; ``None`` for an unknown thread or a superseded id."""
        row = await self._current(
            self._sql.load, self._sql.load_checkpoint, thread_id, checkpoint_id
        )
        return decode_state(row.state) if row is not None else None

    async def list_checkpoints(self, thread_id: str, limit: int = 10) -> list[str]:
        """``[current checkpoint id]``, or ``[]`` for an unknown or expired thread."""
        params = {"thread_id": require_key(thread_id, "thread_id"), "now": _utcnow()}
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
            "now": _utcnow(),
        }
        return [row.thread_id for row in await self._rows(self._sql.list_threads, params)]

    async def search(self, query: str, limit: int = 10) -> list[dict[str, Any]]:
        """Threads whose messages contain every word of ``query``, best match first.

        Any text is a valid query: the words are escaped for the engine's query
        language. Results: ``thread_id``, ``checkpoint_id``, ``score``, ``updated_at``.
        """
        require_limit(limit)
        translated = translate_query(query, self._store.dialect_name)
        if translated is None:
            return []
        params = {"query": translated, "limit": limit, "now": _utcnow()}
        return [
            {
                "thread_id": row.thread_id,
                "checkpoint_id": row.checkpoint_id,
                "score": float(row.score),
                "updated_at": _iso(row.updated_at),
            }
            for row in await self._rows(self._sql.search, params)
        ]

    async def query_by_metadata(
        self, key: str, value: Any, limit: int = 100
    ) -> list[dict[str, Any]]:
        """Threads whose metadata holds ``value`` at ``key`` (same JSON type), newest first."""
        key = require_metadata_key(key)
        require_json(value, "value")
        statement = _metadata_query(self._threads, key, value)
        params = {"limit": require_limit(limit), "now": _utcnow()}
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
        params = {"limit": require_limit(limit), "now": _utcnow()}
        return [_record(row) for row in await self._rows(self._sql.list_with_metadata, params)]

    async def vacuum(self, older_than_days: float = 30) -> int:
        """Delete threads not saved for ``older_than_days`` and expired ones; return the count."""
        days = require_non_negative_number(older_than_days, "older_than_days")
        now = _utcnow()
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
        now = _utcnow()
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
        except IntegrityError:  # the destination was created concurrently
            return False
