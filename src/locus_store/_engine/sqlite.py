"""SQLite connections of the engines the store creates: one trip to the driver's thread per call.

aiosqlite runs each driver call on the connection's own thread, and every call is
a trip there and back (a queue, a thread wake-up, a loop wake-up): far more than
the statement itself costs. Through SQLAlchemy's adapter a plain read makes about
ten of them (isolation level set and reset, cursor, execute, fetch, close,
rollback, and a ``PRAGMA`` for the reset). Here:

- `OneTripConnection` hands out cursors that execute, fetch every row and
  close in one trip, and skips ``commit``/``rollback`` when no transaction is open;
- the engine is in autocommit mode (``isolation_level="AUTOCOMMIT"``), so a single
  statement needs no isolation change and no ``BEGIN``/``COMMIT``;
- a transaction (``connection.begin()``, ``Store.run(atomic=True)``, a session) sends
  an explicit ``BEGIN`` from `_begin`, the recipe SQLAlchemy documents for
  pysqlite: SELECTs and savepoints are then part of the transaction too.

A store's single statements run on `single_statement_view`, which is what
tells `_begin` to leave them in autocommit. A read is then one trip, as it
is when calling the driver directly.
"""

from __future__ import annotations

import sqlite3
import warnings
from collections import deque
from collections.abc import Callable, Coroutine, Iterable
from functools import partial
from typing import Any

import aiosqlite
from aiosqlite.core import _STOP_RUNNING_SENTINEL
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.ext.asyncio import AsyncEngine

#: Execution option of the single-statement view: no ``BEGIN`` for these connections.
SINGLE_STATEMENT = "locus_store_single_statement"
#: Rows aiosqlite reads per trip when iterating a cursor (its own default).
_ITER_CHUNK_SIZE = 64

_Result = tuple[Any, list[Any], int, int | None]


class OneTripCursor:
    """An aiosqlite-style cursor whose ``execute`` runs, fetches and closes in one trip.

    Rows are buffered (every result is read whole, as SQLAlchemy's adapter reads
    it anyway); ``description``, ``rowcount`` and ``lastrowid`` are those of the
    statement.
    """

    def __init__(self, connection: OneTripConnection) -> None:
        self._connection = connection
        self._rows: deque[Any] = deque()
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self.arraysize = 1

    async def __aenter__(self) -> OneTripCursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def _run(self, many: bool, sql: str, parameters: Any) -> _Result:
        """On the driver's thread: the whole statement, start to finish."""
        cursor = self._connection._conn.cursor()
        try:
            if many:
                cursor.executemany(sql, parameters)
            else:
                cursor.execute(sql, parameters)
            description = cursor.description
            rows = cursor.fetchall() if description else []
            return description, rows, cursor.rowcount, cursor.lastrowid
        finally:
            cursor.close()

    async def _trip(self, many: bool, sql: str, parameters: Any) -> OneTripCursor:
        run = partial(self._run, many, sql, parameters)
        result: _Result = await self._connection._execute(run)  # type: ignore[no-untyped-call]
        self.description, rows, self.rowcount, self.lastrowid = result
        self._rows = deque(rows)
        return self

    async def execute(self, sql: str, parameters: Any = None) -> OneTripCursor:
        return await self._trip(False, sql, () if parameters is None else parameters)

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> OneTripCursor:
        return await self._trip(True, sql, parameters)

    async def fetchone(self) -> Any:
        return self._rows.popleft() if self._rows else None

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        count = min(self.arraysize if size is None else size, len(self._rows))
        return [self._rows.popleft() for _ in range(count)]

    async def fetchall(self) -> list[Any]:
        rows = list(self._rows)
        self._rows.clear()
        return rows

    async def close(self) -> None:
        self._rows.clear()


class OneTripConnection(aiosqlite.Connection):
    """An aiosqlite connection with one-trip cursors and no empty commits or rollbacks."""

    def cursor(self) -> OneTripCursor:  # type: ignore[override]
        return OneTripCursor(self)

    def _in_transaction(self) -> bool:
        # sqlite3 reads this flag without checking threads; no statement runs meanwhile.
        return self._connection is not None and self._connection.in_transaction

    async def commit(self) -> None:
        if self._in_transaction():
            await super().commit()

    async def rollback(self) -> None:
        if self._in_transaction():
            await super().rollback()

    def stop(self) -> None:
        """Stop the driver's thread (closing the sqlite3 connection) without an event loop.

        aiosqlite's own ``stop`` queues the close with a future made on whatever loop
        ``asyncio.get_event_loop()`` returns, and nobody awaits it when it is called
        after a failed connect (a missing directory, say) or from ``__del__``: if that
        loop has closed by the time the thread gets to it (the end of an
        ``asyncio.run``, of a test), the thread dies on "Event loop is closed". Here the
        close is queued with no future: the thread closes the connection and ends,
        reporting to nobody. ``close()`` has closed the connection itself already.
        """
        self._running = False
        self._tx.put_nowait((None, partial(_close_and_stop, self)))

    def __del__(self) -> None:
        """Garbage-collected unclosed: warn, and stop the driver's thread (see `stop`)."""
        if self._connection is None:
            return
        warnings.warn(
            f"{self!r} was deleted before being closed (dispose the engine, or close the "
            "store that created it)",
            ResourceWarning,
            stacklevel=1,
        )
        self.stop()


def _close_and_stop(connection: OneTripConnection) -> object:
    """On the driver's thread: close the sqlite3 connection and end the thread."""
    if connection._connection is not None:
        connection._connection.close()
        connection._connection = None
    return _STOP_RUNNING_SENTINEL


def one_trip_connector(
    url: URL, connect_args: dict[str, Any]
) -> Callable[[], Coroutine[Any, Any, OneTripConnection]]:
    """An ``async_creator`` opening ``url`` (read as SQLAlchemy reads it), one trip per call."""
    args, params = url.get_dialect()().create_connect_args(url)
    connector = partial(sqlite3.connect, *args, **{**params, **connect_args})

    async def connect() -> OneTripConnection:
        connection = OneTripConnection(connector, _ITER_CHUNK_SIZE)
        connection._thread.daemon = True  # as SQLAlchemy's aiosqlite dialect does
        await connection
        return connection

    return connect


def _begin(conn: Connection) -> None:
    """Send ``BEGIN`` for a transaction (the engine itself is in autocommit mode).

    Sent through the driver connection, as asyncpg sends its own, so it is not one
    of the statements SQLAlchemy's events see.
    """
    options = conn.get_execution_options()
    if options.get(SINGLE_STATEMENT) or options.get("isolation_level") == "AUTOCOMMIT":
        return
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute("BEGIN")
    finally:
        cursor.close()


def install_explicit_begin(engine: Engine) -> None:
    event.listen(engine, "begin", _begin)


def single_statement_view(engine: AsyncEngine) -> AsyncEngine | None:
    """The view of ``engine`` for single statements, or None if it is not set up here."""
    if not event.contains(engine.sync_engine, "begin", _begin):
        return None
    return engine.execution_options(**{SINGLE_STATEMENT: True})
