"""The memory tables as LangGraph's long-term store: ``store.langgraph_store()``.

`SQLAlchemyStore` is a ``langgraph.store.base.BaseStore``; `MemoryItems` holds every
statement, this module turns LangGraph's operations into item reads and puts:

- ``batch``/``abatch`` run the reads of a batch first (gets, searches, listings, in that
  order), then its puts and deletes (the last op on a key wins), as LangGraph's own
  stores do: a read never sees a write of its own batch. Every namespace is checked
  before any SQL (LangGraph's rules, then the store's), so a bad op refuses its batch.
- ``search`` without a query (or without ``index``) lists newest first, ``score`` None
  (a query without an index is ignored, as in LangGraph's stores); with both, the items
  nearest the query's embedding, best first, scored as ``PostgresStore`` does: cosine
  ``1 - distance``, inner product and l2 ``-distance``. Items without vectors (put with
  ``index=False``, or with none of the fields) are not found by a query.
- ``filter`` runs in SQL (`locus_store.sql.json_filter`): ``$eq $ne $gt $gte $lt $lte``,
  dotted keys for nested fields, JSON types kept apart.
- ``index``: LangGraph's ``IndexConfig`` (``dims``, ``embed``, ``fields``; ``distance_type``
  as ``PostgresStore`` names it may be given, and is checked). The vectors' dimensions
  and metric are the schema's (``store.upgrade(memory_dims=...)``, which ``setup()``
  runs): a different ``dims``, or a database without vectors, fails the first call with a
  typed error saying what to change. A put replaces the item's vectors by those of its
  own ``index`` (``index=False``: none).
- ``ttl``: LangGraph's ``TTLConfig``; ``default_ttl`` and per-put ``ttl`` in minutes;
  reads refresh per ``refresh_on_read``. An expired item is invisible to every read
  at once (LangGraph's ``omit_expired`` is always on); the sweeper deletes them:
  ``start_ttl_sweeper()`` (run by ``async with`` when ``sweep_interval_minutes`` is
  set), stopped by ``stop_ttl_sweeper()``, ``aclose()`` and leaving ``async with``.

The sync methods run the async ones on a private event loop with a pool of its own,
as the LangGraph saver's do (`locus_store.langgraph._sync.BackgroundLoop`).
"""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import logging
import math
import threading
from collections import defaultdict
from collections.abc import Callable, Coroutine, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal, Self, TypeVar, cast

from langchain_core.embeddings import Embeddings
from langgraph.store.base import (
    BaseStore,
    GetOp,
    IndexConfig,
    Item,
    ListNamespacesOp,
    MatchCondition,
    Op,
    PutOp,
    Result,
    SearchItem,
    SearchOp,
    TTLConfig,
    ensure_embeddings,
    get_text_at_path,
    tokenize_path,
    validate_op_namespace,
)
from langgraph.store.base import InvalidNamespaceError as LangGraphNamespaceError

from locus_store import errors
from locus_store._engine.background import BackgroundLoop
from locus_store.errors import InvalidInputError, InvalidTypeError
from locus_store.memory import namespaces as ns
from locus_store.memory.items import (
    ENABLE_VECTORS_HINT,
    ItemPut,
    ItemRecord,
    MemoryItems,
    VectorSettings,
    require_item_key,
)
from locus_store.memory.namespaces import Namespace
from locus_store.schema.vectors import Distance
from locus_store.sql.json_filter import parse_filter
from locus_store.validation import require_json

__all__ = ["InvalidNamespaceError", "SQLAlchemyStore"]

_log = logging.getLogger(__name__)
T = TypeVar("T")

#: ``distance_type`` as ``PostgresIndexConfig`` names it -> the schema's metric.
_DISTANCE_TYPES: dict[str, Distance] = {"cosine": "cosine", "inner_product": "dot", "l2": "l2"}
#: Minutes between sweeps when neither the call nor ``TTLConfig`` says (PostgresStore's).
DEFAULT_SWEEP_MINUTES = 5.0
#: Field paths of one item: (path as given, its tokens, or "$" for the whole value).
Fields = list[tuple[str, Literal["$"] | list[str]]]
Key = tuple[Namespace, str]
#: Vectors a vector search expects of a field that spreads over an array or object.
WIDE_FIELD_VECTORS = 8


