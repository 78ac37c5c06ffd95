"""A compiled StateGraph on the saver: interrupt, resume, history, fork and replay.

The scenario is written once and driven two ways: through ``ainvoke`` and the other
async graph methods, and through ``invoke`` and the sync ones (which call the saver's
sync twins) from a worker thread with no event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from langchain_core.runnables import RunnableConfig
from langgraph.types import Command, StateSnapshot

from locus_store import Store
from tests.support.graphs import build


@dataclass
class Driver:
    """The graph calls the scenario makes, as coroutines."""

    invoke: Callable[..., Any]
    get_state: Callable[..., Any]
    history: Callable[..., Any]
    update_state: Callable[..., Any]


def async_driver(graph: Any) -> Driver:
    async def history(config: RunnableConfig, **kw: Any) -> list[StateSnapshot]:
        return [s async for s in graph.aget_state_history(config, **kw)]

    return Driver(graph.ainvoke, graph.aget_state, history, graph.aupdate_state)


def sync_driver(graph: Any) -> Driver:
    def in_thread(fn: Callable[..., Any]) -> Callable[..., Any]:
        async def call(*args: Any, **kw: Any) -> Any:
            return await asyncio.to_thread(fn, *args, **kw)

        return call

    return Driver(
        in_thread(graph.invoke),
        in_thread(graph.get_state),
        in_thread(lambda config, **kw: list(graph.get_state_history(config, **kw))),
        in_thread(graph.update_state),
    )


@pytest.mark.parametrize("mode", ["async", "sync"])
async def test_interrupt_resume_history_fork_and_replay(store: Store, mode: str) -> None:
    saver = store.langgraph_saver()
    graph = build(saver)
    run = async_driver(graph) if mode == "async" else sync_driver(graph)
    config: RunnableConfig = {"configurable": {"thread_id": f"post-{mode}"}}
    try:
        # 1. The run stops at the human review with the draft as the question.
        out = await run.invoke({"topic": "saver", "log": []}, config)
        assert [i.value for i in out["__interrupt__"]] == [{"draft": "SAVER"}]
        paused = await run.get_state(config)
        assert paused.next == ("review",)
        assert paused.values["log"] == ["write"]

        # 2. Resumed with the human's answer, it runs to the end.
        out = await run.invoke(Command(resume="approve"), config)
        assert out["decision"] == "approve"
        assert out["log"] == ["write", "review:approve", "publish:SAVER:approve"]
        assert (await run.get_state(config)).next == ()

        # 3. History: newest first, one checkpoint per step; metadata filters apply.
        history = await run.history(config)
        assert [s.metadata["step"] for s in history] == [3, 2, 1, 0, -1]
        inputs = await run.history(config, filter={"source": "input"})
        assert [s.metadata["step"] for s in inputs] == [-1]
        at_review = next(s for s in history if s.next == ("review",))
        assert at_review.values["draft"] == "SAVER"
        assert "decision" not in at_review.values

        # 4. Replay from the checkpoint before the review: it asks again, and a new
        #    answer makes a new branch on top of the old checkpoint.
        out = await run.invoke(None, at_review.config)
        assert [i.value for i in out["__interrupt__"]] == [{"draft": "SAVER"}]
        out = await run.invoke(Command(resume="reject"), config)
        assert out["log"] == ["write", "review:reject", "publish:SAVER:reject"]

        # 5. Fork: edit the draft at that checkpoint, then run the edited branch.
        forked = await run.update_state(at_review.config, {"draft": "EDITED"})
        fork_state = await run.get_state(forked)
        assert fork_state.next == ("review",)
        assert (
            fork_state.parent_config["configurable"]["checkpoint_id"]
            == (at_review.config["configurable"]["checkpoint_id"])
        )
        out = await run.invoke(None, forked)
        assert [i.value for i in out["__interrupt__"]] == [{"draft": "EDITED"}]
        out = await run.invoke(Command(resume="approve"), config)
        assert out["log"] == ["write", "review:approve", "publish:EDITED:approve"]

        # 6. Every branch stays in the history; the old answer is still there.
        history = await run.history(config)
        decisions = [s.values.get("decision") for s in history if not s.next]
        assert decisions == ["approve", "reject", "approve"]
        first_run = history[-5:]
        assert [s.metadata["step"] for s in first_run] == [3, 2, 1, 0, -1]
        assert first_run[0].values["log"] == ["write", "review:approve", "publish:SAVER:approve"]
    finally:
        await saver.aclose()
