"""``store.versioned().as_checkpointer()``: a Locus BaseCheckpointer that keeps every version."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import Awaitable
from pathlib import Path
from typing import TypeVar

import pytest
from locus.core.messages import Message
from locus.core.state import AgentState
from locus.memory.checkpointer import BaseCheckpointer

from locus_store import CheckpointExistsError, InvalidInputError, Store
from locus_store.versioned.checkpointer import VersionedCheckpointer
from locus_store.versioned.saver import VersionedSaver

T = TypeVar("T")


@pytest.fixture
def saver(store: Store) -> VersionedSaver:
    return store.versioned()


@pytest.fixture
def cp(saver: VersionedSaver) -> VersionedCheckpointer:
    return saver.as_checkpointer()


def state(*said: str) -> AgentState:
    result = AgentState()
    for text in said:
        result = result.with_message(Message.user(text))
    return result


async def lineage(saver: VersionedSaver, thread_id: str) -> list[tuple[str, str | None]]:
    rows = await saver.list_checkpoints(thread_id=thread_id, limit=1000)
    return [(r["checkpoint_id"], r["parent_checkpoint_id"]) for r in rows]


async def age(store: Store, thread_id: str, ids: list[str], days: int) -> None:
    table = store.schema.checkpoints
    then = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
    statement = (
        table.update()
        .where(table.c.thread_id == thread_id, table.c.checkpoint_id.in_(ids))
        .values(created_at=then)
    )
    await store.run(lambda c: c.execute(statement))


# -- the Locus contract -------------------------------------------------------------------


def test_it_is_a_locus_checkpointer_that_deletes_single_versions(
    cp: VersionedCheckpointer,
) -> None:
    assert isinstance(cp, BaseCheckpointer)
    assert cp.deletes_single_checkpoints is True
    assert cp.checkpoint_ns == "default"


def test_capabilities_are_those_it_implements(cp: VersionedCheckpointer) -> None:
    caps = cp.capabilities
    assert caps.metadata_query
    assert caps.vacuum
    assert caps.branching
    assert caps.list_threads
    assert caps.list_with_metadata
    assert caps.persistent_checkpoint_ids
    assert not caps.search
    assert not caps.ttl


async def test_search_without_the_capability_raises_not_implemented(
    cp: VersionedCheckpointer,
) -> None:
    with pytest.raises(NotImplementedError, match="search"):
        await cp.search("anything")


async def test_save_without_an_id_generates_one_and_load_returns_the_state(
    cp: VersionedCheckpointer,
) -> None:
    saved = state("hello")
    cid = await cp.save(saved, "t1")
    assert re.fullmatch(r"[0-9a-f]{32}", cid)
    assert await cp.load("t1", cid) == saved
    assert await cp.load("t1") == saved


async def test_each_save_appends_under_the_threads_newest(
    cp: VersionedCheckpointer, saver: VersionedSaver
) -> None:
    first = await cp.save(state("a"), "t1")
    second = await cp.save(state("a", "b"), "t1", checkpoint_id="second")
    third = await cp.save(state("a", "b", "c"), "t1")
    assert await lineage(saver, "t1") == [(third, second), (second, first), (first, None)]
    assert await cp.list_checkpoints("t1") == [third, second, first]
    assert await cp.list_checkpoints("t1", limit=2) == [third, second]


async def test_load_reads_any_version(cp: VersionedCheckpointer) -> None:
    old = await cp.save(state("a"), "t1")
    await cp.save(state("a", "b"), "t1")
    loaded = await cp.load("t1", old)
    assert loaded is not None
    assert [m.content for m in loaded.messages] == ["a"]


async def test_load_of_an_unknown_thread_or_version_is_none(cp: VersionedCheckpointer) -> None:
    await cp.save(state("a"), "t1")
    assert await cp.load("nobody") is None
    assert await cp.load("t1", "ghost") is None
    assert await cp.exists("t1")
    assert not await cp.exists("nobody")


async def test_save_refuses_an_id_the_thread_already_has(cp: VersionedCheckpointer) -> None:
    await cp.save(state("a"), "t1", checkpoint_id="c1")
    with pytest.raises(CheckpointExistsError):
        await cp.save(state("b"), "t1", checkpoint_id="c1")
    loaded = await cp.load("t1", "c1")
    assert loaded is not None
    assert loaded.messages[0].content == "a"


async def test_save_stores_metadata_beside_the_state(cp: VersionedCheckpointer) -> None:
    cid = await cp.save(state("a"), "t1", metadata={"source": "update_state", "n": 1})
    assert await cp.get_metadata("t1", cid) == {"source": "update_state", "n": 1}
    assert await cp.get_metadata("t1") == {"source": "update_state", "n": 1}
    assert await cp.get_metadata("nobody") is None


async def test_the_checkpointer_works_in_its_own_namespace(
    saver: VersionedSaver, cp: VersionedCheckpointer
) -> None:
    live = saver.as_checkpointer(checkpoint_ns="live")
    await live.save(state("live"), "t1", checkpoint_id="l1")
    await cp.save(state("default"), "t1", checkpoint_id="d1")
    assert await live.list_checkpoints("t1") == ["l1"]
    assert await cp.list_checkpoints("t1") == ["d1"]
    row = await saver.get(thread_id="t1")  # the saver's default namespace is the view's
    assert row is not None
    assert row["checkpoint_id"] == "d1"
    assert await live.delete("t1") is True
    assert await cp.list_checkpoints("t1") == ["d1"]


# -- deleting versions -------------------------------------------------------------------


async def test_deleting_a_middle_version_links_its_child_to_its_parent(
    cp: VersionedCheckpointer, saver: VersionedSaver
) -> None:
    for cid in ("a", "b", "c"):
        await cp.save(state(cid), "t1", checkpoint_id=cid)
    await saver.put_writes(thread_id="t1", checkpoint_id="b", task_id="k", writes=[("x", 1)])
    assert await cp.delete("t1", "b") is True
    assert await lineage(saver, "t1") == [("c", "a"), ("a", None)]
    assert await saver.get_writes(thread_id="t1", checkpoint_id="b") == []
    assert await cp.load("t1") is not None


async def test_deleting_the_root_makes_its_child_the_root(
    cp: VersionedCheckpointer, saver: VersionedSaver
) -> None:
    for cid in ("a", "b"):
        await cp.save(state(cid), "t1", checkpoint_id=cid)
    await cp.delete("t1", "a")
    assert await lineage(saver, "t1") == [("b", None)]


async def test_deleting_an_unknown_version_is_false_and_changes_nothing(
    cp: VersionedCheckpointer,
) -> None:
    await cp.save(state("a"), "t1", checkpoint_id="a")
    assert await cp.delete("t1", "ghost") is False
    assert await cp.list_checkpoints("t1") == ["a"]


async def test_delete_without_an_id_removes_the_thread(cp: VersionedCheckpointer) -> None:
    await cp.save(state("a"), "t1")
    await cp.save(state("a"), "t2")
    assert await cp.delete("t1") is True
    assert await cp.list_checkpoints("t1") == []
    assert len(await cp.list_checkpoints("t2")) == 1


# -- concurrent writers ------------------------------------------------------------------


async def test_concurrent_saves_keep_one_linear_lineage(
    cp: VersionedCheckpointer, saver: VersionedSaver
) -> None:
    ids = await asyncio.gather(*(cp.save(state(str(i)), "t1") for i in range(12)))
    chain = await lineage(saver, "t1")
    assert sorted(cid for cid, _ in chain) == sorted(ids)
    newer_to_older = [cid for cid, _ in chain]
    assert [parent for _, parent in chain] == [*newer_to_older[1:], None]


async def test_a_save_racing_an_uncommitted_writer_lands_after_it(
    cp: VersionedCheckpointer, saver: VersionedSaver, store: Store
) -> None:
    await cp.save(state("a"), "t1", checkpoint_id="c1")
    table = store.schema.checkpoints
    rival = table.insert().values(
        thread_id="t1",
        checkpoint_ns="default",
        checkpoint_id="rival",
        seq=2,
        parent_checkpoint_id="c1",
        checkpoint=state("rival").to_checkpoint(),
        created_at=dt.datetime.now(dt.UTC),
    )
    async with store.engine.connect() as conn:
        tx = await conn.begin()
        await conn.execute(rival)  # position 2 is taken, not yet committed
        racing = asyncio.create_task(cp.save(state("mine"), "t1", checkpoint_id="mine"))
        await asyncio.sleep(0.3)
        assert not racing.done()  # it waits for the rival's position
        await tx.commit()
    await asyncio.wait_for(racing, timeout=10)
    assert await lineage(saver, "t1") == [("mine", "rival"), ("rival", "c1"), ("c1", None)]


# -- capabilities ------------------------------------------------------------------------


async def test_query_by_metadata_matches_the_value_and_its_json_type(
    cp: VersionedCheckpointer,
) -> None:
    two = await cp.save(state("a"), "t1", metadata={"turn": 2})
    await cp.save(state("a"), "t1", metadata={"turn": "2"})
    await cp.save(state("a"), "t2", metadata={"turn": 3})
    rows = await cp.query_by_metadata("turn", 2)
    assert [(r["thread_id"], r["checkpoint_id"], r["metadata"]) for r in rows] == [
        ("t1", two, {"turn": 2})
    ]
    with pytest.raises(InvalidInputError):
        await cp.query_by_metadata("a key with spaces", 1)


async def test_list_threads_lists_every_thread_for_the_default_pattern(
    cp: VersionedCheckpointer,
) -> None:
    for thread_id in ("b_1", "a-2", "a-1", "b%1", "bx1"):
        await cp.save(state("x"), thread_id)
    await cp.save(state("x"), "a-1")
    assert await cp.list_threads() == sorted(["a-1", "a-2", "b%1", "b_1", "bx1"])
    assert await cp.list_threads(limit=2) == ["a-1", "a-2"]


async def test_list_threads_pattern_is_a_glob_with_no_other_wildcards(
    cp: VersionedCheckpointer,
) -> None:
    for thread_id in ("a-1", "a-2", "b_1", "bx1", "b%1"):
        await cp.save(state("x"), thread_id)
    assert await cp.list_threads(pattern="a-*") == ["a-1", "a-2"]
    assert await cp.list_threads(pattern="b_1") == ["b_1"]
    assert await cp.list_threads(pattern="b%1") == ["b%1"]
    assert await cp.list_threads(pattern="b?1") == sorted(["b_1", "bx1", "b%1"])


async def test_list_with_metadata_lists_versions_newest_first(cp: VersionedCheckpointer) -> None:
    first = await cp.save(state("a"), "t1", metadata={"n": 1})
    second = await cp.save(state("a"), "t2", metadata={"n": 2})
    rows = await cp.list_with_metadata()
    assert [(r["thread_id"], r["checkpoint_id"], r["metadata"]) for r in rows] == [
        ("t2", second, {"n": 2}),
        ("t1", first, {"n": 1}),
    ]


async def test_vacuum_removes_old_versions_and_roots_the_oldest_survivor(
    cp: VersionedCheckpointer, saver: VersionedSaver, store: Store
) -> None:
    for cid in ("a", "b", "c", "d"):
        await cp.save(state(cid), "t1", checkpoint_id=cid)
    await saver.put_writes(thread_id="t1", checkpoint_id="a", task_id="k", writes=[("x", 1)])
    await age(store, "t1", ["a", "b"], days=40)
    assert await cp.vacuum(30) == 2
    assert await lineage(saver, "t1") == [("d", "c"), ("c", None)]
    assert await saver.get_writes(thread_id="t1", checkpoint_id="a") == []


async def test_vacuum_keeps_each_threads_newest_versions_when_asked(
    cp: VersionedCheckpointer, saver: VersionedSaver, store: Store
) -> None:
    for thread_id in ("t1", "t2"):
        for cid in ("a", "b", "c"):
            await cp.save(state(cid), thread_id, checkpoint_id=cid)
        await age(store, thread_id, ["a", "b", "c"], days=40)
    assert await cp.vacuum(30, keep_last=2) == 2
    assert await lineage(saver, "t1") == [("c", "b"), ("b", None)]
    assert await lineage(saver, "t2") == [("c", "b"), ("b", None)]
    assert await cp.vacuum(30) == 4
    assert await cp.list_threads() == []


async def test_copy_thread_branches_the_lineage(
    cp: VersionedCheckpointer, saver: VersionedSaver
) -> None:
    for cid in ("a", "b"):
        await cp.save(state(cid), "main", checkpoint_id=cid)
    assert await cp.copy_thread("main", "experiment") is True
    await cp.save(state("a", "b", "x"), "experiment", checkpoint_id="x")
    assert await lineage(saver, "experiment") == [("x", "b"), ("b", "a"), ("a", None)]
    assert await cp.list_checkpoints("main") == ["b", "a"]


def test_the_view_survives_successive_event_loops(tmp_path: Path) -> None:
    store = Store.from_url(f"sqlite:///{tmp_path / 'loops.db'}", table_prefix="loops")
    view = store.versioned().as_checkpointer()

    async def then_close(step: Awaitable[T]) -> T:
        try:
            return await step
        finally:
            await view.close()

    asyncio.run(then_close(store.upgrade()))
    for i in range(3):
        asyncio.run(then_close(view.save(state(str(i)), "t1")))
    assert len(asyncio.run(then_close(view.list_checkpoints("t1")))) == 3
