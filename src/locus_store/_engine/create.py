"""Creating and preparing the engines a store runs on."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any, Literal, get_args

from sqlalchemy import event
from sqlalchemy.engine import URL, Engine
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

from locus_store._engine import json as json_codec
from locus_store._engine.oracle import COMMITS_EACH_STATEMENT, install_oracle_sessions
from locus_store._engine.oracle_errors import install_error_translation
from locus_store._engine.retry import (
    PING_AFTER_IDLE,
    install_disconnect_detection,
    install_idle_ping,
)
from locus_store._engine.sqlite import (
    install_explicit_begin,
    one_trip_connector,
    single_statement_view,
)
from locus_store.errors import ConfigurationError
from locus_store.schema.types import install_oracle_binds
from locus_store.schema.vectors import register_sqlite_functions
from locus_store.settings import ConnectionSettings, async_url, require_supported

#: Seconds a SQLite writer waits for the database lock before "database is locked".
SQLITE_BUSY_TIMEOUT = 30.0

#: How durable a commit is once it returns (see docs/operations.md, "Durability"):
#:
#: - ``"full"`` (the default): it survives a power loss. SQLite syncs its write-ahead
#:   log on every commit (``synchronous=FULL``); PostgreSQL keeps the server's
#:   ``synchronous_commit`` (``on`` unless the DBA chose otherwise);
#: - ``"normal"``: it survives the application and the database process crashing, but
#:   a power loss (or an operating-system crash) may lose the last commits, never
#:   corrupting what is older. SQLite ``synchronous=NORMAL`` in WAL mode; PostgreSQL
#:   ``synchronous_commit=off`` for the store's sessions. Oracle offers no such
#:   choice here (its commits wait for the redo write): ``"normal"`` is refused.
Durability = Literal["full", "normal"]
DURABILITY_LEVELS: tuple[Durability, ...] = get_args(Durability)
_SQLITE_SYNCHRONOUS = {"full": "FULL", "normal": "NORMAL"}


def _require_durability(durability: object, backend: str) -> Durability:
    for level in DURABILITY_LEVELS:
        if durability == level:
            if level == "normal" and backend == "oracle":
                raise ConfigurationError(
                    "durability='normal' is not offered on Oracle: its commits always wait "
                    "for the redo write; use the default durability='full'"
                )
            return level
    raise ConfigurationError(
        f"durability must be one of {', '.join(map(repr, DURABILITY_LEVELS))}, not {durability!r}"
    )


#: Connect arguments that keep every statement on an asyncpg connection unnamed, so that
#: each is parsed and executed in one message sequence (see docs/operations.md, "Behind
#: a connection pooler"): asyncpg's statement cache and SQLAlchemy's prepared-statement
#: cache off. With its cache off, asyncpg sends ``Parse`` again with ``Bind``/``Execute``
#: before ``Sync``, so a pooler in transaction mode cannot split them across server
#: connections; the fast path's ``fetch``/``execute``/``executemany`` get the same.
NO_PREPARED_STATEMENTS = {"statement_cache_size": 0, "prepared_statement_cache_size": 0}


def _without_prepared_statements(url: URL, connect_args: dict[str, Any]) -> None:
    if url.get_backend_name() != "postgresql":
        raise ConfigurationError(
            f"prepared_statements=False is for PostgreSQL behind a connection pooler; "
            f"{url.get_backend_name()} has no server-side prepared statements to turn off"
        )
    for name, value in NO_PREPARED_STATEMENTS.items():
        if connect_args.setdefault(name, value) != value:
            raise ConfigurationError(
                f"prepared_statements=False needs connect_args {name}={value}, "
                f"not {connect_args[name]!r}"
            )


def _sqlite_pragmas(durability: Durability) -> Callable[[Any, Any], None]:
    synchronous = _SQLITE_SYNCHRONOUS[durability]

    def pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT * 1000)}")
        cursor.close()

    return pragmas


def _sqlite_read_only_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Switching the journal to WAL is a write, which a read-only connection refuses.
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT * 1000)}")
    cursor.close()


def _read_only_sqlite_url(url: URL) -> URL:
    """``url``'s SQLite file opened ``mode=ro``: nothing written, no file created."""
    from pathlib import Path

    path = Path(url.database or "").resolve()
    return url.set(database=path.as_uri(), query={**url.query, "mode": "ro", "uri": "true"})


