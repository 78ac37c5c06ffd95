"""Removing old checkpoints from every table of a store, in short transactions.

The same rules as ``store.latest().vacuum`` and ``store.versioned().vacuum``, run
over batches of threads so a large clean-up never holds one long transaction
(``locus-store vacuum``).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from locus_store.errors import InvalidInputError
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

_log = logging.getLogger(__name__)


@dataclass
class VacuumReport:
    """Rows removed (or, in a dry run, that would be)."""

    threads: int = 0
    checkpoints: int = 0
    writes: int = 0
    dry_run: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "threads": self.threads,
            "checkpoints": self.checkpoints,
            "writes": self.writes,
            "dry_run": self.dry_run,
        }

    def summary(self) -> str:
        """``1 single-row thread, 2 versions and 0 pending writes``."""
        return (
            f"{counted(self.threads, 'single-row thread')}, "
            f"{counted(self.checkpoints, 'version')} and {counted(self.writes, 'pending write')}"
        )


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

    The same rules as ``store.latest().vacuum`` and ``store.versioned().vacuum``, run in
    short transactions of `THREADS_PER_VACUUM` threads each; ``progress(done, total)``
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
    single = {"cutoff": cutoff, "now": now}

    def lineage(ns: str) -> dict[str, Any]:
        return {Bind.NS: ns, Bind.CUTOFF: cutoff, Bind.KEEP_LAST: keep_last}

    async def plan(conn: AsyncConnection) -> tuple[list[str], list[str], dict[str, list[str]]]:
        namespaces = [r[0] for r in await conn.execute(sql.namespaces)]
        threads = [r[0] for r in await conn.execute(sql.candidate_threads, single)]
        lineages = {
            ns: [r[0] for r in await conn.execute(sql.candidate_lineages, lineage(ns))]
            for ns in namespaces
        }
        return namespaces, threads, lineages

    namespaces, threads, lineages = await store.run(plan)
    report = VacuumReport(dry_run=dry_run)
    if dry_run:

        async def count(conn: AsyncConnection) -> None:
            report.threads = int((await conn.execute(sql.count_threads, single)).scalar_one())
            for ns in namespaces:
                params = lineage(ns)
                report.checkpoints += int(
                    (await conn.execute(sql.count_checkpoints, params)).scalar_one()
                )
                report.writes += int((await conn.execute(sql.count_writes, params)).scalar_one())

        await store.run(count)
        _log.info("vacuum dry run would remove %s", report.summary())
        return report

    batches: list[tuple[str | None, list[str]]] = [
        (None, b) for b in in_batches(threads, THREADS_PER_VACUUM)
    ]
    for ns in namespaces:
        batches.extend((ns, b) for b in in_batches(lineages[ns], THREADS_PER_VACUUM))
    total = sum(len(b) for _, b in batches)
    done = 0
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
        done += len(batch)
        if progress is not None:
            progress(done, total)
    _log.info("vacuum removed %s", report.summary())
    return report
