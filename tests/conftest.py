"""One ``store`` fixture parametrised over every backend.

The backends: sqlite, postgresql, oracle, and postgresql-app (PostgreSQL as a role
holding only DML on the tables; the migrations run as the schema's owner role).

Each backend is migrated once per session under a fresh table prefix (through the
packaged Alembic migrations) and emptied before every test, so tests are isolated
and the migrations are exercised on every run.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from typing import Any, TypeVar

import pytest
import sqlalchemy as sa

from locus_store import Store
from tests.backends import (
    BACKENDS,
    Target,
    oracle_target,
    postgres_target,
    sqlite_target,
    unique_prefix,
)
from tests.reliability.roles import (
    APP_BACKEND,
    NO_DDL_REASON,
    app_target,
    grant_dml,
    least_privilege,
)

T = TypeVar("T")
_ORACLE_SKIP_REASON: list[str] = []


def run_blocking(make_coro: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion from sync code, even inside a running event loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, make_coro()).result()


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
) -> Iterator[dict[str, Target | str]]:
    """Lazily resolved targets by backend name (a string value is a skip reason)."""
    cache: dict[str, Target | str] = {}

    class Lazy(dict[str, Target | str]):
        def __missing__(self, backend: str) -> Target | str:
            if backend == "sqlite":
                value: Target | str = sqlite_target(str(tmp_path_factory.mktemp("sqlite") / "t.db"))
            elif backend == "postgresql":
                value = postgres_target()
            elif backend == APP_BACKEND:
                value = NO_DDL_REASON  # its store comes from ``migrated`` only
            else:
                value = _stack.enter_context(oracle_target())
                if isinstance(value, str) and not _ORACLE_SKIP_REASON:
                    _ORACLE_SKIP_REASON.append(value)
            self[backend] = value
            return value

    yield Lazy(cache)


def require(target: Target | str) -> Target:
    if isinstance(target, str):
        pytest.skip(target)
    return target


async def _check_reachable(target: Target) -> None:
    store = Store.from_settings(target.settings)
    try:
        await store.run(lambda conn: conn.execute(sa.select(sa.literal(1))))
    finally:
        await store.close()


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
                await _check_reachable(target)
                store = Store.from_settings(target.owner_settings, table_prefix=prefix)
                try:
                    await store.upgrade()
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


async def empty_tables(store: Store) -> None:
    async def work(conn: sa.ext.asyncio.AsyncConnection) -> None:
        for table in reversed(store.schema.metadata.sorted_tables):
            await conn.execute(table.delete())

    await store.run(work, atomic=True)


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
