"""Every memory store of the benchmark behind one async interface.

Each contender says what it cannot do (``unsupported``: operation -> why, printed as
*n/a* in the tables) and implements the rest:

- ``put``, ``get`` of one item; ``put_vector``, a put with a 384-dim embedding;
- ``text_search``: a one-word full-text (or substring) query in one namespace, 10 hits;
- ``vector_top10``: the 10 items nearest a query vector in one namespace;
- ``search_many_text`` / ``search_many_vector``: the same over 5 namespaces at once;
- ``put_batch``: 100 new items in one call;
- ``seed``: the corpus, bulk-loaded (set-up, untimed): COPY through asyncpg (HNSW
  indexes dropped first and rebuilt after, as a bulk load is done), ``executemany`` on
  SQLite, the in-memory stores' own dictionaries; ours through its own ``put_batch``.

Contenders that embed text themselves (``PgMemory``'s embedder, LangGraph's
``index.embed``, ours with ``embed=``) get :class:`LookupEmbedder`, which maps a text back
to its precomputed vector (``item<n>x`` / ``query<n>x`` in it): no model runs, so the
timings are the stores' own.

The peers, as constructed here:

- locus-sdk ``InMemoryStore``: dictionaries; ``search`` a substring match over the
  JSON of each item of the namespace; no vectors.
- locus-sdk ``HolographicStore``: ``sqlite3`` (blocking, from the event loop) with FTS5;
  its HRR recall needs numpy, which is not installed, so ``search`` is FTS5 (it reads
  every row of the namespace first, then falls back); it takes no embeddings.
- locus-sdk ``PgMemory`` (asyncpg pool, pgvector, row-level security): without an
  embedder and without numpy ``search`` is ``content ILIKE '%query%'``; with an embedder
  (384 dims, its HNSW index) ``search`` is vector search, so the vector rows use a
  second ``PgMemory`` with the embedder on its own table. It creates the ``vector``
  extension on first use, so it runs only where pgvector is installed.
- LangGraph ``InMemoryStore`` with ``index={"dims": 384, "embed": ..., "fields": ["text"]}``:
  vectors compared in pure Python (numpy is not installed); a query is always semantic.
- LangGraph ``AsyncPostgresStore`` (psycopg pool, its own schema): with the same index
  (HNSW, cosine) where pgvector is installed, without one elsewhere.

Plain puts skip the embedding where a store would compute one (LangGraph's
``index=False``, our ``memory()`` without ``embed``, ``PgMemory`` without an embedder);
the *put with embedding* row is the embedding put.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3
import warnings
from collections.abc import AsyncIterator, Iterable, Sequence
from pathlib import Path
from typing import Any

import asyncpg
import orjson

from benchmarks.memory_data import Corpus, Item, query_text
from benchmarks.memory_floor import (
    PostgresMemoryFloor,
    SQLiteMemoryFloor,
    encode_namespace,
    register_vector_codec,
    text_of,
)

PUT = "put"
GET = "get"
PUT_VECTOR = "put with embedding"
TEXT = "text search"
VECTOR = "vector top-10"
MANY_TEXT = "search_many, text"
MANY_VECTOR = "search_many, vector"
BATCH = "put_batch"
OPERATIONS = (PUT, GET, PUT_VECTOR, TEXT, VECTOR, MANY_TEXT, MANY_VECTOR, BATCH)
VECTOR_OPERATIONS = (PUT_VECTOR, VECTOR, MANY_VECTOR)

NO_PGVECTOR = "needs pgvector, which this server lacks"
NO_FULL_TEXT = "no full-text search: a query is always embedded (semantic search only)"

Triple = tuple[tuple[str, ...], str, dict[str, Any]]


class LookupEmbedder:
    """Texts to their precomputed vectors, as each store's embedding hook wants them."""

    def __init__(self, corpus: Corpus) -> None:
        self.corpus = corpus
        self.dimension = corpus.dims

    def vectors(self, texts: Sequence[str]) -> list[list[float]]:
        return [self.corpus.vector_of(t).tolist() for t in texts]

    async def __call__(self, texts: Sequence[str]) -> list[list[float]]:
        return self.vectors(texts)

    # -- locus-sdk's BaseEmbedding, for PgMemory ----------------------------------------
    def locus(self) -> Any:
        from locus.rag.embeddings.base import BaseEmbedding, EmbeddingConfig, EmbeddingResult

        lookup = self

        class Lookup(BaseEmbedding):
            @property
            def config(self) -> Any:
                return EmbeddingConfig(dimension=lookup.dimension)

            async def embed(self, text: str) -> Any:
                (vector,) = lookup.vectors([text])
                return EmbeddingResult(embedding=vector, text=text, model="lookup")

        return Lookup()


