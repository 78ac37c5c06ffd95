"""A real ``locus.agent.Agent`` keeps its conversations in ``store.latest()``.

The model is scripted (``locus.testing.ScriptedModel``), so the runs are offline and
deterministic; everything else is the Agent as it runs in production: it loads the
thread at the start of a turn, saves after each iteration and at the end, and
deletes the iteration saves the final one supersedes.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import pytest
from locus.agent import Agent
from locus.core.state import AgentState
from locus.testing import ScriptedModel, text, tool_call
from locus.tools import tool

from locus_store import Store
from locus_store.latest.checkpointer import LatestCheckpointer
from tests.support.backends import Target


@tool
def track_parcel(order_id: str) -> str:
    """Where the parcel of an order is."""
    return f"The parcel of {order_id} is in Lisbon."


class RecordingCheckpointer(LatestCheckpointer):
    """Remembers the last state saved per thread, to compare with what loads back."""

    def __init__(self, store: Store) -> None:
        super().__init__(store)
        self.saved: dict[str, AgentState] = {}
        self.deletes: list[tuple[str, str | None, bool]] = []

    async def save(
        self,
        state: AgentState,
        thread_id: str,
        checkpoint_id: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> str:
        saved = await super().save(state, thread_id, checkpoint_id, metadata)
        self.saved[thread_id] = state
        return saved

    async def delete(self, thread_id: str, checkpoint_id: str | None = None) -> bool:
        deleted = await super().delete(thread_id, checkpoint_id)
        self.deletes.append((thread_id, checkpoint_id, deleted))
        return deleted


def agent_with(model: ScriptedModel, checkpointer: LatestCheckpointer) -> Agent:
    return Agent(
        model=model,
        tools=[track_parcel],
        checkpointer=checkpointer,
        reflexion=False,
        grounding=False,
        context_window=100_000,
    )


def contents(messages: Sequence[Any]) -> list[str]:
    return [m.content for m in messages if m.content]


@pytest.fixture
async def conversation(store: Store) -> tuple[RecordingCheckpointer, ScriptedModel, Agent]:
    """Three turns on thread ``parcel`` (the first calls a tool), then one on ``greeting``."""
    model = ScriptedModel(
        [
            tool_call("track_parcel", order_id="A17"),
            text("Your parcel is in Lisbon and arrives on Tuesday."),
            text("The courier is Correios."),
            text("You are welcome, goodbye."),
            text("Bonjour, comment puis-je aider?"),
        ]
    )
    checkpointer = RecordingCheckpointer(store)
    agent = agent_with(model, checkpointer)
    await agent.arun("Where is order A17?", thread_id="parcel")
    await agent.arun("Which courier carries it?", thread_id="parcel")
    await agent.arun("Thanks!", thread_id="parcel")
    await agent.arun("Salut", thread_id="greeting")
    return checkpointer, model, agent


async def test_each_turn_sees_the_messages_of_the_turns_before(
    conversation: tuple[RecordingCheckpointer, ScriptedModel, Agent],
) -> None:
    _, model, _ = conversation
    # Model calls: 0-1 turn one (tool call, answer), 2 turn two, 3 turn three, 4 other thread.
    turn_two, turn_three = (
        contents(model.received_messages[2]),
        contents(model.received_messages[3]),
    )
    assert "Where is order A17?" in turn_two
    assert "The parcel of A17 is in Lisbon." in turn_two
    assert "Your parcel is in Lisbon and arrives on Tuesday." in turn_two
    assert "The courier is Correios." in turn_three


async def test_a_new_thread_starts_from_nothing(
    conversation: tuple[RecordingCheckpointer, ScriptedModel, Agent],
) -> None:
    _, model, _ = conversation
    other_thread = contents(model.received_messages[4])
    assert "Salut" in other_thread
    assert not any("A17" in content or "Correios" in content for content in other_thread)


async def test_get_state_returns_the_whole_conversation(
    conversation: tuple[RecordingCheckpointer, ScriptedModel, Agent],
) -> None:
    _, _, agent = conversation
    state = await agent.get_state("parcel")
    assert contents(state.messages)[-7:] == [
        "Where is order A17?",
        "The parcel of A17 is in Lisbon.",
        "Your parcel is in Lisbon and arrives on Tuesday.",
        "Which courier carries it?",
        "The courier is Correios.",
        "Thanks!",
        "You are welcome, goodbye.",
    ]
    assert any(m.tool_calls and m.tool_calls[0].name == "track_parcel" for m in state.messages)


async def test_the_state_loaded_is_the_state_saved_last(
    conversation: tuple[RecordingCheckpointer, ScriptedModel, Agent],
) -> None:
    checkpointer, _, _ = conversation
    assert set(checkpointer.saved) == {"parcel", "greeting"}
    for thread_id, saved in checkpointer.saved.items():
        assert await checkpointer.load(thread_id) == saved


async def test_one_checkpoint_per_thread_survives_the_iteration_clean_up(
    conversation: tuple[RecordingCheckpointer, ScriptedModel, Agent],
) -> None:
    checkpointer, _, agent = conversation
    # The agent deleted the superseded iteration saves; none was the current checkpoint.
    assert checkpointer.deletes
    assert all(checkpoint_id and not deleted for _, checkpoint_id, deleted in checkpointer.deletes)
    [current] = await checkpointer.list_checkpoints("parcel")
    history = await agent.get_state_history("parcel")
    assert [checkpoint_id for checkpoint_id, _ in history] == [current]
    assert history[0][1] == checkpointer.saved["parcel"]


async def test_list_threads_shows_both_conversations_latest_first(
    conversation: tuple[RecordingCheckpointer, ScriptedModel, Agent],
) -> None:
    checkpointer, _, _ = conversation
    assert await checkpointer.list_threads() == ["greeting", "parcel"]


async def test_search_finds_what_the_agent_and_its_tool_said(
    conversation: tuple[RecordingCheckpointer, ScriptedModel, Agent],
) -> None:
    checkpointer, _, _ = conversation

    async def threads_saying(words: str) -> list[str]:
        return [hit["thread_id"] for hit in await checkpointer.search(words)]

    assert await threads_saying("Correios") == ["parcel"]
    assert await threads_saying("Lisbon Tuesday") == ["parcel"]
    assert await threads_saying("bonjour") == ["greeting"]


def test_run_sync_continues_a_thread_across_event_loops(
    backend: str, migrated: dict[str, tuple[Target, str]]
) -> None:
    # run_sync runs each turn in a fresh event loop and closes the checkpointer at its end.
    target, prefix = migrated[backend]
    store = Store.from_settings(target.settings, table_prefix=prefix)
    thread_id = f"sync-{uuid.uuid4().hex}"
    model = ScriptedModel([text("Noted: your name is Ada."), text("Your name is Ada.")])
    agent = agent_with(model, store.latest())
    agent.run_sync("My name is Ada.", thread_id=thread_id)
    result = agent.run_sync("What is my name?", thread_id=thread_id)
    assert result.message == "Your name is Ada."
    assert "Noted: your name is Ada." in contents(model.received_messages[1])
