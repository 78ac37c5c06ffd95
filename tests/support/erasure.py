"""Rows of one thread in every table, and counting them: what the erasure tests start from."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import ChannelVersions, empty_checkpoint

from locus_store import ErasureReport, Store
from locus_store.ops import erase as erasure_module
from tests.support.states import conversation

EVERY_TABLE = ErasureReport(
    threads=1,
    checkpoints=2,
    writes=3,
    langgraph_checkpoints=2,
    langgraph_writes=2,
    langgraph_blobs=3,
)


async def fill(store: Store, thread: str) -> None:
    """Rows of ``thread`` in all six tables, as many as `EVERY_TABLE` counts."""
    state = conversation("hello", "hi")
    await store.latest().save(state, thread_id=thread)
    versioned = store.versioned()
    await versioned.put(thread_id=thread, checkpoint_id="v1", checkpoint_data={"n": 1})
    await versioned.put(
        thread_id=thread, checkpoint_id="v2", checkpoint_data={"n": 2}, parent_checkpoint_id="v1"
    )
    await versioned.put_writes(
        thread_id=thread, checkpoint_id="v2", task_id="t", writes=[("a", 1), ("b", 2), ("c", 3)]
    )
    saver = store.langgraph_saver()
    config: RunnableConfig = {"configurable": {"thread_id": thread, "checkpoint_ns": ""}}
    versions: dict[str, Any] = {}
    for step, updates in enumerate(({"a": 1, "b": 2}, {"a": 3})):
        new: ChannelVersions = {c: saver.get_next_version(versions.get(c), None) for c in updates}
        versions.update(new)
        checkpoint = empty_checkpoint()
        checkpoint["channel_values"] = dict(updates)
        checkpoint["channel_versions"] = dict(versions)
        config = await saver.aput(config, checkpoint, {"source": "loop", "step": step}, new)
    await saver.aput_writes(config, [("a", "x"), ("b", "y")], "task")


async def rows_of(store: Store, thread: str) -> dict[str, int]:
    tables = {field: getattr(store.schema, name) for field, name in erasure_module.TABLES}

    async def work(conn: Any) -> dict[str, int]:
        return {
            field: int(
                await conn.scalar(
                    sa.select(sa.func.count()).select_from(t).where(t.c.thread_id == thread)
                )
            )
            for field, t in tables.items()
        }

    return await store.run(work)
