"""The single-row checkpointer against a model: random programs of every operation.

The model is a dict of threads, each holding its current checkpoint id, state
document and metadata, plus a counter that orders saves (newest first). Every
result the store returns is compared with what the model says it must be.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import rule
from locus.core.state import AgentState

from locus_store import InvalidInputError
from locus_store.latest.checkpointer import LatestCheckpointer
from tests.support.backends import Target
from tests.support.database import MODEL_BACKENDS
from tests.support.reliability.machine import StoreMachine, run_machine
from tests.support.reliability.strategies import (
    QUERY_KEYS,
    WORDS,
    checkpoint_ids,
    conversations,
    filter_matches,
    glob_matches,
    globs,
    meta_values,
    metadata,
    thread_ids,
    words_of,
)


@dataclass
class Thread:
    checkpoint_id: str
    state: AgentState
    metadata: dict[str, Any] | None
    order: int


class LatestMachine(StoreMachine):
    def __init__(self) -> None:
        super().__init__()
        self.cp: LatestCheckpointer = self.store.latest()
        self.threads: dict[str, Thread] = {}
        self.clock = 0

    def _tick(self) -> int:
        self.clock += 1
        return self.clock

    def newest_first(self) -> list[str]:
        return sorted(self.threads, key=lambda t: (-self.threads[t].order, t))

    def current_id(self, thread: str, other: bool) -> str | None:
        known = self.threads.get(thread)
        if known is None or other:
            return "never-saved"
        return known.checkpoint_id

    # -- the core contract ------------------------------------------------------------
    @rule(
        thread=thread_ids,
        checkpoint=st.none() | checkpoint_ids,
        state=conversations(),
        meta=metadata,
    )
    def save(
        self,
        thread: str,
        checkpoint: str | None,
        state: AgentState,
        meta: dict[str, Any] | None,
    ) -> None:
        returned = self.run(self.cp.save(state, thread, checkpoint_id=checkpoint, metadata=meta))
        if checkpoint is None:
            assert re.fullmatch(r"[0-9a-f]{32}", returned)
        else:
            assert returned == checkpoint
        self.threads[thread] = Thread(returned, state, meta, self._tick())

    @rule(thread=thread_ids, by_id=st.booleans(), other=st.booleans())
    def load(self, thread: str, by_id: bool, other: bool) -> None:
        cid = self.current_id(thread, other) if by_id else None
        loaded = self.run(self.cp.load(thread, cid))
        known = self.threads.get(thread)
        if known is None or (by_id and other):
            assert loaded is None
        else:
            assert loaded is not None
            assert loaded == known.state

    @rule(thread=thread_ids)
    def list_checkpoints(self, thread: str) -> None:
        known = self.threads.get(thread)
        expected = [known.checkpoint_id] if known else []
        assert self.run(self.cp.list_checkpoints(thread)) == expected

    @rule(thread=thread_ids, by_id=st.booleans(), other=st.booleans())
    def exists(self, thread: str, by_id: bool, other: bool) -> None:
        cid = self.current_id(thread, other) if by_id else None
        expected = thread in self.threads and not (by_id and other)
        assert self.run(self.cp.exists(thread, cid)) is expected

    @rule(thread=thread_ids, by_id=st.booleans(), other=st.booleans())
    def delete(self, thread: str, by_id: bool, other: bool) -> None:
        cid = self.current_id(thread, other) if by_id else None
        expected = thread in self.threads and not (by_id and other)
        assert self.run(self.cp.delete(thread, cid)) is expected
        if expected:
            del self.threads[thread]

    # -- extended capabilities -----------------------------------------------------------
    @rule(pattern=globs(), limit=st.integers(1, 10))
    def list_threads(self, pattern: str, limit: int) -> None:
        expected = [t for t in self.newest_first() if glob_matches(pattern, t)][:limit]
        assert self.run(self.cp.list_threads(limit=limit, pattern=pattern)) == expected

    @rule(words=st.lists(st.sampled_from(WORDS), min_size=1, max_size=2))
    def search(self, words: list[str]) -> None:
        wanted = {w.casefold() for w in words}
        expected = {t for t, row in self.threads.items() if wanted <= words_of(row.state)}
        hits = self.run(self.cp.search(" ".join(words), limit=100))
        assert {h["thread_id"] for h in hits} == expected
        assert len(hits) == len(expected)
        for hit in hits:
            assert hit["checkpoint_id"] == self.threads[hit["thread_id"]].checkpoint_id

    @rule(key=st.sampled_from(QUERY_KEYS), value=meta_values, limit=st.integers(1, 10))
    def query_by_metadata(self, key: str, value: Any, limit: int) -> None:
        expected = [
            t for t in self.newest_first() if filter_matches(self.threads[t].metadata, {key: value})
        ][:limit]
        records = self.run(self.cp.query_by_metadata(key, value, limit=limit))
        assert [r["thread_id"] for r in records] == expected

    @rule(thread=thread_ids, by_id=st.booleans(), other=st.booleans())
    def get_metadata(self, thread: str, by_id: bool, other: bool) -> None:
        cid = self.current_id(thread, other) if by_id else None
        record = self.run(self.cp.get_metadata(thread, cid))
        known = self.threads.get(thread)
        if known is None or (by_id and other):
            assert record is None
            return
        assert record is not None
        assert record["thread_id"] == thread
        assert record["checkpoint_id"] == known.checkpoint_id
        assert record["metadata"] == (known.metadata or {})

    @rule(limit=st.integers(1, 10))
    def list_with_metadata(self, limit: int) -> None:
        records = self.run(self.cp.list_with_metadata(limit=limit))
        expected = self.newest_first()[:limit]
        assert [r["thread_id"] for r in records] == expected
        for record in records:
            known = self.threads[record["thread_id"]]
            assert (record["checkpoint_id"], record["metadata"]) == (
                known.checkpoint_id,
                known.metadata or {},
            )

    @rule(roll=st.integers(0, 4))
    def vacuum(self, roll: int) -> None:
        if roll:  # a window of a day keeps everything this program saved
            assert self.run(self.cp.vacuum(older_than_days=1)) == 0
            return
        assert self.run(self.cp.vacuum(older_than_days=0)) == len(self.threads)
        self.threads.clear()

    @rule(source=thread_ids, dest=thread_ids)
    def copy_thread(self, source: str, dest: str) -> None:
        if source == dest:
            self.refused(self.cp.copy_thread(source, dest), InvalidInputError)
            return
        expected = source in self.threads and dest not in self.threads
        assert self.run(self.cp.copy_thread(source, dest)) is expected
        if expected:
            row = self.threads[source]
            self.threads[dest] = Thread(row.checkpoint_id, row.state, row.metadata, self._tick())


@pytest.mark.parametrize("backend", MODEL_BACKENDS)
def test_single_row_checkpointer_matches_its_model(
    backend: str, migrated: dict[str, tuple[Target, str]], machine_settings: settings
) -> None:
    target, prefix = migrated[backend]
    run_machine(LatestMachine, target, prefix, machine_settings)
