"""Oracle sessions at the round-trip floor: commits ride on statements, no idle resets.

python-oracledb in thin mode sends a message, one network round trip, for every
execute, commit, rollback and ``ALTER SESSION`` (python-oracledb user guide, "Tuning
python-oracledb", round-trips). On Autonomous Database a call costs its round trips
times the network RTT, so a store call should cost its statements and nothing else.
Left to SQLAlchemy's defaults a one-statement save costs four: the statement, the
pool's rollback on check-in, and, because an ``isolation_level="AUTOCOMMIT"`` view
resets the session when the connection goes back, another rollback and an
``ALTER SESSION SET ISOLATION_LEVEL``.

What this module installs on an Oracle engine instead:

- **Commit with the statement.** A statement executed with the
  `COMMITS_EACH_STATEMENT` execution option (the store's autocommit view), or
  with `COMMITS_THE_TRANSACTION` as the last statement of a transaction the
  store owns, is sent with python-oracledb's ``autocommit`` on: "all statements are
  committed as soon as they have completed executing" (``Connection.autocommit``), in
  the same message. The flag is restored right after, so the pooled session keeps the
  mode the engine gave it. A statement that fails commits nothing.
- **No empty commits or rollbacks.** ``do_commit``/``do_rollback`` send nothing when
  the driver reports no transaction in progress (``Connection.transaction_in_progress``,
  kept by the driver from the server's reply to each call): there is nothing to end,
  and the pool's reset on check-in then costs nothing either.

The isolation level of the session is never changed, so nothing resets it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.engine.interfaces import ExecutionContext

#: Execution option of the store's autocommit view: each statement commits with itself.
COMMITS_EACH_STATEMENT = "locus_store_commits_each_statement"
#: Execution option of the last statement of a transaction the store owns: the
#: transaction commits with that statement (honoured only for the store's own).
COMMITS_THE_TRANSACTION = "locus_store_commits_the_transaction"
#: Execution options for the last statement of a transaction: where the driver can
#: (python-oracledb's autocommit), the transaction commits with it, in one round trip.
#: Honoured only for a transaction the store itself opened (never a bound caller's),
#: and ignored on other dialects, whose transaction ends with its own COMMIT.
COMMIT_WITH_THIS = {COMMITS_THE_TRANSACTION: True}
#: ``Connection.info`` key: the store owns the transaction open on this connection.
OWNED_TRANSACTION = "locus_store.owned_transaction"
#: ``Connection.info`` key: a statement carrying the commit was sent.
COMMIT_SENT = "locus_store.commit_sent"

_INSTALLED = "_locus_store_oracle_sessions"


def _driver_connection(dbapi_connection: Any) -> Any:
    """The python-oracledb connection under SQLAlchemy's adapter or pool proxy."""
    connection = getattr(dbapi_connection, "dbapi_connection", dbapi_connection)
    return getattr(connection, "_connection", connection)


def _nothing_to_end(dbapi_connection: Any) -> bool:
    in_progress = getattr(_driver_connection(dbapi_connection), "transaction_in_progress", None)
    return in_progress is False


def _commits(context: ExecutionContext) -> bool:
    options = context.execution_options
    if options.get(COMMITS_EACH_STATEMENT):
        return True
    connection: Connection = context.root_connection
    return bool(options.get(COMMITS_THE_TRANSACTION)) and bool(
        connection.info.get(OWNED_TRANSACTION)
    )


def _send(context: ExecutionContext, send: Any) -> bool:
    """Run ``send()`` with the driver's autocommit on, when the statement commits."""
    if not _commits(context):
        return False
    connection: Connection = context.root_connection
    driver = connection.connection.dbapi_connection
    assert driver is not None
    previous = driver.autocommit
    driver.autocommit = True
    if connection.info.get(OWNED_TRANSACTION):
        connection.info[COMMIT_SENT] = True
    try:
        send()
    finally:
        driver.autocommit = previous
    return True


def _do_execute(cursor: Any, statement: str, parameters: Any, context: ExecutionContext) -> bool:
    return _send(context, lambda: cursor.execute(statement, parameters))


def _do_execute_no_params(cursor: Any, statement: str, context: ExecutionContext) -> bool:
    return _send(context, lambda: cursor.execute(statement))


def _do_executemany(
    cursor: Any, statement: str, parameters: Any, context: ExecutionContext
) -> bool:
    # As the dialect's own do_executemany: python-oracledb takes a list, not a tuple.
    rows = list(parameters) if isinstance(parameters, tuple) else parameters
    return _send(context, lambda: cursor.executemany(statement, rows))


def _skip_when_idle(dialect: Dialect, name: str) -> None:
    original = getattr(dialect, name)

    def end(dbapi_connection: Any) -> None:
        if _nothing_to_end(dbapi_connection):
            return
        original(dbapi_connection)

    setattr(dialect, name, end)


def install_oracle_sessions(engine: Engine) -> None:
    """Make ``engine`` send commits with statements and skip empty ones (Oracle; idempotent)."""
    dialect = engine.dialect
    if dialect.name != "oracle" or getattr(dialect, _INSTALLED, False):
        return
    _skip_when_idle(dialect, "do_commit")
    _skip_when_idle(dialect, "do_rollback")
    setattr(dialect, _INSTALLED, True)
    event.listen(engine, "do_execute", _do_execute)
    event.listen(engine, "do_execute_no_params", _do_execute_no_params)
    event.listen(engine, "do_executemany", _do_executemany)