class Contender:
    """One store under test (see the module docstring for the operations)."""

    name = ""
    #: Operation -> why this contender cannot run it.
    unsupported: dict[str, str]
    #: A reference for one operation only (the exact scan): no n/a rows for the others.
    reference_only = False
    #: How ``seed`` loads the corpus (for the seeding table).
    seeding = ""

    def __init__(self) -> None:
        self.unsupported = {}

    async def open(self) -> None:
        pass

    async def close(self) -> None:
        """Close it and remove what it created."""

    async def seed(self, items: Sequence[Item], corpus: Corpus) -> None:
        raise NotImplementedError

    async def put(self, namespace: tuple[str, ...], key: str, value: dict[str, Any]) -> None:
        raise NotImplementedError

    async def put_vector(
        self, namespace: tuple[str, ...], key: str, value: dict[str, Any], vector: int
    ) -> None:
        raise NotImplementedError

    async def get(self, namespace: tuple[str, ...], key: str) -> Any:
        raise NotImplementedError

    async def text_search(self, namespace: tuple[str, ...], query: str) -> list[str]:
        raise NotImplementedError

    async def vector_top10(self, namespace: tuple[str, ...], query: int) -> list[str]:
        raise NotImplementedError

    async def search_many_text(
        self, namespaces: Sequence[tuple[str, ...]], query: str
    ) -> list[list[str]]:
        raise NotImplementedError

    async def search_many_vector(
        self, namespaces: Sequence[tuple[str, ...]], query: int
    ) -> list[list[str]]:
        raise NotImplementedError

    async def put_batch(self, items: Sequence[Triple]) -> None:
        raise NotImplementedError


# -- bulk loading through asyncpg ---------------------------------------------------------
@contextlib.asynccontextmanager
async def bulk_loading(
    conn: asyncpg.Connection, table: str, schema: str = "public"
) -> AsyncIterator[None]:
    """The table's approximate vector indexes dropped for a load, rebuilt (1 GB) after it."""
    rows = await conn.fetch(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = $1 AND tablename = $2 "
        "AND (indexdef ILIKE '%USING hnsw%' OR indexdef ILIKE '%USING ivfflat%')",
        schema,
        table,
    )
    for row in rows:
        await conn.execute(f'DROP INDEX "{schema}"."{row["indexname"]}"')
    yield
    await conn.execute("SET maintenance_work_mem = '1GB'")
    for row in rows:
        await conn.execute(row["indexdef"])
    await conn.execute(f'VACUUM (ANALYZE) "{schema}"."{table}"')


async def copy_into(
    dsn: str,
    table: str,
    columns: Sequence[str],
    records: Iterable[Sequence[Any]],
    *,
    schema: str = "public",
) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        if await conn.fetchval("SELECT 1 FROM pg_type WHERE typname = 'vector'"):
            await register_vector_codec(conn)
        async with bulk_loading(conn, table, schema):
            await conn.copy_records_to_table(
                table, columns=list(columns), records=records, schema_name=schema
            )
    finally:
        await conn.close()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def _analyze(conn: Any) -> None:
    await conn.exec_driver_sql("ANALYZE")


