"""Realistic payloads: Locus ``AgentState`` conversations of a chosen JSON size.

A state is built turn by turn (user question, assistant tool call, tool result,
assistant answer) from a fixed vocabulary with a fixed seed, until its JSON
document reaches the wanted size. The same inputs always give the same state,
so every implementation in a run stores byte-for-byte the same payload.
"""

from __future__ import annotations

import json
import random
from typing import Any

from locus.core.messages import Message, ToolCall, ToolResult
from locus.core.state import AgentState, ReasoningStep, ToolExecution

KB = 1024
MB = 1024 * KB

#: Words the generated messages are made of; search queries pick from them too.
_WORDS = (
    "invoice refund shipment warehouse customer order ticket escalation database "
    "latency outage deploy rollback migration schema index query cache replica "
    "backup restore credential rotation token budget forecast quarter revenue "
    "contract renewal discount supplier inventory pallet container customs tariff "
    "weather forecast itinerary flight hotel booking cancellation policy clause "
    "kernel driver firmware sensor telemetry anomaly threshold alert pager oncall "
    "runbook incident postmortem timeline mitigation root cause analysis report"
)
VOCABULARY = tuple(_WORDS.split())
TOOLS = ("search_orders", "get_invoice", "query_metrics", "lookup_customer", "file_ticket")


def _sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(VOCABULARY) for _ in range(words)).capitalize() + "."


def _paragraph(rng: random.Random, chars: int) -> str:
    parts: list[str] = []
    size = 0
    while size < chars:
        sentence = _sentence(rng, rng.randint(6, 18))
        parts.append(sentence)
        size += len(sentence) + 1
    return " ".join(parts)


def document_size(state: AgentState) -> int:
    """Bytes of the state's JSON document (compact UTF-8), the size a store writes."""
    return len(json.dumps(state.to_checkpoint(), separators=(",", ":")).encode())


def agent_state(size: int, *, seed: int = 7, agent_id: str = "support-agent") -> AgentState:
    """An ``AgentState`` whose JSON document is about ``size`` bytes (never below it)."""
    rng = random.Random(seed)
    # Longer messages for bigger states, so a 10 MB state is not a million tiny objects.
    chunk = max(120, min(size // 40, 64 * KB))
    messages: list[Message] = [
        Message.system("You are a support agent. Use the tools; cite the records you used.")
    ]
    executions: list[ToolExecution] = []
    steps: list[ReasoningStep] = []
    turn = 0

    def build() -> AgentState:
        return AgentState(
            agent_id=agent_id,
            messages=tuple(messages),
            iteration=turn,
            tool_executions=tuple(executions),
            reasoning_steps=tuple(steps),
            confidence=0.5,
            total_tokens_used=turn * 1200,
            prompt_tokens_used=turn * 900,
            completion_tokens_used=turn * 300,
            metadata={"customer": "acme", "channel": "chat", "turns": turn},
        )

    # Measuring the whole document after every turn is quadratic: add up the size
    # of what each turn adds, and measure the whole once at the end.
    estimate = document_size(build())
    while True:
        if estimate >= size:
            state = build()
            estimate = document_size(state)
            if estimate >= size:
                return state
        turn += 1
        tool = TOOLS[turn % len(TOOLS)]
        call = ToolCall(
            id=f"call_{turn:06d}", name=tool, arguments={"id": turn, "q": _sentence(rng, 4)}
        )
        result = _paragraph(rng, chunk // 2)
        messages.append(Message.user(_paragraph(rng, chunk // 4)))
        messages.append(Message.assistant(_sentence(rng, 8), tool_calls=[call]))
        messages.append(Message.tool(ToolResult(tool_call_id=call.id, name=tool, content=result)))
        messages.append(Message.assistant(_paragraph(rng, chunk // 4)))
        executions.append(
            ToolExecution(
                tool_name=tool,
                tool_call_id=call.id,
                arguments=call.arguments,
                result=result[:200],
                duration_ms=12.5,
            )
        )
        steps.append(ReasoningStep(iteration=turn, thought=_sentence(rng, 10)))
        added = [*messages[-4:], executions[-1], steps[-1]]
        estimate += sum(len(item.model_dump_json()) + 1 for item in added)


def checkpoint_document(state: AgentState) -> dict[str, Any]:
    """The dict a versioned ``put`` stores: the state's own JSON document."""
    document: dict[str, Any] = state.to_checkpoint()
    return document


def pending_writes(count: int, *, seed: int = 11) -> list[tuple[str, Any]]:
    """``count`` (channel, value) pairs as a graph step leaves them."""
    rng = random.Random(seed)
    return [
        (f"channel_{i}", {"step": i, "note": _sentence(rng, 12), "ok": bool(i % 2)})
        for i in range(count)
    ]
