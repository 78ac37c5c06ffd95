"""``json_matches(column, {"key": value, ...})``: a metadata filter that runs in SQL.

A filter matches a JSON object when every key holds an equal JSON value: same
JSON type and same value (``1`` never matches ``"1"`` nor ``true``). A nested
dict is matched key by key; ``None`` matches a JSON ``null`` or a missing key.
Each dialect reads the JSON its own way:

- PostgreSQL: ``col #> '{a,b}' = CAST(:doc AS JSONB)`` (JSONB equality is typed);
- SQLite: ``json_type`` picks the JSON type, ``json_extract`` the value;
- Oracle: ``JSON_VALUE`` with the ``stringOnly()``/``numberOnly()``/``booleanOnly()``
  item methods, which yield NULL for a value of another type. The empty string is
  matched by its JSON type and length instead: ``JSON_VALUE`` returns ``""`` as a
  zero-length ``VARCHAR2``, which Oracle treats as NULL (SQL Language Reference,
  "Nulls"), and an empty bind is NULL too, so ``= ''`` would never be true.

Keys go into the SQL text as JSON path steps, so they are restricted to letters,
digits, ``_`` and ``-`` (``InvalidInputError`` otherwise); values are always bound.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Boolean, String, and_, bindparam, true
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import BindParameter, ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

from locus_store.errors import InvalidInputError, InvalidTypeError
from locus_store.validation import require_json, require_metadata_key

#: Longest string value Oracle's ``JSON_VALUE`` returns for a comparison.
ORACLE_STRING_LIMIT = 4000

_KINDS = ("null", "string", "empty_string", "number", "boolean", "json")


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int) and not -(2**63) <= value < 2**63:
        raise InvalidInputError("metadata filter integers must fit in 64 bits (SQLite's limit)")
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple | dict):
        return "json"
    raise InvalidTypeError(
        f"metadata filter values must be JSON values, not {type(value).__name__}"
    )


class JSONValueMatches(ColumnElement[bool]):
    """``column``'s JSON value at ``path`` equals ``value`` (JSON type included)."""

    __visit_name__ = "json_value_matches"
    inherit_cache = True
    type = Boolean()

    _traverse_internals = [  # noqa: RUF012 - SQLAlchemy's own class attribute
        ("column", InternalTraversal.dp_clauseelement),
        ("path", InternalTraversal.dp_string_list),
        ("kind", InternalTraversal.dp_string),
        ("raw", InternalTraversal.dp_clauseelement),
        ("doc", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, column: ColumnElement[Any], path: list[str], value: Any) -> None:
        self.column = column
        self.path = [require_metadata_key(step) for step in path]
        kind = _kind(value)
        #: A kind of its own, so the statement cache never mixes "" with other strings.
        self.kind = "empty_string" if kind == "string" and value == "" else kind
        scalar = kind in ("string", "number")
        #: The value itself (SQLite and Oracle compare scalars as SQL values).
        self.raw: BindParameter[Any] = bindparam(
            None, value if scalar else None, type_=String() if kind == "string" else None
        )
        #: The value as JSON text (PostgreSQL compares JSONB; SQLite and Oracle compare arrays).
        self.doc: BindParameter[Any] = bindparam(None, _compact(value), type_=String())


def json_matches(column: ColumnElement[Any], filter: Mapping[str, Any]) -> ColumnElement[bool]:
    """All of ``filter``'s keys match ``column``'s JSON object (TRUE for an empty filter)."""
    if not isinstance(filter, Mapping):
        raise InvalidTypeError(f"a metadata filter must be a mapping, not {type(filter).__name__}")
    require_json(dict(filter), "metadata filter")  # no NaN, NUL or lone surrogate reaches SQL
    clauses = [JSONValueMatches(column, path, value) for path, value in _leaves(filter, [])]
    return and_(*clauses) if clauses else true()


def _leaves(filter: Mapping[str, Any], path: list[str]) -> list[tuple[list[str], Any]]:
    leaves: list[tuple[list[str], Any]] = []
    for key, value in filter.items():
        step = [*path, require_metadata_key(key)]
        if isinstance(value, Mapping) and value:
            leaves.extend(_leaves(value, step))
        else:
            leaves.append((step, value))
    return leaves


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _dollar_path(path: list[str]) -> str:
    return "$" + "".join(f'."{step}"' for step in path)


@compiles(JSONValueMatches, "postgresql")
def _postgresql(element: JSONValueMatches, compiler: SQLCompiler, **kw: Any) -> str:
    target = f"({compiler.process(element.column, **kw)} #> '{{{','.join(element.path)}}}')"
    if element.kind == "null":
        return f"({target} IS NULL OR {target} = CAST('null' AS JSONB))"
    return f"{target} = CAST({compiler.process(element.doc, **kw)} AS JSONB)"


@compiles(JSONValueMatches, "sqlite")
def _sqlite(element: JSONValueMatches, compiler: SQLCompiler, **kw: Any) -> str:
    column, path = compiler.process(element.column, **kw), _dollar_path(element.path)
    json_type = f"json_type({column}, '{path}')"
    extract = f"json_extract({column}, '{path}')"
    if element.kind == "null":
        return f"({json_type} IS NULL OR {json_type} = 'null')"
    if element.kind == "boolean":
        return f"{json_type} = {compiler.process(element.doc, **kw)}"
    if element.kind in ("string", "empty_string"):
        return f"({json_type} = 'text' AND {extract} = {compiler.process(element.raw, **kw)})"
    if element.kind == "number":
        return (
            f"({json_type} IN ('integer', 'real') "
            f"AND {extract} = {compiler.process(element.raw, **kw)})"
        )
    return (
        f"({json_type} IN ('array', 'object') "
        f"AND {extract} = json({compiler.process(element.doc, **kw)}))"
    )


#: JSON types ``type()`` names for the scalar kinds (JSON Developer's Guide, "SQL/JSON
#: Path Expression Item Methods": ``type()`` of a number is "number", "double" or "float").
_ORACLE_SCALAR_TYPES = {
    "string": "('string')",
    "number": "('number', 'double', 'float')",
    "boolean": "('boolean')",
}


@compiles(JSONValueMatches, "oracle")
def _oracle(element: JSONValueMatches, compiler: SQLCompiler, **kw: Any) -> str:
    """In lax mode an item method also reads the elements of an array (JSON Developer's
    Guide, "SQL/JSON Path Expression Syntax Relaxation": an array is unwrapped for an
    item method), so ``stringOnly()`` finds ``"m"`` in ``["m"]``: scalars are guarded by
    their ``type()``, which names the value itself."""
    column, path = compiler.process(element.column, **kw), _dollar_path(element.path)
    json_type = f"JSON_VALUE({column}, '{path}.type()')"
    if element.kind == "null":
        return f"({json_type} IS NULL OR {json_type} = 'null')"
    if element.kind == "empty_string":
        # length() counts characters (same section). Neither compares a string, so no
        # '' is involved.
        return (
            f"({json_type} = 'string' AND "
            f"JSON_VALUE({column}, '{path}.length()' RETURNING NUMBER NULL ON ERROR) = 0)"
        )
    if element.kind == "boolean":
        value = (
            f"JSON_VALUE({column}, '{path}.booleanOnly()') = {compiler.process(element.doc, **kw)}"
        )
    elif element.kind == "string":
        value = (
            f"JSON_VALUE({column}, '{path}.stringOnly()' "
            f"RETURNING VARCHAR2({ORACLE_STRING_LIMIT}) NULL ON ERROR) = "
            f"{compiler.process(element.raw, **kw)}"
        )
    elif element.kind == "number":
        value = (
            f"JSON_VALUE({column}, '{path}.numberOnly()' RETURNING NUMBER NULL ON ERROR) = "
            f"{compiler.process(element.raw, **kw)}"
        )
    else:
        return f"JSON_EQUAL(JSON_QUERY({column}, '{path}'), {compiler.process(element.doc, **kw)})"
    return f"({json_type} IN {_ORACLE_SCALAR_TYPES[element.kind]} AND {value})"


class JSONHasKey(ColumnElement[bool]):
    """``column``'s JSON object has the top-level key ``key`` (whatever its value)."""

    __visit_name__ = "json_has_key"
    inherit_cache = True
    type = Boolean()

    _traverse_internals = [  # noqa: RUF012 - SQLAlchemy's own class attribute
        ("column", InternalTraversal.dp_clauseelement),
        ("json_key", InternalTraversal.dp_string),
    ]

    def __init__(self, column: ColumnElement[Any], key: str) -> None:
        self.column = column
        self.json_key = require_metadata_key(key)


@compiles(JSONHasKey, "postgresql")
def _has_key_postgresql(element: JSONHasKey, compiler: SQLCompiler, **kw: Any) -> str:
    return f"jsonb_exists({compiler.process(element.column, **kw)}, '{element.json_key}')"


@compiles(JSONHasKey, "sqlite")
def _has_key_sqlite(element: JSONHasKey, compiler: SQLCompiler, **kw: Any) -> str:
    path = _dollar_path([element.json_key])
    return f"(json_type({compiler.process(element.column, **kw)}, '{path}') IS NOT NULL)"


@compiles(JSONHasKey, "oracle")
def _has_key_oracle(element: JSONHasKey, compiler: SQLCompiler, **kw: Any) -> str:
    path = _dollar_path([element.json_key])
    return f"JSON_EXISTS({compiler.process(element.column, **kw)}, '{path}')"
