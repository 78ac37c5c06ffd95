"""When is a connection dead, and how the pool finds out before handing one out.

SQLAlchemy's dialects recognise the common disconnect errors; the tables here add
the ones they miss, so `Store.run` can tell
"the connection died" (retry on a fresh one) from "the statement failed" (raise):

- python-oracledb marks errors that killed the session (``is_session_dead``) and
  maps most of them to ``DPY-4011``; a few server codes are not mapped (ORA-03138,
  ORA-02399, shutdown and failover codes) and are listed here.
- asyncpg reports a terminated backend with SQLSTATE ``57P01`` and lost sockets with
  class ``08``; whether SQLAlchemy notices depends on whether the socket is already
  closed when it looks, so the SQLSTATE decides.

Pinging: a pooled connection is pinged before use only when it has been idle for
more than ``ping_after`` seconds. A busy pool pays no round trip per operation
(SQLAlchemy's ``pool_pre_ping`` costs one on Oracle and three on asyncpg for every
checkout), and a connection that dies between two close uses is caught by the
retry in ``Store.run``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import event, exc
from sqlalchemy.engine import Engine, ExceptionContext
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

from locus_store.errors import ConnectionLostError, StoreUnavailableError

#: Default idle time (seconds) after which a pooled connection is pinged before use.
PING_AFTER_IDLE = 30.0

#: Oracle error codes (``ORA-nnnnn``) after which the session is gone. python-oracledb
#: already flags most of them as ``DPY-4011``; this list covers the rest as well.
ORACLE_DEAD_SESSION_CODES = frozenset(
    {
        28,  # your session has been killed
        1012,  # not logged on
        1033,  # ORACLE initialization or shutdown in progress
        1034,  # ORACLE not available
        1089,  # immediate shutdown or close in progress
        1090,  # shutdown in progress
        1092,  # ORACLE instance terminated. Disconnection forced
        2396,  # exceeded maximum idle time, please connect again
        2399,  # exceeded maximum connect time, you are being logged off
        3113,  # end-of-file on communication channel
        3114,  # not connected to ORACLE
        3135,  # connection lost contact
        3138,  # connection terminated due to security policy violation
        12153,  # TNS:not connected
        12537,  # TNS:connection closed
        12547,  # TNS:lost contact
        12570,  # TNS:packet reader failure
        12571,  # TNS:packet writer failure
        12583,  # TNS:no reader
        25408,  # can not safely replay call
    }
)
#: python-oracledb / ODPI-C error prefixes that mean the connection is unusable.
ORACLE_DEAD_SESSION_DRIVER_CODES = frozenset({"DPY-1001", "DPY-4011", "DPI-1010", "DPI-1080"})
#: PostgreSQL SQLSTATEs after which the connection is gone (class 08 is matched whole).
POSTGRES_DEAD_SESSION_SQLSTATES = frozenset({"57P01", "57P02", "57P03"})
_CLOSED_MESSAGES = ("connection is closed", "connection was closed", "not connected")

_IDLE_SINCE = "locus_store.idle_since"


def errors_under(error: BaseException) -> Iterator[BaseException]:
    """``error``, then the driver error it wraps (``orig``) or was raised from, each once."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = getattr(current, "orig", None) or current.__cause__


def is_dead_connection_error(error: BaseException) -> bool:
    """True when ``error`` (a SQLAlchemy, DBAPI or socket error) means the connection is dead."""
    return any(_is_dead(e) for e in errors_under(error))


def _is_dead(error: BaseException) -> bool:
    if isinstance(error, exc.DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, ConnectionError):
        return True
    sqlstate = getattr(error, "sqlstate", None)
    if isinstance(sqlstate, str) and (
        sqlstate.startswith("08") or sqlstate in POSTGRES_DEAD_SESSION_SQLSTATES
    ):
        return True
    detail = error.args[0] if error.args else None
    if getattr(detail, "is_session_dead", False):
        return True
    if getattr(detail, "code", None) in ORACLE_DEAD_SESSION_CODES:
        return True
    full_code = getattr(detail, "full_code", None)
    if isinstance(full_code, str) and full_code in ORACLE_DEAD_SESSION_DRIVER_CODES:
        return True
    text = str(error)
    if text[:8] in ORACLE_DEAD_SESSION_DRIVER_CODES:
        return True
    return type(error).__name__ == "InterfaceError" and any(m in text for m in _CLOSED_MESSAGES)


def _mark_disconnect(context: ExceptionContext) -> None:
    if not context.is_disconnect and is_dead_connection_error(context.original_exception):
        context.is_disconnect = True


def install_disconnect_detection(engine: Engine) -> None:
    """Make ``engine`` invalidate connections on every error listed above (idempotent)."""
    if not event.contains(engine, "handle_error", _mark_disconnect):
        event.listen(engine, "handle_error", _mark_disconnect)


