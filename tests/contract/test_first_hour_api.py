"""What a first hour with the store meets: a missing schema, errors and logs, bind(), logging.

Every test runs on each backend of the ``store`` fixture unless it names one; the Oracle
cases run on the fake driver (``tests/support/oracle/fake_driver.py``).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import threading
import traceback
import warnings
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import oracledb
import pytest
import sqlalchemy as sa
from locus.core.state import AgentState
from oracledb.errors import _Error
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from locus_store import (
    AutobeginWarning,
    LocusStoreError,
    LocusStoreWarning,
    SchemaNotCurrentError,
    Store,
)
from locus_store.ops.admin import SchemaNotCurrentError as AdminSchemaNotCurrentError
from tests.support.backends import Target, unique_prefix
from tests.support.oracle.fake_driver import FakeDriver

SECRET = "s3cret-conversation-text"


def _state() -> AgentState:
    return AgentState(agent_id=SECRET)


def _shown(error: BaseException) -> str:
    """Everything an application's log shows of ``error``: text, repr, chained traceback."""
    return "\n".join([str(error), repr(error), "".join(traceback.format_exception(error))])


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every record of SQLAlchemy and locus_store, down to DEBUG (SQL echo included)."""
    caplog.set_level(logging.DEBUG, logger="sqlalchemy")
    caplog.set_level(logging.DEBUG, logger="locus_store")
    return caplog


def _logged(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(
        [
            caplog.text,
            *(r.getMessage() for r in caplog.records),
            *(repr(r.args) for r in caplog.records),
        ]
    )


@pytest.fixture
async def unmigrated(store: Store) -> Store:
    """A store on the same database under a prefix whose tables were never created."""
    return Store(store.engine, table_prefix=unique_prefix())


@pytest.fixture
async def app_engine_store(store: Store) -> AsyncIterator[Store]:
    """The same database through an application's own engine (default options)."""
    engine = create_async_engine(store.engine.url)
    yield Store(engine, table_prefix=store.table_prefix)
    await engine.dispose()


# -- a missing schema is a typed error ---------------------------------------------------------


async def test_saving_before_the_migration_names_the_prefix_and_the_fix(unmigrated: Store) -> None:
    with pytest.raises(SchemaNotCurrentError) as info:
        await unmigrated.latest().save(_state(), "t1")
    message = str(info.value)
    assert repr(unmigrated.table_prefix) in message
    assert "await store.upgrade()" in message
    assert f"locus-store --prefix {unmigrated.table_prefix} upgrade" in message
    assert SECRET not in _shown(info.value)


async def test_every_kind_of_call_before_the_migration_raises_it(unmigrated: Store) -> None:
    with pytest.raises(SchemaNotCurrentError):
        await unmigrated.latest().load("t1")
    with pytest.raises(SchemaNotCurrentError):
        await unmigrated.versioned().as_checkpointer().load("t1")
    with pytest.raises(SchemaNotCurrentError):
        await unmigrated.run(lambda c: c.execute(unmigrated.schema.threads.delete()), atomic=True)


async def test_a_bound_store_before_the_migration_raises_it(unmigrated: Store) -> None:
    async with unmigrated.engine.connect() as conn, conn.begin():
        with pytest.raises(SchemaNotCurrentError):
            await unmigrated.bind(conn).latest().load("t1")


async def test_the_applications_own_missing_table_stays_the_database_error(store: Store) -> None:
    with pytest.raises(sa.exc.DBAPIError) as info:
        await store.run(lambda c: c.execute(sa.text("SELECT * FROM app_no_such_table")))
    assert not isinstance(info.value, LocusStoreError)


def test_the_admin_module_still_offers_the_error() -> None:
    assert AdminSchemaNotCurrentError is SchemaNotCurrentError


# -- no bound value in any error or log record ---------------------------------------------------


@pytest.mark.parametrize("engine", ["store's", "application's"])
async def test_a_failing_statement_shows_no_bound_value(
    store: Store, app_engine_store: Store, logs: pytest.LogCaptureFixture, engine: str
) -> None:
    target = store if engine == "store's" else app_engine_store
    insert = sa.text("INSERT INTO app_no_such_table (v) VALUES (:v)")
    with pytest.raises(sa.exc.DBAPIError) as ran:
        await target.run(lambda c: c.execute(insert, {"v": SECRET}))
    with pytest.raises(sa.exc.DBAPIError) as executed:
        await target.row_count(insert, {"v": SECRET})
    for error in (ran.value, executed.value):
        assert "app_no_such_table" in str(error)  # the SQL is shown, its values are not
        assert SECRET not in _shown(error)
    assert "app_no_such_table" in logs.text
    assert SECRET not in _logged(logs)


