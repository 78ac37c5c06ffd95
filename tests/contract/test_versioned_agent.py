"""A real ``locus.agent.Agent`` (offline, ScriptedModel) on the versioned saver.

Seed notebook 12 reproduced, then the Agent's own history API (get_state_history,
update_state, fork) over ``store.versioned().as_checkpointer()``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from pathlib import Path
from typing import TypeVar

import pytest
from locus import tool
from locus.agent import Agent
from locus.core.messages import Message
from locus.core.state import AgentState
from locus.memory.checkpointer import BaseCheckpointer
from locus.testing import ScriptedModel, text, tool_call

from locus_store import Store
from locus_store.versioned.saver import VersionedSaver

T = TypeVar("T")
THREAD = "agent-incident-001"
TURNS = (
    "Open the incident: checkout-api p99 is up 4x over the last 15 minutes.",
    "What service did we deploy at 13:58 and is anything correlated?",
    "Draft a one-sentence customer-facing status update.",
)


@tool
def recent_deploys(service: str) -> str:
    """The deploys of ``service`` in the last hour."""
    return f"{service}: v2.4.1 at 13:58"


def incident_model() -> ScriptedModel:
    """Three turns; the second calls a tool, so it takes two iterations."""
    return ScriptedModel(
        [
            text("Incident opened."),
            tool_call("recent_deploys", service="checkout-api"),
            text("v2.4.1 shipped at 13:58, three minutes before the spike."),
            text("We are investigating slow checkouts."),
        ]
    )


def agent_on(checkpointer: BaseCheckpointer, model: ScriptedModel | None = None) -> Agent:
    return Agent(
        model=model or incident_model(),
        tools=[recent_deploys],
        checkpointer=checkpointer,
        context_window=32_000,
        reflexion=False,
        grounding=False,
    )


async def run_turns(agent: Agent, thread_id: str = THREAD) -> list[AgentState]:
    states = []
    for prompt in TURNS:
        result = await agent.arun(prompt, thread_id=thread_id)
        states.append(result.state)
    return states


# -- seed notebook 12, offline -----------------------------------------------------------


@pytest.fixture
async def notebook(store: Store) -> VersionedSaver:
    """The notebook's run: live continuity on the checkpointer view, an audit trail by put."""
    saver = store.versioned()
    agent = agent_on(saver.as_checkpointer(checkpoint_ns="live"))
    parent = None
    for turn, prompt in enumerate(TURNS, start=1):
        result = await agent.arun(prompt, thread_id=THREAD)
        await saver.put(
            thread_id=THREAD,
            checkpoint_id=f"v{turn}",
            parent_checkpoint_id=parent,
            checkpoint_data=result.state.to_checkpoint(),
            metadata={
                "turn": turn,
                "iterations": len(result.state.messages),
                "stop_reason": str(result.stop_reason),
            },
        )
        parent = f"v{turn}"
    return saver


async def test_notebook_lineage_lists_each_turn_newest_first_with_its_metadata(
    notebook: VersionedSaver,
) -> None:
    rows = await notebook.list_checkpoints(thread_id=THREAD)
    assert [(r["checkpoint_id"], r["parent_checkpoint_id"]) for r in rows] == [
        ("v3", "v2"),
        ("v2", "v1"),
        ("v1", None),
    ]
    assert [r["metadata"]["turn"] for r in rows] == [3, 2, 1]
    assert [r["metadata"]["iterations"] for r in rows] == [9, 7, 3]
    assert {r["metadata"]["stop_reason"] for r in rows} == {"complete"}


async def test_notebook_get_v1_rehydrates_the_first_turns_state(
    notebook: VersionedSaver,
) -> None:
    row = await notebook.get(thread_id=THREAD, checkpoint_id="v1")
    assert row is not None
    state = AgentState.from_checkpoint(row["checkpoint"])
    assert [(m.role.value, m.content) for m in state.messages[1:]] == [
        ("user", TURNS[0]),
        ("assistant", "Incident opened."),
    ]
    latest = await notebook.get(thread_id=THREAD)
    assert latest is not None
    assert len(AgentState.from_checkpoint(latest["checkpoint"]).messages) == 9


async def test_notebook_put_writes_against_v3_twice_leaves_one_set(
    notebook: VersionedSaver,
) -> None:
    writes = [("channel:status", "we are investigating"), ("channel:pagerduty", "warmed")]
    for _ in range(2):
        await notebook.put_writes(
            thread_id=THREAD, checkpoint_id="v3", task_id="status-page-update", writes=writes
        )
    rows = await notebook.get_writes(thread_id=THREAD, checkpoint_id="v3")
    assert [(w["task_id"], w["idx"], w["channel"], w["value"]) for w in rows] == [
        ("status-page-update", 0, "channel:status", "we are investigating"),
        ("status-page-update", 1, "channel:pagerduty", "warmed"),
    ]


