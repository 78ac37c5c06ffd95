"""Store: the one owner of connections, and the factory of repositories.

Every repository call goes through `Store.run` (or `Store.execute`,
the same thing for one statement, in one step), so binding to an application's
transaction, autocommit for single statements, the retry-once-on-dead-connection
policy and event-loop changes are written once.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import sys
import warnings
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import orjson
from sqlalchemy import Executable, event
from sqlalchemy.engine import URL, CursorResult, Engine
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.pool import StaticPool
from sqlalchemy.util import greenlet_spawn

from locus_store.disconnects import (
    PING_AFTER_IDLE,
    install_disconnect_detection,
    install_idle_ping,
    is_dead_connection_error,
    is_privilege_error,
    missing_table,
)
from locus_store.errors import (
    AutobeginWarning,
    ConnectionLostError,
    InvalidTypeError,
    LocusStoreError,
    SchemaNotCurrentError,
    SchemaPermissionError,
    StoreUnavailableError,
)
from locus_store.fast_path import (
    KINDS,
    ConnectFailure,
    FastPath,
    Kind,
    StatementFailure,
    row_count,
)
from locus_store.oracle_errors import install_error_translation
from locus_store.oracle_sessions import (
    COMMIT_SENT,
    COMMIT_WITH_THIS,
    COMMITS_EACH_STATEMENT,
    OWNED_TRANSACTION,
    install_oracle_sessions,
)
from locus_store.schema.tables import DEFAULT_PREFIX, Schema, schema_for
from locus_store.schema.types import install_oracle_binds
from locus_store.settings import (
    ConnectionSettings,
    async_url,
    redact,
    require_supported,
    settings_from_env,
)
from locus_store.sqlite_connections import (
    install_explicit_begin,
    one_trip_connector,
    single_statement_view,
)

if TYPE_CHECKING:
    from datetime import timedelta

    from langgraph.checkpoint.serde.base import SerializerProtocol

    from locus_store.erasure import ErasureReport
    from locus_store.langgraph import SQLAlchemySaver
    from locus_store.repositories.latest import LatestCheckpointer
    from locus_store.repositories.versioned import VersionedSaver

_log = logging.getLogger(__name__)

T = TypeVar("T")
Work = Callable[[AsyncConnection], Awaitable[T]]
#: Bind parameters of one statement: one mapping, or several for an executemany.
Parameters = Mapping[str, Any] | Sequence[Mapping[str, Any]] | None
_Phase = Literal["connect", "work", "commit"]

#: Seconds a SQLite writer waits for the database lock before "database is locked".
SQLITE_BUSY_TIMEOUT = 30.0


#: orjson leaves datetimes, dataclasses and subclasses of built-in types to the
#: standard library, which has the final word on what is JSON.
_ORJSON_OPTIONS = (
    orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_SUBCLASS
)


def _compact_json(value: Any) -> str:
    """Compact JSON text: orjson (tens of times faster), else the standard library.

    Values reach here validated (``require_json``); what orjson refuses (integers
    beyond 64 bits, non-str keys, ...) is encoded by ``json`` as before.
    """
    try:
        return orjson.dumps(value, option=_ORJSON_OPTIONS).decode()
    except TypeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


#: Each byte of JSON text as ``0`` if it is a digit, else a space.
_DIGITS_AS_ZEROS = bytes(0x30 if 0x30 <= b <= 0x39 else 0x20 for b in range(256))
#: 19 digits in a row: the shortest text that may be an integer beyond 64 bits.
_LONG_NUMBER = b"0" * 19
#: Longest JSON text parsed with orjson. Its parser's working memory grows to many
#: times the text (about 13x at 10 MB), and past a few hundred kilobytes it is no
#: faster than ``json`` once the digit scan below is paid for.
ORJSON_MAX_BYTES = 64 * 1024


def _json_loads(text: str | bytes) -> Any:
    """Parse JSON text: orjson for short text (several times faster), else ``json``.

    orjson reads an integer beyond 64 bits as a float; text with a run of 19
    digits anywhere (such an integer, or only a long number inside a string) is
    left to ``json``, which keeps every integer exact, as is text orjson refuses.
    """
    if isinstance(text, str) and len(text) <= ORJSON_MAX_BYTES:
        raw = text.encode(errors="surrogatepass")
    elif isinstance(text, bytes):
        raw = text
    else:  # long text; or SQLite handing back a JSON number as a number (json raises)
        return json.loads(text)
    if len(raw) <= ORJSON_MAX_BYTES and _LONG_NUMBER not in raw.translate(_DIGITS_AS_ZEROS):
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass
    return json.loads(text)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT * 1000)}")
    cursor.close()


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
    **options: Any,
) -> AsyncEngine:
    """An ``AsyncEngine`` with the defaults a checkpoint store wants on each backend.

    ``read_only=True`` opens a SQLite file read-only (``mode=ro``): it is neither
    created nor changed, and its journal mode is left as it is. Other backends
    ignore it (grant a read-only role instead).

    Server connections are pinged before use after ``ping_after`` seconds idle in the
    pool (0 pings every checkout); pass ``pool_pre_ping=True`` for SQLAlchemy's own
    ping on every checkout instead.

    Errors and SQL logging show no bound values (``hide_parameters=True``) unless
    the caller passes ``hide_parameters=False``. A URL whose backend or driver the
    store does not run on is a `ConfigurationError`.
    """
    if not isinstance(settings, ConnectionSettings):
        settings = ConnectionSettings(async_url(settings))
    url = require_supported(settings.url)
    connect_args = {**settings.connect_args, **options.pop("connect_args", {})}
    options.setdefault("hide_parameters", True)
    options.setdefault("json_serializer", _compact_json)
    options.setdefault("json_deserializer", _json_loads)
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
            # for transactions: see locus_store.sqlite_connections.
            options["async_creator"] = one_trip_connector(url, connect_args)
            options["isolation_level"] = "AUTOCOMMIT"
            engine = create_async_engine(url, **options)
            install_explicit_begin(engine.sync_engine)
        else:
            engine = create_async_engine(url, connect_args=connect_args, **options)
        if not memory:
            pragmas = _sqlite_read_only_pragmas if read_only else _sqlite_pragmas
            event.listen(engine.sync_engine, "connect", pragmas)
        return engine
    engine = create_async_engine(url, connect_args=connect_args, **options)
    if not options.get("pool_pre_ping"):
        install_idle_ping(engine.sync_engine, ping_after)
    return engine


def prepare_engine(engine: AsyncEngine) -> None:
    """What every engine a store runs on needs: disconnect detection and Oracle's hooks.

    Idempotent, and done once per engine (not per call).
    """
    install_disconnect_detection(engine.sync_engine)
    install_error_translation(engine.sync_engine)
    install_oracle_binds(engine.sync_engine)
    install_oracle_sessions(engine.sync_engine)


def _autocommit_view(engine: AsyncEngine) -> AsyncEngine:
    """The view of ``engine`` a store runs single statements on, each committing with itself."""
    sqlite = single_statement_view(engine)
    if sqlite is not None:
        return _without_parameters(sqlite)
    if engine.dialect.name == "oracle":
        # Not the AUTOCOMMIT isolation level: resetting it on check-in costs a rollback
        # and an ALTER SESSION (see locus_store.oracle_sessions).
        return _without_parameters(engine.execution_options(**{COMMITS_EACH_STATEMENT: True}))
    return _without_parameters(engine.execution_options(isolation_level="AUTOCOMMIT"))


def _without_parameters(view: AsyncEngine) -> AsyncEngine:
    """``view`` (an option view of an engine) with bound values kept out of errors and logs.

    Set on the view only: an application's own engine keeps its setting for its own
    statements, while everything the store sends shows no stored data.
    """
    view.sync_engine.hide_parameters = True
    return view


def _not_an_engine(engine: object) -> str:
    if isinstance(engine, str | URL):
        return f"Store() takes an AsyncEngine, not a URL: use Store.from_url({redact(engine)!r})"
    if isinstance(engine, Engine):
        return (
            "Store() takes an AsyncEngine, not a synchronous Engine: build one with "
            "sqlalchemy.ext.asyncio.create_async_engine(url), or use Store.from_url(url)"
        )
    if isinstance(engine, ConnectionSettings):
        return "Store() takes an AsyncEngine: use Store.from_settings(settings)"
    return (
        f"Store() takes an AsyncEngine, not {type(engine).__name__}: for a URL use "
        "Store.from_url(url)"
    )


class Store:
    """A checkpoint store over one ``AsyncEngine`` and one table prefix.

    Build it with `from_url`, `from_env`, or ``Store(engine)`` for an
    application's existing engine. Repositories come from `latest`,
    `versioned`; `bind` runs them inside the caller's transaction.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        table_prefix: str = DEFAULT_PREFIX,
        _bound: AsyncConnection | AsyncSession | None = None,
        _owns_engine: bool = False,
    ) -> None:
        if not isinstance(engine, AsyncEngine):
            raise InvalidTypeError(_not_an_engine(engine))
        prepare_engine(engine)
        self._engine = engine
        self._autocommit = _autocommit_view(engine)
        self._transactional = _without_parameters(engine.execution_options())
        self._fast = FastPath.for_engine(engine)
        self.schema: Schema = schema_for(table_prefix)
        self._bound = _bound
        self._owns_engine = _owns_engine
        self._loop: asyncio.AbstractEventLoop | None = None

    # -- construction -------------------------------------------------------------
    @classmethod
    def from_url(
        cls, url: str | URL, *, table_prefix: str = DEFAULT_PREFIX, **engine_options: Any
    ) -> Store:
        """A store on ``url`` (``postgresql://`` and ``sqlite:///`` get their async drivers)."""
        schema_for(table_prefix)  # refuse a bad prefix before building anything
        return cls(
            create_engine_for(url, **engine_options), table_prefix=table_prefix, _owns_engine=True
        )

    @classmethod
    def from_settings(
        cls,
        settings: ConnectionSettings,
        *,
        table_prefix: str = DEFAULT_PREFIX,
        **engine_options: Any,
    ) -> Store:
        schema_for(table_prefix)
        return cls(
            create_engine_for(settings, **engine_options),
            table_prefix=table_prefix,
            _owns_engine=True,
        )

    @classmethod
    def from_env(cls, *, table_prefix: str | None = None, **engine_options: Any) -> Store:
        """Oracle from ``ORACLE_*`` (wallet included), else ``LOCUS_STORE_URL``, else SQLite."""
        import os

        from locus_store.settings import PREFIX_ENV

        prefix = table_prefix or os.environ.get(PREFIX_ENV) or DEFAULT_PREFIX
        return cls.from_settings(settings_from_env(), table_prefix=prefix, **engine_options)

    @property
    def engine(self) -> AsyncEngine:
        return self._engine

    @property
    def table_prefix(self) -> str:
        return self.schema.prefix

    @property
    def dialect_name(self) -> str:
        return self._engine.dialect.name

    def __repr__(self) -> str:
        bound = ", bound" if self._bound is not None else ""
        return f"Store({redact(self._engine.url)!r}, table_prefix={self.table_prefix!r}{bound})"

    # -- schema ---------------------------------------------------------------------
    async def upgrade(self, revision: str = "head") -> None:
        """Run the packaged Alembic migrations up to ``revision`` on this store's database.

        Needs a role that may change the schema (its owner): with one that may not,
        `SchemaPermissionError`, and nothing is changed (one transaction where
        the database has transactional DDL).
        """
        await self._migrate("upgrade", revision)

    async def downgrade(self, revision: str = "base") -> None:
        """Run the packaged Alembic migrations down to ``revision`` (same role as ``upgrade``)."""
        await self._migrate("downgrade", revision)

    async def _migrate(self, direction: str, revision: str) -> None:
        from locus_store.migrate import run_migrations

        try:
            await self.run(
                lambda conn: run_migrations(conn, self.table_prefix, direction, revision),
                atomic=True,
                retry=False,
                autocommit=False,
            )
        except DBAPIError as exc:
            if not is_privilege_error(exc):
                raise
            raise SchemaPermissionError(
                f"the role of {redact(self._engine.url)} may not change the schema; "
                f"run the migrations as the schema's owner (locus-store {direction} "
                f"--url <owner's URL>): {_reason(exc)}"
            ) from exc

    # -- repositories -----------------------------------------------------------------
    def latest(self, *, ttl: timedelta | float | None = None) -> LatestCheckpointer:
        """The single-row checkpointer (one row per thread, latest wins).

        ``ttl``: how long a save stays visible, a ``timedelta`` or a positive number of
        seconds.
        """
        from locus_store.repositories.latest import LatestCheckpointer

        return LatestCheckpointer(self, ttl=ttl)

    def versioned(self) -> VersionedSaver:
        """The versioned saver (lineage of checkpoints plus pending writes)."""
        from locus_store.repositories.versioned import VersionedSaver

        return VersionedSaver(self)

    def langgraph_saver(self, *, serde: SerializerProtocol | None = None) -> SQLAlchemySaver:
        """The LangGraph checkpoint saver on this store (needs the ``langgraph`` extra)."""
        from locus_store.langgraph import SQLAlchemySaver

        return SQLAlchemySaver(self, serde=serde)

    async def erase_thread(self, thread_id: str, *, dry_run: bool = False) -> ErasureReport:
        """Delete ``thread_id`` from every table (single-row, versioned with its writes,
        LangGraph checkpoints, writes and values) in one transaction.

        Returns an `ErasureReport` of the rows removed per table (false when the thread
        had none); ``dry_run=True`` counts them and deletes nothing. Export the thread
        first (`locus_store.transfer`, ``locus-store export``) to keep a copy.
        """
        from locus_store.erasure import erase_thread

        return await erase_thread(self, thread_id, dry_run=dry_run)

    def bind(self, target: AsyncConnection | AsyncSession) -> Store:
        """A view of this store whose repositories run inside ``target``'s transaction.

        The view never commits or rolls back: the caller's transaction decides. Begin
        it first (``async with session.begin():`` or ``async with conn.begin():``): a
        write through a target with no transaction begun still runs, in the transaction
        SQLAlchemy begins on first use (autobegin), which lasts only if the caller
        commits it, so such a write issues an `AutobeginWarning`.
        """
        if not isinstance(target, AsyncConnection | AsyncSession):
            raise TypeError("bind() takes an AsyncConnection or an AsyncSession")
        return Store(self._engine, table_prefix=self.table_prefix, _bound=target)

    @property
    def is_bound(self) -> bool:
        return self._bound is not None

    # -- the one connection owner ----------------------------------------------------------
    async def run(
        self,
        work: Work[T],
        *,
        atomic: bool = False,
        retry: bool = True,
        autocommit: bool = True,
    ) -> T:
        """Run ``work(connection)`` and return its result.

        ``atomic=False`` is for a single statement: it runs in autocommit mode, with
        no separate BEGIN/COMMIT. ``atomic=True`` (or ``autocommit=False``) wraps the
        work in one transaction (a savepoint when bound).

        When the connection turns out to be dead:

        - before COMMIT, the server has rolled the transaction back, so the work is run
          again once on a fresh connection if ``retry``; a single statement is run again
          too (its work must be safe to apply twice, or detect that it was applied);
        - during COMMIT, the outcome is unknown: `ConnectionLostError`, no retry;
        - with no retry left: `ConnectionLostError` for a single statement (it
          may have been applied), `StoreUnavailableError` for a transaction
          (it was rolled back).

        A missing table of this store's prefix is a `SchemaNotCurrentError`; no error
        raised from here carries bound values.
        """
        try:
            if self._bound is not None:
                self._warn_if_autobegin()
                return await self._run_bound(work, atomic)
            return await self._run_pooled(work, atomic, retry, autocommit)
        except Exception as exc:
            error = self._reported(exc)
            if error is exc:
                raise
            raise error from exc

    async def _run_bound(self, work: Work[T], atomic: bool) -> T:
        assert self._bound is not None
        conn = (
            await self._bound.connection() if isinstance(self._bound, AsyncSession) else self._bound
        )
        if atomic:
            async with conn.begin_nested():
                return await work(conn)
        return await work(conn)

    async def _run_pooled(self, work: Work[T], atomic: bool, retry: bool, autocommit: bool) -> T:
        if self._loop is not asyncio.get_running_loop():
            await self._follow_event_loop()
        single = autocommit and not atomic
        engine = self._autocommit if single else self._transactional
        attempts = 2 if retry else 1
        for attempt in range(1, attempts + 1):
            retry_left = attempt < attempts
            try:
                conn = await engine.connect()
            except Exception as exc:
                self._failed(exc, phase="connect", retry_left=retry_left, single=single)
                continue
            phase: _Phase = "work"
            info = conn.info  # the pooled connection's: still readable once it is dead
            try:
                if single:
                    return await work(conn)
                info[OWNED_TRANSACTION] = True
                transaction = await conn.begin()
                result = await work(conn)
                phase = "commit"
                await transaction.commit()
                return result
            except Exception as exc:
                if info.get(COMMIT_SENT):
                    # The statement carrying the commit was sent: lost with it, the
                    # outcome is unknown, as for a COMMIT.
                    phase = "commit"
                self._failed(exc, phase=phase, retry_left=retry_left, single=single)
            finally:
                info.pop(OWNED_TRANSACTION, None)
                info.pop(COMMIT_SENT, None)
                await _close_quietly(conn)
        raise AssertionError("unreachable")  # pragma: no cover

    async def execute(
        self,
        statement: Executable,
        parameters: Parameters,
        result: Callable[[CursorResult[Any]], T],
        *,
        savepoint: bool = False,
    ) -> T:
        """Run one statement on its own and return ``result(cursor_result)``.

        What `run` does for a single statement (autocommit, no BEGIN/COMMIT,
        the same retry on a dead connection), in one step: connecting, executing and
        returning the connection happen together instead of one await each, which
        is most of the cost of a small read. ``result`` must consume what it needs
        (``CursorResult.all``, ``.first``, ``.rowcount``): the connection goes back
        to the pool as soon as it returns. ``savepoint`` matters only when bound:
        the statement then runs in a savepoint, so its failure leaves the caller's
        transaction usable.

        With `first_row`,
        `all_rows` or
        `row_count` as ``result``, a statement the store
        runs again and again goes straight to the driver on PostgreSQL (asyncpg) and
        SQLite, compiled once (see `locus_store.fast_path`); rows then are named
        tuples. A list of parameter sets (an executemany, with ``row_count``) is
        applied all or nothing.
        """
        try:
            if self._bound is not None:

                async def work(conn: AsyncConnection) -> T:
                    return result(await conn.execute(statement, parameters))

                if not getattr(statement, "is_select", False):
                    self._warn_if_autobegin()
                return await self._run_bound(work, savepoint)
            return await self._execute_pooled(statement, parameters, result)
        except Exception as exc:
            error = self._reported(exc)
            if error is exc:
                raise
            raise error from exc

    async def _execute_pooled(
        self,
        statement: Executable,
        parameters: Parameters,
        result: Callable[[CursorResult[Any]], T],
    ) -> T:
        if self._loop is not asyncio.get_running_loop():
            await self._follow_event_loop()
        if parameters is not None and not isinstance(parameters, Mapping):
            return await self._execute_many(statement, parameters, result)
        engine = self._autocommit.sync_engine
        attempts: tuple[bool, ...] = (True, False)
        fast, kind = self._fast, KINDS.get(result)
        plan = None if fast is None or kind is None else fast.plan(engine, statement, parameters)
        if plan is not None and (kind is Kind.ROWCOUNT or plan.row is not None):
            # (rows only from statements whose columns are known: not a bare text())
            assert fast is not None and kind is not None
            outcome = await greenlet_spawn(
                fast.run, self._engine.sync_engine, plan, parameters, kind
            )
            if isinstance(outcome, ConnectFailure):
                self._failed(outcome.error, phase="connect", retry_left=True, single=True)
                attempts = (False,)  # that was the first attempt
            elif isinstance(outcome, StatementFailure):
                # It changed nothing: it runs again below, where its error is raised as
                # SQLAlchemy raises it; after a lost connection that is the one retry.
                if outcome.dead:
                    self._log_retry("work", outcome.error)
                    attempts = (False,)
            else:
                return outcome  # type: ignore[no-any-return]
        for retry_left in attempts:
            try:
                outcome = await greenlet_spawn(_execute_once, engine, statement, parameters, result)
            except Exception as exc:
                self._failed(exc, phase="work", retry_left=retry_left, single=True)
                continue
            if isinstance(outcome, ConnectFailure):
                self._failed(outcome.error, phase="connect", retry_left=retry_left, single=True)
                continue
            return outcome  # type: ignore[no-any-return]
        raise AssertionError("unreachable")  # pragma: no cover

    async def _execute_many(
        self,
        statement: Executable,
        parameters: Sequence[Mapping[str, Any]],
        result: Callable[[CursorResult[Any]], T],
    ) -> T:
        """An executemany, all or nothing: one batch on the fast path, else one transaction."""
        fast = self._fast
        if fast is not None and result is row_count:
            plan = fast.plan(self._autocommit.sync_engine, statement, parameters)
            if plan is not None:
                outcome = await greenlet_spawn(
                    fast.run, self._engine.sync_engine, plan, parameters, Kind.MANY
                )
                if not isinstance(outcome, ConnectFailure | StatementFailure):
                    return outcome  # type: ignore[no-any-return]
                # Nothing was applied: again in a transaction, for SQLAlchemy's error.

        async def work(conn: AsyncConnection) -> T:
            return result(
                await conn.execute(statement, parameters, execution_options=COMMIT_WITH_THIS)
            )

        return await self._run_pooled(work, True, True, True)

    def _failed(self, exc: Exception, *, phase: _Phase, retry_left: bool, single: bool) -> None:
        """What a failed attempt means: return to try again, or raise the error to report.

        A dead connection before COMMIT is retried while a retry is left; then it is a
        `ConnectionLostError` for a single statement (it may have been applied)
        and a `StoreUnavailableError` for a transaction (it was rolled back).
        During COMMIT the outcome is unknown: `ConnectionLostError`, no retry.
        Any other error is raised as it is.
        """
        url = redact(self._engine.url)
        if phase == "connect":
            if not _is_connect_failure(exc):
                raise exc
            if retry_left and is_dead_connection_error(exc):
                self._log_retry(phase, exc)
                return
            raise StoreUnavailableError(f"cannot connect to {url}: {_reason(exc)}") from None
        if not is_dead_connection_error(exc):
            raise exc
        if phase == "commit":
            raise ConnectionLostError(
                f"lost the connection to {url} during COMMIT; "
                f"the transaction may or may not have been applied: {_reason(exc)}"
            ) from exc
        if retry_left:
            self._log_retry(phase, exc)
            return
        if single:
            raise ConnectionLostError(
                f"lost the connection to {url}; the statement "
                f"may or may not have been applied: {_reason(exc)}"
            ) from exc
        raise StoreUnavailableError(
            f"lost the connection to {url} before COMMIT; "
            f"the transaction was rolled back: {_reason(exc)}"
        ) from exc

    def _log_retry(self, phase: _Phase, exc: BaseException) -> None:
        what = "connecting" if phase == "connect" else "the call"
        _log.info(
            "the connection to %s died (%s, during %s); retrying on a fresh connection "
            "(attempt 2 of 2)",
            redact(self._engine.url),
            type(getattr(exc, "orig", None) or exc).__name__,
            what,
        )

    def _warn_if_autobegin(self) -> None:
        assert self._bound is not None
        if self._bound.in_transaction():
            return
        kind = "session" if isinstance(self._bound, AsyncSession) else "connection"
        warnings.warn(
            f"this store is bound to a {kind} with no transaction begun: SQLAlchemy begins "
            f"one for this write (autobegin), and it lasts only if you commit it "
            f"(await {kind}.commit()); begin the transaction first "
            f"(async with {kind}.begin(): ...)",
            AutobeginWarning,
            stacklevel=_stacklevel_outside_package(),
        )

    def _reported(self, exc: Exception) -> Exception:
        """The error a failed call raises: ``exc`` without its bound values, or, for a
        missing table of this prefix, a `SchemaNotCurrentError` saying how to create it.

        Only failures come here: a call that succeeds pays for no check.
        """
        _hide_parameters(exc)
        if isinstance(exc, LocusStoreError):
            return exc
        table = missing_table(exc)
        if table is None or not self._owns_table(table, exc):
            return exc
        prefix = self.table_prefix
        missing = f"the table {table.lower()}" if table else "a table"
        return SchemaNotCurrentError(
            f"{missing} of prefix {prefix!r} does not exist in {redact(self._engine.url)}: "
            f"the schema is missing or behind this package; create or update it with "
            f"`await store.upgrade()` or `locus-store --prefix {prefix} upgrade` "
            "(or check the URL and the table prefix)"
        )

    def _owns_table(self, table: str, exc: BaseException) -> bool:
        own = self.table_prefix + "_"
        if table:
            return table.lower().startswith(own)
        # Oracle before 23ai does not name the table: the statement must name one of ours.
        statements = [e.statement for e in _chain(exc) if isinstance(e, StatementError)]
        named = re.compile(rf"\b{re.escape(own)}\w", re.I)
        return any(s and named.search(s) for s in statements)

    async def _follow_event_loop(self) -> None:
        """Release pooled connections that belong to another event loop than the running one."""
        loop = asyncio.get_running_loop()
        previous, self._loop = self._loop, loop
        if previous is not None:
            await _release_other_loops_connections(self._engine)

    async def close(self) -> None:
        """Release pooled connections (the engine is disposed only if this store created it)."""
        if self._bound is not None:
            return
        if self._owns_engine:
            if self._loop is not None and self._loop is not asyncio.get_running_loop():
                await _release_other_loops_connections(self._engine)
            else:
                await self._engine.dispose()
        self._loop = None

    async def __aenter__(self) -> Store:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


