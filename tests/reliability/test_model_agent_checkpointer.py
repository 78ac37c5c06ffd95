"""The versioned saver as an Agent checkpointer, against a model: random programs of every
operation, including whole turns of a real ``locus`` Agent (offline, scripted model).

A turn must add exactly one version to the thread, chained to the one before, whose
messages are the earlier conversation followed by the prompt and the reply; the
iteration saves the Agent makes and deletes along the way leave no trace.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import rule
from locus.agent import Agent
from locus.core.messages import Role
from locus.core.state import AgentState
from locus.testing import ScriptedModel, text

from locus_store import CheckpointExistsError, InvalidInputError
from locus_store.versioned.checkpointer import VersionedCheckpointer
from tests.support.backends import Target
from tests.support.database import MODEL_BACKENDS
from tests.support.reliability.lineage_model import CopyRefused, LineageModel, Version, typed
from tests.support.reliability.machine import StoreMachine, run_machine
from tests.support.reliability.strategies import (
    QUERY_KEYS,
    checkpoint_ids,
    conversations,
    filter_matches,
    glob_matches,
    globs,
    meta_values,
    metadata,
    sentences,
    thread_ids,
)

NS = "default"


class AgentCheckpointerMachine(StoreMachine):
    def __init__(self) -> None:
        super().__init__()
        self.cp: VersionedCheckpointer = self.store.versioned().as_checkpointer()
        self.model = LineageModel()
        self.states: dict[tuple[str, str], AgentState] = {}

    def version_id(self, thread: str, pick: str | None, other: bool) -> str | None:
        """``None`` (newest), an id the thread has, or one it does not."""
        if pick is None:
            return None
        ids = self.model.ids(thread, NS)
        if other or not ids:
            return pick
        return ids[hash(pick) % len(ids)]

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
        call = self.cp.save(state, thread, checkpoint_id=checkpoint, metadata=meta)
        if checkpoint is not None and self.model.find(thread, NS, checkpoint) is not None:
            self.refused(call, CheckpointExistsError)
            return
        new_id = self.run(call)
        assert checkpoint is None or new_id == checkpoint
        self.record(thread, new_id, state, meta or {})

    def record(self, thread: str, new_id: str, state: AgentState, meta: dict[str, Any]) -> None:
        newest = self.model.find(thread, NS, None)
        parent = newest.checkpoint_id if newest else None
        self.model.add(thread, NS, Version(new_id, parent, None, meta, self.model.tick()))
        self.states[(thread, new_id)] = state

    @rule(thread=thread_ids, pick=st.none() | checkpoint_ids, other=st.booleans())
    def load(self, thread: str, pick: str | None, other: bool) -> None:
        checkpoint = self.version_id(thread, pick, other)
        loaded = self.run(self.cp.load(thread, checkpoint))
        expected = self.model.find(thread, NS, checkpoint)
        if expected is None:
            assert loaded is None
        else:
            assert loaded == self.states[(thread, expected.checkpoint_id)]

    @rule(thread=thread_ids, limit=st.integers(1, 6))
    def list_checkpoints(self, thread: str, limit: int) -> None:
        ids = self.run(self.cp.list_checkpoints(thread, limit=limit))
        assert ids == [v.checkpoint_id for v in self.model.newest_first(thread, NS)][:limit]

    @rule(thread=thread_ids, pick=st.none() | checkpoint_ids, other=st.booleans())
    def exists(self, thread: str, pick: str | None, other: bool) -> None:
        checkpoint = self.version_id(thread, pick, other)
        expected = self.model.find(thread, NS, checkpoint) is not None
        assert self.run(self.cp.exists(thread, checkpoint)) is expected

    @rule(thread=thread_ids, pick=st.none() | checkpoint_ids, other=st.booleans())
    def delete(self, thread: str, pick: str | None, other: bool) -> None:
        checkpoint = self.version_id(thread, pick, other)
        deleted = self.run(self.cp.delete(thread, checkpoint))
        if checkpoint is None:
            assert deleted is self.model.delete_namespace(thread, NS)
        else:
            assert deleted is self.model.delete_checkpoint(thread, NS, checkpoint)

    # -- a real Agent turn ----------------------------------------------------------------
    @rule(thread=thread_ids, prompt=sentences, reply=sentences)
    def agent_turn(self, thread: str, prompt: str, reply: str) -> None:
        before = self.model.find(thread, NS, None)
        earlier = self.states[(thread, before.checkpoint_id)].messages if before else ()
        agent = Agent(
            model=ScriptedModel([text(reply)]),
            checkpointer=self.cp,
            context_window=32_000,
            reflexion=False,
            grounding=False,
        )
        self.run(agent.arun(prompt, thread_id=thread))
        ids = self.run(self.cp.list_checkpoints(thread, limit=1000))
        old_ids = [v.checkpoint_id for v in self.model.newest_first(thread, NS)]
        assert ids[1:] == old_ids  # one new version on top; the iteration saves are gone
        new_id = ids[0]
        state = self.run(self.cp.load(thread, new_id))
        assert state is not None
        tail = [(m.role, m.content) for m in state.messages[len(earlier) :]]
        assert tuple(state.messages[: len(earlier)]) == tuple(earlier)
        assert (Role.USER, prompt) in tail
        assert tail[-1] == (Role.ASSISTANT, reply)
        meta = self.run(self.cp.get_metadata(thread, new_id))
        assert isinstance(meta, dict)
        self.record(thread, new_id, state, meta)

    # -- capabilities ---------------------------------------------------------------------
    @rule(thread=thread_ids, pick=st.none() | checkpoint_ids, other=st.booleans())
    def get_metadata(self, thread: str, pick: str | None, other: bool) -> None:
        checkpoint = self.version_id(thread, pick, other)
        expected = self.model.find(thread, NS, checkpoint)
        found = self.run(self.cp.get_metadata(thread, checkpoint))
        assert found == (None if expected is None else expected.metadata)

    @rule(key=st.sampled_from(QUERY_KEYS), value=meta_values)
    def query_by_metadata(self, key: str, value: Any) -> None:
        rows = self.run(self.cp.query_by_metadata(key, value, limit=1000))
        expected = [
            (t, v) for t, v in self.model.recent(NS) if filter_matches(v.metadata, {key: value})
        ]
        assert sorted((r["thread_id"], r["checkpoint_id"], typed(r["metadata"])) for r in rows) == (
            sorted((t, v.checkpoint_id, typed(v.metadata)) for t, v in expected)
        )

    @rule(limit=st.integers(1, 1000))
    def list_with_metadata(self, limit: int) -> None:
        rows = self.run(self.cp.list_with_metadata(limit=limit))
        everything = self.model.recent(NS)
        assert len(rows) == min(limit, len(everything))
        created = {(t, v.checkpoint_id): v.created for t, v in everything}
        order = [created[(r["thread_id"], r["checkpoint_id"])] for r in rows]
        assert order == sorted(order, reverse=True)
        if limit >= len(everything):
            assert sorted(
                (r["thread_id"], r["checkpoint_id"], r["parent_checkpoint_id"]) for r in rows
            ) == (sorted((t, v.checkpoint_id, v.parent) for t, v in everything))

    @rule(everything=st.booleans(), keep_last=st.integers(0, 3))
    def vacuum(self, everything: bool, keep_last: int) -> None:
        removed = self.run(self.cp.vacuum(0 if everything else 1, keep_last=keep_last))
        assert removed == (self.model.vacuum(NS, keep_last) if everything else 0)

    @rule(source=thread_ids, dest=thread_ids)
    def copy_thread(self, source: str, dest: str) -> None:
        call = self.cp.copy_thread(source, dest)
        if source == dest:
            self.refused(call, InvalidInputError)
            return
        try:
            expected = self.model.copy(source, dest, NS)
        except CopyRefused:
            self.refused(call, CheckpointExistsError)
            return
        assert self.run(call) is expected
        if expected:
            for version in self.model.lineage(dest, NS):
                key = (source, version.checkpoint_id)
                self.states[(dest, version.checkpoint_id)] = self.states[key]

    @rule(pattern=globs(), limit=st.integers(1, 10))
    def list_threads(self, pattern: str, limit: int) -> None:
        listed = self.run(self.cp.list_threads(limit=limit, pattern=pattern))
        expected = {t for t in self.model.threads(NS) if glob_matches(pattern, t)}
        assert len(listed) == len(set(listed)) == min(limit, len(expected))
        assert set(listed) <= expected


@pytest.mark.parametrize("backend", MODEL_BACKENDS)
def test_versioned_agent_checkpointer_matches_its_model(
    backend: str, migrated: dict[str, tuple[Target, str]], machine_settings: settings
) -> None:
    target, prefix = migrated[backend]
    run_machine(AgentCheckpointerMachine, target, prefix, machine_settings)
