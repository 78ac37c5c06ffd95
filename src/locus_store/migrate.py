"""Running the packaged Alembic migrations from code, and the helpers revisions use."""

from __future__ import annotations

import copy
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.schema import CreateIndex, CreateTable
from sqlalchemy.sql.compiler import DDLCompiler

from locus_store.errors import ConfigurationError
from locus_store.schema.tables import DEFAULT_PREFIX, Schema, schema_for
from locus_store.schema.vectors import ORACLE_MAX_DIMS, Distance, require_distance
from locus_store.settings import PREFIX_ENV

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlalchemy.ext.asyncio import AsyncConnection

_log = logging.getLogger(__name__)
_PACKAGE_DIR = Path(__file__).resolve().parent
#: How every prefix's Alembic version table ends (see ``Schema.version_table``).
_VERSION_TABLE_SUFFIX = "_alembic_version"


# Oracle commits each DDL, so a migration that fails half-way keeps what it did, and
# its steps must succeed when run again: the revisions ask for IF [NOT] EXISTS (SQL
# Language Reference 23, CREATE TABLE / CREATE INDEX / DROP INDEX: "IF NOT EXISTS",
# "IF EXISTS"). Two places would drop that guard on Oracle; they are mended here, once.


@compiles(CreateIndex, "oracle")
def _create_index_oracle(element: CreateIndex, compiler: DDLCompiler, **kw: Any) -> str:
    """SQLAlchemy's Oracle compiler renders ``CREATE INDEX`` without ``IF NOT EXISTS``."""
    visit = cast(Callable[..., str], compiler.visit_create_index)  # untyped in SQLAlchemy
    text = visit(element, **kw)
    if element.if_not_exists and " IF NOT EXISTS " not in text:
        text = text.replace("INDEX ", "INDEX IF NOT EXISTS ", 1)
    return text


@compiles(CreateTable, "oracle")
def _create_table_oracle(element: CreateTable, compiler: DDLCompiler, **kw: Any) -> str:
    """Alembic's offline script creates its version table unguarded.

    Online, Alembic checks that the table exists first; a script cannot, so a DBA who
    runs the script again after a failure in the first revision (the version table
    exists, still empty) would stop at that first statement.
    """
    if element.element.name.endswith(_VERSION_TABLE_SUFFIX) and not element.if_not_exists:
        element = copy.copy(element)
        element.if_not_exists = True
    visit = cast(Callable[..., str], compiler.visit_create_table)  # untyped in SQLAlchemy
    return visit(element, **kw)


def migrations_path() -> Path:
    """The migrations folder: packaged inside the wheel, or the repository's own."""
    for candidate in (_PACKAGE_DIR / "_migrations", _PACKAGE_DIR.parent.parent / "migrations"):
        if (candidate / "env.py").is_file():
            return candidate
    raise FileNotFoundError("locus_store migrations are missing from this installation")


def alembic_config(prefix: str = DEFAULT_PREFIX, url: str | None = None) -> Config:
    """An Alembic ``Config`` for the packaged migrations, without any ``alembic.ini``."""
    config = Config()
    config.set_main_option("script_location", str(migrations_path()))
    config.set_main_option("locus_store.table_prefix", prefix)
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def config_prefix(config: Config) -> str:
    """The table prefix of a migration run: ``-x prefix=``, then the ini, then the environment."""
    prefix = (
        config.attributes.get("table_prefix")
        or x_arguments(config).get("prefix")
        or config.get_main_option("locus_store.table_prefix")
        or os.environ.get(PREFIX_ENV)
        or DEFAULT_PREFIX
    )
    return str(prefix)


def x_arguments(config: Config) -> dict[str, str]:
    """The ``-x key=value`` arguments of an ``alembic`` command line."""
    raw = getattr(config.cmd_opts, "x", None) or []
    return dict(item.split("=", 1) for item in raw if "=" in item)


#: Embedding dimensions of the memory vectors when a migration is not told otherwise.
DEFAULT_MEMORY_DIMS = 1536
DEFAULT_MEMORY_DISTANCE = "cosine"


def memory_vector_options(config: Config) -> tuple[int, Distance]:
    """The memory vectors' dimensions and distance for a migration run.

    ``store.upgrade(memory_dims=, memory_distance=)``, then ``-x memory_dims=N -x
    memory_distance=cosine|dot|l2``, then the defaults (1536, cosine).
    """
    given = x_arguments(config)
    dims = config.attributes.get("memory_dims") or given.get("memory_dims") or DEFAULT_MEMORY_DIMS
    distance = (
        config.attributes.get("memory_distance")
        or given.get("memory_distance")
        or DEFAULT_MEMORY_DISTANCE
    )
    return require_dims(dims), require_distance(distance)


