"""``store.memory()`` honours Locus's long-term store contract (``locus.memory.store.BaseStore``).

The contract runs on every backend of the ``store`` fixture (PostgreSQL there has no
pgvector: semantic calls raise ``StoreCapabilityError``); the vector tests run on
``vector_store`` (SQLite, and PostgreSQL with pgvector), migrated with 8-dimension
vectors. The embeddings are made by `concepts`: one dimension per concept, so texts
that share no word can still be near.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
from collections.abc import Sequence
from typing import Any

import pytest
import sqlalchemy as sa
from locus.memory.store import BaseStore, StoreCapabilityError, StoreItem
from sqlalchemy.ext.asyncio import AsyncConnection

from locus_store import (
    InvalidInputError,
    InvalidNamespaceError,
    InvalidTypeError,
    Store,
    VectorDimensionError,
)
from locus_store.memory.items import MemoryItems, text_of
from locus_store.memory.locus_store import MemoryStore, score_of
from locus_store.timestamps import utcnow
from tests.support.backends import MEMORY_TEST_DIMS
from tests.support.database import statements_sent
from tests.support.search import HOSTILE_QUERIES

DIMS = MEMORY_TEST_DIMS
#: Words of one concept share a dimension; the last dimension keeps no vector zero.
CONCEPTS = {
    **dict.fromkeys(["cat", "cats", "kitten", "feline", "whiskers"], 0),
    **dict.fromkeys(["dog", "dogs", "puppy", "hound", "bark"], 1),
    **dict.fromkeys(["car", "cars", "vehicle", "truck", "drive"], 2),
    **dict.fromkeys(["tea", "coffee", "espresso", "drink"], 3),
    **dict.fromkeys(["python", "code", "programming", "software"], 4),
    **dict.fromkeys(["rain", "weather", "storm", "sunny"], 5),
    **dict.fromkeys(["paris", "lisbon", "city", "travel"], 6),
}


def concepts(text: str) -> list[float]:
    vector = [0.0] * DIMS
    for word in text.lower().replace(",", " ").replace(".", " ").split():
        if word in CONCEPTS:
            vector[CONCEPTS[word]] += 1.0
    vector[DIMS - 1] += 0.1
    return vector


class Embedder:
    """``embed`` for `MemoryStore`: `concepts` of each text, recording every call."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def __call__(self, texts: list[str]) -> list[list[float]]:
        self.calls.append(list(texts))
        return [concepts(t) for t in texts]


class AsyncEmbedder(Embedder):
    async def __call__(self, texts: list[str]) -> list[list[float]]:  # type: ignore[override]
        await asyncio.sleep(0)
        return super().__call__(texts)


async def vectors_available(store: Store) -> bool:
    return (await store.memory().acapabilities()).semantic_search


async def stored(store: Store) -> list[list[tuple[Any, ...]]]:
    """Every memory item row, and every vector row where the database has vectors."""
    tables = [store.schema.memory_items]
    if await vectors_available(store):
        tables.append(store.schema.memory_vectors)

    async def work(conn: AsyncConnection) -> list[list[tuple[Any, ...]]]:
        return [
            [tuple(row) for row in await conn.execute(sa.select(t).order_by(*t.primary_key))]
            for t in tables
        ]

    return await store.run(work)


def keys_of(items: Sequence[StoreItem]) -> list[str]:
    return [item.key for item in items]


USERS = ("users", "u1")
OTHER = ("users", "u2")


# -- the four abstract methods ----------------------------------------------------------------


async def test_memory_is_a_locus_base_store(store: Store) -> None:
    memory = store.memory()
    assert isinstance(memory, MemoryStore)
    assert isinstance(memory, BaseStore)


VALUES: dict[str, Any] = {
    "object": {"text": "ünïcödé ✓ 🤖", "n": 3, "x": 0.5, "flags": [True, None], "deep": {"a": []}},
    "list": ["a", 1, {"b": None}],
    "string": "plain text",
    "empty string": "",
    "int": 42,
    "float": 0.25,
    "bool": False,
    "empty object": {},
    "empty list": [],
}


@pytest.mark.parametrize("value", VALUES.values(), ids=VALUES.keys())
async def test_get_returns_exactly_the_value_that_was_put(store: Store, value: Any) -> None:
    memory = store.memory()
    await memory.put(USERS, "k", value)
    assert await memory.get(USERS, "k") == value


async def test_a_none_value_is_refused_as_get_could_not_tell_it_from_a_missing_key(
    store: Store,
) -> None:
    await _refused(store, lambda m: m.put(USERS, "existing", None), InvalidInputError)


async def test_an_empty_key_is_a_key_like_any_other(store: Store) -> None:
    memory = store.memory()
    await memory.put(USERS, "", "empty key")
    await memory.put(USERS, "k", "other")
    assert await memory.get(USERS, "") == "empty key"
    assert sorted(await memory.list_keys(USERS)) == ["", "k"]
    assert await memory.delete(USERS, "")
    assert await memory.get(USERS, "k") == "other"


async def test_get_of_an_unknown_key_is_none(store: Store) -> None:
    memory = store.memory()
    assert await memory.get(USERS, "nobody") is None
    assert await memory.get_item(USERS, "nobody") is None
    assert not await memory.exists(USERS, "nobody")


