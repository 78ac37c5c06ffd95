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

The synchronous twins (``get_tuple``, ``put``, ...; what ``graph.invoke`` calls) run
the same coroutines on one private event loop thread per saver, over a copy of the
engine with a pool of its own, so sync and async callers never share connections
that belong to another event loop.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import threading
import uuid
import weakref
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    WRITES_IDX_MAP,
    BaseCheckpointSaver,
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
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
    InvalidTypeError,
)
from locus_store.langgraph.statements import (
    LangGraphStatements,
    chunks,
    langgraph_statements,
    review_statements,
)
from locus_store.schema.langgraph_tables import MAX_TASK_PATH_BYTES, MAX_TASK_PATH_LENGTH
from locus_store.validation import require_key, require_metadata, require_text

if TYPE_CHECKING:
    from locus_store.store import Store

__all__ = ["SQLAlchemySaver", "review_statements"]

T = TypeVar("T")
#: (thread_id, checkpoint_ns, checkpoint_id)
CheckpointKey = tuple[str, str, str]
#: (thread_id, checkpoint_ns, channel, version)
BlobKey = tuple[str, str, str, str]
#: A result row (checkpoint rows: thread, ns, id, parent, type, body, metadata).
AnyRow = Row[*tuple[Any, ...]]
Rows = list[AnyRow]
Tuples = list[CheckpointTuple]

#: Checkpoints fetched per round trip while listing.
LIST_PAGE_SIZE = 50
#: Serde type tag of a channel that has a version but no value.
EMPTY = "empty"
#: ``prune(strategy=...)`` values.
PRUNE_STRATEGIES = ("keep_latest", "delete")
#: Metadata key that names a graph's delta channels (LangGraph's ``DeltaChannel``).
DELTA_COUNTERS = "counters_since_delta_snapshot"


@dataclass(frozen=True)
class _ListQuery:
    thread_id: str | None
    checkpoint_ns: str | None
    checkpoint_id: str | None
    before_id: str | None
    filter: dict[str, Any] | None


class _Pages:
    """Where the next page of a listing starts and how many rows it may hold.

    Pages hold at most ``LIST_PAGE_SIZE`` rows and together at most ``limit``
    (no bound when ``limit`` is None). The listing ends at the first short page.
    """

    def __init__(self, limit: int | None) -> None:
        self.cursor: CheckpointKey | None = None
        self.size = 0
        self._remaining = limit

    def next(self) -> bool:
        """Size the next page; False once ``limit`` rows have been listed."""
        if self._remaining is not None and self._remaining <= 0:
            return False
        self.size = (
            LIST_PAGE_SIZE if self._remaining is None else min(self._remaining, LIST_PAGE_SIZE)
        )
        return True

    def advance(self, page: Tuples) -> bool:
        """Move the cursor past ``page``; False when it was the last page."""
        if len(page) < self.size:
            return False
        self.cursor = _key_of(page[-1].config)
        if self._remaining is not None:
            self._remaining -= len(page)
        return True


