"""Every statement of the memory store: a fixed set built once per (prefix, dialect), and
the searches, whose shape follows the call (how many namespaces, which filters).

Expired items (``expires_at`` at or before ``:now``) are invisible to every read.
Vectors answer only while they carry their item's ``stamp`` (see
``locus_store.schema.memory_tables``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Self

from sqlalchemy import (
    Delete,
    Float,
    Integer,
    Select,
    String,
    Table,
    Update,
    and_,
    bindparam,
    exists,
    func,
    literal,
    literal_column,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.sql.elements import BindParameter, ClauseElement, ColumnElement
from sqlalchemy.sql.selectable import Subquery

from locus_store.schema.memory_tables import CONFIG_ROW
from locus_store.schema.search import memory_text_index
from locus_store.schema.tables import Schema
from locus_store.schema.vectors import (
    ORACLE_DISTANCE_METRICS,
    SQLITE_DISTANCE_FUNCTION,
    Distance,
    EmbeddingVector,
)
from locus_store.sql.json_filter import json_filter
from locus_store.sql.like import CaseSensitiveLike
from locus_store.sql.merge import Upsert, upsert
from locus_store.sql.search import text_match
from locus_store.sql.statements import Dialect, StatementSet, bound

#: Statements `MemoryStatements.shaped` keeps per store prefix and dialect.
MAX_SHAPED = 256

#: The columns of an item record, in `ItemRecord` order.
RECORD_COLUMNS = (
    "namespace",
    "key",
    "value",
    "metadata",
    "created_at",
    "updated_at",
    "expires_at",
    "version",
    "ttl_seconds",
)


def _param(table: Table, name: str, column: str) -> BindParameter[Any]:
    return bindparam(name, type_=table.c[column].type)


def visible(items: Table) -> ColumnElement[bool]:
    expires_at = items.c.expires_at
    return or_(expires_at.is_(None), expires_at > bindparam("now", type_=expires_at.type))


def records(items: Table) -> list[ColumnElement[Any]]:
    return [items.c[name] for name in RECORD_COLUMNS]


@dataclass(frozen=True)
class MemoryStatements(StatementSet):
    """The fixed statements of the memory store for one (prefix, dialect)."""

    items: Table
    vectors: Table
    dialect: Dialect

    put: Upsert
    put_vector: Upsert
    get: Select[Any]
    #: One item by ``:namespace`` and ``:key``: plain binds, so the store's fast path
    #: takes it (``get``'s expanding ``IN`` lists go through ``Connection.execute``).
    get_one: Select[Any]
    #: The value alone of one item (Locus's ``get``): one column to decode.
    get_value: Select[Any]
    keys: Select[Any]
    delete: Delete
    clear_namespace: Delete
    clear_namespace_vectors: Delete
    refresh: Update
    expired_namespaces: Select[Any]
    sweep: Delete
    count_expired: Select[Any]
    sweep_vectors: Delete
    count_stale_vectors: Select[Any]
    embeddings: Select[Any]
    namespaces: Select[Any]
    #: Those equal to ``:namespace`` or below it (``:below``, see ``namespaces.below``).
    namespaces_under: Select[Any]
    config: Select[Any]
    #: Listing and search statements by the shape of their scope (`shaped`).
    _shaped: dict[tuple[Any, ...], Select[Any]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def shaped(self, kind: str, scope: Scope, make: Callable[[], Select[Any]]) -> Select[Any]:
        """The ``kind`` statement for ``scope`` made once per shape and kept: the same
        object each call, so the store's fast path plans it (a statement built per call
        is compiled again each time), and the building is not paid again.

        A scope's shape is what its statement depends on: how many namespaces, prefix
        or not, which of them are the empty prefix; every value is a bound parameter.
        A scope with filters is built each call (the filters are part of the SQL).
        """
        if scope.value_filter or scope.metadata_filter:
            return make()
        count = len(scope.namespaces)
        key = (kind, count, scope.prefix, tuple(_everything(scope, i) for i in range(count)))
        found = self._shaped.get(key)
        if found is None:
            if len(self._shaped) >= MAX_SHAPED:
                self._shaped.clear()  # bounded whatever callers do
            found = self._shaped[key] = make()
        return found

    @classmethod
    def build(cls, schema: Schema, dialect: Dialect) -> Self:
        items, vectors, config = schema.memory_items, schema.memory_vectors, schema.memory_config
        c = items.c
        namespace = _param(items, "namespace", "namespace")
        key = _param(items, "key", "key")
        now = _param(items, "now", "updated_at")
        this_item = and_(c.namespace == namespace, c.key == key)
        put = upsert(
            items,
            dialect,
            values={
                "namespace": namespace,
                "key": key,
                "value": _param(items, "value", "value"),
                "metadata": _param(items, "meta", "metadata"),
                "search_text": _param(items, "search_text", "search_text"),
                "created_at": now,
                "updated_at": now,
                "expires_at": _param(items, "expires_at", "expires_at"),
                "ttl_seconds": _param(items, "ttl_seconds", "ttl_seconds"),
                "version": literal(1, Integer()),
                "stamp": _param(items, "stamp", "stamp"),
            },
            keys=["namespace", "key"],
            update=[
                "value",
                "metadata",
                "search_text",
                "updated_at",
                "expires_at",
                "ttl_seconds",
                "stamp",
            ],
            increment=["version"],
        )
        v = vectors.c
        put_vector = upsert(
            vectors,
            dialect,
            values={
                "namespace": _param(vectors, "namespace", "namespace"),
                "key": _param(vectors, "key", "key"),
                "field": _param(vectors, "field", "field"),
                "stamp": _param(vectors, "stamp", "stamp"),
                "embedding": _param(vectors, "embedding", "embedding"),
            },
            keys=["namespace", "key", "field"],
            update=["stamp", "embedding"],
        )
        get = select(*records(items)).where(
            c.namespace.in_(bindparam("namespaces", expanding=True, type_=String())),
            c.key.in_(bindparam("keys", expanding=True, type_=c.key.type)),
            visible(items),
        )
        one_item = (c.namespace == namespace, c.key == _param(items, "key", "key"), visible(items))
        get_one = select(*records(items)).where(*one_item)
        get_value = select(c.value).where(*one_item)
        keys = (
            select(c.key)
            .where(c.namespace == namespace, visible(items))
            .order_by(c.updated_at.desc(), c.key)
            .limit(bindparam("limit", type_=Integer()))
        )
        fresh = and_(v.namespace == c.namespace, v.key == c.key, v.stamp == c.stamp, visible(items))
        embeddings = (
            select(v.field, v.embedding)
            .join_from(vectors, items, and_(v.namespace == c.namespace, v.key == c.key))
            .where(v.namespace == namespace, v.key == key, fresh)
            .order_by(v.field)
        )
        namespaces = select(c.namespace).distinct().where(visible(items)).order_by(c.namespace)
        namespaces_under = namespaces.where(
            or_(
                c.namespace == _param(items, "namespace", "namespace"),
                CaseSensitiveLike(c.namespace, "below"),
            )
        )
        cfg = select(config.c.vectors, config.c.dims, config.c.distance).where(
            config.c.id == CONFIG_ROW
        )
        expired = c.expires_at <= now
        stale = ~exists().where(v.namespace == c.namespace, v.key == c.key, v.stamp == c.stamp)
        return cls(
            items=items,
            vectors=vectors,
            dialect=dialect,
            put=put,
            put_vector=put_vector,
            get=get,
            get_one=get_one,
            get_value=get_value,
            keys=keys,
            delete=items.delete().where(this_item),
            clear_namespace=items.delete().where(c.namespace == namespace),
            clear_namespace_vectors=vectors.delete().where(
                v.namespace == _param(vectors, "namespace", "namespace")
            ),
            refresh=items.update()
            .where(
                c.namespace == _param(items, "item_namespace", "namespace"),
                c.key == _param(items, "item_key", "key"),
                c.ttl_seconds.is_not(None),
            )
            .values(expires_at=_param(items, "new_expires_at", "expires_at")),
            expired_namespaces=select(c.namespace).distinct().where(expired),
            sweep=items.delete().where(c.namespace == namespace, expired),
            count_expired=select(func.count()).select_from(items).where(expired),
            sweep_vectors=vectors.delete().where(stale),
            count_stale_vectors=select(func.count()).select_from(vectors).where(stale),
            embeddings=embeddings,
            namespaces=namespaces,
            namespaces_under=namespaces_under,
            config=cfg,
        )

    def review(self) -> dict[str, ClauseElement]:
        values: dict[str, Any] = {
            "namespace": "users/u1",
            "key": "k",
            "now": None,
            "limit": 10,
            "namespaces": ["users/u1"],
            "below": "users/u1/%",
            "keys": ["k"],
        }
        return {
            name: bound(statement, values)
            for name, statement in self.statements().items()
            if isinstance(statement, ClauseElement)
        }


# -- the searches: built per call, their shape follows it ---------------------------------


@dataclass(frozen=True)
class Scope:
    """Which items a read covers: namespaces (exact, or everything under them) and filters."""

    namespaces: Sequence[str]
    prefix: bool = False
    value_filter: Mapping[str, Any] | None = None
    metadata_filter: Mapping[str, Any] | None = None


def _in_namespace(
    table: Table, index: int, prefix: bool, everything: bool = False
) -> ColumnElement[bool]:
    if everything:
        return true()
    exact = table.c.namespace == bindparam(f"ns_{index}", type_=String())
    if not prefix:
        return exact
    return or_(exact, CaseSensitiveLike(table.c.namespace, f"below_{index}"))


def _filters(items: Table, scope: Scope, dialect: Dialect) -> list[ColumnElement[bool]]:
    conditions = [visible(items)]
    if scope.value_filter:
        conditions.append(json_filter(items.c.value, scope.value_filter, dialect))
    if scope.metadata_filter:
        conditions.append(json_filter(items.c.metadata, scope.metadata_filter, dialect))
    return conditions


def _branches(
    parts: list[Select[Any]], within: Callable[[Subquery], list[ColumnElement[Any]]]
) -> Select[Any]:
    """The branches as one statement; each keeps its own ORDER BY and LIMIT.

    The rows come in branch order and, inside a branch, ordered by ``within`` again: a
    ``UNION ALL`` keeps no order of its branches' rows, and an ``ORDER BY`` leaves the
    order of its ties to the database, so ``ORDER BY branch`` alone would not keep them.
    """
    if len(parts) == 1:
        return parts[0]
    wrapped = [select(*part.subquery().c) for part in parts]
    union = union_all(*wrapped).subquery()
    return select(*union.c).order_by(union.c.branch, *within(union))


def _everything(scope: Scope, index: int) -> bool:
    """The empty prefix: every namespace."""
    return scope.prefix and scope.namespaces[index] == ""


def list_statement(schema: Schema, dialect: Dialect, scope: Scope) -> Select[Any]:
    """Items of each namespace of ``scope`` newest first, ``:limit`` rows after ``:offset``
    each; columns: the record's and ``branch``. One statement for any number."""
    items = schema.memory_items
    c = items.c
    parts = [
        select(*records(items), literal(i, Integer()).label("branch"))
        .where(
            _in_namespace(items, i, scope.prefix, _everything(scope, i)),
            *_filters(items, scope, dialect),
        )
        .order_by(c.updated_at.desc(), c.namespace, c.key)
        .limit(bindparam("limit", type_=Integer()))
        .offset(bindparam("offset", type_=Integer()))
        for i in range(len(scope.namespaces))
    ]
    return _branches(parts, lambda u: [u.c.updated_at.desc(), u.c.namespace, u.c.key])