async def test_a_store_over_the_applications_engine_leaves_its_logging_alone(
    app_engine_store: Store, logs: pytest.LogCaptureFixture
) -> None:
    async with app_engine_store.engine.connect() as conn:
        await conn.execute(sa.text("SELECT :v"), {"v": "the application's own value"})
    assert "the application's own value" in logs.text


async def test_a_failed_save_before_the_migration_shows_no_bound_value(
    store: Store, logs: pytest.LogCaptureFixture
) -> None:
    engine = create_async_engine(store.engine.url)
    try:
        with pytest.raises(SchemaNotCurrentError) as info:
            await Store(engine, table_prefix=unique_prefix()).latest().save(_state(), "t1")
    finally:
        await engine.dispose()
    assert SECRET not in _shown(info.value)
    assert SECRET not in _logged(logs)


# -- the Oracle fake: ORA-00942 and bound values -------------------------------------------------


def _no_table(fragment: str, message: str) -> object:
    def fail(sql: str) -> BaseException | None:
        if fragment not in sql:
            return None
        return oracledb.DatabaseError(_Error(message, code=942))

    return fail


@pytest.mark.parametrize(
    "message",
    [
        'ORA-00942: table or view "APP"."LOCUS_THREADS" does not exist',  # 23ai names it
        "ORA-00942: table or view does not exist",  # earlier releases do not
    ],
    ids=["23ai", "19c"],
)
async def test_oracle_before_the_migration_raises_it(
    oracle_store: tuple[Store, FakeDriver], logs: pytest.LogCaptureFixture, message: str
) -> None:
    store, driver = oracle_store
    driver.fail_with = _no_table("MERGE INTO locus_threads", message)  # type: ignore[assignment]
    with pytest.raises(SchemaNotCurrentError, match="locus-store --prefix locus upgrade") as info:
        await store.latest().save(_state(), "t1")
    assert SECRET not in _shown(info.value)
    assert SECRET not in _logged(logs)


async def test_oracle_applications_missing_table_stays_the_database_error(
    oracle_store: tuple[Store, FakeDriver], logs: pytest.LogCaptureFixture
) -> None:
    store, driver = oracle_store
    driver.fail_with = _no_table(  # type: ignore[assignment]
        "INSERT INTO app_t", "ORA-00942: table or view does not exist"
    )
    with pytest.raises(sa.exc.DatabaseError) as info:
        await store.run(
            lambda c: c.execute(sa.text("INSERT INTO app_t VALUES (:v)"), {"v": SECRET})
        )
    assert not isinstance(info.value, LocusStoreError)
    assert SECRET not in _shown(info.value)
    assert SECRET not in _logged(logs)


# -- bind(): a target with no transaction begun ---------------------------------------------------


async def test_a_write_through_a_session_with_no_transaction_warns(store: Store) -> None:
    async with AsyncSession(store.engine) as session:
        with pytest.warns(AutobeginWarning, match="commit"):
            await store.bind(session).latest().save(_state(), "t1")
        await session.rollback()
    assert await store.latest().load("t1") is None  # what the warning is about


async def test_a_write_through_a_connection_with_no_transaction_warns(store: Store) -> None:
    async with store.engine.connect() as conn:
        with pytest.warns(AutobeginWarning, match="conn"):
            await store.bind(conn).latest().save(_state(), "t1")


@pytest.mark.filterwarnings("error::locus_store.LocusStoreWarning")
async def test_a_write_inside_the_callers_transaction_does_not_warn(store: Store) -> None:
    async with AsyncSession(store.engine) as session, session.begin():
        await store.bind(session).latest().save(_state(), "t1")
    async with store.engine.connect() as conn, conn.begin():
        await store.bind(conn).latest().save(_state(), "t2")
    assert await store.latest().load("t2") is not None


@pytest.mark.filterwarnings("error::locus_store.LocusStoreWarning")
async def test_a_read_through_a_session_with_no_transaction_does_not_warn(store: Store) -> None:
    async with AsyncSession(store.engine) as session:
        assert await store.bind(session).latest().load("t1") is None


