"""``json_filter(column, spec, dialect)``: LangGraph's search filters on a JSON column, in SQL.

A filter maps field paths to conditions; an item matches when every condition holds:

- ``{"a": 1}`` or ``{"a": {"$eq": 1}}``: ``a`` holds an equal JSON value, type included
  (``1`` never matches ``"1"`` nor ``true``); ``None`` matches ``null`` or a missing ``a``;
  a list matches an equal array. Equality is `locus_store.sql.json_match`'s.
- ``{"a": {"$ne": 1}}``: the negation of ``$eq`` (a missing ``a`` is "not 1", as in
  LangGraph's ``InMemoryStore``).
- ``$gt``, ``$gte``, ``$lt``, ``$lte``: a number compares with JSON numbers only, by value;
  a string with JSON strings only, by code point (PostgreSQL ``COLLATE "C"``, SQLite's
  ``BINARY``, Oracle's default ``NLS_COMP=BINARY`` on AL32UTF8). Other JSON types and
  missing fields never match. Several operators on one field must all hold.
- ``{"b.c": "x"}`` and ``{"b": {"c": "x"}}`` both name the nested field ``b.c`` (as
  ``InMemoryStore`` matches a nested dict key by key); ``{"b": {}}`` matches any object.

Each dialect reads the JSON its own way, written once below per construct:

- PostgreSQL: ``col #> '{a,b}'`` with ``jsonb_typeof`` guards; numbers compare as JSONB
  (numerically), strings as ``col #>> '{a,b}' COLLATE "C"``.
- SQLite: ``json_type`` picks the JSON type, ``json_extract`` the value.
- Oracle: ``JSON_VALUE(col, '$."a"."b".type()')`` guards the type of every comparison,
  equality of a string, number or boolean included: in lax mode the other item methods
  (``numberOnly()``, ``stringOnly()``, ``length()``) apply to each element of an array
  (JSON Developer's Guide, "SQL/JSON Path Expression Item Methods"), so without the
  guard ``[5]`` would compare as ``5``. An empty string is NULL to Oracle, both as a
  ``JSON_VALUE`` result and as a bind (SQL Language Reference, "Nulls"), so comparisons
  with ``""`` are written with ``length()`` instead, and a stored ``""`` is counted below
  every other string explicitly. Strings longer than
  `locus_store.sql.json_match.ORACLE_STRING_LIMIT` bytes do not compare (NULL ON ERROR).
- ``$ne`` is ``CASE WHEN <equal> THEN 1 ELSE 0 END = 0`` on every dialect, so a missing
  field (an UNKNOWN equality) counts as not equal.

Keys go into the SQL text as JSON path steps, so each step is restricted to letters,
digits, ``_`` and ``-`` (`InvalidInputError` otherwise); values are always bound.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal, get_args

from sqlalchemy import Boolean, String, and_, bindparam, true
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import BindParameter, ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

from locus_store.errors import InvalidInputError, InvalidTypeError
from locus_store.sql.json_match import ORACLE_STRING_LIMIT, JSONValueMatches, _dollar_path
from locus_store.validation import require_json, require_metadata_key

Operator = Literal["$eq", "$ne", "$gt", "$gte", "$lt", "$lte"]
OPERATORS: Final[tuple[Operator, ...]] = get_args(Operator)
#: The SQL comparison of each ordering operator.
_SQL_OPERATORS: Final = {"$gt": ">", "$gte": ">=", "$lt": "<", "$lte": "<="}
_INT64 = range(-(2**63), 2**63)


@dataclass(frozen=True, slots=True)
class Condition:
    """One condition of a filter: the field's path, an operator (``"object"``: the field
    is a JSON object) and its operand."""

    path: tuple[str, ...]
    operator: Operator | Literal["object"]
    operand: Any = None


def json_filter(
    column: ColumnElement[Any], spec: Mapping[str, Any] | None, dialect: str | None = None
) -> ColumnElement[bool]:
    """``column``'s JSON document satisfies every condition of ``spec`` (TRUE when empty).

    ``dialect`` is the statement's; the SQL itself follows the dialect it is compiled for.
    """
    conditions = [_element(column, c) for c in parse_filter(spec)]
    return and_(*conditions) if conditions else true()


def parse_filter(spec: Mapping[str, Any] | None) -> list[Condition]:
    """The conditions of ``spec``, checked (typed errors, before any SQL)."""
    if spec is None:
        return []
    if not isinstance(spec, Mapping):
        raise InvalidTypeError(f"a filter must be a mapping, not {type(spec).__name__}")
    conditions: list[Condition] = []
    _walk(spec, (), conditions)
    return conditions


def _walk(spec: Mapping[str, Any], parent: tuple[str, ...], out: list[Condition]) -> None:
    for key, value in spec.items():
        path = (*parent, *_steps(key))
        if not isinstance(value, Mapping):
            out.append(Condition(path, "$eq", _equal_operand(value)))
        elif not value:
            out.append(Condition(path, "object"))
        elif any(isinstance(k, str) and k.startswith("$") for k in value):
            out.extend(_operators(path, value))
        else:
            _walk(value, path, out)


def _steps(key: object) -> tuple[str, ...]:
    if not isinstance(key, str):
        raise InvalidTypeError(f"filter keys must be strings, not {type(key).__name__}")
    if key.startswith("$"):
        raise InvalidInputError(
            f"filter operator {key[:20]!r} must follow a field: {{'field': {{'{key[:20]}': ...}}}}"
        )
    try:
        return tuple(require_metadata_key(step) for step in key.split("."))
    except InvalidInputError:
        raise InvalidInputError(
            f"filter key {key[:60]!r} is not queryable: dot-separated steps of 1-128 "
            "letters, digits, '_' or '-'"
        ) from None


def _operators(path: tuple[str, ...], spec: Mapping[str, Any]) -> list[Condition]:
    conditions = []
    for name, operand in spec.items():
        operator = next((op for op in OPERATORS if op == name), None)
        if operator is None:
            shown = name[:20] if isinstance(name, str) else type(name).__name__
            raise InvalidInputError(
                f"filter on {'.'.join(path)!r}: unsupported operator {shown!r} "
                f"(supported: {', '.join(OPERATORS)}); operators and fields do not mix"
            )
        if operator in ("$eq", "$ne"):
            conditions.append(Condition(path, operator, _equal_operand(operand)))
        else:
            conditions.append(Condition(path, operator, _ordered_operand(operator, operand)))
    return conditions


def _equal_operand(value: Any) -> Any:
    return require_json(value, "filter value")


def _ordered_operand(operator: str, value: Any) -> int | float | str:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise InvalidInputError(
            f"filter operator {operator} compares numbers or strings, not {type(value).__name__}"
        )
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidInputError(f"filter operator {operator} needs a finite number")
    if isinstance(value, int) and value not in _INT64:
        raise InvalidInputError("filter integers must fit in 64 bits (SQLite's limit)")
    require_json(value, "filter value")
    return value


def _element(column: ColumnElement[Any], condition: Condition) -> ColumnElement[bool]:
    path = list(condition.path)
    if condition.operator == "object":
        return JSONIsObject(column, path)
    if condition.operator == "$eq":
        return JSONValueMatches(column, path, condition.operand)
    if condition.operator == "$ne":
        return NotTrue(JSONValueMatches(column, path, condition.operand))
    return JSONValueCompares(column, path, condition.operator, condition.operand)


# -- constructs ---------------------------------------------------------------------------


class NotTrue(ColumnElement[bool]):
    """``condition`` is not TRUE (FALSE or UNKNOWN): two-valued, unlike ``NOT``."""

    __visit_name__ = "json_filter_not_true"
    inherit_cache = True
    type = Boolean()

    _traverse_internals = [  # noqa: RUF012 - SQLAlchemy's own class attribute
        ("condition", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, condition: ColumnElement[bool]) -> None:
        self.condition = condition


@compiles(NotTrue)
def _not_true(element: NotTrue, compiler: SQLCompiler, **kw: Any) -> str:
    return f"(CASE WHEN {compiler.process(element.condition, **kw)} THEN 1 ELSE 0 END = 0)"


class JSONIsObject(ColumnElement[bool]):
    """``column``'s JSON value at ``path`` is an object."""

    __visit_name__ = "json_is_object"
    inherit_cache = True
    type = Boolean()

    _traverse_internals = [  # noqa: RUF012 - SQLAlchemy's own class attribute
        ("column", InternalTraversal.dp_clauseelement),
        ("path", InternalTraversal.dp_string_list),
    ]

    def __init__(self, column: ColumnElement[Any], path: list[str]) -> None:
        self.column = column
        self.path = [require_metadata_key(step) for step in path]