def text_search_statement(schema: Schema, dialect: Dialect, scope: Scope) -> Select[Any]:
    """Items matching ``:query`` in each namespace of ``scope``, each ranked on its own.

    Columns: the record's, ``branch`` (the namespace's position) and ``score`` (higher is
    better). One statement whatever the number of namespaces (a ``UNION ALL`` of one
    branch each, each with its ``ORDER BY`` and ``:limit``/``:offset``).
    """
    items = schema.memory_items
    c = items.c
    query = bindparam("query", type_=String())
    match = text_match(items, memory_text_index(schema), dialect, query)
    parts = [
        select(*records(items), literal(i, Integer()).label("branch"), match.score.label("score"))
        .select_from(match.source)
        .where(match.matches, _in_namespace(items, i, scope.prefix, _everything(scope, i)))
        .where(*_filters(items, scope, dialect))
        .order_by(match.score.desc(), c.updated_at.desc(), c.key)
        .limit(bindparam("limit", type_=Integer()))
        .offset(bindparam("offset", type_=Integer()))
        for i in range(len(scope.namespaces))
    ]
    return _branches(parts, lambda u: [u.c.score.desc(), u.c.updated_at.desc(), u.c.key])


def distance_expression(
    embedding: ColumnElement[Any], query: ColumnElement[Any], dialect: Dialect, distance: Distance
) -> ColumnElement[float]:
    """``embedding``'s distance to ``query`` (smaller is nearer) in the index's own terms.

    On Oracle ``VECTOR_DISTANCE(embedding, :vector, METRIC)`` with the index's metric: an
    approximate search needs "a distance function" as the first ORDER BY key, with the
    metric of the vector index (SQL Language Reference, SELECT, row_limiting_clause, and
    "VECTOR_DISTANCE"). Oracle's ``<=>``, ``<->`` and ``<#>`` mean the same as
    pgvector's (cosine, Euclidean, negated dot product), but the function names the
    metric and is what the documentation's approximate searches use.
    """
    if dialect == "sqlite":
        call: ColumnElement[float] = getattr(func, SQLITE_DISTANCE_FUNCTION)(
            embedding, query, literal_column(f"'{distance}'"), type_=Float()
        )
        return call
    if dialect == "oracle":
        metric: ColumnElement[Any] = literal_column(ORACLE_DISTANCE_METRICS[distance])
        oracle: ColumnElement[float] = func.vector_distance(embedding, query, metric, type_=Float())
        return oracle
    operator = {"cosine": "<=>", "l2": "<->", "dot": "<#>"}[distance]
    return embedding.op(operator, return_type=Float())(query)


