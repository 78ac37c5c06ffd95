"""Alembic environment of locus_store: async, one folder for every dialect, prefix-aware.

The version table is ``<prefix>_alembic_version``, so these migrations never clash
with an application's own Alembic history in the same schema.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.pool import NullPool

from locus_store.migrate import config_prefix, x_arguments
from locus_store.schema.search import is_search_object
from locus_store.schema.tables import schema_for
from locus_store.settings import URL_ENV, async_url

config = context.config
schema = schema_for(config_prefix(config))
target_metadata = schema.metadata
_OWN_TABLES = {table.name for table in target_metadata.sorted_tables}


def _url() -> str:
    url = (
        x_arguments(config).get("url")
        or os.environ.get(URL_ENV)
        or config.get_main_option("sqlalchemy.url")
    )
    if not url:
        raise SystemExit(f"no database URL: pass -x url=..., set {URL_ENV} or sqlalchemy.url")
    return async_url(url).render_as_string(hide_password=False)


def include_name(name: str | None, type_: str, parent_names: dict[str, Any]) -> bool:
    """Compare only this prefix's tables; leave the application's and the FTS objects alone."""
    if type_ == "table":
        return name in _OWN_TABLES
    if type_ == "index":
        return not is_search_object(name, schema)
    return True


def include_object(
    item: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Leave out what the models cannot state: the vectors' shape is the migration's choice.

    The embedding column's dimensions come from ``-x memory_dims`` (the model has none),
    and on PostgreSQL without pgvector the vectors table is rightly absent.
    """
    vectors = schema.memory_vectors.name
    if type_ == "column" and name == "embedding" and item.table.name == vectors:
        return False
    return not (type_ == "table" and name == vectors and not reflected and compare_to is None)


def _configure(**kwargs: Any) -> None:
    context.configure(
        target_metadata=target_metadata,
        version_table=schema.version_table,
        include_name=include_name,
        include_object=include_object,
        compare_type=True,
        **kwargs,
    )


#: The first lines of an Oracle script. SQL*Plus and SQLcl run on past a failing
#: statement unless told otherwise (SQL*Plus User's Guide, "WHENEVER SQLERROR":
#: ``EXIT [FAILURE] [COMMIT|ROLLBACK]``; plain EXIT commits). Alembic writes no COMMIT
#: for Oracle (no transactional DDL), so the version row would stay uncommitted.
ORACLE_SCRIPT_HEADER = """WHENEVER SQLERROR EXIT FAILURE ROLLBACK
-- Stops at the first failing statement, with a failure exit status. Oracle commits
-- each DDL, so the steps before it stay done; every step is guarded (IF [NOT] EXISTS),
-- so after fixing the cause, run the script generated from the version the database
-- records (locus-store upgrade --sql --from-revision <version>, or this script again
-- when no version is recorded yet). The COMMIT at the end records the version."""


def run_migrations_offline() -> None:
    """Print the SQL script (``alembic upgrade head --sql``) for a DBA to review and run."""
    _configure(
        url=_url(),
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    migration_context = context.get_context()
    # A script is run by a person: no ``INSERT ... RETURNING ... INTO :ret`` binds.
    dialect = migration_context.dialect
    dialect.insert_returning = False
    dialect.update_returning = False
    oracle = dialect.name == "oracle"
    if oracle:
        migration_context.impl.static_output(ORACLE_SCRIPT_HEADER)
    with context.begin_transaction():
        context.run_migrations()
    if oracle:
        # Through the impl, so it ends with the "/" every statement of the script has.
        context.execute("COMMIT")


def _run_on(connection: Connection) -> None:
    _configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    from locus_store.store import create_engine_for

    # ``-x schema=app``: the PostgreSQL schema / Oracle owner to migrate, when it is not
    # the connecting role's own (see create_engine_for).
    engine = create_engine_for(
        _url(), poolclass=NullPool, schema=x_arguments(config).get("schema")
    )
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run_on)
            await connection.commit()
    finally:
        await engine.dispose()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_on(connection)
    else:
        asyncio.run(_run_async())


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