# -- the floor ----------------------------------------------------------------------------
class PostgresFloorContender(Contender):
    seeding = "COPY (asyncpg), HNSW index built after"

    def __init__(
        self,
        floor: PostgresMemoryFloor,
        corpus: Corpus,
        *,
        exact: bool = False,
        ef_search: int | None = None,
    ) -> None:
        super().__init__()
        self.corpus = corpus
        self.exact = exact
        self.name = "floor (asyncpg)"
        if exact:
            self.name += ", exact scan"
        elif ef_search is not None:
            # its own connection on the same tables, hnsw.ef_search set for the session
            self.name += f", ef_search={ef_search}"
            floor = PostgresMemoryFloor(
                floor.dsn,
                floor.prefix,
                vectors=True,
                dims=floor.dims,
                create=False,
                settings={"hnsw.ef_search": str(ef_search)},
            )
        self.floor = floor
        self.reference = exact or ef_search is not None
        if not floor.vectors:
            self.seeding = "COPY (asyncpg)"
            self.unsupported = dict.fromkeys(VECTOR_OPERATIONS, NO_PGVECTOR)
        if self.reference:
            self.reference_only = True
            self.unsupported = {op: "" for op in OPERATIONS if op != VECTOR}

    async def open(self) -> None:
        if not self.exact:
            await self.floor.open()

    async def close(self) -> None:
        if not self.exact:
            await self.floor.close()

    async def seed(self, items: Sequence[Item], corpus: Corpus) -> None:
        if self.reference:
            return
        now = _now()
        await copy_into(
            self.floor.dsn,
            self.floor.items_table,
            ("namespace", "key", "value", "search_text", "created_at", "updated_at", "version"),
            (
                (
                    encode_namespace(i.namespace),
                    i.key,
                    orjson.dumps(i.value).decode(),
                    text_of(i.value),
                    now,
                    now,
                    1,
                )
                for i in items
            ),
        )
        if self.floor.vectors:
            await copy_into(
                self.floor.dsn,
                self.floor.vectors_table,
                ("namespace", "key", "field", "embedding"),
                (
                    (encode_namespace(i.namespace), i.key, "text", corpus.vectors[i.vector])
                    for i in items
                ),
            )

    async def put(self, namespace: tuple[str, ...], key: str, value: dict[str, Any]) -> None:
        await self.floor.put(namespace, key, value)

    async def put_vector(
        self, namespace: tuple[str, ...], key: str, value: dict[str, Any], vector: int
    ) -> None:
        await self.floor.put_vector(namespace, key, value, self.corpus.vectors[vector])

    async def get(self, namespace: tuple[str, ...], key: str) -> Any:
        return await self.floor.get(namespace, key)

    async def text_search(self, namespace: tuple[str, ...], query: str) -> list[str]:
        return await self.floor.text_search(namespace, query)

    async def vector_top10(self, namespace: tuple[str, ...], query: int) -> list[str]:
        return await self.floor.vector_top10(
            namespace, self.corpus.queries[query], exact=self.exact
        )

    async def search_many_text(
        self, namespaces: Sequence[tuple[str, ...]], query: str
    ) -> list[list[str]]:
        return await self.floor.text_many(namespaces, query)

    async def search_many_vector(
        self, namespaces: Sequence[tuple[str, ...]], query: int
    ) -> list[list[str]]:
        return await self.floor.vector_many(namespaces, self.corpus.queries[query])

    async def put_batch(self, items: Sequence[Triple]) -> None:
        await self.floor.put_batch(items)


