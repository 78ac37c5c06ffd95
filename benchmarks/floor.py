"""The floor: each operation as the same single statement sent straight through the driver.

asyncpg on PostgreSQL, aiosqlite on SQLite (the drivers SQLAlchemy runs on), one
connection held open (no pool), statements written by hand in the same shape as
the store's and run against the store's own tables, indexes and triggers. Each
call does what a hand-written checkpointer must do too: the ``AgentState`` to
and from its JSON document, and JSON encoding and decoding with the fastest
codec installed (orjson). A save sends the same derived search text as the store
(the store's own function computes it), so both write the same row.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

import aiosqlite
import asyncpg
import orjson
from locus.core.state import AgentState

from locus_store.agent_state import search_text

NS = "default"


def dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def loads(text: str | bytes) -> Any:
    return orjson.loads(text)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _phrases(query: str) -> str:
    return " ".join('"' + term.replace('"', " ") + '"' for term in query.split())


# Statements with ``:name`` parameters and ``{p}`` for the table prefix; ``{jsonb}`` and
# the like are the casts PostgreSQL needs where a parameter is not assigned to a column.
SQL = {
    "latest_save": (
        "INSERT INTO {p}_threads (thread_id, checkpoint_id, state, metadata, search_text, "
        "created_at, updated_at, expires_at) VALUES (:thread, :cid, :state, :meta, :text, "
        ":now, :now, NULL) ON CONFLICT (thread_id) DO UPDATE SET "
        "checkpoint_id = excluded.checkpoint_id, state = excluded.state, "
        "metadata = excluded.metadata, search_text = excluded.search_text, "
        "updated_at = excluded.updated_at, expires_at = excluded.expires_at"
    ),
    "latest_load": (
        "SELECT checkpoint_id, state FROM {p}_threads WHERE thread_id = :thread "
        "AND (expires_at IS NULL OR expires_at > :now)"
    ),
    "put_child": (
        "INSERT INTO {p}_checkpoints (thread_id, checkpoint_ns, checkpoint_id, seq, "
        "parent_checkpoint_id, checkpoint, metadata, created_at) "
        "SELECT :thread{varchar}, :ns{varchar}, :cid{varchar}, "
        "(SELECT coalesce(max(pos.seq), 0) + 1 "
        "FROM {p}_checkpoints AS pos WHERE pos.thread_id = :thread AND pos.checkpoint_ns = :ns), "
        "par.checkpoint_id, :doc{jsonb}, :meta{jsonb}, :now{timestamptz} "
        "FROM {p}_checkpoints AS par WHERE par.thread_id = :thread AND par.checkpoint_ns = :ns "
        "AND par.checkpoint_id = :parent"
    ),
    "put_root": (
        "INSERT INTO {p}_checkpoints (thread_id, checkpoint_ns, checkpoint_id, seq, "
        "parent_checkpoint_id, checkpoint, metadata, created_at) "
        "SELECT :thread{varchar}, :ns{varchar}, :cid{varchar}, "
        "(SELECT coalesce(max(pos.seq), 0) + 1 "
        "FROM {p}_checkpoints AS pos WHERE pos.thread_id = :thread AND pos.checkpoint_ns = :ns), "
        "NULL, :doc{jsonb}, :meta{jsonb}, :now{timestamptz}"
    ),
    "append": (
        "INSERT INTO {p}_checkpoints (thread_id, checkpoint_ns, checkpoint_id, seq, "
        "parent_checkpoint_id, checkpoint, metadata, created_at) "
        "SELECT :thread{varchar}, :ns{varchar}, :cid{varchar}, "
        "(SELECT coalesce(max(pos.seq), 0) + 1 "
        "FROM {p}_checkpoints AS pos WHERE pos.thread_id = :thread AND pos.checkpoint_ns = :ns), "
        "(SELECT cur.checkpoint_id FROM {p}_checkpoints AS cur WHERE cur.thread_id = :thread "
        "AND cur.checkpoint_ns = :ns AND cur.seq = (SELECT max(top.seq) FROM {p}_checkpoints "
        "AS top WHERE top.thread_id = :thread AND top.checkpoint_ns = :ns)), "
        ":doc{jsonb}, :meta{jsonb}, :now{timestamptz}"
    ),
    "newest": (
        "SELECT checkpoint_id, parent_checkpoint_id, checkpoint, metadata, created_at "
        "FROM {p}_checkpoints WHERE thread_id = :thread AND checkpoint_ns = :ns "
        "ORDER BY seq DESC LIMIT 1"
    ),
    "named": (
        "SELECT checkpoint_id, parent_checkpoint_id, checkpoint, metadata, created_at "
        "FROM {p}_checkpoints WHERE thread_id = :thread AND checkpoint_ns = :ns "
        "AND checkpoint_id = :cid"
    ),
    "history": (
        "SELECT checkpoint_id, parent_checkpoint_id, checkpoint, metadata, created_at "
        "FROM {p}_checkpoints WHERE thread_id = :thread AND checkpoint_ns = :ns "
        "ORDER BY seq DESC LIMIT :limit"
    ),
    "history_before": (
        "SELECT checkpoint_id, parent_checkpoint_id, checkpoint, metadata, created_at "
        "FROM {p}_checkpoints WHERE thread_id = :thread AND checkpoint_ns = :ns "
        "AND seq < (SELECT mark.seq FROM {p}_checkpoints AS mark WHERE mark.thread_id = :thread "
        "AND mark.checkpoint_ns = :ns AND mark.checkpoint_id = :before) "
        "ORDER BY seq DESC LIMIT :limit"
    ),
    "clear_writes": (
        "DELETE FROM {p}_writes WHERE thread_id = :thread AND checkpoint_ns = :ns "
        "AND checkpoint_id = :cid AND task_id = :task"
    ),
    "insert_write": (
        "INSERT INTO {p}_writes (thread_id, checkpoint_ns, checkpoint_id, task_id, idx, "
        "channel, value) VALUES (:thread, :ns, :cid, :task, :idx, :channel, :value)"
    ),
    "search_postgresql": (
        "SELECT thread_id, checkpoint_id, updated_at, "
        "ts_rank(to_tsvector('simple', coalesce(search_text, '')), "
        "websearch_to_tsquery('simple', :query)) AS score FROM {p}_threads "
        "WHERE to_tsvector('simple', coalesce(search_text, '')) "
        "@@ websearch_to_tsquery('simple', :query) "
        "AND (expires_at IS NULL OR expires_at > :now) "
        "ORDER BY score DESC, updated_at DESC, thread_id LIMIT :limit"
    ),
    "search_sqlite": (
        "SELECT t.thread_id, t.checkpoint_id, t.updated_at, -bm25({p}_threads_fts) AS score "
        "FROM {p}_threads AS t JOIN {p}_threads_fts ON {p}_threads_fts.rowid = t.rowid "
        "WHERE {p}_threads_fts MATCH :query AND (t.expires_at IS NULL OR t.expires_at > :now) "
        "ORDER BY bm25({p}_threads_fts), t.updated_at DESC, t.thread_id LIMIT :limit"
    ),
    "vacuum": "DELETE FROM {p}_threads WHERE updated_at < :cutoff OR expires_at <= :now",
}

_NAMED = re.compile(r"(?<!:):([a-z_]+)")


def _positional(sql: str) -> tuple[str, list[str]]:
    """``:name`` parameters as asyncpg's ``$n``, and the names in ``$n`` order."""
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in names:
            names.append(name)
        return f"${names.index(name) + 1}"

    return _NAMED.sub(number, sql), names


