"""Single statements straight to the driver: the store's fast path on PostgreSQL and SQLite.

Every repository read and single-statement write goes through the store's call
methods (`Store.fetch_all` and its siblings). Through SQLAlchemy's ``Connection`` a small
statement costs two to four times what the driver itself spends on it: an execution
context, the driver adapter's cursor, result metadata, events. Here, for the
statements a store sends over and over, that work is done once:

- the second time a statement object comes (a repository's statements are built
  once; one built for a single call is left to SQLAlchemy's compiled cache), it is
  compiled for the engine's dialect (per set of parameter names) and kept as a
  `Plan`: the SQL text, the order of its parameters, SQLAlchemy's own bind
  and result processors for each type (so values go in and come out exactly as
  through ``Connection.execute``) and a named-tuple row type;
- a call checks a connection out of the engine's own pool (pool events, the idle
  ping and reset-on-return all apply), sends the SQL through the driver connection
  (asyncpg's ``fetch``/``execute``; one trip to the SQLite thread) and checks it in.

Nothing changes in what is sent: the same SQL text and values, one statement, in
autocommit (asyncpg outside a transaction block; the SQLite engine is in autocommit
mode). With ``prepared_statements=False`` (asyncpg's statement cache off) the driver
sends each statement unnamed, parsed again with its values before ``Sync``, which a
pooler in transaction mode keeps on one server connection. What the fast path does
not take, ``Connection.execute`` does, as before:

- any engine with ``before_cursor_execute``/``after_cursor_execute`` or
  ``before_execute``/``after_execute`` listeners, or with SQL logging on (``echo``),
  so tracing, statement counters and logs see every statement;
- Oracle and any driver other than asyncpg and the store's own SQLite connections;
- statements with expanding (``IN``) or literal-execute parameters, Python-side
  column defaults, a schema translate map, ``Numeric`` result columns (and ``Float``
  ones read as ``Decimal``, or through a type of a dialect's own, see
  `_float_processor`), or rows whose columns are unknown (a ``text()`` without
  ``.columns()``);
- a call whose statement fails: the error is not raised from here. A failed single
  statement changed nothing, so the call runs again through ``Connection.execute``,
  which raises SQLAlchemy's wrapped exception (and runs ``handle_error`` listeners)
  or, for a lost connection (discarded here), is the store's one retry.

A list of parameter sets (an executemany) is one batch, all or nothing: asyncpg's
``executemany`` is atomic, and on SQLite the batch is sent between ``BEGIN`` and
``COMMIT`` in the same trip.
"""

from __future__ import annotations

import enum
import keyword
import logging
import re
from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias
from weakref import WeakSet

from sqlalchemy import Executable, Float, Numeric
from sqlalchemy.engine import Connection, Engine, processors
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.sql import ClauseElement, sqltypes
from sqlalchemy.util import await_

from locus_store._engine.retry import is_dead_connection_error
from locus_store._engine.sqlite import OneTripConnection, single_statement_view

if TYPE_CHECKING:
    from sqlalchemy.engine.interfaces import Dialect
    from sqlalchemy.ext.asyncio import AsyncEngine
    from sqlalchemy.sql.compiler import SQLCompiler

#: A row of a result: SQLAlchemy's ``Row`` or, from the fast path, a named tuple with
#: the same column names. Read columns by attribute (``row.checkpoint_id``) or position.
Record: TypeAlias = Any

#: Distinct parameter-name sets kept per statement, and statements kept: the
#: repositories' statements are built once, so these bounds only guard against
#: callers that build a new statement for every call.
_MAX_SHAPES = 8
_MAX_STATEMENTS = 512
#: Types whose result processor depends on the type code the server reports.
_NUMBERS = (Numeric, Float)
#: A result processor the dialect would pick for a column, known without the server's
#: type code; `_UNKNOWN` where it cannot be known.
_UNKNOWN = object()


