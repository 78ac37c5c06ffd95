"""Reading back what migrations made: table and index names, and drift from the models."""

from __future__ import annotations

import contextlib

import sqlalchemy as sa
from alembic import command
from sqlalchemy.ext.asyncio import AsyncConnection

from locus_store import Store
from locus_store.migrate import alembic_config


async def table_and_index_names(store: Store) -> tuple[set[str], set[str]]:
    """The names of every table, and of the indexes of the store's own tables (lower case)."""

    def inspect(conn: sa.Connection) -> tuple[set[str], set[str]]:
        insp = sa.inspect(conn)
        tables = {t.lower() for t in insp.get_table_names()}
        indexes = set()
        for table in tables:
            if table.startswith(store.table_prefix):
                with contextlib.suppress(sa.exc.NoSuchTableError):
                    indexes |= {str(ix["name"]).lower() for ix in insp.get_indexes(table)}
        return tables, indexes

    async def work(conn: AsyncConnection) -> tuple[set[str], set[str]]:
        return await conn.run_sync(inspect)

    return await store.run(work)


async def check_no_drift(store: Store) -> None:
    """Fail when the models and the migrations at head disagree (``alembic check``)."""

    def check(conn: sa.Connection) -> None:
        config = alembic_config(store.table_prefix)
        config.attributes["connection"] = conn
        config.attributes["table_prefix"] = store.table_prefix
        command.check(config)

    async def work(conn: AsyncConnection) -> None:
        await conn.run_sync(check)

    await store.run(work, atomic=True)