class SQLiteFloorContender(Contender):
    seeding = "executemany (sqlite3), one transaction"

    def __init__(self, floor: SQLiteMemoryFloor, corpus: Corpus) -> None:
        super().__init__()
        self.floor = floor
        self.corpus = corpus
        self.name = f"floor ({floor.driver})"

    async def open(self) -> None:
        await self.floor.open()

    async def close(self) -> None:
        await self.floor.close()

    async def seed(self, items: Sequence[Item], corpus: Corpus) -> None:
        if not self.floor.create:
            return  # the other driver's floor loads the shared tables
        conn = sqlite3.connect(self.floor.path, isolation_level=None, timeout=30)
        try:
            now = dt.datetime.now(dt.UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
            conn.execute("BEGIN")
            conn.executemany(
                self.floor.sql["put"],
                (
                    (
                        encode_namespace(i.namespace),
                        i.key,
                        orjson.dumps(i.value).decode(),
                        None,
                        text_of(i.value),
                        now,
                        now,
                    )
                    for i in items
                ),
            )
            conn.executemany(
                self.floor.sql["put_vector"],
                (
                    (encode_namespace(i.namespace), i.key, corpus.vectors[i.vector].tobytes())
                    for i in items
                ),
            )
            conn.execute("COMMIT")
            conn.execute("ANALYZE")
        finally:
            conn.close()

    async def put(self, namespace: tuple[str, ...], key: str, value: dict[str, Any]) -> None:
        await self.floor.put(namespace, key, value)

    async def put_vector(
        self, namespace: tuple[str, ...], key: str, value: dict[str, Any], vector: int
    ) -> None:
        await self.floor.put_vector(namespace, key, value, self.corpus.vectors[vector])

    async def get(self, namespace: tuple[str, ...], key: str) -> Any:
        return await self.floor.get(namespace, key)

    async def text_search(self, namespace: tuple[str, ...], query: str) -> list[str]:
        return await self.floor.text_search(namespace, query)

    async def vector_top10(self, namespace: tuple[str, ...], query: int) -> list[str]:
        return await self.floor.vector_top10(namespace, self.corpus.queries[query])

    async def search_many_text(
        self, namespaces: Sequence[tuple[str, ...]], query: str
    ) -> list[list[str]]:
        return await self.floor.text_many(namespaces, query)

    async def search_many_vector(
        self, namespaces: Sequence[tuple[str, ...]], query: int
    ) -> list[list[str]]:
        return await self.floor.vector_many(namespaces, self.corpus.queries[query])

    async def put_batch(self, items: Sequence[Triple]) -> None:
        await self.floor.put_batch(items)


# -- ours ---------------------------------------------------------------------------------
class OursMemory(Contender):
    """``store.memory()`` (plain) and ``store.memory(embed=...)`` on the same tables."""

    seeding = "its put_batch, 1,000 items a call (HNSW index dropped, built after)"

    def __init__(
        self, store: Any, corpus: Corpus, *, vectors: bool, name: str, dsn: str | None = None
    ) -> None:
        super().__init__()
        self.name = name
        self.corpus = corpus
        self.embedder = LookupEmbedder(corpus)
        self.plain = store.memory()
        self.embedded = store.memory(embed=self.embedder.vectors) if vectors else None
        self.store = store
        #: PostgreSQL (libpq URL): the HNSW index is dropped for the load and rebuilt after.
        self.dsn = dsn
        if not vectors:
            self.unsupported = dict.fromkeys(VECTOR_OPERATIONS, NO_PGVECTOR)
        if dsn is None or not vectors:
            self.seeding = "its put_batch, 1,000 items a call"

    async def seed(self, items: Sequence[Item], corpus: Corpus) -> None:
        """Through our own ``put_batch``, 1,000 items a call (``embed`` where vectors exist)."""
        target = self.embedded if self.embedded is not None else self.plain
        chunk = 1000

        async def load() -> None:
            for start in range(0, len(items), chunk):
                batch = items[start : start + chunk]
                await target.put_batch([(i.namespace, i.key, i.value, None) for i in batch])

        items_table = self.store.schema.memory_items.name
        if self.dsn is None:
            await load()
            # as every contender's tables: statistics fresh before the first timed call
            await self.store.run(_analyze)
            return
        conn = await asyncpg.connect(self.dsn)
        try:
            if self.embedded is None:
                await load()
            else:
                async with bulk_loading(conn, self.store.schema.memory_vectors.name):
                    await load()
            await conn.execute(f'VACUUM (ANALYZE) "{items_table}"')
        finally:
            await conn.close()

    async def put(self, namespace: tuple[str, ...], key: str, value: dict[str, Any]) -> None:
        await self.plain.put(namespace, key, value)

    async def put_vector(
        self, namespace: tuple[str, ...], key: str, value: dict[str, Any], vector: int
    ) -> None:
        await self.plain.put_with_embedding(
            namespace, key, value, self.corpus.vectors[vector].tolist()
        )

    async def get(self, namespace: tuple[str, ...], key: str) -> Any:
        return await self.plain.get(namespace, key)

    async def text_search(self, namespace: tuple[str, ...], query: str) -> list[str]:
        return [i.key for i in await self.plain.search(namespace, query=query, limit=10)]

    async def vector_top10(self, namespace: tuple[str, ...], query: int) -> list[str]:
        found = await self.plain.search_by_embedding(
            namespace, self.corpus.queries[query].tolist(), limit=10
        )
        return [r.item.key for r in found]

    async def search_many_text(
        self, namespaces: Sequence[tuple[str, ...]], query: str
    ) -> list[list[str]]:
        found = await self.plain.search_many(namespaces, query=query, limit=10)
        return [[i.key for i in hits] for hits in found]

    async def search_many_vector(
        self, namespaces: Sequence[tuple[str, ...]], query: int
    ) -> list[list[str]]:
        assert self.embedded is not None
        found = await self.embedded.search_many(namespaces, query=query_text(query), limit=10)
        return [[i.key for i in hits] for hits in found]

    async def put_batch(self, items: Sequence[Triple]) -> None:
        await self.plain.put_batch([(ns, k, v, None) for ns, k, v in items])


class _LangGraphAPI(Contender):
    """The operations of a ``langgraph.store.base.BaseStore`` (ours or a peer)."""

    store: Any

    def _ops(self) -> Any:
        from langgraph.store.base import PutOp, SearchOp

        return PutOp, SearchOp

    async def put(self, namespace: tuple[str, ...], key: str, value: dict[str, Any]) -> None:
        await self.store.aput(namespace, key, value, index=False)

    async def put_vector(
        self, namespace: tuple[str, ...], key: str, value: dict[str, Any], vector: int
    ) -> None:
        await self.store.aput(namespace, key, value)  # embeds value["text"] (index fields)

    async def get(self, namespace: tuple[str, ...], key: str) -> Any:
        item = await self.store.aget(namespace, key)
        return item.value if item is not None else None

    async def vector_top10(self, namespace: tuple[str, ...], query: int) -> list[str]:
        found = await self.store.asearch(namespace, query=query_text(query), limit=10)
        return [i.key for i in found]

    async def search_many_vector(
        self, namespaces: Sequence[tuple[str, ...]], query: int
    ) -> list[list[str]]:
        _, search_op = self._ops()
        ops = [search_op(ns, None, 10, 0, query_text(query)) for ns in namespaces]
        return [[i.key for i in hits] for hits in await self.store.abatch(ops)]

    async def put_batch(self, items: Sequence[Triple]) -> None:
        put_op, _ = self._ops()
        await self.store.abatch([put_op(ns, k, v, index=False) for ns, k, v in items])


class OursLangGraph(_LangGraphAPI):
    """``store.langgraph_store(index=...)``, our LangGraph ``BaseStore`` (same tables)."""

    def __init__(self, store: Any, corpus: Corpus, *, vectors: bool, name: str) -> None:
        super().__init__()
        self.name = name
        index = {"dims": corpus.dims, "embed": LookupEmbedder(corpus), "fields": ["text"]}
        self.store = store.langgraph_store(index=index if vectors else None)
        self.unsupported = {
            TEXT: NO_FULL_TEXT,
            MANY_TEXT: NO_FULL_TEXT,
            **(dict.fromkeys(VECTOR_OPERATIONS, NO_PGVECTOR) if not vectors else {}),
        }

    seeding = "none: it reads the items ours seeded (the same tables)"

    async def seed(self, items: Sequence[Item], corpus: Corpus) -> None:
        """Nothing: it reads the items ours seeded (one namespace scheme, one table)."""


# -- locus-sdk's stores -------------------------------------------------------------------
class LocusInMemory(Contender):
    seeding = "its put_batch"
    name = "InMemoryStore (locus)"

    def __init__(self) -> None:
        super().__init__()
        from locus.memory.store import InMemoryStore

        self.store = InMemoryStore()
        reason = "no vector search (semantic_search=False; put_with_embedding raises)"
        self.unsupported = dict.fromkeys(VECTOR_OPERATIONS, reason)

    async def seed(self, items: Sequence[Item], corpus: Corpus) -> None:
        await self.store.put_batch([(i.namespace, i.key, i.value, None) for i in items])

    async def put(self, namespace: tuple[str, ...], key: str, value: dict[str, Any]) -> None:
        await self.store.put(namespace, key, value)

    async def get(self, namespace: tuple[str, ...], key: str) -> Any:
        return await self.store.get(namespace, key)

    async def text_search(self, namespace: tuple[str, ...], query: str) -> list[str]:
        return [i.key for i in await self.store.search(namespace, query=query, limit=10)]

    async def search_many_text(
        self, namespaces: Sequence[tuple[str, ...]], query: str
    ) -> list[list[str]]:
        found = await self.store.search_many(namespaces, query=query, limit=10)
        return [[i.key for i in hits] for hits in found]

    async def put_batch(self, items: Sequence[Triple]) -> None:
        await self.store.put_batch([(ns, k, v, None) for ns, k, v in items])


class Holographic(Contender):
    seeding = "executemany (sqlite3) into its tables"
    name = "HolographicStore"

    def __init__(self, path: Path) -> None:
        super().__init__()
        from locus.memory.store_backends.holographic import HolographicStore

        self.path = path
        self.store = HolographicStore(str(path))
        reason = "takes no embeddings (its HRR recall hashes tokens, and needs numpy)"
        self.unsupported = dict.fromkeys(VECTOR_OPERATIONS, reason)

    async def seed(self, items: Sequence[Item], corpus: Corpus) -> None:
        """The rows its ``put`` writes (no HRR vector: numpy is not installed)."""
        from locus.memory.store_backends.holographic import _NS_SEP, _content_of

        now = dt.datetime.now(dt.UTC).isoformat()
        conn = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        try:
            conn.execute("BEGIN")
            rows = [
                (
                    _NS_SEP.join(i.namespace),
                    i.key,
                    json.dumps(i.value),
                    "{}",
                    now,
                    now,
                    1,
                    _content_of(i.value),
                    None,
                )
                for i in items
            ]
            conn.executemany("INSERT INTO items VALUES (?,?,?,?,?,?,?,?,?)", rows)
            conn.executemany(
                "INSERT INTO items_fts (ns, key, content) VALUES (?,?,?)",
                [(r[0], r[1], r[7]) for r in rows],
            )
            conn.execute("COMMIT")
        finally:
            conn.close()

    async def close(self) -> None:
        await self.store.close()

    async def put(self, namespace: tuple[str, ...], key: str, value: dict[str, Any]) -> None:
        await self.store.put(namespace, key, value)

    async def get(self, namespace: tuple[str, ...], key: str) -> Any:
        return await self.store.get(namespace, key)

    async def text_search(self, namespace: tuple[str, ...], query: str) -> list[str]:
        return [i.key for i in await self.store.search(namespace, query=query, limit=10)]

    async def search_many_text(
        self, namespaces: Sequence[tuple[str, ...]], query: str
    ) -> list[list[str]]:
        found = await self.store.search_many(namespaces, query=query, limit=10)
        return [[i.key for i in hits] for hits in found]

    async def put_batch(self, items: Sequence[Triple]) -> None:
        await self.store.put_batch([(ns, k, v, None) for ns, k, v in items])


class PgMemoryContender(Contender):
    """Two ``PgMemory``: without an embedder (text) and with one (vectors), own tables."""

    name = "PgMemory"
    seeding = "COPY (asyncpg) into its two tables, HNSW index built after"

    def __init__(self, dsn: str | None, prefix: str, corpus: Corpus) -> None:
        super().__init__()
        self.dsn = dsn
        self.prefix = prefix
        self.corpus = corpus
        self.plain: Any = None
        self.embedded: Any = None
        if dsn is None:
            self.unsupported = dict.fromkeys(OPERATIONS, NO_PGVECTOR + " (CREATE EXTENSION vector)")

    @property
    def tables(self) -> tuple[str, str]:
        return f"{self.prefix}_pgmemory", f"{self.prefix}_pgmemory_vec"

    async def open(self) -> None:
        if self.dsn is None:
            return
        from locus.memory.store_backends.postgresql import PgMemory

        plain_table, vector_table = self.tables
        with warnings.catch_warnings():  # "numpy is not installed ...": said in the docs
            warnings.simplefilter("ignore", RuntimeWarning)
            self.plain = PgMemory(self.dsn, table=plain_table)
        self.embedded = PgMemory(
            self.dsn, table=vector_table, embedder=LookupEmbedder(self.corpus).locus()
        )
        for store in (self.plain, self.embedded):
            await store.list_keys(("bench",))  # its schema, on first use

    async def close(self) -> None:
        if self.dsn is None:
            return
        for store in (self.plain, self.embedded):
            if store is not None:
                await store.close()
        conn = await asyncpg.connect(self.dsn)
        try:
            await conn.execute("DROP TABLE IF EXISTS " + ", ".join(self.tables))
        finally:
            await conn.close()

    async def seed(self, items: Sequence[Item], corpus: Corpus) -> None:
        assert self.dsn is not None
        from locus.memory.store_backends.postgresql import _content_for

        columns = ("tenant", "ns", "key", "value", "metadata", "content", "embedding")

        def rows(vectors: bool) -> Iterable[Sequence[Any]]:
            for i in items:
                yield (
                    i.namespace[0],
                    "\x1f".join(i.namespace),
                    i.key,
                    json.dumps(i.value),
                    "{}",
                    _content_for(i.value),
                    corpus.vectors[i.vector] if vectors else None,
                )

        plain_table, vector_table = self.tables
        await copy_into(self.dsn, plain_table, columns, rows(False))
        await copy_into(self.dsn, vector_table, columns, rows(True))

    async def put(self, namespace: tuple[str, ...], key: str, value: dict[str, Any]) -> None:
        await self.plain.put(namespace, key, value)

    async def put_vector(
        self, namespace: tuple[str, ...], key: str, value: dict[str, Any], vector: int
    ) -> None:
        await self.embedded.put(namespace, key, value)  # its embedder embeds the content

    async def get(self, namespace: tuple[str, ...], key: str) -> Any:
        return await self.plain.get(namespace, key)

    async def text_search(self, namespace: tuple[str, ...], query: str) -> list[str]:
        return [i.key for i in await self.plain.search(namespace, query=query, limit=10)]

    async def vector_top10(self, namespace: tuple[str, ...], query: int) -> list[str]:
        found = await self.embedded.search(namespace, query=query_text(query), limit=10)
        return [i.key for i in found]

    async def search_many_text(
        self, namespaces: Sequence[tuple[str, ...]], query: str
    ) -> list[list[str]]:
        found = await self.plain.search_many(namespaces, query=query, limit=10)
        return [[i.key for i in hits] for hits in found]

    async def search_many_vector(
        self, namespaces: Sequence[tuple[str, ...]], query: int
    ) -> list[list[str]]:
        found = await self.embedded.search_many(namespaces, query=query_text(query), limit=10)
        return [[i.key for i in hits] for hits in found]

    async def put_batch(self, items: Sequence[Triple]) -> None:
        await self.plain.put_batch([(ns, k, v, None) for ns, k, v in items])


# -- LangGraph's stores -------------------------------------------------------------------
class LangGraphInMemory(_LangGraphAPI):
    seeding = "into its dicts"
    name = "InMemoryStore (LangGraph)"

    def __init__(self, corpus: Corpus) -> None:
        super().__init__()
        from langgraph.store.memory import InMemoryStore

        self.store = InMemoryStore(
            index={"dims": corpus.dims, "embed": LookupEmbedder(corpus), "fields": ["text"]}
        )
        self.unsupported = {TEXT: NO_FULL_TEXT, MANY_TEXT: NO_FULL_TEXT}

    async def seed(self, items: Sequence[Item], corpus: Corpus) -> None:
        """Straight into its dictionaries (what ``put`` leaves there), vectors shared."""
        from langgraph.store.base import Item as StoreItem

        data = self.store._data  # noqa: SLF001
        vectors = self.store._vectors  # noqa: SLF001
        now = _now()
        for i in items:
            data[i.namespace][i.key] = StoreItem(
                value=dict(i.value),
                key=i.key,
                namespace=i.namespace,
                created_at=now,
                updated_at=now,
            )
            vectors[i.namespace][i.key]["text"] = corpus.vectors[i.vector]


class LangGraphPostgres(_LangGraphAPI):
    seeding = "COPY (asyncpg) into its tables, HNSW index built after"
    name = "AsyncPostgresStore (LangGraph)"

    def __init__(self, dsn: str, schema: str, corpus: Corpus, *, vectors: bool) -> None:
        super().__init__()
        self.dsn = dsn
        self.schema = schema
        self.vectors = vectors
        self.corpus = corpus
        self.pool: Any = None
        if not vectors:
            self.seeding = "COPY (asyncpg) into its table"
        self.unsupported = {
            TEXT: NO_FULL_TEXT,
            MANY_TEXT: NO_FULL_TEXT,
            **(dict.fromkeys(VECTOR_OPERATIONS, NO_PGVECTOR) if not vectors else {}),
        }

    async def open(self) -> None:
        import psycopg
        from langgraph.store.postgres.aio import AsyncPostgresStore
        from psycopg.rows import dict_row
        from psycopg_pool import AsyncConnectionPool

        async with await psycopg.AsyncConnection.connect(self.dsn, autocommit=True) as admin:
            await admin.execute(f'CREATE SCHEMA "{self.schema}"')
        self.pool = AsyncConnectionPool(
            self.dsn,
            min_size=1,
            max_size=4,
            open=False,
            kwargs={
                "autocommit": True,
                "prepare_threshold": 0,
                "row_factory": dict_row,
                "options": f"-c search_path={self.schema},public",
            },
        )
        await self.pool.open(wait=True)
        index: Any = None
        if self.vectors:
            index = {
                "dims": self.corpus.dims,
                "embed": LookupEmbedder(self.corpus),
                "fields": ["text"],
                "ann_index_config": {"kind": "hnsw"},
                "distance_type": "cosine",
            }
        self.store = AsyncPostgresStore(self.pool, index=index)
        await self.store.setup()

    async def close(self) -> None:
        import psycopg

        if self.pool is not None:
            await self.pool.close()
        async with await psycopg.AsyncConnection.connect(self.dsn, autocommit=True) as admin:
            await admin.execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')

    async def seed(self, items: Sequence[Item], corpus: Corpus) -> None:
        now = _now()
        await copy_into(
            self.dsn,
            "store",
            ("prefix", "key", "value", "created_at", "updated_at"),
            ((".".join(i.namespace), i.key, json.dumps(i.value), now, now) for i in items),
            schema=self.schema,
        )
        if self.vectors:
            await copy_into(
                self.dsn,
                "store_vectors",
                ("prefix", "key", "field_name", "embedding", "created_at", "updated_at"),
                (
                    (".".join(i.namespace), i.key, "text", corpus.vectors[i.vector], now, now)
                    for i in items
                ),
                schema=self.schema,
            )