async def test_a_second_put_replaces_the_value_and_bumps_the_version(store: Store) -> None:
    memory = store.memory()
    await memory.put(USERS, "k", {"v": 1})
    await memory.put(USERS, "k", {"v": 2})
    await memory.put(USERS, "k", {"v": 3}, metadata={"source": "test"})
    item = await memory.get_item(USERS, "k")
    assert item is not None
    assert (item.value, item.metadata, item.version) == ({"v": 3}, {"source": "test"}, 3)


async def test_concurrent_puts_of_one_key_each_bump_the_version(store: Store) -> None:
    memory = store.memory()
    await asyncio.gather(*(memory.put(USERS, "k", {"n": n}) for n in range(10)))
    item = await memory.get_item(USERS, "k")
    assert item is not None
    assert item.version == 10


async def test_get_item_carries_the_rows_timestamps(store: Store) -> None:
    memory = store.memory()
    before = utcnow()
    await memory.put(USERS, "k", "first")
    between = utcnow()
    await asyncio.sleep(0.01)
    await memory.put(USERS, "k", "second")
    after = utcnow()
    item = await memory.get_item(USERS, "k")
    assert item is not None
    assert item.created_at.tzinfo is not None
    assert item.updated_at.tzinfo is not None
    assert before <= item.created_at <= between
    assert between <= item.updated_at <= after


async def test_metadata_is_stored_and_defaults_to_an_empty_dict(store: Store) -> None:
    memory = store.memory()
    await memory.put(USERS, "with", "v", metadata={"type": "user", "n": [1, 2]})
    await memory.put(USERS, "without", "v")
    with_meta, without = (
        await memory.get_item(USERS, "with"),
        await memory.get_item(USERS, "without"),
    )
    assert with_meta is not None
    assert without is not None
    assert with_meta.metadata == {"type": "user", "n": [1, 2]}
    assert without.metadata == {}


async def test_get_item_names_its_namespace_and_key(store: Store) -> None:
    memory = store.memory()
    await memory.put(USERS, "k", "v")
    item = await memory.get_item(list(USERS), "k")  # type: ignore[arg-type]
    assert item is not None
    assert (item.namespace, item.key) == (USERS, "k")


async def test_delete_removes_only_that_key_and_says_whether_it_was_there(store: Store) -> None:
    memory = store.memory()
    await memory.put(USERS, "a", 1)
    await memory.put(USERS, "b", 2)
    assert await memory.delete(USERS, "a") is True
    assert await memory.delete(USERS, "a") is False
    assert await memory.get(USERS, "a") is None
    assert await memory.get(USERS, "b") == 2


async def test_list_keys_is_newest_first_and_limited(store: Store) -> None:
    memory = store.memory()
    for key in ["a", "b", "c", "d"]:
        await memory.put(USERS, key, key)
    await memory.put(USERS, "b", "again")
    assert await memory.list_keys(USERS) == ["b", "d", "c", "a"]
    assert await memory.list_keys(USERS, limit=2) == ["b", "d"]


async def test_namespaces_are_independent(store: Store) -> None:
    memory = store.memory()
    await memory.put(USERS, "k", "mine")
    await memory.put(OTHER, "k", "theirs")
    assert await memory.get(USERS, "k") == "mine"
    assert await memory.delete(OTHER, "k")
    assert await memory.get(USERS, "k") == "mine"
    assert await memory.list_keys(OTHER) == []


async def test_a_namespace_holds_only_its_own_items_not_those_below_it(store: Store) -> None:
    memory = store.memory()
    await memory.put(("users",), "top", "t")
    await memory.put(USERS, "below", "b")
    assert await memory.list_keys(("users",)) == ["top"]
    assert keys_of(await memory.search(("users",))) == ["top"]
    assert await memory.get(("users",), "below") is None


# -- search ---------------------------------------------------------------------------------


async def test_search_without_a_query_is_newest_first(store: Store) -> None:
    memory = store.memory()
    for key in ["a", "b", "c"]:
        await memory.put(USERS, key, {"text": key})
    await memory.put(USERS, "a", {"text": "a again"})
    assert keys_of(await memory.search(USERS)) == ["a", "c", "b"]
    assert keys_of(await memory.search(USERS, query="  ", limit=2)) == ["a", "c"]


async def test_search_items_carry_their_whole_record(store: Store) -> None:
    memory = store.memory()
    await memory.put(USERS, "k", {"text": "hello"}, metadata={"m": 1})
    await memory.put(USERS, "k", {"text": "hello there"}, metadata={"m": 2})
    (found,) = await memory.search(USERS, query="hello")
    assert found == await memory.get_item(USERS, "k")
    assert found.version == 2


async def test_full_text_search_finds_items_holding_every_term(store: Store) -> None:
    memory = store.memory()
    await memory.put(USERS, "fox", {"text": "the quick brown fox"})
    await memory.put(USERS, "lazy", {"text": "the lazy dog"})
    await memory.put(USERS, "both", {"text": "a quick dog"})
    assert keys_of(await memory.search(USERS, query="quick dog")) == ["both"]
    assert keys_of(await memory.search(USERS, query="fox quick")) == ["fox"]
    assert sorted(keys_of(await memory.search(USERS, query="dog"))) == ["both", "lazy"]
    assert await memory.search(USERS, query="cat") == []


