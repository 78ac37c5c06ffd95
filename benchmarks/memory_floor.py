"""The memory floor: each operation as the cheapest statement, sent straight through the driver.

On a table shaped like the store's (``<prefix>_mfloor_items``: namespace, key, JSON
value, metadata, search text, timestamps, expiry, version; ``<prefix>_mfloor_vectors``:
namespace, key, field, embedding), with the store's indexes: the primary key, the
b-trees listing a namespace by recency (``namespace, updated_at``) and finding expired
items (``expires_at``), a GIN index on ``to_tsvector('simple', search_text)`` and an
HNSW index (``vector_cosine_ops``, pgvector's defaults) on PostgreSQL; an FTS5 table
kept by triggers on SQLite. (Each index a put maintains is part of its cost: a put that
changes ``updated_at`` cannot be a heap-only update while that column is indexed.)

- asyncpg on one held connection (statements prepared once, pgvector's binary format
  through a codec; searches on a second one with ``plan_cache_mode =
  force_custom_plan``, so each is planned for its parameters), aiosqlite on one
  connection (the driver SQLAlchemy runs on), and plain ``sqlite3`` calls made
  straight from the event loop (what a blocking store such as ``HolographicStore``
  does: no thread hop);
- JSON with orjson; the search text is the value's strings, as the store derives it;
- a put is one upsert; a batch of 100 one ``INSERT … SELECT FROM unnest(…)`` upsert
  (PostgreSQL) or one ``executemany`` in a transaction (SQLite); a put with an
  embedding one statement (a CTE: the item, then its vector);
- text search: the full-text match ranked, ``LIMIT 10``; ``search_many`` one statement
  over ``unnest`` of the namespaces (``LATERAL``), SQLite one query per namespace;
- vector top-10: ``ORDER BY embedding <=> $q LIMIT 10`` (the HNSW index), the exact scan
  the same ordered by ``(embedding <=> $q) + 0`` (which no index serves), the ten
  items' values joined; on SQLite the namespace's BLOBs scanned in Python.
"""

from __future__ import annotations

import datetime as dt
import heapq
import math
import operator
import sqlite3
from array import array
from collections.abc import Sequence
from typing import Any

import aiosqlite
import asyncpg
import orjson

from benchmarks.memory_data import pgvector_binary, pgvector_from_binary

SEPARATOR = "/"


def encode_namespace(namespace: Sequence[str]) -> str:
    return SEPARATOR.join(namespace)


