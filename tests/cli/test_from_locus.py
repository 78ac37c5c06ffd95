"""``locus-store import-locus``: conversations written by locus-sdk's own backends, imported.

The key/value tables are written by locus-sdk's ``postgresql_checkpointer`` itself (a
real ``Agent`` and direct saves) on the PostgreSQL server. ``OracleCheckpointSaver``
needs an Oracle server; here its own ``put``/``put_writes`` run their SQL through a
small stand-in for the oracledb pool, into tables with the same columns on SQLite
and PostgreSQL (``CLOB`` as ``TEXT``, ``VARCHAR2`` as ``VARCHAR``).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import sqlalchemy as sa
from locus.agent import Agent
from locus.memory.backends.adapters import StorageBackendAdapter, postgresql_checkpointer
from locus.memory.backends.oracle_versioned import OracleCheckpointSaver
from locus.testing import ScriptedModel, text

from locus_store import Store
from locus_store.cli.app import Exit
from locus_store.ops.from_locus import group_keys
from tests.support.backends import DEFAULT_POSTGRES_URL, POSTGRES_URL_ENV
from tests.support.cli import Cli, on, require_ddl
from tests.support.states import conversation

pytestmark = pytest.mark.usefixtures("store")


def _postgres_dsn() -> str:
    import os

    return os.environ.get(POSTGRES_URL_ENV, DEFAULT_POSTGRES_URL)


@pytest.fixture
async def locus_kv() -> AsyncIterator[tuple[StorageBackendAdapter, str]]:
    """locus-sdk's PostgreSQL checkpointer on a fresh table of the PostgreSQL server."""
    table = f"locus_kv_{uuid.uuid4().hex[:8]}"
    checkpointer = postgresql_checkpointer(dsn=_postgres_dsn(), table_name=table)
    try:
        yield checkpointer, table
    finally:
        await checkpointer.close()
        await _raw("DROP TABLE IF EXISTS {table}", table)


async def _run_agent(checkpointer: StorageBackendAdapter) -> None:
    model = ScriptedModel(
        [text("Your parcel is in Lisbon."), text("It arrives on Tuesday."), text("Bonjour!")]
    )
    agent = Agent(model=model, checkpointer=checkpointer, reflexion=False, grounding=False)
    await agent.arun("Where is order A17?", thread_id="parcel")
    await agent.arun("When does it arrive?", thread_id="parcel")
    await agent.arun("Salut", thread_id="greeting:fr")


async def _raw(template: str, table: str, **params: Any) -> Any:
    """Run ``template`` with ``{table}`` naming the (generated) key/value table."""
    store = Store.from_url(_postgres_dsn())
    statement = sa.text(template.replace("{table}", table))
    try:
        return await store.run(lambda c: c.execute(statement, params))
    finally:
        await store.close()


async def _assert_same_conversation(
    store: Store, source: StorageBackendAdapter, thread: str
) -> None:
    assert await store.latest().load(thread) == await source.load(thread)
    ids = list(reversed(await source.list_checkpoints(thread, limit=100)))
    versions = store.versioned()
    lineage = list(reversed(await versions.list_checkpoints(thread_id=thread, limit=100)))
    assert [v["checkpoint_id"] for v in lineage] == ids
    assert [v["parent_checkpoint_id"] for v in lineage] == [None, *ids[:-1]]
    as_checkpointer = versions.as_checkpointer()
    for cid in ids:
        assert await as_checkpointer.load(thread, cid) == await source.load(thread, cid)


async def test_conversations_of_locus_postgresql_checkpointer_are_imported(
    store: Store, cli: Cli, locus_kv: tuple[StorageBackendAdapter, str]
) -> None:
    source, table = locus_kv
    await _run_agent(source)
    await source.save(conversation("tagged"), "tagged", metadata={"tier": "gold"})

    args = ["--from-url", _postgres_dsn()]
    result = cli("import-locus", "--kv-table", table, "--json", *args, *on(store))
    assert result.code == Exit.OK, result.err
    [report] = result.json()
    assert report["threads"] == 3
    assert report["problems"] == []
    assert report["missing_checkpoints"] == 0

    for thread in ("parcel", "greeting:fr", "tagged"):
        await _assert_same_conversation(store, source, thread)
    record = await store.latest().get_metadata("tagged")
    assert record is not None
    assert record["metadata"] == {"tier": "gold"}
    newest = await store.versioned().get(thread_id="tagged")
    assert newest is not None
    assert newest["metadata"] == {"tier": "gold"}

    again = cli("import-locus", "--kv-table", table, *args, *on(store))
    assert again.code == Exit.CONFLICT
    assert "--on-conflict skip" in again.err
    skipped = cli(
        "import-locus", "--kv-table", table, "--on-conflict", "skip", "--json", *args, *on(store)
    )
    assert sorted(skipped.json()[0]["skipped"]) == ["greeting:fr", "parcel", "tagged"]