def _checkpoint(row: Any, created: str) -> dict[str, Any]:
    meta = row[3]
    return {
        "checkpoint_id": row[0],
        "parent_checkpoint_id": row[1],
        "checkpoint": loads(row[2]),
        "metadata": loads(meta) if meta is not None else {},
        "created_at": created,
    }


class _Floor:
    """The calls that are the same on both drivers: statements, parameters and decoding.

    A driver's class sends the statements (``_execute``, ``_fetch``) and says how a
    time is bound (``_time``) and how a stored time reads back as ISO text (``_stamp``).
    """

    async def _execute(self, name: str, **params: Any) -> Any:
        raise NotImplementedError

    async def _fetch(self, name: str, **params: Any) -> list[Any]:
        raise NotImplementedError

    def _time(self, stamp: dt.datetime) -> Any:
        raise NotImplementedError

    def _stamp(self, value: Any) -> str:
        raise NotImplementedError

    # -- single-row checkpointer ----------------------------------------------------
    async def latest_save(self, state: AgentState, thread_id: str) -> str:
        document = state.to_checkpoint()
        cid = uuid.uuid4().hex
        await self._execute(
            "latest_save",
            thread=thread_id,
            cid=cid,
            state=dumps(document),
            meta=None,
            text=search_text(document),
            now=self._time(_now()),
        )
        return cid

    async def latest_load(self, thread_id: str) -> AgentState | None:
        rows = await self._fetch("latest_load", thread=thread_id, now=self._time(_now()))
        return AgentState.from_checkpoint(loads(rows[0][1])) if rows else None

    # -- versioned saver ------------------------------------------------------------
    async def put(
        self, thread_id: str, checkpoint_id: str, document: dict[str, Any], parent: str | None
    ) -> None:
        params = {
            "thread": thread_id,
            "ns": NS,
            "cid": checkpoint_id,
            "doc": dumps(document),
            "meta": dumps({}),
            "now": self._time(_now()),
        }
        if parent is None:
            await self._execute("put_root", **params)
        else:
            await self._execute("put_child", parent=parent, **params)

    async def append(self, state: AgentState, thread_id: str) -> str:
        cid = uuid.uuid4().hex
        await self._execute(
            "append",
            thread=thread_id,
            ns=NS,
            cid=cid,
            doc=dumps(state.to_checkpoint()),
            meta=dumps({}),
            now=self._time(_now()),
        )
        return cid

    async def get(self, thread_id: str, checkpoint_id: str | None = None) -> dict[str, Any] | None:
        if checkpoint_id is None:
            rows = await self._fetch("newest", thread=thread_id, ns=NS)
        else:
            rows = await self._fetch("named", thread=thread_id, ns=NS, cid=checkpoint_id)
        return _checkpoint(rows[0], self._stamp(rows[0][4])) if rows else None

    async def history(
        self, thread_id: str, limit: int, before: str | None = None
    ) -> list[dict[str, Any]]:
        if before is None:
            rows = await self._fetch("history", thread=thread_id, ns=NS, limit=limit)
        else:
            rows = await self._fetch(
                "history_before", thread=thread_id, ns=NS, before=before, limit=limit
            )
        return [_checkpoint(r, self._stamp(r[4])) for r in rows]


