"""Portable column types: a JSON document, a UTC timestamp, and an Oracle-safe string.

Each dialect difference in how values are stored is written here, once.

Oracle binds (python-oracledb, thin mode, asyncio) need help that the column types
alone cannot give, installed on an engine by :func:`install_oracle_binds`:

- a JSON document is handed to the driver as the Python object and bound as
  ``DB_TYPE_JSON``: the driver encodes it to OSON itself, the server parses no text,
  and a document of any size travels as one value (text binds over 4000 bytes become
  ``LONG`` binds, which fail inside ``MERGE ... USING (SELECT ...)``, and over 32 KB
  with ORA-03146);
- a long search text is bound as a temporary ``CLOB``, and long bytes (LangGraph's
  serialised values) as a temporary ``BLOB``: the asyncio driver does not turn a
  ``str`` or ``bytes`` into a LOB on its own.

What comes back: python-oracledb returns every JSON number as ``Decimal`` (the OSON
encoder stores Python ``int`` and ``float`` alike as Oracle ``NUMBER``), so
:func:`_undecimal` gives integral values back as ``int`` and the others as ``float``.
``NUMBER`` keeps no trace of ``2.0`` versus ``2``: an integral ``float`` inside a
free-form value (metadata, tool arguments) comes back as an equal ``int``; typed
fields (``AgentState.confidence``) are restored as ``float`` by pydantic. ``float``
values beyond ``NUMBER``'s range (above about 1e125, below 1e-130) cannot be stored
in an Oracle JSON document at all.
"""

from __future__ import annotations

import datetime as dt
import inspect
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, TIMESTAMP, LargeBinary, String, Text, event
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.engine.interfaces import ExecutionContext
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import BindParameter, ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import TypeDecorator, TypeEngine
from sqlalchemy.util import await_

#: Stored in place of ``''`` on Oracle, where the empty string is NULL.
#: Callers may not use it as a value (validation refuses it everywhere).
EMPTY_STRING_SENTINEL = "\u2400"
#: Longest text bound as a plain string on Oracle: 4000 bytes, the SQL limit of
#: ``VARCHAR2`` unless ``MAX_STRING_SIZE=EXTENDED``. Longer text goes as a ``CLOB``.
ORACLE_MAX_STRING_BYTES = 4000
#: Longest bytes value bound as ``RAW`` on Oracle; longer values go as a ``BLOB``.
ORACLE_MAX_RAW_BYTES = 2000


def _undecimal(value: Any) -> Any:
    """Turn the ``Decimal`` numbers Oracle's JSON decoder returns into ``int``/``float``."""
    if isinstance(value, dict):
        return {k: _undecimal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_undecimal(v) for v in value]
    if isinstance(value, Decimal):
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int) and exponent >= 0:
            return int(value)
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def uses_native_oracle_json(dialect: Dialect) -> bool:
    """True when ``dialect`` stores JSON documents in Oracle's ``JSON`` type (21c and later)."""
    return dialect.name == "oracle" and bool(getattr(dialect, "_supports_oracle_json", False))


class JSONDocument(TypeDecorator[Any]):
    """A JSON document: ``JSONB`` on PostgreSQL, native ``JSON`` on Oracle 21c+, text on SQLite."""

    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.JSONB(none_as_null=True))
        return dialect.type_descriptor(JSON(none_as_null=True))

    def bind_processor(self, dialect: Dialect) -> Any:
        if uses_native_oracle_json(dialect):
            return None  # the object itself, bound as DB_TYPE_JSON by install_oracle_binds
        return super().bind_processor(dialect)

    def result_processor(self, dialect: Dialect, coltype: object) -> Any:
        inner = super().result_processor(dialect, coltype)
        if dialect.name != "oracle":
            return inner

        def process(value: Any) -> Any:
            if inner is not None:
                value = inner(value)
            return _undecimal(value)

        return process


class _UTCTimestampBind(ColumnElement[dt.datetime]):
    """A timestamp bind marked as UTC in SQL: ``FROM_TZ(CAST(:x AS TIMESTAMP), 'UTC')`` on Oracle.

    python-oracledb sends a ``datetime`` without its zone, and the server would read it
    in the session time zone; naming UTC in the statement stores the right instant
    whatever that session setting is, without a round trip to change it.
    """

    inherit_cache = True
    _traverse_internals = [("bind", InternalTraversal.dp_clauseelement)]  # noqa: RUF012

    def __init__(self, bind: BindParameter[dt.datetime]) -> None:
        self.bind = bind
        self.type = bind.type


@compiles(_UTCTimestampBind)
def _compile_utc_bind(element: _UTCTimestampBind, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.bind, **kw)


