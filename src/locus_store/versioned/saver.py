"""The versioned saver: a lineage of checkpoints per (thread, namespace) plus pending writes.

The method surface and dict shapes are those of locus's ``OracleCheckpointSaver``
(seed notebook 12), over the ``<prefix>_checkpoints`` and ``<prefix>_writes`` tables.
`VersionedSaver.as_checkpointer` gives the same tables as a Locus
``BaseCheckpointer``, so an ``Agent`` keeps its whole lineage.

Every call is one statement, except those that must change several rows together
(``put_writes``, deleting or copying a thread, deleting one version, vacuum), which
run as one transaction.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Executable
from sqlalchemy.ext.asyncio import AsyncConnection

from locus_store._engine.fast_path import Record
from locus_store._engine.oracle import COMMIT_WITH_THIS
from locus_store.errors import (
    CheckpointExistsError,
    CheckpointNotFoundError,
    ConstraintError,
    InvalidInputError,
    InvalidTypeError,
    LineageConflictError,
    ParentNotFoundError,
)
from locus_store.sql.like import glob_to_like
from locus_store.timestamps import iso_utc
from locus_store.validation import (
    require_json,
    require_key,
    require_limit,
    require_metadata,
    require_non_negative_number,
    require_optional_key,
)
from locus_store.versioned.statements import DEFAULT_NAMESPACE as DEFAULT_NAMESPACE
from locus_store.versioned.statements import Bind, LineageStatements

if TYPE_CHECKING:
    from locus_store.store import Store
    from locus_store.versioned.checkpointer import VersionedCheckpointer

#: How many times an append is tried when concurrent writers take its position.
APPEND_ATTEMPTS = 16
#: Upper bound (seconds) of the random pause between two append attempts.
APPEND_BACKOFF_CAP = 0.05


class VersionedSaver:
    """Append-only checkpoints with parent links, and per-task pending writes.

    Built by [`Store.versioned`][locus_store.Store.versioned]. All methods
    take keywords, as the notebook's saver does.
    """

    def __init__(self, store: Store) -> None:
        self._store = store
        self._sql = LineageStatements.of(store.schema.prefix, store.dialect)

    def __repr__(self) -> str:
        return f"VersionedSaver({self._store!r})"

    def as_checkpointer(self, *, checkpoint_ns: str = DEFAULT_NAMESPACE) -> VersionedCheckpointer:
        """These tables as a Locus ``BaseCheckpointer`` over one namespace."""
        from locus_store.versioned.checkpointer import VersionedCheckpointer

        return VersionedCheckpointer(self, checkpoint_ns=checkpoint_ns)

    # -- the notebook's surface ---------------------------------------------------------
    async def put(
        self,
        *,
        thread_id: str,
        checkpoint_id: str,
        checkpoint_data: dict[str, Any],
        checkpoint_ns: str = DEFAULT_NAMESPACE,
        parent_checkpoint_id: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        """Append a checkpoint; never overwrite one.

        Raises ``CheckpointExistsError`` when (thread, namespace, id) is taken and
        ``ParentNotFoundError`` when the parent is not a checkpoint of the same
        thread and namespace.
        """
        params = self._new_row(thread_id, checkpoint_ns, checkpoint_id, checkpoint_data, metadata)
        parent = require_optional_key(parent_checkpoint_id, "parent_checkpoint_id")
        if parent is None:
            await self._append(self._sql.put_root, params)
            return
        if not await self._append(self._sql.put_child, {**params, Bind.PARENT: parent}):
            raise ParentNotFoundError(
                f"parent checkpoint {parent!r} does not exist in thread {thread_id!r} "
                f"(namespace {checkpoint_ns!r})"
            )

    async def get(
        self,
        *,
        thread_id: str,
        checkpoint_id: str | None = None,
        checkpoint_ns: str = DEFAULT_NAMESPACE,
    ) -> dict[str, Any] | None:
        """The newest checkpoint, or the named one; ``None`` when there is none."""
        key = _lineage(thread_id, checkpoint_ns)
        if checkpoint_id is None:
            row = await self._first(self._sql.newest, key)
        else:
            key[Bind.CHECKPOINT] = require_key(checkpoint_id, "checkpoint_id")
            row = await self._first(self._sql.named, key)
        return None if row is None else _checkpoint(row)

    async def list_checkpoints(
        self,
        *,
        thread_id: str,
        checkpoint_ns: str = DEFAULT_NAMESPACE,
        limit: int = 10,
        before: str | None = None,
    ) -> list[dict[str, Any]]:
        """The lineage newest first (by position, never by timestamp).

        ``before`` pages back: only checkpoints older than that one are listed
        (none when it is not a checkpoint of this thread and namespace).
        """
        params: dict[str, Any] = {
            **_lineage(thread_id, checkpoint_ns),
            Bind.LIMIT: require_limit(limit),
        }
        statement = self._sql.history
        if before is not None:
            params[Bind.BEFORE] = require_key(before, "before")
            statement = self._sql.history_before
        return [_checkpoint(row) for row in await self._all(statement, params)]

    async def put_writes(
        self,
        *,
        thread_id: str,
        checkpoint_id: str,
        task_id: str,
        writes: Sequence[tuple[str, Any]],
        checkpoint_ns: str = DEFAULT_NAMESPACE,
    ) -> None:
        """Replace the task's pending writes at this checkpoint, all or nothing.

        Two statements whatever the number of writes, in one transaction: one bulk
        upsert by position and a delete of the positions past the new set's end. A
        retry never duplicates, a failure leaves the earlier set in place, and
        concurrent replacements of the same task queue instead of failing. Writes for a
        checkpoint that does not exist (erased, or never saved) are refused whole:
        ``CheckpointNotFoundError``.
        """
        key = {
            **_lineage(thread_id, checkpoint_ns),
            Bind.CHECKPOINT: require_key(checkpoint_id, "checkpoint_id"),
            Bind.TASK: require_key(task_id, "task_id"),
        }
        rows = [
            {
                "thread_id": key[Bind.THREAD],
                "checkpoint_ns": key[Bind.NS],
                "checkpoint_id": key[Bind.CHECKPOINT],
                "task_id": key[Bind.TASK],
                "idx": idx,
                "channel": channel,
                "value": value,
            }
            for idx, (channel, value) in enumerate(_writes(writes))
        ]

        trim = {**key, Bind.COUNT: len(rows)}

        async def work(conn: AsyncConnection) -> None:
            if rows:
                await conn.execute(self._sql.upsert_writes, rows)
            await conn.execute(self._sql.trim_task_writes, trim, execution_options=COMMIT_WITH_THIS)

        for attempt in range(APPEND_ATTEMPTS):
            try:
                await self._store.run(work, atomic=True)
                return
            except ConstraintError as exc:
                # Writes without their checkpoint are refused by the statement itself
                # (see LineageStatements): say so, no retry.
                if await self._first(self._sql.named, key) is None:
                    raise CheckpointNotFoundError(
                        f"checkpoint {key[Bind.CHECKPOINT]!r} does not exist in thread "
                        f"{key[Bind.THREAD]!r} (namespace {key[Bind.NS]!r}; erased, or never "
                        "saved): its writes were refused"
                    ) from exc
                # Oracle's MERGE can lose a race with a concurrent first insert of the
                # same position (ORA-00001); the transaction was rolled back: again.
                await asyncio.sleep(_backoff(attempt))
        raise LineageConflictError(
            f"could not replace the writes of task {key[Bind.TASK]!r}: concurrent writers "
            f"replaced them in each of {APPEND_ATTEMPTS} attempts"
        )

    async def get_writes(
        self,
        *,
        thread_id: str,
        checkpoint_id: str,
        checkpoint_ns: str = DEFAULT_NAMESPACE,
        task_id: str | None = None,
    ) -> list[dict[str, Any]]:
        """Pending writes ``{task_id, idx, channel, value}`` ordered by task and position."""
        params = {
            **_lineage(thread_id, checkpoint_ns),
            Bind.CHECKPOINT: require_key(checkpoint_id, "checkpoint_id"),
        }
        statement = self._sql.writes
        if task_id is not None:
            params[Bind.TASK] = require_key(task_id, "task_id")
            statement = self._sql.task_writes
        return [
            {"task_id": r.task_id, "idx": int(r.idx), "channel": r.channel, "value": r.value}
            for r in await self._all(statement, params)
        ]

    async def delete_thread(self, thread_id: str) -> None:
        """Remove the thread's checkpoints and writes in every namespace."""
        params = {Bind.THREAD: require_key(thread_id, "thread_id")}
        await self._run_all(
            [self._sql.delete_thread_writes, self._sql.delete_thread_checkpoints], params
        )

    async def copy_thread(self, source_thread_id: str, dest_thread_id: str) -> bool:
        """Copy every namespace's lineage (same ids, same order, same times) and writes.

        Returns False when the source has no checkpoint. Raises
        ``CheckpointExistsError`` when the destination already has checkpoints.
        """
        params = _copy_params(source_thread_id, dest_thread_id)
        return await self._copy(
            self._sql.copy_thread_checkpoints,
            self._sql.copy_thread_writes,
            self._sql.thread_exists,
            params,
            where=repr(params[Bind.DEST]),
        )

    async def close(self) -> None:
        """Release pooled connections; the saver stays usable (it reconnects on demand)."""
        await self._store.close()

    # -- lineage operations the checkpointer view adds ------------------------------------
    async def append(
        self,
        *,
        thread_id: str,
        checkpoint_id: str,
        checkpoint_data: dict[str, Any],
        checkpoint_ns: str = DEFAULT_NAMESPACE,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        """Append a checkpoint whose parent is the thread's newest, resolved in one statement."""
        params = self._new_row(thread_id, checkpoint_ns, checkpoint_id, checkpoint_data, metadata)
        await self._append(self._sql.append, params)

    async def checkpoint_ids(
        self, *, thread_id: str, checkpoint_ns: str = DEFAULT_NAMESPACE, limit: int = 10
    ) -> list[str]:
        """Checkpoint ids of the lineage, newest first."""
        params = {**_lineage(thread_id, checkpoint_ns), Bind.LIMIT: require_limit(limit)}
        return [str(r.checkpoint_id) for r in await self._all(self._sql.newest_ids, params)]

    async def delete_checkpoint(
        self, *, thread_id: str, checkpoint_id: str, checkpoint_ns: str = DEFAULT_NAMESPACE
    ) -> bool:
        """Remove one version and its writes; its children take its parent as theirs.

        So a lineage with a version taken out stays a chain: ``a <- b <- c`` minus
        ``b`` is ``a <- c``. Returns False when there was no such checkpoint.
        """
        params = {
            **_lineage(thread_id, checkpoint_ns),
            Bind.CHECKPOINT: require_key(checkpoint_id, "checkpoint_id"),
        }
        return await self._run_all(self._sql.delete_version(), params) > 0

    async def delete_namespace(
        self, *, thread_id: str, checkpoint_ns: str = DEFAULT_NAMESPACE
    ) -> bool:
        """Remove the thread's checkpoints and writes in one namespace."""
        params = _lineage(thread_id, checkpoint_ns)
        statements = [self._sql.delete_namespace_writes, self._sql.delete_namespace_checkpoints]
        return await self._run_all(statements, params) > 0

    async def copy_namespace(
        self,
        *,
        source_thread_id: str,
        dest_thread_id: str,
        checkpoint_ns: str = DEFAULT_NAMESPACE,
    ) -> bool:
        """`copy_thread`, restricted to one namespace."""
        params = _copy_params(source_thread_id, dest_thread_id)
        params[Bind.NS] = require_key(checkpoint_ns, "checkpoint_ns", allow_empty=True)
        return await self._copy(
            self._sql.copy_namespace_checkpoints,
            self._sql.copy_namespace_writes,
            self._sql.namespace_exists,
            params,
            where=f"{params[Bind.DEST]!r} (namespace {checkpoint_ns!r})",
        )

    async def vacuum(
        self,
        *,
        older_than_days: float = 30,
        keep_last: int = 0,
        checkpoint_ns: str = DEFAULT_NAMESPACE,
    ) -> int:
        """Remove versions older than ``older_than_days`` but each lineage's newest ``keep_last``.

        Their writes go with them. A survivor whose parent is removed becomes a
        root (parent ``None``). Returns the number of checkpoints removed.
        """
        days = require_non_negative_number(older_than_days, "older_than_days")
        if isinstance(keep_last, bool) or not isinstance(keep_last, int):
            raise InvalidTypeError(f"keep_last must be an int, not {type(keep_last).__name__}")
        params = {
            Bind.NS: require_key(checkpoint_ns, "checkpoint_ns", allow_empty=True),
            Bind.CUTOFF: _cutoff(days, older_than_days),
            Bind.KEEP_LAST: max(keep_last, 0),
        }
        sql = self._sql

        async def work(conn: AsyncConnection) -> int:
            await conn.execute(sql.vacuum_writes, params)
            removed = int((await conn.execute(sql.vacuum_checkpoints, params)).rowcount)
            await conn.execute(sql.vacuum_reroot, params)  # survivors of removed parents
            return removed

        return await self._store.run(work, atomic=True)

    async def list_threads(
        self, *, checkpoint_ns: str = DEFAULT_NAMESPACE, limit: int = 100, pattern: str = "*"
    ) -> list[str]:
        """Thread ids with checkpoints in the namespace, sorted; ``pattern`` is a ``*`` glob."""
        params = {
            Bind.NS: require_key(checkpoint_ns, "checkpoint_ns", allow_empty=True),
            Bind.PATTERN: glob_to_like(require_key(pattern, "pattern", allow_empty=True)),
            Bind.LIMIT: require_limit(limit),
        }
        return [str(r.thread_id) for r in await self._all(self._sql.list_threads, params)]

    async def recent(
        self,
        *,
        checkpoint_ns: str = DEFAULT_NAMESPACE,
        limit: int = 100,
        metadata_filter: Mapping[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """Checkpoints of every thread in the namespace, newest first, without documents.

        ``metadata_filter`` keeps those whose metadata holds every given key with an
        equal JSON value.
        """
        params = {
            Bind.NS: require_key(checkpoint_ns, "checkpoint_ns", allow_empty=True),
            Bind.LIMIT: require_limit(limit),
        }
        statement = self._sql.recent
        if metadata_filter:
            statement = self._sql.metadata_matches(metadata_filter)
        return [
            {
                "thread_id": r.thread_id,
                "checkpoint_id": r.checkpoint_id,
                "parent_checkpoint_id": r.parent_checkpoint_id,
                "metadata": r.metadata or {},
                "created_at": iso_utc(r.created_at),
            }
            for r in await self._all(statement, params)
        ]

    # -- running statements -----------------------------------------------------------------
    def _new_row(
        self,
        thread_id: str,
        checkpoint_ns: str,
        checkpoint_id: str,
        checkpoint_data: object,
        metadata: object,
    ) -> dict[str, Any]:
        if not isinstance(checkpoint_data, dict):
            raise InvalidTypeError(
                f"checkpoint_data must be a dict, not {type(checkpoint_data).__name__}"
            )
        return {
            **_lineage(thread_id, checkpoint_ns),
            Bind.CHECKPOINT: require_key(checkpoint_id, "checkpoint_id"),
            Bind.DOCUMENT: require_json(checkpoint_data, "checkpoint_data"),
            Bind.METADATA: require_metadata(metadata) or {},
            Bind.CREATED: dt.datetime.now(dt.UTC),
        }

    async def _append(self, statement: Executable, params: dict[str, Any]) -> bool:
        """Run an appending ``INSERT ... SELECT``; False when it inserted nothing.

        A unique-index error means either that the id is taken, or that a concurrent
        writer took the next position first (then the append is tried again, with the
        position and parent computed afresh). When the id holds exactly this row, an
        earlier attempt whose connection died after the commit was applied.
        """

        for attempt in range(APPEND_ATTEMPTS):
            try:
                # Bound to a caller's transaction, a savepoint keeps a failed attempt
                # from aborting it; on its own, one autocommit statement.
                return await self._store.row_count(statement, params, savepoint=True) > 0
            except ConstraintError:
                key = {k: params[k] for k in (Bind.THREAD, Bind.NS, Bind.CHECKPOINT)}
                stored = await self._first(self._sql.named, key)
                if stored is None:
                    await asyncio.sleep(_backoff(attempt))
                    continue
                if _same_write(stored, params):
                    return True
                raise CheckpointExistsError(
                    f"checkpoint {params[Bind.CHECKPOINT]!r} already exists in thread "
                    f"{params[Bind.THREAD]!r} (namespace {params[Bind.NS]!r})"
                ) from None
        raise LineageConflictError(
            f"could not append to thread {params[Bind.THREAD]!r}: concurrent writers took "
            f"every position in {APPEND_ATTEMPTS} attempts"
        )

    async def _copy(
        self,
        checkpoints: Executable,
        writes: Executable,
        source_exists: Executable,
        params: dict[str, Any],
        *,
        where: str,
    ) -> bool:
        async def work(conn: AsyncConnection) -> bool:
            if (await conn.execute(checkpoints, params)).rowcount:
                await conn.execute(writes, params)
                return True
            source = {**params, Bind.THREAD: params[Bind.SOURCE]}
            if (await conn.execute(source_exists, source)).first() is None:
                return False
            raise CheckpointExistsError(f"thread {where} already has checkpoints")

        try:
            return await self._store.run(work, atomic=True)
        except ConstraintError:
            raise CheckpointExistsError(f"thread {where} already has checkpoints") from None

    async def _run_all(self, statements: Sequence[Executable], params: dict[str, Any]) -> int:
        """Run ``statements`` in one transaction; the row count of the last one."""

        async def work(conn: AsyncConnection) -> int:
            count = 0
            for statement in statements:
                count = (await conn.execute(statement, params)).rowcount
            return count

        return await self._store.run(work, atomic=True)

    async def _first(self, statement: Executable, params: dict[str, Any]) -> Record | None:
        return await self._store.fetch_one(statement, params)

    async def _all(self, statement: Executable, params: dict[str, Any]) -> Sequence[Record]:
        return await self._store.fetch_all(statement, params)


def _cutoff(days: float, given: object) -> dt.datetime:
    try:
        return dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
    except OverflowError:
        raise InvalidInputError(f"older_than_days {given} is too large") from None


def _backoff(attempt: int) -> float:
    return random.uniform(0, min(APPEND_BACKOFF_CAP, 0.001 * 2**attempt))


def _lineage(thread_id: str, checkpoint_ns: str) -> dict[str, Any]:
    return {
        Bind.THREAD: require_key(thread_id, "thread_id"),
        Bind.NS: require_key(checkpoint_ns, "checkpoint_ns", allow_empty=True),
    }


def _copy_params(source_thread_id: str, dest_thread_id: str) -> dict[str, Any]:
    source = require_key(source_thread_id, "source_thread_id")
    dest = require_key(dest_thread_id, "dest_thread_id")
    if source == dest:
        raise InvalidInputError(f"cannot copy thread {source!r} onto itself")
    return {Bind.SOURCE: source, Bind.DEST: dest}


def _writes(writes: object) -> list[tuple[str, Any]]:
    if isinstance(writes, str | bytes | Mapping) or not isinstance(writes, Sequence):
        raise InvalidTypeError(
            f"writes must be a list of (channel, value) pairs, not {type(writes).__name__}"
        )
    checked: list[tuple[str, Any]] = []
    for position, pair in enumerate(writes):
        if not isinstance(pair, tuple | list) or len(pair) != 2:
            raise InvalidTypeError(f"writes[{position}] must be a (channel, value) pair")
        channel = require_key(pair[0], f"writes[{position}] channel", allow_empty=True)
        checked.append((channel, require_json(pair[1], f"writes[{position}] value")))
    return checked


def _checkpoint(row: Record) -> dict[str, Any]:
    return {
        "checkpoint_id": row.checkpoint_id,
        "parent_checkpoint_id": row.parent_checkpoint_id,
        "checkpoint": row.checkpoint,
        "metadata": row.metadata or {},
        "created_at": iso_utc(row.created_at),
    }


def _same_write(stored: Record, params: Mapping[str, Any]) -> bool:
    """Whether ``stored`` is the row these parameters wrote (same instant, same content)."""
    return bool(
        stored.created_at == params[Bind.CREATED]
        and stored.checkpoint == params[Bind.DOCUMENT]
        and (stored.metadata or {}) == params[Bind.METADATA]
    )
