"""The LangGraph saver beyond the conformance kit: what it reads, keeps, deletes, where it runs."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import sqlalchemy as sa
from langgraph.checkpoint.base import empty_checkpoint

from locus_store import InvalidInputError, Store
from locus_store.langgraph.saver import SQLAlchemySaver
from locus_store.langgraph.statements import LangGraphStatements
from tests.support.langgraph import Lineage, graph_config


async def _count(store: Store, table: sa.Table) -> int:
    count = await store.run(lambda c: c.scalar(sa.select(sa.func.count()).select_from(table)))
    return int(count or 0)


async def test_get_tuple_reads_only_the_value_versions_its_checkpoint_references(
    store: Store,
) -> None:
    saver = store.langgraph_saver()
    lineage = Lineage(saver, "t1")
    first = await lineage.step({"a": 1, "b": "kept"})
    for i in range(2, 8):
        await lineage.step({"a": i})
    await saver.aput_writes(lineage.config, [("a", "pending")], "task")
    assert await _count(store, store.schema.lg_blobs) == 8

    read: list[list[tuple[int, str | None, str | None]]] = []
    tuples = saver._tuples

    def spy(rows: Any) -> Any:
        read.append([(r.kind, r.channel, r.version) for r in rows])
        return tuples(rows)

    saver._tuples = spy  # type: ignore[method-assign]
    latest = await saver.aget_tuple(graph_config("t1"))
    assert latest is not None
    assert latest.checkpoint["channel_values"] == {"a": 7, "b": "kept"}
    assert latest.pending_writes == [("task", "a", "pending")]
    # One round trip: the checkpoint, its write, and two of the thread's eight values.
    kinds = sorted(read[0], key=lambda r: (r[0], r[1] or ""))
    assert kinds == [
        (0, None, None),
        (1, "a", None),
        (2, "a", lineage.versions["a"]),
        (2, "b", lineage.versions["b"]),
    ]
    old = await saver.aget_tuple(first)
    assert old is not None
    assert old.checkpoint["channel_values"] == {"a": 1, "b": "kept"}


async def test_values_and_writes_are_found_by_primary_key_lookups_never_a_scan(
    store: Store,
) -> None:
    """SQLite scans a table for a multi-row tuple IN list; the saver's reads must not."""
    if store.dialect_name != "sqlite":
        pytest.skip("query plans checked on SQLite, whose planner is deterministic")
    sql = LangGraphStatements.of(store.schema.prefix, "sqlite")
    page = sql.select_page(
        thread=True,
        namespace=True,
        checkpoint=False,
        before=False,
        after_cursor=False,
        filter=None,
        limit=50,
    )
    keyed = [sql.delete_blobs([("t", "", "a", "1"), ("t", "", "b", "2")])]
    plans = [
        (sql.read_checkpoint, {"thread_id": "t", "checkpoint_ns": "", "checkpoint_id": "c"}),
        (sql.read_latest_checkpoint, {"thread_id": "t", "checkpoint_ns": ""}),
        (page, {"thread_id": "t", "checkpoint_ns": ""}),
        *keyed,
    ]
    for statement, params in plans:
        compiled = statement.compile(dialect=store.engine.dialect)
        values = compiled.construct_params(params)
        positional = tuple(values[name] for name in compiled.positiontup or [])

        async def plan(conn: Any, sql_text: str = str(compiled), args: Any = positional) -> Any:
            result = await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql_text}", args)
            return [str(row[3]) for row in result]

        steps = await store.run(plan)
        scans = [s for s in steps if s.startswith("SCAN") and "lg_" in s]
        assert not scans, (str(compiled), steps)


async def test_list_filter_runs_in_sql_and_respects_json_types(store: Store) -> None:
    saver = store.langgraph_saver()
    lineage = Lineage(saver, "t1")
    await lineage.step({"a": 1}, {"score": 1, "tag": "1", "flag": True, "nested": {"k": "v"}})
    await lineage.step({"a": 2}, {"score": 2, "tag": "2", "flag": False, "nested": {"k": "w"}})
    sent: list[str] = []
    sa.event.listen(store.engine.sync_engine, "before_cursor_execute", lambda *a: sent.append(a[2]))

    async def steps(flt: dict[str, Any]) -> list[Any]:
        return [
            dict(t.metadata)["score"] async for t in saver.alist(graph_config("t1"), filter=flt)
        ]

    assert await steps({"score": 1}) == [1]
    assert await steps({"score": "1"}) == []
    assert await steps({"tag": "1"}) == [1]
    assert await steps({"flag": False}) == [2]
    assert await steps({"flag": 0}) == []
    assert await steps({"nested": {"k": "w"}}) == [2]
    assert await steps({"absent": None}) == [2, 1]
    assert await steps({}) == [2, 1]
    reads_json = {"sqlite": "json_type(", "postgresql": " #> ", "oracle": "JSON_VALUE("}
    filtered = [s for s in sent if reads_json[store.dialect_name] in s]
    assert len(filtered) >= 7  # one page query per filtered call, the filter in its WHERE
    with pytest.raises(InvalidInputError, match="not queryable"):
        await steps({"bad key'": 1})


