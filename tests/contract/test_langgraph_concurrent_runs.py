"""LangGraph hands a step's writes over while that step's checkpoint is still being written.

Its async loop submits ``aput`` (each after the previous one) and ``aput_writes`` (as
tasks finish) to run concurrently, so the first writes of a new thread can reach the
saver before the thread's first checkpoint has landed. The saver refuses writes for a
thread with no checkpoint (an erased conversation must not come back as a few orphan
writes), so such writes first wait for a put of that checkpoint still in flight, then
(bounded) for the thread's first checkpoint to land.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import empty_checkpoint
from langgraph.types import Command

from locus_store import CheckpointNotFoundError, Store
from tests.support.graphs import build


def _config(thread: str) -> RunnableConfig:
    return {"configurable": {"thread_id": thread, "checkpoint_ns": ""}}


async def test_writes_sent_while_the_first_checkpoint_is_written_are_kept(store: Store) -> None:
    saver = store.langgraph_saver()
    for n in range(20):
        thread = f"race-{n}"
        root = empty_checkpoint()
        root["channel_values"] = {"a": n}
        root["channel_versions"] = {"a": "1"}
        put = asyncio.ensure_future(
            saver.aput(_config(thread), root, {"source": "input", "step": -1}, {"a": "1"})
        )
        await asyncio.sleep(0)  # the put has started, its statement not yet answered
        written: RunnableConfig = {
            "configurable": {"thread_id": thread, "checkpoint_ns": "", "checkpoint_id": root["id"]}
        }
        await saver.aput_writes(written, [("a", f"pending {n}")], "task")
        await put
        found = await saver.aget_tuple(_config(thread))
        assert found is not None
        assert [w[1:] for w in found.pending_writes or []] == [("a", f"pending {n}")]


async def test_writes_for_a_thread_with_no_checkpoint_and_no_put_are_still_refused(
    store: Store,
) -> None:
    saver = store.langgraph_saver()
    saver.first_checkpoint_wait = 0.05  # the wait for a first checkpoint is bounded
    config: RunnableConfig = {
        "configurable": {"thread_id": "nobody", "checkpoint_ns": "", "checkpoint_id": "c1"}
    }
    with pytest.raises(CheckpointNotFoundError, match="'nobody'"):
        await saver.aput_writes(config, [("a", 1)], "task")
    assert await saver.aget_tuple(_config("nobody")) is None


@pytest.mark.parametrize("runs", [24])
async def test_many_graph_runs_at_once_each_finish_whole(store: Store, runs: int) -> None:
    graph = build(store.langgraph_saver())

    async def one(n: int) -> Any:
        config: RunnableConfig = {"configurable": {"thread_id": f"g{n}-{uuid.uuid4().hex[:6]}"}}
        first = await graph.ainvoke({"topic": f"topic {n}", "log": []}, config)
        assert [i.value for i in first["__interrupt__"]] == [{"draft": f"TOPIC {n}"}]
        return await graph.ainvoke(Command(resume="ok"), config)

    results = await asyncio.gather(*(one(n) for n in range(runs)))
    assert [r["log"] for r in results] == [
        ["write", "review:ok", f"publish:TOPIC {n}:ok"] for n in range(runs)
    ]
