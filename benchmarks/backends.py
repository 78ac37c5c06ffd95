"""One backend under test: our store, the raw-driver floor and the peers, on one database.

Everything lives under a dedicated table prefix that :meth:`Bench.teardown`
migrates down to nothing; bulk seeding goes through the raw driver (a
benchmark's set-up, not its subject).
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import orjson
from locus.core.state import AgentState

from benchmarks.floor import NS, PostgresFloor, SQLiteFloor, _sqlite_time, dumps
from benchmarks.payloads import VOCABULARY, agent_state
from benchmarks.peers import Peers, file_peers, postgres_peers
from locus_store import Store

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"

#: Bulk inserts of the set-up, ``{p}`` standing for the table prefix.
SEEDING = {
    "threads_postgresql": (
        "INSERT INTO {p}_threads (thread_id, checkpoint_id, state, metadata, search_text, "
        "created_at, updated_at) VALUES ($1, $2, $3, NULL, $4, $5, $5)"
    ),
    "threads_sqlite": (
        "INSERT INTO {p}_threads (thread_id, checkpoint_id, state, metadata, search_text, "
        "created_at, updated_at) VALUES (?, ?, ?, NULL, ?, ?, ?)"
    ),
    "lineage_postgresql": (
        "INSERT INTO {p}_checkpoints (thread_id, checkpoint_ns, checkpoint_id, seq, "
        "parent_checkpoint_id, checkpoint, metadata, created_at) "
        "SELECT $1, $2, 'c' || g, g, CASE WHEN g > 1 THEN 'c' || (g - 1) END, $3::jsonb, "
        "'{}'::jsonb, $4::timestamptz + g * interval '1 second' "
        "FROM generate_series(1, $5::int) AS g"
    ),
    "lineage_sqlite": (
        "INSERT INTO {p}_checkpoints (thread_id, checkpoint_ns, checkpoint_id, seq, "
        "parent_checkpoint_id, checkpoint, metadata, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
    ),
    # VACUUM as well on PostgreSQL: autovacuum would otherwise start on the freshly
    # inserted rows in the middle of the measurement (a burst on one side only).
    "analyze_postgresql": "VACUUM (ANALYZE) {p}_checkpoints",
    "analyze_sqlite": "ANALYZE {p}_checkpoints",
}


def new_prefix() -> str:
    return f"locusbench_{uuid.uuid4().hex[:6]}"


@dataclass
class Bench:
    """Our store, the floor and the peers of one backend."""

    name: str
    store: Store
    floor: PostgresFloor | SQLiteFloor
    peers: Peers
    driver: str
    #: The same store with ``durability="normal"`` (commits not synced to disk).
    relaxed: Store | None = None
    version: str = ""
    workdir: Path | None = None

    @property
    def prefix(self) -> str:
        return self.store.table_prefix

    async def setup(self) -> None:
        await self.store.upgrade()
        await self.floor.open()
        self.version = await self._server_version()

    async def teardown(self) -> None:
        await self.floor.close()
        await self.peers.drop()
        try:
            await self.store.downgrade("base")
            await self._drop_version_table()
        finally:
            await self.store.close()
            if self.relaxed is not None:
                await self.relaxed.close()
            if self.workdir is not None:
                shutil.rmtree(self.workdir, ignore_errors=True)

    async def _drop_version_table(self) -> None:
        version_table = self.store.schema.version_table
        if isinstance(self.floor, PostgresFloor):
            conn = await asyncpg.connect(self.floor.dsn)
            try:
                await conn.execute("DROP TABLE IF EXISTS " + version_table)
            finally:
                await conn.close()

    async def _server_version(self) -> str:
        if isinstance(self.floor, PostgresFloor):
            return str(await self.floor.conn.fetchval("SHOW server_version"))
        rows = await self.floor.conn.execute_fetchall("SELECT sqlite_version()")
        return str(next(iter(rows))[0])

    # -- bulk seeding through the raw driver ---------------------------------------------
    async def insert_threads(self, rows: list[tuple[str, str, str, dt.datetime]]) -> None:
        """Rows of the single-row table: (thread_id, state JSON, search text, updated_at)."""
        if isinstance(self.floor, PostgresFloor):
            args = [(t, uuid.uuid4().hex, s, text, at) for t, s, text, at in rows]
            async with self.floor.conn.transaction():
                await self.floor.conn.executemany(self._sql("threads_postgresql"), args)
            return
        args_sqlite = [
            (t, uuid.uuid4().hex, s, text, _sqlite_time(at), _sqlite_time(at))
            for t, s, text, at in rows
        ]
        await self._sqlite_batch(self._sql("threads_sqlite"), args_sqlite)

    async def insert_lineage(self, thread_id: str, count: int, document: dict[str, Any]) -> None:
        """``count`` checkpoints of one thread, ``c1`` (oldest) to ``c<count>``, one statement."""
        doc = dumps(document)
        start = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=count)
        if isinstance(self.floor, PostgresFloor):
            conn = self.floor.conn
            await conn.execute(self._sql("lineage_postgresql"), thread_id, NS, doc, start, count)
            await conn.execute(self._sql("analyze_postgresql"))
            return
        rows = [
            (
                thread_id,
                NS,
                f"c{g}",
                g,
                f"c{g - 1}" if g > 1 else None,
                doc,
                "{}",
                _sqlite_time(start + dt.timedelta(seconds=g)),
            )
            for g in range(1, count + 1)
        ]
        await self._sqlite_batch(self._sql("lineage_sqlite"), rows)
        await self.floor.conn.execute(self._sql("analyze_sqlite"))

    def _sql(self, name: str) -> str:
        return SEEDING[name].replace("{p}", self.prefix)

    async def _sqlite_batch(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        assert isinstance(self.floor, SQLiteFloor)
        conn = self.floor.conn
        await conn.execute("BEGIN")
        try:
            await conn.executemany(sql, rows)
        except BaseException:
            await conn.execute("ROLLBACK")
            raise
        await conn.execute("COMMIT")


def postgres_bench(url: str, prefix: str) -> Bench:
    store = Store.from_url(url, table_prefix=prefix)
    return Bench(
        name="postgresql",
        store=store,
        relaxed=Store.from_url(url, table_prefix=prefix, durability="normal"),
        floor=PostgresFloor(url, prefix),
        peers=postgres_peers(url, prefix),
        driver="asyncpg",
    )


def sqlite_bench(path: Path | None, prefix: str) -> Bench:
    workdir = Path(tempfile.mkdtemp(prefix="locusbench-"))
    db = path if path is not None else workdir / "bench.sqlite3"
    store = Store.from_url(f"sqlite:///{db}", table_prefix=prefix)
    return Bench(
        name="sqlite",
        store=store,
        relaxed=Store.from_url(f"sqlite:///{db}", table_prefix=prefix, durability="normal"),
        floor=SQLiteFloor(str(db), prefix),
        peers=file_peers(workdir / "file-checkpointer"),
        driver="aiosqlite",
        workdir=workdir,
    )


def search_corpus(
    count: int, *, seed: int = 3
) -> tuple[list[tuple[str, str, str, dt.datetime]], str]:
    """``count`` thread rows for search, and a query matching a handful of them.

    Every thread is a 4 KB conversation whose messages are re-worded per thread,
    and each mentions a few product codes out of ``count // 2``, so a code names
    a handful of threads while the common words name them all.
    """
    rng = random.Random(seed)
    base = agent_state(4 * 1024).to_checkpoint()
    now = dt.datetime.now(dt.UTC)
    codes = max(2, count // 2)
    rows = []
    for i in range(count):
        document = dict(base)
        messages = []
        for message in base["messages"]:
            content = message.get("content")
            if content:
                words = [rng.choice(VOCABULARY) for _ in range(len(content.split()))]
                words[rng.randrange(len(words))] = f"sku{rng.randrange(codes)}"
                content = " ".join(words)
            messages.append({**message, "content": content})
        document["messages"] = messages
        text = "\n".join(m["content"] for m in messages if m.get("content"))
        stamp = now - dt.timedelta(seconds=count - i)
        rows.append((f"search-{i}", orjson.dumps(document).decode(), text, stamp))
    return rows, "refund sku7"


def vacuum_rows(count: int, batch: int) -> list[tuple[str, str, str, dt.datetime]]:
    """``count`` threads last saved 60 days ago (vacuum with a 30-day window removes them)."""
    state = agent_state(4 * 1024, seed=batch)
    document = state.to_checkpoint()
    text = "\n".join(m["content"] for m in document["messages"] if m.get("content"))
    old = dt.datetime.now(dt.UTC) - dt.timedelta(days=60)
    state_json = orjson.dumps(document).decode()
    return [(f"old-{batch}-{i}", state_json, text, old) for i in range(count)]


def small_state_document() -> dict[str, Any]:
    """A short but complete ``AgentState`` document, for long seeded histories."""
    from locus.core.messages import Message

    state = AgentState(agent_id="history", messages=(Message.user("hello"),))
    document: dict[str, Any] = state.to_checkpoint()
    return document
