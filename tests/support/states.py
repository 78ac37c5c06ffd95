"""Agent states the tests share: conversations, and large states of ordinary words."""

from __future__ import annotations

import datetime as dt

from locus.core.messages import Message, Role
from locus.core.state import AgentState

#: Payload sizes every backend must round-trip, by test id.
PAYLOAD_SIZES = {"40KB": 40_000, "1MB": 1_000_000, "10MB": 10_000_000}


def large_state(size: int) -> AgentState:
    """A state whose messages hold about ``size`` bytes of ordinary words."""
    words = " ".join(f"word{i % 5000}" for i in range(size // 9))
    return AgentState(
        run_id="run-1",
        messages=(
            Message(role=Role.USER, content="hello"),
            Message(role=Role.ASSISTANT, content=words),
        ),
        confidence=0.75,
        started_at=dt.datetime(2026, 11, 24, tzinfo=dt.UTC),
        updated_at=dt.datetime(2026, 11, 24, tzinfo=dt.UTC),
    )


def conversation(*turns: str, agent_id: str = "support") -> AgentState:
    """A state whose messages alternate user / assistant, starting with the user."""
    state = AgentState(agent_id=agent_id)
    for i, text in enumerate(turns):
        state = state.with_message(Message.user(text) if i % 2 == 0 else Message.assistant(text))
    return state