async def test_full_text_search_reads_string_values_and_nested_strings(store: Store) -> None:
    memory = store.memory()
    await memory.put(USERS, "plain", "remember the espresso machine")
    await memory.put(USERS, "nested", {"facts": [{"text": "an espresso every morning"}]})
    await memory.put(USERS, "other", {"espresso": 1})  # a key is not text
    assert sorted(keys_of(await memory.search(USERS, query="espresso"))) == ["nested", "plain"]


async def test_search_stays_inside_its_namespace(store: Store) -> None:
    memory = store.memory()
    await memory.put(USERS, "mine", "shared words")
    await memory.put(OTHER, "theirs", "shared words")
    await memory.put((*USERS, "below"), "below", "shared words")
    assert keys_of(await memory.search(USERS, query="shared words")) == ["mine"]


@pytest.mark.parametrize("query", HOSTILE_QUERIES, ids=range(len(HOSTILE_QUERIES)))
async def test_any_text_is_a_harmless_query(store: Store, query: str) -> None:
    memory = store.memory()
    await memory.put(USERS, "k", {"text": "an ordinary memory"})
    await memory.put(OTHER, "secret", {"text": "an ordinary memory"})
    found = await memory.search(USERS, query=query)
    assert all(item.namespace == USERS for item in found)
    assert await memory.get(USERS, "k") == {"text": "an ordinary memory"}


async def test_search_limit_caps_the_results(store: Store) -> None:
    memory = store.memory()
    for i in range(5):
        await memory.put(USERS, f"k{i}", {"text": f"note number {i}"})
    assert len(await memory.search(USERS, query="note", limit=3)) == 3
    assert len(await memory.search(USERS, limit=3)) == 3


# -- search_many ------------------------------------------------------------------------------


async def _three_namespaces(memory: MemoryStore) -> list[tuple[str, ...]]:
    namespaces: list[tuple[str, ...]] = [(*USERS, "user"), (*USERS, "feedback"), (*USERS, "empty")]
    for i in range(3):
        await memory.put(namespaces[0], f"u{i}", {"content": f"user fact {i} about tea"})
        await memory.put(namespaces[1], f"f{i}", {"content": f"feedback {i} about tea"})
    await memory.put(OTHER, "x", {"content": "tea elsewhere"})
    return namespaces


@pytest.mark.parametrize("query", [None, "tea", "user tea", "nothing matches"])
async def test_search_many_answers_as_search_does_per_namespace(
    store: Store, query: str | None
) -> None:
    memory = store.memory()
    namespaces = await _three_namespaces(memory)
    expected = [await memory.search(ns, query=query, limit=2) for ns in namespaces]
    assert await memory.search_many(namespaces, query=query, limit=2) == expected


@pytest.mark.parametrize(
    "query",
    [None, "tea"],
)
async def test_search_many_is_one_statement(store: Store, query: str | None) -> None:
    memory = store.memory()
    namespaces = await _three_namespaces(memory)
    await memory.search_many(namespaces, query=query)  # warm: settings read, pool opened
    with statements_sent(store) as sent:
        found = await memory.search_many(namespaces, query=query)
    assert [len(items) for items in found] == [3, 3, 0]
    assert len(sent.statements) == 1, sent.statements


async def test_search_many_of_no_namespaces_is_empty_without_sql(store: Store) -> None:
    memory = store.memory()
    with statements_sent(store) as sent:
        assert await memory.search_many([], query="x") == []
    assert sent.statements == []


# -- batches ----------------------------------------------------------------------------------


async def test_put_batch_writes_every_item(store: Store) -> None:
    memory = store.memory()
    await memory.put_batch(
        [(USERS, "a", {"v": 1}, None), (OTHER, "b", [2], {"m": True}), (USERS, "c", "3", None)]
    )
    assert await memory.get_batch([(USERS, "a"), (OTHER, "b"), (USERS, "c")]) == {
        (USERS, "a"): {"v": 1},
        (OTHER, "b"): [2],
        (USERS, "c"): "3",
    }
    item = await memory.get_item(OTHER, "b")
    assert item is not None
    assert item.metadata == {"m": True}


async def test_put_batch_last_put_of_a_key_wins(store: Store) -> None:
    memory = store.memory()
    await memory.put_batch([(USERS, "k", "first", None), (USERS, "k", "second", None)])
    assert await memory.get(USERS, "k") == "second"


async def test_put_batch_with_one_bad_item_writes_nothing(store: Store) -> None:
    memory = store.memory()
    await memory.put(USERS, "kept", "original")
    before = await stored(store)
    with pytest.raises(InvalidInputError):
        await memory.put_batch(
            [
                (USERS, "kept", "changed", None),
                (USERS, "new", "x", None),
                (USERS, "bad", math.nan, None),
            ]
        )
    assert await stored(store) == before


async def test_put_batch_is_one_transaction(store: Store) -> None:
    memory = store.memory()
    await memory.put(USERS, "warm", 0)
    batch: list[tuple[tuple[str, ...], str, Any, dict[str, Any] | None]] = [
        (USERS, f"k{i}", {"i": i}, None) for i in range(20)
    ]
    with statements_sent(store) as sent:
        await memory.put_batch(batch)
    # One upsert (or one executemany) of the items, and the vectors they replace.
    assert len(sent.statements) <= 3, sent.statements