async def test_lost_index_entries_and_vacuumed_rows_are_reported(
    store: Store, cli: Cli, locus_kv: tuple[StorageBackendAdapter, str], backend: str
) -> None:
    if backend != "postgresql":
        pytest.skip("the source is the PostgreSQL server; one target is enough")
    source, table = locus_kv
    for n in range(3):
        await source.save(conversation(f"turn {n}"), "t", checkpoint_id=f"c{n}")
    # Another process's save dropped c1 from the index; vacuum removed c0's row.
    index = {"checkpoints": [e for e in await _index(table, "t") if e["checkpoint_id"] != "c1"]}
    await _raw(
        "UPDATE {table} SET data = CAST(:data AS JSONB) WHERE thread_id = 't:_checkpoints'",
        table,
        data=json.dumps(index),
    )
    await _raw("DELETE FROM {table} WHERE thread_id = 't:c0'", table)

    [report] = cli("import-locus", "--kv-table", table, "--json", *on(store)).json()
    assert report["missing_checkpoints"] == 1
    assert report["unindexed_checkpoints"] == 1
    lineage = await store.versioned().list_checkpoints(thread_id="t")
    assert [c["checkpoint_id"] for c in lineage] == ["c2", "c1"]


async def _index(table: str, thread: str) -> list[dict[str, Any]]:
    query = "SELECT data FROM {table} WHERE thread_id = :key"
    data = (await _raw(query, table, key=f"{thread}:_checkpoints")).scalar_one()
    entries: list[dict[str, Any]] = (json.loads(data) if isinstance(data, str) else data)[
        "checkpoints"
    ]
    return entries


async def test_a_row_keyed_by_a_bare_thread_id_is_a_conversation(
    store: Store, cli: Cli, locus_kv: tuple[StorageBackendAdapter, str], backend: str
) -> None:
    if backend != "postgresql":
        pytest.skip("the source is the PostgreSQL server; one target is enough")
    source, table = locus_kv
    await source.save(conversation("make the table"), "other")
    state = conversation("saved by OracleBackend used on its own")
    await _raw(
        "INSERT INTO {table} (thread_id, checkpoint_id, data, metadata)"
        " VALUES ('solo', 'only', CAST(:data AS JSONB), CAST('{}' AS JSONB))",
        table,
        data=json.dumps(state.to_checkpoint()),
    )
    result = cli("import-locus", "--kv-table", table, "--into", "latest", *on(store))
    assert result.code == Exit.OK, result.err
    assert await store.latest().load("solo") == state
    assert await store.versioned().get(thread_id="solo") is None


def test_keys_are_grouped_by_conversation_even_when_thread_ids_hold_colons() -> None:
    keys = [
        "a:latest",
        "a:_checkpoints",
        "a:c1",
        "a:b:latest",
        "a:b:c2",
        "lost:c3",
        "bare",
    ]
    assert group_keys(keys) == {
        "a": ["a:latest", "a:_checkpoints", "a:c1"],
        "a:b": ["a:b:latest", "a:b:c2"],
        "lost": ["lost:c3"],
        "bare": ["bare"],
    }


# -- OracleCheckpointSaver's tables ---------------------------------------------------------------
class _Cursor:
    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self.rowcount = 0
        self._rows: list[tuple[Any, ...]] = []

    async def __aenter__(self) -> _Cursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    def setinputsizes(self, **sizes: Any) -> None:
        return None

    async def execute(self, statement: str, params: dict[str, Any] | None = None) -> None:
        result = await self._conn.execute(sa.text(statement), params or {})
        self.rowcount = result.rowcount
        self._rows = [tuple(row) for row in result] if result.returns_rows else []

    async def fetchone(self) -> tuple[Any, ...] | None:
        return self._rows.pop(0) if self._rows else None

    async def fetchall(self) -> list[tuple[Any, ...]]:
        rows, self._rows = self._rows, []
        return rows


class _Acquired:
    def __init__(self, engine: Any) -> None:
        self._engine = engine

    async def __aenter__(self) -> Any:
        self._conn = await self._engine.connect()
        conn = self._conn

        class Connection:
            def cursor(self) -> _Cursor:
                return _Cursor(conn)

            async def commit(self) -> None:
                await conn.commit()

        return Connection()

    async def __aexit__(self, *exc: object) -> None:
        await self._conn.close()


class SqlAlchemyPool:
    """Enough of an oracledb pool for OracleCheckpointSaver, over a SQLAlchemy engine."""

    def __init__(self, engine: Any) -> None:
        self._engine = engine

    def acquire(self) -> _Acquired:
        return _Acquired(self._engine)


def _saver_ddl(name: str) -> list[str]:
    """OracleCheckpointSaver's two tables with the same columns, in portable types."""
    return [
        f"""CREATE TABLE {name}_checkpoints (
            thread_id VARCHAR(255) NOT NULL,
            checkpoint_ns VARCHAR(255) DEFAULT 'default' NOT NULL,
            checkpoint_id VARCHAR(255) NOT NULL,
            parent_checkpoint_id VARCHAR(255),
            checkpoint_data TEXT,
            metadata TEXT DEFAULT '{{}}',
            created_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP,
            PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id))""",
        f"""CREATE TABLE {name}_writes (
            thread_id VARCHAR(255) NOT NULL,
            checkpoint_ns VARCHAR(255) DEFAULT 'default' NOT NULL,
            checkpoint_id VARCHAR(255) NOT NULL,
            task_id VARCHAR(255) NOT NULL,
            idx INTEGER NOT NULL,
            channel VARCHAR(255) NOT NULL,
            value TEXT,
            PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id, task_id, idx))""",
    ]


