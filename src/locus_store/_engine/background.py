"""An event loop on a daemon thread with a store of its own: what the sync forms of the
LangGraph saver and memory store run their async twins on.

``graph.invoke`` and other plain-thread callers reach sync methods; each runs the async
twin on one private loop per object, over a copy of the store with a pool of its own
(`Store.on_own_pool`), so sync and async callers never share connections that belong
to another event loop.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from locus_store.store import Store

T = TypeVar("T")


class BackgroundLoop:
    """An event loop on a daemon thread, with a store whose pool belongs to that loop."""

    def __init__(self, store: Store) -> None:
        self.store = store.on_own_pool()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(
            target=self.loop.run_forever, name="locus-store-sync", daemon=True
        )
        self.thread.start()
        self._finalizer = weakref.finalize(self, _stop_loop, self.loop, self.thread, self.store)

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        if threading.current_thread() is self.thread:
            coro.close()
            raise RuntimeError("a sync method was called from its own background loop")
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    def close(self) -> None:
        self._finalizer()


def _stop_loop(loop: asyncio.AbstractEventLoop, thread: threading.Thread, store: Store) -> None:
    if loop.is_closed():
        return
    if threading.current_thread() is thread:  # dropped by code running on the loop itself
        loop.create_task(store.close()).add_done_callback(lambda _: loop.stop())
        return
    try:
        asyncio.run_coroutine_threadsafe(store.close(), loop).result(timeout=30)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=30)
        if not thread.is_alive():
            loop.close()
