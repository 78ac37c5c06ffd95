"""Several OS processes at once on one database: PostgreSQL, one SQLite file (and Oracle).

- Saves to one shared thread and to each process's own thread surface no error; the
  single-row thread ends holding one whole state some writer saved (state, id,
  metadata and search text all from the same save); the versioned lineage holds
  every checkpoint exactly once, one root, no cycle, one chain, each writer's saves
  in the order it made them.
- ``put_writes`` retried by every process for the same task leaves exactly one whole
  set, and no reader ever sees a mix.
- ``vacuum`` running while others save removes nothing newer than its window.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from locus_store import Store
from tests.support.backends import Target
from tests.support.database import MODEL_BACKENDS, empty_tables, run_blocking
from tests.support.reliability.processes import (
    READY_TIMEOUT,
    Worker,
    assert_whole_lineage,
    lineage,
    run_together,
)
from tests.support.reliability.worker import tagged_state

#: Worker processes at once: 4 by default, 8 with ``--long``.
PROCESSES, LONG_PROCESSES = 4, 8


def on(target: Target, prefix: str) -> Store:
    return Store.from_settings(target.settings, table_prefix=prefix)


def empty(target: Target, prefix: str) -> None:
    async def work() -> None:
        async with on(target, prefix) as store:
            await empty_tables(store)

    run_blocking(work)


@pytest.mark.parametrize("backend", MODEL_BACKENDS)
def test_processes_saving_at_once_see_no_error_and_leave_whole_states(
    backend: str, migrated: dict[str, tuple[Target, str]], long_run: bool
) -> None:
    target, prefix = migrated[backend]
    empty(target, prefix)
    count = 60 if long_run else 15
    processes = LONG_PROCESSES if long_run else PROCESSES
    done = run_together(
        target, prefix, [{"job": "saves", "count": count, "size": 2000}] * processes
    )
    assert [d["errors"] for d in done] == [[]] * processes

    async def check() -> None:
        async with on(target, prefix) as store:
            latest = store.latest()
            shared = await latest.load("shared")
            assert shared is not None
            tag = shared.agent_id
            assert tag is not None
            assert all(str(m.content).startswith(tag) for m in shared.messages)
            record = await latest.get_metadata("shared")
            assert record is not None
            assert record["checkpoint_id"] == tag
            writer, i = (int(n) for n in tag[1:].split("x"))
            assert record["metadata"] == {"writer": writer, "i": i}
            assert writer < processes
            assert i < count
            assert "shared" in [h["thread_id"] for h in await latest.search(tag, limit=100)]
            for w in range(processes):
                own = await latest.load(f"own-{w}")
                assert own is not None
                assert own.agent_id == f"w{w}x{count - 1}"

            every = {f"w{w}x{i}" for w in range(processes) for i in range(count)}
            rows = await lineage(store, "shared")
            assert_whole_lineage(rows, every)
            positions = {r["checkpoint_id"]: n for n, r in enumerate(reversed(rows))}
            for w in range(processes):
                mine = [positions[f"w{w}x{i}"] for i in range(count)]
                assert mine == sorted(mine)  # each writer's saves in the order it made them
                assert_whole_lineage(
                    await lineage(store, f"own-{w}"), {f"w{w}x{i}" for i in range(count)}
                )

    run_blocking(check)


@pytest.mark.parametrize("backend", MODEL_BACKENDS)
def test_put_writes_retried_by_every_process_leaves_one_whole_set(
    backend: str, migrated: dict[str, tuple[Target, str]], long_run: bool
) -> None:
    target, prefix = migrated[backend]
    empty(target, prefix)
    width = 25
    job = {"job": "writes", "count": 100 if long_run else 25, "width": width}
    processes = LONG_PROCESSES if long_run else PROCESSES
    done = run_together(target, prefix, [job] * processes)
    assert [d["errors"] for d in done] == [[]] * processes
    assert [d["mixed"] for d in done] == [[]] * processes

    async def check() -> None:
        async with on(target, prefix) as store:
            rows = await store.versioned().get_writes(
                thread_id="w", checkpoint_id="c", task_id="task"
            )
            assert [r["idx"] for r in rows] == list(range(width))
            assert len({r["value"]["tag"] for r in rows}) == 1
            assert [r["value"]["k"] for r in rows] == list(range(width))

    run_blocking(check)


async def _seed_old(store: Store, days: float) -> None:
    """Old single-row threads and an old versioned lineage under "shared", backdated."""
    latest, view = store.latest(), store.versioned().as_checkpointer()
    for n in range(5):
        await latest.save(tagged_state(f"old{n}"), f"old-{n}", checkpoint_id=f"old{n}")
        await view.save(tagged_state(f"old{n}"), "shared", checkpoint_id=f"old{n}")
        await view.save(tagged_state(f"gone{n}"), f"gone-{n}", checkpoint_id=f"gone{n}")
    past = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
    threads, checkpoints = store.schema.threads, store.schema.checkpoints

    async def backdate(conn: AsyncConnection) -> None:
        await conn.execute(sa.update(threads).values(updated_at=past, created_at=past))
        await conn.execute(sa.update(checkpoints).values(created_at=past))

    await store.run(backdate, atomic=True)


@pytest.mark.parametrize("backend", MODEL_BACKENDS)
def test_vacuum_running_while_processes_save_removes_nothing_newer_than_its_window(
    backend: str, migrated: dict[str, tuple[Target, str]], long_run: bool
) -> None:
    target, prefix = migrated[backend]
    empty(target, prefix)

    async def seed() -> None:
        async with on(target, prefix) as store:
            await _seed_old(store, days=2)

    run_blocking(seed)
    count = 40 if long_run else 12
    savers = [Worker(target, prefix, {"job": "saves", "count": count}, w) for w in range(2)]
    vacuumer = Worker(target, prefix, {"job": "vacuums", "days": 1}, 2)
    workers = [*savers, vacuumer]
    try:
        for worker in workers:
            worker.wait_for("ready", READY_TIMEOUT)
        for worker in workers:
            worker.send("go")
        saved = [saver.wait_for("done", 300) for saver in savers]
        vacuumer.send("stop")
        vacuumed = vacuumer.wait_for("done", 300)
    finally:
        for worker in workers:
            worker.finish()
    assert [d["errors"] for d in saved] == [[], []]
    assert vacuumed["errors"] == []

    async def check() -> None:
        async with on(target, prefix) as store:
            latest = store.latest()
            await latest.vacuum(older_than_days=1)
            await store.versioned().vacuum(older_than_days=1)
            every = {f"w{w}x{i}" for w in range(2) for i in range(count)}
            # Everything saved during the run is there; everything old is gone.
            for w in range(2):
                own = await latest.load(f"own-{w}")
                assert own is not None
                assert own.agent_id == f"w{w}x{count - 1}"
                assert {r["checkpoint_id"] for r in await lineage(store, f"own-{w}")} == {
                    f"w{w}x{i}" for i in range(count)
                }
            assert sorted(await latest.list_threads(pattern="old-*")) == []
            assert await store.versioned().list_threads(pattern="gone-*") == []
            assert_whole_lineage(await lineage(store, "shared"), every)

    run_blocking(check)
    assert vacuumed["removed"] >= 1  # the vacuum did run during the saves


def test_workers_report_their_errors_instead_of_hiding_them(
    migrated: dict[str, tuple[Target, str]],
) -> None:
    """The harness itself: an error in a worker reaches the test."""
    target, _prefix = migrated["sqlite"]
    [done] = run_together(target, "never_migrated", [{"job": "saves", "count": 1}])
    assert done["errors"]
    assert all("never_migrated" in e for e in done["errors"])


def test_the_worker_state_carries_its_tag_everywhere() -> None:
    state = tagged_state("w1x2", 100)
    assert state.agent_id == "w1x2"
    assert all(str(m.content).startswith("w1x2") for m in state.messages)
    assert len(str(state.messages[0].content)) >= 100


async def _rows(store: Store, table: sa.Table, thread: str) -> list[Any]:
    async def work(conn: AsyncConnection) -> list[Any]:
        return list(await conn.execute(sa.select(table).where(table.c.thread_id == thread)))

    return await store.run(work)


@pytest.mark.parametrize("backend", MODEL_BACKENDS)
def test_erasing_a_thread_while_an_agent_writes_to_it_leaves_it_absent_or_whole(
    backend: str, migrated: dict[str, tuple[Target, str]], long_run: bool
) -> None:
    """One process runs an agent on a thread while another erases it again and again:
    late writes and child checkpoints are refused, never left without their checkpoint."""
    target, prefix = migrated[backend]
    empty(target, prefix)
    steps = 200 if long_run else 60
    run, erase = run_together(
        target,
        prefix,
        [{"job": "agent_runs", "count": steps}, {"job": "erasures", "count": steps // 6}],
    )
    assert run["errors"] == []
    assert erase["errors"] == []
    assert erase["hits"] == steps // 6  # the erasures met the thread, mid-run
    assert run["refused"] > 0  # and the run met the erasures

    async def check() -> None:
        async with on(target, prefix) as store:
            s = store.schema
            checkpoints = await _rows(store, s.checkpoints, "erased")
            ids = {r.checkpoint_id for r in checkpoints}
            assert all(r.parent_checkpoint_id in ids | {None} for r in checkpoints)
            assert {r.checkpoint_id for r in await _rows(store, s.writes, "erased")} <= ids
            graph = await _rows(store, s.lg_checkpoints, "erased")
            graph_ids = {r.checkpoint_id for r in graph}
            assert all(r.parent_checkpoint_id in graph_ids | {None} for r in graph)
            blobs = {(r.channel, r.version) for r in await _rows(store, s.lg_blobs, "erased")}
            for row in graph:
                assert {(c, v) for c, v in row.channel_versions} <= blobs
            graph_writes = await _rows(store, s.lg_writes, "erased")
            assert {r.checkpoint_id for r in graph_writes} <= graph_ids
            if not graph:
                assert blobs == set()

    run_blocking(check)


@pytest.mark.parametrize("backend", MODEL_BACKENDS)
def test_processes_putting_one_memory_key_leave_one_whole_item_and_count_every_put(
    backend: str, migrated: dict[str, tuple[Target, str]], long_run: bool
) -> None:
    from locus_store.memory.items import MemoryItems

    target, prefix = migrated[backend]
    empty(target, prefix)
    count = 60 if long_run else 15
    processes = LONG_PROCESSES if long_run else PROCESSES
    job = {"job": "memory_puts", "count": count, "size": 2000}
    done = run_together(target, prefix, [job] * processes)
    assert [d["errors"] for d in done] == [[]] * processes

    async def check() -> None:
        async with on(target, prefix) as store:
            items = MemoryItems(store)
            namespace = ("shared", "memory")
            found = await items.get([(namespace, "k")])
            item = found[(namespace, "k")]
            tag = item.value["tag"]
            assert item.metadata == {"tag": tag}  # value and metadata of one put
            assert item.value["pad"] == "x" * 2000
            assert item.version == count * processes  # every put counted once
            (hits,) = await items.text_search([namespace], f"token{tag}")
            assert [h.key for h in hits] == ["k"]  # and its text
            assert await items.keys(namespace) == ["k"]

    run_blocking(check)