def _float_processor(column_type: Any, dialect: Dialect) -> Any:
    """The result processor of a ``Float`` column read as ``float``, whatever type code
    the server reports, or `_UNKNOWN`.

    - asyncpg (``AsyncpgFloat.result_processor``): none for ``real``/``double``, where
      asyncpg returns a ``float`` already, and ``processors.to_float`` for ``numeric``
      and integer codes; ``to_float`` for every code gives the same values.
    - SQLite (``sqltypes.Float.result_processor``): chosen without the type code at all.
    """
    if type(column_type) not in (Float, sqltypes.Double) or column_type.asdecimal:
        return _UNKNOWN
    if dialect.driver == "asyncpg":
        return processors.to_float
    impl = column_type.dialect_impl(dialect)
    if type(impl).result_processor is sqltypes.Float.result_processor:
        return impl.result_processor(dialect, None)
    return _UNKNOWN


class Kind(enum.Enum):
    """What a call reads back: the first row, every row, or a row count."""

    FIRST = "first"
    ALL = "all"
    ROWCOUNT = "rowcount"
    #: ``row_count`` of an executemany (a list of parameter sets).
    MANY = "many"


class Plan:
    """One statement compiled for one dialect and one set of parameter names.

    Each position of the SQL takes either the caller's value of one parameter or
    the constant the statement was built with (a ``LIMIT 1``), through the bind
    processor of its type: what ``construct_params`` and the execution context
    compute for every call, decided once.
    """

    __slots__ = ("result_processors", "row", "slots", "sql")

    def __init__(self, compiled: SQLCompiler, dialect: Dialect, keys: tuple[str, ...]) -> None:
        self.sql: str = compiled.string
        processors: Mapping[str, Any] = compiled._bind_processors
        sources: dict[str, tuple[str | None, Any]] = {}
        for bind, name in compiled.bind_names.items():
            if bind.key in keys:
                sources[name] = (bind.key, None)
            elif name in keys:
                sources[name] = (name, None)
            elif bind.required or bind.callable is not None:
                raise _NotPlannable("a required or callable parameter")
            else:
                process = processors.get(name)
                sources[name] = (None, bind.value if process is None else process(bind.value))
        #: (parameter name or None, constant, bind processor) per position.
        self.slots: tuple[tuple[str | None, Any, Callable[[Any], Any] | None], ...] = tuple(
            (key, constant, processors.get(name) if key is not None else None)
            for name in compiled.positiontup or ()
            for key, constant in (sources[name],)
        )
        columns = compiled._result_columns
        self.row: Callable[..., tuple[Any, ...]] | None = None
        self.result_processors: tuple[Callable[[Any], Any] | None, ...] = ()
        if columns:
            self.row = namedtuple("Record", [c.keyname for c in columns])._make  # type: ignore[attr-defined]
            results = tuple(_result_processor(c.type, dialect) for c in columns)
            self.result_processors = results if any(results) else ()

    def arguments(self, parameters: Mapping[str, Any] | None) -> list[Any]:
        """The positional values to send, exactly as ``Connection.execute`` builds them."""
        values: list[Any] = []
        for key, constant, process in self.slots:
            if key is None:
                values.append(constant)
            elif process is None:
                values.append(parameters[key])  # type: ignore[index]
            else:
                values.append(process(parameters[key]))  # type: ignore[index]
        return values

    def rows(self, raw: Sequence[Sequence[Any]]) -> list[Record]:
        make = self.row
        if make is None:
            return []
        processors = self.result_processors
        if not processors:
            return [make(row) for row in raw]
        return [
            make(
                [
                    value if process is None else process(value)
                    for process, value in zip(processors, row, strict=True)
                ]
            )
            for row in raw
        ]


def _result_processor(column_type: Any, dialect: Dialect) -> Callable[[Any], Any] | None:
    process = _float_processor(column_type, dialect)
    if process is not _UNKNOWN:
        return process  # type: ignore[no-any-return]
    return column_type._cached_result_processor(dialect, None)  # type: ignore[no-any-return]


