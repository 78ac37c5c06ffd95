"""Least privilege on PostgreSQL, and passwords that never show.

The whole contract suite runs a fourth time as ``postgresql-app``: a role holding only
``SELECT, INSERT, UPDATE, DELETE`` on the prefix's tables (and ``SELECT`` on the
Alembic version table), created by the migrations under an owner role
(``tests/support/roles.py``). These tests check that the role really is that
weak, and that its password appears in no repr, log record, error or CLI output.
"""

from __future__ import annotations

import io
import logging
import re
import traceback
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import redirect_stderr, redirect_stdout

import asyncpg
import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from locus_store import SchemaNotCurrentError, SchemaPermissionError, Store
from locus_store.cli.app import Exit
from locus_store.cli.app import main as cli_main
from locus_store.schema.tables import schema_for
from tests.support.backends import Target
from tests.support.reliability.hostile import Repos, state
from tests.support.roles import APP_BACKEND, DML

ALL_TABLE_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")


@pytest.fixture
def app(migrated: dict[str, tuple[Target, str]]) -> tuple[Target, str]:
    return migrated[APP_BACKEND]


@pytest.fixture
def admin_dsn(migrated: dict[str, tuple[Target, str]]) -> str:
    url = migrated["postgresql"][0].settings.url.set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


@pytest.fixture
async def app_store(app: tuple[Target, str]) -> AsyncIterator[Store]:
    target, prefix = app
    store = Store.from_settings(target.settings, table_prefix=prefix)
    yield store
    await store.close()


async def test_the_app_role_holds_dml_on_the_tables_and_nothing_else(
    app: tuple[Target, str], admin_dsn: str
) -> None:
    target, prefix = app
    role = target.settings.url.username
    schema = schema_for(prefix)
    conn = await asyncpg.connect(admin_dsn)
    try:
        table_schema = await conn.fetchval(
            "SELECT schemaname FROM pg_tables WHERE tablename = $1", schema.threads.name
        )
        for table in schema.metadata.sorted_tables:
            name = f"{table_schema}.{table.name}"
            if await conn.fetchval("SELECT to_regclass($1)", name) is None:
                assert table is schema.memory_vectors  # only made where pgvector is
                continue
            held = {
                p
                for p in ALL_TABLE_PRIVILEGES
                if await conn.fetchval(
                    "SELECT has_table_privilege($1, $2, $3)",
                    role,
                    f"{table_schema}.{table.name}",
                    p,
                )
            }
            assert held == set(DML), table.name
            owner = await conn.fetchval(
                "SELECT tableowner FROM pg_tables WHERE tablename = $1", table.name
            )
            assert owner != role
        version = f"{table_schema}.{schema.version_table}"
        assert {
            p
            for p in ALL_TABLE_PRIVILEGES
            if await conn.fetchval("SELECT has_table_privilege($1, $2, $3)", role, version, p)
        } == {"SELECT"}
        assert not await conn.fetchval(
            "SELECT has_schema_privilege($1, $2, 'CREATE')", role, table_schema
        )
        assert not await conn.fetchval("SELECT has_schema_privilege($1, 'public', 'CREATE')", role)
        flags = await conn.fetchrow(
            "SELECT rolsuper, rolcreatedb, rolcreaterole, rolbypassrls FROM pg_roles "
            "WHERE rolname = $1",
            role,
        )
        assert not any(flags.values())
    finally:
        await conn.close()


DDL = [
    "CREATE TABLE {prefix}_intruder (id int)",
    "DROP TABLE {prefix}_threads",
    "ALTER TABLE {prefix}_threads ADD COLUMN x int",
    "TRUNCATE {prefix}_writes",
    "CREATE INDEX {prefix}_ix ON {prefix}_threads (checkpoint_id)",
    "DELETE FROM {prefix}_alembic_version",
]


@pytest.mark.parametrize("statement", DDL)
async def test_the_app_role_cannot_change_the_schema(
    app_store: Store, app: tuple[Target, str], statement: str
) -> None:
    sql = statement.format(prefix=app[1])
    with pytest.raises(DBAPIError) as info:
        await app_store.run(lambda conn: conn.exec_driver_sql(sql), atomic=True)
    assert "must be owner" in str(info.value) or "permission denied" in str(info.value)
    password = app[0].settings.url.password
    assert password
    assert password not in "".join(traceback.format_exception(info.value))