class InvalidNamespaceError(errors.InvalidNamespaceError, LangGraphNamespaceError):
    """A namespace LangGraph or this store refuses: both libraries' error types."""


@dataclass(frozen=True)
class _Index:
    """A checked ``IndexConfig``."""

    dims: int
    embeddings: Embeddings
    fields: Fields
    distance: Distance | None

    @property
    def vectors_per_item(self) -> int:
        """About how many vectors an item has: one per field, more for a field that
        spreads over an array or an object (``[*]``, ``*``, ``{a,b}``)."""
        return sum(
            WIDE_FIELD_VECTORS if tokens != "$" and any(_spreads(t) for t in tokens) else 1
            for _, tokens in self.fields
        )


class SQLAlchemyStore(BaseStore):
    """LangGraph ``BaseStore`` on a [`Store`][locus_store.Store]'s memory tables.

    Build it with ``store.langgraph_store(index=..., ttl=...)``.
    """

    supports_ttl: bool = True

    def __init__(
        self,
        items: MemoryItems,
        *,
        index: IndexConfig | None = None,
        ttl: TTLConfig | None = None,
    ) -> None:
        super().__init__()
        self.items = items
        self._index = _index(index)
        self.index_config: IndexConfig | None = None
        self.embeddings: Embeddings | None = None
        if index is not None and self._index is not None:
            config = cast(dict[str, Any], dict(index))
            config["__tokenized_fields"] = self._index.fields  # as LangGraph's stores keep it
            self.index_config = cast(IndexConfig, config)
            self.embeddings = self._index.embeddings
        self.ttl_config = _ttl_config(ttl)
        #: Vector rows a search fetches per result (PostgresStore: twice its estimate).
        self._rows_per_result = 2 * (self._index.vectors_per_item if self._index else 1)
        self._settings: VectorSettings | None = None
        self._background: tuple[BackgroundLoop, MemoryItems] | None = None
        self._background_init = threading.Lock()
        self._sweeper: asyncio.Task[None] | None = None
        self._sweeper_stop: asyncio.Event | None = None

    def __repr__(self) -> str:
        index = f", index={{'dims': {self._index.dims}}}" if self._index else ""
        ttl = f", ttl={dict(self.ttl_config)!r}" if self.ttl_config else ""
        return f"SQLAlchemyStore({self.items.store!r}{index}{ttl})"

    # -- schema -----------------------------------------------------------------------
    async def asetup(self) -> None:
        """Migrate the store's tables to head; the vectors get this index's ``dims`` (and
        ``distance_type``) when their revision runs now."""
        options: dict[str, Any] = {}
        if self._index is not None:
            options["memory_dims"] = self._index.dims
            if self._index.distance is not None:
                options["memory_distance"] = self._index.distance
        await self.items.store.upgrade(**options)

    def setup(self) -> None:
        self._on_loop(lambda twin: twin.asetup())

    # -- batches ----------------------------------------------------------------------
    async def abatch(self, ops: Iterable[Op]) -> list[Result]:
        ops = list(ops)
        for op in ops:
            _check_op(op)
        settings = await self._vector_settings()
        results: list[Result] = [None] * len(ops)
        await self._gets([(i, op) for i, op in enumerate(ops) if isinstance(op, GetOp)], results)
        searches = [(i, op) for i, op in enumerate(ops) if isinstance(op, SearchOp)]
        await self._searches(searches, settings, results)
        for i, op in enumerate(ops):
            if isinstance(op, ListNamespacesOp):
                results[i] = await self._list_namespaces(op)
        await self._puts([op for op in ops if isinstance(op, PutOp)], settings)
        return results

    def batch(self, ops: Iterable[Op]) -> list[Result]:
        listed = list(ops)
        for op in listed:
            _check_op(op)  # refused here, before the loop starts
        return self._on_loop(lambda twin: twin.abatch(listed))

    async def _vector_settings(self) -> VectorSettings | None:
        """The schema's vectors when this store has an index; checked against it once."""
        if self._index is None:
            return None
        if self._settings is None:
            settings = await self.items.vector_settings()
            _require_matching(self._index, settings)
            self._settings = settings
        return self._settings

    async def _gets(self, gets: list[tuple[int, GetOp]], results: list[Result]) -> None:
        for refresh in (False, True):
            wanted = [(i, op) for i, op in gets if bool(op.refresh_ttl) is refresh]
            if not wanted:
                continue
            keys = [(tuple(op.namespace), op.key) for _, op in wanted]
            found = await self.items.get(keys, refresh_ttl=refresh)
            for (i, _), key in zip(wanted, keys, strict=True):
                record = found.get(key)
                results[i] = _item(record) if record is not None else None

    async def _searches(
        self,
        searches: list[tuple[int, SearchOp]],
        settings: VectorSettings | None,
        results: list[Result],
    ) -> None:
        for _, op in searches:
            parse_filter(op.filter)  # every filter is checked before the first search runs
        vectors = await self._query_vectors([op for _, op in searches])
        for i, op in searches:
            prefix = tuple(op.namespace_prefix)
            vector = vectors.get(op.query) if op.query else None
            if vector is None or settings is None:
                records = await self.items.list_items(
                    prefix,
                    prefix=True,
                    value_filter=op.filter,
                    limit=op.limit,
                    offset=op.offset,
                    refresh_ttl=op.refresh_ttl,
                )
                results[i] = [_search_item(r, None) for r in records]
                continue
            (records,) = await self.items.vector_search(
                [prefix],
                vector,
                prefix=True,
                value_filter=op.filter,
                limit=op.limit,
                offset=op.offset,
                refresh_ttl=op.refresh_ttl,
                rows_per_result=self._rows_per_result,
            )
            results[i] = [_search_item(r, _score(r, settings.distance)) for r in records]

    async def _query_vectors(self, searches: Sequence[SearchOp]) -> dict[str, list[float]]:
        if self._index is None:
            return {}
        queries = list(dict.fromkeys(op.query for op in searches if op.query))
        for query in queries:
            if not isinstance(query, str):
                raise InvalidTypeError(f"query must be a string, not {type(query).__name__}")
        embedded = await asyncio.gather(*(self._index.embeddings.aembed_query(q) for q in queries))
        return dict(zip(queries, embedded, strict=True))

    async def _list_namespaces(self, op: ListNamespacesOp) -> list[tuple[str, ...]]:
        prefix = _merged(op.match_conditions or (), "prefix")
        suffix = _merged(op.match_conditions or (), "suffix")
        if prefix is False or suffix is False:
            return []  # two conditions no namespace can meet
        return await self.items.list_namespaces(
            prefix=prefix, suffix=suffix, max_depth=op.max_depth, limit=op.limit, offset=op.offset
        )

    async def _puts(self, ops: list[PutOp], settings: VectorSettings | None) -> None:
        last: dict[Key, PutOp] = {}
        for op in ops:
            last[(tuple(op.namespace), op.key)] = op
        writes = {key: op for key, op in last.items() if op.value is not None}
        vectors = await self._embed(writes) if settings is not None else {}
        if writes:
            await self.items.put(
                [
                    ItemPut(
                        namespace,
                        key,
                        dict(cast(Mapping[str, Any], op.value)),
                        ttl=_minutes(op.ttl),
                        embeddings=vectors.get((namespace, key)),
                    )
                    for (namespace, key), op in writes.items()
                ]
            )
        deletes = [key for key, op in last.items() if op.value is None]
        if deletes:
            await self.items.delete(deletes)

    async def _embed(self, writes: Mapping[Key, PutOp]) -> dict[Key, dict[str, list[float]]]:
        """Each write's vectors by field, from one call of the embedding function."""
        assert self._index is not None
        wanted: list[tuple[Key, str, str]] = []
        for key, op in writes.items():
            if op.index is False:
                continue
            fields = self._index.fields if op.index is None else _fields(op.index, "index")
            for path, tokens in fields:
                texts = get_text_at_path(op.value, tokens)
                for n, text in enumerate(texts):
                    wanted.append((key, f"{path}.{n}" if len(texts) > 1 else path, text))
        vectors: dict[Key, dict[str, list[float]]] = defaultdict(dict)
        if not wanted:
            return vectors
        embedded = await self._index.embeddings.aembed_documents([text for *_, text in wanted])
        if len(embedded) != len(wanted):
            raise InvalidInputError(
                f"the embedding function returned {len(embedded)} vectors for {len(wanted)} texts"
            )
        for (key, field, _), vector in zip(wanted, embedded, strict=True):
            vectors[key][field] = vector
        return vectors

    # -- TTL sweeper --------------------------------------------------------------------
    async def sweep_ttl(self) -> int:
        """Delete expired items (and their vectors) now; how many items went."""
        return (await self.items.sweep()).items

    async def start_ttl_sweeper(
        self, sweep_interval_minutes: float | None = None
    ) -> asyncio.Task[None]:
        """Sweep expired items every ``sweep_interval_minutes`` (else ``TTLConfig``'s, else 5)
        on the running loop until `stop_ttl_sweeper`, `aclose` or the end of ``async with``.
        A second call returns the running sweeper."""
        if self._sweeper is not None and not self._sweeper.done():
            return self._sweeper
        if self.items.store.is_bound:
            raise RuntimeError("a bound store's transaction is its caller's: it runs no sweeper")
        configured = (self.ttl_config or {}).get("sweep_interval_minutes")
        minutes = _positive_minutes(
            sweep_interval_minutes or configured or DEFAULT_SWEEP_MINUTES, "sweep_interval_minutes"
        )
        stop = asyncio.Event()
        self._sweeper_stop = stop
        self._sweeper = asyncio.get_running_loop().create_task(
            self._sweep_every(minutes * 60.0, stop), name="locus-store-ttl-sweeper"
        )
        _log.info("memory TTL sweeper started (every %s minutes)", minutes)
        return self._sweeper

    async def _sweep_every(self, seconds: float, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), timeout=seconds)
                return
            except TimeoutError:
                pass
            try:
                swept = await self.sweep_ttl()
            except Exception:  # the next round tries again, as PostgresStore's sweeper does
                _log.exception("memory TTL sweep failed")
                continue
            if swept:
                _log.info("memory TTL sweep deleted %d expired items", swept)

    async def stop_ttl_sweeper(self, timeout: float | None = None) -> bool:
        """Stop the sweeper; False when it did not stop within ``timeout`` seconds."""
        task, stop = self._sweeper, self._sweeper_stop
        if task is None or task.done():
            self._sweeper = None
            return True
        if stop is not None:
            stop.set()
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout=timeout)
        except TimeoutError:
            _log.warning("memory TTL sweeper did not stop within %s seconds", timeout)
            return False
        self._sweeper = None
        _log.info("memory TTL sweeper stopped")
        return True

    # -- lifecycle ----------------------------------------------------------------------
    async def aclose(self) -> None:
        """Stop the sweeper and the sync methods' private loop (the `Store` stays open)."""
        await self.stop_ttl_sweeper()
        background, self._background = self._background, None
        if background is not None:
            await asyncio.to_thread(background[0].close)

    def close(self) -> None:
        """Signal the sweeper to stop and close the sync methods' private loop."""
        task, stop = self._sweeper, self._sweeper_stop
        if task is not None and stop is not None and not task.done():
            task.get_loop().call_soon_threadsafe(stop.set)
        background, self._background = self._background, None
        if background is not None:
            background[0].close()

    async def __aenter__(self) -> Self:
        if self.ttl_config and self.ttl_config.get("sweep_interval_minutes"):
            await self.start_ttl_sweeper()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- the bridge ---------------------------------------------------------------------
    def _on_loop(self, make: Callable[[Self], Coroutine[Any, Any, T]]) -> T:
        """Run ``make(store)`` on the private loop, ``store`` being this one on its pool."""
        background = self._background
        if background is None:
            if self.items.store.is_bound:
                raise RuntimeError(
                    "the sync methods cannot run inside a bound store's transaction; "
                    "use the async methods (aget, aput, asearch, ...)"
                )
            with self._background_init:
                if self._background is None:
                    loop = BackgroundLoop(self.items.store)
                    self._background = (loop, MemoryItems(loop.store))
                background = self._background
        twin = copy.copy(self)
        twin.items = background[1]
        return background[0].run(make(twin))


