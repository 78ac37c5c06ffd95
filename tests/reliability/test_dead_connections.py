"""Dead connections on PostgreSQL: the server-side session is killed with ``pg_terminate_backend``.

The same policy protects Oracle against Autonomous Database closing idle sessions:
a connection that died before COMMIT is replaced and the work runs once more; a
death during COMMIT is reported, never retried; nothing is applied twice.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg
import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.pool import QueuePool
from sqlalchemy.util import await_

from locus_store import ConnectionLostError, Store, StoreUnavailableError
from locus_store._engine.fast_path import StatementFailure
from tests.support.backends import Target
from tests.support.database import empty_tables


async def _terminate(target: Target, pid: int) -> None:
    """Kill backend ``pid`` from a second connection and wait until it is gone."""
    url = target.settings.url.set(drivername="postgresql").render_as_string(hide_password=False)
    killer = await asyncpg.connect(url)
    try:
        assert await killer.fetchval("SELECT pg_terminate_backend($1)", pid)
        for _ in range(200):
            if not await killer.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = $1", pid
            ):
                return
            await asyncio.sleep(0.01)
        raise AssertionError(f"backend {pid} is still alive")
    finally:
        await killer.close()


async def _pid(conn: AsyncConnection) -> int:
    return int(await conn.scalar(sa.text("SELECT pg_backend_pid()")) or 0)


def _row(store: Store, thread_id: str) -> sa.Insert:
    now = dt.datetime.now(dt.UTC)
    return store.schema.threads.insert().values(
        thread_id=thread_id, checkpoint_id="c1", state={"n": 1}, created_at=now, updated_at=now
    )


async def _threads(store: Store) -> list[str]:
    ids = await store.run(lambda c: c.scalars(sa.select(store.schema.threads.c.thread_id)))
    return sorted(ids)


@pytest.fixture
def target(migrated: dict[str, tuple[Target, str]]) -> Target:
    return migrated["postgresql"][0]


@pytest.fixture
async def make_store(
    migrated: dict[str, tuple[Target, str]],
) -> AsyncIterator[Callable[..., Store]]:
    """Stores on the migrated PostgreSQL schema, each with its own pool, emptied first."""
    target, prefix = migrated["postgresql"]
    stores: list[Store] = []

    def make(**options: Any) -> Store:
        store = Store.from_settings(target.settings, table_prefix=prefix, **options)
        stores.append(store)
        return store

    await empty_tables(make())
    yield make
    for store in stores:
        await store.close()


@pytest.fixture
def store(make_store: Callable[..., Store]) -> Store:
    return make_store()


async def test_idle_connection_killed_in_the_pool_is_replaced_before_use(
    make_store: Callable[..., Store], target: Target
) -> None:
    store = make_store(ping_after=0)
    pid = await store.run(_pid)
    await _terminate(target, pid)
    # retry=False: only the ping before use can have saved this call.
    new_pid = await store.run(_pid, retry=False)
    assert new_pid != pid


async def test_idle_connection_killed_is_retried_once_on_a_fresh_connection(
    store: Store, target: Target
) -> None:
    pid = await store.run(_pid)
    await _terminate(target, pid)
    calls: list[int] = []

    async def work(conn: AsyncConnection) -> int:
        calls.append(1)
        return await _pid(conn)

    assert await store.run(work) != pid
    assert len(calls) == 2


async def test_single_statement_without_retry_reports_connection_lost(
    store: Store, target: Target
) -> None:
    await _terminate(target, await store.run(_pid))
    with pytest.raises(ConnectionLostError, match="may or may not have been applied") as info:
        await store.run(lambda c: c.execute(_row(store, "t1")), retry=False)
    assert "127.0.0.1" in str(info.value)
    await store.run(lambda c: c.execute(_row(store, "t2")))
    assert await _threads(store) == ["t2"]


async def test_transaction_killed_before_commit_is_retried_and_applied_once(
    store: Store, target: Target
) -> None:
    attempts: list[int] = []

    async def save_two(conn: AsyncConnection) -> None:
        attempts.append(1)
        await conn.execute(_row(store, "a"))
        if len(attempts) == 1:
            await _terminate(target, await _pid(conn))
        await conn.execute(_row(store, "b"))

    await store.run(save_two, atomic=True)
    assert len(attempts) == 2
    assert await _threads(store) == ["a", "b"]


async def test_statement_killed_while_running_is_retried(store: Store, target: Target) -> None:
    attempts: list[int] = []

    async def slow(conn: AsyncConnection) -> int:
        attempts.append(1)
        if len(attempts) == 1:
            pid = await _pid(conn)
            killer = asyncio.create_task(_kill_soon(target, pid))
            try:
                await conn.execute(sa.text("SELECT pg_sleep(10)"))
            finally:
                await killer
        return 1

    assert await store.run(slow) == 1
    assert len(attempts) == 2


async def _kill_soon(target: Target, pid: int) -> None:
    await asyncio.sleep(0.2)
    await _terminate(target, pid)


async def test_transaction_killed_during_commit_raises_connection_lost_and_is_not_retried(
    store: Store, target: Target
) -> None:
    attempts: list[int] = []

    async def save(conn: AsyncConnection) -> None:
        attempts.append(1)
        pid = await _pid(conn)

        def kill_before_commit(_conn: sa.Connection) -> None:
            await_(_terminate(target, pid))

        event.listen(conn.sync_connection, "commit", kill_before_commit)
        await conn.execute(_row(store, "c"))

    with pytest.raises(ConnectionLostError, match="during COMMIT"):
        await store.run(save, atomic=True)
    assert len(attempts) == 1
    # PostgreSQL rolled the transaction back when the session died; the next call works.
    assert await _threads(store) == []
    await store.run(lambda c: c.execute(_row(store, "d")))
    assert await _threads(store) == ["d"]


async def test_transaction_killed_on_every_attempt_writes_nothing(
    store: Store, target: Target
) -> None:
    async def doomed(conn: AsyncConnection) -> None:
        await conn.execute(_row(store, "half"))
        await _terminate(target, await _pid(conn))
        await conn.execute(_row(store, "never"))

    with pytest.raises(StoreUnavailableError, match="rolled back"):
        await store.run(doomed, atomic=True)
    assert await _threads(store) == []
    await store.run(lambda c: c.execute(_row(store, "after")))
    assert await _threads(store) == ["after"]


async def test_single_statements_send_no_begin_commit_or_ping(store: Store) -> None:
    """The hot path: one statement, one round trip (the query logger sees no BEGIN/ping)."""
    sent: list[str] = []

    def log_queries(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.driver_connection.add_query_logger(lambda r: sent.append(r.query))

    fresh = Store(store.engine, table_prefix=store.table_prefix)
    event.listen(store.engine.sync_engine, "connect", log_queries)
    try:
        await store.engine.dispose()
        await fresh.run(lambda c: c.execute(sa.text("SELECT 1")))
        sent.clear()
        for _ in range(3):
            await fresh.run(lambda c: c.execute(sa.text("SELECT 1")))
        assert not [
            q for q in sent if q.strip(";").strip().upper() in {"", "BEGIN", "COMMIT", "ROLLBACK"}
        ]
        await fresh.run(lambda c: c.execute(sa.text("SELECT 1")), atomic=True)
        assert any(q.upper().startswith("BEGIN") for q in sent)
    finally:
        event.remove(store.engine.sync_engine, "connect", log_queries)
        await store.engine.dispose()


# -- the fast path of Store.execute ---------------------------------------------------------


def _fast_path_outcomes(store: Store, monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """From now on, what each of ``store``'s fast-path attempts returns (outcome or failure)."""
    assert store._fast is not None
    outcomes: list[object] = []
    run = store._fast.run

    def counted(*args: Any) -> Any:
        outcome = run(*args)
        outcomes.append(outcome)
        return outcome

    monkeypatch.setattr(store._fast, "run", counted)
    return outcomes