def text_of(value: Any) -> str:
    """The searchable text of a value: its strings, depth first (what the store indexes)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return " ".join(t for t in (text_of(v) for v in value.values()) if t)
    if isinstance(value, list | tuple):
        return " ".join(t for t in (text_of(v) for v in value) if t)
    return ""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


PG_DDL = (
    "CREATE TABLE {p}_mfloor_items (namespace varchar(1000) NOT NULL, "
    "key varchar(255) NOT NULL, value jsonb NOT NULL, metadata jsonb, search_text text, "
    "created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL, "
    "expires_at timestamptz, ttl_seconds float8, version integer NOT NULL, "
    "PRIMARY KEY (namespace, key))",
    "CREATE INDEX {p}_mfloor_items_fts ON {p}_mfloor_items "
    "USING gin (to_tsvector('simple', coalesce(search_text, '')))",
    "CREATE INDEX {p}_mfloor_items_upd ON {p}_mfloor_items (namespace, updated_at)",
    "CREATE INDEX {p}_mfloor_items_exp ON {p}_mfloor_items (expires_at)",
)
PG_VECTOR_DDL = (
    "CREATE TABLE {p}_mfloor_vectors (namespace varchar(1000) NOT NULL, "
    "key varchar(255) NOT NULL, field varchar(255) NOT NULL, embedding vector({dims}) NOT NULL, "
    "PRIMARY KEY (namespace, key, field))",
    "CREATE INDEX {p}_mfloor_vectors_hnsw ON {p}_mfloor_vectors "
    "USING hnsw (embedding vector_cosine_ops)",
)
PG_SQL = {
    "put": (
        "INSERT INTO {p}_mfloor_items AS t (namespace, key, value, metadata, search_text, "
        "created_at, updated_at, expires_at, ttl_seconds, version) "
        "VALUES ($1, $2, $3, $4, $5, $6, $6, NULL, NULL, 1) ON CONFLICT (namespace, key) "
        "DO UPDATE SET value = excluded.value, metadata = excluded.metadata, "
        "search_text = excluded.search_text, updated_at = excluded.updated_at, "
        "expires_at = NULL, ttl_seconds = NULL, version = t.version + 1"
    ),
    "put_vector": (
        "WITH item AS (INSERT INTO {p}_mfloor_items AS t (namespace, key, value, metadata, "
        "search_text, created_at, updated_at, expires_at, ttl_seconds, version) "
        "VALUES ($1, $2, $3, $4, $5, $6, $6, NULL, NULL, 1) ON CONFLICT (namespace, key) "
        "DO UPDATE SET value = excluded.value, metadata = excluded.metadata, "
        "search_text = excluded.search_text, updated_at = excluded.updated_at, "
        "expires_at = NULL, ttl_seconds = NULL, version = t.version + 1 RETURNING 1) "
        "INSERT INTO {p}_mfloor_vectors (namespace, key, field, embedding) "
        "SELECT $1, $2, 'text', $7 FROM item ON CONFLICT (namespace, key, field) "
        "DO UPDATE SET embedding = excluded.embedding"
    ),
    "put_batch": (
        "INSERT INTO {p}_mfloor_items AS t (namespace, key, value, metadata, search_text, "
        "created_at, updated_at, expires_at, ttl_seconds, version) "
        "SELECT b.namespace, b.key, b.value, NULL, b.search_text, $5, $5, NULL, NULL, 1 "
        "FROM unnest($1::varchar[], $2::varchar[], $3::jsonb[], $4::text[]) "
        "AS b(namespace, key, value, search_text) ON CONFLICT (namespace, key) "
        "DO UPDATE SET value = excluded.value, metadata = excluded.metadata, "
        "search_text = excluded.search_text, updated_at = excluded.updated_at, "
        "expires_at = NULL, ttl_seconds = NULL, version = t.version + 1"
    ),
    "get": (
        "SELECT value FROM {p}_mfloor_items WHERE namespace = $1 AND key = $2 "
        "AND (expires_at IS NULL OR expires_at > $3)"
    ),
    "text": (
        "SELECT key, value, ts_rank(to_tsvector('simple', coalesce(search_text, '')), "
        "websearch_to_tsquery('simple', $2)) AS score FROM {p}_mfloor_items "
        "WHERE namespace = $1 AND to_tsvector('simple', coalesce(search_text, '')) "
        "@@ websearch_to_tsquery('simple', $2) AND (expires_at IS NULL OR expires_at > $3) "
        "ORDER BY score DESC, updated_at DESC, key LIMIT $4"
    ),
    "text_many": (
        "SELECT n.idx, m.key, m.value FROM unnest($1::varchar[]) WITH ORDINALITY AS n(ns, idx) "
        "CROSS JOIN LATERAL (SELECT key, value, "
        "ts_rank(to_tsvector('simple', coalesce(search_text, '')), "
        "websearch_to_tsquery('simple', $2)) AS score FROM {p}_mfloor_items "
        "WHERE namespace = n.ns AND to_tsvector('simple', coalesce(search_text, '')) "
        "@@ websearch_to_tsquery('simple', $2) AND (expires_at IS NULL OR expires_at > $3) "
        "ORDER BY score DESC, updated_at DESC, key LIMIT $4) AS m ORDER BY n.idx, m.score DESC"
    ),
    "vector": (
        "SELECT d.key, i.value, d.distance FROM (SELECT key, embedding <=> $2 AS distance "
        "FROM {p}_mfloor_vectors WHERE namespace = $1 ORDER BY embedding <=> $2 LIMIT $3) AS d "
        "JOIN {p}_mfloor_items AS i ON i.namespace = $1 AND i.key = d.key "
        "WHERE i.expires_at IS NULL OR i.expires_at > $4 ORDER BY d.distance"
    ),
    "vector_exact": (
        "SELECT d.key, i.value, d.distance FROM (SELECT key, embedding <=> $2 AS distance "
        "FROM {p}_mfloor_vectors WHERE namespace = $1 ORDER BY (embedding <=> $2) + 0 "
        "LIMIT $3) AS d JOIN {p}_mfloor_items AS i ON i.namespace = $1 AND i.key = d.key "
        "WHERE i.expires_at IS NULL OR i.expires_at > $4 ORDER BY d.distance"
    ),
    "vector_many": (
        "SELECT n.idx, d.key, i.value FROM unnest($1::varchar[]) WITH ORDINALITY AS n(ns, idx) "
        "CROSS JOIN LATERAL (SELECT key, embedding <=> $2 AS distance FROM {p}_mfloor_vectors "
        "WHERE namespace = n.ns ORDER BY embedding <=> $2 LIMIT $3) AS d "
        "JOIN {p}_mfloor_items AS i ON i.namespace = n.ns AND i.key = d.key "
        "WHERE i.expires_at IS NULL OR i.expires_at > $4 ORDER BY n.idx, d.distance"
    ),
}


async def register_vector_codec(conn: asyncpg.Connection) -> None:
    """pgvector's ``vector`` in its binary format on this connection (``array('f')`` in)."""
    schema = await conn.fetchval(
        "SELECT n.nspname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
        "WHERE t.typname = 'vector'"
    )
    await conn.set_type_codec(
        "vector",
        schema=schema,
        encoder=pgvector_binary,
        decoder=pgvector_from_binary,
        format="binary",
    )