async def test_list_pages_through_long_histories_newest_first_with_before_and_limit(
    store: Store,
) -> None:
    saver = store.langgraph_saver()
    lineage = Lineage(saver, "t1")
    ids = [(await lineage.step({"a": i}))["configurable"]["checkpoint_id"] for i in range(120)]
    listed = [t.checkpoint["id"] async for t in saver.alist(graph_config("t1"))]
    assert listed == ids[::-1]
    before = graph_config("t1", ids[100])
    page = [t.checkpoint["id"] async for t in saver.alist(None, before=before, limit=60)]
    assert page == ids[99:39:-1]


async def test_put_writes_keeps_first_ordinary_write_and_replaces_special_ones(
    store: Store,
) -> None:
    saver = store.langgraph_saver()
    config = await Lineage(saver, "t1").step({"a": 1})
    await saver.aput_writes(config, [("a", "first"), ("__error__", "boom")], "task", "p:1")
    await saver.aput_writes(config, [("a", "second"), ("__error__", "again")], "task", "p:1")
    await saver.aput_writes(config, [("a", "other task")], "task0", "p:0")
    found = await saver.aget_tuple(config)
    assert found is not None
    assert found.pending_writes == [
        ("task0", "a", "other task"),
        ("task", "__error__", "again"),
        ("task", "a", "first"),
    ]


async def test_prune_keep_latest_keeps_only_the_values_the_latest_checkpoint_uses(
    store: Store,
) -> None:
    saver = store.langgraph_saver()
    lineage = Lineage(saver, "t1")
    await lineage.step({"a": 1, "b": "from the start"})
    await lineage.step({"a": 2})
    await saver.aput_writes(lineage.config, [("a", "w")], "task")
    latest = await lineage.step({"a": 3})
    other = Lineage(saver, "t2")
    await other.step({"a": 1})
    await other.step({"a": 2})

    await saver.aprune(["t1"], strategy="keep_latest")
    found = await saver.aget_tuple(graph_config("t1"))
    assert found is not None
    assert found.config == latest
    assert found.checkpoint["channel_values"] == {"a": 3, "b": "from the start"}
    assert found.parent_config is None  # its parent is gone: the head is now a root
    assert await _count(store, store.schema.lg_blobs) == 2 + 2
    assert await _count(store, store.schema.lg_writes) == 0
    assert len([t async for t in saver.alist(graph_config("t2"))]) == 2


async def test_prune_keep_latest_keeps_delta_channel_history_back_to_its_snapshot(
    store: Store,
) -> None:
    saver = store.langgraph_saver()
    lineage = Lineage(saver, "t1")
    delta = {"counters_since_delta_snapshot": {"d": [1, 1]}}
    await lineage.step({"d": "old snapshot"}, delta)
    snapshot = await lineage.step({"d": "snapshot"}, delta)
    middle = await lineage.step({"d": ...}, delta)
    await saver.aput_writes(middle, [("d", "delta 1")], "task")
    latest = await lineage.step({"d": ...}, delta)

    await saver.aprune(["t1"], strategy="keep_latest")
    kept = [t.config async for t in saver.alist(graph_config("t1"))]
    assert kept == [latest, middle, snapshot]
    found = await saver.aget_tuple(middle)
    assert found is not None
    assert found.pending_writes == [("task", "d", "delta 1")]
    found = await saver.aget_tuple(snapshot)
    assert found is not None
    assert found.checkpoint["channel_values"] == {"d": "snapshot"}


async def test_prune_delete_and_unknown_strategy(store: Store) -> None:
    saver = store.langgraph_saver()
    await Lineage(saver, "t1").step({"a": 1})
    with pytest.raises(InvalidInputError, match="unknown prune strategy"):
        await saver.aprune(["t1"], strategy="keep_some")
    await saver.aprune(["t1"], strategy="delete")
    for table in (store.schema.lg_checkpoints, store.schema.lg_blobs, store.schema.lg_writes):
        assert await _count(store, table) == 0


async def test_delete_for_runs_drops_values_only_its_checkpoints_used(store: Store) -> None:
    saver = store.langgraph_saver()
    lineage = Lineage(saver, "t1")
    await lineage.step({"a": 1, "b": "shared"}, {"run_id": "r1"})
    kept = await lineage.step({"a": 2}, {"run_id": "r2"})
    await saver.adelete_for_runs(["r1"])
    found = await saver.aget_tuple(kept)
    assert found is not None
    assert found.checkpoint["channel_values"] == {"a": 2, "b": "shared"}
    assert [t.config async for t in saver.alist(graph_config("t1"))] == [kept]
    assert await _count(store, store.schema.lg_blobs) == 2  # a@1 went, b@1 is still used


