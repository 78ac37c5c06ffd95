"""The LangGraph saver's synchronous methods: thin bridges to its async ones.

``graph.invoke`` calls ``get_tuple``, ``put``, ... from plain threads. Each runs the
async twin on one private event loop thread per saver, over a copy of the store with
a pool of its own (`Store.on_own_pool`), so sync and async callers never share
connections that belong to another event loop. The async method runs on a shallow
copy of the saver whose ``store`` is that private one.
"""

from __future__ import annotations

import asyncio
import copy
import threading
from collections.abc import Callable, Coroutine, Iterator, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, TypeVar

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    BaseCheckpointSaver,
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
    DeltaChannelHistory,
)
from langgraph.checkpoint.serde.base import SerializerProtocol

from locus_store._engine.background import BackgroundLoop
from locus_store.langgraph._config import (
    CheckpointKey,
    ListQuery,
    Pages,
    Tuples,
    key_text,
    list_query,
)

if TYPE_CHECKING:
    from locus_store.store import Store

T = TypeVar("T")


class SyncBridge(BaseCheckpointSaver[str]):
    """The sync twins and the lifecycle of the private loop they run on."""

    def __init__(self, store: Store, *, serde: SerializerProtocol | None = None) -> None:
        super().__init__(serde=serde)
        self.store = store
        self._background: BackgroundLoop | None = None
        self._background_init = threading.Lock()

    async def asetup(self) -> None:
        """Create or upgrade the tables (the saver's own)."""
        raise NotImplementedError

    async def asweep_ttl(self) -> int:
        """Remove expired threads (the saver's own)."""
        raise NotImplementedError

    async def _list_page(self, query: ListQuery, cursor: CheckpointKey | None, size: int) -> Tuples:
        """One page of a listing (the saver's own)."""
        raise NotImplementedError

    # -- lifecycle --------------------------------------------------------------------
    def setup(self) -> None:
        self._on_loop(lambda saver: saver.asetup())

    async def aclose(self) -> None:
        """Stop the private loop of the sync methods and release its connections."""
        background, self._background = self._background, None
        if background is not None:
            await asyncio.to_thread(background.close)

    def close(self) -> None:
        background, self._background = self._background, None
        if background is not None:
            background.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- sync twins -----------------------------------------------------------------------
    def get_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        return self._on_loop(lambda saver: saver.aget_tuple(config))

    def list(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> Iterator[CheckpointTuple]:
        query = list_query(config, filter, before)
        pages = Pages(limit)
        for cursor, size in pages:
            page = self._page(query, cursor, size)
            yield from page
            pages.took(page)

    def _page(self, query: ListQuery, cursor: CheckpointKey | None, size: int) -> Tuples:
        return self._on_loop(lambda saver: saver._list_page(query, cursor, size))  # noqa: SLF001

    def get_delta_channel_history(
        self, *, config: RunnableConfig, channels: Sequence[str]
    ) -> Mapping[str, DeltaChannelHistory]:
        return self._on_loop(
            lambda saver: saver.aget_delta_channel_history(config=config, channels=channels)
        )

    def put(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        return self._on_loop(lambda saver: saver.aput(config, checkpoint, metadata, new_versions))

    def put_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        self._on_loop(lambda saver: saver.aput_writes(config, writes, task_id, task_path))

    def delete_thread(self, thread_id: str) -> None:
        key_text(thread_id, "thread_id")  # refused here, before the loop starts
        self._on_loop(lambda saver: saver.adelete_thread(thread_id))

    def delete_for_runs(self, run_ids: Sequence[str]) -> None:
        self._on_loop(lambda saver: saver.adelete_for_runs(run_ids))

    def copy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        self._on_loop(lambda saver: saver.acopy_thread(source_thread_id, target_thread_id))

    def prune(self, thread_ids: Sequence[str], *, strategy: str = "keep_latest") -> None:
        self._on_loop(lambda saver: saver.aprune(thread_ids, strategy=strategy))

    def sweep_ttl(self) -> int:
        return self._on_loop(lambda saver: saver.asweep_ttl())

    # -- the bridge ---------------------------------------------------------------------------
    def _on_loop(self, make: Callable[[Self], Coroutine[Any, Any, T]]) -> T:
        """Run ``make(saver)`` on the private loop, ``saver`` being this one on its store."""
        background = self._background
        if background is None:
            if self.store.is_bound:
                raise RuntimeError(
                    "the sync methods cannot run inside a bound store's transaction; "
                    "use the async methods (aget_tuple, aput, ...)"
                )
            with self._background_init:
                if self._background is None:
                    self._background = BackgroundLoop(self.store)
                background = self._background
        twin = copy.copy(self)
        twin.store = background.store
        return background.run(make(twin))
