"""The versioned saver's tables as a Locus ``BaseCheckpointer``: an Agent keeps its lineage.

Each ``save`` appends a version whose parent is the thread's newest, resolved in
the same statement, so concurrent savers never fork a lineage by accident.
Everything happens inside one namespace (``"default"`` unless told otherwise),
which is the namespace the saver's own methods use by default.

Deleting one version splices it out: its children take its parent. An ``Agent``
on a checkpointer that deletes single versions saves after every iteration and,
at the end of the turn, saves the final state and deletes the iteration saves;
splicing leaves the turns' final states chained to one another.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from locus.core.protocols import CheckpointerCapabilities
from locus.memory.checkpointer import BaseCheckpointer

from locus_store.agent_state import decode_state, encode_state
from locus_store.validation import require_key, require_metadata_key

if TYPE_CHECKING:
    from locus.core.state import AgentState

    from locus_store.versioned.saver import VersionedSaver

_CAPABILITIES = CheckpointerCapabilities(
    metadata_query=True,
    vacuum=True,
    branching=True,
    list_threads=True,
    list_with_metadata=True,
    persistent_checkpoint_ids=True,
)


class VersionedCheckpointer(BaseCheckpointer):
    """A Locus checkpointer that keeps every saved version of a thread."""

    def __init__(self, saver: VersionedSaver, *, checkpoint_ns: str) -> None:
        self._saver = saver
        self._ns = require_key(checkpoint_ns, "checkpoint_ns", allow_empty=True)

    @property
    def checkpoint_ns(self) -> str:
        return self._ns

    @property
    def capabilities(self) -> CheckpointerCapabilities:
        return _CAPABILITIES

    def __repr__(self) -> str:
        return f"VersionedCheckpointer({self._saver!r}, checkpoint_ns={self._ns!r})"

    # -- core ---------------------------------------------------------------------------
    async def save(
        self,
        state: AgentState,
        thread_id: str,
        checkpoint_id: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> str:
        """Append ``state`` as the thread's newest version; returns its id."""
        new_id = uuid.uuid4().hex if checkpoint_id is None else checkpoint_id
        await self._saver.append(
            thread_id=thread_id,
            checkpoint_id=new_id,
            checkpoint_data=encode_state(state),
            checkpoint_ns=self._ns,
            metadata=metadata,
        )
        return new_id

    async def load(self, thread_id: str, checkpoint_id: str | None = None) -> AgentState | None:
        row = await self._saver.get(
            thread_id=thread_id, checkpoint_id=checkpoint_id, checkpoint_ns=self._ns
        )
        return None if row is None else decode_state(row["checkpoint"])

    async def list_checkpoints(self, thread_id: str, limit: int = 10) -> list[str]:
        return await self._saver.checkpoint_ids(
            thread_id=thread_id, checkpoint_ns=self._ns, limit=limit
        )

    async def delete(self, thread_id: str, checkpoint_id: str | None = None) -> bool:
        """Remove one version (spliced out of the lineage), or the whole thread."""
        if checkpoint_id is None:
            return await self._saver.delete_namespace(thread_id=thread_id, checkpoint_ns=self._ns)
        return await self._saver.delete_checkpoint(
            thread_id=thread_id, checkpoint_id=checkpoint_id, checkpoint_ns=self._ns
        )

    async def close(self) -> None:
        await self._saver.close()

    # -- capabilities -------------------------------------------------------------------
    async def get_metadata(
        self, thread_id: str, checkpoint_id: str | None = None
    ) -> dict[str, Any] | None:
        """The metadata saved with the version (the newest when no id is given)."""
        row = await self._saver.get(
            thread_id=thread_id, checkpoint_id=checkpoint_id, checkpoint_ns=self._ns
        )
        return None if row is None else dict(row["metadata"])

    async def query_by_metadata(
        self, key: str, value: Any, limit: int = 100
    ) -> list[dict[str, Any]]:
        """Versions whose metadata holds ``key`` with a value equal to ``value``, newest first."""
        return await self._saver.recent(
            checkpoint_ns=self._ns,
            limit=limit,
            metadata_filter={require_metadata_key(key): value},
        )

    async def vacuum(self, older_than_days: int = 30, *, keep_last: int = 0) -> int:
        """Remove versions older than ``older_than_days`` but each thread's newest ``keep_last``."""
        return await self._saver.vacuum(
            older_than_days=older_than_days, keep_last=keep_last, checkpoint_ns=self._ns
        )

    async def copy_thread(self, source_thread_id: str, dest_thread_id: str) -> bool:
        """Copy the thread's lineage (same ids and order) and writes to a new thread."""
        return await self._saver.copy_namespace(
            source_thread_id=source_thread_id,
            dest_thread_id=dest_thread_id,
            checkpoint_ns=self._ns,
        )

    async def list_threads(self, limit: int = 100, pattern: str = "*") -> list[str]:
        return await self._saver.list_threads(checkpoint_ns=self._ns, limit=limit, pattern=pattern)

    async def list_with_metadata(self, limit: int = 100) -> list[dict[str, Any]]:
        """``{thread_id, checkpoint_id, parent_checkpoint_id, metadata, created_at}`` rows."""
        return await self._saver.recent(checkpoint_ns=self._ns, limit=limit)
