"""Checkpoints whose ``aput`` has started and not yet ended, so writes for them can wait.

LangGraph's async loop runs ``aput`` (each after the previous one) and ``aput_writes``
(as tasks finish) concurrently: the first writes of a new thread can arrive before the
thread's first checkpoint is stored. The saver refuses writes for a thread that has
no checkpoint (so a conversation erased while its graph ran does not come back as
orphan writes); writes for a checkpoint whose put is in flight in this process wait
for that put first, then are refused only if it did not land.
"""

from __future__ import annotations

import asyncio

#: (thread_id, checkpoint_ns, checkpoint_id)
Key = tuple[str, str, str]


class PutsInFlight:
    """The puts in flight of one saver (shared by the sync bridge's copies of it)."""

    def __init__(self) -> None:
        self._puts: dict[Key, asyncio.Future[None]] = {}

    def started(self, key: Key) -> asyncio.Future[None]:
        """Record that the put of ``key`` has started; pass the result to `ended`."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._puts[key] = done
        return done

    def ended(self, key: Key, done: asyncio.Future[None]) -> None:
        """The put of ``key`` is over, stored or not."""
        if self._puts.get(key) is done:
            del self._puts[key]
        if not done.done():
            done.set_result(None)

    async def wait_for(self, key: Key) -> None:
        """Return once no put of ``key`` started on this event loop is in flight."""
        done = self._puts.get(key)
        if done is None or done.done() or done.get_loop() is not asyncio.get_running_loop():
            return
        await asyncio.wait({done})  # not awaited directly: a cancelled waiter leaves it be
