"""A real ``locus.agent.Agent`` remembers across threads through ``store.memory()``.

Locus's ``LLMMemoryManager`` drives the store: at the end of a turn it extracts
memories from the conversation (its built-in heuristic: "I'm a ..." is a fact about the
user) and puts them; at the start of the next it recalls them with ``search_many`` and
hands them to the model in a system message. The model is scripted
(``locus.testing.ScriptedModel``), so the runs are offline and deterministic; the
conversations themselves live in ``store.latest()``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from locus.agent import Agent
from locus.core.events import RunInfo
from locus.memory.manager import LLMMemoryManager, Memory, MemoryType
from locus.memory.store import BaseStore
from locus.testing import ScriptedModel, text

from locus_store import Store
from tests.support.backends import MEMORY_TEST_DIMS

FACT = "I'm a data engineer and I write Python every day."
MEMORY_BLOCK = "[Long-term Memory]"


def agent_on(store: Store, memory: BaseStore, model: ScriptedModel, **manager: Any) -> Agent:
    return Agent(
        model=model,
        checkpointer=store.latest(),
        memory_manager=LLMMemoryManager(store=memory, **manager),
        reflexion=False,
        grounding=False,
        context_window=100_000,
    )


def recalled(messages: Sequence[Any]) -> str:
    """The memory block the manager put before the model, or ``""``."""
    blocks = [m.content for m in messages if m.content and MEMORY_BLOCK in m.content]
    assert len(blocks) <= 1, blocks
    return blocks[0] if blocks else ""


async def test_an_agent_recalls_in_a_new_thread_what_it_learnt_in_another(store: Store) -> None:
    model = ScriptedModel([text("Noted."), text("You write Python.")])
    agent = agent_on(store, store.memory(), model)
    await agent.arun(FACT, thread_id="monday")
    result = await agent.arun("Which language should the examples use?", thread_id="tuesday")
    assert result.text == "You write Python."
    assert recalled(model.received_messages[0]) == ""
    assert FACT in recalled(model.received_messages[1])
    # The new thread's conversation holds only its own turn: the fact came from memory.
    tuesday = await store.latest().load("tuesday")
    assert tuesday is not None
    assert not any(m.content and "data engineer" in m.content for m in tuesday.messages)


async def test_what_is_remembered_is_an_item_of_the_store(store: Store) -> None:
    agent = agent_on(store, store.memory(), ScriptedModel([text("Noted.")]))
    await agent.arun(FACT, thread_id="monday")
    memory = store.memory()
    assert await memory.list_namespaces() == [("locus_memory", "user")]
    (item,) = await memory.search(("locus_memory", "user"), query="data engineer")
    assert item.value["content"] == FACT
    assert item.metadata["type"] == "user"


async def test_a_new_agent_on_a_new_store_recalls_what_an_earlier_one_remembered(
    store: Store,
) -> None:
    await agent_on(store, store.memory(), ScriptedModel([text("Noted.")])).arun(
        FACT, thread_id="monday"
    )
    restarted = Store(store.engine, table_prefix=store.table_prefix)
    model = ScriptedModel([text("Python it is.")])
    await agent_on(restarted, restarted.memory(), model).arun("Hello again", thread_id="later")
    assert FACT in recalled(model.received_messages[0])


async def test_a_users_memories_never_reach_another_user(store: Store) -> None:
    def per_user(run: RunInfo) -> tuple[str, ...]:
        return ("users", str(run.metadata["user"]))

    model = ScriptedModel([text("Noted."), text("Hello."), text("You write Python.")])
    agent = agent_on(store, store.memory(), model, namespace_resolver=per_user)
    await agent.arun(FACT, thread_id="a1", metadata={"user": "ada"})
    await agent.arun("What do I write?", thread_id="b1", metadata={"user": "bob"})
    await agent.arun("What do I write?", thread_id="a2", metadata={"user": "ada"})
    assert recalled(model.received_messages[1]) == ""
    assert FACT in recalled(model.received_messages[2])


async def test_a_forgotten_memory_is_no_longer_recalled(store: Store) -> None:
    memory = store.memory()
    model = ScriptedModel([text("Noted."), text("Hello.")])
    agent = agent_on(store, memory, model)
    await agent.arun(FACT, thread_id="monday")
    assert await memory.clear_namespace(("locus_memory", "user")) == 1
    await agent.arun("Hello", thread_id="tuesday")
    assert recalled(model.received_messages[1]) == ""


# -- recall by meaning (``vector_store``: an ``embed`` function and vectors) -------------------

#: One dimension per topic, so recall can match a turn sharing no word with the memory.
TOPICS = {
    "espresso": 0,
    "coffee": 0,
    "drink": 0,
    "cat": 1,
    "kitten": 1,
    "pet": 1,
    "deploy": 2,
    "release": 2,
    "ship": 2,
}


def topics(texts: list[str]) -> list[list[float]]:
    vectors = []
    for phrase in texts:
        vector = [0.0] * MEMORY_TEST_DIMS
        for word in phrase.lower().replace(",", " ").replace(".", " ").replace("?", " ").split():
            if word in TOPICS:
                vector[TOPICS[word]] += 1.0
        vector[-1] += 0.1
        vectors.append(vector)
    return vectors


async def test_with_an_embedder_recall_puts_the_memory_nearest_the_turn_first(
    vector_store: Store,
) -> None:
    memories = [
        Memory(MemoryType.USER, "drink", "Prefers espresso, no sugar."),
        Memory(MemoryType.USER, "pet", "Has a kitten called Miso."),
        Memory(MemoryType.PROJECT, "release", "The release ships on Friday."),
    ]

    async def extract(_messages: list[Any]) -> list[Memory]:
        return memories

    memory = vector_store.memory(embed=topics)
    model = ScriptedModel([text("Noted."), text("A flat white?")])
    agent = agent_on(vector_store, memory, model, extract_fn=extract, retrieve_limit=1)
    await agent.arun("Remember these.", thread_id="monday")
    await agent.arun("What coffee should I order?", thread_id="tuesday")
    block = recalled(model.received_messages[1])
    assert "espresso" in block
    assert "kitten" not in block
    assert "Friday" not in block
