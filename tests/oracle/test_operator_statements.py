"""The statements of the command line (admin, export/import, import-locus), compiled for Oracle.

No Oracle server is needed: each statement is compiled with the oracledb dialect,
parsed by sqlglot, and its identifiers checked against Oracle's length limit.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.sql import ClauseElement

from locus_store.ops.from_locus import kv_table, saver_tables
from locus_store.ops.from_locus.common import utc
from locus_store.ops.statements import OPERATOR_STATEMENTS
from locus_store.ops.threads import in_threads
from locus_store.schema.tables import schema_for
from locus_store.sql.statements import bound
from locus_store.versioned.statements import Bind
from tests.support.oracle.sqlcheck import assert_parses_as_oracle

PREFIX = "locus"
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
VALUES: dict[str, Any] = {
    "threads": ["t1", "t2"],
    "thread": "t1",
    "pattern": "t%",
    "row_limit": 10,
    "source": "t1",
    "dest": "t2",
    "cutoff": NOW,
    "now": NOW,
    Bind.NS: "default",
    Bind.CUTOFF: NOW,
    Bind.KEEP_LAST: 1,
}


def _statements() -> dict[str, ClauseElement]:
    found: dict[str, ClauseElement] = {}
    for group, statements in OPERATOR_STATEMENTS.items():
        for name, statement in statements.of(PREFIX, "oracle").review().items():
            found[f"{group}.{name}"] = statement
    kv = kv_table("old_owner.checkpoints")
    found["locus.kv"] = select(
        kv.c.thread_id, kv.c.data, utc(kv.c.created_at, "oracle"), kv.c["metadata"]
    ).where(kv.c.thread_id.in_(["a:latest", "a:_checkpoints"]))
    checkpoints, writes = saver_tables("locus")
    found["locus.saver.checkpoints"] = select(
        checkpoints, utc(checkpoints.c.created_at, "oracle")
    ).where(in_threads(checkpoints))
    found["locus.saver.writes"] = select(writes).where(in_threads(writes))
    return found


STATEMENTS = _statements()


@pytest.mark.parametrize("name", sorted(STATEMENTS))
def test_statement_compiles_for_oracle_and_parses(name: str) -> None:
    sql = assert_parses_as_oracle(bound(STATEMENTS[name], VALUES))
    assert "LIMIT" not in sql.upper().split()  # Oracle pages with FETCH FIRST


def test_import_writes_each_table_with_a_plain_insert() -> None:
    schema = schema_for(PREFIX)
    for table in schema.metadata.sorted_tables:
        row = {c.key: None for c in table.columns}
        assert assert_parses_as_oracle(table.insert().values(row)).startswith("INSERT INTO")


def test_timestamps_of_locus_tables_are_read_as_utc_on_oracle() -> None:
    kv = kv_table("checkpoints")
    sql = assert_parses_as_oracle(select(utc(kv.c.updated_at, "oracle")))
    assert "sys_extract_utc(checkpoints.updated_at)" in sql.lower()
