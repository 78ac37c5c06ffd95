"""Removing old checkpoints (and expired memory items) from every table of a store, in
short transactions.

The same rules as ``store.latest().vacuum`` and ``store.versioned().vacuum``, and for
the LangGraph tables whole idle or expired threads and ``keep_last`` pruning (the
saver's own keep rule, `locus_store.langgraph.retention`), run over batches of threads
so a large clean-up never holds one long transaction (``store.vacuum()``,
``locus-store vacuum``; expired LangGraph threads alone: `sweep_expired_langgraph`).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from sqlalchemy import Delete, Select

from locus_store.errors import InvalidInputError
from locus_store.langgraph.retention import keep_newest
from locus_store.langgraph.statements import LangGraphStatements
from locus_store.ops.statements import VacuumStatements
from locus_store.ops.threads import Progress, in_batches
from locus_store.ops.threads import count as counted
from locus_store.timestamps import utcnow
from locus_store.validation import require_non_negative_number
from locus_store.versioned.statements import Bind

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

    from locus_store.store import Store

#: Threads whose old rows one transaction deletes. Ids only are held (no documents), so
#: the batch is larger than a transfer's; it stays well under Oracle's 1000 per ``IN``.
THREADS_PER_VACUUM = 200
#: LangGraph threads pruned to their newest checkpoints per transaction: each reads its
#: whole lineage and walks the delta channels of what it keeps, so fewer at a time.
LANGGRAPH_THREADS_PER_PRUNE = 50

_log = logging.getLogger(__name__)


@dataclass
class VacuumReport:
    """Rows removed (or, in a dry run, that would be), per table."""

    threads: int = 0
    checkpoints: int = 0
    writes: int = 0
    #: LangGraph threads removed whole (idle since the cutoff, or expired).
    langgraph_threads: int = 0
    #: Rows of the LangGraph tables: checkpoints, pending writes, channel values.
    langgraph_checkpoints: int = 0
    langgraph_writes: int = 0
    langgraph_values: int = 0
    #: Long-term memory: expired items, and vectors of older values or deleted items.
    memory_items: int = 0
    memory_vectors: int = 0
    dry_run: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "threads": self.threads,
            "checkpoints": self.checkpoints,
            "writes": self.writes,
            "langgraph_threads": self.langgraph_threads,
            "langgraph_checkpoints": self.langgraph_checkpoints,
            "langgraph_writes": self.langgraph_writes,
            "langgraph_values": self.langgraph_values,
            "memory_items": self.memory_items,
            "memory_vectors": self.memory_vectors,
            "dry_run": self.dry_run,
        }

    def summary(self) -> str:
        """``1 single-row thread, 2 versions and 0 pending writes``, then the LangGraph
        rows when there are any (``; LangGraph: 3 checkpoints (1 whole thread), ...``)."""
        locus = (
            f"{counted(self.threads, 'single-row thread')}, "
            f"{counted(self.checkpoints, 'version')} and {counted(self.writes, 'pending write')}"
        )
        text = locus
        if self.langgraph_checkpoints or self.langgraph_writes or self.langgraph_values:
            text += (
                f"; LangGraph: {counted(self.langgraph_checkpoints, 'checkpoint')} "
                f"({counted(self.langgraph_threads, 'whole thread')}), "
                f"{counted(self.langgraph_writes, 'pending write')} and "
                f"{counted(self.langgraph_values, 'channel value')}"
            )
        if self.memory_items or self.memory_vectors:
            text += (
                f"; memory: {counted(self.memory_items, 'expired item')} and "
                f"{counted(self.memory_vectors, 'stale vector')}"
            )
        return text


@dataclass
class _Plan:
    """The threads each rule may remove rows of (checked again when they are removed)."""

    namespaces: list[str]
    threads: list[str]
    lineages: dict[str, list[str]]
    idle: list[str]
    expired: list[str]
    crowded: list[str]


#: One batch's work in a transaction, given the connection; and the batch's size.
_Job = tuple[Callable[["AsyncConnection"], Awaitable[None]], int]


@dataclass(frozen=True)
class _WholeThreads:
    """A rule that removes LangGraph threads whole: which threads of a batch it still
    holds for, and their rows counted, or deleted (see `VacuumStatements`)."""

    of: Select[Any]
    count: dict[str, Select[Any]]
    delete: dict[str, Delete]

    @classmethod
    def idle(cls, sql: VacuumStatements) -> _WholeThreads:
        return cls(sql.idle_langgraph_of, sql.count_idle_langgraph, sql.idle_langgraph)

    @classmethod
    def expired(cls, sql: VacuumStatements) -> _WholeThreads:
        return cls(sql.expired_langgraph_of, sql.count_expired_langgraph, sql.expired_langgraph)


async def _remove_whole(
    conn: AsyncConnection,
    *,
    store: Store,
    rule: _WholeThreads,
    params: dict[str, Any],
    report: VacuumReport,
) -> None:
    """Remove (in a dry run, count) the threads of ``params["threads"]`` ``rule`` holds for."""
    report.langgraph_threads += len((await conn.execute(rule.of, params)).all())
    if report.dry_run:
        counts = {
            name: int((await conn.execute(statement, params)).scalar_one())
            for name, statement in rule.count.items()
        }
    else:
        counts = {
            name: (await conn.execute(statement, params)).rowcount
            for name, statement in rule.delete.items()
        }
    schema = store.schema
    report.langgraph_writes += counts[schema.lg_writes.name]
    report.langgraph_values += counts[schema.lg_blobs.name]
    report.langgraph_checkpoints += counts[schema.lg_checkpoints.name]


def _whole_thread_jobs(
    store: Store,
    rule: _WholeThreads,
    threads: list[str],
    params: dict[str, Any],
    report: VacuumReport,
) -> list[_Job]:
    return [
        (
            partial(
                _remove_whole,
                store=store,
                rule=rule,
                params={**params, "threads": batch},
                report=report,
            ),
            len(batch),
        )
        for batch in in_batches(threads, THREADS_PER_VACUUM)
    ]


async def sweep_expired_langgraph(store: Store, *, dry_run: bool = False) -> VacuumReport:
    """Remove the LangGraph threads every checkpoint of which has expired (a saver's
    ``ttl``), whole, in short transactions; ``dry_run`` counts instead. What
    ``saver.asweep_ttl()`` runs, and every `vacuum` too."""
    sql = VacuumStatements.of(store.table_prefix, store.dialect_name)
    params = {"now": utcnow()}

    async def plan(conn: AsyncConnection) -> list[str]:
        return sorted({r[0] for r in await conn.execute(sql.expired_langgraph_threads, params)})

    report = VacuumReport(dry_run=dry_run)
    expired = await store.run(plan)
    for job, _ in _whole_thread_jobs(store, _WholeThreads.expired(sql), expired, params, report):
        await store.run(job, atomic=not dry_run)
    if report.langgraph_threads:
        _log.info("TTL sweep removed %s", report.summary())
    return report


async def vacuum(
    store: Store,
    *,
    older_than_days: float,
    keep_last: int = 0,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> VacuumReport:
    """Remove single-row threads not saved for ``older_than_days`` (and expired ones), and
    versions older than that in every namespace but each lineage's newest ``keep_last``.

    LangGraph tables: a thread whose newest checkpoint (in any namespace) is older than
    the cutoff goes whole, pending interrupt or not (the interrupt is that old too), and
    so does a thread every checkpoint of which has expired (a saver's ``ttl``), whatever
    the cutoff; with ``keep_last`` > 0, every other thread keeps, per namespace, its ``keep_last``
    newest checkpoints, those holding a pending interrupt, and what they need (delta
    ancestors, channel values; see `locus_store.langgraph.retention`), whatever their
    age, and loses the rest with their writes and values.

    Run in short transactions of `THREADS_PER_VACUUM` threads each
    (`LANGGRAPH_THREADS_PER_PRUNE` for LangGraph pruning); ``progress(done, total)``
    is called after each. ``dry_run`` counts instead of deleting.
    """
    days = require_non_negative_number(older_than_days, "older_than_days")
    if isinstance(keep_last, bool) or not isinstance(keep_last, int) or keep_last < 0:
        raise InvalidInputError(f"keep_last must be an int >= 0, not {keep_last!r}")
    now = utcnow()
    try:
        cutoff = now - dt.timedelta(days=days)
    except OverflowError:
        raise InvalidInputError(f"older_than_days {older_than_days} is too large") from None
    sql = VacuumStatements.of(store.table_prefix, store.dialect_name)
    langgraph = LangGraphStatements.of(store.table_prefix, store.dialect_name)
    single = {"cutoff": cutoff, "now": now}

    def lineage(ns: str) -> dict[str, Any]:
        return {Bind.NS: ns, Bind.CUTOFF: cutoff, Bind.KEEP_LAST: keep_last}

    async def plan(conn: AsyncConnection) -> _Plan:
        namespaces = [r[0] for r in await conn.execute(sql.namespaces)]
        idle = sorted({r[0] for r in await conn.execute(sql.idle_langgraph_threads, single)})
        expired = {r[0] for r in await conn.execute(sql.expired_langgraph_threads, single)}
        crowded: set[str] = set()
        if keep_last > 0:
            params = {Bind.KEEP_LAST: keep_last}
            crowded = {r[0] for r in await conn.execute(sql.crowded_langgraph_threads, params)}
        return _Plan(
            namespaces=namespaces,
            threads=[r[0] for r in await conn.execute(sql.candidate_threads, single)],
            lineages={
                ns: [r[0] for r in await conn.execute(sql.candidate_lineages, lineage(ns))]
                for ns in namespaces
            },
            idle=idle,
            expired=sorted(expired - set(idle)),
            crowded=sorted(crowded - set(idle) - expired),
        )

    found = await store.run(plan)
    report = VacuumReport(dry_run=dry_run)

    async def prune(conn: AsyncConnection, batch: list[str]) -> None:
        removed = await keep_newest(
            conn, langgraph, batch, keep=keep_last, keep_interrupted=True, dry_run=dry_run
        )
        report.langgraph_checkpoints += removed.checkpoints
        report.langgraph_writes += removed.writes
        report.langgraph_values += removed.values

    langgraph_jobs = _whole_thread_jobs(store, _WholeThreads.idle(sql), found.idle, single, report)
    langgraph_jobs += _whole_thread_jobs(
        store, _WholeThreads.expired(sql), found.expired, single, report
    )
    langgraph_jobs.extend(
        (partial(prune, batch=b), len(b))
        for b in in_batches(found.crowded, LANGGRAPH_THREADS_PER_PRUNE)
    )
    if dry_run:

        async def count(conn: AsyncConnection) -> None:
            report.threads = int((await conn.execute(sql.count_threads, single)).scalar_one())
            for ns in found.namespaces:
                params = lineage(ns)
                report.checkpoints += int(
                    (await conn.execute(sql.count_checkpoints, params)).scalar_one()
                )
                report.writes += int((await conn.execute(sql.count_writes, params)).scalar_one())

        await store.run(count)
        for job, _ in langgraph_jobs:
            await store.run(job)
        await _sweep_memory(store, report)
        _log.info("vacuum dry run would remove %s", report.summary())
        return report

    batches: list[tuple[str | None, list[str]]] = [
        (None, b) for b in in_batches(found.threads, THREADS_PER_VACUUM)
    ]
    for ns in found.namespaces:
        batches.extend((ns, b) for b in in_batches(found.lineages[ns], THREADS_PER_VACUUM))
    total = sum(len(b) for _, b in batches) + sum(size for _, size in langgraph_jobs)
    done = 0

    def advanced(size: int) -> None:
        nonlocal done
        done += size
        if progress is not None:
            progress(done, total)

    for namespace, batch in batches:

        async def work(
            conn: AsyncConnection, ns: str | None = namespace, batch: list[str] = batch
        ) -> None:
            if ns is None:
                result = await conn.execute(sql.threads, {**single, "threads": batch})
                report.threads += result.rowcount
                return
            params = {**lineage(ns), "threads": batch}
            report.writes += (await conn.execute(sql.writes, params)).rowcount
            report.checkpoints += (await conn.execute(sql.checkpoints, params)).rowcount
            await conn.execute(sql.reroot, params)  # after the delete: orphans become roots

        await store.run(work, atomic=True)
        advanced(len(batch))
    for job, size in langgraph_jobs:
        await store.run(job, atomic=True)
        advanced(size)
    await _sweep_memory(store, report)
    _log.info("vacuum removed %s", report.summary())
    return report


async def _sweep_memory(store: Store, report: VacuumReport) -> None:
    """Expired memory items go whatever ``older_than_days`` says: they are already invisible."""
    from locus_store.memory.items import MemoryItems

    swept = await MemoryItems(store).sweep(dry_run=report.dry_run)
    report.memory_items += swept.items
    report.memory_vectors += swept.vectors
