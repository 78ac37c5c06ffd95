"""The LangGraph saver's SQL on Oracle: every statement compiles and parses, binds are right.

Statements come from ``LangGraphStatements.review()`` (the list docs/oracle/statements.sql is
printed from); the write path also runs through the fake driver, which shows what
python-oracledb would receive.
"""

from __future__ import annotations

import datetime as dt
import inspect
import json

import pytest
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import empty_checkpoint
from sqlalchemy.sql.expression import Executable

from locus_store import Store
from locus_store.langgraph.statements import LangGraphStatements
from locus_store.schema.types import EMPTY_STRING_SENTINEL
from tests.support.oracle.fake_driver import FakeDriver
from tests.support.oracle.sqlcheck import assert_parses_as_oracle

STATEMENTS = LangGraphStatements.of("locus", "oracle").review()


@pytest.mark.parametrize("name", sorted(STATEMENTS))
def test_statement_compiles_and_parses_as_oracle(name: str) -> None:
    sql = assert_parses_as_oracle(STATEMENTS[name])
    assert "locus_lg_" in sql


def test_review_lists_every_statement_the_saver_holds() -> None:
    held = LangGraphStatements.of("locus", "oracle")
    fixed = [name for name, value in vars(held).items() if isinstance(value, Executable)]
    lists = sum(len(v) for v in (held.delete_threads, held.copy_thread))
    keyed = [
        name
        for name, member in inspect.getmembers(LangGraphStatements, inspect.isfunction)
        if inspect.signature(member).return_annotation == "Keyed" and not name.startswith("_")
    ]
    assert len(keyed) == 9
    # select_page is built per call; the review holds two of its shapes.
    assert len(STATEMENTS) == len(fixed) + lists + len(keyed) + 2, sorted(STATEMENTS)


def test_inserts_skip_duplicates_with_the_primary_key_hint() -> None:
    for name, table in [("put_blobs", "blobs"), ("put_writes", "writes")]:
        sql = assert_parses_as_oracle(STATEMENTS[name])
        hint = f"IGNORE_ROW_ON_DUPKEY_INDEX(locus_lg_{table}, locus_lg_{table}_pk)"
        assert sql.startswith(f"INSERT /*+ {hint} */ INTO locus_lg_{table}")


def test_a_repeated_checkpoint_is_replaced_by_an_update_on_oracle_only() -> None:
    sql = assert_parses_as_oracle(STATEMENTS["put_checkpoint_replace"])
    assert sql.startswith("UPDATE locus_lg_checkpoints SET run_id=")
    assert "parent_checkpoint_id" not in sql.split(" WHERE ")[0]  # never re-parented
    assert "created_at" not in sql
    assert "put_checkpoint_replace" not in LangGraphStatements.of("locus", "postgresql").review()


def test_list_filters_compare_json_values_with_their_json_type() -> None:
    sql = assert_parses_as_oracle(STATEMENTS["list_page"])
    assert "JSON_VALUE(locus_lg_checkpoints.metadata, '$.\"source\".stringOnly()'" in sql
    assert "'$.\"step\".numberOnly()' RETURNING NUMBER NULL ON ERROR" in sql
    assert '\'$."parents"."p".stringOnly()\'' in sql
    assert "'$.\"missing\".type()') IS NULL" in sql
    assert "FETCH FIRST 50 ROWS ONLY" in sql
    assert sql.rstrip().endswith(
        "ORDER BY kind, checkpoint_id DESC, thread_id DESC, checkpoint_ns DESC"
    )
    flag = assert_parses_as_oracle(STATEMENTS["list_all_threads_page"])
    assert "'$.\"flag\".booleanOnly()'" in flag


@pytest.mark.parametrize("name", ["get_checkpoint", "get_latest_checkpoint", "list_page"])
def test_a_read_joins_exactly_the_referenced_values_through_json_table(name: str) -> None:
    sql = assert_parses_as_oracle(STATEMENTS[name])
    checkpoint, writes, values = sql.split(" UNION ALL ")
    assert "FROM locus_lg_checkpoints" in checkpoint.split(" SELECT 0 AS kind")[0]
    assert "FROM locus_lg_writes, cur" in writes
    assert (
        "FROM cur JOIN JSON_TABLE(cur.channel_versions, '$[*]' COLUMNS ("
        "channel VARCHAR2(255 CHAR) PATH '$[0]', version VARCHAR2(255 CHAR) PATH '$[1]')) "
        "pairs ON 1 = 1 LEFT OUTER JOIN locus_lg_blobs ON "
        "locus_lg_blobs.thread_id = cur.thread_id "
        "AND locus_lg_blobs.checkpoint_ns = cur.checkpoint_ns "
        "AND locus_lg_blobs.channel = pairs.channel AND locus_lg_blobs.version = pairs.version"
    ) in values