class PostgresMemoryFloor:
    """``create=False``: another connection on the tables a first floor created, its
    session ``settings`` (``{"hnsw.ef_search": "100"}``) set when it connects."""

    def __init__(
        self,
        dsn: str,
        prefix: str,
        *,
        vectors: bool,
        dims: int,
        create: bool = True,
        settings: dict[str, str] | None = None,
    ) -> None:
        self.dsn = dsn
        self.prefix = prefix
        self.vectors = vectors
        self.dims = dims
        self.create = create
        self.settings = settings or {}
        self._conn: asyncpg.Connection | None = None
        self._search: asyncpg.Connection | None = None
        self.sql = {name: sql.replace("{p}", prefix) for name, sql in PG_SQL.items()}

    @property
    def items_table(self) -> str:
        return f"{self.prefix}_mfloor_items"

    @property
    def vectors_table(self) -> str:
        return f"{self.prefix}_mfloor_vectors"

    @property
    def conn(self) -> asyncpg.Connection:
        assert self._conn is not None
        return self._conn

    @property
    def search(self) -> asyncpg.Connection:
        """The connection searches run on (custom plans)."""
        assert self._search is not None
        return self._search

    async def open(self) -> None:
        self._conn = await asyncpg.connect(self.dsn)
        self._search = await asyncpg.connect(self.dsn)
        # Searches planned for their parameters: a generic plan of the full-text query
        # (PostgreSQL's choice after five runs of a prepared statement) scans the
        # namespace, 20x slower at 100,000 items than the GIN index.
        await self._search.execute("SET plan_cache_mode = force_custom_plan")
        for conn in (self._conn, self._search):
            for name, value in self.settings.items():
                await conn.execute("SELECT set_config($1, $2, false)", name, value)
        ddl = list(PG_DDL) + (list(PG_VECTOR_DDL) if self.vectors else [])
        for statement in ddl if self.create else ():
            await self._conn.execute(
                statement.replace("{p}", self.prefix).replace("{dims}", str(self.dims))
            )
        if self.vectors:
            await register_vector_codec(self._conn)
            await register_vector_codec(self._search)

    async def close(self) -> None:
        if self._conn is None:
            return
        if self.create:
            await self._conn.execute(
                f"DROP TABLE IF EXISTS {self.vectors_table}, {self.items_table}"
            )
        await self._conn.close()
        self._conn = None
        if self._search is not None:
            await self._search.close()
            self._search = None

    async def put(self, namespace: Sequence[str], key: str, value: Any) -> None:
        await self.conn.execute(
            self.sql["put"],
            encode_namespace(namespace),
            key,
            orjson.dumps(value).decode(),
            None,
            text_of(value),
            _now(),
        )

    async def put_vector(
        self, namespace: Sequence[str], key: str, value: Any, vector: Sequence[float]
    ) -> None:
        await self.conn.execute(
            self.sql["put_vector"],
            encode_namespace(namespace),
            key,
            orjson.dumps(value).decode(),
            None,
            text_of(value),
            _now(),
            vector,
        )

    async def put_batch(self, items: Sequence[tuple[Sequence[str], str, Any]]) -> None:
        await self.conn.execute(
            self.sql["put_batch"],
            [encode_namespace(ns) for ns, _, _ in items],
            [key for _, key, _ in items],
            [orjson.dumps(value).decode() for _, _, value in items],
            [text_of(value) for _, _, value in items],
            _now(),
        )

    async def get(self, namespace: Sequence[str], key: str) -> Any:
        text = await self.conn.fetchval(self.sql["get"], encode_namespace(namespace), key, _now())
        return orjson.loads(text) if text is not None else None

    async def text_search(self, namespace: Sequence[str], query: str) -> list[str]:
        rows = await self.search.fetch(
            self.sql["text"], encode_namespace(namespace), _phrase(query), _now(), 10
        )
        return [_keep(r[0], r[1]) for r in rows]

    async def text_many(self, namespaces: Sequence[Sequence[str]], query: str) -> list[list[str]]:
        rows = await self.search.fetch(
            self.sql["text_many"],
            [encode_namespace(ns) for ns in namespaces],
            _phrase(query),
            _now(),
            10,
        )
        return _grouped(rows, len(namespaces))

    async def vector_top10(
        self, namespace: Sequence[str], vector: Sequence[float], *, exact: bool = False
    ) -> list[str]:
        rows = await self.search.fetch(
            self.sql["vector_exact" if exact else "vector"],
            encode_namespace(namespace),
            vector,
            10,
            _now(),
        )
        return [_keep(r[0], r[1]) for r in rows]

    async def vector_many(
        self, namespaces: Sequence[Sequence[str]], vector: Sequence[float]
    ) -> list[list[str]]:
        rows = await self.search.fetch(
            self.sql["vector_many"],
            [encode_namespace(ns) for ns in namespaces],
            vector,
            10,
            _now(),
        )
        return _grouped(rows, len(namespaces))


