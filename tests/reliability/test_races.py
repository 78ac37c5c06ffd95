"""Appends racing vacuums and splices of the same lineage keep it one chain with one root.

An Agent checkpointer appends under the thread's newest version, resolved inside its
``INSERT``. A vacuum or a splice deleting that version at the same moment must not
leave the new version pointing at a parent that is gone: on PostgreSQL the append
locks its parent row (``FOR KEY SHARE``), the splice locks the version it removes,
and the vacuum re-roots orphans after its delete. Several connections of one
process race here; ``test_processes.py`` races whole processes.
"""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
import sqlalchemy as sa
from locus.core.state import AgentState

from locus_store import Store

OLD = dt.timedelta(days=2)


async def one_round(store: Store) -> list[tuple[str, str | None]]:
    saver = store.versioned()
    view = saver.as_checkpointer()
    await saver.delete_thread("t")
    state = AgentState(agent_id="a")
    for n in range(3):
        await view.save(state, "t", checkpoint_id=f"old{n}")
    checkpoints = store.schema.checkpoints
    past = dt.datetime.now(dt.UTC) - OLD
    await store.run(lambda c: c.execute(sa.update(checkpoints).values(created_at=past)))

    async def append(writer: int) -> None:
        for i in range(5):
            await view.save(state, "t", checkpoint_id=f"new{writer}-{i}")

    async def vacuum() -> None:
        for _ in range(5):
            await saver.vacuum(older_than_days=1)

    async def splice() -> None:
        for _ in range(3):
            newest = await view.list_checkpoints("t", limit=1)
            if newest and newest[0].startswith("new1"):
                await view.delete("t", newest[0])

    await asyncio.gather(append(0), append(1), vacuum(), splice())
    rows = await saver.list_checkpoints(thread_id="t", limit=100)
    return [(r["checkpoint_id"], r["parent_checkpoint_id"]) for r in rows]


async def test_appends_racing_vacuum_and_splices_keep_one_chain_with_one_root(
    store: Store, long_run: bool
) -> None:
    for _ in range(200 if long_run else 25):
        rows = await one_round(store)
        ids = [checkpoint for checkpoint, _ in rows]
        assert [parent for _, parent in rows] == [*ids[1:], None], rows
        assert not any(checkpoint.startswith("old") for checkpoint in ids)
        assert {f"new0-{i}" for i in range(5)} <= set(ids)


@pytest.mark.parametrize("keep_last", [0, 1, 2])
async def test_vacuum_roots_the_survivors_of_removed_parents(store: Store, keep_last: int) -> None:
    saver = store.versioned()
    for n, parent in enumerate([None, "c0", "c1", "c2"]):
        await saver.put(
            thread_id="t", checkpoint_id=f"c{n}", checkpoint_data={}, parent_checkpoint_id=parent
        )
    checkpoints = store.schema.checkpoints
    past = dt.datetime.now(dt.UTC) - OLD
    await store.run(lambda c: c.execute(sa.update(checkpoints).values(created_at=past)))
    assert await saver.vacuum(older_than_days=1, keep_last=keep_last) == 4 - keep_last
    rows = await saver.list_checkpoints(thread_id="t")
    expected = [f"c{n}" for n in range(3, 3 - keep_last, -1)]
    assert [(r["checkpoint_id"], r["parent_checkpoint_id"]) for r in rows] == [
        (cid, expected[i + 1] if i + 1 < len(expected) else None) for i, cid in enumerate(expected)
    ]