class PostgresFloor(_Floor):
    """asyncpg on one held connection, statements prepared once."""

    def __init__(self, dsn: str, prefix: str) -> None:
        self.dsn = dsn
        self.prefix = prefix
        self._conn: asyncpg.Connection | None = None
        self._sql: dict[str, tuple[str, list[str]]] = {}
        for name, template in SQL.items():
            text = template.replace("{p}", prefix)
            for cast in ("jsonb", "timestamptz", "varchar"):
                text = text.replace("{" + cast + "}", "::" + cast)
            self._sql[name] = _positional(text)

    async def open(self) -> None:
        self._conn = await asyncpg.connect(self.dsn)

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    @property
    def conn(self) -> asyncpg.Connection:
        assert self._conn is not None
        return self._conn

    def _args(self, name: str, params: dict[str, Any]) -> tuple[str, list[Any]]:
        sql, names = self._sql[name]
        return sql, [params[n] for n in names]

    async def _execute(self, name: str, **params: Any) -> str:
        sql, args = self._args(name, params)
        status: str = await self.conn.execute(sql, *args)
        return status

    async def _fetch(self, name: str, **params: Any) -> list[Any]:
        sql, args = self._args(name, params)
        return list(await self.conn.fetch(sql, *args))

    def _time(self, stamp: dt.datetime) -> Any:
        return stamp

    def _stamp(self, value: Any) -> str:
        return str(value.isoformat())

    # -- single-row checkpointer ----------------------------------------------------
    async def search(self, query: str, limit: int = 10) -> list[dict[str, Any]]:
        rows = await self._fetch(
            "search_postgresql", query=_phrases(query), now=_now(), limit=limit
        )
        return [
            {"thread_id": r[0], "checkpoint_id": r[1], "score": float(r[3]), "updated_at": r[2]}
            for r in rows
        ]

    async def vacuum(self, older_than_days: float) -> int:
        now = _now()
        status = await self._execute(
            "vacuum", cutoff=now - dt.timedelta(days=older_than_days), now=now
        )
        return int(status.split()[-1])

    # -- versioned saver ------------------------------------------------------------
    async def put_writes(
        self, thread_id: str, checkpoint_id: str, task_id: str, writes: list[tuple[str, Any]]
    ) -> None:
        key = {"thread": thread_id, "ns": NS, "cid": checkpoint_id, "task": task_id}
        insert, names = self._sql["insert_write"]
        rows = [
            [{**key, "idx": i, "channel": c, "value": dumps(v)}[n] for n in names]
            for i, (c, v) in enumerate(writes)
        ]
        async with self.conn.transaction():
            await self._execute("clear_writes", **key)
            await self.conn.executemany(insert, rows)


