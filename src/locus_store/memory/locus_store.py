"""The memory tables as Locus's long-term store: ``store.memory()`` is a ``BaseStore``.

A thin layer over `MemoryItems`, which holds every statement: this module turns
Locus's calls into item puts, reads and searches, and items into ``StoreItem``.

- ``search(namespace, query)``: without a query, newest first; with ``embed`` and
  vectors on this database, the items nearest the query's embedding; otherwise
  full-text search (every term must match; any text is a valid query).
- ``put`` with ``embed`` also stores the embedding of the value's text (field ``"$"``,
  the whole value), so a later ``search`` is semantic; ``put_with_embedding`` stores
  the one it is given. A put replaces the item's embedding: a plain put drops it, and
  a semantic ``search`` ranks only items that have one.
- ``search_by_embedding`` scores 0..1, higher is nearer, as Locus's ``OracleStore``
  does: cosine ``1 - d/2``, l2 ``1 / (1 + d)``, dot ``(1 + inner product) / 2``
  clipped (``OracleStore`` turns the dot score upside down; this one rises with
  similarity). ``distance`` is the database's own (smaller is nearer); ``threshold``
  is on the score.
- ``ttl`` is the expiry of every put; an expired item is invisible to every read.
- Without vectors (PostgreSQL without pgvector) ``put`` and ``search`` still work, on
  text, and the vector calls raise Locus's `StoreCapabilityError` saying how to
  enable them.

``capabilities`` is a property, so it cannot ask the database whether it has
vectors: until a call has read that (``await memory.acapabilities()`` does), it
reports no semantic search.
"""

from __future__ import annotations

import datetime as dt
import inspect
import math
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

from locus.memory.store import (
    BaseStore,
    SemanticSearchResult,
    StoreCapabilities,
    StoreCapabilityError,
    StoreItem,
)

from locus_store.errors import (
    InvalidInputError,
    InvalidTypeError,
    VectorDimensionError,
    VectorSearchUnavailableError,
)
from locus_store.memory.items import (
    ENABLE_VECTORS_HINT,
    ItemPut,
    ItemRecord,
    VectorSettings,
    require_item_key,
    text_of,
)
from locus_store.memory.namespaces import require_namespace, require_namespaces
from locus_store.validation import (
    require_json,
    require_limit,
    require_metadata,
    require_ttl,
)

if TYPE_CHECKING:
    from locus_store.memory.items import MemoryItems

#: ``embed(texts) -> vectors``, one vector per text, sync or async.
Embed: TypeAlias = Callable[
    [list[str]], Sequence[Sequence[float]] | Awaitable[Sequence[Sequence[float]]]
]
#: A put as Locus's ``put_batch`` takes it.
BatchItem: TypeAlias = tuple[tuple[str, ...], str, Any, dict[str, Any] | None]
#: The field a whole value's embedding is stored under (LangGraph's name for it).
WHOLE_VALUE = "$"
#: How far the distance bound sent with a threshold is widened, so that rounding never
#: drops an item the score keeps: the score decides.
_SLACK = 1e-6
_HINT = ENABLE_VECTORS_HINT[:1].upper() + ENABLE_VECTORS_HINT[1:]