async def test_notebook_trail_and_live_thread_share_the_tables_apart(
    notebook: VersionedSaver,
) -> None:
    live = await notebook.list_checkpoints(thread_id=THREAD, checkpoint_ns="live")
    assert len(live) == 3  # one version per turn; the mid-turn save was spliced out
    await notebook.delete_thread(THREAD)
    assert await notebook.get(thread_id=THREAD) is None
    assert await notebook.get(thread_id=THREAD, checkpoint_ns="live") is None


# -- Agent(checkpointer=store.versioned().as_checkpointer()) -----------------------------


@pytest.fixture
def saver(store: Store) -> VersionedSaver:
    return store.versioned()


async def test_an_agent_keeps_one_version_per_turn_chained_to_the_previous_one(
    saver: VersionedSaver,
) -> None:
    cp = saver.as_checkpointer()
    await run_turns(agent_on(cp))
    rows = await saver.list_checkpoints(thread_id=THREAD)
    ids = [r["checkpoint_id"] for r in rows]
    assert len(ids) == 3  # the tool turn's iteration save was deleted after its final save
    assert [r["parent_checkpoint_id"] for r in rows] == [*ids[1:], None]
    assert await cp.list_checkpoints(THREAD) == ids


async def test_each_turn_continues_from_the_threads_newest_version(
    saver: VersionedSaver,
) -> None:
    model = incident_model()
    await run_turns(agent_on(saver.as_checkpointer(), model))
    last_call = [(m.role.value, m.content) for m in model.received_messages[-1]]
    assert ("user", TURNS[0]) in last_call
    assert ("user", TURNS[1]) in last_call
    assert ("tool", "checkout-api: v2.4.1 at 13:58") in last_call


async def test_get_state_history_is_newest_first_and_every_state_is_readable(
    saver: VersionedSaver,
) -> None:
    agent = agent_on(saver.as_checkpointer())
    states = await run_turns(agent)
    history = await agent.get_state_history(THREAD)
    assert [len(s.messages) for _, s in history] == [9, 7, 3]
    assert [s.messages for _, s in history] == [s.messages for s in reversed(states)]
    for checkpoint_id, state in history:
        assert await agent.get_state(THREAD, checkpoint_id) == state


async def test_update_state_writes_a_new_version_and_leaves_the_old_one_untouched(
    saver: VersionedSaver,
) -> None:
    agent = agent_on(saver.as_checkpointer())
    await run_turns(agent)
    (newest, _), (middle, before_edit) = (await agent.get_state_history(THREAD))[:2]
    note = Message.user("Correction: the deploy was at 13:57.")
    edited = await agent.update_state(THREAD, messages=[note], checkpoint_id=middle)
    assert (await agent.get_state(THREAD, middle)) == before_edit
    after = await agent.get_state(THREAD)
    assert after.messages == (*before_edit.messages, note)
    assert await saver.as_checkpointer().get_metadata(THREAD, edited) == {
        "source": "update_state",
        "parent_checkpoint_id": middle,
    }
    row = await saver.get(thread_id=THREAD)
    assert row is not None
    assert row["parent_checkpoint_id"] == newest
    assert len(await agent.get_state_history(THREAD)) == 4


async def test_fork_diverges_without_touching_its_parent(saver: VersionedSaver) -> None:
    cp = saver.as_checkpointer()
    await run_turns(agent_on(cp))
    first_turn = (await cp.list_checkpoints(THREAD))[-1]
    parent_history = await cp.list_checkpoints(THREAD)
    forker = agent_on(cp, ScriptedModel([text("On the fork.")]))
    fork = await forker.fork(THREAD, first_turn, new_thread_id="what-if")
    result = await forker.arun("Roll back v2.4.1 instead?", thread_id=fork)
    assert [m.content for m in result.state.messages[-4:]] == [
        TURNS[0],
        "Incident opened.",
        "Roll back v2.4.1 instead?",
        "On the fork.",
    ]
    assert await cp.list_checkpoints(THREAD) == parent_history
    fork_rows = await saver.list_checkpoints(thread_id=fork)
    assert len(fork_rows) == 2
    assert fork_rows[-1]["metadata"] == {"forked_from": THREAD, "parent_checkpoint_id": first_turn}


def test_run_sync_keeps_the_lineage_across_event_loops(tmp_path: Path) -> None:
    store = Store.from_url(f"sqlite:///{tmp_path / 'sync.db'}", table_prefix="sync")
    cp = store.versioned().as_checkpointer()

    async def then_close(step: Awaitable[T]) -> T:
        try:
            return await step
        finally:
            await cp.close()

    asyncio.run(then_close(store.upgrade()))
    agent = agent_on(cp)
    for prompt in TURNS:  # each run_sync has its own event loop and closes the checkpointer
        agent.run_sync(prompt, thread_id=THREAD)
    assert len(asyncio.run(then_close(cp.list_checkpoints(THREAD)))) == 3
