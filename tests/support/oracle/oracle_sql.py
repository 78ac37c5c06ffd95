"""A small model of Oracle SQL conditions for the fake driver: the store's metadata queries.

:func:`metadata_query` returns a ``FakeDriver.server_rules`` rule answering a query on
the threads table filtered by ``JSON_VALUE`` (``query_by_metadata``) from the rows the
store wrote, evaluating its WHERE clause as the server would. One behaviour per
function, each citing the documentation it follows:

- :func:`sql_value` — a bind is what the server sees (:func:`as_server_sees`: ``''`` is
  NULL), and so is a zero-length string a function returns (SQL Language Reference,
  "Nulls": "a character value with a length of zero" is null).
- :func:`compare` — a comparison with a NULL operand is neither true nor false
  (SQL Language Reference, "Nulls in Conditions": "a condition that evaluates to
  UNKNOWN acts almost like FALSE"), so ``x = :v`` with ``:v`` bound to ``''`` is never
  true; AND/OR follow three-valued logic.
- :func:`json_value` — ``JSON_VALUE(doc, '$."a"."b".method()')``: a missing step or a
  non-scalar result is NULL (the default ``NULL ON ERROR``/``NULL ON EMPTY``); the item
  methods ``stringOnly()``, ``numberOnly()``, ``booleanOnly()`` yield NULL for a value
  of another JSON type, ``type()`` names the targeted value's type (``"array"`` for an
  array), ``length()`` counts a string's characters; in lax mode the other methods
  apply to each element of an array (JSON Developer's Guide, "SQL/JSON Path Expression
  Item Methods"); a result longer than ``RETURNING VARCHAR2(n)`` is an error, so NULL.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import oracledb.thin_impl as thin_impl
import sqlglot
from sqlglot import expressions as exp

from locus_store.schema.tables import Schema
from tests.support.oracle.fake_driver import (
    Answer,
    FakeDriver,
    ServerTimestamp,
    as_server_sees,
    server_timestamp,
)
from tests.support.oracle.oracle_text import Rule, saved_threads

_STEP = re.compile(r'\."([^"]+)"')
_METHOD = re.compile(r"\.(\w+)\(\)$")
_NO_VALUE = object()


def sql_value(value: Any) -> Any:
    """A string as SQL holds it: ``''`` is NULL."""
    return as_server_sees(value)


def compare(left: Any, op: type[exp.Expression], right: Any) -> bool | None:
    """``left op right`` in three-valued logic: ``None`` is UNKNOWN."""
    if left is None or right is None:
        return None
    if isinstance(left, ServerTimestamp) and isinstance(right, ServerTimestamp):
        left, right = left.utc, right.utc
    if isinstance(left, int | float | Decimal) and isinstance(right, int | float | Decimal):
        left, right = Decimal(str(left)), Decimal(str(right))
    comparisons: dict[type[exp.Expression], Callable[[Any, Any], Any]] = {
        exp.EQ: lambda a, b: a == b,
        exp.NEQ: lambda a, b: a != b,
        exp.GT: lambda a, b: a > b,
        exp.GTE: lambda a, b: a >= b,
        exp.LT: lambda a, b: a < b,
        exp.LTE: lambda a, b: a <= b,
    }
    return bool(comparisons[op](left, right))


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float | Decimal):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _item_method(value: Any, method: str) -> Any:
    if method == "stringOnly":
        return value if isinstance(value, str) else _NO_VALUE
    if method == "numberOnly":
        is_number = isinstance(value, int | float | Decimal) and not isinstance(value, bool)
        return Decimal(str(value)) if is_number else _NO_VALUE
    if method == "booleanOnly":
        return ("true" if value else "false") if isinstance(value, bool) else _NO_VALUE
    if method == "length":
        return Decimal(len(value)) if isinstance(value, str) else _NO_VALUE
    raise AssertionError(f"the model knows no item method {method}()")


def json_value(document: Any, path: str, returning: exp.DataType | None) -> Any:
    """What ``JSON_VALUE(document, path RETURNING ...)`` returns (``None`` for NULL)."""
    method_match = _METHOD.search(path)
    steps = _STEP.findall(path[: method_match.start()] if method_match else path)
    value = document
    for step in steps:
        if not isinstance(value, dict) or step not in value:
            return None
        value = value[step]
    method = method_match.group(1) if method_match else None
    if method == "type":
        result: Any = _json_type(value)
    elif method is not None:
        each = value if isinstance(value, list) else [value]
        results = [r for r in (_item_method(v, method) for v in each) if r is not _NO_VALUE]
        if len(results) != 1:
            return None
        result = results[0]
    elif isinstance(value, dict | list):
        return None
    else:
        result = value
    limit = returning.expressions if returning is not None else []
    if isinstance(result, str) and limit and len(result.encode()) > int(limit[0].this.name):
        return None
    return sql_value(result)


def _decode_oson(stored: bytes) -> Any:
    return thin_impl.ThinConnImpl(is_async=True).decode_oson(stored)


class Evaluator:
    """The value of a WHERE clause's expressions for one stored row."""

    def __init__(self, row: dict[str, Any], parameters: dict[str, Any]) -> None:
        self.row = row
        self.parameters = parameters

    def column(self, node: exp.Column) -> Any:
        return self.row[node.name.upper()]

    def value(self, node: exp.Expression) -> Any:
        if isinstance(node, exp.Paren):
            return self.value(node.this)
        if isinstance(node, exp.And | exp.Or):
            left, right = self.value(node.this), self.value(node.expression)
            decisive = isinstance(node, exp.Or)  # TRUE decides an OR, FALSE an AND
            if decisive in (left, right):
                return decisive
            return None if None in (left, right) else not decisive
        if isinstance(node, exp.Not):
            inner = self.value(node.this)
            return None if inner is None else not inner
        if isinstance(node, exp.Is):
            return self.value(node.this) is None
        if isinstance(node, exp.In):
            # SQL: TRUE when equal to one, NULL when the operand is NULL, else FALSE.
            operand = self.value(node.this)
            if operand is None:
                return None
            return any(
                compare(operand, exp.EQ, self.value(option)) for option in node.expressions
            )
        if isinstance(node, exp.EQ | exp.NEQ | exp.GT | exp.GTE | exp.LT | exp.LTE):
            return compare(self.value(node.this), type(node), self.value(node.expression))
        if isinstance(node, exp.Column):
            return self.column(node)
        if isinstance(node, exp.Placeholder):
            return sql_value(self.parameters[node.name])
        if isinstance(node, exp.Literal):
            return sql_value(node.name) if node.is_string else Decimal(node.name)
        if isinstance(node, exp.Null):
            return None
        if isinstance(node, exp.Cast):
            return self.value(node.this)
        if isinstance(node, exp.Anonymous) and node.name.upper() == "FROM_TZ":
            stamp, zone = node.expressions
            value = self.value(stamp)
            if isinstance(value, dt.datetime) and value.tzinfo is not None:
                value = value.astimezone(dt.UTC).replace(tzinfo=None)
            return None if value is None else server_timestamp(value, zone.name)
        if isinstance(node, exp.JSONValue):
            stored = self.value(node.this)
            document = None if stored is None else _decode_oson(stored)
            returning = node.args.get("returning") or None
            return json_value(document, node.args["path"].name, returning)
        raise AssertionError(f"the model does not evaluate {node.sql('oracle')}")


def metadata_query(schema: Schema) -> Rule:
    """A server rule answering SELECTs on the threads table filtered with ``JSON_VALUE``."""

    def rule(driver: FakeDriver, sql: str, params: Any) -> Answer | None:
        if not sql.lstrip().upper().startswith("SELECT") or "JSON_VALUE(" not in sql:
            return None
        tree = sqlglot.parse_one(sql, read="oracle")
        from_clause = tree.args.get("from") or tree.args.get("from_")
        source = from_clause.this if from_clause is not None else None
        if not isinstance(source, exp.Table) or source.name.lower() != schema.threads.name:
            return None
        where = tree.args["where"].this
        rows = [
            row
            for row in saved_threads(driver, schema).values()
            if Evaluator(row, params).value(where) is True
        ]
        rows.sort(key=lambda r: r["THREAD_ID"])
        rows.sort(key=lambda r: r["UPDATED_AT"].utc, reverse=True)
        return Answer("", rows=rows[: params.get("limit", len(rows))])

    return rule