async def test_get_batch_returns_only_the_keys_that_exist_in_one_statement(store: Store) -> None:
    memory = store.memory()
    await memory.put(USERS, "a", 1)
    await memory.put(OTHER, "b", 2)
    await memory.get(USERS, "a")
    with statements_sent(store) as sent:
        found = await memory.get_batch([(USERS, "a"), (USERS, "b"), (OTHER, "b"), (OTHER, "z")])
    assert found == {(USERS, "a"): 1, (OTHER, "b"): 2}
    assert len(sent.statements) == 1, sent.statements


async def test_get_batch_of_nothing_is_empty(store: Store) -> None:
    assert await store.memory().get_batch([]) == {}


#: Calls that send exactly one statement (after a warm-up call).
ONE_STATEMENT: dict[str, Any] = {
    "put of a new key": lambda m, n: m.put(USERS, f"new-{n}", {"text": "hello"}),
    "put over a key": lambda m, n: m.put(USERS, "k", {"text": f"hello {n}"}, {"n": n}),
    "get": lambda m, n: m.get(USERS, "k"),
    "get_item": lambda m, n: m.get_item(USERS, "k"),
    "exists": lambda m, n: m.exists(USERS, "k"),
    "delete": lambda m, n: m.delete(USERS, f"gone-{n}"),
    "list_keys": lambda m, n: m.list_keys(USERS),
    "search with a query": lambda m, n: m.search(USERS, query="hello"),
    "search without one": lambda m, n: m.search(USERS),
    "list_namespaces": lambda m, n: m.list_namespaces(prefix=("users",)),
}


@pytest.mark.parametrize("call", ONE_STATEMENT.values(), ids=ONE_STATEMENT.keys())
async def test_a_single_item_call_is_one_statement(store: Store, call: Any) -> None:
    memory = store.memory()
    await memory.put(USERS, "k", {"text": "hello"})
    await call(memory, 1)
    with statements_sent(store) as sent:
        await call(memory, 2)
    assert len(sent.statements) == 1, sent.statements


# -- namespaces -------------------------------------------------------------------------------


async def test_list_namespaces_lists_every_namespace_holding_items(store: Store) -> None:
    memory = store.memory()
    for ns in [("b",), ("a", "x"), ("a",), ("a", "x", "y")]:
        await memory.put(ns, "k", 1)
    assert sorted(await memory.list_namespaces()) == [("a",), ("a", "x"), ("a", "x", "y"), ("b",)]


async def test_list_namespaces_prefix_matches_whole_labels(store: Store) -> None:
    memory = store.memory()
    for ns in [("memo",), ("memo", "x"), ("memorial",), ("other", "memo")]:
        await memory.put(ns, "k", 1)
    assert sorted(await memory.list_namespaces(prefix=("memo",))) == [("memo",), ("memo", "x")]


async def test_list_namespaces_is_limited(store: Store) -> None:
    memory = store.memory()
    for i in range(5):
        await memory.put(("n", str(i)), "k", i)
    assert len(await memory.list_namespaces(prefix=("n",), limit=3)) == 3


async def test_an_emptied_namespace_is_no_longer_listed(store: Store) -> None:
    memory = store.memory()
    await memory.put(USERS, "k", 1)
    await memory.delete(USERS, "k")
    assert await memory.list_namespaces() == []


async def test_clear_namespace_deletes_exactly_that_namespace_and_counts(store: Store) -> None:
    memory = store.memory()
    for key in ["a", "b", "c"]:
        await memory.put(USERS, key, key)
    await memory.put((*USERS, "below"), "kept", 1)
    await memory.put(OTHER, "kept", 2)
    assert await memory.clear_namespace(USERS) == 3
    assert await memory.list_keys(USERS) == []
    assert await memory.get((*USERS, "below"), "kept") == 1
    assert await memory.get(OTHER, "kept") == 2
    assert await memory.clear_namespace(USERS) == 0


# -- hostile namespace labels -------------------------------------------------------------------

#: Labels a naive encoding or a LIKE pattern would confuse with another namespace.
HOSTILE_LABELS = ["a.b", ".", "%", "_", "*", "a%", "a_", "'", '"', "/", "a/b", "\\", "%2F", "%25"]
#: What each would wrongly match: the namespaces every test also fills.
NEIGHBOURS: list[tuple[str, ...]] = [
    ("axb",),
    ("a",),
    ("ab",),
    ("a", "b"),
    ("a/b",),
    ("a%2Fb",),
    ("%2F",),
]


@pytest.mark.parametrize("label", HOSTILE_LABELS)
async def test_hostile_labels_never_reach_another_namespace(store: Store, label: str) -> None:
    memory = store.memory()
    hostile = (label,)
    neighbours = [ns for ns in [*NEIGHBOURS, (label, "x"), ("x", label)] if ns != hostile]
    for ns in [hostile, *neighbours]:
        await memory.put(ns, "k", {"text": f"words of {'|'.join(ns)}"})
        await memory.put(ns, f"only-{'|'.join(ns)}", {"text": "words"})
    assert await memory.get(hostile, "k") == {"text": f"words of {label}"}
    assert sorted(await memory.list_keys(hostile)) == sorted(["k", f"only-{label}"])
    assert {item.namespace for item in await memory.search(hostile, query="words")} == {hostile}
    assert {item.namespace for item in await memory.search(hostile)} == {hostile}
    assert await memory.list_namespaces(prefix=hostile) == [hostile, (label, "x")]
    assert await memory.clear_namespace(hostile) == 2
    for ns in neighbours:
        assert await memory.get(ns, "k") == {"text": f"words of {'|'.join(ns)}"}, ns