def create_engine_for(
    settings: ConnectionSettings | str | URL,
    *,
    ping_after: float = PING_AFTER_IDLE,
    read_only: bool = False,
    durability: Durability = "full",
    prepared_statements: bool = True,
    schema: str | None = None,
    **options: Any,
) -> AsyncEngine:
    """An ``AsyncEngine`` with the defaults a checkpoint store wants on each backend.

    ``read_only=True`` opens a SQLite file read-only (``mode=ro``): it is neither
    created nor changed, and its journal mode is left as it is. Other backends
    ignore it (grant a read-only role instead).

    Server connections are pinged before use after ``ping_after`` seconds idle in the
    pool (0 pings every checkout); pass ``pool_pre_ping=True`` for SQLAlchemy's own
    ping on every checkout instead.

    ``durability``: ``"full"`` (a returned commit survives a power loss) or
    ``"normal"`` (it survives crashes of the application and the database, not a power
    loss; faster commits on SQLite and PostgreSQL): see `Durability`.

    Errors and SQL logging show no bound values (``hide_parameters=True``) unless
    the caller passes ``hide_parameters=False``. A URL whose backend or driver the
    store does not run on is a `ConfigurationError`.

    ``prepared_statements=False`` (PostgreSQL only; elsewhere a `ConfigurationError`)
    sends no named prepared statement and never executes a statement parsed in an
    earlier round trip: what PgBouncer in transaction or statement mode (before 1.21)
    and similar poolers need. See `NO_PREPARED_STATEMENTS`.

    ``schema``: the PostgreSQL schema or Oracle owner holding the tables, when it is not
    the connecting role's own (a DML-only application role, say). Every connection
    resolves unqualified names there: PostgreSQL's ``search_path`` (the schema, then
    ``public`` for extension types such as pgvector's) sent with the start-up packet,
    Oracle's ``CURRENT_SCHEMA`` set as the connection opens. SQLite has no schemas
    (`ConfigurationError`). Default: ``settings.schema``.
    """
    if not isinstance(settings, ConnectionSettings):
        settings = ConnectionSettings(async_url(settings))
    url = require_supported(settings.url)
    durability = _require_durability(durability, url.get_backend_name())
    connect_args = {**settings.connect_args, **options.pop("connect_args", {})}
    if not isinstance(prepared_statements, bool):
        raise ConfigurationError(
            f"prepared_statements must be True or False, not {prepared_statements!r}"
        )
    if not prepared_statements:
        _without_prepared_statements(url, connect_args)
    schema = schema if schema is not None else settings.schema
    in_schema = _in_schema(url, connect_args, schema) if schema is not None else None
    options.setdefault("hide_parameters", True)
    options.setdefault("json_serializer", json_codec.dumps)
    options.setdefault("json_deserializer", json_codec.loads)
    if url.get_backend_name() == "sqlite":
        memory = url.database in (None, "", ":memory:")
        read_only = read_only and not memory
        if read_only:
            url = _read_only_sqlite_url(url)
        connect_args.setdefault("timeout", SQLITE_BUSY_TIMEOUT)
        if memory:
            options.setdefault("poolclass", StaticPool)
            connect_args.setdefault("check_same_thread", False)
        one_trip = url.get_driver_name() == "aiosqlite" and not (
            {"creator", "async_creator", "isolation_level"} & options.keys()
        )
        if one_trip:
            # Autocommit, one trip to the driver thread per statement, explicit BEGIN
            # for transactions: see locus_store._engine.sqlite.
            options["async_creator"] = one_trip_connector(url, connect_args)
            options["isolation_level"] = "AUTOCOMMIT"
            engine = create_async_engine(url, **options)
            install_explicit_begin(engine.sync_engine)
        else:
            engine = create_async_engine(url, connect_args=connect_args, **options)
        if not memory:
            pragmas = _sqlite_read_only_pragmas if read_only else _sqlite_pragmas(durability)
            event.listen(engine.sync_engine, "connect", pragmas)
        return engine
    if durability == "normal" and url.get_backend_name() == "postgresql":
        # A session setting sent with the connection's start-up packet: no round trip.
        settings_sent = dict(connect_args.get("server_settings") or {})
        settings_sent.setdefault("synchronous_commit", "off")
        connect_args["server_settings"] = settings_sent
    engine = create_async_engine(url, connect_args=connect_args, **options)
    if in_schema is not None:
        event.listen(engine.sync_engine, "connect", in_schema)
    if not options.get("pool_pre_ping"):
        install_idle_ping(engine.sync_engine, ping_after)
    return engine