class MemoryStore(BaseStore):
    """Locus long-term memory on the store's tables (build it with ``store.memory()``)."""

    def __init__(
        self,
        items: MemoryItems,
        *,
        embed: Embed | None = None,
        ttl: dt.timedelta | float | None = None,
    ) -> None:
        if embed is not None and not callable(embed):
            raise InvalidTypeError(f"embed must be callable, not {type(embed).__name__}")
        self._items = items
        self._embed = embed
        self._ttl = require_ttl(ttl)
        self._settings: VectorSettings | None = None

    def __repr__(self) -> str:
        embed = ", embed=..." if self._embed is not None else ""
        ttl = f", ttl={self._ttl}" if self._ttl is not None else ""
        return f"MemoryStore({self._items.store!r}{embed}{ttl})"

    @property
    def ttl(self) -> dt.timedelta | None:
        return self._ttl

    # -- capabilities -------------------------------------------------------------------
    @property
    def capabilities(self) -> StoreCapabilities:
        vectors = self._settings is not None and self._settings.available
        return StoreCapabilities(
            search=True,
            semantic_search=vectors,
            embedding_dimension=self._settings.dims if vectors and self._settings else None,
            ttl=self._ttl is not None,
            list_namespaces=True,
            batch_operations=True,
            transactions=True,
        )

    async def acapabilities(self) -> StoreCapabilities:
        """`capabilities`, once this database's vectors are known (one read, then kept)."""
        await self._vectors()
        return self.capabilities

    async def _vectors(self) -> VectorSettings:
        if self._settings is None:
            self._settings = await self._items.vector_settings()
        return self._settings

    async def _require_vectors(self) -> VectorSettings:
        settings = await self._vectors()
        if not settings.available:
            raise StoreCapabilityError("semantic_search", type(self).__name__, _HINT)
        return settings

    async def _embedding_settings(self) -> VectorSettings | None:
        """The vector settings when puts and searches embed (``embed`` and vectors), else None."""
        if self._embed is None:
            return None
        settings = await self._vectors()
        return settings if settings.available else None

    async def _embedded(self, settings: VectorSettings, texts: list[str]) -> list[list[float]]:
        """``embed(texts)``, each vector checked against the schema's."""
        assert self._embed is not None
        produced = self._embed(texts)
        if inspect.isawaitable(produced):
            produced = await produced
        vectors = list(produced)
        if len(vectors) != len(texts):
            raise VectorDimensionError(
                f"embed returned {len(vectors)} vectors for {len(texts)} texts"
            )
        return [settings.require(v, "a vector from embed") for v in vectors]

    # -- the four Locus requires ------------------------------------------------------------
    async def put(
        self,
        namespace: tuple[str, ...],
        key: str,
        value: Any,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        """Store ``value`` (any JSON) under ``key``; with ``embed``, its embedding too."""
        await self.put_batch([(namespace, key, value, metadata)])

    async def get(self, namespace: tuple[str, ...], key: str) -> Any | None:
        return await self._items.value(namespace, key)

    async def delete(self, namespace: tuple[str, ...], key: str) -> bool:
        """Delete the item (its embedding with it); whether there was one."""
        return await self._items.delete([(require_namespace(namespace), key)]) > 0

    async def list_keys(self, namespace: tuple[str, ...], limit: int = 100) -> list[str]:
        """The namespace's keys, most recently put first."""
        return await self._items.keys(require_namespace(namespace), limit=limit)

    # -- reads ----------------------------------------------------------------------------
    async def exists(self, namespace: tuple[str, ...], key: str) -> bool:
        return await self.get_item(namespace, key) is not None

    async def get_item(self, namespace: tuple[str, ...], key: str) -> StoreItem | None:
        wanted = (require_namespace(namespace), key)
        record = (await self._items.get([wanted])).get(wanted)
        return None if record is None else _item(record)

    async def get_batch(
        self, keys: list[tuple[tuple[str, ...], str]]
    ) -> dict[tuple[tuple[str, ...], str], Any]:
        """The values of those keys that exist, by ``(namespace, key)``; one statement."""
        found = await self._items.get(keys)
        return {pair: record.value for pair, record in found.items()}

    # -- search ---------------------------------------------------------------------------
    async def search(
        self,
        namespace: tuple[str, ...],
        query: str | None = None,
        limit: int = 10,
    ) -> list[StoreItem]:
        """The namespace's items: newest first without a query, else the best matches."""
        return (await self.search_many([namespace], query=query, limit=limit))[0]

    async def search_many(
        self,
        namespaces: Sequence[tuple[str, ...]],
        query: str | None = None,
        limit: int = 10,
    ) -> list[list[StoreItem]]:
        """``[search(ns, query, limit) for ns in namespaces]``, in one statement."""
        targets = require_namespaces(namespaces)
        limit = require_limit(limit)
        if query is not None and not isinstance(query, str):
            raise InvalidTypeError(f"query must be a string or None, not {type(query).__name__}")
        if not targets:
            return []
        if query is None or not query.strip():
            found = await self._items.list_many(targets, limit=limit)
        elif (settings := await self._embedding_settings()) is not None:
            (vector,) = await self._embedded(settings, [query])
            found = await self._items.vector_search(targets, vector, limit=limit)
        else:
            found = await self._items.text_search(targets, query, limit=limit)
        return [[_item(record) for record in records] for records in found]

    # -- vectors ----------------------------------------------------------------------------
    async def put_with_embedding(
        self,
        namespace: tuple[str, ...],
        key: str,
        value: Any,
        embedding: list[float],
        metadata: dict[str, Any] | None = None,
    ) -> None:
        """Store ``value`` with ``embedding`` as its vector (replacing any earlier one)."""
        put = self._checked(namespace, key, value, metadata)
        settings = await self._require_vectors()
        vector = settings.require(embedding, "embedding")
        await self._items.put([_with_vector(put, vector)])

    async def search_by_embedding(
        self,
        namespace: tuple[str, ...],
        query_embedding: list[float],
        limit: int = 10,
        threshold: float | None = None,
        metadata_filter: dict[str, Any] | None = None,
    ) -> list[SemanticSearchResult]:
        """The namespace's items nearest ``query_embedding``, best first, scored 0..1.

        ``threshold``: the lowest score kept. ``metadata_filter``: LangGraph's filter
        form over the metadata (``{"kind": "pet", "n": {"$gt": 3}}``).
        """
        target = require_namespace(namespace)
        limit = require_limit(limit)
        floor = _threshold(threshold)
        conditions = require_metadata(metadata_filter, "metadata_filter")
        settings = await self._require_vectors()
        vector = settings.require(query_embedding, "query_embedding")
        (records,) = await self._items.vector_search(
            [target],
            vector,
            metadata_filter=conditions,
            limit=limit,
            max_distance=None if floor is None else _max_distance(settings.distance, floor),
        )
        results = []
        for record in records:
            assert record.distance is not None
            score = score_of(settings.distance, record.distance)
            if floor is None or score >= floor:
                results.append(SemanticSearchResult(_item(record), score, record.distance))
        return results

    async def get_embedding(self, namespace: tuple[str, ...], key: str) -> list[float] | None:
        """The item's embedding: its whole value's, else its first embedded field's."""
        await self._require_vectors()
        try:
            fields = await self._items.embeddings(require_namespace(namespace), key)
        except VectorSearchUnavailableError as exc:  # pragma: no cover - settings said yes
            raise StoreCapabilityError("semantic_search", type(self).__name__, _HINT) from exc
        if WHOLE_VALUE in fields:
            return fields[WHOLE_VALUE]
        return fields[min(fields)] if fields else None

    # -- batches and namespaces -----------------------------------------------------------
    async def put_batch(self, items: list[BatchItem]) -> None:
        """Store every item in one transaction: one bad item and nothing is written.

        Every item is checked before ``embed`` is called (once, for all of them).
        """
        if isinstance(items, str | bytes) or not isinstance(items, Sequence):
            raise InvalidTypeError(f"items must be a list of tuples, not {type(items).__name__}")
        puts = [self._checked(*_fields(entry)) for entry in items]
        if not puts:
            return
        settings = await self._embedding_settings()
        if settings is not None:
            vectors = await self._embedded(settings, [text_of(p.value) for p in puts])
            puts = [_with_vector(p, v) for p, v in zip(puts, vectors, strict=True)]
        await self._items.put(puts)

    async def list_namespaces(
        self, prefix: tuple[str, ...] | None = None, limit: int = 100
    ) -> list[tuple[str, ...]]:
        """Namespaces holding items, sorted; with ``prefix``, those starting with its labels.

        Every label is literal: ``"*"`` is a label like any other here.
        """
        start = None if prefix is None else require_namespace(prefix, "prefix")
        return await self._items.list_namespaces(
            prefix=start, limit=require_limit(limit), wildcards=False
        )

    async def clear_namespace(self, namespace: tuple[str, ...]) -> int:
        """Delete every item of exactly this namespace (not those below it); how many."""
        return await self._items.clear_namespace(require_namespace(namespace))

    async def close(self) -> None:
        """Release the store's pooled connections (the store stays usable)."""
        await self._items.store.close()

    def _checked(self, namespace: object, key: object, value: object, metadata: object) -> ItemPut:
        """One put with every argument checked, before any embedding or SQL."""
        if value is None:
            raise InvalidInputError(
                "value must not be None: get() could not tell it from a missing key "
                "(delete the key instead)"
            )
        return ItemPut(
            namespace=require_namespace(namespace),
            key=require_item_key(key),
            value=require_json(value, "value"),
            metadata=require_metadata(metadata),
            ttl=self._ttl,
        )


def _fields(entry: object) -> tuple[object, object, object, object]:
    if not isinstance(entry, tuple | list) or len(entry) != 4:
        raise InvalidTypeError("each batch item must be a (namespace, key, value, metadata) tuple")
    namespace, key, value, metadata = entry
    return namespace, key, value, metadata


def _with_vector(put: ItemPut, vector: list[float]) -> ItemPut:
    return ItemPut(
        namespace=put.namespace,
        key=put.key,
        value=put.value,
        metadata=put.metadata,
        ttl=put.ttl,
        embeddings={WHOLE_VALUE: vector},
    )


def _item(record: ItemRecord) -> StoreItem:
    return StoreItem(
        namespace=record.namespace,
        key=record.key,
        value=record.value,
        metadata=dict(record.metadata) if record.metadata is not None else {},
        created_at=record.created_at,
        updated_at=record.updated_at,
        version=record.version,
    )


def score_of(distance: str, d: float) -> float:
    """A 0..1 similarity, higher is nearer, from a distance, smaller is nearer."""
    if distance == "cosine":
        return _clip(1.0 - d / 2.0)
    if distance == "dot":
        return _clip((1.0 - d) / 2.0)  # d is the negated inner product
    return 1.0 / (1.0 + d)


def _max_distance(distance: str, floor: float) -> float | None:
    """The largest distance whose score reaches ``floor`` (None: any does), widened a little."""
    if floor <= 0.0:
        return None
    if distance == "cosine":
        bound = 2.0 * (1.0 - floor)
    elif distance == "dot":
        bound = 1.0 - 2.0 * floor
    else:
        bound = 1.0 / floor - 1.0
    return bound + _SLACK * max(1.0, abs(bound))


def _clip(score: float) -> float:
    return max(0.0, min(1.0, score))


def _threshold(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidTypeError(f"threshold must be a number or None, not {type(value).__name__}")
    if not math.isfinite(value) or not 0.0 <= value <= 1.0:
        raise InvalidInputError(f"threshold must be a score from 0 to 1, not {value}")
    return float(value)