class SQLAlchemySaver(BaseCheckpointSaver[str]):
    """LangGraph ``BaseCheckpointSaver`` on a [`Store`][locus_store.Store] (any backend)."""

    def __init__(self, store: Store, *, serde: SerializerProtocol | None = None) -> None:
        super().__init__(serde=serde)
        self.store = store
        self._sql: LangGraphStatements = langgraph_statements(store.schema, store.dialect_name)
        self._background: _BackgroundLoop | None = None
        self._background_init = threading.Lock()

    def __repr__(self) -> str:
        return f"SQLAlchemySaver({self.store!r})"

    # -- lifecycle --------------------------------------------------------------------
    async def asetup(self) -> None:
        """Create or upgrade the tables (the store's Alembic migrations, up to head)."""
        await self.store.upgrade()

    def setup(self) -> None:
        self._sync(lambda store: store.upgrade())

    async def aclose(self) -> None:
        """Stop the private loop of the sync methods and release its connections."""
        background, self._background = self._background, None
        if background is not None:
            await asyncio.to_thread(background.close)

    def close(self) -> None:
        background, self._background = self._background, None
        if background is not None:
            background.close()

    async def __aenter__(self) -> SQLAlchemySaver:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __enter__(self) -> SQLAlchemySaver:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- async API --------------------------------------------------------------------
    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        return await self._get_tuple(self.store, config)

    async def alist(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[CheckpointTuple]:
        query = _list_query(config, filter, before)
        pages = _Pages(limit)
        while pages.next():
            page = await self._list_page(self.store, query, pages.cursor, pages.size)
            for item in page:
                yield item
            if not pages.advance(page):
                return

    async def aput(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        return await self._put(self.store, config, checkpoint, metadata, new_versions)

    async def aput_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        await self._put_writes(self.store, config, writes, task_id, task_path)

    async def adelete_thread(self, thread_id: str) -> None:
        await self._delete_threads(self.store, [_key_text(thread_id, "thread_id")])

    async def adelete_for_runs(self, run_ids: Sequence[str]) -> None:
        await self._delete_for_runs(self.store, run_ids)

    async def acopy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        await self._copy_thread(self.store, source_thread_id, target_thread_id)

    async def aprune(self, thread_ids: Sequence[str], *, strategy: str = "keep_latest") -> None:
        await self._prune(self.store, thread_ids, strategy)

    # -- sync twins -----------------------------------------------------------------------
    def get_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        return self._sync(lambda store: self._get_tuple(store, config))

    def list(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> Iterator[CheckpointTuple]:
        query = _list_query(config, filter, before)
        pages = _Pages(limit)
        while pages.next():
            page = self._sync(
                partial(self._list_page, query=query, cursor=pages.cursor, size=pages.size)
            )
            yield from page
            if not pages.advance(page):
                return

    def put(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        return self._sync(
            lambda store: self._put(store, config, checkpoint, metadata, new_versions)
        )

    def put_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        self._sync(lambda store: self._put_writes(store, config, writes, task_id, task_path))

    def delete_thread(self, thread_id: str) -> None:
        threads = [_key_text(thread_id, "thread_id")]
        self._sync(lambda store: self._delete_threads(store, threads))

    def delete_for_runs(self, run_ids: Sequence[str]) -> None:
        self._sync(lambda store: self._delete_for_runs(store, run_ids))

    def copy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        self._sync(lambda store: self._copy_thread(store, source_thread_id, target_thread_id))

    def prune(self, thread_ids: Sequence[str], *, strategy: str = "keep_latest") -> None:
        self._sync(lambda store: self._prune(store, thread_ids, strategy))

    def get_next_version(self, current: str | None, channel: None) -> str:
        """``<32-digit counter>.<random fraction>``: increasing as text and as numbers."""
        if current is None:
            counter = 0
        elif isinstance(current, int):
            counter = current
        else:
            counter = int(str(current).split(".", 1)[0])
        return f"{counter + 1:032}.{random.random():016}"

    # -- implementation, on whichever store (the caller's, or the private loop's) ----------------
    async def _get_tuple(self, store: Store, config: RunnableConfig) -> CheckpointTuple | None:
        thread_id, ns, checkpoint_id = _address(config)
        params = {"thread_id": thread_id, "checkpoint_ns": ns}
        if checkpoint_id:
            params["checkpoint_id"] = checkpoint_id
        statement = self._sql.read_checkpoint if checkpoint_id else self._sql.read_latest_checkpoint

        tuples = self._tuples(await store.fetch_all(statement, params))
        return tuples[0] if tuples else None

    async def _list_page(
        self, store: Store, query: _ListQuery, cursor: CheckpointKey | None, size: int
    ) -> Tuples:
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

        return self._tuples(await store.fetch_all(statement, params))

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
            config=_config(thread_id, ns, checkpoint_id),
            checkpoint=checkpoint,
            metadata=row.metadata,
            parent_config=_config(thread_id, ns, parent_id) if parent_id else None,
            pending_writes=pending_writes,
        )

    async def _put(
        self,
        store: Store,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        thread_id, ns, parent_id = _address(config)
        checkpoint_id = require_key(checkpoint["id"], "checkpoint['id']")
        values = checkpoint["channel_values"]
        body = {k: v for k, v in checkpoint.items() if k != "channel_values"}
        body_type, body_bytes = self.serde.dumps_typed(body)
        meta = require_metadata(get_serializable_checkpoint_metadata(config, metadata)) or {}
        run_id = meta.get("run_id")
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
            "run_id": _key_text(run_id, "metadata['run_id']") if run_id else None,
            "checkpoint_type": body_type,
            "checkpoint": body_bytes,
            "channel_versions": self._sql.versions_document(checkpoint["channel_versions"]),
            "metadata": meta,
            "created_at": dt.datetime.now(dt.UTC),
        }
        sql = self._sql
        one = sql.put_in_one_statement(row, blob_rows)

        async def work(conn: AsyncConnection) -> None:
            await sql.put_checkpoint(conn, row, blob_rows)

        try:
            if one is not None:
                await store.row_count(*one)
            else:
                await store.run(work)
        except ConstraintError as exc:
            # Only a child checkpoint of a thread with none left breaks a constraint here
            # (see LangGraphStatements): the thread was erased while the graph ran.
            if blob_rows and one is None:
                await store.row_count(sql.delete_values_of_erased_thread, {"thread_id": thread_id})
            raise _thread_gone(thread_id, ns, f"checkpoint {checkpoint_id!r}") from exc
        return _config(thread_id, ns, checkpoint_id)

    async def _put_writes(
        self,
        store: Store,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str,
    ) -> None:
        thread_id, ns, checkpoint_id = _address(config)
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

        # Ordinary writes are kept from the first call (one statement); special ones
        # (errors, interrupts, ...) replace earlier ones, in one transaction.
        try:
            if special:
                await self._replace_special_writes(store, rows, special)
            else:
                await store.execute_many(sql.insert_writes, rows)
        except ConstraintError as exc:
            # The only constraint these inserts can break: the thread has no checkpoint.
            raise _thread_gone(thread_id, ns, f"the writes of task {task_id!r}") from exc

    async def _replace_special_writes(
        self, store: Store, rows: Sequence[dict[str, Any]], special: Sequence[int]
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

        await store.run(work, atomic=True)

    async def _delete_threads(self, store: Store, thread_ids: Sequence[str]) -> None:
        sql = self._sql

        async def work(conn: AsyncConnection) -> None:
            for chunk in chunks(thread_ids):
                for statement in sql.delete_threads:
                    await conn.execute(statement, {"thread_ids": chunk})

        await store.run(work, atomic=True)

    async def _delete_for_runs(self, store: Store, run_ids: Sequence[str]) -> None:
        _require_many(run_ids, "run_ids")
        ids = sorted({_key_text(run_id, "run_id") for run_id in run_ids})
        if not ids:
            return
        sql = self._sql

        async def work(conn: AsyncConnection) -> None:
            doomed: Rows = []
            for chunk in chunks(ids):
                result = await conn.execute(sql.select_run_checkpoints, {"run_ids": chunk})
                doomed.extend(result.all())
            if not doomed:
                return
            await self._delete_checkpoints(conn, [(r[0], r[1], r[2]) for r in doomed])
            candidates = set().union(*(self._referenced(r) for r in doomed))
            groups = sorted({(r[0], r[1]) for r in doomed})
            referenced: set[BlobKey] = set()
            for some in chunks(groups):
                result = await conn.execute(*sql.group_checkpoints(some))
                referenced.update(*(self._referenced(r) for r in result))
            await self._delete_values(conn, candidates - referenced)

        await store.run(work, atomic=True)

    async def _copy_thread(self, store: Store, source: str, target: str) -> None:
        source = _key_text(source, "source_thread_id")
        target = _key_text(target, "target_thread_id")
        if source == target:
            return
        sql = self._sql

        async def work(conn: AsyncConnection) -> None:
            for statement in sql.copy_thread:
                await conn.execute(statement, {"source": source, "target": target})

        await store.run(work, atomic=True)

    async def _prune(self, store: Store, thread_ids: Sequence[str], strategy: str) -> None:
        if strategy not in PRUNE_STRATEGIES:
            raise InvalidInputError(
                f"unknown prune strategy {strategy!r}: use one of {', '.join(PRUNE_STRATEGIES)}"
            )
        _require_many(thread_ids, "thread_ids")
        threads = sorted({_key_text(t, "thread_id") for t in thread_ids})
        if not threads:
            return
        if strategy == "delete":
            await self._delete_threads(store, threads)
            return
        for chunk in chunks(threads):
            await store.run(partial(self._keep_latest, thread_ids=chunk), atomic=True)

    async def _keep_latest(self, conn: AsyncConnection, thread_ids: Sequence[str]) -> None:
        """Keep each namespace's newest checkpoint (and what its delta channels need)."""
        sql = self._sql
        parents: dict[CheckpointKey, str | None] = {}
        for row in await conn.execute(sql.select_lineage, {"thread_ids": thread_ids}):
            parents[(row[0], row[1], row[2])] = row[3]
        newest: dict[tuple[str, str], CheckpointKey] = {}
        for key in parents:
            group = (key[0], key[1])
            if group not in newest or key[2] > newest[group][2]:
                newest[group] = key
        kept = await self._rows_by_key(conn, list(newest.values()))
        marked = {
            (row[0], row[1])
            for row in await conn.execute(sql.select_delta_marked, {"thread_ids": thread_ids})
        }
        for key in list(kept):
            if (key[0], key[1]) in marked and not kept[key][6].get(DELTA_COUNTERS):
                # Delta channels without the counters that name them (LangGraph.js):
                # which ancestors a value is rebuilt from is unknown, so the head's
                # whole line is kept; only checkpoints off it go.
                await self._keep_line(conn, kept, key, parents)
            else:
                await self._keep_delta_ancestors(conn, kept, key, parents)
        doomed = set(parents) - set(kept)
        await self._delete_checkpoints(conn, sorted(doomed))
        orphans = sorted(k for k in kept if (k[0], k[1], parents.get(k)) in doomed)
        for some in chunks(orphans):
            # A kept checkpoint whose parent just went becomes a root, so no
            # parent_config names a checkpoint that is not there.
            await conn.execute(*sql.clear_parents(some))
        stored: set[BlobKey] = set()
        for chunk in chunks(sorted(newest)):
            result = await conn.execute(*sql.group_blob_keys(chunk))
            stored.update((r[0], r[1], r[2], r[3]) for r in result)
        referenced = set().union(*(self._referenced(row) for row in kept.values()))
        await self._delete_values(conn, stored - referenced)

    async def _keep_delta_ancestors(
        self,
        conn: AsyncConnection,
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
            body = self.serde.loads_typed((row[4], row[5]))
            versions = body["channel_versions"]
            probe = [(row[0], row[1], c, str(versions[c])) for c in delta if c in versions]
            stored = (await conn.execute(*self._sql.blob_types(probe))).all() if probe else []
            delta -= {r[2] for r in stored if r[4] != EMPTY}
            parent_id = parents.get((row[0], row[1], row[2]))
            parent = (row[0], row[1], parent_id) if parent_id else None
            if not delta or parent is None or parent not in parents:
                return
            found = await self._rows_by_key(conn, [parent])
            row = found.get(parent)
            if row is not None:
                kept[parent] = row

    async def _keep_line(
        self,
        conn: AsyncConnection,
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
        kept.update(await self._rows_by_key(conn, [k for k in line if k not in kept]))

    async def _rows_by_key(
        self, conn: AsyncConnection, keys: Sequence[CheckpointKey]
    ) -> dict[CheckpointKey, AnyRow]:
        rows: dict[CheckpointKey, AnyRow] = {}
        for chunk in chunks(keys):
            for row in await conn.execute(*self._sql.checkpoints_by_key(chunk)):
                rows[(row[0], row[1], row[2])] = row
        return rows

    async def _delete_checkpoints(
        self, conn: AsyncConnection, keys: Sequence[CheckpointKey]
    ) -> None:
        for chunk in chunks(keys):
            await conn.execute(*self._sql.delete_writes(chunk))
            await conn.execute(*self._sql.delete_checkpoints(chunk))

    async def _delete_values(self, conn: AsyncConnection, keys: set[BlobKey]) -> None:
        for chunk in chunks(sorted(keys)):
            await conn.execute(*self._sql.delete_blobs(chunk))

    def _referenced(self, row: AnyRow) -> set[BlobKey]:
        """The channel value versions a checkpoint row references."""
        versions = self.serde.loads_typed((row[4], row[5]))["channel_versions"]
        return {(row[0], row[1], channel, str(v)) for channel, v in versions.items()}

    # -- the sync bridge ----------------------------------------------------------------------
    def _sync(self, make: Callable[[Store], Coroutine[Any, Any, T]]) -> T:
        """Run ``make(store)`` (a coroutine) on the private loop and wait for its result."""
        background = self._background
        if background is None:
            if self.store.is_bound:
                raise RuntimeError(
                    "the sync methods cannot run inside a bound store's transaction; "
                    "use the async methods (aget_tuple, aput, ...)"
                )
            with self._background_init:
                if self._background is None:
                    self._background = _BackgroundLoop(self.store)
                background = self._background
        return background.run(make(background.store))


def _require_many(values: object, what: str) -> None:
    """Refuse one string where a sequence of ids is expected (it would be read letter by letter)."""
    if isinstance(values, str | bytes):
        raise InvalidTypeError(
            f"{what} must be a sequence of ids, not a single string: pass [{values!r}]"
        )


class _BackgroundLoop:
    """An event loop on a daemon thread, with a store whose pool belongs to that loop."""

    def __init__(self, store: Store) -> None:
        self.store = store.on_own_pool()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(
            target=self.loop.run_forever, name="locus-store-langgraph", daemon=True
        )
        self.thread.start()
        self._finalizer = weakref.finalize(self, _stop_loop, self.loop, self.thread, self.store)

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        if threading.current_thread() is self.thread:
            coro.close()
            raise RuntimeError("a sync saver method was called from the saver's own loop")
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    def close(self) -> None:
        self._finalizer()


def _stop_loop(loop: asyncio.AbstractEventLoop, thread: threading.Thread, store: Store) -> None:
    if loop.is_closed():
        return
    if threading.current_thread() is thread:  # dropped by code running on the loop itself
        loop.create_task(store.close()).add_done_callback(lambda _: loop.stop())
        return
    try:
        asyncio.run_coroutine_threadsafe(store.close(), loop).result(timeout=30)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=30)
        if not thread.is_alive():
            loop.close()


# -- configs --------------------------------------------------------------------------------
def _key_text(value: object, what: str) -> str:
    """A key LangGraph may hand over as ``str``, ``int`` or ``UUID``, as checked text."""
    if isinstance(value, int | uuid.UUID) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise InvalidTypeError(f"{what} must be a string, not {type(value).__name__}")
    return require_key(value, what)


def _address(config: RunnableConfig) -> tuple[str, str, str | None]:
    """(thread_id, checkpoint_ns, checkpoint_id or None) of a config."""
    configurable = config.get("configurable") or {}
    if configurable.get("thread_id") is None:
        raise InvalidInputError("config['configurable']['thread_id'] is required")
    thread_id = _key_text(configurable["thread_id"], "thread_id")
    ns = require_key(configurable.get("checkpoint_ns") or "", "checkpoint_ns", allow_empty=True)
    checkpoint_id = configurable.get("checkpoint_id")
    return thread_id, ns, require_key(checkpoint_id, "checkpoint_id") if checkpoint_id else None


def _config(thread_id: str, ns: str, checkpoint_id: str) -> RunnableConfig:
    return {
        "configurable": {
            "thread_id": thread_id,
            "checkpoint_ns": ns,
            "checkpoint_id": checkpoint_id,
        }
    }


def _key_of(config: RunnableConfig) -> CheckpointKey:
    c = config["configurable"]
    return c["thread_id"], c["checkpoint_ns"], c["checkpoint_id"]


def _list_query(
    config: RunnableConfig | None,
    filter: dict[str, Any] | None,
    before: RunnableConfig | None,
) -> _ListQuery:
    thread_id = ns = checkpoint_id = None
    if config is not None:
        thread_id, _, checkpoint_id = _address(config)
        raw_ns = (config.get("configurable") or {}).get("checkpoint_ns")
        ns = None if raw_ns is None else require_key(raw_ns, "checkpoint_ns", allow_empty=True)
    before_id = None
    if before is not None:
        raw = (before.get("configurable") or {}).get("checkpoint_id")
        before_id = require_key(raw, "before checkpoint_id") if raw else None
    if filter is not None and not isinstance(filter, dict):
        raise InvalidTypeError(f"filter must be a dict or None, not {type(filter).__name__}")
    return _ListQuery(thread_id, ns, checkpoint_id, before_id, filter or None)


def _thread_gone(thread_id: str, ns: str, what: str) -> CheckpointNotFoundError:
    return CheckpointNotFoundError(
        f"refused {what} of thread {thread_id!r} (namespace {ns!r}): the thread has no "
        "checkpoint (erased, or never saved), and it would leave a partial thread; "
        "a new run starts the thread again from a root checkpoint"
    )
