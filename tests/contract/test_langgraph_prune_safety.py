"""The LangGraph saver's prune and delete do only what they are asked, and lineages stay sound."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import Checkpoint, empty_checkpoint

from locus_store import Store
from locus_store.langgraph.saver import SQLAlchemySaver


def _config(thread: str, checkpoint_id: str | None = None) -> RunnableConfig:
    configurable: dict[str, Any] = {"thread_id": thread, "checkpoint_ns": ""}
    if checkpoint_id:
        configurable["checkpoint_id"] = checkpoint_id
    return {"configurable": configurable}


async def _put(
    saver: SQLAlchemySaver, thread: str, checkpoint_id: str, parent: str | None
) -> RunnableConfig:
    checkpoint: Checkpoint = empty_checkpoint()
    checkpoint["id"] = checkpoint_id
    checkpoint["channel_values"] = {"n": checkpoint_id}
    checkpoint["channel_versions"] = {"n": checkpoint_id}
    return await saver.aput(_config(thread, parent), checkpoint, {"step": 1}, {"n": checkpoint_id})


async def _threads(saver: SQLAlchemySaver, *threads: str) -> list[str]:
    return [t for t in threads if await saver.aget_tuple(_config(t)) is not None]


@pytest.mark.parametrize("method", ["aprune", "adelete_for_runs"])
async def test_a_single_string_is_refused_not_read_as_its_characters(
    store: Store, method: str
) -> None:
    saver = store.langgraph_saver()
    for thread in ("a", "b", "ab"):
        await _put(saver, thread, "c1", None)
    call = getattr(saver, method)
    with pytest.raises(TypeError, match="not a single string"):
        await (call("ab", strategy="delete") if method == "aprune" else call("ab"))
    assert await _threads(saver, "a", "b", "ab") == ["a", "b", "ab"]


@pytest.mark.parametrize("method", ["prune", "delete_for_runs"])
async def test_the_sync_forms_refuse_a_single_string_too(store: Store, method: str) -> None:
    saver = store.langgraph_saver()
    await _put(saver, "a", "c1", None)
    call = getattr(saver, method)
    with pytest.raises(TypeError, match="not a single string"):
        await asyncio.to_thread(call, "ab")


async def test_putting_an_existing_checkpoint_again_never_re_parents_it(store: Store) -> None:
    saver = store.langgraph_saver()
    await _put(saver, "t", "c1", None)
    await _put(saver, "t", "c2", "c1")
    await _put(saver, "t", "c1", "c2")  # would make c1 <-> c2 a cycle
    first = await saver.aget_tuple(_config("t", "c1"))
    assert first is not None
    assert first.parent_config is None
    history = await saver.aget_delta_channel_history(config=_config("t", "c2"), channels=["n"])
    assert history["n"]["seed"] == "c1"


async def test_keep_latest_leaves_no_parent_link_to_a_pruned_checkpoint(store: Store) -> None:
    saver = store.langgraph_saver()
    parent = None
    for i in range(1, 4):
        await _put(saver, "t", f"c{i}", parent)
        parent = f"c{i}"
    await saver.aprune(["t"], strategy="keep_latest")
    head = await saver.aget_tuple(_config("t"))
    assert head is not None
    assert head.checkpoint["id"] == "c3"
    assert head.parent_config is None
    assert [c.checkpoint["id"] async for c in saver.alist(_config("t"))] == ["c3"]


async def test_metadata_keeps_every_user_key_but_the_reserved_writes(store: Store) -> None:
    saver = store.langgraph_saver()
    checkpoint: Checkpoint = empty_checkpoint()
    metadata: Any = {"step": 1, "writes": {"node": 1}, "mine": "kept", "source": "loop"}
    config = await saver.aput(_config("t"), checkpoint, metadata, {})
    found = await saver.aget_tuple(config)
    assert found is not None
    # An application's own key: kept, though the TypedDict lists only LangGraph's keys.
    assert found.metadata["mine"] == "kept"  # type: ignore[typeddict-item]
    assert "writes" not in found.metadata


@pytest.mark.parametrize("marked", [True, False], ids=["delta-marked", "plain"])
async def test_keep_latest_keeps_the_whole_line_of_a_thread_marked_as_delta_without_counters(
    store: Store, marked: bool
) -> None:
    """LangGraph.js marks delta-channel threads with ``delta_writes_versioned`` only."""
    saver = store.langgraph_saver()
    checkpoint: Checkpoint = empty_checkpoint()
    line = ["c1", "c2", "c3", "c4"]
    parent: str | None = None
    for i, checkpoint_id in enumerate(line):
        checkpoint = empty_checkpoint()
        checkpoint["id"] = checkpoint_id
        metadata: Any = {"step": i, **({"delta_writes_versioned": True} if marked else {})}
        await saver.aput(_config("t", parent), checkpoint, metadata, {})
        parent = checkpoint_id
    fork = empty_checkpoint()
    fork["id"] = "c2b"  # a fork off c2, not on the head's line
    await saver.aput(_config("t", "c2"), fork, {"step": 9}, {})
    head = empty_checkpoint()
    head["id"] = "c5"
    await saver.aput(_config("t", "c4"), head, {"step": 5}, {})  # the head has no marker

    await saver.aprune(["t"], strategy="keep_latest")
    kept = sorted([c.checkpoint["id"] async for c in saver.alist(_config("t"))])
    assert kept == (["c1", "c2", "c3", "c4", "c5"] if marked else ["c5"])
