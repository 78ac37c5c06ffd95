"""The versioned saver's SQL on Oracle: every statement compiles and parses; binds are right.

Statements come from ``LineageStatements.review()`` (what docs/oracle/statements.sql is printed
from); the write path also runs through the fake driver, which shows what
python-oracledb would receive.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.sql.visitors import iterate

from locus_store import Store
from locus_store.schema.types import EMPTY_STRING_SENTINEL, KeyString
from locus_store.versioned.statements import Bind, LineageStatements
from tests.support.oracle.fake_driver import FakeDriver, FakeLob
from tests.support.oracle.sqlcheck import assert_parses_as_oracle

STATEMENTS = LineageStatements.of("locus", "oracle").review()


@pytest.mark.parametrize("name", sorted(STATEMENTS))
def test_statement_compiles_and_parses_as_oracle(name: str) -> None:
    sql = assert_parses_as_oracle(STATEMENTS[name])
    assert "locus_checkpoints" in sql or "locus_writes" in sql


def test_review_lists_every_statement_the_saver_can_send() -> None:
    held = set(LineageStatements.of("locus", "oracle").statements())  # no splice_lock on Oracle
    assert set(STATEMENTS) == held | {"metadata_matches"}


@pytest.mark.parametrize("name", ["put_root", "put_child", "append"])
def test_an_append_takes_its_position_inside_its_own_insert(name: str) -> None:
    sql = assert_parses_as_oracle(STATEMENTS[name])
    assert sql.startswith(
        "INSERT INTO locus_checkpoints (thread_id, checkpoint_ns, checkpoint_id, seq"
    )
    assert "SELECT coalesce(max(pos.seq), 0) + 1" in sql
    assert sql.count("INSERT") == 1


def test_the_checkpointers_append_resolves_the_parent_in_the_same_statement() -> None:
    sql = assert_parses_as_oracle(STATEMENTS["append"])
    assert "(SELECT cur.checkpoint_id" in sql
    assert "cur.seq = (SELECT max(top.seq)" in sql
    assert sql.rstrip().endswith("FROM DUAL")


def test_a_child_is_inserted_only_when_its_parent_row_exists() -> None:
    sql = assert_parses_as_oracle(STATEMENTS["put_child"])
    assert "FROM locus_checkpoints par" in sql
    assert "par.checkpoint_id = :parent" in sql


@pytest.mark.parametrize("name", ["newest", "history", "history_before", "newest_ids"])
def test_newest_first_is_by_position_never_by_timestamp(name: str) -> None:
    sql = assert_parses_as_oracle(STATEMENTS[name])
    assert "ORDER BY locus_checkpoints.seq DESC" in sql
    assert "created_at DESC" not in sql
    assert "FETCH FIRST" in sql


def test_every_namespace_and_channel_bind_stores_the_empty_string_sentinel() -> None:
    namespace_binds = [
        element
        for statement in STATEMENTS.values()
        for element in iterate(statement)
        if isinstance(element, BindParameter) and element.key in (Bind.NS, "checkpoint_ns")
    ]
    assert namespace_binds
    assert all(isinstance(b.type, KeyString) for b in namespace_binds)


def as_json(bound: Any) -> Any:
    """The JSON value a bind carries, whether bound as an object, as text or as a LOB."""
    if isinstance(bound, FakeLob):
        bound = bound.data
    return json.loads(bound) if isinstance(bound, str | bytes) else bound


async def test_put_sends_one_insert_with_the_sentinel_namespace_and_a_json_document(
    oracle_store: tuple[Store, FakeDriver],
) -> None:
    store, driver = oracle_store
    await store.versioned().put(
        thread_id="t1",
        checkpoint_id="v1",
        checkpoint_data={"messages": ["x" * 10_000]},
        checkpoint_ns="",
        metadata={"turn": 1},
    )
    (sent,) = [s for s in driver.statements if "locus" in s.sql]
    assert sent.sql.startswith("INSERT INTO locus_checkpoints")
    assert sent.parameters[Bind.NS] == EMPTY_STRING_SENTINEL
    assert as_json(sent.parameters[Bind.DOCUMENT]) == {"messages": ["x" * 10_000]}
    assert as_json(sent.parameters[Bind.METADATA]) == {"turn": 1}
    assert "FROM_TZ(CAST(:created AS TIMESTAMP), '+00:00')" in sent.sql


async def test_put_writes_sends_one_bulk_merge_and_a_trimming_delete(
    oracle_store: tuple[Store, FakeDriver],
) -> None:
    store, driver = oracle_store
    writes = [("", "empty channel"), ("status", {"n": 1}), ("pager", None)]
    await store.versioned().put_writes(
        thread_id="t1", checkpoint_id="v1", task_id="k", writes=writes, checkpoint_ns=""
    )
    merge, delete = [s for s in driver.statements if "locus" in s.sql]
    assert merge.sql.startswith("MERGE INTO locus_writes")
    assert [(r["idx"], r["channel"], as_json(r["value"])) for r in merge.parameters] == [
        (0, EMPTY_STRING_SENTINEL, "empty channel"),
        (1, "status", {"n": 1}),
        (2, "pager", None),
    ]
    assert {r["checkpoint_ns"] for r in merge.parameters} == {EMPTY_STRING_SENTINEL}
    assert delete.sql.startswith("DELETE FROM locus_writes")
    assert delete.parameters[Bind.NS] == EMPTY_STRING_SENTINEL
    assert delete.parameters[Bind.COUNT] == len(writes)
