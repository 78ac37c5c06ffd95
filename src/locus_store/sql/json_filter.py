"""``json_filter(column, spec, dialect)``: LangGraph-style filters on a JSON column, in SQL.

``{"a": 1, "b.c": "x"}`` matches documents whose ``a`` is 1 and whose ``b.c`` is "x"
(a dotted key is a nested path). First version: equality only, through
`locus_store.sql.json_match.json_matches`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.sql.elements import ColumnElement

from locus_store.errors import InvalidTypeError
from locus_store.sql.json_match import json_matches


def _nested(spec: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in spec.items():
        if not isinstance(key, str):
            raise InvalidTypeError(f"filter keys must be strings, not {type(key).__name__}")
        *parents, last = key.split(".")
        node = out
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value
    return out


def json_filter(
    column: ColumnElement[Any], spec: Mapping[str, Any], dialect: str
) -> ColumnElement[bool]:
    """``column``'s JSON document satisfies every condition of ``spec``."""
    if not isinstance(spec, Mapping):
        raise InvalidTypeError(f"a filter must be a mapping, not {type(spec).__name__}")
    return json_matches(column, _nested(spec))
