"""Erasing a thread everywhere it lives, in one transaction, with a report of what went.

A thread's rows live in six tables: the single-row thread, the versioned checkpoints and
their writes, and the LangGraph checkpoints, writes and channel values. `erase_thread`
deletes all of them in one transaction and returns an `ErasureReport` of the rows
removed per table; ``dry_run=True`` counts them instead and deletes nothing.

Checkpoint tables are emptied before their writes tables: a writer that adds a write
inside its own transaction then either commits before the erasure's delete of the
writes (which removes it) or finds its checkpoint gone.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Self

from sqlalchemy import Delete, Select, bindparam, delete, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from locus_store.schema.tables import Schema
from locus_store.sql.statements import Dialect, StatementSet, bound
from locus_store.validation import require_key

if TYPE_CHECKING:
    from sqlalchemy.sql import ClauseElement

    from locus_store.store import Store

_log = logging.getLogger("locus_store")

#: The tables a thread lives in, in the order they are emptied: each report field and
#: the ``Schema`` property of its table.
TABLES = (
    ("threads", "threads"),
    ("checkpoints", "checkpoints"),
    ("writes", "writes"),
    ("langgraph_checkpoints", "lg_checkpoints"),
    ("langgraph_writes", "lg_writes"),
    ("langgraph_blobs", "lg_blobs"),
)

#: The tables whose rows point at a parent row: emptied until nothing is left.
_LINEAGES = frozenset({"checkpoints", "langgraph_checkpoints"})


@dataclass(frozen=True)
class ErasureReport:
    """Rows of one thread removed (or, for a dry run, that would be) per table."""

    threads: int = 0
    checkpoints: int = 0
    writes: int = 0
    langgraph_checkpoints: int = 0
    langgraph_writes: int = 0
    langgraph_blobs: int = 0

    @property
    def total(self) -> int:
        return sum(getattr(self, f.name) for f in fields(self))

    def __bool__(self) -> bool:
        """Whether any row was (or would be) removed: false for an unknown thread."""
        return self.total > 0

    def as_dict(self) -> dict[str, int]:
        return {**asdict(self), "total": self.total}


@dataclass(frozen=True)
class ErasureStatements(StatementSet):
    """One delete and one count per table, by report field, in erasure order."""

    deletes: dict[str, Delete]
    counts: dict[str, Select[int]]

    @classmethod
    def build(cls, schema: Schema, dialect: Dialect) -> Self:
        """The same statements on every dialect."""
        deletes: dict[str, Delete] = {}
        counts: dict[str, Select[int]] = {}
        for field, table_name in TABLES:
            table = getattr(schema, table_name)
            of_thread = table.c.thread_id == bindparam("thread_id")
            deletes[field] = delete(table).where(of_thread)
            counts[field] = select(func.count()).select_from(table).where(of_thread)
        return cls(deletes, counts)

    def review(self) -> dict[str, ClauseElement]:
        found: dict[str, ClauseElement] = {}
        for field in self.deletes:
            found[f"delete_{field}"] = bound(self.deletes[field], thread_id="thread-1")
            found[f"count_{field}"] = bound(self.counts[field], thread_id="thread-1")
        return found


async def erase_thread(store: Store, thread_id: str, *, dry_run: bool = False) -> ErasureReport:
    """Delete ``thread_id``'s rows from every table in one transaction; report the counts.

    With ``dry_run``, count them and delete nothing. An unknown thread gives an empty
    (false) report. The totals are logged at INFO on the ``locus_store`` logger, never
    the thread id.
    """
    params = {"thread_id": require_key(thread_id, "thread_id")}
    sql = ErasureStatements.of(store.schema.prefix, store.dialect)

    async def work(conn: AsyncConnection) -> ErasureReport:
        found: dict[str, int] = {}
        if dry_run:
            for field, count in sql.counts.items():
                found[field] = int((await conn.execute(count, params)).scalar_one())
        else:
            for field, statement in sql.deletes.items():
                found[field] = removed = int((await conn.execute(statement, params)).rowcount)
                while removed and field in _LINEAGES:
                    # A child appended while this delete waited on its parent's lock is
                    # newer than the delete's snapshot (PostgreSQL): delete again until
                    # none is left; a child arriving later finds its parent locked, then gone.
                    removed = int((await conn.execute(statement, params)).rowcount)
                    found[field] += removed
        return ErasureReport(**found)

    report = await store.run(work, atomic=True)
    _log.info(
        "%s %d rows of one thread: %s",
        "erasure would remove" if dry_run else "erased",
        report.total,
        ", ".join(f"{field} {n}" for field, n in report.as_dict().items() if field != "total"),
    )
    return report
