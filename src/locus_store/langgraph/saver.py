"""LangGraph checkpoint saver over the same store, schema and migrations.

``store.langgraph_saver()`` returns `SQLAlchemySaver`, a full
``BaseCheckpointSaver`` (``langgraph-checkpoint`` 4.x, extra ``langgraph``):

- a checkpoint row holds the checkpoint without its channel values, as typed bytes
  from ``self.serde``, and its metadata as JSON (``list`` filters run in SQL);
- channel values are stored once per (thread, namespace, channel, version) and a
  read fetches exactly the versions the checkpoint references;
- pending writes are kept per (checkpoint, task, index); special channels
  (errors, interrupts, ...) replace earlier ones, other writes are written once;
- no instance-wide lock: every call takes its own connection from the engine's pool.

The async methods live here; the synchronous twins (``get_tuple``, ``put``, ...; what
``graph.invoke`` calls) run them on a private event loop (``_sync.py``); reading
configs and paging ``list`` is ``_config.py``; the SQL is ``statements.py``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
from collections.abc import AsyncIterator, Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    WRITES_IDX_MAP,
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
    DeltaChannelHistory,
    PendingWrite,
    get_serializable_checkpoint_metadata,
    writes_sort_key,
)
from langgraph.checkpoint.serde.base import SerializerProtocol
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from locus_store._engine.oracle import COMMIT_WITH_THIS
from locus_store.errors import (
    CheckpointNotFoundError,
    ConstraintError,
    InvalidInputError,
)
from locus_store.langgraph._config import (
    CheckpointKey,
    ListQuery,
    Pages,
    Tuples,
    address,
    checkpoint_config,
    key_text,
    list_query,
    require_many,
)
from locus_store.langgraph._in_flight import PutsInFlight
from locus_store.langgraph._sync import SyncBridge
from locus_store.langgraph.retention import (
    BlobKey,
    delete_checkpoints,
    delete_values,
    keep_newest,
    referenced,
)
from locus_store.langgraph.statements import EMPTY, KEYS_PER_STATEMENT, LangGraphStatements
from locus_store.schema.langgraph_tables import MAX_TASK_PATH_BYTES, MAX_TASK_PATH_LENGTH
from locus_store.sql.statements import chunks
from locus_store.timestamps import utcnow
from locus_store.validation import require_key, require_metadata, require_text, require_ttl

if TYPE_CHECKING:
    from locus_store.store import Store

__all__ = ["SQLAlchemySaver"]

#: A result row (checkpoint rows: thread, ns, id, parent, type, body, metadata).
AnyRow = Row[*tuple[Any, ...]]
Rows = list[AnyRow]

#: ``prune(strategy=...)`` values.
PRUNE_STRATEGIES = ("keep_latest", "delete")


class SQLAlchemySaver(SyncBridge):
    """LangGraph ``BaseCheckpointSaver`` on a [`Store`][locus_store.Store] (any backend).

    Writes for a thread that has no checkpoint are refused (`CheckpointNotFoundError`),
    so a conversation erased while its graph still ran does not come back as orphan
    writes. LangGraph's async loop may send a new thread's first writes before (or
    while) its first checkpoint is put: such writes wait for a put in flight, then up
    to ``first_checkpoint_wait`` seconds for the checkpoint to land, before they are
    refused.

    With a ``ttl`` (a ``timedelta`` or seconds), each checkpoint put is stamped to expire
    that long after it was written; a thread expires once every checkpoint of it has
    (its newest put decides; a checkpoint put without a ``ttl`` never expires), and is
    then removed whole by `asweep_ttl` and by every ``vacuum``. Reads do not extend it,
    and an expired thread stays readable until it is swept.
    """

    #: Seconds writes for a thread with no checkpoint wait for its first checkpoint.
    first_checkpoint_wait: float = 5.0

    def __init__(
        self,
        store: Store,
        *,
        serde: SerializerProtocol | None = None,
        ttl: dt.timedelta | float | None = None,
    ) -> None:
        super().__init__(store, serde=serde)
        self._ttl = require_ttl(ttl)
        self._sql = LangGraphStatements.of(store.schema.prefix, store.dialect)
        self._in_flight = PutsInFlight()

    @property
    def ttl(self) -> dt.timedelta | None:
        """How long after its last checkpoint a thread this saver writes expires."""
        return self._ttl

    def __repr__(self) -> str:
        ttl = f", ttl={self._ttl}" if self._ttl is not None else ""
        return f"SQLAlchemySaver({self.store!r}{ttl})"

    async def asetup(self) -> None:
        """Create or upgrade the tables (the store's Alembic migrations, up to head)."""
        await self.store.upgrade()

    def get_next_version(self, current: str | None, channel: None) -> str:
        """``<32-digit counter>.<random fraction>``: increasing as text and as numbers."""
        if current is None:
            counter = 0
        elif isinstance(current, int):
            counter = current
        else:
            counter = int(str(current).split(".", 1)[0])
        return f"{counter + 1:032}.{random.random():016}"

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        thread_id, ns, checkpoint_id = address(config)
        params = {"thread_id": thread_id, "checkpoint_ns": ns}
        if checkpoint_id:
            params["checkpoint_id"] = checkpoint_id
        statement = self._sql.read_checkpoint if checkpoint_id else self._sql.read_latest_checkpoint

        tuples = self._tuples(await self.store.fetch_all(statement, params))
        return tuples[0] if tuples else None

    async def alist(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[CheckpointTuple]:
        query = list_query(config, filter, before)
        pages = Pages(limit)
        for cursor, size in pages:
            page = await self._list_page(query, cursor, size)
            for item in page:
                yield item
            pages.took(page)

    async def _list_page(self, query: ListQuery, cursor: CheckpointKey | None, size: int) -> Tuples:
        statement = self._sql.select_page(
            thread=query.thread_id is not None,
            namespace=query.checkpoint_ns is not None,
            checkpoint=query.checkpoint_id is not None,
            before=query.before_id is not None,
            after_cursor=cursor is not None,
            filter=query.filter,
            limit=size,
        )
        params: dict[str, Any] = {
            "thread_id": query.thread_id,
            "checkpoint_ns": query.checkpoint_ns,
            "checkpoint_id": query.checkpoint_id,
            "before_id": query.before_id,
        }
        if cursor is not None:
            params.update(c_thread=cursor[0], c_ns=cursor[1], c_id=cursor[2])

        return self._tuples(await self.store.fetch_all(statement, params))

    def _tuples(self, rows: Rows) -> Tuples:
        """Checkpoint tuples from a read: checkpoint rows (in order), writes, values."""
        checkpoints: Rows = []
        pending: dict[CheckpointKey, Rows] = {}
        values: dict[BlobKey, tuple[str, bytes]] = {}
        for row in rows:
            if row.kind == 0:
                checkpoints.append(row)
            elif row.kind == 1:
                pending.setdefault(
                    (row.thread_id, row.checkpoint_ns, row.checkpoint_id), []
                ).append(row)
            elif row.version is not None:
                key = (row.thread_id, row.checkpoint_ns, row.channel, row.version)
                values[key] = (row.value_type, row.value or b"")
        return [
            self._tuple(
                row, pending.get((row.thread_id, row.checkpoint_ns, row.checkpoint_id), []), values
            )
            for row in checkpoints
        ]

    def _tuple(
        self, row: AnyRow, writes: Rows, values: dict[BlobKey, tuple[str, bytes]]
    ) -> CheckpointTuple:
        thread_id, ns, checkpoint_id = row.thread_id, row.checkpoint_ns, row.checkpoint_id
        body = self.serde.loads_typed((row.value_type, row.value))
        channel_values: dict[str, Any] = {}
        for channel, version in body["channel_versions"].items():
            stored = values.get((thread_id, ns, channel, str(version)))
            if stored is not None and stored[0] != EMPTY:
                channel_values[channel] = self.serde.loads_typed(stored)
        writes.sort(key=lambda w: writes_sort_key(w.task_path or "", w.task_id, w.idx))
        pending_writes: list[PendingWrite] = [
            (w.task_id, w.channel, self.serde.loads_typed((w.value_type, w.value or b"")))
            for w in writes
        ]
        checkpoint: Checkpoint = {**body, "channel_values": channel_values}  # type: ignore[typeddict-item]
        parent_id = row.parent_checkpoint_id
        return CheckpointTuple(
            config=checkpoint_config(thread_id, ns, checkpoint_id),
            checkpoint=checkpoint,
            metadata=row.metadata,
            parent_config=checkpoint_config(thread_id, ns, parent_id) if parent_id else None,
            pending_writes=pending_writes,
        )

    async def aget_delta_channel_history(
        self, *, config: RunnableConfig, channels: Sequence[str]
    ) -> Mapping[str, DeltaChannelHistory]:
        """LangGraph's parent-chain walk (per channel: the writes of the ancestors up to
        the nearest one holding a value, and that value as ``seed``) in one query."""
        if not channels:
            return {}
        thread_id, ns, checkpoint_id = address(config)
        params: dict[str, Any] = {
            "thread_id": thread_id,
            "checkpoint_ns": ns,
            "channels": list(dict.fromkeys(channels)),
        }
        if checkpoint_id:
            params["checkpoint_id"] = checkpoint_id
        sql = self._sql
        statement = sql.read_delta_history if checkpoint_id else sql.read_latest_delta_history
        rows = sorted(await self.store.fetch_all(statement, params), key=lambda r: r.distance)
        seeds: dict[str, Any] = {}
        writes: dict[str, Rows] = {}
        first_seen: dict[str, int] = {}
        for row in rows:
            # A lineage cycle (the saver refuses to make one) repeats its checkpoints
            # at greater distances: only their first visit counts.
            if first_seen.setdefault(row.checkpoint_id, row.distance) != row.distance:
                continue
            if row.kind == 0:
                seeds[row.channel] = self.serde.loads_typed((row.value_type, row.value or b""))
            else:
                writes.setdefault(row.channel, []).append(row)
        history: dict[str, DeltaChannelHistory] = {}
        for channel in channels:
            found = writes.get(channel, [])
            found.sort(
                key=lambda w: (-w.distance, writes_sort_key(w.task_path or "", w.task_id, w.idx))
            )
            entry: DeltaChannelHistory = {
                "writes": [
                    (w.task_id, channel, self.serde.loads_typed((w.value_type, w.value or b"")))
                    for w in found
                ]
            }
            if channel in seeds:
                entry["seed"] = seeds[channel]
            history[channel] = entry
        return history

    async def aput(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        thread_id, ns, parent_id = address(config)
        checkpoint_id = require_key(checkpoint["id"], "checkpoint['id']")
        values = checkpoint["channel_values"]
        body = {k: v for k, v in checkpoint.items() if k != "channel_values"}
        body_type, body_bytes = self.serde.dumps_typed(body)
        meta = require_metadata(get_serializable_checkpoint_metadata(config, metadata)) or {}
        run_id = meta.get("run_id")
        now = utcnow()
        blob_rows: list[dict[str, Any]] = []
        for channel, version in new_versions.items():
            value_type, value = (
                self.serde.dumps_typed(values[channel]) if channel in values else (EMPTY, b"")
            )
            blob_rows.append(
                {
                    "thread_id": thread_id,
                    "checkpoint_ns": ns,
                    "channel": require_key(channel, "channel", allow_empty=True),
                    "version": require_key(str(version), "channel version"),
                    "value_type": value_type,
                    "value": value or None,
                }
            )
        row = {
            "thread_id": thread_id,
            "checkpoint_ns": ns,
            "checkpoint_id": checkpoint_id,
            "parent_checkpoint_id": parent_id,
            "run_id": key_text(run_id, "metadata['run_id']") if run_id else None,
            "checkpoint_type": body_type,
            "checkpoint": body_bytes,
            "channel_versions": self._sql.versions_document(checkpoint["channel_versions"]),
            "metadata": meta,
            "created_at": now,
            "expires_at": now + self._ttl if self._ttl is not None else None,
        }
        sql = self._sql
        one = sql.put_in_one_statement(row, blob_rows)

        async def work(conn: AsyncConnection) -> None:
            # The values go first: a reader never sees a checkpoint whose values are
            # missing, and both steps are safe to repeat.
            if blob_rows:
                await conn.execute(sql.insert_blobs, blob_rows)
            result = await conn.execute(*sql.insert_checkpoint_row(row))
            if sql.update_checkpoint is not None and result.rowcount == 0:
                await conn.execute(sql.update_checkpoint, sql.replace_params(row))

        key = (thread_id, ns, checkpoint_id)
        in_flight = self._in_flight.started(key)
        try:
            if one is not None:  # values and checkpoint row in one statement
                await self.store.row_count(*one)
            else:
                await self.store.run(work)
        except ConstraintError as exc:
            # Only a child checkpoint of a thread with none left breaks a constraint here
            # (see LangGraphStatements): the thread was erased while the graph ran.
            if blob_rows and one is None:
                await self.store.row_count(
                    sql.delete_values_of_erased_thread, {"thread_id": thread_id}
                )
            raise _thread_gone(thread_id, ns, f"checkpoint {checkpoint_id!r}") from exc
        finally:
            self._in_flight.ended(key, in_flight)
        return checkpoint_config(thread_id, ns, checkpoint_id)

    async def aput_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        thread_id, ns, checkpoint_id = address(config)
        if checkpoint_id is None:
            raise InvalidInputError("put_writes needs config['configurable']['checkpoint_id']")
        task_id = require_key(task_id, "task_id")
        task_path = require_text(
            task_path,
            "task_path",
            max_characters=MAX_TASK_PATH_LENGTH,
            max_bytes=MAX_TASK_PATH_BYTES,
        )
        rows: list[dict[str, Any]] = []
        for idx, (channel, value) in enumerate(writes):
            value_type, data = self.serde.dumps_typed(value)
            rows.append(
                {
                    "thread_id": thread_id,
                    "checkpoint_ns": ns,
                    "checkpoint_id": checkpoint_id,
                    "task_id": task_id,
                    "idx": WRITES_IDX_MAP.get(channel, idx),
                    "channel": require_key(channel, "channel", allow_empty=True),
                    "value_type": value_type,
                    "value": data or None,
                    "task_path": task_path,
                }
            )
        if not rows:
            return
        sql = self._sql
        special = sorted({r["idx"] for r in rows if r["idx"] < 0})
        # LangGraph may send a step's writes while that step's checkpoint is being put.
        await self._in_flight.wait_for((thread_id, ns, checkpoint_id))

        # Ordinary writes are kept from the first call (one statement); special ones
        # (errors, interrupts, ...) replace earlier ones, in one transaction.
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (0.0 if self.store.is_bound else self.first_checkpoint_wait)
        delay = 0.002
        while True:
            try:
                if special:
                    await self._replace_special_writes(rows, special)
                else:
                    await self.store.execute_many(sql.insert_writes, rows)
                return
            except ConstraintError as exc:
                # The only constraint these inserts can break: the thread has no
                # checkpoint. Nothing was written (one statement, or one transaction);
                # its first checkpoint may still be on its way (see the class).
                if loop.time() + delay > deadline:
                    raise _thread_gone(thread_id, ns, f"the writes of task {task_id!r}") from exc
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.25)

    async def _replace_special_writes(
        self, rows: Sequence[dict[str, Any]], special: Sequence[int]
    ) -> None:
        sql = self._sql
        first = rows[0]
        thread_id, ns = first["thread_id"], first["checkpoint_ns"]
        checkpoint_id, task_id = first["checkpoint_id"], first["task_id"]

        async def work(conn: AsyncConnection) -> None:
            await conn.execute(
                sql.delete_task_writes,
                {
                    "thread_id": thread_id,
                    "checkpoint_ns": ns,
                    "checkpoint_id": checkpoint_id,
                    "task_id": task_id,
                    "idxs": special,
                },
            )
            await conn.execute(sql.insert_writes, list(rows), execution_options=COMMIT_WITH_THIS)

        await self.store.run(work, atomic=True)

    async def _delete_threads(self, thread_ids: Sequence[str]) -> None:
        sql = self._sql

        async def work(conn: AsyncConnection) -> None:
            for chunk in chunks(thread_ids, KEYS_PER_STATEMENT):
                for statement in sql.delete_threads:
                    await conn.execute(statement, {"thread_ids": chunk})

        await self.store.run(work, atomic=True)

    async def adelete_thread(self, thread_id: str) -> None:
        await self._delete_threads([key_text(thread_id, "thread_id")])

    async def adelete_for_runs(self, run_ids: Sequence[str]) -> None:
        require_many(run_ids, "run_ids")
        ids = sorted({key_text(run_id, "run_id") for run_id in run_ids})
        if not ids:
            return
        sql = self._sql

        async def work(conn: AsyncConnection) -> None:
            doomed: Rows = []
            for chunk in chunks(ids, KEYS_PER_STATEMENT):
                result = await conn.execute(sql.select_run_checkpoints, {"run_ids": chunk})
                doomed.extend(result.all())
            if not doomed:
                return
            await delete_checkpoints(conn, sql, [(r[0], r[1], r[2]) for r in doomed])
            candidates = set().union(*(referenced(r) for r in doomed))
            groups = sorted({(r[0], r[1]) for r in doomed})
            still_used: set[BlobKey] = set()
            for some in chunks(groups, KEYS_PER_STATEMENT):
                result = await conn.execute(*sql.group_checkpoints(some))
                still_used.update(*(referenced(r) for r in result))
            await delete_values(conn, sql, candidates - still_used)

        await self.store.run(work, atomic=True)

    async def acopy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        source = key_text(source_thread_id, "source_thread_id")
        target = key_text(target_thread_id, "target_thread_id")
        if source == target:
            return
        sql = self._sql

        async def work(conn: AsyncConnection) -> None:
            for statement in sql.copy_thread:
                await conn.execute(statement, {"source": source, "target": target})

        await self.store.run(work, atomic=True)

    async def asweep_ttl(self) -> int:
        """Remove the threads that expired (see the class), whole; the number removed.

        Whichever saver wrote them and whatever its ``ttl``: each checkpoint carries its
        own expiry. ``locus-store vacuum`` does the same, so a nightly job suffices.
        """
        from locus_store.ops.vacuum import sweep_expired_langgraph

        return (await sweep_expired_langgraph(self.store)).langgraph_threads

    async def aprune(self, thread_ids: Sequence[str], *, strategy: str = "keep_latest") -> None:
        if strategy not in PRUNE_STRATEGIES:
            raise InvalidInputError(
                f"unknown prune strategy {strategy!r}: use one of {', '.join(PRUNE_STRATEGIES)}"
            )
        require_many(thread_ids, "thread_ids")
        threads = sorted({key_text(t, "thread_id") for t in thread_ids})
        if not threads:
            return
        if strategy == "delete":
            await self._delete_threads(threads)
            return
        for chunk in chunks(threads, KEYS_PER_STATEMENT):
            # LangGraph's keep_latest: each namespace's newest checkpoint (and what it needs).
            await self.store.run(partial(keep_newest, sql=self._sql, thread_ids=chunk), atomic=True)


def _thread_gone(thread_id: str, ns: str, what: str) -> CheckpointNotFoundError:
    return CheckpointNotFoundError(
        f"refused {what} of thread {thread_id!r} (namespace {ns!r}): the thread has no "
        "checkpoint (erased, or never saved), and it would leave a partial thread; "
        "a new run starts the thread again from a root checkpoint"
    )
