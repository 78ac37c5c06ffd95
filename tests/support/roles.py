"""Least privilege on PostgreSQL: a schema owned by one role, used by another that holds DML only.

The ``postgresql-app`` backend of ``tests/conftest.py`` runs every test parametrised
over ``store`` as the *app* role. Its privileges, and nothing else:

- ``USAGE`` on its own schema (no ``CREATE``: it cannot make or alter a table);
- ``SELECT, INSERT, UPDATE, DELETE`` on the tables of the table prefix, granted by
  the *owner* role after the migrations ran under it (no ``TRUNCATE``, ``REFERENCES``
  or ``TRIGGER``), and ``SELECT`` alone on Alembic's version table (the CLI reads
  the revision before it acts).

Both roles get random passwords and ``search_path`` set to the schema, so a bare URL
(the CLI's) reaches the tables too. Everything is dropped at the end of the session.
"""

from __future__ import annotations

import asyncio
import secrets
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

import asyncpg
from sqlalchemy.engine import URL

from locus_store.schema.tables import schema_for
from locus_store.settings import ConnectionSettings
from tests.support.backends import Target

APP_BACKEND = "postgresql-app"
#: Why DDL tests (``target_for[...]``) are skipped on the app backend.
NO_DDL_REASON = (
    f"{APP_BACKEND} connects as a role without DDL privileges; migrations run as the owner role"
)
DML = ("SELECT", "INSERT", "UPDATE", "DELETE")


@dataclass(frozen=True)
class Roles:
    """The schema and the two roles made for one session."""

    schema: str
    owner: str
    app: str
    owner_url: URL
    app_url: URL


def _run(coro_factory: object) -> None:
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, coro_factory()).result()  # type: ignore[operator]


def _dsn(url: URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _quote(identifier: str) -> str:
    # Only names generated above (hex and underscores) ever reach here.
    assert identifier.replace("_", "").isalnum(), identifier
    return f'"{identifier}"'


async def _create(admin: URL, roles: Roles, passwords: tuple[str, str]) -> None:
    conn = await asyncpg.connect(_dsn(admin))
    try:
        for role, password in zip((roles.owner, roles.app), passwords, strict=True):
            # CREATE ROLE takes no bind parameters; the password is URL-safe base64.
            assert password.replace("-", "").replace("_", "").isalnum()
            await conn.execute(f"CREATE ROLE {_quote(role)} LOGIN PASSWORD '{password}'")
            # No search_path for either role: the store finds its schema through
            # ``schema=`` (ConnectionSettings.schema), as an application would.
        schema, owner = _quote(roles.schema), _quote(roles.owner)
        await conn.execute(f"CREATE SCHEMA {schema} AUTHORIZATION {owner}")
        await conn.execute(f"GRANT USAGE ON SCHEMA {_quote(roles.schema)} TO {_quote(roles.app)}")
    finally:
        await conn.close()


async def _drop(admin: URL, roles: Roles) -> None:
    conn = await asyncpg.connect(_dsn(admin))
    try:
        await conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = ANY($1)",
            [roles.owner, roles.app],
        )
        await conn.execute(f"DROP SCHEMA IF EXISTS {_quote(roles.schema)} CASCADE")
        for role in (roles.app, roles.owner):
            await conn.execute(f"DROP OWNED BY {_quote(role)}")
            await conn.execute(f"DROP ROLE {_quote(role)}")
    finally:
        await conn.close()


def grant_dml(roles: Roles, prefix: str) -> None:
    """As the owner: DML on the prefix's tables and reading the schema version, to the app role."""
    tables_of = schema_for(prefix)
    names = [t.name for t in tables_of.metadata.sorted_tables]
    schema = _quote(roles.schema)

    async def grant() -> None:
        conn = await asyncpg.connect(_dsn(roles.owner_url))
        try:
            # Only the tables the migrations made (no memory vectors without pgvector).
            made = [
                n for n in names if await conn.fetchval("SELECT to_regclass($1)", f"{schema}.{n}")
            ]
            tables = ", ".join(f"{schema}.{_quote(n)}" for n in made)
            await conn.execute(f"GRANT {', '.join(DML)} ON {tables} TO {_quote(roles.app)}")
            # The CLI checks the revision before it acts; it never changes it.
            await conn.execute(
                f"GRANT SELECT ON {schema}.{_quote(tables_of.version_table)} "
                f"TO {_quote(roles.app)}"
            )
        finally:
            await conn.close()

    _run(grant)


@contextmanager
def least_privilege(admin: Target) -> Iterator[Roles]:
    """Create the schema and the owner and app roles on ``admin``'s server; drop them after."""
    tag = uuid.uuid4().hex[:10]
    passwords = (secrets.token_urlsafe(18), secrets.token_urlsafe(18))
    base = admin.settings.url
    roles = Roles(
        schema=f"locus_lp_{tag}",
        owner=f"locus_owner_{tag}",
        app=f"locus_app_{tag}",
        owner_url=base.set(username=f"locus_owner_{tag}", password=passwords[0]),
        app_url=base.set(username=f"locus_app_{tag}", password=passwords[1]),
    )
    _run(lambda: _create(base, roles, passwords))
    try:
        yield roles
    finally:
        _run(lambda: _drop(base, roles))


def app_target(roles: Roles) -> Target:
    """The app role's target; migrations use the owner's settings."""
    return Target(
        APP_BACKEND,
        ConnectionSettings(roles.app_url, schema=roles.schema),
        migration_settings=ConnectionSettings(roles.owner_url, schema=roles.schema),
    )
