"""How many statements each versioned call sends: one per read or append, two per put_writes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from locus.core.state import AgentState

from locus_store import Store
from locus_store.versioned.saver import VersionedSaver


@contextmanager
def counting(store: Store) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    sync_engine = store.engine.sync_engine
    sa.event.listen(sync_engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa.event.remove(sync_engine, "before_cursor_execute", record)


@pytest.fixture
async def saver(store: Store) -> VersionedSaver:
    saver = store.versioned()
    await saver.put(thread_id="t1", checkpoint_id="v1", checkpoint_data={"n": 1})
    return saver


async def test_put_is_one_statement(saver: VersionedSaver, store: Store) -> None:
    with counting(store) as sent:
        await saver.put(
            thread_id="t1", checkpoint_id="v2", parent_checkpoint_id="v1", checkpoint_data={}
        )
    assert len(sent) == 1


async def test_get_is_one_statement(saver: VersionedSaver, store: Store) -> None:
    with counting(store) as sent:
        assert await saver.get(thread_id="t1") is not None
        assert await saver.get(thread_id="t1", checkpoint_id="v1") is not None
    assert len(sent) == 2


async def test_list_checkpoints_is_one_statement(saver: VersionedSaver, store: Store) -> None:
    with counting(store) as sent:
        await saver.list_checkpoints(thread_id="t1")
        await saver.list_checkpoints(thread_id="t1", before="v1")
    assert len(sent) == 2


@pytest.mark.parametrize("how_many", [1, 2_500])
async def test_put_writes_is_at_most_two_statements_whatever_the_number_of_writes(
    saver: VersionedSaver, store: Store, how_many: int
) -> None:
    writes = [(f"channel-{i}", {"i": i}) for i in range(how_many)]
    with counting(store) as sent:
        await saver.put_writes(thread_id="t1", checkpoint_id="v1", task_id="k", writes=writes)
    assert len(sent) <= 2
    stored = await saver.get_writes(thread_id="t1", checkpoint_id="v1")
    assert len(stored) == how_many


async def test_the_checkpointers_save_and_load_are_one_statement_each(
    saver: VersionedSaver, store: Store
) -> None:
    cp = saver.as_checkpointer()
    with counting(store) as sent:
        cid = await cp.save(AgentState(), "t1")
    assert len(sent) == 1
    with counting(store) as sent:
        assert await cp.load("t1", cid) is not None
        assert await cp.list_checkpoints("t1") == [cid, "v1"]
    assert len(sent) == 2