async def _backend_pid(store: Store, pid_of: sa.TextualSelect) -> int:
    """The server process id of the connection ``store`` reads ``pid_of`` on."""
    row = await store.fetch_one(pid_of)
    assert row is not None
    return int(row.pid)


async def test_fast_path_read_on_a_killed_connection_is_retried_once_on_a_fresh_one(
    store: Store, target: Target, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid_of = sa.text("SELECT pg_backend_pid() AS pid").columns(pid=sa.Integer())
    for _ in range(2):  # the second call is planned: from now on the fast path runs it
        pid = await _backend_pid(store, pid_of)
    assert store._fast is not None
    attempts = _fast_path_outcomes(store, monkeypatch)
    await _terminate(target, pid)
    new_pid = await _backend_pid(store, pid_of)
    assert new_pid != pid
    assert len(attempts) == 1
    assert isinstance(attempts[0], StatementFailure)
    assert attempts[0].dead
    pool = store.engine.sync_engine.pool
    assert isinstance(pool, QueuePool)  # the only pools that count what is checked out
    assert pool.checkedout() == 0


async def test_fast_path_then_a_dead_retry_is_connection_lost(
    store: Store, target: Target, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid_of = sa.text("SELECT pg_backend_pid() AS pid").columns(pid=sa.Integer())
    for _ in range(2):
        await store.fetch_one(pid_of)

    def killed_on_checkout(dbapi_connection: Any, *_: Any) -> None:
        driver = dbapi_connection.driver_connection
        await_(_terminate(target, driver.get_server_pid()))

    pool = store.engine.sync_engine.pool
    event.listen(pool, "checkout", killed_on_checkout)
    try:
        with pytest.raises(ConnectionLostError, match="may or may not have been applied"):
            await store.fetch_one(pid_of)
    finally:
        event.remove(pool, "checkout", killed_on_checkout)
    assert await _backend_pid(store, pid_of) > 0


async def test_fast_path_session_killed_right_after_a_save_loses_nothing(
    store: Store, target: Target, monkeypatch: pytest.MonkeyPatch
) -> None:
    from locus.core.messages import Message
    from locus.core.state import AgentState

    latest = store.latest()
    state = AgentState(agent_id="a", messages=(Message.user("parcel"),))
    for n in range(2):  # the statements are planned: the fast path runs what follows
        await latest.save(state, f"warm-{n}")
        await latest.load(f"warm-{n}")
    assert store._fast is not None
    real = store._fast._runner
    killed: list[int] = []

    async def kill_after(connection: Any, sql: str, arguments: Any, kind: Any) -> Any:
        outcome = await real(connection, sql, arguments, kind)
        if not killed:  # the statement is done (autocommit): now its session dies
            killed.append(connection.get_server_pid())
            await _terminate(target, killed[0])
        return outcome

    monkeypatch.setattr(store._fast, "_runner", kill_after)
    saved = await latest.save(state.with_message(Message.assistant("on its way")), "t1")
    assert killed  # it ran on the fast path, and its session was killed after it
    # The pooled connection is dead: the next call (on the fast path too) fails on it
    # and is retried on a fresh one.
    attempts = _fast_path_outcomes(store, monkeypatch)
    loaded = await latest.load("t1")
    assert loaded is not None
    assert len(loaded.messages) == 2
    assert len(attempts) == 1
    assert isinstance(attempts[0], StatementFailure)
    assert attempts[0].dead
    rows = await store.run(
        lambda c: c.execute(
            sa.select(store.schema.threads.c.checkpoint_id).where(
                store.schema.threads.c.thread_id == "t1"
            )
        )
    )
    assert [r.checkpoint_id for r in rows] == [saved]
