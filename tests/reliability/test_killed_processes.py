"""A process killed with SIGKILL in the middle of ``put_writes`` or a save leaves all or nothing.

A worker loops forever: replace a task's big write set, save a big single-row state,
append a big version. It is killed with SIGKILL at a random moment within 2 ms of starting one of
them, each in turn, again and again (each is hit mid-way at least once). After each
kill every task's writes are a complete set from one call or absent, the single-row
thread holds one whole state, the lineage is one intact chain of whole states, and
the next call succeeds.
"""

from __future__ import annotations

import random
import time
from typing import Any

import pytest

from locus_store import Store
from tests.support.backends import Target
from tests.support.database import MODEL_BACKENDS, empty_tables, run_blocking
from tests.support.reliability.processes import READY_TIMEOUT, Worker, assert_whole_lineage, lineage
from tests.support.reliability.worker import tagged_state, tagged_writes

TASKS, WIDTH, SIZE = 3, 100, 20_000
OPERATIONS = ("put_writes", "latest.save", "view.save")


async def check_all_or_nothing(store: Store) -> dict[str, Any]:
    saver, latest = store.versioned(), store.latest()
    tags: dict[str, Any] = {}
    for n in range(TASKS):
        rows = await saver.get_writes(thread_id="k-writes", checkpoint_id="c", task_id=f"task-{n}")
        if rows:
            assert [r["idx"] for r in rows] == list(range(WIDTH))
            assert len({r["value"]["tag"] for r in rows}) == 1
            assert all(len(r["value"]["pad"]) == SIZE for r in rows)
        tags[f"task-{n}"] = rows[0]["value"]["tag"] if rows else None
    state = await latest.load("k")
    if state is not None:
        tag = state.agent_id
        assert tag is not None
        assert all(str(m.content).startswith(tag) for m in state.messages)
        record = await latest.get_metadata("k")
        assert record is not None
        assert record["checkpoint_id"] == tag
        assert record["metadata"] == {"tag": tag}
    rows = await lineage(store, "k")
    assert_whole_lineage(rows, {r["checkpoint_id"] for r in rows} if rows else set())
    return tags


@pytest.mark.parametrize("backend", MODEL_BACKENDS)
def test_a_process_killed_mid_write_leaves_all_or_nothing(
    backend: str, migrated: dict[str, tuple[Target, str]], long_run: bool
) -> None:
    target, prefix = migrated[backend]
    rng = random.Random()
    seed = rng.randrange(2**32)
    rng.seed(seed)

    async def empty() -> None:
        async with Store.from_settings(target.settings, table_prefix=prefix) as store:
            await empty_tables(store)

    run_blocking(empty)
    killed_inside = dict.fromkeys(OPERATIONS, 0)
    rounds = 8 if long_run else 2
    for round_, target_op in enumerate(OPERATIONS * rounds):
        worker = Worker(
            target,
            prefix,
            {"job": "kill_me", "tasks": TASKS, "width": WIDTH, "size": SIZE},
            round_,
        )
        try:
            worker.wait_for("ready", READY_TIMEOUT)
            worker.send("go")
            skip = rng.randrange(3)  # a few whole operations first, sometimes
            while True:
                event = worker.wait_for("begin", 60)
                if event["op"] == target_op and event["begin"] >= skip:
                    break
            time.sleep(rng.uniform(0, 0.002))
            worker.kill()
        finally:
            worker.finish()
        worker.drain()
        if "end" not in worker.seen[-1]:
            killed_inside[str(worker.seen[-1]["op"])] += 1

        async def check() -> None:
            async with Store.from_settings(target.settings, table_prefix=prefix) as store:
                await check_all_or_nothing(store)
                # The next call succeeds.
                saver = store.versioned()
                await saver.put_writes(
                    thread_id="k-writes",
                    checkpoint_id="c",
                    task_id="t",
                    writes=tagged_writes("n", 2),
                )
                assert (
                    len(
                        await saver.get_writes(thread_id="k-writes", checkpoint_id="c", task_id="t")
                    )
                    == 2
                )
                await store.latest().save(tagged_state("next"), "next")

        run_blocking(check)
    assert all(killed_inside.values()), (killed_inside, seed)


def test_the_all_or_nothing_check_sees_a_partial_write_set(
    migrated: dict[str, tuple[Target, str]],
) -> None:
    """The check itself: a set missing a row is caught."""
    target, prefix = migrated["sqlite"]

    async def work() -> None:
        async with Store.from_settings(target.settings, table_prefix=prefix) as store:
            await empty_tables(store)
            writes = tagged_writes("p", WIDTH, SIZE)[:-1]
            saver = store.versioned()
            await saver.put(thread_id="k-writes", checkpoint_id="c", checkpoint_data={})
            await saver.put_writes(
                thread_id="k-writes", checkpoint_id="c", task_id="task-0", writes=writes
            )
            with pytest.raises(AssertionError):
                await check_all_or_nothing(store)

    run_blocking(work)
