"""Which LangGraph checkpoints a prune keeps, and removing the rest (no LangGraph import).

One rule for ``saver.aprune(strategy="keep_latest")`` (the newest checkpoint of each
namespace) and ``vacuum(keep_last=N)`` (the N newest, and any checkpoint holding a
pending interrupt): a kept checkpoint keeps what reading it needs,

- the ancestors its delta channels are rebuilt from, back to each one's last snapshot
  (``counters_since_delta_snapshot`` names them);
- its whole line when its namespace is marked ``delta_writes_versioned`` without the
  counters (LangGraph.js): which ancestors a value comes from is then unknown;
- every channel value version it references.

A subgraph call's namespace is kept only while the root checkpoint its call started
from is (see `_drop_finished_calls`): pruning bounds the storage of threads that call
subgraphs, and an interrupted subgraph stays resumable.

The rest goes with its writes; a kept checkpoint whose parent went becomes a root, so
no ``parent_config`` names a missing checkpoint. Versions are read from the
``channel_versions`` column, so no serializer (and no LangGraph) is needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from locus_store.langgraph.statements import EMPTY, KEYS_PER_STATEMENT, LangGraphStatements
from locus_store.schema.types import EMPTY_STRING_SENTINEL
from locus_store.sql.statements import chunks

#: (thread_id, checkpoint_ns, checkpoint_id)
CheckpointKey = tuple[str, str, str]
#: (thread_id, checkpoint_ns, channel, version)
BlobKey = tuple[str, str, str, str]
#: A checkpoint row: thread, ns, id, parent, type, body, metadata, channel_versions.
AnyRow = Row[*tuple[Any, ...]]

#: Metadata key that names a graph's delta channels (LangGraph's ``DeltaChannel``).
DELTA_COUNTERS = "counters_since_delta_snapshot"


@dataclass
class Removed:
    """LangGraph rows a prune removed (or, in a dry run, would remove)."""

    checkpoints: int = 0
    writes: int = 0
    values: int = 0


async def keep_newest(
    conn: AsyncConnection,
    sql: LangGraphStatements,
    thread_ids: Sequence[str],
    *,
    keep: int = 1,
    keep_interrupted: bool = False,
    dry_run: bool = False,
) -> Removed:
    """Keep the ``keep`` newest checkpoints of each namespace of ``thread_ids`` (and,
    with ``keep_interrupted``, every checkpoint whose interrupt is still pending) with
    what they need; remove the rest. ``dry_run`` counts and changes nothing."""
    parents: dict[CheckpointKey, str | None] = {}
    for row in await conn.execute(sql.select_lineage, {"thread_ids": list(thread_ids)}):
        parents[(row[0], row[1], row[2])] = row[3]
    groups: dict[tuple[str, str], list[CheckpointKey]] = {}
    for key in parents:
        groups.setdefault((key[0], key[1]), []).append(key)
    heads = [k for keys in groups.values() for k in sorted(keys, reverse=True)[:keep]]
    waiting = await _pending_interrupts(conn, sql, thread_ids, parents)
    if keep_interrupted:
        heads.extend(sorted(waiting - set(heads)))
    kept = await _rows_by_key(conn, sql, heads)
    _drop_finished_calls(kept, waiting)
    marked = {
        (row[0], row[1])
        for row in await conn.execute(sql.select_delta_marked, {"thread_ids": list(thread_ids)})
    }
    for key in list(kept):
        if (key[0], key[1]) in marked and not kept[key][6].get(DELTA_COUNTERS):
            await _keep_line(conn, sql, kept, key, parents)
        else:
            await _keep_delta_ancestors(conn, sql, kept, key, parents)
    doomed = sorted(set(parents) - set(kept))
    stored: set[BlobKey] = set()
    for chunk in chunks(sorted(groups), KEYS_PER_STATEMENT):
        result = await conn.execute(*sql.group_blob_keys(chunk))
        stored.update((r[0], r[1], r[2], r[3]) for r in result)
    unused = stored - set().union(*(referenced(row) for row in kept.values()))
    if dry_run:
        removed = Removed(checkpoints=len(doomed), values=len(unused))
        for some in chunks(doomed, KEYS_PER_STATEMENT):
            count, params = sql.count_writes(some)
            assert isinstance(count, Select)
            removed.writes += int((await conn.execute(count, params)).scalar_one())
        return removed
    removed = await delete_checkpoints(conn, sql, doomed)
    doomed_set = set(doomed)
    orphans = sorted(k for k in kept if (k[0], k[1], parents.get(k)) in doomed_set)
    for some in chunks(orphans, KEYS_PER_STATEMENT):
        await conn.execute(*sql.clear_parents(some))
    removed.values = await delete_values(conn, sql, unused)
    return removed


def _drop_finished_calls(kept: dict[CheckpointKey, AnyRow], waiting: set[CheckpointKey]) -> None:
    """Forget the kept heads of subgraph calls that started from a root checkpoint which
    is not kept: the call finished and its parent moved on, so nothing reads them again.

    A subgraph checkpoint names the root checkpoint its call started from in its
    metadata (``parents[""]``, LangGraph's ``CONFIG_KEY_CHECKPOINT_MAP``). A call still
    running or interrupted has its parent graph waiting at that very checkpoint (the
    newest root one), so it stays, resumable; so does one holding a pending interrupt.
    A checkpoint without that metadata (written by hand, or by another client) is kept.
    """
    roots = {key for key in kept if key[1] == ""}
    for key in [k for k in kept if k[1] != "" and k not in waiting]:
        parents = kept[key][6].get("parents") if isinstance(kept[key][6], dict) else None
        started = parents.get("") if isinstance(parents, dict) else None
        if isinstance(started, str) and (key[0], "", started) not in roots:
            del kept[key]


async def _pending_interrupts(
    conn: AsyncConnection,
    sql: LangGraphStatements,
    thread_ids: Sequence[str],
    parents: dict[CheckpointKey, str | None],
) -> set[CheckpointKey]:
    """Checkpoints holding interrupt writes and no child yet: a graph waits to resume there."""
    resumed = {(k[0], k[1], p) for k, p in parents.items() if p}
    interrupted = await conn.execute(sql.select_interrupted, {"thread_ids": list(thread_ids)})
    return {
        key
        for key in ((r[0], r[1], r[2]) for r in interrupted)
        if key in parents and key not in resumed
    }


async def _keep_delta_ancestors(
    conn: AsyncConnection,
    sql: LangGraphStatements,
    kept: dict[CheckpointKey, AnyRow],
    key: CheckpointKey,
    parents: dict[CheckpointKey, str | None],
) -> None:
    """Also keep the ancestors a delta channel is rebuilt from, up to its last snapshot."""
    newest = kept[key]
    delta = set(newest[6].get(DELTA_COUNTERS) or ())
    row: AnyRow | None = newest
    walked: set[str] = set()
    while delta and row is not None and row[2] not in walked:  # bounded: no lap twice
        walked.add(row[2])
        versions = channel_versions(row)
        probe = [(row[0], row[1], c, versions[c]) for c in delta if c in versions]
        stored = (await conn.execute(*sql.blob_types(probe))).all() if probe else []
        delta -= {r[2] for r in stored if r[4] != EMPTY}
        parent_id = parents.get((row[0], row[1], row[2]))
        parent = (row[0], row[1], parent_id) if parent_id else None
        if not delta or parent is None or parent not in parents:
            return
        row = kept.get(parent) or (await _rows_by_key(conn, sql, [parent])).get(parent)
        if row is not None:
            kept[parent] = row


async def _keep_line(
    conn: AsyncConnection,
    sql: LangGraphStatements,
    kept: dict[CheckpointKey, AnyRow],
    key: CheckpointKey,
    parents: dict[CheckpointKey, str | None],
) -> None:
    """Also keep every ancestor of ``key`` (each once, so a cycle cannot loop)."""
    line: list[CheckpointKey] = []
    current: CheckpointKey | None = key
    while current is not None and current in parents and current not in line:
        line.append(current)
        parent_id = parents[current]
        current = (key[0], key[1], parent_id) if parent_id else None
    kept.update(await _rows_by_key(conn, sql, [k for k in line if k not in kept]))


async def _rows_by_key(
    conn: AsyncConnection, sql: LangGraphStatements, keys: Sequence[CheckpointKey]
) -> dict[CheckpointKey, AnyRow]:
    rows: dict[CheckpointKey, AnyRow] = {}
    for chunk in chunks(keys, KEYS_PER_STATEMENT):
        for row in await conn.execute(*sql.checkpoints_by_key(chunk)):
            rows[(row[0], row[1], row[2])] = row
    return rows


async def delete_checkpoints(
    conn: AsyncConnection, sql: LangGraphStatements, keys: Sequence[CheckpointKey]
) -> Removed:
    """Delete these checkpoints and their writes."""
    removed = Removed()
    for chunk in chunks(keys, KEYS_PER_STATEMENT):
        removed.writes += (await conn.execute(*sql.delete_writes(chunk))).rowcount
        removed.checkpoints += (await conn.execute(*sql.delete_checkpoints(chunk))).rowcount
    return removed


async def delete_values(conn: AsyncConnection, sql: LangGraphStatements, keys: set[BlobKey]) -> int:
    """Delete these channel value versions; the number removed."""
    count = 0
    for chunk in chunks(sorted(keys), KEYS_PER_STATEMENT):
        count += (await conn.execute(*sql.delete_blobs(chunk))).rowcount
    return count


def channel_versions(row: AnyRow) -> dict[str, str]:
    """Channel -> version of a checkpoint row, from its ``channel_versions`` column."""
    return {("" if c == EMPTY_STRING_SENTINEL else c): str(v) for c, v in row[7]}


def referenced(row: AnyRow) -> set[BlobKey]:
    """The channel value versions a checkpoint row references."""
    return {(row[0], row[1], c, v) for c, v in channel_versions(row).items()}
