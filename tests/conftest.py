"""One ``store`` fixture parametrised over every backend.

The backends: sqlite, postgresql, oracle, and postgresql-app (PostgreSQL as a role
holding only DML on the tables; the migrations run as the schema's owner role).

Each backend is migrated once per session under a fresh table prefix (through the
packaged Alembic migrations) and emptied before every test, so tests are isolated
and the migrations are exercised on every run.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from typing import TYPE_CHECKING

import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from locus_store import Store
from tests.support.backends import (
    BACKENDS,
    MEMORY_TEST_DIMS,
    VECTOR_BACKENDS,
    Target,
    oracle_target,
    pgvector_target,
    postgres_target,
    sqlite_target,
    unique_prefix,
)
from tests.support.database import check_reachable, empty_tables, require, run_blocking
from tests.support.oracle.fake_driver import FakeDriver
from tests.support.oracle.langgraph_model import (
    LANGGRAPH_IN_MEMORY,
    ORACLE_MODEL,
    on_oracle_model,
)
from tests.support.pgvector import require_pgvector_url
from tests.support.roles import (
    APP_BACKEND,
    NO_DDL_REASON,
    app_target,
    grant_dml,
    least_privilege,
)

if TYPE_CHECKING:
    from langgraph.store.base import BaseStore

_ORACLE_SKIP_REASON: list[str] = []


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--long",
        action="store_true",
        default=False,
        help="run long property-based and concurrency runs (many more examples)",
    )


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _ORACLE_SKIP_REASON:
        terminalreporter.write_sep("-", "oracle")
        terminalreporter.write_line(_ORACLE_SKIP_REASON[0])


@pytest.fixture(scope="session")
def long_run(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--long"))


@pytest.fixture(scope="session")
def _stack() -> Iterator[ExitStack]:
    with ExitStack() as stack:
        yield stack


@pytest.fixture(scope="session")
def target_for(
    _stack: ExitStack, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Target | str]:
    """Lazily resolved targets by backend name (a string value is a skip reason)."""
    cache: dict[str, Target | str] = {}

    class Lazy(dict[str, Target | str]):
        def __missing__(self, backend: str) -> Target | str:
            if backend == "sqlite":
                value: Target | str = sqlite_target(str(tmp_path_factory.mktemp("sqlite") / "t.db"))
            elif backend == "postgresql":
                value = postgres_target()
            elif backend == "pgvector":
                value = pgvector_target(require_pgvector_url())
            elif backend == APP_BACKEND:
                value = NO_DDL_REASON  # its store comes from ``migrated`` only
            else:
                value = _stack.enter_context(oracle_target())
                if isinstance(value, str) and not _ORACLE_SKIP_REASON:
                    _ORACLE_SKIP_REASON.append(value)
            self[backend] = value
            return value

    return Lazy(cache)


@pytest.fixture(scope="session")
def migrated(
    target_for: dict[str, Target | str], _stack: ExitStack
) -> Iterator[dict[str, tuple[Target, str]]]:
    """Per backend: (target, prefix) of a schema migrated once for the session."""
    done: dict[str, tuple[Target, str]] = {}

    class Lazy(dict[str, tuple[Target, str]]):
        def __missing__(self, backend: str) -> tuple[Target, str]:
            if backend == APP_BACKEND:
                roles = _stack.enter_context(least_privilege(require(target_for["postgresql"])))
                target = app_target(roles)
            else:
                target = require(target_for[backend])
            prefix = unique_prefix()

            async def up() -> None:
                await check_reachable(target)
                store = Store.from_settings(target.owner_settings, table_prefix=prefix)
                try:
                    await store.upgrade(memory_dims=MEMORY_TEST_DIMS)
                finally:
                    await store.close()

            run_blocking(up)
            if backend == APP_BACKEND:
                grant_dml(roles, prefix)
            self[backend] = (target, prefix)
            return self[backend]

    lazy = Lazy(done)
    yield lazy
    for target, prefix in lazy.values():

        async def down(target: Target = target, prefix: str = prefix) -> None:
            store = Store.from_settings(target.owner_settings, table_prefix=prefix)
            try:
                await store.downgrade("base")
            finally:
                await store.close()

        run_blocking(down)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def store(backend: str, migrated: dict[str, tuple[Target, str]]) -> AsyncIterator[Store]:
    """A migrated, empty store on ``backend``."""
    target, prefix = migrated[backend]
    st = Store.from_settings(target.settings, table_prefix=prefix)
    await empty_tables(st)
    try:
        yield st
    finally:
        await st.close()


@pytest.fixture(params=VECTOR_BACKENDS)
async def vector_store(
    request: pytest.FixtureRequest, migrated: dict[str, tuple[Target, str]]
) -> AsyncIterator[Store]:
    """A migrated, empty store whose memory has vectors (``MEMORY_TEST_DIMS`` of them):
    SQLite, and the PostgreSQL with pgvector (skipped without it, failed under CI)."""
    if request.param == "pgvector":
        require_pgvector_url()
    target, prefix = migrated[str(request.param)]
    st = Store.from_settings(target.settings, table_prefix=prefix)
    await empty_tables(st)
    try:
        yield st
    finally:
        await st.close()


@pytest.fixture(params=[*BACKENDS, ORACLE_MODEL, LANGGRAPH_IN_MEMORY])
async def langgraph_memory(
    request: pytest.FixtureRequest,
    migrated: dict[str, tuple[Target, str]],
    oracle_store: tuple[Store, FakeDriver],
) -> AsyncIterator[BaseStore]:
    """Our LangGraph memory store on each backend (emptied) and on the Oracle model, or
    LangGraph's own ``InMemoryStore``: what LangGraph's store tests expect, shown on both."""
    from langgraph.store.memory import InMemoryStore

    if request.param == LANGGRAPH_IN_MEMORY:
        yield InMemoryStore()
        return
    if request.param == ORACLE_MODEL:
        yield on_oracle_model(oracle_store)
        return
    target, prefix = migrated[str(request.param)]
    store = Store.from_settings(target.settings, table_prefix=prefix)
    await empty_tables(store)
    memory = store.langgraph_store()
    try:
        yield memory
    finally:
        await memory.aclose()
        await store.close()


@pytest.fixture(scope="session")
def pgvector_url() -> str:
    """The URL of the PostgreSQL with pgvector (``LOCUS_TEST_PGVECTOR_URL``, from
    ``scripts/pgvector_server.py``); skips the test without one, fails it under CI."""
    return require_pgvector_url()


@pytest.fixture
async def oracle_store() -> AsyncIterator[tuple[Store, FakeDriver]]:
    """A store on Oracle whose connections are fake drivers that record what they are sent."""
    driver = FakeDriver()
    engine = create_async_engine("oracle+oracledb://app:pw@", async_creator=driver.connect)
    yield Store(engine, table_prefix="locus"), driver
    await engine.dispose()