async def test_the_app_role_cannot_run_the_migrations(
    app_store: Store, app: tuple[Target, str]
) -> None:
    with pytest.raises(SchemaPermissionError, match="as the schema's owner") as info:
        await app_store.downgrade("base")
    assert isinstance(info.value.__cause__, DBAPIError)
    assert re.search(r"must be owner|permission denied", str(info.value))
    password = app[0].settings.url.password
    assert password
    assert password not in str(info.value)
    # Nothing was dropped: the repositories still work.
    repos = Repos.of(app_store)
    saved = state("still here")
    await repos.latest.save(saved, "after-refused-ddl")
    assert await repos.latest.load("after-refused-ddl") == saved
    await repos.latest.delete("after-refused-ddl")


async def test_the_password_is_in_no_repr_log_record_or_error(
    app_store: Store, app: tuple[Target, str], caplog: pytest.LogCaptureFixture
) -> None:
    target, _prefix = app
    password = target.settings.url.password
    assert password
    assert password in target.url
    repos = Repos.of(app_store)
    shown = [
        repr(app_store),
        str(app_store),
        repr(app_store.engine),
        str(app_store.engine.url),
        repr(target.settings),
        repr(target),
        repr(repos.latest),
        repr(repos.saver),
        repr(repos.view),
    ]
    assert all(password not in text for text in shown)

    caplog.set_level(logging.DEBUG)
    logging.getLogger("sqlalchemy.engine").setLevel(logging.DEBUG)
    logging.getLogger("sqlalchemy.pool").setLevel(logging.DEBUG)
    try:
        fresh = Store.from_settings(target.settings, table_prefix=app_store.table_prefix)
        await fresh.latest().save(state(), "logged")
        await fresh.latest().load("logged")
        with pytest.raises(DBAPIError) as info:
            await fresh.run(lambda conn: conn.exec_driver_sql("CREATE TABLE leak (id int)"))
        await fresh.latest().delete("logged")
        await fresh.close()
    finally:
        logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
        logging.getLogger("sqlalchemy.pool").setLevel(logging.WARNING)
    assert caplog.records, "the engine logged nothing: the check would prove nothing"
    assert all(password not in record.getMessage() for record in caplog.records)
    assert password not in "".join(traceback.format_exception(info.value))


def test_the_cli_says_to_migrate_as_the_owner(app: tuple[Target, str]) -> None:
    target, prefix = app
    out, err = io.StringIO(), io.StringIO()
    argv = ["upgrade", "--url", target.url, "--prefix", f"{prefix}_other"]
    with redirect_stdout(out), redirect_stderr(err), ThreadPoolExecutor(1) as pool:
        code = pool.submit(cli_main, argv).result()
    assert code == Exit.FAILED
    assert "as the schema's owner" in err.getvalue()


def test_the_cli_never_prints_the_password(app: tuple[Target, str]) -> None:
    target, prefix = app
    password = target.settings.url.password
    assert password
    unreachable = target.settings.url.set(port=1).render_as_string(hide_password=False)
    runs = [
        ["threads", "--url", target.url, "--prefix", prefix],
        ["threads", "--url", unreachable, "--prefix", prefix],
        ["upgrade", "--url", target.url, "--prefix", f"{prefix}_nope"],
        ["current", "--url", target.url, "--prefix", prefix],
    ]
    for argv in runs:
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err), ThreadPoolExecutor(1) as pool:
            pool.submit(cli_main, argv).result()
        assert password not in out.getvalue() + err.getvalue(), argv[0]


@pytest.mark.parametrize("backend", [APP_BACKEND])
async def test_the_store_fixture_of_every_contract_test_connects_as_the_app_role(
    store: Store, app: tuple[Target, str]
) -> None:
    user = await store.run(lambda conn: conn.scalar(sa.text("SELECT current_user")))
    assert user == app[0].settings.url.username
    owner = await store.run(
        lambda conn: conn.scalar(
            sa.text("SELECT tableowner FROM pg_tables WHERE tablename = :name"),
            {"name": store.schema.threads.name},
        )
    )
    assert owner is not None
    assert owner != user


async def test_the_app_role_finds_the_tables_only_through_the_schema_option(
    app: tuple[Target, str],
) -> None:
    """The roles have no search_path of their own: ``schema=`` is what reaches the tables."""
    target, prefix = app
    assert target.settings.schema is not None
    without = Store.from_url(target.settings.url, table_prefix=prefix)
    try:
        with pytest.raises(SchemaNotCurrentError):
            await without.latest().load("t1")
    finally:
        await without.close()
    within = Store.from_url(target.settings.url, table_prefix=prefix, schema=target.settings.schema)
    try:
        assert await within.latest().load("t1") is None
        assert within.tables_schema == target.settings.schema
    finally:
        await within.close()