def vector_search_statement(
    schema: Schema, dialect: Dialect, scope: Scope, distance: Distance, dims: int
) -> Select[Any]:
    """Vectors nearest ``:vector`` in each namespace of ``scope``, nearest first.

    Columns: the record's, ``branch``, ``field`` and ``distance``. Each branch fetches
    ``:fetch`` vector rows (an item with several embedded fields has several).

    On PostgreSQL without filters a branch first orders the vectors table alone by the
    distance and keeps ``:fetch`` rows, then joins their items (current stamp, not
    expired): that inner query is what the HNSW index answers (ordering the join instead
    makes the planner join everything and sort); a vector of an older value or of an
    expired item then costs a place on the page until the sweep. With value or metadata
    filters the join comes first and the search is exact, so a filter never empties a
    page the index filled with other items. Oracle orders the join with ``FETCH APPROX``.
    """
    items, vectors = schema.memory_items, schema.memory_vectors
    c, v = items.c, vectors.c
    query = bindparam("vector", type_=EmbeddingVector(dims))
    near = distance_expression(v.embedding, query, dialect, distance)
    fetch = bindparam("fetch", type_=Integer())
    # Index first on PostgreSQL, where it is measured (HNSW); Oracle and SQLite keep the
    # join (SQLite scans anyway; Oracle's FETCH APPROX over the join is what its review
    # and model cover).
    index_first = dialect == "postgresql" and not (scope.value_filter or scope.metadata_filter)

    def limited(statement: Select[Any]) -> Select[Any]:
        if dialect == "oracle":
            return statement.fetch(fetch, oracle_fetch_approximate=True)
        return statement.limit(fetch)

    parts = []
    for i in range(len(scope.namespaces)):
        in_namespace = _in_namespace(vectors, i, scope.prefix, _everything(scope, i))
        if index_first:
            nearest = limited(
                select(v.namespace, v.key, v.field, v.stamp, near.label("distance"))
                .where(in_namespace)
                .order_by(near)
            ).subquery(f"nearest_{i}")
            part = (
                select(
                    *records(items),
                    literal(i, Integer()).label("branch"),
                    nearest.c.field,
                    nearest.c.distance,
                )
                .join_from(
                    nearest,
                    items,
                    and_(
                        nearest.c.namespace == c.namespace,
                        nearest.c.key == c.key,
                        nearest.c.stamp == c.stamp,
                    ),
                )
                .where(visible(items))
                .order_by(nearest.c.distance)
            )
            parts.append(part)
            continue
        part = (
            select(
                *records(items),
                literal(i, Integer()).label("branch"),
                v.field,
                near.label("distance"),
            )
            .join_from(
                vectors,
                items,
                and_(v.namespace == c.namespace, v.key == c.key, v.stamp == c.stamp),
            )
            .where(in_namespace, *_filters(items, scope, dialect))
            .order_by(near)
        )
        parts.append(limited(part))
    return _branches(parts, lambda u: [u.c.distance])
