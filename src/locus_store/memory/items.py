"""`MemoryItems`: the one repository of long-term memory, under both memory contracts.

It speaks items (namespace, key, value) and runs every statement of
``locus_store.memory.statements`` through the `Store`; the Locus and LangGraph adapters
translate their contracts to it. Every method checks its input before any SQL.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncConnection

from locus_store._engine.oracle import COMMIT_WITH_THIS
from locus_store.errors import (
    InvalidInputError,
    InvalidTypeError,
    VectorDimensionError,
    VectorSearchUnavailableError,
)
from locus_store.memory import namespaces as ns
from locus_store.memory.namespaces import Namespace
from locus_store.memory.statements import (
    MemoryStatements,
    Scope,
    list_statement,
    text_search_statement,
    vector_search_statement,
)
from locus_store.schema.memory_tables import MAX_FIELD_LENGTH, MAX_ITEM_KEY_LENGTH
from locus_store.schema.tables import schema_for
from locus_store.schema.vectors import Distance, require_distance
from locus_store.sql.search import translate_query
from locus_store.sql.statements import Dialect, chunks
from locus_store.timestamps import utcnow
from locus_store.validation import (
    MAX_LIMIT,
    require_json,
    require_key,
    require_limit,
    require_metadata,
    require_text,
)

if TYPE_CHECKING:
    from locus_store.store import Store

#: Most (namespace, key) pairs one read binds.
KEYS_PER_STATEMENT = 500
#: Most namespaces one search answers (each is a branch of one statement).
MAX_NAMESPACES_PER_SEARCH = 64
#: Longest derived search text, in characters (the rest is not indexed).
MAX_SEARCH_TEXT = 100_000
#: How many vector rows a search fetches per result asked for, so that items with
#: several embedded fields still fill the page after duplicates are merged.
VECTOR_ROWS_PER_RESULT = 2
#: How to enable vectors, for the error that says they are missing.
ENABLE_VECTORS_HINT = (
    "this database has no memory vectors: on PostgreSQL install the pgvector extension "
    "(CREATE EXTENSION vector, as a superuser), then run `alembic downgrade b7e2d94c1f08` "
    "and `alembic -x memory_dims=<dims> upgrade head` (or store.downgrade/upgrade)"
)

VectorKind = Literal["native", "exact", "none"]
Key = tuple[Namespace, str]


@dataclass(frozen=True, slots=True)
class ItemRecord:
    """One stored item as read."""

    namespace: Namespace
    key: str
    value: Any
    metadata: dict[str, Any] | None
    created_at: dt.datetime
    updated_at: dt.datetime
    expires_at: dt.datetime | None
    version: int
    #: Text search: higher is better.
    score: float | None = None
    #: Vector search: the smallest distance over the item's embedded fields.
    distance: float | None = None
    #: The TTL the expiry was set from (what a refreshing read extends it by).
    ttl_seconds: float | None = None


@dataclass(frozen=True, slots=True)
class ItemPut:
    """One item to store; a put replaces the value, metadata, expiry and vectors."""

    namespace: Namespace
    key: str
    value: Any
    metadata: dict[str, Any] | None = None
    #: ``None``: never expires.
    ttl: dt.timedelta | None = None
    #: ``None``: the value's strings (and the metadata's), as the full-text index reads them.
    search_text: str | None = None
    #: Field path (``"$"`` is the whole value) to its vector.
    embeddings: Mapping[str, Sequence[float]] | None = None


@dataclass(frozen=True)
class VectorSettings:
    """What the migration made of vectors on this database."""

    kind: VectorKind
    dims: int | None
    distance: Distance

    @property
    def available(self) -> bool:
        return self.kind != "none" and self.dims is not None

    def require(self, vector: object, what: str = "vector") -> list[float]:
        """``vector`` as floats of the schema's length, or a typed error."""
        if not self.available:
            raise VectorSearchUnavailableError(ENABLE_VECTORS_HINT)
        if isinstance(vector, str | bytes) or not isinstance(vector, Sequence):
            if not hasattr(vector, "tolist"):
                raise InvalidTypeError(
                    f"{what} must be a sequence of numbers, not {type(vector).__name__}"
                )
            vector = vector.tolist()
        values: list[float] = []
        for x in vector:  # type: ignore[attr-defined]
            if isinstance(x, bool) or not isinstance(x, numbers.Real):
                raise InvalidTypeError(f"{what} must hold numbers, not {type(x).__name__}")
            if not math.isfinite(x):
                raise VectorDimensionError(f"{what} holds NaN or an infinity")
            values.append(float(x))
        if len(values) != self.dims:
            raise VectorDimensionError(
                f"{what} has {len(values)} dimensions; this schema's vectors have {self.dims} "
                "(chosen when migrating: memory_dims)"
            )
        return values