_SCHEMA_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_$#]{0,127}")


def require_schema(schema: object) -> str:
    """A schema name used as an identifier: a letter, then letters, digits, ``_ $ #``."""
    if not isinstance(schema, str) or not _SCHEMA_NAME.fullmatch(schema):
        raise ConfigurationError(
            f"schema must be 1-128 letters, digits, '_', '$' or '#' starting with a letter, "
            f"not {schema!r}"
        )
    return schema


def _in_schema(
    url: URL, connect_args: dict[str, Any], schema: object
) -> Callable[[Any, Any], None] | None:
    """Make every connection of ``url`` resolve unqualified names in ``schema``."""
    name = require_schema(schema)
    backend = url.get_backend_name()
    if backend == "postgresql":
        settings_sent = dict(connect_args.get("server_settings") or {})
        settings_sent["search_path"] = f'"{name}", public'
        connect_args["server_settings"] = settings_sent
        return None
    if backend == "oracle":
        # python-oracledb, Connection.current_schema: "Setting this value is the same as
        # executing the SQL statement ALTER SESSION SET CURRENT_SCHEMA"; it is sent with
        # the next round trip, so it costs none of its own. Unquoted owner names are
        # upper case.
        owner = name.upper()

        def set_current_schema(_dbapi_connection: Any, record: Any) -> None:
            record.driver_connection.current_schema = owner

        return set_current_schema
    raise ConfigurationError(
        f"schema= needs PostgreSQL or Oracle; {backend} has no schemas (use a table prefix)"
    )


def prepare_engine(engine: AsyncEngine) -> None:
    """What every engine a store runs on needs: disconnect detection and Oracle's hooks.

    Idempotent, and done once per engine (not per call).
    """
    install_disconnect_detection(engine.sync_engine)
    install_error_translation(engine.sync_engine)
    install_oracle_binds(engine.sync_engine)
    install_oracle_sessions(engine.sync_engine)
    install_sqlite_functions(engine.sync_engine)


def _register_sqlite_functions(dbapi_connection: Any, _record: Any) -> None:
    register_sqlite_functions(dbapi_connection)


def install_sqlite_functions(engine: Engine) -> None:
    """The store's SQL functions on every new SQLite connection (memory vector distance)."""
    if engine.dialect.name == "sqlite" and not event.contains(
        engine, "connect", _register_sqlite_functions
    ):
        event.listen(engine, "connect", _register_sqlite_functions)


def autocommit_view(engine: AsyncEngine) -> AsyncEngine:
    """The view of ``engine`` a store runs single statements on, each committing with itself."""
    sqlite = single_statement_view(engine)
    if sqlite is not None:
        return without_parameters(sqlite)
    if engine.dialect.name == "oracle":
        # Not the AUTOCOMMIT isolation level: resetting it on check-in costs a rollback
        # and an ALTER SESSION (see locus_store._engine.oracle).
        return without_parameters(engine.execution_options(**{COMMITS_EACH_STATEMENT: True}))
    return without_parameters(engine.execution_options(isolation_level="AUTOCOMMIT"))


def without_parameters(view: AsyncEngine) -> AsyncEngine:
    """``view`` (an option view of an engine) with bound values kept out of errors and logs.

    Set on the view only: an application's own engine keeps its setting for its own
    statements, while everything the store sends shows no stored data.
    """
    view.sync_engine.hide_parameters = True
    return view


def engine_for_another_loop(engine: AsyncEngine) -> AsyncEngine:
    """The same engine (dialect, options, listeners) with a connection pool of its own.

    An in-memory SQLite database lives in its one connection: that engine is returned
    itself.
    """
    if isinstance(engine.sync_engine.pool, StaticPool):
        return engine
    sync_engine = copy.copy(engine.sync_engine)
    sync_engine.pool = engine.sync_engine.pool.recreate()
    return AsyncEngine(sync_engine)