def _spreads(token: str) -> bool:
    return token in ("*", "[*]") or token.startswith("{")


# -- checks before any SQL ----------------------------------------------------------------


def _check_op(op: object) -> None:
    """LangGraph's namespace rules, then the store's, for one op; typed errors."""
    if not isinstance(op, GetOp | PutOp | SearchOp | ListNamespacesOp):
        raise InvalidTypeError(f"unknown store operation {type(op).__name__}")
    try:
        validate_op_namespace(op)
        if isinstance(op, GetOp | PutOp):
            ns.require_namespace(op.namespace)
            require_item_key(op.key)
        elif isinstance(op, SearchOp):
            for label in op.namespace_prefix:
                ns.require_label(label, "namespace prefix")
        else:
            for condition in op.match_conditions or ():
                for label in condition.path:
                    ns.require_label(label, f"{condition.match_type} of list_namespaces")
    except (LangGraphNamespaceError, errors.InvalidNamespaceError) as exc:
        raise InvalidNamespaceError(str(exc)) from None
    if isinstance(op, PutOp):
        _check_put(op)


def _check_put(op: PutOp) -> None:
    if op.value is not None:
        if not isinstance(op.value, Mapping):
            raise InvalidTypeError(f"a value must be a mapping, not {type(op.value).__name__}")
        require_json(dict(op.value), "value")  # before anything is embedded
    if op.index is not None and op.index is not False:
        _fields(op.index, "index")
    _minutes(op.ttl)