@dataclass
class SweepReport:
    """What a sweep removed (or, in a dry run, would)."""

    items: int = 0
    vectors: int = 0


@dataclass
class _Prepared:
    row: dict[str, Any]
    vectors: list[dict[str, Any]] = field(default_factory=list)


def text_of(value: Any, limit: int = MAX_SEARCH_TEXT) -> str:
    """The strings inside ``value`` (and numbers), joined by newlines: what search reads."""
    parts: list[str] = []
    pending = [value]
    size = 0
    while pending and size < limit:
        item = pending.pop()
        if isinstance(item, str):
            parts.append(item)
            size += len(item) + 1
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, int | float):
            parts.append(repr(item))
        elif isinstance(item, Mapping):
            pending.extend(reversed(list(item.values())))
        elif isinstance(item, list | tuple):
            pending.extend(reversed(item))
    return "\n".join(parts)[:limit]


def require_item_key(value: object) -> str:
    return require_text(
        value, "key", max_characters=MAX_ITEM_KEY_LENGTH, max_bytes=4 * MAX_ITEM_KEY_LENGTH
    )


def _require_offset(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidTypeError(f"offset must be an integer, not {type(value).__name__}")
    if not 0 <= value <= MAX_LIMIT:
        raise InvalidInputError(f"offset must be from 0 to {MAX_LIMIT}")
    return value


def _require_ttl(value: object) -> dt.timedelta | None:
    if value is None:
        return None
    if not isinstance(value, dt.timedelta):
        raise InvalidTypeError(f"ttl must be a timedelta or None, not {type(value).__name__}")
    if value <= dt.timedelta(0):
        raise InvalidInputError("ttl must be positive")
    return value


class MemoryItems:
    """Long-term memory items of one store (its prefix and dialect)."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._dialect: Dialect = store.dialect
        self._schema = schema_for(store.schema.prefix)
        self._sql = MemoryStatements.of(store.schema.prefix, store.dialect)
        self._settings: VectorSettings | None = None

    @property
    def store(self) -> Store:
        return self._store

    @property
    def cached_vector_settings(self) -> VectorSettings | None:
        """`vector_settings` if it was read already (no SQL), else ``None``."""
        return self._settings

    def __repr__(self) -> str:
        return f"MemoryItems({self._store!r})"

    # -- vectors ----------------------------------------------------------------------
    async def vector_settings(self) -> VectorSettings:
        """What this database has for vectors (read once, then kept)."""
        if self._settings is None:
            row = await self._store.fetch_one(self._sql.config)
            if row is None:
                self._settings = VectorSettings("none", None, "cosine")
            else:
                kind: VectorKind = row.vectors if row.vectors in ("native", "exact") else "none"
                self._settings = VectorSettings(kind, row.dims, require_distance(row.distance))
        return self._settings

    # -- writes -----------------------------------------------------------------------
    async def put(self, puts: Sequence[ItemPut]) -> None:
        """Store every item of ``puts`` in one transaction (the last put of a key wins)."""
        if isinstance(puts, ItemPut):
            puts = [puts]
        now = utcnow()
        settings = await self.vector_settings() if any(p.embeddings for p in puts) else None
        prepared: dict[Key, _Prepared] = {}
        for put in puts:
            item = self._prepare(put, now, settings)
            prepared[(put.namespace, put.key)] = item
        if not prepared:
            return
        rows = [p.row for p in prepared.values()]
        vectors = [v for p in prepared.values() for v in p.vectors]
        if len(rows) == 1 and not vectors:
            await self._store.row_count(self._sql.put, rows[0])
            return

        async def work(conn: AsyncConnection) -> None:
            # On Oracle the last statement carries the commit (one round trip fewer).
            if vectors:
                await conn.execute(self._sql.put, rows)
                await conn.execute(
                    self._sql.put_vector, vectors, execution_options=COMMIT_WITH_THIS
                )
            else:
                await conn.execute(self._sql.put, rows, execution_options=COMMIT_WITH_THIS)

        await self._store.run(work, atomic=True)

    def _prepare(self, put: object, now: dt.datetime, settings: VectorSettings | None) -> _Prepared:
        if not isinstance(put, ItemPut):
            raise InvalidTypeError(f"puts must be ItemPut, not {type(put).__name__}")
        namespace = ns.require_namespace(put.namespace)
        key = require_item_key(put.key)
        if put.value is None:
            raise InvalidInputError("an item's value must not be None (delete the item instead)")
        value = require_json(put.value, "value")
        metadata = require_metadata(put.metadata)
        ttl = _require_ttl(put.ttl)
        text = put.search_text
        if text is None:
            text = text_of(value) + ("\n" + text_of(metadata) if metadata else "")
        elif not isinstance(text, str):
            raise InvalidTypeError("search_text must be a string")
        stamp = uuid.uuid4().hex
        encoded = ns.encode(namespace)
        row = {
            "namespace": encoded,
            "key": key,
            "value": value,
            "meta": metadata,
            "search_text": text.replace("\x00", " ")[:MAX_SEARCH_TEXT] or None,
            "now": now,
            "expires_at": now + ttl if ttl is not None else None,
            "ttl_seconds": ttl.total_seconds() if ttl is not None else None,
            "stamp": stamp,
        }
        prepared = _Prepared(row)
        for path, vector in (put.embeddings or {}).items():
            assert settings is not None
            require_key(path, "embedded field")
            if len(path) > MAX_FIELD_LENGTH:
                raise InvalidInputError(f"embedded field is longer than {MAX_FIELD_LENGTH}")
            prepared.vectors.append(
                {
                    "namespace": encoded,
                    "key": key,
                    "field": path,
                    "stamp": stamp,
                    "embedding": settings.require(vector, f"embedding of {path!r}"),
                }
            )
        return prepared

    async def delete(self, keys: Sequence[Key]) -> int:
        """Delete these items (their vectors go with the next sweep); how many existed."""
        pairs = self._keys(keys)
        if not pairs:
            return 0
        rows = [{"namespace": ns.encode(n), "key": k} for n, k in pairs]
        if len(rows) == 1:
            return await self._store.row_count(self._sql.delete, rows[0])
        return await self._store.execute_many(self._sql.delete, rows)

    async def clear_namespace(self, namespace: Namespace) -> int:
        """Delete every item of exactly ``namespace``; how many there were."""
        encoded = ns.encode(ns.require_namespace(namespace))
        params = {"namespace": encoded}

        async def work(conn: AsyncConnection) -> int:
            count = (await conn.execute(self._sql.clear_namespace, params)).rowcount
            if (await self.vector_settings()).available:
                await conn.execute(self._sql.clear_namespace_vectors, params)
            return int(count)

        await self.vector_settings()
        return await self._store.run(work, atomic=True)

    async def sweep(self, *, dry_run: bool = False) -> SweepReport:
        """Delete expired items, one namespace per transaction, then the vectors no item
        answers for (older values', deleted items'); ``dry_run`` counts instead."""
        settings = await self.vector_settings()
        now = utcnow()
        report = SweepReport()
        if dry_run:
            report.items = int(await self._scalar(self._sql.count_expired, {"now": now}))
            if settings.available:
                report.vectors = int(await self._scalar(self._sql.count_stale_vectors, {}))
            return report
        rows = await self._store.fetch_all(self._sql.expired_namespaces, {"now": now})
        for row in rows:
            params = {"namespace": row.namespace, "now": now}
            report.items += await self._store.row_count(self._sql.sweep, params)
        if settings.available:
            report.vectors = await self._store.row_count(self._sql.sweep_vectors)
        return report

    async def _scalar(self, statement: Any, params: Mapping[str, Any]) -> Any:
        row = await self._store.fetch_one(statement, params)
        return row[0] if row is not None else 0

    # -- reads ------------------------------------------------------------------------
    def _keys(self, keys: Sequence[Key]) -> list[Key]:
        if isinstance(keys, tuple) and len(keys) == 2 and isinstance(keys[1], str):
            keys = [keys]
        out: list[Key] = []
        for pair in keys:
            if not isinstance(pair, tuple | list) or len(pair) != 2:
                raise InvalidTypeError("keys must be (namespace, key) pairs")
            out.append((ns.require_namespace(pair[0]), require_item_key(pair[1])))
        return out

    async def get(self, keys: Sequence[Key], *, refresh_ttl: bool = False) -> dict[Key, ItemRecord]:
        """The visible items among ``keys``, by (namespace, key)."""
        pairs = self._keys(keys)
        wanted = set(pairs)
        found: dict[Key, ItemRecord] = {}
        now = utcnow()
        if len(pairs) == 1:  # plain binds, which the store's fast path takes
            [(namespace, key)] = pairs
            one = {"namespace": ns.encode(namespace), "key": key, "now": now}
            reads: list[tuple[Select[Any], dict[str, Any]]] = [(self._sql.get_one, one)]
        else:
            reads = [
                (
                    self._sql.get,
                    {
                        "namespaces": sorted({ns.encode(n) for n, _ in batch}),
                        "keys": sorted({k for _, k in batch}),
                        "now": now,
                    },
                )
                for batch in chunks(pairs, KEYS_PER_STATEMENT)
            ]
        for statement, params in reads:
            for row in await self._store.fetch_all(statement, params):
                record = _record(row)
                if (record.namespace, record.key) in wanted:
                    found[(record.namespace, record.key)] = record
        if refresh_ttl:
            await self._refresh(list(found.values()), now)
        return found

    async def value(self, namespace: Namespace, key: str) -> Any | None:
        """The value of one visible item, or ``None`` (a stored value is never ``None``)."""
        params = {
            "namespace": ns.encode(ns.require_namespace(namespace)),
            "key": require_item_key(key),
            "now": utcnow(),
        }
        row = await self._store.fetch_one(self._sql.get_value, params)
        return None if row is None else row.value

    async def keys(self, namespace: Namespace, *, limit: int = 100) -> list[str]:
        params = {
            "namespace": ns.encode(ns.require_namespace(namespace)),
            "limit": require_limit(limit),
            "now": utcnow(),
        }
        return [row.key for row in await self._store.fetch_all(self._sql.keys, params)]

    async def embeddings(self, namespace: Namespace, key: str) -> dict[str, list[float]]:
        """The item's current vectors by field (empty when it has none or is gone)."""
        params = {
            "namespace": ns.encode(ns.require_namespace(namespace)),
            "key": require_item_key(key),
            "now": utcnow(),
        }
        if not (await self.vector_settings()).available:
            raise VectorSearchUnavailableError(ENABLE_VECTORS_HINT)
        rows = await self._store.fetch_all(self._sql.embeddings, params)
        return {row.field: list(row.embedding) for row in rows}

    def _scope(
        self,
        namespaces: Sequence[Namespace],
        prefix: bool,
        value_filter: Mapping[str, Any] | None,
        metadata_filter: Mapping[str, Any] | None,
    ) -> Scope:
        if isinstance(namespaces, str) or not isinstance(namespaces, Sequence):
            raise InvalidTypeError("namespaces must be a list of namespace tuples")
        checked = [() if prefix and n in ((), []) else ns.require_namespace(n) for n in namespaces]
        if len(checked) > MAX_NAMESPACES_PER_SEARCH:
            raise InvalidInputError(
                f"one search covers at most {MAX_NAMESPACES_PER_SEARCH} namespaces"
            )
        return Scope(
            tuple(ns.encode(n) for n in checked),
            prefix=bool(prefix),
            value_filter=value_filter or None,
            metadata_filter=metadata_filter or None,
        )

    def _scope_params(self, scope: Scope, limit: int, offset: int) -> dict[str, Any]:
        params: dict[str, Any] = {
            "now": utcnow(),
            "limit": require_limit(limit),
            "offset": _require_offset(offset),
        }
        for i, encoded in enumerate(scope.namespaces):
            if scope.prefix and not encoded:
                continue  # the empty prefix: every namespace, nothing to bind
            params[f"ns_{i}"] = encoded
            if scope.prefix:
                params[f"below_{i}"] = ns.like_literal(encoded + ns.SEPARATOR) + "%"
        return params

    async def list_items(
        self,
        namespace: Namespace,
        *,
        prefix: bool = False,
        value_filter: Mapping[str, Any] | None = None,
        metadata_filter: Mapping[str, Any] | None = None,
        limit: int = 10,
        offset: int = 0,
        refresh_ttl: bool = False,
    ) -> list[ItemRecord]:
        """Items of ``namespace`` (or under it, with ``prefix``; ``()`` is every
        namespace then) newest first."""
        (found,) = await self.list_many(
            [namespace],
            prefix=prefix,
            value_filter=value_filter,
            metadata_filter=metadata_filter,
            limit=limit,
            offset=offset,
            refresh_ttl=refresh_ttl,
        )
        return found

    async def list_many(
        self,
        namespaces: Sequence[Namespace],
        *,
        prefix: bool = False,
        value_filter: Mapping[str, Any] | None = None,
        metadata_filter: Mapping[str, Any] | None = None,
        limit: int = 10,
        offset: int = 0,
        refresh_ttl: bool = False,
    ) -> list[list[ItemRecord]]:
        """Per namespace, its items newest first; one statement for all of them."""
        scope = self._scope(namespaces, prefix, value_filter, metadata_filter)
        params = self._scope_params(scope, limit, offset)
        results: list[list[ItemRecord]] = [[] for _ in scope.namespaces]
        if not scope.namespaces:
            return results
        statement = self._sql.shaped(
            "list", scope, lambda: list_statement(self._schema, self._dialect, scope)
        )
        for row in await self._store.fetch_all(statement, params):
            results[row.branch].append(_record(row))
        if refresh_ttl:
            await self._refresh([r for rs in results for r in rs], params["now"])
        return results

    async def text_search(
        self,
        namespaces: Sequence[Namespace],
        query: str,
        *,
        prefix: bool = False,
        value_filter: Mapping[str, Any] | None = None,
        metadata_filter: Mapping[str, Any] | None = None,
        limit: int = 10,
        offset: int = 0,
        refresh_ttl: bool = False,
    ) -> list[list[ItemRecord]]:
        """Per namespace, the items holding every term of ``query``, best first; one statement."""
        scope = self._scope(namespaces, prefix, value_filter, metadata_filter)
        params = self._scope_params(scope, limit, offset)
        translated = translate_query(query, self._dialect)
        results: list[list[ItemRecord]] = [[] for _ in scope.namespaces]
        if translated is None or not scope.namespaces:
            return results
        params["query"] = translated
        statement = self._sql.shaped(
            "text", scope, lambda: text_search_statement(self._schema, self._dialect, scope)
        )
        for row in await self._store.fetch_all(statement, params):
            results[row.branch].append(_record(row, score=float(row.score)))
        if refresh_ttl:
            await self._refresh([r for rs in results for r in rs], params["now"])
        return results

    async def vector_search(
        self,
        namespaces: Sequence[Namespace],
        vector: Sequence[float],
        *,
        prefix: bool = False,
        value_filter: Mapping[str, Any] | None = None,
        metadata_filter: Mapping[str, Any] | None = None,
        limit: int = 10,
        offset: int = 0,
        max_distance: float | None = None,
        refresh_ttl: bool = False,
        rows_per_result: int = VECTOR_ROWS_PER_RESULT,
    ) -> list[list[ItemRecord]]:
        """Per namespace, the items nearest ``vector``, nearest first; one statement.

        ``rows_per_result``: vector rows fetched per result asked for (an item with
        several embedded fields has several rows; say how many to expect).
        """
        settings = await self.vector_settings()
        query = settings.require(vector, "query vector")
        dims, metric = settings.dims, settings.distance
        assert dims is not None
        scope = self._scope(namespaces, prefix, value_filter, metadata_filter)
        params = self._scope_params(scope, limit, offset)
        if max_distance is not None and (
            isinstance(max_distance, bool) or not isinstance(max_distance, int | float)
        ):
            raise InvalidTypeError("max_distance must be a number")
        params["vector"] = query
        per_result = require_limit(rows_per_result, "rows_per_result")
        params["fetch"] = min((params["offset"] + params["limit"]) * per_result, MAX_LIMIT)
        statement = self._sql.shaped(
            f"vector-{metric}-{dims}",
            scope,
            lambda: vector_search_statement(self._schema, self._dialect, scope, metric, dims),
        )
        best: list[dict[Key, ItemRecord]] = [{} for _ in scope.namespaces]
        for row in await self._store.fetch_all(statement, params):
            distance = float(row.distance)
            if max_distance is not None and distance > max_distance:
                continue
            record = _record(row, distance=distance)
            seen = best[row.branch]
            key = (record.namespace, record.key)
            if key not in seen or distance < (seen[key].distance or 0.0):
                seen[key] = record
        start, stop = params["offset"], params["offset"] + params["limit"]
        results = [
            sorted(found.values(), key=lambda r: (r.distance, r.key))[start:stop] for found in best
        ]
        if refresh_ttl:
            await self._refresh([r for rs in results for r in rs], params["now"])
        return results

    async def list_namespaces(
        self,
        *,
        prefix: Sequence[str] | None = None,
        suffix: Sequence[str] | None = None,
        max_depth: int | None = None,
        limit: int = 100,
        offset: int = 0,
        wildcards: bool = True,
    ) -> list[Namespace]:
        """Distinct namespaces, sorted, matching ``prefix``/``suffix``, cut to ``max_depth``
        labels. With ``wildcards``, a ``"*"`` label matches any one label (LangGraph's
        rule); without, it is a label like any other (Locus's)."""
        want_prefix = _pattern(prefix, "prefix")
        want_suffix = _pattern(suffix, "suffix")
        if max_depth is not None and (
            isinstance(max_depth, bool) or not isinstance(max_depth, int) or max_depth < 1
        ):
            raise InvalidInputError("max_depth must be a positive integer or None")
        limit, offset = require_limit(limit), _require_offset(offset)
        # The labels before the first wildcard narrow the read in SQL (an index range).
        fixed: list[str] = []
        for label in want_prefix or ():
            if wildcards and label == "*":
                break
            fixed.append(label)
        if fixed:
            params = {
                "now": utcnow(),
                "namespace": ns.encode(tuple(fixed)),
                "below": ns.below(tuple(fixed)),
            }
            rows = await self._store.fetch_all(self._sql.namespaces_under, params)
        else:
            rows = await self._store.fetch_all(self._sql.namespaces, {"now": utcnow()})
        found: list[Namespace] = []
        seen: set[Namespace] = set()
        for row in rows:
            namespace = ns.decode(row.namespace)
            if want_prefix and (
                len(namespace) < len(want_prefix)
                or not _matches(namespace[: len(want_prefix)], want_prefix, wildcards)
            ):
                continue
            if want_suffix and (
                len(namespace) < len(want_suffix)
                or not _matches(namespace[-len(want_suffix) :], want_suffix, wildcards)
            ):
                continue
            if max_depth is not None:
                namespace = namespace[:max_depth]
            if namespace not in seen:
                seen.add(namespace)
                found.append(namespace)
        found.sort()
        return found[offset : offset + limit]

    async def _refresh(self, records: Sequence[ItemRecord], now: dt.datetime) -> None:
        """Push the expiry of these items forward by their own TTL (those that have one)."""
        updates = [
            {
                "item_namespace": ns.encode(r.namespace),
                "item_key": r.key,
                "new_expires_at": now + dt.timedelta(seconds=ttl),
            }
            for r in records
            if (ttl := r.ttl_seconds) is not None
        ]
        if updates:
            await self._store.execute_many(self._sql.refresh, updates)


def _record(row: Any, *, score: float | None = None, distance: float | None = None) -> ItemRecord:
    record = ItemRecord(
        namespace=ns.decode(row.namespace),
        key=row.key,
        value=row.value,
        metadata=row.metadata,
        created_at=row.created_at,
        updated_at=row.updated_at,
        expires_at=row.expires_at,
        version=int(row.version),
        score=score,
        distance=distance,
        ttl_seconds=row.ttl_seconds,
    )
    return record


def _pattern(labels: Sequence[str] | None, what: str) -> tuple[str, ...] | None:
    if labels is None:
        return None
    if isinstance(labels, str) or not isinstance(labels, tuple | list):
        raise InvalidTypeError(f"{what} must be a tuple of labels")
    return tuple(ns.require_label(label, what) for label in labels) or None


def _matches(labels: Namespace, pattern: Namespace, wildcards: bool) -> bool:
    return all(
        p == label or (wildcards and p == "*") for label, p in zip(labels, pattern, strict=True)
    )