@compiles(_UTCTimestampBind, "oracle")
def _compile_utc_bind_oracle(element: _UTCTimestampBind, compiler: SQLCompiler, **kw: Any) -> str:
    return f"FROM_TZ(CAST({compiler.process(element.bind, **kw)} AS TIMESTAMP), 'UTC')"


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A time-zone aware UTC timestamp (``TIMESTAMP WITH TIME ZONE``; naive UTC text on SQLite)."""

    impl = TIMESTAMP(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must be time-zone aware")
        value = value.astimezone(dt.UTC)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def bind_expression(self, bindvalue: BindParameter[dt.datetime]) -> ColumnElement[dt.datetime]:
        return _UTCTimestampBind(bindvalue)

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if isinstance(value, str):  # SQLite through text() queries
            value = dt.datetime.fromisoformat(value)
        stamp: dt.datetime = value
        if stamp.tzinfo is None:
            return stamp.replace(tzinfo=dt.UTC)
        return stamp.astimezone(dt.UTC)


class KeyString(TypeDecorator[str]):
    """A string key that may be empty: Oracle stores ``''`` as NULL, so it gets a sentinel there."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value == "" and dialect.name == "oracle":
            return EMPTY_STRING_SENTINEL
        return value

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        if value == EMPTY_STRING_SENTINEL or (value is None and dialect.name == "oracle"):
            return ""
        return value


class SearchText(TypeDecorator[str]):
    """The derived text a full-text index reads: ``CLOB`` on Oracle, ``TEXT`` elsewhere."""

    impl = Text
    cache_ok = True


def _bind_key(context: ExecutionContext, bindparam: BindParameter[Any]) -> str:
    compiled: Any = context.compiled
    name: str = compiled.bind_names[bindparam]
    escaped: dict[str, str] | None = compiled.escaped_bind_names
    return escaped.get(name, name) if escaped else name


def _text_bind_type(values: list[Any], dbapi: Any) -> Any:
    """``None`` (leave it), ``DB_TYPE_VARCHAR`` or ``DB_TYPE_CLOB`` for these values of a bind."""
    # SQLAlchemy binds Text as NVARCHAR, up to four bytes a character: 1000 characters
    # always fit. Longer text fits as VARCHAR (AL32UTF8) while its UTF-8 form does.
    longest = 0
    for value in values:
        if isinstance(value, str) and len(value) > ORACLE_MAX_STRING_BYTES // 4:
            longest = max(longest, len(value.encode("utf-8")))
    if longest > ORACLE_MAX_STRING_BYTES:
        return dbapi.DB_TYPE_CLOB
    return dbapi.DB_TYPE_VARCHAR if longest else None


def _binary_bind_type(values: list[Any], dbapi: Any) -> Any:
    """``None`` (leave it as ``RAW``) or ``DB_TYPE_BLOB`` for these values of a bind."""
    if any(isinstance(v, bytes) and len(v) > ORACLE_MAX_RAW_BYTES for v in values):
        return dbapi.DB_TYPE_BLOB
    return None


def _as_lob(context: ExecutionContext, value: Any, lob_type: Any) -> Any:
    if not isinstance(value, str | bytes):
        return value
    driver_connection: Any = context.root_connection.connection.driver_connection
    lob = driver_connection.createlob(lob_type, value)
    return await_(lob) if inspect.isawaitable(lob) else lob


def _oracle_input_sizes(
    inputsizes: dict[BindParameter[Any], Any],
    cursor: Any,
    statement: str,
    parameters: Any,
    context: ExecutionContext,
) -> None:
    """Bind JSON documents as ``DB_TYPE_JSON``, long text and bytes as temporary LOBs."""
    dialect = context.dialect
    dbapi = dialect.loaded_dbapi
    native_json = uses_native_oracle_json(dialect)
    for bindparam in inputsizes:
        bind_type = bindparam.type
        if isinstance(bind_type, JSONDocument):
            if native_json:
                inputsizes[bindparam] = dbapi.DB_TYPE_JSON
            continue
        if isinstance(bind_type, SearchText):
            choose = _text_bind_type
        elif isinstance(bind_type, LargeBinary):
            choose = _binary_bind_type
        else:
            continue
        key = _bind_key(context, bindparam)
        rows = parameters if isinstance(parameters, list) else [parameters]
        dbtype = choose([row.get(key) for row in rows], dbapi)
        if dbtype is None:
            continue
        if dbtype is dbapi.DB_TYPE_CLOB or dbtype is dbapi.DB_TYPE_BLOB:
            for row in rows:
                row[key] = _as_lob(context, row.get(key), dbtype)
        inputsizes[bindparam] = dbtype


def install_oracle_binds(engine: Engine) -> None:
    """Make ``engine`` bind JSON documents and long text the Oracle way (idempotent)."""
    if engine.dialect.name != "oracle":
        return
    if not event.contains(engine, "do_setinputsizes", _oracle_input_sizes):
        event.listen(engine, "do_setinputsizes", _oracle_input_sizes)
