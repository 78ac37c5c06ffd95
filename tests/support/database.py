"""Reaching the suite's databases from a test: skip reasons, emptying, counting, snapshots."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, NoReturn, TypeVar

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection

from locus_store import Store
from tests.support.backends import Target

T = TypeVar("T")

#: The backends the stateful and concurrency tests run on (Oracle skips when absent).
MODEL_BACKENDS = ("sqlite", "postgresql", "oracle")


def run_blocking(make_coro: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion from sync code, even inside a running event loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, make_coro()).result()


def under_ci() -> bool:
    """Whether the run is CI's (``CI`` set to 1, true or yes, as CI services set it)."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def unavailable(reason: str) -> NoReturn:
    """Skip the test because a server it needs is missing; under CI fail it instead.

    For the servers ``./run test`` starts and CI must have (PgBouncer, the pgvector
    PostgreSQL): a developer without one still runs the rest of the suite.
    """
    if under_ci():
        pytest.fail(f"{reason} (required under CI)")
    pytest.skip(reason)


def require(target: Target | str) -> Target:
    """``target``, or skip the test with the reason it is absent (a string)."""
    if isinstance(target, str):
        pytest.skip(target)
    return target


async def check_reachable(target: Target) -> None:
    """Connect to ``target`` and run ``SELECT 1`` (a clear failure before any migration)."""
    store = Store.from_settings(target.settings)
    try:
        await store.run(lambda conn: conn.execute(sa.select(sa.literal(1))))
    finally:
        await store.close()


async def made_tables(conn: AsyncConnection, store: Store) -> list[sa.Table]:
    """The prefix's tables the migrations made here, parents first: all of them but the
    memory vectors on PostgreSQL without pgvector (the config row says so)."""
    config = store.schema.memory_config
    vectors = await conn.scalar(sa.select(config.c.vectors))
    return [
        table
        for table in store.schema.metadata.sorted_tables
        if not (table is store.schema.memory_vectors and vectors == "none")
    ]


async def empty_tables(store: Store) -> None:
    """Delete every row of the store's tables, children first, in one transaction.

    The memory config row stays (the migration wrote it), and the vectors table is
    emptied only where the migration made it (not on PostgreSQL without pgvector).
    """
    async def work(conn: AsyncConnection) -> None:
        for table in reversed(await made_tables(conn, store)):
            if table is not store.schema.memory_config:
                await conn.execute(table.delete())

    await store.run(work, atomic=True)


class StatementLog:
    """Every statement a store's engine sends (``before_cursor_execute``)."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.statements.append(statement)


@contextmanager
def statements_sent(store: Store) -> Iterator[StatementLog]:
    """Record the statements ``store`` sends inside the block."""
    log = StatementLog()
    event.listen(store.engine.sync_engine, "before_cursor_execute", log)
    try:
        yield log
    finally:
        event.remove(store.engine.sync_engine, "before_cursor_execute", log)


async def snapshot(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of the store's prefix, in primary-key order."""

    async def work(conn: AsyncConnection) -> dict[str, list[tuple[Any, ...]]]:
        rows: dict[str, list[tuple[Any, ...]]] = {}
        for table in await made_tables(conn, store):
            query = sa.select(table).order_by(*table.primary_key.columns)
            rows[table.name] = [tuple(r) for r in (await conn.execute(query)).all()]
        return rows

    return await store.run(work)