def install_idle_ping(engine: Engine, ping_after: float = PING_AFTER_IDLE) -> None:
    """Ping a pooled connection before use when it has been idle longer than ``ping_after``."""
    dialect = engine.dialect

    def checkin(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        if dbapi_connection is not None:
            record.info[_IDLE_SINCE] = time.monotonic()

    def checkout(
        dbapi_connection: Any, record: ConnectionPoolEntry, proxy: PoolProxiedConnection
    ) -> None:
        idle_since = record.info.pop(_IDLE_SINCE, None)
        if idle_since is None or time.monotonic() - idle_since <= ping_after:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as error:
            # The pool replaces the connection and checks the new one out instead.
            raise exc.DisconnectionError(f"idle connection failed its ping: {error}") from error

    event.listen(engine.pool, "checkin", checkin)
    event.listen(engine.pool, "checkout", checkout)


#: PostgreSQL's ``insufficient_privilege`` (``permission denied``, ``must be owner``).
POSTGRES_NO_PRIVILEGE_SQLSTATE = "42501"
#: Oracle: ORA-01031 insufficient privileges.
ORACLE_NO_PRIVILEGE_CODES = frozenset({1031})


def is_privilege_error(error: BaseException) -> bool:
    """True when ``error`` (or the driver error under it) says the role lacks a privilege."""
    for current in errors_under(error):
        if getattr(current, "sqlstate", None) == POSTGRES_NO_PRIVILEGE_SQLSTATE:
            return True
        detail = current.args[0] if current.args else None
        if getattr(detail, "code", None) in ORACLE_NO_PRIVILEGE_CODES:
            return True
    return False


#: PostgreSQL's ``undefined_table`` (``relation "x" does not exist``).
POSTGRES_UNDEFINED_TABLE_SQLSTATE = "42P01"
#: Oracle: ORA-00942 table or view does not exist.
ORACLE_UNDEFINED_TABLE_CODES = frozenset({942})
#: Where each server names the missing table: SQLite ``no such table: [schema.]name``,
#: PostgreSQL ``relation "[schema.]name" does not exist``, Oracle 23ai and later
#: ``table or view "OWNER"."NAME" does not exist`` (earlier releases name none).
_MISSING_TABLE_NAMES = (
    re.compile(r"no such table: (?:\w+\.)?(\w+)"),
    re.compile(r'relation "(?:[^"]+\.)?([^"]+)" does not exist'),
    re.compile(r'table or view (?:"[^"]+"\.)?"([^"]+)" does not exist'),
)


def missing_table(error: BaseException) -> str | None:
    """The table ``error`` says does not exist: its name, ``""`` when unnamed, else None."""
    for current in errors_under(error):
        detail = current.args[0] if current.args else None
        text = getattr(detail, "message", None) or str(current)
        found = (
            getattr(current, "sqlstate", None) == POSTGRES_UNDEFINED_TABLE_SQLSTATE
            or getattr(detail, "code", None) in ORACLE_UNDEFINED_TABLE_CODES
            or (type(current).__name__ == "OperationalError" and "no such table:" in text)
        )
        if found:
            for pattern in _MISSING_TABLE_NAMES:
                match = pattern.search(text)
                if match:
                    return match[1]
            return ""
    return None


# -- what a failed attempt means ---------------------------------------------------------
#: Where in a call an attempt failed: getting a connection, running the work, or during
#: the COMMIT (or the statement that carries it).
Phase = Literal["connect", "work", "commit"]


@dataclass(frozen=True)
class Verdict:
    """What a failed attempt means: whether another attempt may follow, and what to raise."""

    #: Another attempt on a fresh connection is safe (the failed one changed nothing).
    retry: bool
    #: What the call raises when it stops here (the error itself, or a typed one).
    error: BaseException
    #: The typed error replaces the driver's entirely (a failed connect: no SQL ran).
    hide_cause: bool = False


def classify(
    error: BaseException, phase: Phase, *, single: bool, url: str, dead: bool = False
) -> Verdict:
    """The store's one retry policy (``url`` is redacted, for the messages).

    - connecting: a dead-connection error may be retried; any failure to connect ends
      as `StoreUnavailableError`; an error that is not about connecting is raised as is;
    - running the work: a dead connection may be retried (the server rolled the
      transaction back; a single statement must be safe to apply twice); with no retry
      left it is `ConnectionLostError` for a single statement (it may have been applied)
      and `StoreUnavailableError` for a transaction (it was rolled back);
    - during COMMIT the outcome is unknown: `ConnectionLostError`, no retry.

    Any other error is raised as it is. ``dead``: the caller saw the connection die
    (closed under the error), whatever the error says.
    """
    reason = describe(error)
    if phase == "connect":
        if not isinstance(error, exc.DBAPIError | OSError):
            return Verdict(False, error)
        unavailable = StoreUnavailableError(f"cannot connect to {url}: {reason}")
        return Verdict(dead or is_dead_connection_error(error), unavailable, hide_cause=True)
    if not (dead or is_dead_connection_error(error)):
        return Verdict(False, error)
    if phase == "commit":
        return Verdict(
            False,
            ConnectionLostError(
                f"lost the connection to {url} during COMMIT; "
                f"the transaction may or may not have been applied: {reason}"
            ),
        )
    if single:
        lost: BaseException = ConnectionLostError(
            f"lost the connection to {url}; the statement "
            f"may or may not have been applied: {reason}"
        )
    else:
        lost = StoreUnavailableError(
            f"lost the connection to {url} before COMMIT; the transaction was rolled back: {reason}"
        )
    return Verdict(True, lost)


def describe(error: BaseException) -> str:
    """The driver's error class and first line, for messages (no SQL, no values)."""
    orig = getattr(error, "orig", None) or error
    text = str(orig)
    return f"{type(orig).__name__}: {text.splitlines()[0] if text else ''}"
