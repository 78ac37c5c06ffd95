"""The fast path of ``Store.execute``: what it sends, counted by the driver, and when it yields.

``test_round_trips`` counts statements with SQLAlchemy's events, and an engine with
statement listeners runs every statement through ``Connection.execute``. Here
nothing listens to statements: the driver itself reports what went out (asyncpg's
query loggers; sqlite3's trace callback, installed on the SQLite thread), so the
count is of the path the store takes when nobody is watching.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import QueuePool
from sqlalchemy.util import await_

from locus_store import Store
from locus_store._engine.fast_path import FastPath
from locus_store.errors import ConstraintError
from tests.support.round_trips import MEMORY_NS, ONE_ROUND_TRIP, conversation, prepared


def fast(store: Store) -> FastPath:
    if store._fast is None:
        pytest.skip(f"{store.dialect_name}: every statement goes through Connection.execute")
    return store._fast


class DriverLog:
    """Statements the driver sent (on SQLite: trips to its thread, each with the statement
    it started with), and how many calls took the fast path."""

    def __init__(self) -> None:
        self.statements: list[str] = []
        self.fast_calls = 0

    def clear(self) -> None:
        self.statements.clear()
        self.fast_calls = 0


@contextmanager
def driver_log(store: Store, monkeypatch: pytest.MonkeyPatch) -> Iterator[DriverLog]:
    log = DriverLog()
    path = fast(store)
    run = path.run

    def counted_run(*args: Any) -> Any:
        log.fast_calls += 1
        return run(*args)

    monkeypatch.setattr(path, "run", counted_run)

    def on_checkout(dbapi_connection: Any, *_: Any) -> None:
        driver = dbapi_connection.driver_connection
        if store.dialect_name == "postgresql":
            driver.add_query_logger(on_query)
        elif "_execute" not in vars(driver):
            # Each trip to the SQLite thread, with what sqlite3 started running on it
            # (its trace callback also reports trigger bodies, so only the first
            # statement of a trip is kept: a trip of ours runs one statement).
            trip = driver._execute
            started: list[str] = []
            driver._conn_trace = started
            await_(trip(partial(driver._conn.set_trace_callback, started.append)))

            async def counted_trip(fn: Any, *args: Any, **kwargs: Any) -> Any:
                started.clear()
                try:
                    return await trip(fn, *args, **kwargs)
                finally:
                    log.statements.append(started[0] if started else "<no statement>")

            driver._execute = counted_trip

    def on_query(record: Any) -> None:
        log.statements.append(record.query)

    pool = store.engine.sync_engine.pool
    sa.event.listen(pool, "checkout", on_checkout)
    try:
        yield log
    finally:
        sa.event.remove(pool, "checkout", on_checkout)


@pytest.mark.parametrize("call", sorted(ONE_ROUND_TRIP))
async def test_a_single_statement_call_is_one_driver_statement_on_the_fast_path(
    store: Store, call: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await prepared(store)
    run = ONE_ROUND_TRIP[call]
    await run(store, 0)  # the first sighting of a statement is compiled by SQLAlchemy
    with driver_log(store, monkeypatch) as log:
        await run(store, 1)
        log.clear()
        await run(store, 2)
    sent = log.statements
    assert log.fast_calls == 1, sent
    assert len(sent) == 1, "\n".join(s[:80] for s in sent)
    assert not sent[0].lstrip().upper().startswith(("BEGIN", "COMMIT"))


async def test_fast_path_results_are_those_of_connection_execute(store: Store) -> None:
    fast(store)
    await prepared(store)
    latest, saver, memory = store.latest(), store.versioned(), store.memory(ttl=90.5)
    await latest.save(conversation("where is my parcel"), "t2", metadata={"k": [1, "x"]})
    await memory.put(MEMORY_NS, "k1", {"text": "window seat"})

    async def reads() -> list[Any]:
        return [
            await latest.load("t1"),
            await latest.load("t1", "c1"),
            await latest.get_metadata("t2"),
            await latest.list_threads(),
            await latest.search("parcel"),
            await saver.get(thread_id="v1"),
            await saver.get(thread_id="v1", checkpoint_id="a"),
            await saver.list_checkpoints(thread_id="v1"),
            await saver.get_writes(thread_id="v1", checkpoint_id="b"),
            await saver.get(thread_id="missing"),
            await memory.get_item(MEMORY_NS, "k1"),  # a Float column (ttl_seconds)
        ]

    await reads()  # plans made
    taken = await reads()

    def no_op(*_: Any) -> None:
        return None

    engine = store.engine.sync_engine
    sa.event.listen(engine, "before_cursor_execute", no_op)
    try:
        through_core = await reads()
    finally:
        sa.event.remove(engine, "before_cursor_execute", no_op)
    assert taken == through_core
    assert taken[0] is not None
    assert taken[5] is not None
    assert taken[-1] is not None


async def test_float_columns_come_out_as_through_connection_execute_whatever_the_server_type(
    store: Store,
) -> None:
    """A ``Float`` result column is planned: its value is a ``float`` however the server
    types it (asyncpg returns ``Decimal`` for ``numeric``, where SQLAlchemy converts)."""
    fast(store)
    numeric = "CAST(1.25 AS NUMERIC)" if store.dialect_name == "postgresql" else "1.25"
    columns: dict[str, sa.ColumnElement[Any]] = {
        "double": sa.literal_column("CAST(0.5 AS DOUBLE PRECISION)")
        if store.dialect_name == "postgresql"
        else sa.literal_column("0.5"),
        "numeric": sa.literal_column(numeric),
        "integer": sa.literal_column("3"),
        "missing": sa.literal_column(
            "CAST(NULL AS DOUBLE PRECISION)" if store.dialect_name == "postgresql" else "NULL"
        ),
    }
    statement = sa.select(
        *(sa.type_coerce(c, sa.Float()).label(name) for name, c in columns.items())
    )
    await store.fetch_one(statement)  # the first sighting: SQLAlchemy's own compile
    assert fast(store).plan(store.engine.sync_engine, statement, None) is not None
    taken = await store.fetch_one(statement)

    def no_op(*_: Any) -> None:
        return None

    engine = store.engine.sync_engine
    sa.event.listen(engine, "before_cursor_execute", no_op)
    try:
        through_core = await store.fetch_one(statement)
    finally:
        sa.event.remove(engine, "before_cursor_execute", no_op)
    assert taken is not None
    assert through_core is not None
    assert tuple(taken) == tuple(through_core) == (0.5, 1.25, 3.0, None)
    assert [type(v) for v in taken] == [type(v) for v in through_core]


async def test_numeric_and_decimal_float_columns_stay_off_the_fast_path(store: Store) -> None:
    for type_ in (sa.Numeric(10, 2), sa.Float(asdecimal=True)):
        statement = sa.select(sa.type_coerce(sa.literal_column("1.25"), type_).label("n"))
        assert fast(store).plan(store.engine.sync_engine, statement, None) is None
        await store.fetch_one(statement)
        assert fast(store).plan(store.engine.sync_engine, statement, None) is None


async def test_a_statement_listener_sees_every_statement(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    await prepared(store)
    seen: list[str] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    with driver_log(store, monkeypatch) as log:
        await store.latest().load("t1")
        await store.latest().load("t1")
        assert log.fast_calls == 1
        sa.event.listen(store.engine.sync_engine, "before_cursor_execute", before)
        try:
            await store.latest().load("t1")
        finally:
            sa.event.remove(store.engine.sync_engine, "before_cursor_execute", before)
        assert log.fast_calls == 1
        assert len(seen) == 1
        assert "SELECT" in seen[0].upper()
        await store.latest().load("t1")
        assert log.fast_calls == 2


async def test_sql_logging_sees_every_statement(
    store: Store, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    await prepared(store)
    with driver_log(store, monkeypatch) as log:
        await store.latest().load("t1")
        with caplog.at_level("INFO", logger="sqlalchemy.engine"):
            await store.latest().load("t1")
        assert log.fast_calls == 0
    assert any("SELECT" in r.getMessage().upper() for r in caplog.records)


async def test_a_failing_statement_raises_what_sqlalchemy_raises(store: Store) -> None:
    fast(store)
    threads = store.schema.threads
    insert = threads.insert()
    now = dt.datetime.now(dt.UTC)
    params = {
        "thread_id": "dup",
        "checkpoint_id": "c",
        "state": {"n": 1},
        "created_at": now,
        "updated_at": now,
    }
    handled: list[BaseException] = []

    def on_error(context: Any) -> None:
        handled.append(context.original_exception)

    sa.event.listen(store.engine.sync_engine, "handle_error", on_error)
    try:
        assert await store.row_count(insert, params) == 1
        for _ in range(2):  # the second time it is planned, and fails on the fast path
            with pytest.raises(ConstraintError) as broke:
                await store.row_count(insert, {**params, "state": {"n": 2}})
            assert isinstance(broke.value.__cause__, sa.exc.IntegrityError)
    finally:
        sa.event.remove(store.engine.sync_engine, "handle_error", on_error)
    assert len(handled) == 2
    stored = await store.fetch_all(
        sa.select(threads.c.state).where(threads.c.thread_id == "dup")
    )
    assert [r.state for r in stored] == [{"n": 1}]


async def test_a_batch_on_the_fast_path_is_all_or_nothing(store: Store) -> None:
    fast(store)
    writes = store.schema.writes
    insert = writes.insert()
    def write(task: str, idx: int) -> dict[str, Any]:
        return {
            "thread_id": "b",
            "checkpoint_ns": "",
            "checkpoint_id": "c",
            "task_id": task,
            "idx": idx,
            "channel": "ch",
            "value": {"v": idx},
        }

    rows = [write("first", 0), write("first", 1)]
    await store.execute_many(insert, rows)  # first sighting: Connection.execute
    with pytest.raises(ConstraintError):
        await store.execute_many(insert, [write("second", 0), write("first", 1)])
    stored = await store.fetch_all(
        sa.select(writes.c.task_id, writes.c.idx).where(writes.c.thread_id == "b")
    )
    assert sorted((r.task_id, r.idx) for r in stored) == [("first", 0), ("first", 1)]


async def test_a_statement_built_for_one_call_is_not_compiled_for_the_fast_path(
    store: Store,
) -> None:
    path = fast(store)
    await prepared(store)
    threads = store.schema.threads
    before = len(path._plans)
    for _ in range(20):
        statement = sa.select(threads.c.thread_id).where(threads.c.thread_id == "t1")
        assert [r.thread_id for r in await store.fetch_all(statement)] == ["t1"]
    assert len(path._plans) == before


async def test_a_cancelled_statement_does_not_return_its_connection_to_the_pool(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast(store)
    if store.dialect_name != "postgresql":
        pytest.skip("needs a statement that waits on the server")
    sleep = (
        sa.text("SELECT pg_sleep(:s)::text AS slept")
        .bindparams(sa.bindparam("s", type_=sa.Float()))
        .columns(slept=sa.String())
    )
    await store.fetch_one(sleep, {"s": 0})
    await store.fetch_one(sleep, {"s": 0})  # planned: the next one is on the fast path
    calls: list[object] = []
    run = store._fast.run  # type: ignore[union-attr]

    def counted(*args: Any) -> Any:
        calls.append(args)
        return run(*args)

    monkeypatch.setattr(store._fast, "run", counted)
    task = asyncio.ensure_future(store.fetch_one(sleep, {"s": 5}))
    await asyncio.sleep(0.2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert len(calls) == 1  # it was on the fast path
    pool = store.engine.sync_engine.pool
    assert isinstance(pool, QueuePool)  # the only pools that count what is checked out
    assert pool.checkedout() == 0
    assert await store.latest().load("nothing") is None


async def test_a_text_statement_without_columns_returns_its_rows(store: Store) -> None:
    one = sa.text("SELECT 1 AS one")
    for _ in range(3):  # its columns are unknown: Connection.execute reads them
        row = await store.fetch_one(one)
        assert row is not None
        assert row.one == 1