def _keep(key: str, value: str) -> str:
    """The key of a result row, its value decoded (what any store hands back)."""
    orjson.loads(value)
    return key


def _grouped(rows: Sequence[Any], count: int) -> list[list[str]]:
    out: list[list[str]] = [[] for _ in range(count)]
    for row in rows:
        out[int(row[0]) - 1].append(_keep(row[1], row[2]))
    return out


SQLITE_DDL = (
    "CREATE TABLE {p}_mfloor_items (namespace VARCHAR(1000) NOT NULL, key VARCHAR(255) NOT NULL, "
    "value TEXT NOT NULL, metadata TEXT, search_text TEXT, created_at TEXT NOT NULL, "
    "updated_at TEXT NOT NULL, expires_at TEXT, ttl_seconds REAL, version INTEGER NOT NULL, "
    "PRIMARY KEY (namespace, key))",
    "CREATE INDEX {p}_mfloor_items_upd ON {p}_mfloor_items (namespace, updated_at)",
    "CREATE INDEX {p}_mfloor_items_exp ON {p}_mfloor_items (expires_at)",
    "CREATE VIRTUAL TABLE {p}_mfloor_fts USING fts5(search_text, content='{p}_mfloor_items', "
    "content_rowid='rowid', tokenize='unicode61')",
    "CREATE TRIGGER {p}_mfloor_ai AFTER INSERT ON {p}_mfloor_items BEGIN "
    "INSERT INTO {p}_mfloor_fts(rowid, search_text) VALUES (new.rowid, new.search_text); END",
    "CREATE TRIGGER {p}_mfloor_ad AFTER DELETE ON {p}_mfloor_items BEGIN "
    "INSERT INTO {p}_mfloor_fts({p}_mfloor_fts, rowid, search_text) "
    "VALUES ('delete', old.rowid, old.search_text); END",
    "CREATE TRIGGER {p}_mfloor_au AFTER UPDATE ON {p}_mfloor_items BEGIN "
    "INSERT INTO {p}_mfloor_fts({p}_mfloor_fts, rowid, search_text) "
    "VALUES ('delete', old.rowid, old.search_text); "
    "INSERT INTO {p}_mfloor_fts(rowid, search_text) VALUES (new.rowid, new.search_text); END",
    "CREATE TABLE {p}_mfloor_vectors (namespace VARCHAR(1000) NOT NULL, "
    "key VARCHAR(255) NOT NULL, field VARCHAR(255) NOT NULL, embedding BLOB NOT NULL, "
    "PRIMARY KEY (namespace, key, field))",
)
SQLITE_SQL = {
    "put": (
        "INSERT INTO {p}_mfloor_items (namespace, key, value, metadata, search_text, created_at, "
        "updated_at, expires_at, ttl_seconds, version) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL, 1) "
        "ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value, "
        "metadata = excluded.metadata, search_text = excluded.search_text, "
        "updated_at = excluded.updated_at, expires_at = NULL, ttl_seconds = NULL, "
        "version = version + 1"
    ),
    "put_vector": (
        "INSERT INTO {p}_mfloor_vectors (namespace, key, field, embedding) "
        "VALUES (?, ?, 'text', ?) "
        "ON CONFLICT (namespace, key, field) DO UPDATE SET embedding = excluded.embedding"
    ),
    "get": (
        "SELECT value FROM {p}_mfloor_items WHERE namespace = ? AND key = ? "
        "AND (expires_at IS NULL OR expires_at > ?)"
    ),
    "text": (
        "SELECT i.key, i.value FROM {p}_mfloor_fts JOIN {p}_mfloor_items AS i "
        "ON i.rowid = {p}_mfloor_fts.rowid WHERE {p}_mfloor_fts MATCH ? AND i.namespace = ? "
        "AND (i.expires_at IS NULL OR i.expires_at > ?) "
        "ORDER BY bm25({p}_mfloor_fts), i.updated_at DESC, i.key LIMIT ?"
    ),
    "scan": "SELECT key, embedding FROM {p}_mfloor_vectors WHERE namespace = ?",
    "values": (
        "SELECT key, value FROM {p}_mfloor_items WHERE namespace = ? AND key IN ({marks}) "
        "AND (expires_at IS NULL OR expires_at > ?)"
    ),
}