async def test_a_namespace_round_trips_labels_exactly(store: Store) -> None:
    memory = store.memory()
    namespace = tuple(HOSTILE_LABELS)
    await memory.put(namespace, "k", 1)
    (item,) = await memory.search(namespace)
    assert item.namespace == namespace
    assert await memory.list_namespaces() == [namespace]


# -- bad input: typed errors before SQL, nothing changes -------------------------------------

BAD_NAMESPACES: dict[str, tuple[object, type[Exception]]] = {
    "empty tuple": ((), InvalidNamespaceError),
    "empty label": (("users", ""), InvalidNamespaceError),
    "NUL in a label": (("users", "a\x00b"), InvalidNamespaceError),
    "lone surrogate": (("users", "a\ud800"), InvalidNamespaceError),
    "a string": ("users", InvalidTypeError),
    "int label": (("users", 1), InvalidTypeError),
    "None": (None, InvalidTypeError),
    "too long": (("x" * 1001,), InvalidNamespaceError),
}

BAD_KEYS: dict[str, tuple[object, type[Exception]]] = {
    "256 characters": ("k" * 256, InvalidInputError),
    "NUL": ("a\x00b", InvalidInputError),
    "int": (7, InvalidTypeError),
    "None": (None, InvalidTypeError),
}

BAD_VALUES: dict[str, tuple[object, type[Exception]]] = {
    "NaN": (math.nan, InvalidInputError),
    "infinity in a list": ([1.0, math.inf], InvalidInputError),
    "an object": (object(), InvalidTypeError),
    "a set": ({1, 2}, InvalidTypeError),
    "bytes": (b"raw", InvalidTypeError),
    "a non-string key": ({1: "one"}, InvalidTypeError),
    "NUL in text": ({"t": "a\x00b"}, InvalidInputError),
}


async def _refused(store: Store, call: Any, error: type[Exception]) -> None:
    await store.memory().put(USERS, "existing", {"text": "kept"})
    before = await stored(store)
    with statements_sent(store) as sent, pytest.raises(error):
        await call(store.memory())
    assert sent.statements == []
    assert await stored(store) == before


NAMESPACE_CALLS: dict[str, Any] = {
    "put": lambda m, ns: m.put(ns, "k", 1),
    "get": lambda m, ns: m.get(ns, "k"),
    "get_item": lambda m, ns: m.get_item(ns, "k"),
    "delete": lambda m, ns: m.delete(ns, "k"),
    "list_keys": lambda m, ns: m.list_keys(ns),
    "search": lambda m, ns: m.search(ns, query="text"),
    "search_many": lambda m, ns: m.search_many([USERS, ns]),
    "put_batch": lambda m, ns: m.put_batch([(USERS, "k", 1, None), (ns, "k", 1, None)]),
    "get_batch": lambda m, ns: m.get_batch([(USERS, "k"), (ns, "k")]),
    "list_namespaces": lambda m, ns: m.list_namespaces(prefix=ns),
    "clear_namespace": lambda m, ns: m.clear_namespace(ns),
}


@pytest.mark.parametrize(
    ("method", "bad"),
    [
        (method, bad)
        for method in NAMESPACE_CALLS
        for bad in BAD_NAMESPACES
        if not (method == "list_namespaces" and bad == "None")  # None: every namespace
    ],
)
async def test_a_bad_namespace_is_refused_before_sql(store: Store, method: str, bad: str) -> None:
    namespace, error = BAD_NAMESPACES[bad]
    await _refused(store, lambda m: NAMESPACE_CALLS[method](m, namespace), error)


@pytest.mark.parametrize("bad", BAD_KEYS, ids=BAD_KEYS.keys())
@pytest.mark.parametrize("method", ["put", "get", "delete", "get_batch", "put_batch"])
async def test_a_bad_key_is_refused_before_sql(store: Store, method: str, bad: str) -> None:
    key, error = BAD_KEYS[bad]
    calls: dict[str, Any] = {
        "put": lambda m: m.put(USERS, key, 1),
        "get": lambda m: m.get(USERS, key),
        "delete": lambda m: m.delete(USERS, key),
        "get_batch": lambda m: m.get_batch([(USERS, "existing"), (USERS, key)]),
        "put_batch": lambda m: m.put_batch([(USERS, "existing", 1, None), (USERS, key, 1, None)]),
    }
    await _refused(store, calls[method], error)


@pytest.mark.parametrize("bad", BAD_VALUES, ids=BAD_VALUES.keys())
async def test_a_value_that_is_not_json_is_refused_before_sql(store: Store, bad: str) -> None:
    value, error = BAD_VALUES[bad]
    await _refused(store, lambda m: m.put(USERS, "existing", value), error)


@pytest.mark.parametrize(
    ("metadata", "error"),
    [
        ("not a dict", InvalidTypeError),
        ({"x": math.nan}, InvalidInputError),
        ({2: "x"}, InvalidTypeError),
    ],
)
async def test_bad_metadata_is_refused_before_sql(
    store: Store, metadata: object, error: type[Exception]
) -> None:
    await _refused(store, lambda m: m.put(USERS, "existing", 1, metadata=metadata), error)