def _fields(value: object, what: str) -> Fields:
    """Field paths as LangGraph writes them (``"$"``: the whole value), tokenized."""
    paths = [value] if isinstance(value, str) else value
    if not isinstance(paths, list | tuple) or not all(isinstance(p, str) and p for p in paths):
        raise InvalidTypeError(f"{what} must be a list of field paths (strings)")
    return [(p, "$" if p == "$" else tokenize_path(p)) for p in paths]


def _index(index: IndexConfig | None) -> _Index | None:
    if index is None:
        return None
    if not isinstance(index, Mapping):
        raise InvalidTypeError(f"index must be an IndexConfig (a dict), not {type(index).__name__}")
    dims = index.get("dims")
    if isinstance(dims, bool) or not isinstance(dims, int) or dims < 1:
        raise InvalidInputError(f"index dims must be a positive integer, not {dims!r}")
    if index.get("embed") is None:
        raise InvalidInputError("index needs an embed function (or LangChain Embeddings)")
    distance_type = cast(Mapping[str, Any], index).get("distance_type")
    distance = None
    if distance_type is not None:
        distance = _DISTANCE_TYPES.get(distance_type) if isinstance(distance_type, str) else None
        if distance is None:
            raise InvalidInputError(
                f"index distance_type must be one of {', '.join(_DISTANCE_TYPES)}, "
                f"not {distance_type!r}"
            )
    fields = _fields(index.get("fields") or ["$"], "index fields")
    return _Index(dims, ensure_embeddings(index.get("embed")), fields, distance)


