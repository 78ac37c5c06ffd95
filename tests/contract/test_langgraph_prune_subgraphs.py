"""Pruning threads that call subgraphs: a finished call's namespace goes, an interrupted
one stays resumable (real LangGraph graphs with a subgraph node)."""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph
from langgraph.types import Command, interrupt

from locus_store import Store


class State(TypedDict):
    log: Annotated[list[str], operator.add]


def _child(ask: bool) -> Any:
    def work(state: State) -> dict[str, list[str]]:
        if ask:
            return {"log": [f"child:{interrupt('go on?')}"]}
        return {"log": ["child"]}

    child = StateGraph(State)
    child.add_node("work", work)
    child.add_edge(START, "work")
    child.add_edge("work", END)
    return child.compile()


def _graph(saver: BaseCheckpointSaver[Any], *, ask: bool = False) -> Any:
    def before(state: State) -> dict[str, list[str]]:
        return {"log": ["before"]}

    def after(state: State) -> dict[str, list[str]]:
        return {"log": ["after"]}

    graph = StateGraph(State)
    graph.add_node("before", before)
    graph.add_node("child", _child(ask))
    graph.add_node("after", after)
    graph.add_edge(START, "before")
    graph.add_edge("before", "child")
    graph.add_edge("child", "after")
    graph.add_edge("after", END)
    return graph.compile(checkpointer=saver)


def _config(thread: str) -> RunnableConfig:
    return {"configurable": {"thread_id": thread}}


async def _rows(store: Store, thread: str) -> set[str]:
    table = store.schema.lg_checkpoints
    rows = await store.fetch_all(
        table.select().with_only_columns(table.c.checkpoint_ns).where(table.c.thread_id == thread)
    )
    return {row[0] for row in rows}


async def test_keep_latest_drops_the_namespaces_of_finished_subgraph_calls(store: Store) -> None:
    saver = store.langgraph_saver()
    graph = _graph(saver)
    for _ in range(2):
        await graph.ainvoke({"log": []}, _config("t"))
    namespaces = await _rows(store, "t")
    assert "" in namespaces
    assert len(namespaces) == 3  # the root and one per call
    await saver.aprune(["t"], strategy="keep_latest")
    assert await _rows(store, "t") == {""}
    state = await graph.aget_state(_config("t"))
    unpruned = _graph(InMemorySaver())
    for _ in range(2):
        expected = await unpruned.ainvoke({"log": []}, _config("t"))
    assert state.values == expected
    assert state.next == ()


async def test_keep_latest_keeps_an_interrupted_subgraph_resumable(store: Store) -> None:
    saver = store.langgraph_saver()
    graph = _graph(saver, ask=True)
    await graph.ainvoke({"log": []}, _config("t"))  # stops inside the subgraph
    before = await _rows(store, "t")
    assert len(before) == 2
    await saver.aprune(["t"], strategy="keep_latest")
    assert await _rows(store, "t") == before
    done = await graph.ainvoke(Command(resume="yes"), _config("t"))
    unpruned = _graph(InMemorySaver(), ask=True)  # the same run, nothing pruned
    await unpruned.ainvoke({"log": []}, _config("t"))
    assert done == await unpruned.ainvoke(Command(resume="yes"), _config("t"))
    assert done["log"][-2:] == ["child:yes", "after"]


async def test_vacuum_keep_last_drops_finished_calls_too(store: Store) -> None:
    saver = store.langgraph_saver()
    graph = _graph(saver)
    for _ in range(3):
        await graph.ainvoke({"log": []}, _config("t"))
    report = await store.vacuum(older_than_days=3650, keep_last=2)
    assert report.langgraph_checkpoints > 0
    assert await _rows(store, "t") == {""}
    state = await graph.aget_state(_config("t"))
    unpruned = _graph(InMemorySaver())
    for _ in range(3):
        expected = await unpruned.ainvoke({"log": []}, _config("t"))
    assert state.values == expected
