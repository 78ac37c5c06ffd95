"""Shared pieces of the reliability suite: Hypothesis profiles, statement counting, snapshots.

Two Hypothesis profiles, used by the stateful tests through the ``machine_settings``
fixture (never loaded globally, so other property tests keep their own settings):

- ``reliability``: the bounded default run (CI);
- ``reliability-long``: ``pytest --long``, many more and longer random programs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection

from locus_store import Store

_COMMON: dict[str, Any] = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.filter_too_much],
    "print_blob": True,
}
settings.register_profile("reliability", max_examples=40, stateful_step_count=40, **_COMMON)
settings.register_profile("reliability-long", max_examples=400, stateful_step_count=80, **_COMMON)

#: The backends the stateful and concurrency tests run on (Oracle skips when absent).
MODEL_BACKENDS = ("sqlite", "postgresql", "oracle")


@pytest.fixture(scope="session")
def machine_settings(long_run: bool) -> settings:
    return settings.get_profile("reliability-long" if long_run else "reliability")


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
        for table in store.schema.metadata.sorted_tables:
            query = sa.select(table).order_by(*table.primary_key.columns)
            rows[table.name] = [tuple(r) for r in (await conn.execute(query)).all()]
        return rows

    return await store.run(work)