def _require_matching(index: _Index, settings: VectorSettings) -> None:
    """The schema's vectors can hold this index's, or a typed error saying what to do."""
    if not settings.available:
        raise errors.VectorSearchUnavailableError(
            f"index={{'dims': {index.dims}, ...}} needs vectors, but {ENABLE_VECTORS_HINT}; "
            "or drop index= to use the store without vector search"
        )
    if settings.dims != index.dims:
        raise errors.VectorDimensionError(
            f"index dims is {index.dims}, but this schema's vectors have {settings.dims} "
            f"dimensions (chosen when migrating: memory_dims); use an embedding model of "
            f"{settings.dims} dimensions, or re-create the vectors with memory_dims={index.dims}"
        )
    if index.distance is not None and index.distance != settings.distance:
        raise InvalidInputError(
            f"index distance_type means {index.distance!r}, but this schema's vectors are "
            f"indexed for {settings.distance!r} (chosen when migrating: memory_distance)"
        )


def _ttl_config(ttl: TTLConfig | None) -> TTLConfig | None:
    if ttl is None:
        return None
    if not isinstance(ttl, Mapping):
        raise InvalidTypeError(f"ttl must be a TTLConfig (a dict), not {type(ttl).__name__}")
    config = cast(TTLConfig, dict(ttl))
    if config.get("default_ttl") is not None:
        _positive_minutes(config["default_ttl"], "default_ttl")
    if config.get("sweep_interval_minutes") is not None:
        _positive_minutes(config["sweep_interval_minutes"], "sweep_interval_minutes")
    if not isinstance(config.get("refresh_on_read", True), bool):
        raise InvalidTypeError("refresh_on_read must be a bool")
    return config


