"""Value conversions each dialect needs, checked through the types' own processors."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy.dialects import oracle, postgresql, sqlite
from sqlalchemy.dialects.oracle import oracledb

from locus_store.schema.types import (
    EMPTY_STRING_SENTINEL,
    JSONDocument,
    KeyString,
    UTCDateTime,
)


def test_oracle_json_decimals_come_back_as_int_and_float() -> None:
    # The oracledb driver decodes native JSON itself (numbers as Decimal); the type fixes them.
    dialect = oracledb.dialect()
    process = JSONDocument().dialect_impl(dialect).result_processor(dialect, None)
    assert process is not None
    value = process(
        {"i": Decimal("3"), "f": Decimal("2.5"), "nested": [Decimal("10"), {"x": Decimal("0.1")}]}
    )
    assert value == {"i": 3, "f": 2.5, "nested": [10, {"x": 0.1}]}
    assert type(value["i"]) is int
    assert type(value["f"]) is float


def test_empty_key_round_trips_through_oracle_sentinel() -> None:
    key = KeyString(255)
    d = oracle.dialect()
    stored = key.process_bind_param("", d)
    assert stored == EMPTY_STRING_SENTINEL
    assert key.process_result_value(stored, d) == ""
    assert key.process_result_value("default", d) == "default"


@pytest.mark.parametrize("dialect", [postgresql.dialect(), sqlite.dialect()])
def test_empty_key_is_stored_as_is_where_empty_is_not_null(dialect: object) -> None:
    assert KeyString(255).process_bind_param("", dialect) == ""  # type: ignore[arg-type]


def test_naive_timestamps_are_refused() -> None:
    with pytest.raises(ValueError, match="time-zone aware"):
        UTCDateTime().process_bind_param(dt.datetime(2026, 1, 1), postgresql.dialect())


def test_sqlite_timestamps_are_stored_as_utc_and_read_back_aware() -> None:
    t = UTCDateTime()
    aware = dt.datetime(2026, 1, 1, 12, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    stored = t.process_bind_param(aware, sqlite.dialect())
    assert stored == dt.datetime(2026, 1, 1, 10)
    back = t.process_result_value(stored, sqlite.dialect())
    assert back == aware
    assert back is not None
    assert back.tzinfo == dt.UTC
