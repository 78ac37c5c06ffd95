"""LangGraph histories for tests: configs, and a lineage put the way a graph puts it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import Checkpoint, empty_checkpoint

from locus_store.langgraph.saver import SQLAlchemySaver


def graph_config(thread: str, checkpoint_id: str | None = None, ns: str = "") -> RunnableConfig:
    """The config LangGraph passes for ``thread`` (and namespace, and checkpoint)."""
    configurable: dict[str, Any] = {"thread_id": thread, "checkpoint_ns": ns}
    if checkpoint_id:
        configurable["checkpoint_id"] = checkpoint_id
    return {"configurable": configurable}


class Lineage:
    """Puts successive checkpoints of one thread and namespace the way a graph does."""

    def __init__(self, saver: SQLAlchemySaver, thread: str, ns: str = "") -> None:
        self.saver, self.thread = saver, thread
        self.config = graph_config(thread, ns=ns)
        self.versions: dict[str, str] = {}
        self.values: dict[str, Any] = {}
        self.step_no = 0

    async def step(
        self, updates: Mapping[str, Any], metadata: Mapping[str, Any] | None = None
    ) -> RunnableConfig:
        """A checkpoint where ``updates`` changed (``...``: a new version, no value stored)."""
        self.step_no += 1
        new_versions = {}
        for channel, value in updates.items():
            self.versions[channel] = self.saver.get_next_version(self.versions.get(channel), None)
            new_versions[channel] = self.versions[channel]
            if value is ...:
                self.values.pop(channel, None)
            else:
                self.values[channel] = value
        checkpoint: Checkpoint = empty_checkpoint()
        checkpoint["channel_values"] = dict(self.values)
        checkpoint["channel_versions"] = dict(self.versions)
        md = {"source": "loop", "step": self.step_no, **(metadata or {})}
        self.config = await self.saver.aput(self.config, checkpoint, md, new_versions)  # type: ignore[arg-type]
        return self.config

    def fork(self, at: RunnableConfig) -> Lineage:
        """A lineage continuing from ``at`` (time travel), with the values it has now."""
        other = Lineage(self.saver, self.thread)
        other.config, other.versions, other.values = at, dict(self.versions), dict(self.values)
        other.step_no = self.step_no
        return other

    async def writes(self, tasks: Sequence[tuple[str, str, Sequence[tuple[str, Any]]]]) -> None:
        """Pending writes on the current checkpoint: (task_id, task_path, writes) each."""
        for task_id, task_path, writes in tasks:
            await self.saver.aput_writes(self.config, writes, task_id, task_path)
