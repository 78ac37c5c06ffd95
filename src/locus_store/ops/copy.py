"""Copying a thread, every row in every table, to a new thread id in one transaction.

Same checkpoint ids, timestamps and lineage order (``locus-store copy``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from locus_store.errors import CheckpointExistsError, ConstraintError, InvalidInputError
from locus_store.ops.statements import CopyStatements, ThreadStatements
from locus_store.ops.threads import existing_threads
from locus_store.validation import require_key

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

    from locus_store.store import Store


async def copy_thread(store: Store, source_thread_id: str, dest_thread_id: str) -> int:
    """Copy every row of a thread, in every table, to a new thread in one transaction.

    Same checkpoint ids, timestamps and lineage order; returns the number of rows
    copied (0 when the source has none). ``CheckpointExistsError`` when the
    destination already has rows.
    """
    source = require_key(source_thread_id, "source_thread_id")
    dest = require_key(dest_thread_id, "dest_thread_id")
    if source == dest:
        raise InvalidInputError(f"cannot copy thread {source!r} onto itself")
    lookups = ThreadStatements.of(store.table_prefix, store.dialect_name).lookups_in()
    copies = CopyStatements.of(store.table_prefix, store.dialect_name).per_table

    async def work(conn: AsyncConnection) -> int:
        if await existing_threads(conn, lookups, [dest]):
            raise CheckpointExistsError(f"thread {dest!r} already exists")
        copied = 0
        for statement in copies.values():
            copied += (await conn.execute(statement, {"source": source, "dest": dest})).rowcount
        return copied

    try:
        return await store.run(work, atomic=True)
    except ConstraintError:
        raise CheckpointExistsError(f"thread {dest!r} already exists") from None
