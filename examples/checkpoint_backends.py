"""Seed notebook 54 on locus_store: the single-row checkpointer on any backend.

    python examples/checkpoint_backends.py

Runs on Oracle when ORACLE_DSN / ORACLE_USER / ORACLE_PASSWORD (and ORACLE_WALLET)
are set, else on LOCUS_STORE_URL, else on an embedded SQLite file, so it never
needs a server to run. The five parts of the notebook, on ``store.latest()``:

1. save and load an ``AgentState``;
2. the capabilities the checkpointer reports;
3. the stored threads and their checkpoints;
4. vacuum: threads nobody saved to for 30 days are removed;
5. full-text search across the stored conversations (the engine's own text index).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt

from locus.core.messages import Message
from locus.core.state import AgentState

from locus_store import Store

BACKENDS = {"oracle": "Oracle Database", "postgresql": "PostgreSQL", "sqlite": "SQLite"}


async def pretend_last_saved(store: Store, thread_id: str, days_ago: int) -> None:
    """Move a thread's last save into the past, to give vacuum something to do."""
    threads = store.schema.threads
    when = dt.datetime.now(dt.UTC) - dt.timedelta(days=days_ago)
    statement = threads.update().where(threads.c.thread_id == thread_id).values(updated_at=when)
    await store.run(lambda conn: conn.execute(statement))


async def main() -> None:
    store = Store.from_env()
    print(
        f"Checkpoint backends on {BACKENDS.get(store.dialect_name, store.dialect_name)}: {store!r}"
    )
    await store.upgrade()
    checkpointer = store.latest()

    print("\n=== Part 1: Save / load ===")
    state = AgentState(agent_id="demo_agent")
    state = state.with_message(Message.user("Hello! Where does my state live?"))
    state = state.with_message(Message.assistant("In one row of Oracle Database 26ai, or SQLite."))
    checkpoint_id = await checkpointer.save(state, "thread_1", metadata={"notebook": 54})
    print(f"Saved checkpoint id={checkpoint_id} into table={store.schema.threads.name}")
    loaded = await checkpointer.load("thread_1")
    assert loaded == state
    print(f"Loaded thread_1 with {len(loaded.messages)} messages, equal to the saved state")

    print("\n=== Part 2: Reported capabilities ===")
    for name, value in dataclasses.asdict(checkpointer.capabilities).items():
        print(f"  {name}: {value}")

    print("\n=== Part 3: Threads and their checkpoints ===")
    other = AgentState(agent_id="demo_agent").with_message(Message.user("Second thread"))
    await checkpointer.save(other, "thread_2")
    threads = await checkpointer.list_threads()
    print(f"Threads, most recently saved first: {threads}")
    for thread_id in threads:
        checkpoints = await checkpointer.list_checkpoints(thread_id)
        print(f"  {thread_id}: {len(checkpoints)} checkpoint(s) {checkpoints}")

    print("\n=== Part 4: Vacuum old threads ===")
    await checkpointer.save(AgentState(agent_id="demo_agent"), "abandoned")
    await pretend_last_saved(store, "abandoned", days_ago=45)
    removed = await checkpointer.vacuum(older_than_days=30)
    print(f"vacuum(older_than_days=30) removed {removed} thread(s) last saved over 30 days ago")
    print(f"Threads left: {await checkpointer.list_threads()}")

    print("\n=== Part 5: Search across conversations ===")
    for query in ("Oracle", "second thread", 'near "AND" (OR)'):
        hits = await checkpointer.search(query)
        print(f"search({query!r}) returned {[hit['thread_id'] for hit in hits]}")

    await store.close()
    print("\nDone: every checkpoint above is durable in", store.engine.url.get_backend_name())


if __name__ == "__main__":
    asyncio.run(main())