@pytest.mark.parametrize(
    ("limit", "error"), [(0, InvalidInputError), (-1, InvalidInputError), ("10", InvalidTypeError)]
)
@pytest.mark.parametrize("method", ["list_keys", "search", "search_many", "list_namespaces"])
async def test_a_bad_limit_is_refused_before_sql(
    store: Store, method: str, limit: object, error: type[Exception]
) -> None:
    calls: dict[str, Any] = {
        "list_keys": lambda m: m.list_keys(USERS, limit=limit),
        "search": lambda m: m.search(USERS, query="x", limit=limit),
        "search_many": lambda m: m.search_many([USERS], limit=limit),
        "list_namespaces": lambda m: m.list_namespaces(limit=limit),
    }
    await _refused(store, calls[method], error)


async def test_a_query_that_is_not_text_is_refused(store: Store) -> None:
    await _refused(store, lambda m: m.search(USERS, query=42), InvalidTypeError)


async def test_a_bad_batch_entry_is_refused_before_sql(store: Store) -> None:
    await _refused(store, lambda m: m.put_batch([(USERS, "k", 1)]), InvalidTypeError)


@pytest.mark.parametrize("ttl", [0, -1, "1h", math.inf])
async def test_a_bad_ttl_is_refused_when_the_store_is_made(store: Store, ttl: object) -> None:
    with pytest.raises((InvalidInputError, InvalidTypeError)):
        store.memory(ttl=ttl)  # type: ignore[arg-type]


async def test_close_releases_connections_and_the_store_stays_usable(store: Store) -> None:
    memory = store.memory()
    await memory.put(USERS, "k", 1)
    await memory.close()
    assert await memory.get(USERS, "k") == 1


# -- TTL --------------------------------------------------------------------------------------


async def test_items_expire_after_the_stores_ttl(store: Store) -> None:
    memory = store.memory(ttl=dt.timedelta(milliseconds=400))
    await memory.put(USERS, "brief", {"text": "soon gone"})
    assert await memory.get(USERS, "brief") == {"text": "soon gone"}
    await asyncio.sleep(0.6)
    assert await memory.get(USERS, "brief") is None
    assert await memory.list_keys(USERS) == []
    assert await memory.search(USERS, query="soon") == []
    assert await memory.search(USERS) == []
    assert await memory.list_namespaces() == []


async def test_without_a_ttl_items_never_expire_and_capabilities_say_so(store: Store) -> None:
    forever, brief = store.memory(), store.memory(ttl=3600)
    assert not forever.capabilities.ttl
    assert brief.capabilities.ttl
    assert brief.ttl == dt.timedelta(hours=1)


async def test_a_put_renews_the_expiry(store: Store) -> None:
    memory = store.memory(ttl=0.5)
    await memory.put(USERS, "k", 1)
    await asyncio.sleep(0.3)
    await memory.put(USERS, "k", 2)
    await asyncio.sleep(0.3)
    assert await memory.get(USERS, "k") == 2


# -- capabilities ---------------------------------------------------------------------------------


async def test_capabilities_are_honest(store: Store) -> None:
    memory = store.memory()
    caps = await memory.acapabilities()
    settings = await MemoryItems(store).vector_settings()
    assert caps.search
    assert caps.list_namespaces
    assert caps.batch_operations
    assert caps.transactions
    assert caps.semantic_search is settings.available
    assert caps.embedding_dimension == (settings.dims if settings.available else None)
    assert memory.capabilities == caps


async def test_without_vectors_the_semantic_calls_say_how_to_enable_them(store: Store) -> None:
    if await vectors_available(store):
        pytest.skip("this database has vectors")
    memory = store.memory()
    vector = [0.1] * DIMS
    calls: list[Any] = [
        memory.put_with_embedding(USERS, "k", "v", vector),
        memory.search_by_embedding(USERS, vector),
        memory.get_embedding(USERS, "k"),
    ]
    for call in calls:
        with pytest.raises(StoreCapabilityError) as raised:
            await call
        assert raised.value.capability == "semantic_search"
        assert raised.value.hint is not None
        assert "pgvector" in raised.value.hint
        assert "upgrade" in raised.value.hint
    assert await memory.get(USERS, "k") is None


async def test_without_vectors_an_embedding_store_still_puts_and_searches_text(
    store: Store,
) -> None:
    if await vectors_available(store):
        pytest.skip("this database has vectors")
    embed = Embedder()
    memory = store.memory(embed=embed)
    await memory.put(USERS, "k", {"text": "the cat sat"})
    assert keys_of(await memory.search(USERS, query="cat")) == ["k"]
    assert embed.calls == []


# -- vectors (``vector_store``: 8 dimensions) --------------------------------------------------


async def test_vector_capabilities_name_the_schemas_dimensions(vector_store: Store) -> None:
    caps = await vector_store.memory().acapabilities()
    assert caps.semantic_search
    assert caps.embedding_dimension == DIMS


async def test_get_embedding_returns_the_stored_vector(vector_store: Store) -> None:
    memory = vector_store.memory()
    vector = [0.5, -1.25, 2.0, 0.0, 1.0, 3.5, -0.75, 0.125]  # exact in float32
    await memory.put_with_embedding(USERS, "k", {"text": "v"}, vector, metadata={"m": 1})
    assert await memory.get_embedding(USERS, "k") == vector
    assert await memory.get(USERS, "k") == {"text": "v"}
    assert await memory.get_embedding(USERS, "nobody") is None


