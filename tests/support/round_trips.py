"""The calls that must be one round trip each, and the threads they run against."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from locus.core.messages import Message
from locus.core.state import AgentState

from locus_store import Store


def conversation(*said: str) -> AgentState:
    return AgentState(agent_id="round-trips", messages=tuple(Message.user(s) for s in said))


#: A call; ``n`` numbers the runs, for calls that need a fresh id each time.
Call = Callable[[Store, int], Awaitable[Any]]


#: The namespace of the memory item `prepared` puts.
MEMORY_NS = ("users", "u1")


async def prepared(store: Store) -> None:
    """A thread of each kind, and a warm pool (connecting may run set-up statements)."""
    await store.latest().save(conversation("hello"), "t1", checkpoint_id="c1")
    saver = store.versioned()
    await saver.put(thread_id="v1", checkpoint_id="a", checkpoint_data={"n": 1})
    await saver.put(
        thread_id="v1", checkpoint_id="b", checkpoint_data={"n": 2}, parent_checkpoint_id="a"
    )
    await saver.put_writes(thread_id="v1", checkpoint_id="b", task_id="k", writes=[("c", 1)])
    await saver.as_checkpointer().save(conversation("hello"), "a1")
    await store.memory().put(MEMORY_NS, "k1", {"text": "window seat"})


#: Every call that must be exactly one round trip, by name.
ONE_ROUND_TRIP: dict[str, Call] = {
    "latest save of a new thread": lambda s, n: s.latest().save(conversation("hi"), f"new-{n}"),
    "latest save over a thread": lambda s, n: s.latest().save(conversation("hi", "again"), "t1"),
    "latest load": lambda s, n: s.latest().load("t1"),
    "latest load by id": lambda s, n: s.latest().load("t1", "c1"),
    "latest list_checkpoints": lambda s, n: s.latest().list_checkpoints("t1"),
    "versioned put of a root": lambda s, n: s.versioned().put(
        thread_id=f"root-{n}", checkpoint_id="a", checkpoint_data={"n": 1}
    ),
    "versioned put of a child": lambda s, n: s.versioned().put(
        thread_id="v1",
        checkpoint_id=f"child-{n}",
        checkpoint_data={"n": 3},
        parent_checkpoint_id="b",
    ),
    "versioned get latest": lambda s, n: s.versioned().get(thread_id="v1"),
    "versioned get by id": lambda s, n: s.versioned().get(thread_id="v1", checkpoint_id="a"),
    "versioned list_checkpoints": lambda s, n: s.versioned().list_checkpoints(thread_id="v1"),
    "versioned list_checkpoints before": lambda s, n: s.versioned().list_checkpoints(
        thread_id="v1", before="b"
    ),
    "versioned get_writes": lambda s, n: s.versioned().get_writes(
        thread_id="v1", checkpoint_id="b"
    ),
    "agent checkpointer save": lambda s, n: (
        s.versioned().as_checkpointer().save(conversation("hi", "again"), "a1")
    ),
    "agent checkpointer load": lambda s, n: s.versioned().as_checkpointer().load("a1"),
    "agent checkpointer list_checkpoints": lambda s, n: (
        s.versioned().as_checkpointer().list_checkpoints("a1")
    ),
    "memory put": lambda s, n: s.memory().put(MEMORY_NS, f"k-{n}", {"text": "aisle seat"}),
    "memory get": lambda s, n: s.memory().get(MEMORY_NS, "k1"),
    "memory search": lambda s, n: s.memory().search(MEMORY_NS, "window", limit=5),
    "memory list_keys": lambda s, n: s.memory().list_keys(MEMORY_NS),
}
