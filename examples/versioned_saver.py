"""Seed notebook 12 on locus_store: an agent's versioned history, a rewind, pending writes.

    python examples/versioned_saver.py

Runs on Oracle when ORACLE_DSN / ORACLE_USER / ORACLE_PASSWORD (and ORACLE_WALLET)
are set, else on LOCUS_STORE_URL, else on an embedded SQLite file. The model is
scripted (``locus.testing.ScriptedModel``): no network, no API key.

The story: an incident-commander agent runs three turns. Its live thread continuity
comes from ``saver.as_checkpointer()`` (namespace ``live``); after each turn the
post-turn state is also appended to the audit trail with ``saver.put`` and a parent
link (namespace ``default``), as the notebook does. Then the lineage is listed, ``v1``
is read back as an ``AgentState``, and pending writes are recorded against ``v3``.
"""

from __future__ import annotations

import asyncio

from locus import tool
from locus.agent import Agent
from locus.core.state import AgentState
from locus.testing import ScriptedModel, text, tool_call

from locus_store import Store
from locus_store.versioned.saver import VersionedSaver

THREAD_ID = "agent-incident-001"
TURNS = (
    "Open the incident: checkout-api p99 is up 4x over the last 15 minutes.",
    "What service did we deploy at 13:58 and is anything correlated?",
    "Draft a one-sentence customer-facing status update.",
)


@tool
def recent_deploys(service: str) -> str:
    """The deploys of ``service`` in the last hour."""
    return f"{service}: v2.4.1 deployed at 13:58; p99 started rising at 14:01"


def incident_commander() -> ScriptedModel:
    """The model's side of the three turns (the second one calls a tool)."""
    return ScriptedModel(
        [
            text("Incident opened: checkout-api p99 is 4x baseline. Paging the payments team."),
            tool_call("recent_deploys", service="checkout-api"),
            text("checkout-api v2.4.1 shipped at 13:58; latency rose three minutes later."),
            text("We are investigating slow checkouts and will post an update within 30 minutes."),
        ]
    )


async def run_three_turns(agent: Agent, saver: VersionedSaver) -> None:
    print("\n--- 1. Three turns; each post-turn state is appended with a parent link ---")
    parent: str | None = None
    for turn, prompt in enumerate(TURNS, start=1):
        result = await agent.arun(prompt, thread_id=THREAD_ID)
        cid = f"v{turn}"
        snapshot = result.state.to_checkpoint()
        await saver.put(
            thread_id=THREAD_ID,
            checkpoint_id=cid,
            parent_checkpoint_id=parent,
            checkpoint_data=snapshot,
            metadata={
                "turn": turn,
                "messages": len(result.state.messages),
                "stop_reason": str(result.stop_reason),
            },
        )
        print(f"  turn {turn} ({cid}, parent={parent!r})")
        print(f"    user : {prompt}")
        print(f"    agent: {result.message}")
        parent = cid


async def list_lineage(saver: VersionedSaver) -> None:
    print("\n--- 2. list_checkpoints: the lineage, newest first ---")
    for row in await saver.list_checkpoints(thread_id=THREAD_ID):
        meta = row["metadata"]
        print(
            f"  id={row['checkpoint_id']!r} parent={row['parent_checkpoint_id']!r} "
            f"turn={meta.get('turn')!r} messages={meta.get('messages')!r} "
            f"stop_reason={meta.get('stop_reason')!r}"
        )


async def rewind_to_v1(saver: VersionedSaver) -> None:
    print("\n--- 3. get(checkpoint_id='v1'): rewind read ---")
    row = await saver.get(thread_id=THREAD_ID, checkpoint_id="v1")
    if row is None:
        raise SystemExit("v1 is missing: the lineage is inconsistent")
    state = AgentState.from_checkpoint(row["checkpoint"])
    print(f"  v1 rehydrated as AgentState: {len(state.messages)} messages")
    for message in state.messages:
        content = (message.content or "").replace("\n", " ")[:80]
        print(f"    [{message.role.value}] {content}")


async def write_pending(saver: VersionedSaver) -> None:
    print("\n--- 4. put_writes against v3, twice: the retry replaces, never duplicates ---")
    writes = [("channel:status", "we are investigating"), ("channel:pagerduty", "warmed")]
    for _attempt in range(2):
        await saver.put_writes(
            thread_id=THREAD_ID, checkpoint_id="v3", task_id="status-page-update", writes=writes
        )
    rows = await saver.get_writes(thread_id=THREAD_ID, checkpoint_id="v3")
    print(f"  get_writes(v3) -> {len(rows)} rows")
    for w in rows:
        print(f"    task={w['task_id']!r} idx={w['idx']} ", end="")
        print(f"channel={w['channel']!r} value={w['value']!r}")


async def live_history(agent: Agent) -> None:
    print("\n--- 5. The live thread's own history (agent.get_state_history) ---")
    for checkpoint_id, state in await agent.get_state_history(THREAD_ID):
        print(f"  {checkpoint_id}: {len(state.messages)} messages")


async def main() -> None:
    store = Store.from_env()
    print(f"versioned saver on {store.dialect_name}: {store!r}")
    await store.upgrade()
    saver = store.versioned()
    await saver.delete_thread(THREAD_ID)  # a clean slate, so the example can run again
    agent = Agent(
        model=incident_commander(),
        tools=[recent_deploys],
        checkpointer=saver.as_checkpointer(checkpoint_ns="live"),
        system_prompt="You are the on-call incident commander. Stay concise.",
        context_window=32_000,
        reflexion=False,
        grounding=False,
    )
    try:
        await run_three_turns(agent, saver)
        await list_lineage(saver)
        await rewind_to_v1(saver)
        await write_pending(saver)
        await live_history(agent)
    finally:
        await saver.delete_thread(THREAD_ID)
        await saver.close()
    print("\nDone: the audit trail and the live thread were removed.")


if __name__ == "__main__":
    asyncio.run(main())