async def test_copy_thread_copies_values_and_is_safe_to_repeat(store: Store) -> None:
    saver = store.langgraph_saver()
    lineage = Lineage(saver, "src")
    await lineage.step({"a": 1})
    await saver.aput_writes(await lineage.step({"a": 2}), [("a", 3)], "task")
    await saver.acopy_thread("src", "dst")
    await saver.acopy_thread("src", "dst")
    src = [
        (t.checkpoint, t.metadata, t.pending_writes) async for t in saver.alist(graph_config("src"))
    ]
    dst = [
        (t.checkpoint, t.metadata, t.pending_writes) async for t in saver.alist(graph_config("dst"))
    ]
    assert dst == src
    assert len(dst) == 2
    await saver.adelete_thread("src")
    found = await saver.aget_tuple(graph_config("dst"))
    assert found is not None
    assert found.checkpoint["channel_values"] == {"a": 2}


async def test_sync_twins_run_on_their_own_loop_and_leave_the_async_pool_alone(
    store: Store,
) -> None:
    saver = store.langgraph_saver()
    await Lineage(saver, "t1").step({"a": 1})
    pool = store.engine.sync_engine.pool
    try:
        # Called from inside a running loop, on purpose: the saver's loop is another one.
        config = saver.put(graph_config("t2"), empty_checkpoint(), {"step": 0}, {})
        assert saver.get_tuple(config) is not None
        assert [t.config for t in saver.list(graph_config("t2"))] == [config]
        assert await saver.aget_tuple(config) is not None
        assert store.engine.sync_engine.pool is pool  # no dispose between the two styles
        results = await asyncio.gather(
            *(asyncio.to_thread(saver.get_tuple, graph_config("t1")) for _ in range(8))
        )
        assert all(r is not None for r in results)
    finally:
        await saver.aclose()
    assert saver._background is None


async def test_concurrent_threads_use_several_pooled_connections_at_once(store: Store) -> None:
    saver = store.langgraph_saver()
    busy = peak = 0

    def checkout(*_: Any) -> None:
        nonlocal busy, peak
        busy += 1
        peak = max(peak, busy)

    def checkin(*_: Any) -> None:
        nonlocal busy
        busy -= 1

    pool = store.engine.sync_engine.pool
    sa.event.listen(pool, "checkout", checkout)
    sa.event.listen(pool, "checkin", checkin)
    try:
        configs = await asyncio.gather(*(Lineage(saver, f"t{i}").step({"a": i}) for i in range(16)))
        found = await asyncio.gather(*(saver.aget_tuple(c) for c in configs))
    finally:
        sa.event.remove(pool, "checkout", checkout)
        sa.event.remove(pool, "checkin", checkin)
    assert [f.checkpoint["channel_values"]["a"] for f in found if f] == list(range(16))
    assert peak > 1


async def test_bound_saver_writes_inside_the_callers_transaction(store: Store) -> None:
    async with store.engine.connect() as conn, conn.begin() as tx:
        saver = store.bind(conn).langgraph_saver()
        config = await Lineage(saver, "t1").step({"a": 1})
        assert await saver.aget_tuple(config) is not None
        with pytest.raises(RuntimeError, match="bound store"):
            saver.get_tuple(config)
        await tx.rollback()
    assert await store.langgraph_saver().aget_tuple(config) is None


async def test_keys_are_checked_before_any_sql(store: Store) -> None:
    saver = store.langgraph_saver()
    with pytest.raises(InvalidInputError, match="thread_id"):
        await saver.aget_tuple({"configurable": {}})
    with pytest.raises(InvalidInputError, match="thread_id must not be empty"):
        await saver.aget_tuple(graph_config(""))
    with pytest.raises(InvalidInputError, match="checkpoint_id"):
        await saver.aput_writes(graph_config("t1"), [("a", 1)], "task")
    config = await saver.aput(
        {"configurable": {"thread_id": 42, "checkpoint_ns": ""}}, empty_checkpoint(), {}, {}
    )
    assert config["configurable"]["thread_id"] == "42"
    assert await saver.aget_tuple(graph_config("42")) is not None


def test_next_versions_sort_as_text_past_every_power_of_ten() -> None:
    saver = SQLAlchemySaver.__new__(SQLAlchemySaver)
    versions = [saver.get_next_version(None, None)]
    for _ in range(1200):
        versions.append(saver.get_next_version(versions[-1], None))
    assert versions == sorted(versions)
    assert int(versions[-1].split(".")[0]) == 1201
    assert saver.get_next_version(9, None).startswith("0" * 30 + "10.")  # type: ignore[arg-type]