def _positive_minutes(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidTypeError(f"{what} must be a number of minutes, not {type(value).__name__}")
    if not math.isfinite(value) or value <= 0:
        raise InvalidInputError(f"{what} must be a positive number of minutes, not {value}")
    return float(value)


def _minutes(ttl: object) -> dt.timedelta | None:
    if ttl is None:
        return None
    minutes = _positive_minutes(ttl, "ttl")
    try:
        return dt.timedelta(minutes=minutes)
    except OverflowError:
        raise InvalidInputError(f"ttl of {minutes} minutes is too long") from None


def _merged(
    conditions: Sequence[MatchCondition], match_type: str
) -> tuple[str, ...] | Literal[False] | None:
    """One pattern meeting every condition of ``match_type`` (``"*"``: any label), None
    when there is none, False when no namespace can meet them all."""
    patterns = [tuple(c.path) for c in conditions if c.match_type == match_type and c.path]
    if any(c.match_type not in ("prefix", "suffix") for c in conditions):
        raise InvalidInputError("list_namespaces match_type must be 'prefix' or 'suffix'")
    if not patterns:
        return None
    width = max(len(p) for p in patterns)
    if match_type == "suffix":  # align from the end
        patterns = [("*",) * (width - len(p)) + p for p in patterns]
    else:
        patterns = [p + ("*",) * (width - len(p)) for p in patterns]
    merged: list[str] = []
    for labels in zip(*patterns, strict=True):
        concrete = {label for label in labels if label != "*"}
        if len(concrete) > 1:
            return False
        merged.append(concrete.pop() if concrete else "*")
    return tuple(merged)


# -- records -> LangGraph items -----------------------------------------------------------


def _item(record: ItemRecord) -> Item:
    return Item(
        value=record.value,
        key=record.key,
        namespace=record.namespace,
        created_at=record.created_at,
        updated_at=record.updated_at,
    )


def _search_item(record: ItemRecord, score: float | None) -> SearchItem:
    return SearchItem(
        namespace=record.namespace,
        key=record.key,
        value=record.value,
        created_at=record.created_at,
        updated_at=record.updated_at,
        score=score,
    )


def _score(record: ItemRecord, distance: Distance) -> float | None:
    """Higher is nearer, as ``PostgresStore`` reports it."""
    if record.distance is None:
        return None
    return 1.0 - record.distance if distance == "cosine" else -record.distance
