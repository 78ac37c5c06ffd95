"""The versioned saver (with pending writes) against a model: random programs of every operation.

Results ordered by the database's collation (thread listings, writes by task) are
compared as sets or groups; orderings the contract defines (lineage positions,
newest first) are compared exactly.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import rule

from locus_store import (
    CheckpointExistsError,
    CheckpointNotFoundError,
    InvalidInputError,
    ParentNotFoundError,
)
from locus_store.versioned.saver import VersionedSaver
from tests.support.backends import Target
from tests.support.database import MODEL_BACKENDS
from tests.support.reliability.lineage_model import CopyRefused, LineageModel, Version, typed
from tests.support.reliability.machine import StoreMachine, run_machine
from tests.support.reliability.strategies import (
    QUERY_KEYS,
    checkpoint_ids,
    documents,
    filter_matches,
    glob_matches,
    globs,
    meta_values,
    metadata,
    namespaces,
    task_ids,
    thread_ids,
    writes,
)


def shown(version: Version) -> tuple[str, str | None, str, str]:
    return (version.checkpoint_id, version.parent, typed(version.data), typed(version.metadata))


def returned(row: dict[str, Any]) -> tuple[str, str | None, str, str]:
    return (
        row["checkpoint_id"],
        row["parent_checkpoint_id"],
        typed(row["checkpoint"]),
        typed(row["metadata"]),
    )


class SaverMachine(StoreMachine):
    def __init__(self) -> None:
        super().__init__()
        self.saver: VersionedSaver = self.store.versioned()
        self.model = LineageModel()

    # -- appending --------------------------------------------------------------------------
    @rule(
        thread=thread_ids,
        ns=namespaces,
        checkpoint=checkpoint_ids,
        parent=st.none() | checkpoint_ids,
        data=documents,
        meta=metadata,
    )
    def put(
        self,
        thread: str,
        ns: str,
        checkpoint: str,
        parent: str | None,
        data: dict[str, Any],
        meta: dict[str, Any] | None,
    ) -> None:
        call = self.saver.put(
            thread_id=thread,
            checkpoint_id=checkpoint,
            checkpoint_data=data,
            checkpoint_ns=ns,
            parent_checkpoint_id=parent,
            metadata=meta,
        )
        if parent is not None and self.model.find(thread, ns, parent) is None:
            self.refused(call, ParentNotFoundError)
        elif self.model.find(thread, ns, checkpoint) is not None:
            self.refused(call, CheckpointExistsError)
        else:
            self.run(call)
            version = Version(checkpoint, parent, data, meta or {}, self.model.tick())
            self.model.add(thread, ns, version)

    @rule(thread=thread_ids, ns=namespaces, checkpoint=checkpoint_ids, data=documents)
    def append(self, thread: str, ns: str, checkpoint: str, data: dict[str, Any]) -> None:
        call = self.saver.append(
            thread_id=thread, checkpoint_id=checkpoint, checkpoint_data=data, checkpoint_ns=ns
        )
        if self.model.find(thread, ns, checkpoint) is not None:
            self.refused(call, CheckpointExistsError)
            return
        self.run(call)
        newest = self.model.find(thread, ns, None)
        parent = newest.checkpoint_id if newest else None
        self.model.add(thread, ns, Version(checkpoint, parent, data, {}, self.model.tick()))

    # -- reading ------------------------------------------------------------------------------
    @rule(thread=thread_ids, ns=namespaces, checkpoint=st.none() | checkpoint_ids)
    def get(self, thread: str, ns: str, checkpoint: str | None) -> None:
        row = self.run(self.saver.get(thread_id=thread, checkpoint_id=checkpoint, checkpoint_ns=ns))
        expected = self.model.find(thread, ns, checkpoint)
        if expected is None:
            assert row is None
        else:
            assert row is not None
            assert returned(row) == shown(expected)

    @rule(
        thread=thread_ids,
        ns=namespaces,
        limit=st.integers(1, 6),
        before=st.none() | checkpoint_ids,
    )
    def list_checkpoints(self, thread: str, ns: str, limit: int, before: str | None) -> None:
        rows = self.run(
            self.saver.list_checkpoints(
                thread_id=thread, checkpoint_ns=ns, limit=limit, before=before
            )
        )
        if before is None:
            expected = self.model.newest_first(thread, ns)
        else:
            expected = self.model.before(thread, ns, before)
        assert [returned(r) for r in rows] == [shown(v) for v in expected[:limit]]

    @rule(thread=thread_ids, ns=namespaces, limit=st.integers(1, 6))
    def list_checkpoint_ids(self, thread: str, ns: str, limit: int) -> None:
        ids = self.run(self.saver.checkpoint_ids(thread_id=thread, checkpoint_ns=ns, limit=limit))
        assert ids == [v.checkpoint_id for v in self.model.newest_first(thread, ns)][:limit]

    # -- pending writes ---------------------------------------------------------------------------
    @rule(
        thread=thread_ids,
        ns=namespaces,
        checkpoint=checkpoint_ids,
        task=task_ids,
        rows=writes,
    )
    def put_writes(
        self, thread: str, ns: str, checkpoint: str, task: str, rows: list[tuple[str, Any]]
    ) -> None:
        call = self.saver.put_writes(
            thread_id=thread, checkpoint_id=checkpoint, task_id=task, writes=rows,
            checkpoint_ns=ns,
        )  # fmt: skip
        if rows and self.model.find(thread, ns, checkpoint) is None:
            # Writes without their checkpoint (never saved, or erased) are refused whole.
            with pytest.raises(CheckpointNotFoundError):
                self.run(call)
            return
        self.run(call)
        self.model.put_writes((thread, ns, checkpoint), task, rows)

    @rule(
        thread=thread_ids,
        ns=namespaces,
        checkpoint=checkpoint_ids,
        task=st.none() | task_ids,
    )
    def get_writes(self, thread: str, ns: str, checkpoint: str, task: str | None) -> None:
        rows = self.run(
            self.saver.get_writes(
                thread_id=thread, checkpoint_id=checkpoint, checkpoint_ns=ns, task_id=task
            )
        )
        stored = self.model.writes.get((thread, ns, checkpoint), {})
        expected = {t: r for t, r in stored.items() if task is None or t == task}
        grouped: dict[str, list[tuple[int, str, str]]] = {}
        for row in rows:
            grouped.setdefault(row["task_id"], []).append(
                (row["idx"], row["channel"], typed(row["value"]))
            )
        assert grouped == {
            t: [(i, channel, typed(value)) for i, (channel, value) in enumerate(r)]
            for t, r in expected.items()
        }
        tasks_in_order = [row["task_id"] for row in rows]
        assert tasks_in_order == sorted(tasks_in_order, key=tasks_in_order.index)  # grouped

    # -- threads, namespaces, versions ------------------------------------------------------
    @rule(thread=thread_ids)
    def delete_thread(self, thread: str) -> None:
        self.run(self.saver.delete_thread(thread))
        self.model.delete_thread(thread)

    @rule(thread=thread_ids, ns=namespaces)
    def delete_namespace(self, thread: str, ns: str) -> None:
        deleted = self.run(self.saver.delete_namespace(thread_id=thread, checkpoint_ns=ns))
        assert deleted is self.model.delete_namespace(thread, ns)

    @rule(thread=thread_ids, ns=namespaces, checkpoint=checkpoint_ids)
    def delete_checkpoint(self, thread: str, ns: str, checkpoint: str) -> None:
        deleted = self.run(
            self.saver.delete_checkpoint(
                thread_id=thread, checkpoint_id=checkpoint, checkpoint_ns=ns
            )
        )
        assert deleted is self.model.delete_checkpoint(thread, ns, checkpoint)

    @rule(source=thread_ids, dest=thread_ids, ns=st.none() | namespaces)
    def copy(self, source: str, dest: str, ns: str | None) -> None:
        call = (
            self.saver.copy_thread(source, dest)
            if ns is None
            else self.saver.copy_namespace(
                source_thread_id=source, dest_thread_id=dest, checkpoint_ns=ns
            )
        )
        if source == dest:
            self.refused(call, InvalidInputError)
            return
        try:
            expected = self.model.copy(source, dest, ns)
        except CopyRefused:
            self.refused(call, CheckpointExistsError)
            return
        assert self.run(call) is expected

    @rule(ns=namespaces, everything=st.booleans(), keep_last=st.integers(0, 3))
    def vacuum(self, ns: str, everything: bool, keep_last: int) -> None:
        days = 0 if everything else 1
        removed = self.run(
            self.saver.vacuum(older_than_days=days, keep_last=keep_last, checkpoint_ns=ns)
        )
        assert removed == (self.model.vacuum(ns, keep_last) if everything else 0)

    @rule(ns=namespaces, pattern=globs(), limit=st.integers(1, 10))
    def list_threads(self, ns: str, pattern: str, limit: int) -> None:
        listed = self.run(self.saver.list_threads(checkpoint_ns=ns, pattern=pattern, limit=limit))
        expected = {t for t in self.model.threads(ns) if glob_matches(pattern, t)}
        assert len(listed) == len(set(listed)) == min(limit, len(expected))
        assert set(listed) <= expected

    @rule(
        ns=namespaces,
        key=st.none() | st.sampled_from(QUERY_KEYS),
        value=meta_values,
    )
    def recent(self, ns: str, key: str | None, value: Any) -> None:
        wanted = None if key is None else {key: value}
        rows = self.run(self.saver.recent(checkpoint_ns=ns, limit=1000, metadata_filter=wanted))
        expected = [
            (thread, v)
            for thread, v in self.model.recent(ns)
            if wanted is None or filter_matches(v.metadata, wanted)
        ]
        assert sorted(
            (r["thread_id"], r["checkpoint_id"], r["parent_checkpoint_id"], typed(r["metadata"]))
            for r in rows
        ) == sorted((t, v.checkpoint_id, v.parent, typed(v.metadata)) for t, v in expected)
        created = {(t, v.checkpoint_id): v.created for t, v in expected}
        order = [created[(r["thread_id"], r["checkpoint_id"])] for r in rows]
        assert order == sorted(order, reverse=True)  # newest first; copies tie with originals


@pytest.mark.parametrize("backend", MODEL_BACKENDS)
def test_versioned_saver_with_writes_matches_its_model(
    backend: str, migrated: dict[str, tuple[Target, str]], machine_settings: settings
) -> None:
    target, prefix = migrated[backend]
    run_machine(SaverMachine, target, prefix, machine_settings)
