"""A migration that failed half-way succeeds when run again, once the cause is fixed.

Oracle commits each DDL statement, so a failed ``upgrade`` keeps the steps before the
failing one while the version row stays where it was. No Oracle server runs here, so
PostgreSQL and SQLite are made to behave the same way: the migration runs on an
AUTOCOMMIT connection (every statement commits by itself), a step fails with a real
database error, and then ``upgrade`` runs again the normal way. Without guarded steps
the second run stops at the first object the first run already created.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.pool import NullPool

from locus_store import Store
from locus_store.migrate import alembic_config
from locus_store.schema.search import fts_table
from locus_store.store import create_engine_for
from tests.support.backends import Target, unique_prefix
from tests.support.database import require
from tests.support.migrations import check_no_drift, table_and_index_names

HEAD = "e41a6c0d5b93"

#: Where the first run fails: the statement (its verb and object) per backend.
FAULTS: dict[str, Callable[[str, str], tuple[str, str]]] = {
    # The text index of the initial revision: Oracle Text missing, no quota, ...
    "text-index": lambda backend, p: (
        ("CREATE TRIGGER", f"{p}_threads_fts_au")
        if backend == "sqlite"
        else ("CREATE INDEX", f"{p}_threads_txt_ix")
    ),
    # The last table of the LangGraph revision, after its first two were created.
    "langgraph-writes": lambda backend, p: ("CREATE TABLE", f"{p}_lg_writes"),
    # The index of the LangGraph TTL revision, after its column was added.
    "langgraph-ttl-index": lambda backend, p: ("CREATE INDEX", f"{p}_lg_checkpoints_exp_ix"),
}
#: Where each fault leaves the version row: the revision before the one that failed.
VERSION_AFTER_FAULT = {
    "text-index": [],
    "langgraph-writes": ["5d1c0a7e2b41"],
    "langgraph-ttl-index": ["c4e1f7a92b3d"],
}


def _failing_at(verb: str, name: str) -> Callable[..., tuple[str, object]]:
    """A cursor hook that sends a statement the server rejects in place of ``verb name``."""
    starts = re.compile(rf"{verb} (IF (NOT )?EXISTS )?{name}\b")

    def swap(
        conn: sa.Connection,
        cursor: object,
        statement: str,
        parameters: object,
        context: object,
        executemany: bool,
    ) -> tuple[str, object]:
        if starts.match(statement.lstrip()):
            return "SELECT * FROM locus_store_no_such_table", parameters
        return statement, parameters

    return swap


async def _upgrade_each_statement_committing(
    target: Target, prefix: str, fault: tuple[str, str]
) -> None:
    engine = create_engine_for(target.settings, poolclass=NullPool)

    def upgrade(conn: sa.Connection) -> None:
        sa.event.listen(conn, "before_cursor_execute", _failing_at(*fault), retval=True)
        config = alembic_config(prefix)
        config.attributes["connection"] = conn
        config.attributes["table_prefix"] = prefix
        command.upgrade(config, "head")

    try:
        async with engine.connect() as conn:
            autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
            with pytest.raises(sa.exc.DBAPIError, match="locus_store_no_such_table"):
                await autocommit.run_sync(upgrade)
    finally:
        await engine.dispose()


async def _columns(store: Store, table: str) -> set[str]:
    def names(conn: sa.Connection) -> set[str]:
        return {c["name"] for c in sa.inspect(conn).get_columns(table)}

    async def work(conn: AsyncConnection) -> set[str]:
        return await conn.run_sync(names)

    return await store.run(work)


async def _version(store: Store) -> list[str]:
    query = sa.select(sa.table(store.schema.version_table, sa.column("version_num")))
    rows = await store.run(lambda conn: conn.execute(query))
    return [row.version_num for row in rows]


@pytest.mark.parametrize("fault", sorted(FAULTS))
@pytest.mark.parametrize("backend_name", ["sqlite", "postgresql"])
async def test_upgrade_that_failed_half_way_with_each_step_committed_succeeds_when_run_again(
    backend_name: str, fault: str, target_for: dict[str, Target | str]
) -> None:
    target = require(target_for[backend_name])
    store = Store.from_settings(target.settings, table_prefix=unique_prefix())
    p = store.table_prefix
    try:
        await _upgrade_each_statement_committing(target, p, FAULTS[fault](backend_name, p))
        tables, _ = await table_and_index_names(store)
        assert f"{p}_threads" in tables  # steps before the failing one stayed done ...
        if fault == "langgraph-writes":
            assert {f"{p}_lg_checkpoints", f"{p}_lg_blobs"} <= tables
            assert f"{p}_lg_writes" not in tables
        if fault == "langgraph-ttl-index":
            assert "expires_at" in await _columns(store, f"{p}_lg_checkpoints")
        assert await _version(store) == VERSION_AFTER_FAULT[fault]  # ... the version row stayed

        await store.upgrade()

        tables, indexes = await table_and_index_names(store)
        assert f"{p}_lg_writes" in tables
        if backend_name == "sqlite":
            assert fts_table(store.schema) in tables
        else:
            assert store.schema.search_index in indexes
        assert await _version(store) == [HEAD]
        await check_no_drift(store)
    finally:
        await store.downgrade("base")
        await store.close()


@pytest.mark.parametrize("backend_name", ["sqlite", "postgresql"])
async def test_downgrade_that_failed_half_way_succeeds_when_run_again(
    backend_name: str, target_for: dict[str, Target | str]
) -> None:
    target = require(target_for[backend_name])
    store = Store.from_settings(target.settings, table_prefix=unique_prefix())
    p = store.table_prefix
    engine = create_engine_for(target.settings, poolclass=NullPool)

    def downgrade(conn: sa.Connection) -> None:
        fault = _failing_at("DROP TABLE", f"{p}_threads")
        sa.event.listen(conn, "before_cursor_execute", fault, retval=True)
        config = alembic_config(p)
        config.attributes["connection"] = conn
        config.attributes["table_prefix"] = p
        command.downgrade(config, "base")

    try:
        await store.upgrade()
        async with engine.connect() as conn:
            autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
            with pytest.raises(sa.exc.DBAPIError, match="locus_store_no_such_table"):
                await autocommit.run_sync(downgrade)
        tables, _ = await table_and_index_names(store)
        assert f"{p}_checkpoints" not in tables
        assert f"{p}_threads" in tables
        assert await _version(store) == ["5d1c0a7e2b41"]

        await store.downgrade("base")

        tables, _ = await table_and_index_names(store)
        assert not {t for t in tables if t.startswith(p) and t != store.schema.version_table}
        assert await _version(store) == []
    finally:
        await engine.dispose()
        await store.downgrade("base")
        await store.close()