def _plan_for(statement: Executable, dialect: Dialect, keys: tuple[str, ...]) -> Plan | None:
    """Compile ``statement``; ``None`` when it needs what only ``Connection.execute`` does."""
    if not isinstance(statement, ClauseElement):
        return None
    compiled: SQLCompiler = statement.compile(dialect=dialect, column_keys=list(keys))  # type: ignore[assignment]
    if (
        not compiled.positional
        or compiled.literal_execute_params
        or compiled.post_compile_params
        or compiled.insert_prefetch
        or compiled.update_prefetch
        or compiled.schema_translate_map
        or compiled.positiontup is None
    ):
        return None
    if any(not callable(process) for process in compiled._bind_processors.values()):
        return None  # a tuple bind: one processor per element
    names = [column.keyname for column in compiled._result_columns or ()]
    if any(
        not name.isidentifier() or name.startswith("_") or keyword.iskeyword(name) for name in names
    ) or len(set(names)) != len(names):
        return None  # not names a named tuple can carry
    for column in compiled._result_columns or ():
        affinity = column.type._type_affinity
        number = isinstance(column.type, _NUMBERS) or (affinity and issubclass(affinity, _NUMBERS))
        if number and _float_processor(column.type, dialect) is _UNKNOWN:
            return None  # its result processor depends on the type the server reports
    if getattr(compiled, "_collected_params", None):
        return None  # values given with Executable.params(): not used by the store
    try:
        return Plan(compiled, dialect, keys)
    except _NotPlannable:
        return None


class _NotPlannable(Exception):
    """The statement needs what only ``Connection.execute`` does."""


_STATUS_COUNT = re.compile(r"(\d+)$")


async def _asyncpg(connection: Any, sql: str, arguments: list[Any], kind: Kind) -> Any:
    if kind is Kind.MANY:
        await connection.executemany(sql, arguments)  # atomic: one implicit transaction
        return -1  # as through SQLAlchemy: asyncpg reports no count for a batch
    if kind is Kind.ROWCOUNT:
        status: str = await connection.execute(sql, *arguments)
        found = _STATUS_COUNT.search(status)
        return int(found.group(1)) if found else -1
    return await connection.fetch(sql, *arguments)


async def _sqlite(connection: OneTripConnection, sql: str, arguments: list[Any], kind: Kind) -> Any:
    def run() -> Any:
        cursor = connection._conn.cursor()
        try:
            if kind is Kind.MANY:
                # All or nothing, as asyncpg's batches are (and one commit, not one per row).
                cursor.execute("BEGIN")
                try:
                    cursor.executemany(sql, arguments)
                    count = cursor.rowcount
                    cursor.execute("COMMIT")
                except BaseException:
                    cursor.execute("ROLLBACK")
                    raise
                return count
            cursor.execute(sql, arguments)
            return cursor.rowcount if kind is Kind.ROWCOUNT else cursor.fetchall()
        finally:
            cursor.close()

    return await connection._execute(run)  # type: ignore[no-untyped-call]


_log = logging.getLogger(__name__)
_Runner = Callable[[Any, str, list[Any], Kind], Any]