async def test_an_item_put_without_an_embedding_has_none(vector_store: Store) -> None:
    memory = vector_store.memory()
    await memory.put(USERS, "k", "v")
    assert await memory.get_embedding(USERS, "k") is None


async def test_a_plain_put_drops_the_embedding_of_the_value_it_replaces(
    vector_store: Store,
) -> None:
    memory = vector_store.memory()
    await memory.put_with_embedding(USERS, "k", "about cats", concepts("cat"))
    await memory.put(USERS, "k", "about cars now")
    assert await memory.get_embedding(USERS, "k") is None
    assert await memory.search_by_embedding(USERS, concepts("cat")) == []


async def _animals(memory: MemoryStore) -> None:
    for key, text in [
        ("cat", "a kitten with whiskers"),
        ("dog", "a puppy that likes to bark"),
        ("car", "a red truck"),
    ]:
        await memory.put_with_embedding(USERS, key, {"text": text}, concepts(text))
    await memory.put_with_embedding(OTHER, "cat", {"text": "feline"}, concepts("feline"))


async def test_search_by_embedding_ranks_nearest_first(vector_store: Store) -> None:
    memory = vector_store.memory()
    await _animals(memory)
    found = await memory.search_by_embedding(USERS, concepts("feline cat"))
    assert [r.item.key for r in found] == ["cat", "car", "dog"]
    assert all(r.item.namespace == USERS for r in found)
    scores = [r.score for r in found]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= s <= 1.0 for s in scores)


async def test_search_by_embedding_scores_as_locus_oracle_store_does(vector_store: Store) -> None:
    memory = vector_store.memory()
    await _animals(memory)
    settings = await MemoryItems(vector_store).vector_settings()
    for result in await memory.search_by_embedding(USERS, concepts("cat")):
        assert result.distance is not None
        assert result.score == pytest.approx(score_of(settings.distance, result.distance))


async def test_an_identical_vector_scores_one(vector_store: Store) -> None:
    memory = vector_store.memory()
    await memory.put_with_embedding(USERS, "k", "v", concepts("tea"))
    (result,) = await memory.search_by_embedding(USERS, concepts("tea"))
    settings = await MemoryItems(vector_store).vector_settings()
    if settings.distance != "dot":  # a dot product's score depends on the vectors' length
        assert result.score == pytest.approx(1.0, abs=1e-5)


async def test_threshold_keeps_only_results_scoring_at_least_it(vector_store: Store) -> None:
    memory = vector_store.memory()
    await _animals(memory)
    every = await memory.search_by_embedding(USERS, concepts("cat"))
    cut = (every[0].score + every[1].score) / 2
    kept = await memory.search_by_embedding(USERS, concepts("cat"), threshold=cut)
    assert [r.item.key for r in kept] == ["cat"]
    assert await memory.search_by_embedding(USERS, concepts("cat"), threshold=0.0) == every
    exact = await memory.search_by_embedding(USERS, concepts("cat"), threshold=every[1].score)
    assert [r.item.key for r in exact] == [r.item.key for r in every[:2]]


async def test_search_by_embedding_filters_on_metadata(vector_store: Store) -> None:
    memory = vector_store.memory()
    await memory.put_with_embedding(USERS, "a", "x", concepts("cat"), metadata={"kind": "pet"})
    await memory.put_with_embedding(USERS, "b", "y", concepts("cat"), metadata={"kind": "wild"})
    found = await memory.search_by_embedding(
        USERS, concepts("cat"), metadata_filter={"kind": "wild"}
    )
    assert [r.item.key for r in found] == ["b"]
    assert found[0].item.metadata == {"kind": "wild"}


async def test_search_by_embedding_is_limited(vector_store: Store) -> None:
    memory = vector_store.memory()
    await _animals(memory)
    assert len(await memory.search_by_embedding(USERS, concepts("cat"), limit=2)) == 2


@pytest.mark.parametrize(
    ("vector", "error"),
    [
        ([0.1] * (DIMS - 1), VectorDimensionError),
        ([0.1] * (DIMS + 1), VectorDimensionError),
        ([math.nan] + [0.1] * (DIMS - 1), VectorDimensionError),
        ([math.inf] + [0.1] * (DIMS - 1), VectorDimensionError),
        ("not a vector", InvalidTypeError),
    ],
    ids=["short", "long", "NaN", "infinity", "text"],
)
async def test_a_bad_vector_is_refused_before_sql(
    vector_store: Store, vector: Any, error: type[Exception]
) -> None:
    memory = vector_store.memory()
    await memory.put_with_embedding(USERS, "existing", "kept", concepts("cat"))
    await memory.search_by_embedding(USERS, concepts("cat"))  # warm: settings read
    before = await stored(vector_store)
    for call in [
        lambda: memory.put_with_embedding(USERS, "existing", "changed", vector),
        lambda: memory.search_by_embedding(USERS, vector),
    ]:
        with statements_sent(vector_store) as sent, pytest.raises(error):
            await call()
        assert sent.statements == []
    assert await stored(vector_store) == before


