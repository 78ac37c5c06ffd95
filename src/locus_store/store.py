"""Store: the one owner of connections, and the factory of repositories.

Every repository call goes through one of `Store`'s call methods, named for what
the call wants back: `Store.fetch_all`, `Store.fetch_one`, `Store.row_count` and
`Store.execute_many` for one statement, `Store.run` for work on a connection
(``atomic=True``: one transaction). So binding to an application's transaction
(`Store.bind`, a `BoundStore`), autocommit for single statements, the retry policy
(`locus_store._engine.retry.classify`, one attempt loop) and event-loop changes are
written once.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
import re
import warnings
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Executable
from sqlalchemy.engine import URL, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, StatementError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from locus_store._engine.create import (
    autocommit_view,
    create_engine_for,
    engine_for_another_loop,
    prepare_engine,
    without_parameters,
)
from locus_store._engine.fast_path import (
    ConnectFailure,
    FastPath,
    Kind,
    Record,
    StatementFailure,
)
from locus_store._engine.greenlets import run_in_greenlet
from locus_store._engine.oracle import COMMIT_SENT, COMMIT_WITH_THIS, OWNED_TRANSACTION
from locus_store._engine.retry import (
    Phase,
    classify,
    describe,
    errors_under,
    is_dead_connection_error,
    is_privilege_error,
    missing_table,
)
from locus_store.errors import (
    AutobeginWarning,
    ConstraintError,
    InvalidTypeError,
    LocusStoreError,
    SchemaNotCurrentError,
    SchemaPermissionError,
)
from locus_store.schema.tables import DEFAULT_PREFIX, Schema, schema_for
from locus_store.settings import (
    PREFIX_ENV,
    SCHEMA_ENV,
    ConnectionSettings,
    redact,
    settings_from_env,
)
from locus_store.sql.statements import Dialect, dialect_of

if TYPE_CHECKING:
    from datetime import timedelta

    from langgraph.checkpoint.serde.base import SerializerProtocol

    from locus_store.langgraph.saver import SQLAlchemySaver
    from locus_store.latest.checkpointer import LatestCheckpointer
    from locus_store.memory.langgraph_store import SQLAlchemyStore
    from locus_store.memory.locus_store import Embed, MemoryStore
    from locus_store.ops.erase import ErasureReport
    from locus_store.ops.threads import Progress
    from locus_store.ops.vacuum import VacuumReport
    from locus_store.versioned.saver import VersionedSaver

__all__ = ["BoundStore", "Record", "Store", "create_engine_for"]

_log = logging.getLogger(__name__)

T = TypeVar("T")
Work = Callable[[AsyncConnection], Awaitable[T]]
#: Bind parameters of one statement.
Parameters = Mapping[str, Any] | None


class _Attempt:
    """How far one attempt got (the phase its failure is judged by)."""

    __slots__ = ("dead", "first", "phase")

    def __init__(self, first: bool) -> None:
        self.first = first
        self.phase: Phase = "connect"
        #: The attempt saw its connection die (the driver closed it under the error).
        self.dead = False


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

    Build it with `from_url`, `from_env`, or ``Store(engine)`` for an application's
    existing engine (``dispose_engine=True`` hands the engine over: `close`
    disposes it). Repositories come from `latest`, `versioned` and
    `langgraph_saver`; `bind` runs them inside the caller's transaction.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        table_prefix: str = DEFAULT_PREFIX,
        dispose_engine: bool = False,
        tables_schema: str | None = None,
    ) -> None:
        if not isinstance(engine, AsyncEngine):
            raise InvalidTypeError(_not_an_engine(engine))
        self.schema: Schema = schema_for(table_prefix)
        self.dialect: Dialect = dialect_of(engine.dialect.name)
        prepare_engine(engine)
        self._engine = engine
        self._autocommit = autocommit_view(engine)
        self._transactional = without_parameters(engine.execution_options())
        self._fast = FastPath.for_engine(engine)
        self._dispose_engine = dispose_engine
        self._loop: asyncio.AbstractEventLoop | None = None
        #: The PostgreSQL schema / Oracle owner the engine's connections resolve names in,
        #: when the store was built with ``schema=`` (the engine does the resolving).
        self.tables_schema = tables_schema

    # -- construction -------------------------------------------------------------
    @classmethod
    def from_url(
        cls, url: str | URL, *, table_prefix: str = DEFAULT_PREFIX, **engine_options: Any
    ) -> Store:
        """A store on ``url`` (``postgresql://`` and ``sqlite:///`` get their async drivers)."""
        schema_for(table_prefix)  # refuse a bad prefix before building anything
        engine = create_engine_for(url, **engine_options)
        return cls(
            engine,
            table_prefix=table_prefix,
            dispose_engine=True,
            tables_schema=engine_options.get("schema"),
        )

    @classmethod
    def from_settings(
        cls,
        settings: ConnectionSettings,
        *,
        table_prefix: str = DEFAULT_PREFIX,
        **engine_options: Any,
    ) -> Store:
        """A store on resolved `ConnectionSettings` (an Oracle wallet, say)."""
        schema_for(table_prefix)
        engine = create_engine_for(settings, **engine_options)
        return cls(
            engine,
            table_prefix=table_prefix,
            dispose_engine=True,
            tables_schema=engine_options.get("schema") or settings.schema,
        )

    @classmethod
    def from_env(cls, *, table_prefix: str | None = None, **engine_options: Any) -> Store:
        """Oracle from ``ORACLE_*`` (wallet included), else ``LOCUS_STORE_URL``, else SQLite;
        the tables' schema from ``LOCUS_STORE_SCHEMA`` when set (see ``create_engine_for``)."""
        prefix = table_prefix or os.environ.get(PREFIX_ENV) or DEFAULT_PREFIX
        if os.environ.get(SCHEMA_ENV):
            engine_options.setdefault("schema", os.environ[SCHEMA_ENV])
        return cls.from_settings(settings_from_env(), table_prefix=prefix, **engine_options)

    def on_own_pool(self) -> Store:
        """A store on the same database with a connection pool of its own (for another
        event loop); it disposes that pool on `close`. An in-memory SQLite database
        lives in its one connection: its engine is shared, and left open."""
        engine = engine_for_another_loop(self._engine)
        return Store(
            engine,
            table_prefix=self.table_prefix,
            dispose_engine=engine is not self._engine,
            tables_schema=self.tables_schema,
        )

    @property
    def engine(self) -> AsyncEngine:
        return self._engine

    @property
    def table_prefix(self) -> str:
        return self.schema.prefix

    @property
    def dialect_name(self) -> Dialect:
        """The dialect's name (the same as `dialect`)."""
        return self.dialect

    @property
    def is_bound(self) -> bool:
        """Whether this store runs inside a caller's transaction (a `BoundStore`)."""
        return False

    def __repr__(self) -> str:
        return f"Store({redact(self._engine.url)!r}, table_prefix={self.table_prefix!r})"

    # -- schema ---------------------------------------------------------------------
    async def upgrade(
        self,
        revision: str = "head",
        *,
        memory_dims: int | None = None,
        memory_distance: str | None = None,
    ) -> None:
        """Run the packaged Alembic migrations up to ``revision`` on this store's database.

        ``memory_dims`` and ``memory_distance`` (``"cosine"``, ``"dot"``, ``"l2"``) shape
        the memory store's vector column and index when the revision creating it runs
        (default 1536 dimensions, cosine); they are part of the schema, like
        ``alembic -x memory_dims=384 upgrade head``.

        Needs a role that may change the schema (its owner): with one that may not,
        `SchemaPermissionError`, and nothing is changed (one transaction where
        the database has transactional DDL).
        """
        from locus_store.migrate import require_dims
        from locus_store.schema.vectors import require_distance

        options: dict[str, object] = {}
        if memory_dims is not None:
            options["memory_dims"] = require_dims(memory_dims)
        if memory_distance is not None:
            options["memory_distance"] = require_distance(memory_distance)
        await self._migrate("upgrade", revision, options)

    async def downgrade(self, revision: str = "base") -> None:
        """Run the packaged Alembic migrations down to ``revision`` (same role as ``upgrade``)."""
        await self._migrate("downgrade", revision)

    async def _migrate(
        self, direction: str, revision: str, options: dict[str, object] | None = None
    ) -> None:
        from locus_store.migrate import run_migrations

        try:
            await self.run(
                lambda conn: run_migrations(conn, self.table_prefix, direction, revision, options),
                atomic=True,
                retry=False,
            )
        except DBAPIError as exc:
            if not is_privilege_error(exc):
                raise
            raise SchemaPermissionError(
                f"the role of {redact(self._engine.url)} may not change the schema; "
                f"run the migrations as the schema's owner (locus-store {direction} "
                f"--url <owner's URL>): {describe(exc)}"
            ) from exc

    # -- repositories -----------------------------------------------------------------
    def latest(self, *, ttl: timedelta | float | None = None) -> LatestCheckpointer:
        """The single-row checkpointer (one row per thread, latest wins).

        ``ttl``: how long a save stays visible, a ``timedelta`` or a positive number of
        seconds.
        """
        from locus_store.latest.checkpointer import LatestCheckpointer

        return LatestCheckpointer(self, ttl=ttl)

    def versioned(self) -> VersionedSaver:
        """The versioned saver (lineage of checkpoints plus pending writes)."""
        from locus_store.versioned.saver import VersionedSaver

        return VersionedSaver(self)

    def langgraph_saver(
        self,
        *,
        serde: SerializerProtocol | None = None,
        ttl: timedelta | float | None = None,
    ) -> SQLAlchemySaver:
        """The LangGraph checkpoint saver on this store (needs the ``langgraph`` extra).

        ``ttl``: how long after its last checkpoint a thread this saver writes expires
        (a ``timedelta`` or seconds); expired threads are removed whole by
        ``saver.asweep_ttl()`` and by `vacuum`. Without it, threads never expire.
        """
        from locus_store.langgraph.saver import SQLAlchemySaver

        return SQLAlchemySaver(self, serde=serde, ttl=ttl)

    def memory(
        self,
        *,
        embed: Embed | None = None,
        ttl: timedelta | float | None = None,
    ) -> MemoryStore:
        """Long-term memory under Locus's ``BaseStore`` contract (``locus.memory.store``).

        ``embed``: a function (sync or async) from a list of texts to their vectors; with
        it, puts store the value's embedding and ``search(query)`` is semantic where this
        database has vectors. ``ttl``: how long each put item stays visible.
        """
        from locus_store.memory.items import MemoryItems
        from locus_store.memory.locus_store import MemoryStore

        return MemoryStore(MemoryItems(self), embed=embed, ttl=ttl)

    def langgraph_store(self, *, index: Any = None, ttl: Any = None) -> SQLAlchemyStore:
        """Long-term memory under LangGraph's ``BaseStore`` contract (``langgraph`` extra).

        ``index``: LangGraph's ``IndexConfig`` (``dims``, ``embed``, ``fields``) for
        semantic search; ``ttl``: its ``TTLConfig`` (``default_ttl`` minutes,
        ``refresh_on_read``, ``sweep_interval_minutes``).
        """
        from locus_store.memory.items import MemoryItems
        from locus_store.memory.langgraph_store import SQLAlchemyStore

        return SQLAlchemyStore(MemoryItems(self), index=index, ttl=ttl)

    async def erase_thread(self, thread_id: str, *, dry_run: bool = False) -> ErasureReport:
        """Delete ``thread_id`` from every table (single-row, versioned with its writes,
        LangGraph checkpoints, writes and values) in one transaction.

        Returns an `ErasureReport` of the rows removed per table (false when the thread
        had none); ``dry_run=True`` counts them and deletes nothing. Export the thread
        first (`locus_store.ops.transfer`, ``locus-store export``) to keep a copy.
        """
        from locus_store.ops.erase import erase_thread

        return await erase_thread(self, thread_id, dry_run=dry_run)

    async def vacuum(
        self,
        *,
        older_than_days: float,
        keep_last: int = 0,
        dry_run: bool = False,
        progress: Progress | None = None,
    ) -> VacuumReport:
        """Remove old checkpoints from every contract's tables, in short transactions.

        Single-row threads not saved for ``older_than_days``, versions older than that
        but each lineage's newest ``keep_last``, LangGraph threads idle that long or
        expired (whole), expired memory items, and with ``keep_last`` > 0 each LangGraph
        namespace's older checkpoints but the newest ``keep_last`` and what they need
        (`locus_store.ops.vacuum.vacuum`).
        Returns a `VacuumReport` per table; ``dry_run=True`` counts and deletes nothing.
        """
        from locus_store.ops.vacuum import vacuum

        return await vacuum(
            self,
            older_than_days=older_than_days,
            keep_last=keep_last,
            dry_run=dry_run,
            progress=progress,
        )

    def bind(self, target: AsyncConnection | AsyncSession) -> BoundStore:
        """A view of this store whose repositories run inside ``target``'s transaction.

        The view never commits or rolls back: the caller's transaction decides. Begin
        it first (``async with session.begin():`` or ``async with conn.begin():``): a
        write through a target with no transaction begun still runs, in the transaction
        SQLAlchemy begins on first use (autobegin), which lasts only if the caller
        commits it, so such a write issues an `AutobeginWarning`.
        """
        if not isinstance(target, AsyncConnection | AsyncSession):
            raise TypeError("bind() takes an AsyncConnection or an AsyncSession")
        return BoundStore(self, target)

    # -- the call methods ------------------------------------------------------------
    async def fetch_all(self, statement: Executable, parameters: Parameters = None) -> list[Record]:
        """Every row of one statement, run on its own (autocommit)."""
        rows: list[Record] = await self._reporting(self._single(statement, parameters, Kind.ALL))
        return rows

    async def fetch_one(
        self, statement: Executable, parameters: Parameters = None
    ) -> Record | None:
        """The first row of one statement (or ``None``), run on its own (autocommit)."""
        row: Record | None = await self._reporting(self._single(statement, parameters, Kind.FIRST))
        return row

    async def row_count(
        self, statement: Executable, parameters: Parameters = None, *, savepoint: bool = False
    ) -> int:
        """The rows one DML statement matched, run on its own (autocommit).

        ``savepoint`` matters only when bound: the statement then runs in a savepoint,
        so its failure leaves the caller's transaction usable.
        """
        count: int = await self._reporting(
            self._single(statement, parameters, Kind.ROWCOUNT, savepoint=savepoint)
        )
        return count

    async def execute_many(self, statement: Executable, rows: Sequence[Mapping[str, Any]]) -> int:
        """One statement for each of ``rows`` (an executemany), all or nothing; the row count."""
        if isinstance(rows, Mapping) or not rows:
            raise InvalidTypeError("execute_many takes a non-empty sequence of parameter sets")
        return await self._reporting(self._execute_many(statement, rows))

    async def run(self, work: Work[T], *, atomic: bool = False, retry: bool = True) -> T:
        """Run ``work(connection)`` and return its result.

        ``atomic=False`` is for a single statement: it runs in autocommit mode, with
        no separate BEGIN/COMMIT. ``atomic=True`` wraps the work in one transaction
        (a savepoint when bound).

        When the connection turns out to be dead (see
        `locus_store._engine.retry.classify`):

        - before COMMIT, the server has rolled the transaction back, so the work is run
          again once on a fresh connection if ``retry``; a single statement is run again
          too (its work must be safe to apply twice, or detect that it was applied);
        - during COMMIT, the outcome is unknown: `ConnectionLostError`, no retry;
        - with no retry left: `ConnectionLostError` for a single statement (it
          may have been applied), `StoreUnavailableError` for a transaction
          (it was rolled back).

        A missing table of this store's prefix is a `SchemaNotCurrentError`, a broken
        constraint a `ConstraintError`; no error raised from here carries bound values.
        """
        return await self._reporting(self._run(work, atomic, retry))

    async def _reporting(self, call: Awaitable[T]) -> T:
        """``call``'s result, or the error `_reported` makes of its failure."""
        try:
            return await call
        except Exception as exc:
            error = self._reported(exc)
            if error is exc:
                raise
            raise error from exc

    # -- pooled calls: one attempt loop ------------------------------------------------

    async def _attempts(
        self, attempt: Callable[[_Attempt], Awaitable[T]], *, single: bool, retry: bool = True
    ) -> T:
        """The one attempt loop: ``attempt`` again after a failure `classify` says may be
        retried, while a retry is left."""
        if self._loop is not asyncio.get_running_loop():
            await self._follow_event_loop()
        attempts = 2 if retry else 1
        for number in range(1, attempts + 1):
            state = _Attempt(first=number == 1)
            try:
                return await attempt(state)
            except Exception as exc:
                url = redact(self._engine.url)
                verdict = classify(exc, state.phase, single=single, url=url, dead=state.dead)
                if verdict.retry and number < attempts:
                    self._log_retry(state.phase, exc)
                    continue
                if verdict.error is exc:
                    raise
                raise verdict.error from (None if verdict.hide_cause else exc)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _single(
        self, statement: Executable, parameters: Parameters, kind: Kind, *, savepoint: bool = False
    ) -> Any:
        """One statement on its own: the fast path where it applies, else one greenlet
        that checks out, executes and checks in (one await instead of three).

        (A failed statement on its own changed nothing: ``savepoint`` is moot here.)
        """
        fast, engine = self._fast, self._autocommit.sync_engine
        plan = None if fast is None else fast.plan(engine, statement, parameters)
        if plan is not None and kind is not Kind.ROWCOUNT and plan.row is None:
            plan = None  # rows only from statements whose columns are known (not a bare text())

        async def attempt(state: _Attempt) -> Any:
            state.phase = "work"  # a failure to connect comes back as a ConnectFailure
            if plan is not None and state.first:
                assert fast is not None
                outcome = await run_in_greenlet(
                    fast.run, self._engine.sync_engine, plan, parameters, kind
                )
                if isinstance(outcome, ConnectFailure):
                    state.phase = "connect"
                    raise outcome.error
                if not isinstance(outcome, StatementFailure):
                    return outcome
                if outcome.dead:
                    state.dead = True
                    raise outcome.error
                # It changed nothing: it runs again below, where its error is raised as
                # SQLAlchemy raises it.
            outcome = await run_in_greenlet(_execute_once, engine, statement, parameters, kind)
            if isinstance(outcome, ConnectFailure):
                state.phase = "connect"
                raise outcome.error
            return outcome

        return await self._attempts(attempt, single=True)

    async def _execute_many(self, statement: Executable, rows: Sequence[Mapping[str, Any]]) -> int:
        """An executemany, all or nothing: one batch on the fast path, else one transaction."""
        fast = self._fast
        plan = None if fast is None else fast.plan(self._autocommit.sync_engine, statement, rows)
        if plan is not None:
            assert fast is not None
            if self._loop is not asyncio.get_running_loop():
                await self._follow_event_loop()
            outcome = await run_in_greenlet(
                fast.run, self._engine.sync_engine, plan, rows, Kind.MANY
            )
            if not isinstance(outcome, ConnectFailure | StatementFailure):
                return int(outcome)
            # Nothing was applied: again in a transaction, for SQLAlchemy's error.

        async def work(conn: AsyncConnection) -> int:
            result = await conn.execute(statement, rows, execution_options=COMMIT_WITH_THIS)
            return int(result.rowcount)

        return await self._run(work, True, True)

    async def _run(self, work: Work[T], atomic: bool, retry: bool) -> T:
        engine = self._transactional if atomic else self._autocommit

        async def attempt(state: _Attempt) -> T:
            conn = await engine.connect()
            state.phase = "work"
            info = conn.info  # the pooled connection's: still readable once it is dead
            try:
                if not atomic:
                    return await work(conn)
                info[OWNED_TRANSACTION] = True
                transaction = await conn.begin()
                result = await work(conn)
                state.phase = "commit"
                await transaction.commit()
                return result
            except Exception:
                if info.get(COMMIT_SENT):
                    # The statement carrying the commit was sent: lost with it, the
                    # outcome is unknown, as for a COMMIT.
                    state.phase = "commit"
                raise
            finally:
                info.pop(OWNED_TRANSACTION, None)
                info.pop(COMMIT_SENT, None)
                await _close_quietly(conn)

        return await self._attempts(attempt, single=not atomic, retry=retry)

    def _log_retry(self, phase: Phase, exc: BaseException) -> None:
        what = "connecting" if phase == "connect" else "the call"
        _log.info(
            "the connection to %s died (%s, during %s); retrying on a fresh connection "
            "(attempt 2 of 2)",
            redact(self._engine.url),
            type(getattr(exc, "orig", None) or exc).__name__,
            what,
        )

    # -- errors --------------------------------------------------------------------
    def _reported(self, exc: Exception) -> Exception:
        """The error a failed call raises: ``exc`` without its bound values; a missing
        table of this prefix as `SchemaNotCurrentError` saying how to create it; a
        broken constraint as `ConstraintError`.

        Only failures come here: a call that succeeds pays for no check.
        """
        _hide_parameters(exc)
        if isinstance(exc, LocusStoreError):
            return exc
        if isinstance(exc, IntegrityError):
            return ConstraintError(
                "the statement broke a constraint of the store's tables "
                f"({type(exc.orig).__name__})"
            )
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
        statements = [e.statement for e in errors_under(exc) if isinstance(e, StatementError)]
        named = re.compile(rf"\b{re.escape(own)}\w", re.I)
        return any(s and named.search(s) for s in statements)

    # -- lifecycle -------------------------------------------------------------------
    async def _follow_event_loop(self) -> None:
        """Release pooled connections that belong to another event loop than the running one."""
        loop = asyncio.get_running_loop()
        previous, self._loop = self._loop, loop
        if previous is not None:
            await _release_other_loops_connections(self._engine)

    async def close(self) -> None:
        """Release pooled connections (the engine is disposed only if this store owns it)."""
        if self._dispose_engine:
            if self._loop is not None and self._loop is not asyncio.get_running_loop():
                await _release_other_loops_connections(self._engine)
            else:
                await self._engine.dispose()
        self._loop = None

    async def __aenter__(self) -> Store:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


class BoundStore(Store):
    """A `Store` whose calls run inside a caller's transaction (from `Store.bind`).

    It never commits or rolls back, retries nothing (the caller's transaction decides)
    and never disposes the engine; ``atomic=True`` work runs in a savepoint.
    """

    def __init__(self, store: Store, target: AsyncConnection | AsyncSession) -> None:
        super().__init__(
            store.engine, table_prefix=store.table_prefix, tables_schema=store.tables_schema
        )
        self.target = target

    @property
    def is_bound(self) -> bool:
        return True

    def __repr__(self) -> str:
        return f"Store({redact(self.engine.url)!r}, table_prefix={self.table_prefix!r}, bound)"

    async def close(self) -> None:
        """Nothing to release: the caller owns the connection."""

    async def _single(
        self, statement: Executable, parameters: Parameters, kind: Kind, *, savepoint: bool = False
    ) -> Any:
        if not getattr(statement, "is_select", False):
            self._warn_if_autobegin()

        async def work(conn: AsyncConnection) -> Any:
            return _consumed(await conn.execute(statement, parameters), kind)

        return await self._on_target(work, savepoint)

    async def _execute_many(self, statement: Executable, rows: Sequence[Mapping[str, Any]]) -> int:
        self._warn_if_autobegin()

        async def work(conn: AsyncConnection) -> int:
            return int((await conn.execute(statement, rows)).rowcount)

        return await self._on_target(work, False)

    async def _run(self, work: Work[T], atomic: bool, retry: bool) -> T:
        del retry  # the caller's transaction decides what happens after a failure
        self._warn_if_autobegin()
        return await self._on_target(work, atomic)

    async def _on_target(self, work: Work[T], savepoint: bool) -> T:
        target = self.target
        conn = await target.connection() if isinstance(target, AsyncSession) else target
        if savepoint:
            async with conn.begin_nested():
                return await work(conn)
        return await work(conn)

    def _warn_if_autobegin(self) -> None:
        if self.target.in_transaction():
            return
        kind = "session" if isinstance(self.target, AsyncSession) else "connection"
        warnings.warn(
            f"this store is bound to a {kind} with no transaction begun: SQLAlchemy begins "
            f"one for this write (autobegin), and it lasts only if you commit it "
            f"(await {kind}.commit()); begin the transaction first "
            f"(async with {kind}.begin(): ...)",
            AutobeginWarning,
            stacklevel=_stacklevel_outside_package(),
        )


def _consumed(result: Any, kind: Kind) -> Any:
    """What a call of ``kind`` wants from a ``CursorResult``."""
    if kind is Kind.FIRST:
        return result.first()
    if kind is Kind.ALL:
        return list(result.all())
    return int(result.rowcount)


def _execute_once(engine: Engine, statement: Executable, parameters: Parameters, kind: Kind) -> Any:
    """Check out a connection, run ``statement`` and check it back in: one greenlet, no awaits."""
    try:
        conn = engine.connect()
    except Exception as exc:
        return ConnectFailure(exc)
    try:
        return _consumed(conn.execute(statement, parameters), kind)
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


def _hide_parameters(exc: BaseException) -> None:
    """Keep bound values out of ``exc`` and its chain (a caller's engine may show them)."""
    for error in errors_under(exc):
        if isinstance(error, StatementError):
            error.hide_parameters = True


def _stacklevel_outside_package() -> int:
    """The ``stacklevel`` of the first frame outside locus_store (a warning points there)."""
    frame, level = inspect.currentframe(), 0
    while frame is not None and frame.f_globals.get("__name__", "").startswith("locus_store."):
        frame, level = frame.f_back, level + 1
    return level


async def _close_quietly(conn: AsyncConnection) -> None:
    """Return ``conn`` to the pool; a dead one is discarded without hiding the outcome."""
    try:
        await conn.close()
    except Exception as exc:
        if not is_dead_connection_error(exc):
            raise
