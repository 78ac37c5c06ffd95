"""``OracleCheckpointSaver``'s ``<name>_checkpoints`` and ``<name>_writes``, imported.

Rows go to the versioned tables as they are, every namespace included, ordered by
``created_at`` within each (thread, namespace) and, on ties, by their parent links.
"""

from __future__ import annotations

import datetime as dt
import heapq
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, select

from locus_store.ops.from_locus.common import (
    LocusImportReport,
    batches,
    check_conflicts,
    saver_tables,
    utc,
    write_rows,
)
from locus_store.ops.threads import Progress, in_threads
from locus_store.timestamps import utcnow
from locus_store.validation import require_json, require_key, require_metadata

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

    from locus_store.store import Store


def _write_value(raw: str | None) -> Any:
    """A pending write's value as the saver reads it back: JSON when it parses, else the text."""
    if raw is None or not raw:
        return None
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


def lineage_order(rows: Sequence[Any]) -> list[Any]:
    """Checkpoint rows oldest first (``created_at``, then id), each parent before its children.

    The saver stamps ``created_at`` with the server clock, so rows saved within one
    clock tick tie; their parent links decide.
    """
    earliest = dt.datetime.min.replace(tzinfo=dt.UTC)
    ordered = sorted(rows, key=lambda r: (r.created_at or earliest, r.checkpoint_id))
    position = {row.checkpoint_id: i for i, row in enumerate(ordered)}
    children: dict[str, list[int]] = {}
    ready = []
    for i, row in enumerate(ordered):
        parent = row.parent_checkpoint_id
        if parent in position and parent != row.checkpoint_id:
            children.setdefault(parent, []).append(i)
        else:
            ready.append(i)
    heapq.heapify(ready)
    result: list[Any] = []
    while ready:
        row = ordered[heapq.heappop(ready)]
        result.append(row)
        for child in children.get(row.checkpoint_id, ()):
            heapq.heappush(ready, child)
    placed = {row.checkpoint_id for row in result}
    return result + [row for row in ordered if row.checkpoint_id not in placed]


async def import_saver(
    target: Store,
    source: Store,
    table_name: str,
    *,
    on_conflict: str = "fail",
    progress: Progress | None = None,
) -> LocusImportReport:
    """Import the checkpoints and writes of ``OracleCheckpointSaver(table_name=...)``."""
    source_cp, source_wr = saver_tables(table_name)
    dialect = source.dialect_name
    read_checkpoints = select(
        source_cp.c.thread_id,
        source_cp.c.checkpoint_ns,
        source_cp.c.checkpoint_id,
        source_cp.c.parent_checkpoint_id,
        source_cp.c.checkpoint_data,
        source_cp.c["metadata"],
        utc(source_cp.c.created_at, dialect),
    ).where(in_threads(source_cp))
    read_writes = select(source_wr).where(in_threads(source_wr))

    async def ids(conn: AsyncConnection) -> list[str]:
        found: set[str] = set()
        for table in (source_cp, source_wr):
            found.update(r[0] for r in await conn.execute(select(table.c.thread_id).distinct()))
        return sorted(found)

    threads = await source.run(ids)
    schema = target.schema
    tables = [schema.checkpoints, schema.writes]
    existing = await check_conflicts(target, tables, threads, on_conflict)
    report = LocusImportReport()
    for batch, done in batches(threads, existing, on_conflict, report):

        async def fetch(conn: AsyncConnection, batch: list[str] = batch) -> tuple[Any, Any]:
            params = {"threads": batch}
            return (
                list(await conn.execute(read_checkpoints, params)),
                list(await conn.execute(read_writes, params)),
            )

        checkpoints, writes = await source.run(fetch) if batch else ([], [])
        rows: dict[Table, list[dict[str, Any]]] = {schema.checkpoints: [], schema.writes: []}
        lineages: dict[tuple[str, str], list[Any]] = {}
        for row in checkpoints:
            lineages.setdefault((row.thread_id, row.checkpoint_ns), []).append(row)
        bad: set[str] = set()
        for (thread, ns), lineage in lineages.items():
            lineage = lineage_order(lineage)
            try:
                for seq, row in enumerate(lineage, start=1):
                    rows[schema.checkpoints].append(
                        {
                            "thread_id": require_key(thread, "thread_id"),
                            "checkpoint_ns": require_key(ns, "checkpoint_ns", allow_empty=True),
                            "checkpoint_id": require_key(row.checkpoint_id, "checkpoint_id"),
                            "seq": seq,
                            "parent_checkpoint_id": row.parent_checkpoint_id,
                            "checkpoint": require_json(row.checkpoint_data or {}, "checkpoint"),
                            "metadata": require_metadata(row.metadata) or {},
                            "created_at": row.created_at or utcnow(),
                        }
                    )
            except (TypeError, ValueError) as exc:
                report.problems.append(f"{thread}: {exc}")
                bad.add(thread)
        for row in writes:
            try:
                rows[schema.writes].append(
                    {
                        "thread_id": row.thread_id,
                        "checkpoint_ns": require_key(
                            row.checkpoint_ns, "checkpoint_ns", allow_empty=True
                        ),
                        "checkpoint_id": require_key(row.checkpoint_id, "checkpoint_id"),
                        "task_id": require_key(row.task_id, "task_id"),
                        "idx": int(row.idx),
                        "channel": require_key(row.channel, "channel", allow_empty=True),
                        "value": require_json(_write_value(row.value), "value"),
                    }
                )
            except (TypeError, ValueError) as exc:
                report.problems.append(f"{row.thread_id}: {exc}")
                bad.add(row.thread_id)
        for table_rows in rows.values():
            table_rows[:] = [r for r in table_rows if r["thread_id"] not in bad]
        written = [t for t in batch if t not in bad]
        replace = [t for t in written if t in existing] if on_conflict == "replace" else []
        await write_rows(target, rows, replace)
        report.replaced.extend(replace)
        report.threads += len(written)
        report.checkpoints += len(rows[schema.checkpoints])
        report.writes += len(rows[schema.writes])
        if progress is not None:
            progress(done, len(threads))
    return report
