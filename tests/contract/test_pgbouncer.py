"""``prepared_statements=False``: the whole workload through a real PgBouncer in transaction mode.

PgBouncer (Debian's 1.18, started by ``scripts/pgbouncer.py``; ``./run test`` exports
its URL in ``LOCUS_TEST_PGBOUNCER_URL``) hands each transaction, and each statement
outside one, to whichever of its few server connections is free. More client tasks
run here than it has server connections, so statements of different clients
interleave on the same server connections. Without the URL the tests start PgBouncer
themselves; under CI (``CI=true``) a PgBouncer that cannot be reached fails them.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import sys
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import sqlalchemy as sa
from locus.core.messages import Message
from locus.core.state import AgentState
from sqlalchemy.ext.asyncio import AsyncConnection

from locus_store import ConfigurationError, Store, StoreUnavailableError
from locus_store.store import create_engine_for
from tests.support.backends import DEFAULT_POSTGRES_URL, POSTGRES_URL_ENV
from tests.support.database import unavailable
from tests.support.graphs import build

POSTGRES_URL = os.environ.get(POSTGRES_URL_ENV, DEFAULT_POSTGRES_URL)
SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "pgbouncer.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("pgbouncer_script", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


pgbouncer = _script()
#: Client tasks at once: three times PgBouncer's server connections.
TASKS = 3 * pgbouncer.SERVER_POOL_SIZE
ROUNDS = 4


@pytest.fixture(scope="module")
def bouncer_url() -> str:
    url = os.environ.get(pgbouncer.URL_ENV)
    if url:
        return url
    try:
        return str(pgbouncer.ensure(POSTGRES_URL))
    except Exception as exc:
        unavailable(f"no PgBouncer ({pgbouncer.URL_ENV} unset, and starting one failed: {exc})")


@pytest.fixture
async def prefix(bouncer_url: str) -> AsyncIterator[str]:
    """A fresh schema, migrated through PgBouncer (one transaction: one server connection)."""
    prefix = f"b{uuid.uuid4().hex[:10]}"
    owner = Store.from_url(bouncer_url, table_prefix=prefix, prepared_statements=False)
    try:
        await owner.upgrade()
        yield prefix
        await owner.downgrade()
    finally:
        await owner.close()


def in_call_order(saver: Any) -> Any:
    """``saver`` with each thread's ``aput``/``aput_writes`` run one at a time, in call order.

    LangGraph submits a step's writes while that step's checkpoint is still being
    written; the saver refuses writes for a checkpoint that is not there yet, so under
    load a run fails whatever the connection path (direct PostgreSQL too). Ordering
    them keeps this test about the pooler.
    """
    locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
    for name in ("aput", "aput_writes"):
        method = getattr(saver, name)

        async def ordered(config: Any, *args: Any, _method: Any = method, **kw: Any) -> Any:
            async with locks[config["configurable"]["thread_id"]]:
                return await _method(config, *args, **kw)

        setattr(saver, name, ordered)
    return saver


async def workload(store: Store, client: int, rounds: int) -> None:
    """Latest, versioned and LangGraph calls: save/load/search/list/delete, put/get/history
    with writes, an interrupted graph run and its resume."""
    from langgraph.types import Command

    latest, versioned = store.latest(), store.versioned()
    graph = build(in_call_order(store.langgraph_saver()))
    for round_ in range(rounds):
        thread = f"c{client}-r{round_}-{uuid.uuid4().hex[:6]}"
        state = AgentState(agent_id="agent").with_message(Message.user(f"pooled words {client}"))
        checkpoint = await latest.save(state, thread)
        loaded = await latest.load(thread)
        assert loaded is not None
        assert loaded.messages[0].content == f"pooled words {client}"
        assert await latest.list_checkpoints(thread) == [checkpoint]
        assert any(hit["thread_id"] == thread for hit in await latest.search("pooled", limit=500))

        await versioned.put(thread_id=thread, checkpoint_id="v1", checkpoint_data={"step": 1})
        await versioned.put(
            thread_id=thread,
            checkpoint_id="v2",
            parent_checkpoint_id="v1",
            checkpoint_data={"step": 2},
        )
        writes = [("messages", client), ("round", round_)]
        await versioned.put_writes(
            thread_id=thread, checkpoint_id="v2", task_id="task", writes=writes
        )
        got = await versioned.get(thread_id=thread)
        assert got is not None
        assert got["checkpoint_id"] == "v2"
        history = await versioned.list_checkpoints(thread_id=thread)
        assert [row["checkpoint_id"] for row in history] == ["v2", "v1"]
        stored = await versioned.get_writes(thread_id=thread, checkpoint_id="v2")
        assert [(w["channel"], w["value"]) for w in stored] == writes

        config: Any = {"configurable": {"thread_id": thread}}
        await graph.ainvoke({"topic": f"t{client}", "log": []}, config)
        out = await graph.ainvoke(Command(resume="approve"), config)
        assert out["log"] == ["write", "review:approve", f"publish:T{client}:approve"]

        await versioned.delete_thread(thread)
        assert await versioned.get(thread_id=thread) is None
        assert await latest.delete(thread)
        assert await latest.load(thread) is None


async def concurrently(store: Store, rounds: int) -> list[BaseException]:
    results = await asyncio.gather(
        *(workload(store, client, rounds) for client in range(TASKS)), return_exceptions=True
    )
    return [r for r in results if isinstance(r, BaseException)]


async def test_the_whole_workload_runs_behind_pgbouncer_without_prepared_statements(
    bouncer_url: str, prefix: str
) -> None:
    store = Store.from_url(bouncer_url, table_prefix=prefix, prepared_statements=False)
    fast = store._fast
    assert fast is not None, "the fast path stays on behind the pooler"
    calls = 0
    run = fast.run

    def counted(*args: Any) -> Any:
        nonlocal calls
        calls += 1
        return run(*args)

    fast.run = counted  # type: ignore[method-assign,assignment]
    try:
        errors = await concurrently(store, ROUNDS)
    finally:
        await store.close()
    assert errors == [], errors[:3]
    assert calls > TASKS * ROUNDS * 10  # the fast path's statements went through PgBouncer


async def test_with_prepared_statements_on_the_same_workload_fails_behind_pgbouncer(
    bouncer_url: str, prefix: str
) -> None:
    # The default: asyncpg's named statements, prepared on one server connection and
    # executed (or prepared again under the same name) on another.
    store = Store.from_url(bouncer_url, table_prefix=prefix)
    try:
        errors = await concurrently(store, ROUNDS)
    finally:
        await store.close()
    messages = [str(e) for e in errors]
    assert any("prepared statement" in m for m in messages), messages[:3]


async def test_a_transaction_keeps_one_server_connection_while_others_share_them(
    bouncer_url: str,
) -> None:
    store = Store.from_url(bouncer_url, prepared_statements=False)

    async def backends(conn: AsyncConnection) -> set[int]:
        pids = set()
        for _ in range(5):
            pids.add((await conn.execute(sa.text("SELECT pg_backend_pid()"))).scalar_one())
            await asyncio.sleep(0.005)  # let the other clients' statements in
        return pids

    async def outside() -> set[int]:
        rows = [await store.fetch_one(sa.text("SELECT pg_backend_pid()")) for _ in range(5)]
        return {row[0] for row in rows if row is not None}

    try:
        inside: list[Awaitable[set[int]]] = [store.run(backends, atomic=True) for _ in range(TASKS)]
        seen = await asyncio.gather(*inside, *(outside() for _ in range(TASKS)))
    finally:
        await store.close()
    assert all(len(pids) == 1 for pids in seen[:TASKS])
    assert len(set().union(*seen)) <= pgbouncer.SERVER_POOL_SIZE


async def test_durability_normal_is_refused_by_pgbouncer_at_connect(bouncer_url: str) -> None:
    # Its synchronous_commit travels in the start-up packet, which PgBouncer does not
    # pass on per client (docs/operations.md, "Behind a connection pooler").
    store = Store.from_url(bouncer_url, prepared_statements=False, durability="normal")
    try:
        with pytest.raises(StoreUnavailableError, match="synchronous_commit"):
            await store.fetch_one(sa.text("SELECT 1"))
    finally:
        await store.close()


# -- the option itself --------------------------------------------------------------


@pytest.mark.parametrize(("prepared_statements", "left"), [(True, True), (False, False)])
async def test_the_option_leaves_no_prepared_statement_on_the_server(
    prepared_statements: bool, left: bool
) -> None:
    # Directly on PostgreSQL, one pooled connection: what its session holds afterwards.
    store = Store.from_url(
        POSTGRES_URL, prepared_statements=prepared_statements, pool_size=1, max_overflow=0
    )
    count = sa.text("SELECT count(*) FROM pg_prepared_statements")
    try:
        for _ in range(3):  # the fast path takes a statement the second time it comes
            await store.fetch_one(count)
        row = await store.fetch_one(count)
    finally:
        await store.close()
    assert row is not None
    assert (row[0] > 0) is left


@pytest.mark.parametrize(
    "url", ["sqlite+aiosqlite:///:memory:", "oracle+oracledb://u:p@h/?service_name=s"]
)
def test_the_option_is_refused_where_there_are_no_server_side_prepared_statements(
    url: str,
) -> None:
    with pytest.raises(ConfigurationError, match="prepared_statements=False"):
        Store.from_url(url, prepared_statements=False)


@pytest.mark.parametrize(
    "bad",
    [
        {"connect_args": {"statement_cache_size": 100}},
        {"connect_args": {"prepared_statement_cache_size": 50}},
    ],
)
def test_the_option_refuses_connect_args_that_would_prepare_statements(
    bad: dict[str, Any],
) -> None:
    with pytest.raises(ConfigurationError, match="needs connect_args"):
        create_engine_for(POSTGRES_URL, prepared_statements=False, **bad)


def test_the_option_takes_only_a_boolean() -> None:
    with pytest.raises(ConfigurationError, match="True or False"):
        create_engine_for(POSTGRES_URL, prepared_statements="off")  # type: ignore[arg-type]
