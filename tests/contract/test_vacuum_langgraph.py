"""``store.vacuum`` over the LangGraph tables: keep-N keeps what kept checkpoints need,
idle threads go whole, a dry run counts exactly what a real run removes."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from langchain_core.runnables import RunnableConfig
from sqlalchemy.ext.asyncio import AsyncConnection

from locus_store import Store
from locus_store.langgraph.saver import SQLAlchemySaver
from locus_store.langgraph.statements import INTERRUPT
from locus_store.ops.vacuum import VacuumReport
from tests.support.cli import locus_store, on
from tests.support.langgraph import Lineage, graph_config

DELTA = {"counters_since_delta_snapshot": {"d": [1, 1]}}


def _id(config: RunnableConfig) -> str:
    return str(config["configurable"]["checkpoint_id"])


async def _ids(saver: SQLAlchemySaver, thread: str, ns: str = "") -> list[str]:
    return [_id(t.config) async for t in saver.alist(graph_config(thread, ns=ns))]


async def _rows(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the LangGraph tables (sorted), to compare before and after."""
    schema = store.schema
    tables = (schema.lg_checkpoints, schema.lg_blobs, schema.lg_writes)

    async def work(conn: AsyncConnection) -> dict[str, list[tuple[Any, ...]]]:
        found = {}
        for table in tables:
            keys = [c for c in table.primary_key.columns]
            rows = await conn.execute(sa.select(*keys).order_by(*keys))
            found[table.name] = [tuple(r) for r in rows]
        return found

    return await store.run(work)


async def _backdate(store: Store, thread: str, days: float) -> None:
    """Move every LangGraph checkpoint of ``thread`` ``days`` into the past."""
    when = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
    cp = store.schema.lg_checkpoints

    async def work(conn: AsyncConnection) -> None:
        await conn.execute(cp.update().where(cp.c.thread_id == thread).values(created_at=when))

    await store.run(work, atomic=True)


async def _assert_readable(saver: SQLAlchemySaver, thread: str, ns: str = "") -> None:
    """Every checkpoint left reads, and its parent is either gone from the link or there."""
    left = set(await _ids(saver, thread, ns))
    for checkpoint_id in left:
        found = await saver.aget_tuple(graph_config(thread, checkpoint_id, ns))
        assert found is not None
        if found.parent_config is not None:
            assert _id(found.parent_config) in left


async def test_keep_last_keeps_the_newest_of_each_namespace_with_their_values(
    store: Store,
) -> None:
    saver = store.langgraph_saver()
    root, child = Lineage(saver, "t"), Lineage(saver, "t", ns="child:1")
    configs = [await root.step({"a": n, **({"b": "set once"} if n == 0 else {})}) for n in range(5)]
    await saver.aput_writes(configs[1], [("a", "old write")], "task")
    await saver.aput_writes(configs[4], [("a", "new write")], "task")
    child_configs = [await child.step({"c": n}) for n in range(3)]
    before = {_id(c): await saver.aget_tuple(c) for c in configs[-2:] + child_configs[-2:]}

    report = await store.vacuum(older_than_days=30, keep_last=2)

    assert await _ids(saver, "t") == [_id(c) for c in reversed(configs[-2:])]
    assert await _ids(saver, "t", "child:1") == [_id(c) for c in reversed(child_configs[-2:])]
    for checkpoint_id, was in before.items():
        assert was is not None
        now = await saver.aget_tuple(was.config)
        assert now is not None, checkpoint_id
        assert now.checkpoint["channel_values"] == was.checkpoint["channel_values"]
        assert now.pending_writes == was.pending_writes
    oldest_kept = await saver.aget_tuple(configs[-2])
    assert oldest_kept is not None
    assert oldest_kept.parent_config is None
    assert oldest_kept.checkpoint["channel_values"] == {"a": 3, "b": "set once"}
    await _assert_readable(saver, "t")
    await _assert_readable(saver, "t", "child:1")
    # a: versions 0..2 go; child c: version 0 goes; b (set once) stays.
    assert (
        report.as_dict()
        == VacuumReport(
            langgraph_checkpoints=3 + 1, langgraph_writes=1, langgraph_values=3 + 1
        ).as_dict()
    )


async def test_keep_last_keeps_delta_ancestors_back_to_the_snapshot(store: Store) -> None:
    saver = store.langgraph_saver()
    lineage = Lineage(saver, "t")
    await lineage.step({"d": "old snapshot"}, DELTA)
    snapshot = await lineage.step({"d": "snapshot"}, DELTA)
    middle = await lineage.step({"d": ...}, DELTA)
    await saver.aput_writes(middle, [("d", "delta 1")], "task")
    latest = await lineage.step({"d": ...}, DELTA)

    report = await store.vacuum(older_than_days=30, keep_last=1)

    assert await _ids(saver, "t") == [_id(latest), _id(middle), _id(snapshot)]
    history = await saver.aget_delta_channel_history(config=latest, channels=["d"])
    assert history["d"] == {"writes": [("task", "d", "delta 1")], "seed": "snapshot"}
    await _assert_readable(saver, "t")
    assert (report.langgraph_checkpoints, report.langgraph_values) == (1, 1)


async def test_keep_last_on_a_fork_makes_a_kept_checkpoint_whose_parent_went_a_root(
    store: Store,
) -> None:
    saver = store.langgraph_saver()
    main = Lineage(saver, "t")
    line = [await main.step({"a": n}) for n in range(4)]
    branch = main.fork(line[1])
    fork = await branch.step({"a": "forked"})  # newest: a fork off the second checkpoint

    await store.vacuum(older_than_days=30, keep_last=2)

    assert await _ids(saver, "t") == [_id(fork), _id(line[3])]
    for kept in (fork, line[3]):
        found = await saver.aget_tuple(kept)
        assert found is not None
        assert found.parent_config is None
    found = await saver.aget_tuple(fork)
    assert found is not None
    assert found.checkpoint["channel_values"] == {"a": "forked"}


