"""Portable column types: a JSON document, a UTC timestamp, and an Oracle-safe string.

Each dialect difference in how values are stored is written here, once.

Oracle binds (python-oracledb, thin mode, asyncio) need help that the column types
alone cannot give, installed on an engine by `install_oracle_binds`: a value
longer than the SQL limit of ``VARCHAR2``/``RAW`` (4000/2000 bytes, or 32767 with
``MAX_STRING_SIZE=EXTENDED``, probed once per engine) is bound as a temporary
``CLOB``/``BLOB``. Left to itself the driver sends it as ``LONG``, which Oracle refuses
outside a plain ``INSERT ... VALUES`` (ORA-01461 inside ``MERGE ... USING (SELECT
...)``, ORA-03146 past 32 KB); the asyncio driver does not make LOBs on its own.

JSON documents go to Oracle's ``JSON`` type as JSON text, which the server encodes to
OSON. Binding the Python object as ``DB_TYPE_JSON`` instead would make the driver
encode OSON on the client, and python-oracledb's encoder (3.4 and 26.1 alike) takes
time growing faster than the square of the number of objects and arrays: about 1.4 s
for an 80-message ``AgentState``, against 0.3 ms for ``json.dumps``. It would not keep
``2.0`` apart from ``2`` either: the driver stores every Python number as ``NUMBER``.

What comes back: python-oracledb returns every JSON number as ``Decimal``, so
`_undecimal` gives integral values back as ``int`` and the others as ``float``.
``NUMBER`` keeps no trace of ``2.0`` versus ``2``: an integral ``float`` inside a
free-form value (metadata, tool arguments) comes back as an equal ``int``; typed
fields (``AgentState.confidence``) are restored as ``float`` by pydantic. PostgreSQL's
``jsonb`` does the same to integral floats it prints without an exponent (1.5e20).
"""

from __future__ import annotations

import datetime as dt
import inspect
import weakref
from collections.abc import Callable
from dataclasses import dataclass
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
#: SQL limits of ``VARCHAR2`` and ``RAW`` in bytes (``MAX_STRING_SIZE=STANDARD``);
#: longer values are bound as LOBs.
ORACLE_MAX_STRING_BYTES = 4000
ORACLE_MAX_RAW_BYTES = 2000
#: Both limits when the database runs with ``MAX_STRING_SIZE=EXTENDED`` (Autonomous Database).
ORACLE_EXTENDED_MAX_BYTES = 32767
#: Fails with ORA-00910 unless ``MAX_STRING_SIZE=EXTENDED``; needs no privilege.
EXTENDED_STRINGS_PROBE = "SELECT CAST(NULL AS VARCHAR2(32767)) FROM DUAL"


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

    def _cx_oracle_outputtypehandler(self, dialect: Dialect) -> Any:
        """How python-oracledb fetches this column: a native ``JSON`` one decoded by the driver.

        SQLAlchemy's Oracle dialect asks for native JSON as ``VARCHAR2(32767)`` text
        whenever the engine has a ``json_deserializer`` (ours has), so a document over
        32767 bytes would fail (ORA-40478). Returning no variable for ``DB_TYPE_JSON``
        lets the driver decode OSON itself, at any size; JSON held as text (a
        ``JSON_QUERY`` result, ``BLOB`` before 21c) keeps the dialect's own handling.
        """
        impl: Any = dialect.type_descriptor(JSON(none_as_null=True))
        text_handler = getattr(impl, "_cx_oracle_outputtypehandler", lambda _d: None)(dialect)
        if not uses_native_oracle_json(dialect):
            return text_handler
        native = dialect.loaded_dbapi.DB_TYPE_JSON

        def handler(
            cursor: Any, name: str, default_type: Any, size: int, precision: int, scale: int
        ) -> Any:
            if default_type is native or text_handler is None:
                return None
            return text_handler(cursor, name, default_type, size, precision, scale)

        return handler

    def result_processor(self, dialect: Dialect, coltype: object) -> Any:
        inner = super().result_processor(dialect, coltype)
        if dialect.name != "oracle":
            return inner

        def process(value: Any) -> Any:
            if inner is not None:
                value = inner(value)
            return _undecimal(value)

        return process