def test_maintenance_deletes_by_or_ed_primary_keys() -> None:
    sql = assert_parses_as_oracle(STATEMENTS["delete_blobs_by_key"])
    where = sql.split("WHERE", 1)[1].strip()
    assert where.split(" OR ") == [
        f"locus_lg_blobs.thread_id = :k{i}_thread_id "
        f"AND locus_lg_blobs.checkpoint_ns = :k{i}_checkpoint_ns "
        f"AND locus_lg_blobs.channel = :k{i}_channel "
        f"AND locus_lg_blobs.version = :k{i}_version"
        for i in (0, 1)
    ]


async def test_put_sends_root_namespace_as_sentinel_values_first_then_the_checkpoint(
    oracle_store: tuple[Store, FakeDriver],
) -> None:
    store, driver = oracle_store
    saver = store.langgraph_saver()
    checkpoint = empty_checkpoint()
    checkpoint["channel_values"] = {"messages": ["hi"]}
    checkpoint["channel_versions"] = {"messages": "1", "gone": "1"}
    config: RunnableConfig = {"configurable": {"thread_id": "t1", "checkpoint_ns": ""}}
    await saver.aput(
        config,
        checkpoint,
        {"source": "input", "step": -1, "run_id": "r1"},
        {
            "messages": "1",
            "gone": "1",
        },
    )
    blobs, cp = [s for s in driver.statements if s.sql.startswith("INSERT")]
    assert "INTO locus_lg_blobs" in blobs.sql
    assert "INTO locus_lg_checkpoints" in cp.sql
    rows = {row["channel"]: row for row in blobs.parameters}
    assert {row["checkpoint_ns"] for row in blobs.parameters} == {EMPTY_STRING_SENTINEL}
    assert rows["gone"]["value_type"] == "empty"
    assert rows["gone"]["value"] is None
    assert rows["messages"]["value_type"] == "msgpack"
    assert cp.parameters["checkpoint_ns"] == EMPTY_STRING_SENTINEL
    assert cp.parameters["run_id"] == "r1"
    metadata = cp.parameters["metadata"]  # the document, or its text (binds may differ)
    metadata = json.loads(metadata) if isinstance(metadata, str) else metadata
    assert metadata == {"source": "input", "step": -1, "run_id": "r1"}


async def test_special_writes_replace_earlier_ones_by_delete_then_insert(
    oracle_store: tuple[Store, FakeDriver],
) -> None:
    store, driver = oracle_store
    saver = store.langgraph_saver()
    config: RunnableConfig = {
        "configurable": {"thread_id": "t1", "checkpoint_ns": "", "checkpoint_id": "c1"}
    }
    await saver.aput_writes(config, [("__interrupt__", {"q": 1}), ("answer", 42)], "task-1")
    sent = driver.statements
    delete, insert = sent[-2], sent[-1]
    assert delete.sql.startswith("DELETE FROM locus_lg_writes")
    assert delete.parameters["idxs_1"] == -3
    assert insert.sql.startswith("INSERT /*+ IGNORE_ROW_ON_DUPKEY_INDEX")
    assert [(r["idx"], r["channel"]) for r in insert.parameters] == [
        (-3, "__interrupt__"),
        (1, "answer"),
    ]
    assert {r["task_path"] for r in insert.parameters} == {EMPTY_STRING_SENTINEL}


@pytest.mark.parametrize("ttl", [None, dt.timedelta(hours=2)])
async def test_put_binds_the_expiry_as_a_utc_timestamp_and_a_repeat_renews_it(
    oracle_store: tuple[Store, FakeDriver], ttl: dt.timedelta | None
) -> None:
    store, driver = oracle_store
    saver = store.langgraph_saver(ttl=ttl)
    config: RunnableConfig = {"configurable": {"thread_id": "t1", "checkpoint_ns": ""}}
    await saver.aput(config, empty_checkpoint(), {"source": "input", "step": -1}, {})
    [cp] = [s for s in driver.statements if s.sql.startswith("INSERT")]
    created, expires = cp.parameters["created_at"], cp.parameters["expires_at"]
    if ttl is None:
        assert expires is None
    else:
        assert expires - created == ttl
        assert "FROM_TZ(CAST(:expires_at AS TIMESTAMP), '+00:00')" in cp.sql
    replace = assert_parses_as_oracle(STATEMENTS["put_checkpoint_replace"])
    assert "expires_at=" in replace.split(" WHERE ")[0]


async def test_the_ttl_sweep_finds_expired_threads_by_their_expiry_on_oracle(
    oracle_store: tuple[Store, FakeDriver],
) -> None:
    store, driver = oracle_store
    driver.answer("locus_lg_checkpoints.expires_at <", [])

    assert await store.langgraph_saver().asweep_ttl() == 0

    [plan] = [s for s in driver.statements if "expires_at <" in s.sql]
    assert plan.sql.startswith("SELECT DISTINCT locus_lg_checkpoints.thread_id")
    assert "newer.expires_at IS NULL OR newer.expires_at >= FROM_TZ(CAST(:now" in plan.sql
    assert plan.parameters["now"].tzinfo is None  # UTC wall time, marked by FROM_TZ