class JSONValueCompares(ColumnElement[bool]):
    """``column``'s JSON value at ``path`` is a number (or string) ``operator`` ``value``."""

    __visit_name__ = "json_value_compares"
    inherit_cache = True
    type = Boolean()

    _traverse_internals = [  # noqa: RUF012 - SQLAlchemy's own class attribute
        ("column", InternalTraversal.dp_clauseelement),
        ("path", InternalTraversal.dp_string_list),
        ("sql_operator", InternalTraversal.dp_string),
        ("kind", InternalTraversal.dp_string),
        ("raw", InternalTraversal.dp_clauseelement),
        ("doc", InternalTraversal.dp_clauseelement),
    ]

    def __init__(
        self, column: ColumnElement[Any], path: list[str], operator: str, value: int | float | str
    ) -> None:
        self.column = column
        self.path = [require_metadata_key(step) for step in path]
        self.sql_operator = _SQL_OPERATORS[operator]
        is_string = isinstance(value, str)
        #: A kind of its own for "", so the statement cache never mixes it with other strings.
        self.kind = ("empty_string" if value == "" else "string") if is_string else "number"
        self.raw: BindParameter[Any] = bindparam(None, value, type_=String() if is_string else None)
        #: The number as JSON text (PostgreSQL compares JSONB numbers).
        self.doc: BindParameter[Any] = bindparam(
            None, None if is_string else _number_text(value), type_=String()
        )


