"""Where the test databases are: SQLite (a temp file), the PostgreSQL server, and Oracle if any.

SQLite and PostgreSQL are required: when PostgreSQL cannot be reached the tests
fail. Oracle is optional: a server from ``LOCUS_TEST_ORACLE_URL``, the notebooks'
``ORACLE_*`` variables (wallet included), or a ``gvenzl/oracle-free`` container
started through testcontainers when a Docker engine answers; otherwise every
Oracle test is skipped with the reason.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from locus_store.settings import (
    ORACLE_REQUIRED_ENV,
    ConnectionSettings,
    async_url,
    settings_from_env,
)

POSTGRES_URL_ENV = "LOCUS_TEST_POSTGRES_URL"
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
ORACLE_URL_ENV = "LOCUS_TEST_ORACLE_URL"
ORACLE_IMAGE = os.environ.get("LOCUS_TEST_ORACLE_IMAGE", "gvenzl/oracle-free:23-slim-faststart")
#: The container's application user (not SYSTEM: Oracle Text indexes belong to an app schema).
ORACLE_APP_USER = "locus_test"
#: What the migrations need beyond the image's CONNECT and RESOURCE: Oracle Text (CTXAPP).
ORACLE_APP_GRANTS = ("CTXAPP", "EXECUTE ON CTXSYS.CTX_DDL", "UNLIMITED TABLESPACE")
#: ``postgresql-app`` is PostgreSQL again, as a role holding only DML on the tables
#: (see ``tests/support/roles.py``).
BACKENDS = ("sqlite", "postgresql", "oracle", "postgresql-app")


@dataclass(frozen=True)
class Target:
    """A database the suite runs against."""

    backend: str
    settings: ConnectionSettings
    #: Who runs the migrations, when not the same role as ``settings``.
    migration_settings: ConnectionSettings | None = None

    @property
    def url(self) -> str:
        return self.settings.url.render_as_string(hide_password=False)

    @property
    def owner_settings(self) -> ConnectionSettings:
        return self.migration_settings or self.settings


def postgres_target() -> Target:
    return Target(
        "postgresql",
        ConnectionSettings(async_url(os.environ.get(POSTGRES_URL_ENV, DEFAULT_POSTGRES_URL))),
    )


#: Dimensions the test schemas' memory vectors are migrated with.
MEMORY_TEST_DIMS = 8
#: The backends with memory vectors: SQLite (exact), the PostgreSQL with pgvector, Oracle.
VECTOR_BACKENDS = ("sqlite", "pgvector", "oracle")


def pgvector_target(url: str) -> Target:
    return Target("pgvector", ConnectionSettings(async_url(url)))


def sqlite_target(path: str) -> Target:
    return Target("sqlite", ConnectionSettings(async_url(f"sqlite:///{path}")))


def docker_answers() -> str | None:
    """None when a Docker engine answers, else why not."""
    try:
        import docker
    except ImportError:  # pragma: no cover - testcontainers brings it
        return "the docker package is not installed"
    try:
        client = docker.from_env(timeout=3)
        client.ping()
        client.close()
    except Exception as exc:
        return f"no Docker engine answers ({type(exc).__name__})"
    return None


@contextmanager
def oracle_target() -> Iterator[Target | str]:
    """Yield an Oracle target, or a string saying why there is none."""
    if os.environ.get(ORACLE_URL_ENV):
        yield Target("oracle", ConnectionSettings(async_url(os.environ[ORACLE_URL_ENV])))
        return
    if all(os.environ.get(name) for name in ORACLE_REQUIRED_ENV):
        yield Target("oracle", settings_from_env())
        return
    why_not = docker_answers()
    if why_not is not None:
        yield (
            f"Oracle tests skipped: {ORACLE_URL_ENV} and ORACLE_DSN/ORACLE_USER/ORACLE_PASSWORD "
            f"are unset and {why_not} to start {ORACLE_IMAGE}"
        )
        return
    from testcontainers.community.oracle import OracleDbContainer

    password = f"Pw{uuid.uuid4().hex[:16]}"
    with OracleDbContainer(ORACLE_IMAGE, username=ORACLE_APP_USER, password=password) as container:
        grant_app_user(container)
        url = container.get_connection_url().replace("oracle+oracledb://", "oracle://", 1)
        yield Target("oracle", ConnectionSettings(async_url(url)))


def grant_app_user(container: Any) -> None:
    """Give the container's application user what the migrations need, as SYSTEM."""
    import oracledb

    dsn = f"{container.get_container_host_ip()}:{container.get_exposed_port(1521)}/FREEPDB1"
    with (
        oracledb.connect(user="system", password=container.oracle_password, dsn=dsn) as conn,
        conn.cursor() as cursor,
    ):
        for grant in ORACLE_APP_GRANTS:
            cursor.execute(f"GRANT {grant} TO {ORACLE_APP_USER}")


def unique_prefix() -> str:
    return f"t{uuid.uuid4().hex[:10]}"