def _execute_once(
    engine: Engine,
    statement: Executable,
    parameters: Parameters,
    result: Callable[[CursorResult[Any]], T],
) -> T | ConnectFailure:
    """Check out a connection, run ``statement`` and check it back in: one greenlet, no awaits."""
    try:
        conn = engine.connect()
    except Exception as exc:
        return ConnectFailure(exc)
    try:
        return result(conn.execute(statement, parameters))
    finally:
        try:
            conn.close()
        except Exception as exc:
            if not is_dead_connection_error(exc):
                raise


async def _release_other_loops_connections(engine: AsyncEngine) -> None:
    """Empty ``engine``'s pool of connections opened on another event loop."""
    if engine.dialect.driver == "aiosqlite":
        # aiosqlite answers whichever loop awaits it, so they are closed here. Dropped
        # instead, each would keep its driver thread, and one garbage-collected after
        # its loop closed fails in that thread ("Event loop is closed").
        await engine.dispose()
    else:
        # close=False: asyncpg's and python-oracledb's connections are tied to the
        # old loop's transports and cannot be closed from this loop.
        engine.sync_engine.dispose(close=False)


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and the errors it was raised from or while handling."""
    seen: list[BaseException] = []
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop()
        if current is None or any(current is s for s in seen):
            continue
        seen.append(current)
        pending += [current.__cause__, current.__context__]
    return seen


def _hide_parameters(exc: BaseException) -> None:
    """Keep bound values out of ``exc`` and its chain (a caller's engine may show them)."""
    for error in _chain(exc):
        if isinstance(error, StatementError):
            error.hide_parameters = True


def _stacklevel_outside_package() -> int:
    """The ``stacklevel`` of the first frame outside locus_store (a warning points there)."""
    frame, level = sys._getframe(1), 1
    while frame.f_back is not None and frame.f_globals.get("__name__", "").startswith(
        "locus_store."
    ):
        frame, level = frame.f_back, level + 1
    return level


def _is_connect_failure(exc: BaseException) -> bool:
    return isinstance(exc, DBAPIError | OSError)


async def _close_quietly(conn: AsyncConnection) -> None:
    """Return ``conn`` to the pool; a dead one is discarded without hiding the outcome."""
    try:
        await conn.close()
    except Exception as exc:
        if not is_dead_connection_error(exc):
            raise


def _reason(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    return f"{type(orig).__name__}: {str(orig).splitlines()[0] if str(orig) else ''}"