class PooledPostgresFloor(PostgresFloor):
    """The same statements and per-call work, each call on a connection of an asyncpg pool.

    What a hand-written checkpointer shared by many tasks does: ``Pool.execute`` and
    ``Pool.fetch`` check a connection out for the statement and back in after it (each
    connection prepares a statement once, on its first use there). Only the
    single-row checkpointer calls are meant for it (``latest_save``, ``latest_load``).
    """

    def __init__(self, dsn: str, prefix: str, size: int) -> None:
        super().__init__(dsn, prefix)
        self.size = size
        self._pool: asyncpg.Pool | None = None

    async def open(self) -> None:
        self._pool = await asyncpg.create_pool(self.dsn, min_size=self.size, max_size=self.size)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    @property
    def pool(self) -> asyncpg.Pool:
        assert self._pool is not None
        return self._pool

    async def _execute(self, name: str, **params: Any) -> str:
        sql, args = self._args(name, params)
        status: str = await self.pool.execute(sql, *args)
        return status

    async def _fetch(self, name: str, **params: Any) -> list[Any]:
        sql, args = self._args(name, params)
        return list(await self.pool.fetch(sql, *args))


def _sqlite_time(stamp: dt.datetime) -> str:
    """Naive UTC text, the way the store writes timestamps on SQLite."""
    return stamp.astimezone(dt.UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


def _sqlite_stamp(text: str) -> str:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC).isoformat()


class SQLiteFloor(_Floor):
    """aiosqlite on one held connection in autocommit mode, the store's pragmas."""

    def __init__(self, path: str, prefix: str) -> None:
        self.path = path
        self.prefix = prefix
        self._conn: aiosqlite.Connection | None = None
        self._sql = {
            name: template.replace("{p}", prefix)
            .replace("{jsonb}", "")
            .replace("{timestamptz}", "")
            .replace("{varchar}", "")
            for name, template in SQL.items()
        }

    async def open(self) -> None:
        self._conn = await aiosqlite.connect(self.path, isolation_level=None, timeout=30)
        # synchronous=FULL: as durable as the store's default (durability="full").
        for pragma in ("journal_mode=WAL", "synchronous=FULL", "busy_timeout=30000"):
            await self._conn.execute(f"PRAGMA {pragma}")

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    @property
    def conn(self) -> aiosqlite.Connection:
        assert self._conn is not None
        return self._conn

    async def _execute(self, name: str, **params: Any) -> int:
        cursor = await self.conn.execute(self._sql[name], params)
        count = cursor.rowcount
        await cursor.close()
        return count

    async def _fetch(self, name: str, **params: Any) -> list[Any]:
        return list(await self.conn.execute_fetchall(self._sql[name], params))

    def _time(self, stamp: dt.datetime) -> Any:
        return _sqlite_time(stamp)

    def _stamp(self, value: Any) -> str:
        return _sqlite_stamp(value)

    # -- single-row checkpointer ----------------------------------------------------
    async def search(self, query: str, limit: int = 10) -> list[dict[str, Any]]:
        rows = await self._fetch(
            "search_sqlite", query=_phrases(query), now=_sqlite_time(_now()), limit=limit
        )
        return [
            {
                "thread_id": r[0],
                "checkpoint_id": r[1],
                "score": float(r[3]),
                "updated_at": _sqlite_stamp(r[2]),
            }
            for r in rows
        ]

    async def vacuum(self, older_than_days: float) -> int:
        now = _now()
        return await self._execute(
            "vacuum",
            cutoff=_sqlite_time(now - dt.timedelta(days=older_than_days)),
            now=_sqlite_time(now),
        )

    # -- versioned saver ------------------------------------------------------------
    async def put_writes(
        self, thread_id: str, checkpoint_id: str, task_id: str, writes: list[tuple[str, Any]]
    ) -> None:
        key = {"thread": thread_id, "ns": NS, "cid": checkpoint_id, "task": task_id}
        rows = [
            {**key, "idx": i, "channel": c, "value": dumps(v)} for i, (c, v) in enumerate(writes)
        ]
        await self.conn.execute("BEGIN")
        try:
            await self._execute("clear_writes", **key)
            await self.conn.executemany(self._sql["insert_write"], rows)
        except BaseException:
            await self.conn.execute("ROLLBACK")
            raise
        await self.conn.execute("COMMIT")


Floor = PostgresFloor | SQLiteFloor
