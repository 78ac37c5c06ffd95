"""``get_delta_channel_history``: one query answering exactly what LangGraph's walk answers.

The reference is LangGraph's own default implementation (``BaseCheckpointSaver``'s,
one ``get_tuple`` per ancestor) called on the same saver.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

import pytest
import sqlalchemy as sa
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    BaseCheckpointSaver,
    DeltaChannelHistory,
)

from locus_store import Store
from locus_store.langgraph.saver import SQLAlchemySaver
from tests.support.database import statements_sent
from tests.support.langgraph import Lineage, graph_config

#: Channels asked for: a delta channel snapshotted every 40 steps, one every 97 steps,
#: one never stored (writes back to the root), one stored once and never changed
#: again (every ancestor holds it), one nobody writes.
CHANNELS = ("messages", "files", "log", "settings", "unused")


def _updates(n: int) -> dict[str, Any]:
    updates: dict[str, Any] = {
        "messages": [f"m{n}"] if n % 40 == 1 else ...,
        "log": ...,
    }
    if n % 3 == 0 or n == 1:
        updates["files"] = {"count": n} if n % 97 == 1 else ...
    if n == 1:
        updates["settings"] = {"mode": "fast"}
    return updates


def _tasks(n: int) -> list[tuple[str, str, list[tuple[str, Any]]]]:
    # Task ids do not sort like their paths: the order must follow the paths.
    return [
        (f"z-task-{n}", "~__pregel_pull, agent", [("messages", f"agent {n}"), ("log", n)]),
        (f"a-task-{n}", "~__pregel_pull, tools", [("messages", f"tool {n}"), ("other", n)]),
        (f"m-input-{n}", "", [("log", -n), ("messages", {"input": n})] if n % 2 else []),
        (f"b-task-{n}", "~__pregel_push, 0", [("files", [n, n]), ("log", n * 10)]),
    ]


async def _history(lineage: Lineage, start: int, count: int) -> list[RunnableConfig]:
    configs = []
    for n in range(start, start + count):
        configs.append(await lineage.step(_updates(n)))
        await lineage.writes(_tasks(n))
    return configs


async def _reference(
    saver: SQLAlchemySaver, config: RunnableConfig, channels: Sequence[str]
) -> Mapping[str, Any]:
    return await BaseCheckpointSaver.aget_delta_channel_history(
        saver, config=config, channels=channels
    )


async def _long_thread(saver: SQLAlchemySaver) -> tuple[list[RunnableConfig], list[RunnableConfig]]:
    """240 checkpoints on the main line, and a 60-checkpoint fork from the 150th."""
    main = Lineage(saver, "long")
    line = await _history(main, 1, 150)
    branch = main.fork(line[-1])
    line += await _history(main, 151, 90)
    fork = await _history(branch, 1000, 60)
    return line, fork


async def test_matches_langgraphs_walk_on_a_long_forked_history(store: Store) -> None:
    saver = store.langgraph_saver()
    line, fork = await _long_thread(saver)
    targets = [line[-1], line[200], line[150], line[149], line[41], line[1], line[0], fork[-1]]
    targets += [fork[0], graph_config("long")]
    for target in targets:
        ours = await saver.aget_delta_channel_history(config=target, channels=CHANNELS)
        assert ours == await _reference(saver, target, CHANNELS), target
    ours = await saver.aget_delta_channel_history(config=fork[-1], channels=CHANNELS)
    assert "seed" not in ours["log"]
    assert "seed" not in ours["unused"]
    stored_once: DeltaChannelHistory = {"writes": [], "seed": {"mode": "fast"}}
    assert ours["settings"] == stored_once
    assert len(ours["log"]["writes"]) > 300  # back to the root, through the fork point


async def test_sync_twin_matches_langgraphs_sync_walk(store: Store) -> None:
    saver = store.langgraph_saver()
    try:
        line, fork = await _long_thread(saver)
        for target in (line[-1], fork[-1], line[3]):
            ours = await asyncio.to_thread(
                partial(saver.get_delta_channel_history, config=target, channels=CHANNELS)
            )
            default_walk = BaseCheckpointSaver.get_delta_channel_history
            reference = await asyncio.to_thread(
                partial(default_walk, saver, config=target, channels=CHANNELS)
            )
            assert ours == reference
    finally:
        await saver.aclose()


async def test_one_channel_and_repeated_channels_match_the_walk(store: Store) -> None:
    saver = store.langgraph_saver()
    line = await _history(Lineage(saver, "t"), 1, 90)
    for channels in (["messages"], ["log"], ["files", "files", "messages"], ["unused"]):
        ours = await saver.aget_delta_channel_history(config=line[-1], channels=channels)
        assert ours == await _reference(saver, line[-1], channels)


async def test_namespaces_and_threads_are_walked_apart(store: Store) -> None:
    saver = store.langgraph_saver()
    await _history(Lineage(saver, "t"), 1, 30)
    inner = await _history(Lineage(saver, "t", ns="inner"), 500, 20)
    other = await _history(Lineage(saver, "u"), 700, 10)
    for target in (inner[-1], other[-1], graph_config("t", ns="inner")):
        ours = await saver.aget_delta_channel_history(config=target, channels=CHANNELS)
        assert ours == await _reference(saver, target, CHANNELS)


async def test_an_empty_channel_name_is_walked_like_any_other(store: Store) -> None:
    saver = store.langgraph_saver()
    lineage = Lineage(saver, "t")
    for n in range(6):
        await lineage.step({"": {"n": n} if n in (0, 3) else ...})
        await lineage.writes([("task", "p", [("", n)])])
    ours = await saver.aget_delta_channel_history(config=lineage.config, channels=[""])
    assert ours == await _reference(saver, lineage.config, [""])
    assert ours[""] == {"writes": [("task", "", n) for n in (3, 4)], "seed": {"n": 3}}


@pytest.mark.parametrize("length", [3, 300])
async def test_is_one_statement_whatever_the_history_length(store: Store, length: int) -> None:
    saver = store.langgraph_saver()
    line = await _history(Lineage(saver, "t"), 1, length)
    await saver.aget_delta_channel_history(config=line[-1], channels=CHANNELS)
    with statements_sent(store) as sent:
        await saver.aget_delta_channel_history(config=line[-1], channels=CHANNELS)
        await saver.aget_delta_channel_history(config=graph_config("t"), channels=["log"])
    assert len(sent.statements) == 2, sent.statements


async def test_no_channels_is_an_empty_mapping_without_a_query(store: Store) -> None:
    saver = store.langgraph_saver()
    line = await _history(Lineage(saver, "t"), 1, 3)
    with statements_sent(store) as sent:
        assert await saver.aget_delta_channel_history(config=line[-1], channels=[]) == {}
    assert sent.statements == []
    assert await _reference(saver, line[-1], []) == {}


async def test_unknown_thread_or_checkpoint_answers_what_the_walk_answers(store: Store) -> None:
    saver = store.langgraph_saver()
    await _history(Lineage(saver, "t"), 1, 3)
    for target in (
        graph_config("nobody"),
        graph_config("t", "1f0a9c3e-0000-6000-8000-000000000000"),
        graph_config("t", ns="elsewhere"),
    ):
        ours = await saver.aget_delta_channel_history(config=target, channels=["log", "messages"])
        assert ours == await _reference(saver, target, ["log", "messages"])
        assert ours == {"log": {"writes": []}, "messages": {"writes": []}}


async def test_a_lineage_cycle_ends_and_visits_each_checkpoint_once(store: Store) -> None:
    saver = store.langgraph_saver()
    line = await _history(Lineage(saver, "t"), 2, 5)
    cp = store.schema.lg_checkpoints
    root, head = line[0]["configurable"]["checkpoint_id"], line[-1]["configurable"]["checkpoint_id"]
    # The saver never re-parents a checkpoint; a hand edit can close the loop.
    await store.run(
        lambda c: c.execute(
            sa.update(cp).where(cp.c.checkpoint_id == root).values(parent_checkpoint_id=head)
        )
    )
    ours = await asyncio.wait_for(
        saver.aget_delta_channel_history(config=line[-1], channels=["log"]), timeout=30
    )
    logged = [value for _, _, value in ours["log"]["writes"]]
    expected = [v for n in range(2, 7) for v in (n, n * 10, *([-n] if n % 2 else []))]
    assert sorted(logged) == sorted(expected)