@pytest.fixture
async def oracle_saver(
    store: Store, backend: str
) -> AsyncIterator[tuple[OracleCheckpointSaver, str]]:
    """OracleCheckpointSaver writing into equivalent tables next to the store's."""
    require_ddl(backend)
    name = f"ocs_{uuid.uuid4().hex[:8]}"

    async def create(conn: Any) -> None:
        for statement in _saver_ddl(name):
            await conn.execute(sa.text(statement))

    await store.run(create, atomic=True)
    saver = OracleCheckpointSaver(table_name=name, auto_create_table=False)
    # Duck-typed: the saver only acquires connections from its pool.
    saver._pool = SqlAlchemyPool(store.engine)  # type: ignore[assignment]
    saver._pool_loop = asyncio.get_running_loop()
    try:
        yield saver, name
    finally:

        async def drop(conn: Any) -> None:
            for suffix in ("checkpoints", "writes"):
                await conn.execute(sa.text(f"DROP TABLE {name}_{suffix}"))

        await store.run(drop, atomic=True)


async def test_oracle_checkpoint_saver_tables_are_imported(
    store: Store, cli: Cli, oracle_saver: tuple[OracleCheckpointSaver, str]
) -> None:
    saver, name = oracle_saver
    # Ids out of alphabetical order, saved within one second: parents decide the order.
    await saver.put(thread_id="t1", checkpoint_id="c", checkpoint_data={"step": 1})
    await saver.put(
        thread_id="t1",
        checkpoint_id="b",
        checkpoint_data={"step": 2, "values": {"x": [1, 2]}},
        parent_checkpoint_id="c",
        metadata={"source": "loop"},
    )
    await saver.put(
        thread_id="t1", checkpoint_id="a", checkpoint_data={"step": 3}, parent_checkpoint_id="b"
    )
    await saver.put(
        thread_id="t1", checkpoint_id="s1", checkpoint_data={"sub": 1}, checkpoint_ns="child"
    )
    await saver.put_writes(
        thread_id="t1",
        checkpoint_id="a",
        task_id="node",
        writes=[("answer", "forty-two"), ("payload", {"k": None}), ("n", 7)],
    )
    await saver.put(thread_id="t2", checkpoint_id="only", checkpoint_data={"alone": True})

    result = cli("import-locus", "--saver-table", name, "--json", *on(store))
    assert result.code == Exit.OK, result.err
    [report] = result.json()
    assert (report["threads"], report["checkpoints"], report["writes"]) == (2, 5, 3)

    versions = store.versioned()
    lineage = await versions.list_checkpoints(thread_id="t1")
    assert [(c["checkpoint_id"], c["parent_checkpoint_id"]) for c in lineage] == [
        ("a", "b"),
        ("b", "c"),
        ("c", None),
    ]
    for ours in lineage:
        theirs = await saver.get(thread_id="t1", checkpoint_id=ours["checkpoint_id"])
        assert theirs is not None
        assert ours["checkpoint"] == theirs["checkpoint"]
        assert ours["metadata"] == theirs["metadata"]
    child = await versions.get(thread_id="t1", checkpoint_ns="child")
    assert child is not None
    assert child["checkpoint"] == {"sub": 1}
    assert await versions.get_writes(thread_id="t1", checkpoint_id="a") == [
        {"task_id": "node", "idx": 0, "channel": "answer", "value": "forty-two"},
        {"task_id": "node", "idx": 1, "channel": "payload", "value": {"k": None}},
        {"task_id": "node", "idx": 2, "channel": "n", "value": 7},
    ]
    assert await saver.get_writes(thread_id="t1", checkpoint_id="a") == await versions.get_writes(
        thread_id="t1", checkpoint_id="a"
    )


async def test_a_state_locus_can_no_longer_read_is_reported_not_imported(
    store: Store, cli: Cli, locus_kv: tuple[StorageBackendAdapter, str], backend: str
) -> None:
    if backend != "postgresql":
        pytest.skip("the source is the PostgreSQL server; one target is enough")
    source, table = locus_kv
    await source.save(conversation("fine"), "good")
    await _raw(
        "INSERT INTO {table} (thread_id, checkpoint_id, data, metadata)"
        " VALUES ('broken:latest', 'x', CAST(:data AS JSONB), CAST('{}' AS JSONB))",
        table,
        data=json.dumps({"messages": "not a list", "_checkpoint_id": "x"}),
    )
    result = cli("import-locus", "--kv-table", table, *on(store))
    assert result.code == Exit.FAILED
    assert "imported 1 thread (" in result.out
    assert "not imported: broken:" in result.err
    assert await store.latest().load("good") is not None
    assert await store.latest().load("broken") is None