class FastPath:
    """The fast path of one engine: its plans and the driver call it makes."""

    def __init__(self, runner: _Runner, dialect: Dialect, dead: Callable[[Any], bool]) -> None:
        self._runner = runner
        self._dialect = dialect
        self._dead = dead
        self._plans: dict[Executable, dict[tuple[str, ...], Plan | None]] = {}
        self._seen: WeakSet[Executable] = WeakSet()

    @classmethod
    def for_engine(cls, engine: AsyncEngine) -> FastPath | None:
        """The fast path for ``engine``'s driver, or ``None`` where there is none."""
        dialect = engine.dialect
        if dialect.name == "postgresql" and dialect.driver == "asyncpg":
            return cls(_asyncpg, dialect, _asyncpg_dead)
        if dialect.name == "sqlite" and single_statement_view(engine) is not None:
            # Only the store's own SQLite engines: autocommit, one-trip connections.
            return cls(_sqlite, dialect, _never_dead)
        return None

    def plan(self, engine: Engine, statement: Executable, parameters: Any) -> Plan | None:
        """The plan for this call, or ``None`` when it must go through ``Connection.execute``."""
        if parameters is None or isinstance(parameters, Mapping):
            keys = tuple(sorted(parameters)) if parameters else ()
        else:  # executemany: every parameter set with the same names
            if not parameters or not isinstance(parameters[0], Mapping):
                return None
            names = parameters[0].keys()
            if any(not isinstance(p, Mapping) or p.keys() != names for p in parameters):
                return None
            keys = tuple(sorted(names))
        if engine._should_log_info():  # echo=True or "debug" (DEBUG enables INFO too)
            return None
        events = engine.dispatch
        if (
            events.before_cursor_execute
            or events.after_cursor_execute
            or events.before_execute
            or events.after_execute
        ):
            return None
        try:
            shapes = self._plans.get(statement)
        except TypeError:  # not hashable
            return None
        if shapes is None:
            # Plan a statement the second time it comes: one built for a single call
            # (a metadata query) is left to SQLAlchemy's compiled cache, which knows
            # it by its structure, instead of being compiled here for nothing.
            seen = self._seen
            try:
                if statement not in seen:
                    if len(seen) >= _MAX_STATEMENTS:
                        seen.clear()
                    seen.add(statement)
                    return None
            except TypeError:  # not weakly referenceable
                return None
            seen.discard(statement)
            if len(self._plans) >= _MAX_STATEMENTS:
                self._plans.clear()  # keep memory bounded whatever callers do
            shapes = self._plans[statement] = {}
        if keys in shapes:
            return shapes[keys]
        try:
            plan = _plan_for(statement, self._dialect, keys)
        except Exception:  # the statement still runs, through Connection.execute
            _log.warning("no fast path for %s", statement, exc_info=True)
            plan = None
        if len(shapes) < _MAX_SHAPES:
            shapes[keys] = plan
        return plan

    def run(self, engine: Engine, plan: Plan, parameters: Any, kind: Kind) -> Any:
        """In a greenlet: check out, send, check in. Returns the outcome or a failure.

        ``engine`` is the store's engine itself: no isolation level is set on checkout
        (a connection outside a transaction block is in autocommit on both drivers).
        """
        try:
            if kind is Kind.MANY:
                arguments: Any = [plan.arguments(one) for one in parameters]
            else:
                arguments = plan.arguments(parameters)
        except Exception as exc:  # a value its type refuses: raised as SQLAlchemy raises it
            return StatementFailure(exc, dead=False)
        try:
            connection, driver = _check_out(engine)
        except Exception as exc:
            return ConnectFailure(exc)
        try:
            raw = await_(self._runner(driver, plan.sql, arguments, kind))
        except Exception as exc:
            dead = self._dead(driver) or is_dead_connection_error(exc)
            if dead:
                connection.invalidate(exc)
            return StatementFailure(exc, dead=dead)
        except BaseException:
            # Cancelled mid-statement: the protocol state is unknown, so the
            # connection is not reused.
            connection.invalidate()
            raise
        finally:
            _check_in(connection)
        if kind is Kind.ROWCOUNT or kind is Kind.MANY:
            return raw
        rows = plan.rows(raw)
        if kind is Kind.FIRST:
            return rows[0] if rows else None
        return rows


class ConnectFailure:
    """An attempt that could not get a connection (returned, not raised, from the greenlet)."""

    def __init__(self, error: Exception) -> None:
        self.error = error


class StatementFailure:
    """A fast-path statement that failed: the call runs again through ``Connection.execute``."""

    def __init__(self, error: Exception, *, dead: bool) -> None:
        self.error = error
        self.dead = dead


def _check_out(engine: Engine) -> tuple[Connection | PoolProxiedConnection, Any]:
    """A connection from ``engine``'s pool and its driver connection.

    The pool's connection itself (what a ``Connection`` wraps: pool events, the idle
    ping, reset-on-return and invalidation all apply) unless the engine has
    ``engine_connect`` listeners, which only a ``Connection`` runs. A failure to
    connect is raised as ``Engine.connect`` raises it: wrapped, ``handle_error`` run.
    """
    if engine.dispatch.engine_connect:
        connection = engine.connect()
        return connection, connection.connection.driver_connection
    try:
        pooled = engine.raw_connection()
    except engine.dialect.loaded_dbapi.Error as exc:
        # SQLAlchemy's own wrapping of a connect error (its private classmethod:
        # the version bound in pyproject.toml covers it).
        Connection._handle_dbapi_exception_noconnection(exc, engine.dialect, engine)
        raise  # pragma: no cover - the call above always raises
    return pooled, pooled.driver_connection


def _check_in(connection: Connection | PoolProxiedConnection) -> None:
    try:
        connection.close()
    except Exception as exc:  # a dead connection's reset: it is discarded
        _log.debug("check-in failed: %s", exc)


def _asyncpg_dead(connection: Any) -> bool:
    return bool(connection.is_closed())


def _never_dead(_connection: Any) -> bool:
    return False
