"""An in-memory model of the versioned saver's contract: lineages, writes, splices, vacuum.

A lineage is the list of versions of one (thread, namespace), oldest first, in the
order of their positions. ``created`` is a counter standing for ``created_at``:
copies keep it, so copies tie with their originals in every ordering by time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

Key = tuple[str, str]  # (thread, namespace)
WriteKey = tuple[str, str, str]  # (thread, namespace, checkpoint)


@dataclass(frozen=True)
class Version:
    checkpoint_id: str
    parent: str | None
    data: Any
    metadata: dict[str, Any]
    created: int


class CopyRefused(Exception):
    """The destination of a copy already holds checkpoints (or clashing writes)."""


@dataclass
class LineageModel:
    lineages: dict[Key, list[Version]] = field(default_factory=dict)
    writes: dict[WriteKey, dict[str, list[tuple[str, Any]]]] = field(default_factory=dict)
    clock: int = 0

    def tick(self) -> int:
        self.clock += 1
        return self.clock

    def lineage(self, thread: str, ns: str) -> list[Version]:
        return self.lineages.get((thread, ns), [])

    def ids(self, thread: str, ns: str) -> list[str]:
        return [v.checkpoint_id for v in self.lineage(thread, ns)]

    def find(self, thread: str, ns: str, checkpoint_id: str | None) -> Version | None:
        versions = self.lineage(thread, ns)
        if checkpoint_id is None:
            return versions[-1] if versions else None
        return next((v for v in versions if v.checkpoint_id == checkpoint_id), None)

    def add(self, thread: str, ns: str, version: Version) -> None:
        self.lineages.setdefault((thread, ns), []).append(version)

    # -- operations ---------------------------------------------------------------------
    def newest_first(self, thread: str, ns: str) -> list[Version]:
        return list(reversed(self.lineage(thread, ns)))

    def before(self, thread: str, ns: str, checkpoint_id: str) -> list[Version]:
        ids = self.ids(thread, ns)
        if checkpoint_id not in ids:
            return []
        return list(reversed(self.lineage(thread, ns)[: ids.index(checkpoint_id)]))

    def delete_checkpoint(self, thread: str, ns: str, checkpoint_id: str) -> bool:
        gone = self.find(thread, ns, checkpoint_id)
        if gone is None:
            return False
        self.lineages[(thread, ns)] = [
            replace(v, parent=gone.parent) if v.parent == checkpoint_id else v
            for v in self.lineage(thread, ns)
            if v.checkpoint_id != checkpoint_id
        ]
        self.writes.pop((thread, ns, checkpoint_id), None)
        return True

    def delete_namespace(self, thread: str, ns: str) -> bool:
        had = bool(self.lineages.pop((thread, ns), []))
        for key in [k for k in self.writes if k[:2] == (thread, ns)]:
            del self.writes[key]
        return had

    def put_writes(self, key: WriteKey, task: str, rows: list[tuple[str, Any]]) -> None:
        tasks = self.writes.setdefault(key, {})
        if rows:
            tasks[task] = list(rows)
        else:
            tasks.pop(task, None)
        if not tasks:
            del self.writes[key]

    def delete_thread(self, thread: str) -> None:
        for key in [k for k in self.lineages if k[0] == thread]:
            del self.lineages[key]
        for wkey in [k for k in self.writes if k[0] == thread]:
            del self.writes[wkey]

    def copy(self, source: str, dest: str, ns: str | None) -> bool:
        """Copy every namespace (``ns`` None) or one; False when the source has none."""

        def chosen(key_ns: str) -> bool:
            return ns is None or key_ns == ns

        if not any(k[0] == source and chosen(k[1]) and v for k, v in self.lineages.items()):
            return False
        if any(k[0] == dest and chosen(k[1]) and v for k, v in self.lineages.items()):
            raise CopyRefused
        copied_writes = {
            (dest, k[1], k[2]): tasks
            for k, tasks in self.writes.items()
            if k[0] == source and chosen(k[1])
        }
        for wkey, tasks in copied_writes.items():
            if set(tasks) & set(self.writes.get(wkey, {})):
                raise CopyRefused  # the same (task, idx 0) twice: the insert fails, rolls back
        for key, versions in list(self.lineages.items()):
            if key[0] == source and chosen(key[1]) and versions:
                self.lineages[(dest, key[1])] = list(versions)
        for wkey, tasks in copied_writes.items():
            self.writes.setdefault(wkey, {}).update({t: list(r) for t, r in tasks.items()})
        return True

    def vacuum(self, ns: str, keep_last: int) -> int:
        """Everything is older than a zero-day window: keep each lineage's newest ``keep_last``."""
        removed = 0
        for (thread, key_ns), versions in list(self.lineages.items()):
            if key_ns != ns:
                continue
            keep = versions[max(len(versions) - keep_last, 0) :] if keep_last else []
            gone = {v.checkpoint_id for v in versions} - {v.checkpoint_id for v in keep}
            removed += len(gone)
            self.lineages[(thread, key_ns)] = [
                replace(v, parent=None) if v.parent in gone else v for v in keep
            ]
            for checkpoint_id in gone:
                self.writes.pop((thread, key_ns, checkpoint_id), None)
        return removed

    def threads(self, ns: str) -> set[str]:
        return {k[0] for k, v in self.lineages.items() if k[1] == ns and v}

    def recent(self, ns: str) -> list[tuple[str, Version]]:
        rows = [(k[0], v) for k, vs in self.lineages.items() if k[1] == ns for v in vs]
        return sorted(rows, key=lambda row: -row[1].created)


def typed(value: Any) -> str:
    """JSON text that tells ``1``, ``1.0`` and ``true`` apart, whatever the key order."""
    return json.dumps(value, sort_keys=True)