def _sqlite_now() -> str:
    return _now().replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


def _phrase(query: str) -> str:
    return " ".join('"' + term.replace('"', " ") + '"' for term in query.split())


def _nearest(rows: Sequence[Any], vector: Sequence[float]) -> list[str]:
    """The ten keys nearest ``vector`` (cosine) among (key, float32 BLOB) rows."""
    query = array("f", vector)
    q_norm = math.sqrt(sum(map(operator.mul, query, query)))

    def distance(row: Any) -> float:
        stored = array("f")
        stored.frombytes(row[1])
        norm = math.sqrt(sum(map(operator.mul, stored, stored)))
        return 1.0 - float(sum(map(operator.mul, stored, query))) / (norm * q_norm)

    return [row[0] for row in heapq.nsmallest(10, rows, key=distance)]


class SQLiteMemoryFloor:
    """aiosqlite (``driver="aiosqlite"``) or blocking ``sqlite3`` calls (``"sqlite3"``).

    Autocommit, WAL and ``synchronous=FULL``: as durable as the store's default.
    """

    def __init__(self, path: str, prefix: str, *, driver: str, create: bool) -> None:
        self.path = path
        self.prefix = prefix
        self.driver = driver
        self.create = create
        self.sql = {name: sql.replace("{p}", prefix) for name, sql in SQLITE_SQL.items()}
        self._async: aiosqlite.Connection | None = None
        self._sync: sqlite3.Connection | None = None

    @property
    def items_table(self) -> str:
        return f"{self.prefix}_mfloor_items"

    @property
    def vectors_table(self) -> str:
        return f"{self.prefix}_mfloor_vectors"

    async def open(self) -> None:
        if self.driver == "aiosqlite":
            self._async = await aiosqlite.connect(self.path, isolation_level=None, timeout=30)
        else:
            self._sync = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        for pragma in ("journal_mode=WAL", "synchronous=FULL", "busy_timeout=30000"):
            await self._execute(f"PRAGMA {pragma}")
        if self.create:
            for statement in SQLITE_DDL:
                await self._execute(statement.replace("{p}", self.prefix))

    async def close(self) -> None:
        if self.create:
            for table in (self.vectors_table, f"{self.prefix}_mfloor_fts", self.items_table):
                await self._execute(f"DROP TABLE IF EXISTS {table}")
        if self._async is not None:
            await self._async.close()
            self._async = None
        if self._sync is not None:
            self._sync.close()
            self._sync = None

    async def _execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        if self._async is not None:
            cursor = await self._async.execute(sql, params)
            await cursor.close()
        else:
            assert self._sync is not None
            self._sync.execute(sql, params).close()

    async def _fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        if self._async is not None:
            return list(await self._async.execute_fetchall(sql, params))
        assert self._sync is not None
        return self._sync.execute(sql, params).fetchall()

    async def _many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if self._async is not None:
            await self._async.executemany(sql, rows)
        else:
            assert self._sync is not None
            self._sync.executemany(sql, rows)

    def _row(self, namespace: Sequence[str], key: str, value: Any, now: str) -> tuple[Any, ...]:
        return (
            encode_namespace(namespace),
            key,
            orjson.dumps(value).decode(),
            None,
            text_of(value),
            now,
            now,
        )

    async def put(self, namespace: Sequence[str], key: str, value: Any) -> None:
        await self._execute(self.sql["put"], self._row(namespace, key, value, _sqlite_now()))

    async def put_vector(
        self, namespace: Sequence[str], key: str, value: Any, vector: Sequence[float]
    ) -> None:
        await self._execute("BEGIN")
        try:
            await self._execute(self.sql["put"], self._row(namespace, key, value, _sqlite_now()))
            await self._execute(
                self.sql["put_vector"],
                (encode_namespace(namespace), key, array("f", vector).tobytes()),
            )
        except BaseException:
            await self._execute("ROLLBACK")
            raise
        await self._execute("COMMIT")

    async def put_batch(self, items: Sequence[tuple[Sequence[str], str, Any]]) -> None:
        now = _sqlite_now()
        await self._execute("BEGIN")
        try:
            await self._many(self.sql["put"], [self._row(ns, k, v, now) for ns, k, v in items])
        except BaseException:
            await self._execute("ROLLBACK")
            raise
        await self._execute("COMMIT")

    async def get(self, namespace: Sequence[str], key: str) -> Any:
        rows = await self._fetch(self.sql["get"], (encode_namespace(namespace), key, _sqlite_now()))
        return orjson.loads(rows[0][0]) if rows else None

    async def text_search(self, namespace: Sequence[str], query: str) -> list[str]:
        rows = await self._fetch(
            self.sql["text"], (_phrase(query), encode_namespace(namespace), _sqlite_now(), 10)
        )
        return [_keep(r[0], r[1]) for r in rows]

    async def text_many(self, namespaces: Sequence[Sequence[str]], query: str) -> list[list[str]]:
        return [await self.text_search(ns, query) for ns in namespaces]

    async def vector_top10(
        self, namespace: Sequence[str], vector: Sequence[float], *, exact: bool = True
    ) -> list[str]:
        ns = encode_namespace(namespace)
        keys = _nearest(await self._fetch(self.sql["scan"], (ns,)), vector)
        if not keys:
            return []
        marks = ", ".join("?" for _ in keys)
        rows = await self._fetch(
            self.sql["values"].replace("{marks}", marks), (ns, *keys, _sqlite_now())
        )
        values = {r[0]: r[1] for r in rows}
        return [_keep(k, values[k]) for k in keys if k in values]

    async def vector_many(
        self, namespaces: Sequence[Sequence[str]], vector: Sequence[float]
    ) -> list[list[str]]:
        return [await self.vector_top10(ns, vector) for ns in namespaces]