@pytest.mark.parametrize("threshold", [-0.1, 1.5, math.nan, "high"])
async def test_a_bad_threshold_is_refused(vector_store: Store, threshold: object) -> None:
    with pytest.raises((InvalidInputError, InvalidTypeError)):
        await vector_store.memory().search_by_embedding(
            USERS,
            concepts("cat"),
            threshold=threshold,  # type: ignore[arg-type]
        )


async def test_delete_and_clear_namespace_remove_the_embeddings(vector_store: Store) -> None:
    memory = vector_store.memory()
    await _animals(memory)
    await memory.delete(USERS, "cat")
    await memory.put(USERS, "cat", "back, without a vector")
    assert await memory.get_embedding(USERS, "cat") is None
    assert await memory.clear_namespace(USERS) == 3
    await memory.put(USERS, "dog", "back")
    assert await memory.search_by_embedding(USERS, concepts("dog")) == []
    assert [r.item.key for r in await memory.search_by_embedding(OTHER, concepts("cat"))] == ["cat"]


# -- put and search with ``embed`` ------------------------------------------------------------


@pytest.mark.parametrize("embedder", [Embedder, AsyncEmbedder], ids=["sync", "async"])
async def test_with_embed_search_ranks_by_meaning(
    vector_store: Store, embedder: type[Embedder]
) -> None:
    embed = embedder()
    memory = vector_store.memory(embed=embed)
    await memory.put(USERS, "pet", {"text": "my kitten has whiskers"})
    await memory.put(USERS, "ride", {"text": "I drive a truck"})
    await memory.put(USERS, "drink", "espresso every morning")
    found = await memory.search(USERS, query="feline")  # shares no word with any memory
    assert keys_of(found)[0] == "pet"
    assert keys_of(await memory.search(USERS, query="coffee", limit=1)) == ["drink"]
    assert embed.calls[:3] == [
        ["my kitten has whiskers"],
        ["I drive a truck"],
        ["espresso every morning"],
    ]


async def test_put_with_embed_stores_the_values_embedding(vector_store: Store) -> None:
    memory = vector_store.memory(embed=Embedder())
    await memory.put(USERS, "k", {"facts": ["a kitten", "and a puppy"]})
    stored_vector = await memory.get_embedding(USERS, "k")
    assert stored_vector == pytest.approx(concepts(text_of({"facts": ["a kitten", "and a puppy"]})))


async def test_put_batch_with_embed_embeds_every_value_in_one_call(vector_store: Store) -> None:
    embed = Embedder()
    memory = vector_store.memory(embed=embed)
    await memory.put_batch([(USERS, "a", "cat", None), (USERS, "b", {"t": "dog"}, None)])
    assert embed.calls == [["cat", "dog"]]
    assert await memory.get_embedding(USERS, "b") == pytest.approx(concepts("dog"))


async def test_a_bad_batch_is_refused_before_anything_is_embedded(vector_store: Store) -> None:
    embed = Embedder()
    memory = vector_store.memory(embed=embed)
    with pytest.raises(InvalidInputError):
        await memory.put_batch([(USERS, "a", "cat", None), (USERS, "k" * 256, "dog", None)])
    assert embed.calls == []


@pytest.mark.parametrize(
    "wrong",
    [
        lambda texts: [[0.1] * (DIMS - 1) for _ in texts],
        lambda texts: [],
        lambda texts: [[math.nan] * DIMS],
    ],
    ids=["short vectors", "too few vectors", "NaN"],
)
async def test_an_embed_that_returns_bad_vectors_writes_nothing(
    vector_store: Store, wrong: Any
) -> None:
    memory = vector_store.memory(embed=wrong)
    await vector_store.memory().put(USERS, "existing", "kept")
    before = await stored(vector_store)
    with pytest.raises(VectorDimensionError):
        await memory.put(USERS, "existing", "changed")
    assert await stored(vector_store) == before


async def test_semantic_search_many_embeds_once_and_is_one_statement(vector_store: Store) -> None:
    embed = Embedder()
    memory = vector_store.memory(embed=embed)
    namespaces = [(*USERS, "user"), (*USERS, "feedback"), (*USERS, "empty")]
    await memory.put(namespaces[0], "a", "a kitten")
    await memory.put(namespaces[0], "b", "a truck")
    await memory.put(namespaces[1], "c", "a puppy")
    expected = [await memory.search(ns, query="cat") for ns in namespaces]
    embed.calls.clear()
    with statements_sent(vector_store) as sent:
        found = await memory.search_many(namespaces, query="cat")
    assert found == expected
    assert keys_of(found[0]) == ["a", "b"]
    assert embed.calls == [["cat"]]
    assert len(sent.statements) == 1, sent.statements


# -- the score ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("distance", "d", "score"),
    [
        ("cosine", 0.0, 1.0),
        ("cosine", 1.0, 0.5),
        ("cosine", 2.0, 0.0),
        ("l2", 0.0, 1.0),
        ("l2", 1.0, 0.5),
        ("l2", 3.0, 0.25),
        ("dot", -1.0, 1.0),  # inner product 1: the nearest unit vectors
        ("dot", 0.0, 0.5),
        ("dot", 1.0, 0.0),
        ("dot", -5.0, 1.0),
    ],
)
def test_score_is_a_zero_to_one_similarity(distance: str, d: float, score: float) -> None:
    assert score_of(distance, d) == pytest.approx(score)