def test_the_warning_is_a_user_warning_of_its_own_kind() -> None:
    assert issubclass(AutobeginWarning, LocusStoreWarning)
    assert issubclass(LocusStoreWarning, UserWarning)


# -- logging: migrations and retries ------------------------------------------------------------


async def test_each_migration_applied_is_logged_with_its_revision_and_prefix(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="locus_store")
    store = Store.from_url(f"sqlite:///{tmp_path / 'm.db'}", table_prefix="logged")
    try:
        await store.upgrade("5d1c0a7e2b41")
        await store.upgrade("863d7bbd7897")
        await store.downgrade("base")
    finally:
        await store.close()
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("locus_store")]
    assert [line.split(":")[0] for line in lines] == [
        "upgrade of prefix 'logged'",
        "upgrade of prefix 'logged'",
        "downgrade of prefix 'logged'",
        "downgrade of prefix 'logged'",
    ]
    assert "base -> 5d1c0a7e2b41" in lines[0]
    assert "5d1c0a7e2b41 -> 863d7bbd7897" in lines[1]
    assert "863d7bbd7897 -> 5d1c0a7e2b41" in lines[2]
    assert "5d1c0a7e2b41 -> base" in lines[3]


@pytest.fixture
def postgres(migrated: dict[str, tuple[Target, str]]) -> tuple[Target, str]:
    return migrated["postgresql"]


async def _kill(target: Target, pid: int) -> None:
    url = target.settings.url.set(drivername="postgresql").render_as_string(hide_password=False)
    killer = await asyncpg.connect(url)
    try:
        await killer.fetchval("SELECT pg_terminate_backend($1)", pid)
        for _ in range(200):
            if not await killer.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = $1", pid
            ):
                return
            await asyncio.sleep(0.01)
    finally:
        await killer.close()


async def test_a_retry_after_a_dead_connection_is_logged_without_values(
    postgres: tuple[Target, str], caplog: pytest.LogCaptureFixture
) -> None:
    target, prefix = postgres
    store = Store.from_settings(target.settings, table_prefix=prefix, ping_after=3600)
    try:
        pid = await store.run(lambda c: c.scalar(sa.text("SELECT pg_backend_pid()")))
        await _kill(target, int(pid or 0))
        caplog.set_level(logging.INFO, logger="locus_store")
        assert await store.run(lambda c: c.scalar(sa.text("SELECT :v"), {"v": SECRET})) == SECRET
    finally:
        await store.close()
    retries = [r for r in caplog.records if "retrying" in r.getMessage()]
    assert len(retries) == 1
    assert retries[0].levelno == logging.INFO
    message = retries[0].getMessage()
    assert "attempt 2 of 2" in message
    assert "127.0.0.1" in message
    assert SECRET not in _logged(caplog)


# -- event loops: an aiosqlite connection of a loop that is gone ---------------------------------


@pytest.fixture
def thread_errors() -> Iterator[list[BaseException]]:
    """Exceptions that end threads, as ``threading.excepthook`` sees them."""
    seen: list[BaseException] = []
    hook = threading.excepthook

    def record(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None:
            seen.append(args.exc_value)

    threading.excepthook = record
    try:
        yield seen
    finally:
        threading.excepthook = hook


def _in_successive_loops(store: Store, count: int) -> None:
    for _ in range(count):
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(store.run(lambda c: c.execute(sa.select(sa.literal(1)))))
        finally:
            loop.close()  # stays the current loop, closed, as after a test


@pytest.mark.parametrize("engine", ["store's", "application's"])
def test_a_store_following_a_new_loop_leaves_no_driver_thread_behind(
    tmp_path: Path, thread_errors: list[BaseException], engine: str
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'loops.db'}"
    before = set(threading.enumerate())
    store = Store.from_url(url) if engine == "store's" else Store(create_async_engine(url))
    gc.disable()  # connections dropped in one loop are collected after it closed
    try:
        _in_successive_loops(store, 3)
        gc.collect()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            loop = asyncio.new_event_loop()
            try:
                loop.run_until_complete(store.close())
                loop.run_until_complete(store.engine.dispose())
            finally:
                loop.close()
                asyncio.set_event_loop(None)
            gc.collect()
    finally:
        gc.enable()
    left = set(threading.enumerate()) - before
    for thread in left:
        thread.join(5)
    left = {thread for thread in left if thread.is_alive()}
    assert thread_errors == []
    assert not left