async def test_keep_last_keeps_a_pending_interrupt_but_not_a_resumed_one(store: Store) -> None:
    saver = store.langgraph_saver()
    main = Lineage(saver, "t")
    line = [await main.step({"a": n}) for n in range(3)]
    await saver.aput_writes(line[1], [(INTERRUPT, "resumed since")], "task")
    waiting = await main.fork(line[1]).step({"a": "waiting"})
    await saver.aput_writes(waiting, [(INTERRUPT, "approve?")], "task")
    head = await main.step({"a": "head"})

    await store.vacuum(older_than_days=30, keep_last=1)

    assert await _ids(saver, "t") == [_id(head), _id(waiting)]
    found = await saver.aget_tuple(waiting)
    assert found is not None
    assert found.pending_writes == [("task", INTERRUPT, "approve?")]
    await _assert_readable(saver, "t")


async def test_prune_keep_latest_still_keeps_only_the_newest(store: Store) -> None:
    """LangGraph's own keep_latest: one checkpoint per namespace, interrupts or not."""
    saver = store.langgraph_saver()
    main = Lineage(saver, "t")
    line = [await main.step({"a": n}) for n in range(2)]
    waiting = await main.fork(line[0]).step({"a": "waiting"})
    await saver.aput_writes(waiting, [(INTERRUPT, "approve?")], "task")
    head = await main.step({"a": "head"})

    await saver.aprune(["t"], strategy="keep_latest")

    assert await _ids(saver, "t") == [_id(head)]


async def test_age_removes_whole_idle_threads_only(store: Store) -> None:
    saver = store.langgraph_saver()
    idle = Lineage(saver, "idle")
    await idle.step({"a": 1})
    waiting = await idle.step({"a": 2})
    await saver.aput_writes(waiting, [(INTERRUPT, "approve?")], "task")
    await _backdate(store, "idle", days=40)
    active = Lineage(saver, "active")
    old = [await active.step({"a": n}) for n in range(3)]
    await _backdate(store, "active", days=40)
    newest = await active.step({"a": "today"})

    report = await store.vacuum(older_than_days=30)

    assert await _ids(saver, "idle") == []
    assert await _ids(saver, "active") == [_id(c) for c in reversed([*old, newest])]
    rows = await _rows(store)
    assert {r[0] for rows_of in rows.values() for r in rows_of} == {"active"}
    assert (
        report.as_dict()
        == VacuumReport(
            langgraph_threads=1, langgraph_checkpoints=2, langgraph_writes=1, langgraph_values=2
        ).as_dict()
    )


async def _histories(store: Store) -> None:
    """An idle thread, a crowded one with a delta channel, a fork and an interrupt."""
    saver = store.langgraph_saver()
    idle = Lineage(saver, "idle")
    await saver.aput_writes(await idle.step({"a": 1}), [("a", "w")], "task")
    await _backdate(store, "idle", days=40)
    crowded = Lineage(saver, "crowded")
    line = [await crowded.step({"a": n, "d": ...}, DELTA) for n in range(4)]
    await saver.aput_writes(line[2], [("d", "delta")], "task")
    waiting = await crowded.fork(line[0]).step({"a": "waiting"})
    await saver.aput_writes(waiting, [(INTERRUPT, "approve?")], "task")
    for n in range(3):
        await Lineage(saver, "crowded", ns="sub:1").step({"s": n})


async def test_a_dry_run_counts_what_the_real_run_removes_and_changes_nothing(
    store: Store,
) -> None:
    await _histories(store)
    before = await _rows(store)
    calls: list[tuple[int, int]] = []

    dry = await store.vacuum(older_than_days=30, keep_last=1, dry_run=True)
    assert await _rows(store) == before
    done = await store.vacuum(older_than_days=30, keep_last=1, progress=lambda *a: calls.append(a))

    assert dry.dry_run
    assert not done.dry_run
    assert {**dry.as_dict(), "dry_run": False} == done.as_dict()
    assert done.langgraph_threads == 1
    assert done.langgraph_checkpoints > 1
    assert calls
    assert calls[-1][0] == calls[-1][1]
    saver = store.langgraph_saver()
    await _assert_readable(saver, "crowded")
    await _assert_readable(saver, "crowded", "sub:1")
    again = await store.vacuum(older_than_days=30, keep_last=1, dry_run=True)
    assert again.as_dict() == VacuumReport(dry_run=True).as_dict()


async def test_the_cli_reports_the_langgraph_rows_through_the_entry_point(
    store: Store, backend: str, tmp_path: Path
) -> None:
    if backend not in ("sqlite", "postgresql", "postgresql-app"):
        pytest.skip(f"{backend} is not reachable from another process")
    await _histories(store)
    before = await _rows(store)
    args = ("vacuum", "--older-than-days", "30", "--keep-last", "1", *on(store))

    dry = locus_store(*args, "--dry-run", cwd=tmp_path)
    assert dry.returncode == 0, dry.stderr
    assert "would remove 0 single-row threads, 0 versions and 0 pending writes; LangGraph: " in (
        dry.stdout
    )
    assert await _rows(store) == before
    done = locus_store(*args, "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    report = VacuumReport(**json.loads(done.stdout))
    assert report.langgraph_threads == 1
    assert f"{report.langgraph_checkpoints} checkpoints (1 whole thread)" in dry.stdout
    assert await _ids(store.langgraph_saver(), "idle") == []