#: The zone Oracle timestamps are written in: an offset, never a region name.
#: A ``TIMESTAMP WITH TIME ZONE`` holding a region (``'UTC'``, ``'Europe/Paris'``)
#: cannot be fetched by python-oracledb in thin mode (DPY-3022, "named time zones are
#: not supported in thin mode"); one holding an offset comes back as a naive
#: ``datetime`` in that offset, here UTC.
ORACLE_UTC_OFFSET = "+00:00"


class _UTCTimestampBind(ColumnElement[dt.datetime]):
    """A timestamp bind marked as UTC in SQL: ``FROM_TZ(CAST(:x AS TIMESTAMP), '+00:00')``.

    python-oracledb sends a ``datetime`` without its zone, and the server would read it
    in the session time zone; naming the offset in the statement stores the right
    instant whatever that session setting is, without a round trip to change it.
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
    bind = compiler.process(element.bind, **kw)
    return f"FROM_TZ(CAST({bind} AS TIMESTAMP), '{ORACLE_UTC_OFFSET}')"


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


@dataclass(frozen=True)
class _Limits:
    string_bytes: int = ORACLE_MAX_STRING_BYTES
    raw_bytes: int = ORACLE_MAX_RAW_BYTES


_STANDARD = _Limits()
_EXTENDED = _Limits(ORACLE_EXTENDED_MAX_BYTES, ORACLE_EXTENDED_MAX_BYTES)
_limits: weakref.WeakKeyDictionary[Dialect, _Limits] = weakref.WeakKeyDictionary()


def _text_bind_type(values: list[Any], dbapi: Any, limits: _Limits) -> Any:
    """``None`` (leave it), ``DB_TYPE_VARCHAR`` or ``DB_TYPE_CLOB`` for these values of a bind."""
    # SQLAlchemy binds Text as NVARCHAR, up to four bytes a character: 1000 characters
    # always fit. Longer text fits as VARCHAR (AL32UTF8) while its UTF-8 form does.
    longest = 0
    for value in values:
        if isinstance(value, str) and len(value) > ORACLE_MAX_STRING_BYTES // 4:
            longest = max(longest, len(value.encode("utf-8")))
    if longest > limits.string_bytes:
        return dbapi.DB_TYPE_CLOB
    return dbapi.DB_TYPE_VARCHAR if longest else None


def _binary_bind_type(values: list[Any], dbapi: Any, limits: _Limits) -> Any:
    """``None`` (leave it as ``RAW``) or ``DB_TYPE_BLOB`` for these values of a bind."""
    if any(isinstance(v, bytes) and len(v) > limits.raw_bytes for v in values):
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
    """Bind values past the ``VARCHAR2``/``RAW`` limits as temporary LOBs."""
    dialect = context.dialect
    dbapi = dialect.loaded_dbapi
    limits = _limits.get(dialect, _STANDARD)
    native_json = uses_native_oracle_json(dialect)
    for bindparam in inputsizes:
        bind_type = bindparam.type
        if isinstance(bind_type, SearchText) or (
            native_json and isinstance(bind_type, JSONDocument)
        ):
            choose = _text_bind_type
        elif isinstance(bind_type, LargeBinary | JSONDocument):  # JSON is a BLOB before 21c
            choose = _binary_bind_type
        else:
            continue
        key = _bind_key(context, bindparam)
        rows = parameters if isinstance(parameters, list) else [parameters]
        dbtype = choose([row.get(key) for row in rows], dbapi, limits)
        if dbtype is None:
            continue
        if dbtype is dbapi.DB_TYPE_CLOB or dbtype is dbapi.DB_TYPE_BLOB:
            for row in rows:
                row[key] = _as_lob(context, row.get(key), dbtype)
        inputsizes[bindparam] = dbtype


def _probe_string_size(engine: Engine) -> Callable[[Any, Any], None]:
    dialect = engine.dialect

    def first_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(EXTENDED_STRINGS_PROBE)
            cursor.fetchall()
        except dialect.loaded_dbapi.DatabaseError:
            _limits[dialect] = _STANDARD
        else:
            _limits[dialect] = _EXTENDED
        finally:
            cursor.close()

    return first_connect


def install_oracle_binds(engine: Engine) -> None:
    """Make ``engine`` bind long text and bytes as LOBs (idempotent, once per engine)."""
    if engine.dialect.name != "oracle":
        return
    if not event.contains(engine, "do_setinputsizes", _oracle_input_sizes):
        event.listen(engine, "do_setinputsizes", _oracle_input_sizes)
        event.listen(engine, "first_connect", _probe_string_size(engine))