def _number_text(value: int | float | str) -> str:
    return repr(value) if isinstance(value, float) else str(value)


def _pg_path(element: JSONIsObject | JSONValueCompares) -> str:
    return "{" + ",".join(element.path) + "}"


@compiles(JSONIsObject, "postgresql")
def _is_object_postgresql(element: JSONIsObject, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    return f"(jsonb_typeof({column} #> '{_pg_path(element)}') = 'object')"


@compiles(JSONIsObject, "sqlite")
def _is_object_sqlite(element: JSONIsObject, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    return f"(json_type({column}, '{_dollar_path(element.path)}') = 'object')"


@compiles(JSONIsObject, "oracle")
def _is_object_oracle(element: JSONIsObject, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    return f"(JSON_VALUE({column}, '{_dollar_path(element.path)}.type()') = 'object')"


@compiles(JSONValueCompares, "postgresql")
def _compares_postgresql(element: JSONValueCompares, compiler: SQLCompiler, **kw: Any) -> str:
    column, path = compiler.process(element.column, **kw), _pg_path(element)
    op = element.sql_operator
    target = f"({column} #> '{path}')"
    if element.kind == "number":
        doc = compiler.process(element.doc, **kw)
        return f"(jsonb_typeof({target}) = 'number' AND {target} {op} CAST({doc} AS JSONB))"
    text = f"({column} #>> '{path}') COLLATE \"C\""
    return (
        f"(jsonb_typeof({target}) = 'string' AND {text} {op} {compiler.process(element.raw, **kw)})"
    )


@compiles(JSONValueCompares, "sqlite")
def _compares_sqlite(element: JSONValueCompares, compiler: SQLCompiler, **kw: Any) -> str:
    column, path = compiler.process(element.column, **kw), _dollar_path(element.path)
    types = "('integer', 'real')" if element.kind == "number" else "('text')"
    raw = compiler.process(element.raw, **kw)
    return (
        f"(json_type({column}, '{path}') IN {types} "
        f"AND json_extract({column}, '{path}') {element.sql_operator} {raw})"
    )


@compiles(JSONValueCompares, "oracle")
def _compares_oracle(element: JSONValueCompares, compiler: SQLCompiler, **kw: Any) -> str:
    column, path = compiler.process(element.column, **kw), _dollar_path(element.path)
    op = element.sql_operator
    json_type = f"JSON_VALUE({column}, '{path}.type()')"
    if element.kind == "number":
        number = f"JSON_VALUE({column}, '{path}.numberOnly()' RETURNING NUMBER NULL ON ERROR)"
        raw = compiler.process(element.raw, **kw)
        return f"({json_type} IN ('number', 'double', 'float') AND {number} {op} {raw})"
    length = f"JSON_VALUE({column}, '{path}.length()' RETURNING NUMBER NULL ON ERROR)"
    if element.kind == "empty_string":
        # Every string is >= "", none is < "": only the length tells "" from the others.
        return {
            ">": f"({json_type} = 'string' AND {length} > 0)",
            ">=": f"({json_type} = 'string')",
            "<": "(1 = 0)",
            "<=": f"({json_type} = 'string' AND {length} = 0)",
        }[op]
    text = (
        f"JSON_VALUE({column}, '{path}.stringOnly()' "
        f"RETURNING VARCHAR2({ORACLE_STRING_LIMIT}) NULL ON ERROR)"
    )
    raw = compiler.process(element.raw, **kw)
    if op in (">", ">="):  # a stored "" reads as NULL, and is below any non-empty operand
        return f"({json_type} = 'string' AND {text} {op} {raw})"
    return f"({json_type} = 'string' AND ({text} {op} {raw} OR {length} = 0))"