def require_dims(value: object) -> int:
    """Vector dimensions: a positive integer (a string from the command line is read)."""
    try:
        dims = int(value) if isinstance(value, str | int) and not isinstance(value, bool) else 0
    except ValueError:
        dims = 0
    if not 0 < dims <= ORACLE_MAX_DIMS:
        raise ConfigurationError(
            f"memory_dims must be an integer from 1 to {ORACLE_MAX_DIMS}, not {value!r}"
        )
    return dims


def migration_schema() -> Schema:
    """The schema the running migration applies to (for use inside revision scripts)."""
    from alembic import context

    return schema_for(config_prefix(context.config))


def _run(
    sync_conn: Connection,
    prefix: str,
    direction: str,
    revision: str,
    options: Mapping[str, object],
) -> None:
    config = alembic_config(prefix)
    config.attributes["connection"] = sync_conn
    config.attributes["table_prefix"] = prefix
    config.attributes.update(options)
    before = _current_heads(sync_conn, prefix)
    if direction == "upgrade":
        command.upgrade(config, revision)
    else:
        command.downgrade(config, revision)
    _log_applied(config, prefix, direction, before, _current_heads(sync_conn, prefix))


def _current_heads(sync_conn: Connection, prefix: str) -> tuple[str, ...]:
    opts = {"version_table": schema_for(prefix).version_table}
    return tuple(MigrationContext.configure(sync_conn, opts=opts).get_current_heads())


def _log_applied(
    config: Config,
    prefix: str,
    direction: str,
    before: tuple[str, ...],
    after: tuple[str, ...],
) -> None:
    """One INFO record per revision applied, in the order it was applied."""
    if set(before) == set(after):
        _log.info("%s of prefix %r: already at %s", direction, prefix, _shown(after))
        return
    script = ScriptDirectory.from_config(config)
    if direction == "upgrade":
        steps = list(reversed(list(script.iterate_revisions(after, before))))
    else:
        steps = list(script.iterate_revisions(before, after))
    for step in steps:
        assert step is not None
        down = _shown(_as_tuple(step.down_revision))
        start, end = (down, step.revision) if direction == "upgrade" else (step.revision, down)
        title = (step.doc or "").strip().splitlines()[0] if step.doc else ""
        _log.info("%s of prefix %r: applied %s -> %s (%s)", direction, prefix, start, end, title)


def _as_tuple(revisions: str | Sequence[str] | None) -> tuple[str, ...]:
    if revisions is None:
        return ()
    return (revisions,) if isinstance(revisions, str) else tuple(revisions)


def _shown(revisions: tuple[str, ...]) -> str:
    return ", ".join(revisions) if revisions else "base"


async def run_migrations(
    conn: AsyncConnection,
    prefix: str,
    direction: str,
    revision: str,
    options: Mapping[str, object] | None = None,
) -> None:
    """Upgrade or downgrade the schema of ``prefix`` on ``conn``.

    ``options`` go to the revisions as Alembic config attributes (``memory_dims``,
    ``memory_distance``).
    """
    await conn.run_sync(_run, prefix, direction, revision, dict(options or {}))


#: A placeholder URL for offline scripts: only its dialect matters.
ORACLE_OFFLINE_URL = "oracle+oracledb://schema_owner@oracle"


def offline_sql(
    url: str = ORACLE_OFFLINE_URL,
    prefix: str = DEFAULT_PREFIX,
    revision: str = "head",
    from_revision: str | None = None,
    direction: str = "upgrade",
) -> str:
    """The SQL script ``alembic upgrade --sql`` (or ``downgrade``) prints for ``url``'s dialect.

    A downgrade needs ``from_revision``: a script cannot ask the database where it is.
    """
    import io

    buffer = io.StringIO()
    config = alembic_config(prefix, url)
    config.output_buffer = buffer
    config.attributes["table_prefix"] = prefix
    target = f"{from_revision}:{revision}" if from_revision else revision
    if direction == "upgrade":
        command.upgrade(config, target, sql=True)
    else:
        command.downgrade(config, target, sql=True)
    return buffer.getvalue()
