"""Which errors mean "the connection is dead": Oracle and PostgreSQL codes, without a server."""

from __future__ import annotations

from types import SimpleNamespace

import asyncpg
import oracledb
import pytest
from oracledb.errors import _Error
from sqlalchemy import exc
from sqlalchemy.dialects.oracle.oracledb import OracleDialect_oracledb

from locus_store._engine.retry import _mark_disconnect, is_dead_connection_error


def _oracle_error(message: str, code: int = 0) -> oracledb.DatabaseError:
    return oracledb.DatabaseError(_Error(message, code=code))


def _wrapped(orig: BaseException, *, invalidated: bool = False) -> exc.DBAPIError:
    error = exc.DBAPIError.instance(
        "SELECT 1", {}, orig, oracledb.Error, connection_invalidated=invalidated
    )
    assert isinstance(error, exc.DBAPIError)
    return error


@pytest.mark.parametrize(
    ("message", "code"),
    [
        ("ORA-03113: end-of-file on communication channel", 3113),
        ("ORA-03114: not connected to ORACLE", 3114),
        ("ORA-03135: connection lost contact", 3135),
        ("ORA-12537: TNS:connection closed", 12537),
        ("ORA-02396: exceeded maximum idle time, please connect again", 2396),
        ("ORA-00028: your session has been killed", 28),
        ("ORA-03138: Connection terminated due to security policy violation", 3138),
        ("ORA-02399: exceeded maximum connect time, you are being logged off", 2399),
        ("ORA-25408: can not safely replay call", 25408),
        ("DPY-4011: the database or network closed the connection", 0),
        ("DPY-1001: not connected to database", 0),
    ],
)
def test_oracle_dead_session_errors_are_disconnects(message: str, code: int) -> None:
    error = _oracle_error(message, code)
    assert is_dead_connection_error(error)
    assert is_dead_connection_error(_wrapped(error))


def test_codes_sqlalchemy_misses_are_caught_here() -> None:
    """ORA-03138 and ORA-02399 are not in SQLAlchemy's list nor mapped by python-oracledb."""
    dialect = OracleDialect_oracledb(dbapi=oracledb)
    for message, code in [
        ("ORA-03138: Connection terminated due to security policy violation", 3138),
        ("ORA-02399: exceeded maximum connect time, you are being logged off", 2399),
    ]:
        error = _oracle_error(message, code)
        assert not dialect.is_disconnect(error, None, None)
        assert is_dead_connection_error(error)


@pytest.mark.parametrize(
    ("message", "code"),
    [
        ("ORA-00001: unique constraint (X.PK) violated", 1),
        ("ORA-00942: table or view does not exist", 942),
        ("ORA-01400: cannot insert NULL into (X.Y.Z)", 1400),
        ("ORA-29902: error in executing ODCIIndexStart() routine", 29902),
        ("DPY-4024: call timeout of 5000 ms exceeded", 0),
    ],
)
def test_ordinary_oracle_errors_are_not_disconnects(message: str, code: int) -> None:
    assert not is_dead_connection_error(_oracle_error(message, code))


@pytest.mark.parametrize(
    "error",
    [
        asyncpg.exceptions.AdminShutdownError(
            "terminating connection due to administrator command"
        ),
        asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed in the middle"),
        asyncpg.exceptions.CannotConnectNowError("the database system is starting up"),
        asyncpg.exceptions.ConnectionFailureError("connection failure"),
        ConnectionResetError(104, "Connection reset by peer"),
        asyncpg.exceptions.InterfaceError("connection is closed"),
    ],
)
def test_postgres_lost_connections_are_disconnects(error: BaseException) -> None:
    assert is_dead_connection_error(error)


@pytest.mark.parametrize(
    "error",
    [
        asyncpg.exceptions.UniqueViolationError("duplicate key value"),
        asyncpg.exceptions.SerializationError("could not serialize access"),
        asyncpg.exceptions.QueryCanceledError("canceling statement due to statement timeout"),
        ValueError("not a database error"),
    ],
)
def test_ordinary_postgres_errors_are_not_disconnects(error: BaseException) -> None:
    assert not is_dead_connection_error(error)


def test_an_error_sqlalchemy_already_invalidated_is_a_disconnect() -> None:
    error = _oracle_error("ORA-00942: table or view does not exist", 942)
    assert is_dead_connection_error(_wrapped(error, invalidated=True))


def test_the_cause_chain_is_followed() -> None:
    outer = RuntimeError("adapter error")
    outer.__cause__ = asyncpg.exceptions.AdminShutdownError("terminating connection")
    assert is_dead_connection_error(outer)


def test_handle_error_hook_marks_missed_codes_as_disconnects() -> None:
    error = _oracle_error("ORA-03138: Connection terminated due to security policy violation", 3138)
    context = SimpleNamespace(original_exception=error, is_disconnect=False)
    _mark_disconnect(context)  # type: ignore[arg-type]
    assert context.is_disconnect

    ordinary = SimpleNamespace(
        original_exception=_oracle_error("ORA-00942: table or view does not exist", 942),
        is_disconnect=False,
    )
    _mark_disconnect(ordinary)  # type: ignore[arg-type]
    assert not ordinary.is_disconnect


def test_privilege_errors_are_recognised_on_oracle_and_postgresql() -> None:
    from locus_store._engine.retry import is_privilege_error

    oracle = _wrapped(_oracle_error("ORA-01031: insufficient privileges", 1031))
    assert is_privilege_error(oracle)
    assert not is_privilege_error(_wrapped(_oracle_error("ORA-00942: table does not exist", 942)))
    denied = asyncpg.exceptions.InsufficientPrivilegeError("permission denied for schema public")
    assert is_privilege_error(denied)
    assert not is_privilege_error(asyncpg.exceptions.UniqueViolationError("duplicate key"))
