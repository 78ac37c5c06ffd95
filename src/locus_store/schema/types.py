"""Portable column types: a JSON document, a UTC timestamp, and an Oracle-safe string.

Each dialect difference in how values are stored is written here, once.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, TIMESTAMP, String, Text
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

#: Stored in place of ``''`` on Oracle, where the empty string is NULL.
#: Callers may not use it as a value (validation refuses it everywhere).
EMPTY_STRING_SENTINEL = "\u2400"


def _undecimal(value: Any) -> Any:
    """Turn the ``Decimal`` numbers Oracle's JSON decoder returns into ``int``/``float``."""
    if isinstance(value, Decimal):
        if value == value.to_integral_value() and value.as_tuple().exponent >= 0:  # type: ignore[operator]
            return int(value)
        return float(value)
    if isinstance(value, dict):
        return {k: _undecimal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_undecimal(v) for v in value]
    return value


class JSONDocument(TypeDecorator[Any]):
    """A JSON document: ``JSONB`` on PostgreSQL, native ``JSON`` on Oracle 21c+, text on SQLite."""

    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.JSONB(none_as_null=True))
        return dialect.type_descriptor(JSON(none_as_null=True))

    def result_processor(self, dialect: Dialect, coltype: object) -> Any:
        inner = super().result_processor(dialect, coltype)
        if dialect.name != "oracle":
            return inner

        def process(value: Any) -> Any:
            if inner is not None:
                value = inner(value)
            return _undecimal(value)

        return process


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
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

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
