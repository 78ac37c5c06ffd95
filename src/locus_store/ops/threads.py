"""What the operator jobs share about threads: their tables, batches, conflicts, counts.

A thread's rows live in every table of the prefix that has a ``thread_id``; jobs
over many threads (vacuum, copy, export, import, import-locus) look them up, batch
them and report progress the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, Table, bindparam, select
from sqlalchemy.sql.elements import ColumnElement

from locus_store.errors import CheckpointExistsError, InvalidInputError
from locus_store.schema.tables import Schema

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

#: Thread ids (or keys) per ``IN`` list of a lookup: Oracle accepts at most 1000.
IDS_PER_STATEMENT = 500
#: Whole threads (every row, documents included) read and written per transaction by
#: export, import and import-locus: bounds the memory a batch holds.
THREADS_PER_TRANSFER = 50
#: What to do with a thread the target already has: refuse before writing, leave it, or
#: delete it and write it again.
ON_CONFLICT = ("fail", "skip", "replace")

#: ``progress(done, total)``, called after each batch of threads.
Progress = Callable[[int, int], None]


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``1 thread``, ``2 threads``: ``n`` and the noun in the number it takes (reports, logs)."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def thread_tables(schema: Schema) -> list[Table]:
    """Every table of the prefix that holds rows of a thread (all are keyed by ``thread_id``)."""
    return [t for t in schema.metadata.sorted_tables if "thread_id" in t.c]


def in_threads(table: Table) -> ColumnElement[bool]:
    """``thread_id IN :threads`` (an expanding bind: pass a list)."""
    return table.c.thread_id.in_(bindparam("threads", expanding=True))


def in_batches(ids: Sequence[str], size: int) -> Iterator[list[str]]:
    """``ids`` in consecutive lists of at most ``size``."""
    for start in range(0, len(ids), size):
        yield list(ids[start : start + size])


def thread_lookup(table: Table) -> Select[Any]:
    """The distinct ids among ``:threads`` that have rows in ``table``."""
    return select(table.c.thread_id).where(in_threads(table)).distinct()


async def existing_threads(
    conn: AsyncConnection, lookups: Sequence[Select[Any]], ids: Sequence[str]
) -> set[str]:
    """Which of ``ids`` the `thread_lookup` statements find (queried in batches)."""
    found: set[str] = set()
    for batch in in_batches(ids, IDS_PER_STATEMENT):
        for lookup in lookups:
            found.update(r[0] for r in await conn.execute(lookup, {"threads": batch}))
    return found


def require_on_conflict(on_conflict: str) -> str:
    """``on_conflict`` when it is one of `ON_CONFLICT`, else `InvalidInputError`."""
    if on_conflict not in ON_CONFLICT:
        raise InvalidInputError(f"on_conflict must be one of {ON_CONFLICT}, not {on_conflict!r}")
    return on_conflict


def conflict(existing: set[str], whose: str) -> CheckpointExistsError:
    """The refusal of ``on_conflict="fail"``: ``N of <whose> (<the first five>): choose ...``."""
    shown = ", ".join(sorted(existing)[:5]) + (", ..." if len(existing) > 5 else "")
    return CheckpointExistsError(
        f"{len(existing)} of {whose} ({shown}): choose --on-conflict skip or --on-conflict replace"
    )
