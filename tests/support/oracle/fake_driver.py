"""A stand-in for a python-oracledb thin ``AsyncConnection`` that behaves like the driver.

With it, an engine built by ``create_async_engine("oracle+oracledb://...",
async_creator=...)`` runs SQLAlchemy's real Oracle dialect, our column types and our
engine hooks, and the test sees exactly what the driver would receive: the SQL, the
bind values and the ``setinputsizes`` types. Nothing reaches a server.

Where our code depends on what the driver or the server does, the fake does the
same, one behaviour per function below, each citing the documentation it follows:

- :func:`as_server_sees` — ``''`` is NULL (Oracle SQL Language Reference, "Nulls":
  "Oracle Database currently treats a character value with a length of zero as null").
- :func:`server_timestamp` / :func:`fetch_timestamp_tz` — ``FROM_TZ`` keeps the zone
  it is given, a region name or an offset (SQL Language Reference, "FROM_TZ"); thin mode
  refuses to fetch a value holding a region name with DPY-3022 (python-oracledb error
  ``ERR_NAMED_TIMEZONE_NOT_SUPPORTED``, "named time zones are not supported in thin
  mode") and returns an offset value as a naive ``datetime`` in that offset.
- :func:`fetch_value` — output type handlers: the cursor's handler (else the
  connection's) is called once per fetched column with the column's real type, and the
  variable it returns decides what comes back: its type and size are enforced (a JSON
  value converted to a ``VARCHAR2`` longer than the variable fails with ORA-40478,
  "output value too large (maximum: n)") and its ``outconverter`` is applied. With no
  variable, JSON comes back as the driver decodes OSON: every number a ``Decimal``
  (python-oracledb user guide, "Using JSON Data": "NUMBER ... decimal.Decimal").
- :func:`round_trips_of_fetch` — every message to the server is one round trip
  (python-oracledb user guide, "Tuning python-oracledb" / "Round-trips"): an execute, a
  commit, a rollback (thin mode sends one even with no transaction open), a ping, an
  ``ALTER SESSION`` (an execute), a temporary LOB's creation; rows come back with the
  execute up to ``prefetchrows`` unless the query returns a LOB, JSON or VECTOR column
  (then the first rows need a fetch), and each further ``arraysize`` rows cost one.
  With ``autocommit`` on, the commit rides on the execute (no message of its own).
- :func:`bind_value` — VECTOR binds as the driver makes them (python-oracledb user
  guide, "Using VECTOR Data": ``array.array`` of typecode ``f`` (FLOAT32), ``d``
  (FLOAT64), ``b`` (INT8) or ``B`` (BINARY) "are used as bind values when inserting
  vector columns"; the driver's base ``connection.pyx`` refuses any other typecode with
  DPY-3013 and an empty array with DPY-4031, and turns a ``list`` into ``array('d')``
  only for a variable already typed ``DB_TYPE_VECTOR``). Any other ``list`` is bound as a
  PL/SQL collection (``bind_var.pyx``: a list value makes an array variable; user guide,
  "Binding PL/SQL Collections"), which the server refuses in SQL with ORA-01484 "arrays
  can only be bound to PL/SQL statements" (:func:`refuse_arrays_in_sql`).
- :func:`stored_vector` — a vector stored in ``VECTOR(n, FLOAT32)`` is converted to the
  column's format ("Oracle Database automatically casts the values as needed") and
  must have its ``n`` dimensions, else ORA-51803 (SQL Language Reference, "Data
  Types", Vector Data Type: "If you specify the number of dimensions at declaration,
  then you must input the same number of dimensions"); it is fetched as an
  ``array.array`` of the column's format (user guide: "fetched as Python
  array.array() types").

A python-oracledb thin connection object that never connects encodes and decodes OSON
here: the driver's own code, not an imitation.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import inspect
import json
import math
import re
from array import array
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import oracledb
import oracledb.thin_impl as thin_impl
import sqlglot
from oracledb import errors as driver_errors
from oracledb.errors import _Error
from sqlglot import expressions as exp

#: What the fake says about the server: Oracle Database 23ai.
SERVER_VERSION = "23.5.0.0.0"

#: Column types whose rows thin mode cannot prefetch with the execute.
NOT_PREFETCHABLE = (
    oracledb.DB_TYPE_JSON,
    oracledb.DB_TYPE_CLOB,
    oracledb.DB_TYPE_NCLOB,
    oracledb.DB_TYPE_BLOB,
    oracledb.DB_TYPE_VECTOR,
)
_OFFSET = re.compile(r"^[+-]\d{2}:\d{2}$")
#: ``array.array`` typecodes the driver binds as a VECTOR, by the format each stands for.
VECTOR_TYPECODES = {"f": "FLOAT32", "d": "FLOAT64", "b": "INT8", "B": "BINARY"}


@dataclass
class Sent:
    """One statement as the driver would have received it."""

    sql: str
    parameters: Any
    input_sizes: dict[str, Any]


@dataclass
class FakeLob:
    """A temporary LOB created by ``createlob``."""

    type: Any
    data: str | bytes


@dataclass(frozen=True)
class ServerTimestamp:
    """A ``TIMESTAMP WITH TIME ZONE`` as the server keeps it: the instant and the zone."""

    utc: dt.datetime  # naive, UTC
    zone: str  # '+00:00', or a region name such as 'UTC'


@dataclass(frozen=True)
class Column:
    """A fetched column as the driver describes it to an output type handler."""

    name: str
    type_code: Any
    size: int | None = None
    precision: int | None = None
    scale: int | None = None


class FakeVar:
    """What ``cursor.var()`` returns: a type, a size and an optional converter."""

    def __init__(
        self,
        typ: Any = None,
        size: int = 0,
        arraysize: int = 1,
        *,
        outconverter: Callable[[Any], Any] | None = None,
        **_: Any,
    ) -> None:
        self.type = typ
        self.size = size
        self.outconverter = outconverter
        self.value: Any = None

    def getvalue(self) -> Any:
        return self.value


# -- the server ------------------------------------------------------------------------
def as_server_sees(value: Any) -> Any:
    """A bind value as the server stores or compares it: ``''`` is NULL."""
    return None if value == "" else value


def is_region_name(zone: str) -> bool:
    """True for a time zone region name (``'UTC'``, ``'Europe/Paris'``), not an offset."""
    return not _OFFSET.match(zone)


def server_timestamp(value: dt.datetime, zone: str) -> ServerTimestamp:
    """What ``FROM_TZ(CAST(:value AS TIMESTAMP), zone)`` stores."""
    if not is_region_name(zone):
        sign = 1 if zone[0] == "+" else -1
        hours, minutes = int(zone[1:3]), int(zone[4:6])
        value = value - sign * dt.timedelta(hours=hours, minutes=minutes)
    return ServerTimestamp(value.replace(tzinfo=None), zone)


def is_plsql(sql: str) -> bool:
    """A PL/SQL block (where a PL/SQL collection bind is allowed), not a SQL statement."""
    return bool(re.match(r"\s*(BEGIN|DECLARE|CALL)\b", sql, re.IGNORECASE))


def bind_value(value: Any, input_size: Any = None) -> Any:
    """``value`` as the driver binds it: a VECTOR checked and made, other values as given."""
    if input_size is oracledb.DB_TYPE_VECTOR and isinstance(value, list):
        value = array("d", value)
    if isinstance(value, array):
        if value.typecode not in VECTOR_TYPECODES:
            raise driver_errors._create_exception(
                driver_errors.ERR_UNSUPPORTED_PYTHON_TYPE_FOR_DB_TYPE,
                py_type_name="array",
                db_type_name="DB_TYPE_VECTOR",
            )
        if not value:
            raise driver_errors._create_exception(driver_errors.ERR_INVALID_VECTOR)
    return value


def refuse_arrays_in_sql(sql: str, rows: list[Mapping[str, Any]]) -> None:
    """What the server says to a ``list`` bound in SQL: the driver sent a PL/SQL array."""
    if is_plsql(sql):
        return
    for row in rows:
        if any(isinstance(v, list) for v in row.values()):
            raise driver_error("ORA-01484: arrays can only be bound to PL/SQL statements", 1484)


def stored_vector(value: array[Any], dims: int | None) -> array[float]:
    """A vector as a ``VECTOR(dims, FLOAT32)`` column stores it."""
    if dims is not None and len(value) != dims:
        raise driver_error(
            "ORA-51803: Vector dimension count must match the dimension count specified "
            f"in the column definition (expected {dims} dimensions, specified "
            f"{len(value)} dimensions).",
            51803,
        )
    return array("f", value)


def _oson() -> Any:
    return thin_impl.ThinConnImpl(is_async=True)


def encode_json(value: Any) -> bytes:
    """A JSON document as the server stores it in a ``JSON`` column (OSON)."""
    return bytes(_oson().encode_oson(value))


def written_row(sent: Sent, table: Any) -> dict[str, Any]:
    """What the server stores for the row an ``INSERT`` (or a ``MERGE``'s insert) sends.

    Each value is evaluated as the server would: binds as the server sees them
    (:func:`as_server_sees`, LOB contents), ``FROM_TZ(CAST(:x AS TIMESTAMP), zone)`` as
    :func:`server_timestamp`, and JSON text bound into a ``JSON`` column parsed and kept
    as OSON. ``table`` is the SQLAlchemy table, for its column types.
    """
    from locus_store.schema.types import JSONDocument
    from locus_store.schema.vectors import EmbeddingVector

    tree = sqlglot.parse_one(sent.sql, read="oracle")
    insert = tree if isinstance(tree, exp.Insert) else tree.find(exp.Insert)
    assert insert is not None, sent.sql
    target, values = insert.this, insert.expression
    names = [c.name for c in target.expressions]  # Schema (INSERT) or Tuple (MERGE)
    if isinstance(values, exp.Select):  # INSERT ... SELECT: the select list, aliases dropped
        row_values = [e.this if isinstance(e, exp.Alias) else e for e in values.expressions]
    else:
        row = values.expressions[0] if isinstance(values, exp.Values) else values
        row_values = row.expressions
    stored: dict[str, Any] = {}
    for name, expression in zip(names, row_values, strict=True):
        value = _evaluate(expression, sent.parameters)
        column = table.c[name.lower()]
        if isinstance(column.type, JSONDocument) and isinstance(value, str):
            value = encode_json(json.loads(value))
        if isinstance(column.type, EmbeddingVector) and isinstance(value, array):
            value = stored_vector(value, column.type.dims)
        stored[name.upper()] = value
    return stored


def _evaluate(expression: exp.Expression, parameters: Mapping[str, Any]) -> Any:
    if isinstance(expression, exp.Placeholder):
        value = parameters[expression.name]
        if isinstance(value, FakeLob):
            value = value.data
        return as_server_sees(value)
    if isinstance(expression, exp.Anonymous) and expression.name.upper() == "FROM_TZ":
        inner, zone = expression.expressions
        value = _evaluate(inner.this if isinstance(inner, exp.Cast) else inner, parameters)
        return None if value is None else server_timestamp(value, zone.name)
    if isinstance(expression, exp.Literal):
        return expression.name if expression.is_string else Decimal(expression.name)
    if isinstance(expression, exp.Null | exp.Subquery | exp.Column):
        return None  # a NULL, or what only a query engine could compute (left unknown)
    raise AssertionError(f"the fake does not evaluate {expression.sql('oracle')}")


def remember_writes(tables: list[Any]) -> Callable[[FakeDriver, str, Any], Answer | None]:
    """A server rule that answers reads of ``tables`` with the rows written to them.

    Rows are kept as the server stores them (:func:`written_row`), one per primary
    key, the newest write winning; a ``SELECT`` whose ``FROM`` names one of these
    tables gets every kept row, whatever its ``WHERE`` (tests use one key at a time),
    so what a save wrote is what a load fetches, through the driver's fetch path.
    """
    by_name = {t.name.lower(): t for t in tables}
    kept: dict[str, dict[tuple[Any, ...], dict[str, Any]]] = {name: {} for name in by_name}

    def rule(driver: FakeDriver, sql: str, parameters: Any) -> Answer | None:
        lowered = sql.lstrip().lower()
        if lowered.startswith(("insert", "merge")):
            name = _target_table(lowered)
            table = by_name.get(name)
            if table is not None:
                row = written_row(Sent(sql, parameters, {}), table)
                key = tuple(row.get(c.name.upper()) for c in table.primary_key.columns)
                kept[name][key] = {**kept[name].get(key, {}), **row}
            return None
        if not lowered.startswith(("select", "with")):
            return None
        tree = sqlglot.parse_one(sql, read="oracle")
        sources = {t.name.lower() for t in tree.find_all(exp.Table)}
        if len(sources) != 1 or not sources <= by_name.keys():
            return None
        (name,) = sources
        types = {c.name.upper(): declared_type(c.type) for c in by_name[name].columns}
        return Answer("", list(kept[name].values()), types)

    return rule


def _target_table(sql: str) -> str:
    """The table an ``INSERT``/``MERGE`` writes (optimizer hints and all)."""
    match = re.search(r"\binto\s+(\w+)", sql, re.IGNORECASE)
    return match.group(1).lower() if match else ""


def column_limits(
    tables: list[Any], *, extended: bool = False
) -> Callable[[FakeDriver, str, Any], Answer | None]:
    """A server rule refusing a string too long for its ``VARCHAR2(n CHAR)`` column.

    A ``VARCHAR2(n CHAR)`` value may hold ``n`` characters but never more bytes than
    the type's maximum: 4000 with ``MAX_STRING_SIZE=STANDARD``, 32767 with
    ``EXTENDED`` (SQL Language Reference, "Data Types", VARCHAR2: "the maximum length
    of VARCHAR2 data is 4000 bytes ... if MAX_STRING_SIZE = STANDARD"); a longer value
    fails with ORA-12899 "value too large for column".
    """
    from sqlalchemy import String
    from sqlalchemy.types import TypeDecorator

    by_name = {t.name.lower(): t for t in tables}
    most_bytes = 32767 if extended else 4000

    def rule(driver: FakeDriver, sql: str, parameters: Any) -> Answer | None:
        lowered = sql.lstrip().lower()
        if not lowered.startswith(("insert", "merge")):
            return None
        table = by_name.get(_target_table(lowered))
        if table is None:
            return None
        for name, value in written_row(Sent(sql, parameters, {}), table).items():
            column_type = table.c[name.lower()].type
            declared = column_type.impl if isinstance(column_type, TypeDecorator) else column_type
            if not isinstance(value, str) or type(declared) is not String:
                continue  # VARCHAR2 only (not CLOB)
            chars, size = len(value), len(value.encode())
            limit = declared.length or most_bytes
            if chars > limit or size > most_bytes:
                raise driver_error(
                    f'ORA-12899: value too large for column "APP"."{table.name.upper()}".'
                    f'"{name}" (actual: {size}, maximum: {min(limit * 4, most_bytes)})',
                    12899,
                )
        return None

    return rule


def declared_type(column_type: Any) -> Any:
    """The type the server reports for a column of this SQLAlchemy type."""
    from sqlalchemy import LargeBinary, Numeric

    from locus_store.schema.types import JSONDocument, SearchText, UTCDateTime
    from locus_store.schema.vectors import EmbeddingVector

    if isinstance(column_type, EmbeddingVector):
        return oracledb.DB_TYPE_VECTOR
    if isinstance(column_type, JSONDocument):
        return oracledb.DB_TYPE_JSON
    if isinstance(column_type, UTCDateTime):
        return oracledb.DB_TYPE_TIMESTAMP_TZ
    if isinstance(column_type, SearchText):
        return oracledb.DB_TYPE_CLOB
    if isinstance(column_type, LargeBinary):
        return oracledb.DB_TYPE_BLOB
    if isinstance(column_type, Numeric) or column_type.python_type is int:
        return oracledb.DB_TYPE_NUMBER
    return oracledb.DB_TYPE_VARCHAR


def driver_error(message: str, code: int) -> oracledb.DatabaseError:
    """A server error as python-oracledb raises it."""
    return oracledb.DatabaseError(_Error(message, code=code))


# -- fetching --------------------------------------------------------------------------
def fetch_timestamp_tz(value: ServerTimestamp) -> dt.datetime:
    """A ``TIMESTAMP WITH TIME ZONE`` fetched in thin mode: naive, in its own offset."""
    if is_region_name(value.zone):
        raise driver_errors._create_exception(driver_errors.ERR_NAMED_TIMEZONE_NOT_SUPPORTED)
    sign = 1 if value.zone[0] == "+" else -1
    offset = dt.timedelta(hours=int(value.zone[1:3]), minutes=int(value.zone[4:6]))
    return value.utc + sign * offset


def _json_text(value: Any) -> str:
    """The server's text form of a decoded JSON value (numbers exactly as stored)."""
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{_json_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_json_text(v) for v in value) + "]"
    if isinstance(value, Decimal):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def fetch_value(value: Any, column: Column, var: FakeVar | None) -> Any:
    """One value of ``column`` as the driver returns it, given the handler's variable."""
    if value is None:
        return None
    if column.type_code is oracledb.DB_TYPE_TIMESTAMP_TZ:
        result: Any = fetch_timestamp_tz(value)
    elif column.type_code is oracledb.DB_TYPE_JSON:
        if var is not None and var.type in (oracledb.DB_TYPE_VARCHAR, oracledb.DB_TYPE_NVARCHAR):
            text = _json_text(_oson().decode_oson(value))
            if len(text.encode()) > var.size:
                raise driver_error(
                    f"ORA-40478: output value too large (maximum: {var.size})", 40478
                )
            result = text
        else:
            result = _oson().decode_oson(value)
    elif column.type_code in (oracledb.DB_TYPE_CLOB, oracledb.DB_TYPE_BLOB) and var is None:
        result = FakeLob(column.type_code, value)
    elif column.type_code is oracledb.DB_TYPE_VECTOR:
        result = array(value.typecode, value)  # the column's own format
    else:
        result = value
    if var is not None and var.outconverter is not None:
        result = var.outconverter(result)
    return result


def call_handler(handler: Any, cursor: Any, column: Column) -> FakeVar | None:
    """Call an output type handler the way the driver does (two- or six-argument form)."""
    if handler is None:
        return None
    if len(inspect.signature(handler).parameters) == 2:
        return handler(cursor, column)  # type: ignore[no-any-return]
    return handler(  # type: ignore[no-any-return]
        cursor, column.name, column.type_code, column.size, column.precision, column.scale
    )


def round_trips_of_fetch(
    columns: list[Column], rows: int, prefetchrows: int, arraysize: int
) -> int:
    """Round trips a ``fetchall`` costs after the execute that returned its first rows."""
    prefetched = 0 if any(c.type_code in NOT_PREFETCHABLE for c in columns) else prefetchrows
    if rows < prefetched:
        return 0  # the end of the rows came back with the execute
    return max(1, math.ceil((rows - prefetched + 1) / arraysize))


def _column_type(value: Any) -> Any:
    if isinstance(value, ServerTimestamp):
        return oracledb.DB_TYPE_TIMESTAMP_TZ
    if isinstance(value, array):
        return oracledb.DB_TYPE_VECTOR
    if isinstance(value, bytes):
        return oracledb.DB_TYPE_JSON
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return oracledb.DB_TYPE_NUMBER
    return oracledb.DB_TYPE_VARCHAR


def select_names(sql: str) -> list[str]:
    """The names of a SELECT's columns, as the server reports them (upper case)."""
    from tests.support.oracle.sqlcheck import read_oracle

    tree = read_oracle(sql)
    select = tree if isinstance(tree, exp.Select) else tree.find(exp.Select)
    assert select is not None, sql
    return [(e.alias_or_name or f"C{i}").upper() for i, e in enumerate(select.expressions)]


@dataclass
class Answer:
    """Rows for the next statement containing ``fragment``.

    ``rows`` are tuples in select-list order, or mappings from column name to the
    server's value (``ServerTimestamp``, OSON ``bytes`` from :func:`encode_json`, ``str``,
    numbers). ``types`` names a column's type where the values cannot tell it (NULLs).
    """

    fragment: str
    rows: list[Any]
    types: Mapping[str, Any] = field(default_factory=dict)
    #: For a DELETE or UPDATE a rule carried out: the rows it affected, as
    #: ``Cursor.rowcount`` reports them ("the number of rows ... affected by the
    #: operation (for insert, update, delete and merge statements)"; after
    #: ``executemany`` the total over every parameter set).
    rowcount: int | None = None


@dataclass
class FakeDriver:
    """Shared state of the fake connections: what was sent, and canned answers."""

    sent: list[Sent] = field(default_factory=list)
    lobs: list[FakeLob] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)
    fail_with: Callable[[str], BaseException | None] | None = None
    version: str = SERVER_VERSION
    #: ``MAX_STRING_SIZE=EXTENDED`` (Autonomous Database) or ``STANDARD`` (the default).
    extended_strings: bool = False
    #: Every message sent to the server, as ``(kind, sql or '')``.
    trips: list[tuple[str, str]] = field(default_factory=list)
    #: Rules run on every execute, before the canned answers: each may raise what the
    #: server would, return rows (an :class:`Answer` without fragment) or ``None``.
    server_rules: list[Callable[[FakeDriver, str, Any], Answer | None]] = field(
        default_factory=list
    )
    connections: list[FakeConnection] = field(default_factory=list)

    def answer(
        self, sql_fragment: str, rows: list[Any], types: Mapping[str, Any] | None = None
    ) -> None:
        """Return ``rows`` for the next statement containing ``sql_fragment``."""
        self.answers.append(Answer(sql_fragment, rows, dict(types or {})))

    async def connect(self) -> FakeConnection:
        self.trips.append(("connect", ""))
        connection = FakeConnection(self)
        self.connections.append(connection)
        return connection

    @property
    def open_transactions(self) -> list[FakeConnection]:
        """Connections with uncommitted work on the server."""
        return [c for c in self.connections if c.transaction_in_progress]

    @property
    def statements(self) -> list[Sent]:
        """What the store sent (the dialect's own start-up queries left out)."""
        return [s for s in self.sent if not _is_dialect_probe(s.sql)]

    def reset_trips(self) -> None:
        self.trips.clear()

    @property
    def store_trips(self) -> list[tuple[str, str]]:
        """Round trips after connecting, the dialect's start-up queries left out."""
        return [t for t in self.trips if t[0] != "connect" and not _is_dialect_probe(t[1])]

    def take_answer(self, sql: str, parameters: Any) -> Answer | None:
        for rule in self.server_rules:
            answer = rule(self, sql, parameters)
            if answer is not None:
                return answer
        lowered = sql.lower()
        for i, answer in enumerate(self.answers):
            if answer.fragment.lower() in lowered:
                del self.answers[i]
                return answer
        return None


_PROBES = ("FROM DUAL", "dbms_transaction", "v$transaction", "v$parameter", "sys_context")


def _is_dialect_probe(sql: str) -> bool:
    return any(p.lower() in sql.lower() for p in _PROBES) and "locus" not in sql.lower()


def _probe_rows(driver: FakeDriver, sql: str, parameters: Any) -> list[tuple[Any, ...]] | None:
    """Answers to the queries SQLAlchemy's dialect sends when it first connects."""
    lowered = sql.lower()
    if "varchar2(32767)" in lowered and not driver.extended_strings:
        raise driver_error("ORA-00910: specified length too long for its datatype", 910)
    if "dbms_transaction.local_transaction_id" in lowered:
        parameters["trans_id"].value = "1.2.3"
        return []
    if "from v$transaction" in lowered:
        return [("READ COMMITTED",)]
    if "1.1 from dual" in lowered:
        return [("1.1",)]
    if "v$parameter" in lowered:
        return [("23.0.0",)]
    if "sys_context" in lowered:
        return [("APP",)]
    if "from dual" in lowered and "locus" not in lowered:
        return [(1,)]
    return None


class FakeCursor:
    arraysize = 100
    prefetchrows = 2

    def __init__(self, connection: FakeConnection) -> None:
        self._connection = connection
        self._driver = connection._driver
        self._rows: list[tuple[Any, ...]] = []
        self._fetch_trips = 0
        self._input_sizes: dict[str, Any] = {}
        self.outputtypehandler: Any = None
        self.description: list[tuple[Any, ...]] | None = None
        self.rowcount = 0
        self.lastrowid = None

    async def __aenter__(self) -> FakeCursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    def var(self, *args: Any, **kwargs: Any) -> FakeVar:
        return FakeVar(*args, **kwargs)

    def setinputsizes(self, *args: Any, **kwargs: Any) -> None:
        self._input_sizes = dict(kwargs)

    async def execute(self, sql: str, parameters: Any = None) -> None:
        parameters = self._bind(parameters)
        self._driver.trips.append(("execute", sql))
        self._record(sql, parameters)
        self._connection._executed(sql)
        probe = _probe_rows(self._driver, sql, parameters)
        if probe is not None:
            self._set_rows(
                [Column(f"C{i}", _column_type(v)) for i, v in enumerate(probe[0])]
                if probe
                else [Column("C0", oracledb.DB_TYPE_VARCHAR)],
                probe,
                sql,
            )
            return
        answer = self._driver.take_answer(sql, parameters)
        is_query = sql.lstrip().lower().startswith(("select", "with"))
        if answer is not None and answer.rowcount is not None:
            self.description = None
            self.rowcount = answer.rowcount
            return
        if answer is None:
            if is_query:
                self._set_rows(self._columns(sql, [], {}), [], sql)
            else:
                self.description = None
                self.rowcount = 1
            return
        columns = self._columns(sql, answer.rows, answer.types)
        rows = [
            tuple(row.get(c.name) for c in columns) if isinstance(row, Mapping) else tuple(row)
            for row in answer.rows
        ]
        if not is_query and not columns:
            self.description = None
            self.rowcount = len(rows) or 1
            return
        self._set_rows(columns, rows, sql)

    def _columns(self, sql: str, rows: list[Any], types: Mapping[str, Any]) -> list[Column]:
        if rows and not isinstance(rows[0], Mapping):
            names = [f"C{i}" for i in range(len(rows[0]))]
            with contextlib.suppress(Exception):  # a statement sqlglot cannot read
                names = select_names(sql)
            first = rows[0]
            return [Column(n, types.get(n) or _column_type(first[i])) for i, n in enumerate(names)]
        try:
            names = select_names(sql)
        except Exception:
            return []
        first = rows[0] if rows else {}
        return [Column(n, types.get(n) or _column_type(first.get(n))) for n in names]

    def _set_rows(self, columns: list[Column], rows: list[tuple[Any, ...]], sql: str) -> None:
        handler = self.outputtypehandler or self._connection.outputtypehandler
        variables = [call_handler(handler, self, c) for c in columns]
        self._rows = [
            tuple(
                fetch_value(v, c, var) for v, c, var in zip(row, columns, variables, strict=False)
            )
            for row in rows
        ]
        self._fetch_trips = round_trips_of_fetch(
            columns, len(rows), self.prefetchrows, self.arraysize
        )
        self._fetch_sql = sql
        self.description = [
            (c.name, c.type_code, c.size, None, c.precision, c.scale, True) for c in columns
        ]
        self.rowcount = len(rows)

    async def executemany(self, sql: str, parameters: Any) -> None:
        parameters = [self._bind(row) for row in parameters]
        self._driver.trips.append(("execute", sql))  # one batch, one message
        self._record(sql, parameters)
        affected = 0
        for row in parameters:  # the server applies the statement to each row
            counted = None
            for rule in self._driver.server_rules:
                answer = rule(self._driver, sql, row)
                if answer is not None and answer.rowcount is not None:
                    counted = answer.rowcount
            affected += 1 if counted is None else counted
        self._connection._executed(sql)
        self.description = None
        self.rowcount = affected

    def _bind(self, parameters: Any) -> Any:
        """The values as the driver binds them (client side: no round trip yet)."""
        if not isinstance(parameters, Mapping):
            return parameters
        sizes = self._input_sizes
        return {name: bind_value(value, sizes.get(name)) for name, value in parameters.items()}

    def _record(self, sql: str, parameters: Any) -> None:
        if self._driver.fail_with is not None:
            error = self._driver.fail_with(sql)
            if error is not None:
                raise error
        rows = parameters if isinstance(parameters, list) else [parameters]
        refuse_arrays_in_sql(sql, [r for r in rows if isinstance(r, Mapping)])
        self._driver.sent.append(Sent(sql, parameters, self._input_sizes))
        self._input_sizes = {}

    async def fetchall(self) -> list[tuple[Any, ...]]:
        for _ in range(self._fetch_trips):
            self._driver.trips.append(("fetch", self._fetch_sql))
        self._fetch_trips = 0
        rows, self._rows = self._rows, []
        return rows

    def close(self) -> None:
        return None


class FakeConnection:
    outputtypehandler: Any = None
    stmtcachesize = 20
    max_identifier_length = 128
    thin = True

    def __init__(self, driver: FakeDriver) -> None:
        self._driver = driver
        self.version = driver.version
        self.autocommit = False
        #: A transaction is open on the server (DML ran without autocommit).
        self.transaction_in_progress = False

    def _executed(self, sql: str) -> None:
        """A statement that succeeded; with ``autocommit`` on, the commit went with it.

        A statement that fails commits nothing (python-oracledb: autocommit commits a
        statement "as soon as it has completed executing"), so earlier work stays open.
        """
        is_query = sql.lstrip().lower().startswith(("select", "with"))
        if self.autocommit:
            self.transaction_in_progress = False
        elif not is_query:
            self.transaction_in_progress = True

    def cursor(self) -> FakeCursor:
        return FakeCursor(self)

    async def createlob(self, lob_type: Any, data: str | bytes | None = None) -> FakeLob:
        self._driver.trips.append(("createlob", ""))
        if data:
            self._driver.trips.append(("lob write", ""))
        lob = FakeLob(lob_type, data or "")
        self._driver.lobs.append(lob)
        return lob

    async def commit(self) -> None:
        self._driver.trips.append(("commit", ""))
        self.transaction_in_progress = False

    async def rollback(self) -> None:
        self._driver.trips.append(("rollback", ""))
        self.transaction_in_progress = False

    async def ping(self) -> None:
        self._driver.trips.append(("ping", ""))

    async def close(self) -> None:
        return None

    def terminate(self) -> None:
        return None


__all__ = [
    "Answer",
    "Column",
    "FakeConnection",
    "FakeCursor",
    "FakeDriver",
    "FakeLob",
    "FakeVar",
    "Sent",
    "ServerTimestamp",
    "as_server_sees",
    "bind_value",
    "column_limits",
    "declared_type",
    "driver_error",
    "encode_json",
    "refuse_arrays_in_sql",
    "remember_writes",
    "server_timestamp",
    "stored_vector",
    "written_row",
]
