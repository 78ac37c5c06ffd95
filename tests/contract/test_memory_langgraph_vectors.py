"""Semantic search: LangGraph's ``IndexConfig`` on the schema's vectors (8 dimensions here).

The first part ports ``langgraph-checkpoint-postgres``'s vector tests (3.2.0) with their
``CharacterEmbeddings`` (character frequencies through seeded random projections) at
8 dimensions and runs them on SQLite, PostgreSQL with pgvector and LangGraph's
``InMemoryStore``; the schema's metric is cosine, whose score (``1 - distance``) is
``InMemoryStore``'s cosine similarity. The rest is this store's own: other metrics'
scores, vectors replaced by each put, per-put fields, one embedding call per batch,
and the errors for a ``dims`` the schema does not have or a database with no vectors.
"""

from __future__ import annotations

import asyncio
import math
import random
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from langchain_core.embeddings import Embeddings
from langgraph.store.base import BaseStore, PutOp
from langgraph.store.memory import InMemoryStore

from locus_store import (
    InvalidInputError,
    Store,
    VectorDimensionError,
    VectorSearchUnavailableError,
)
from locus_store.memory.items import MemoryItems
from locus_store.memory.langgraph_store import SQLAlchemyStore
from tests.support.backends import MEMORY_TEST_DIMS, VECTOR_BACKENDS, Target
from tests.support.database import empty_tables, statements_sent
from tests.support.oracle.fake_driver import FakeDriver
from tests.support.oracle.langgraph_model import LANGGRAPH_IN_MEMORY, ORACLE_MODEL, on_oracle_model
from tests.support.pgvector import require_pgvector_url

DIMS = MEMORY_TEST_DIMS


class CharacterEmbeddings(Embeddings):
    """LangGraph's test embeddings (``tests/embed_test_utils.py``): each character gets a
    seeded random projection, drawn when the character is first seen, so every store
    takes an instance of its own and sees the same texts in the same order."""

    def __init__(self, dims: int = DIMS, seed: int = 42) -> None:
        self._rng = random.Random(seed)
        self.dims = dims
        self._char_projections: defaultdict[str, list[float]] = defaultdict(
            lambda: [self._rng.gauss(0, 1 / math.sqrt(self.dims)) for _ in range(self.dims)]
        )
        self.calls: list[list[str]] = []

    def _embed_one(self, text: str) -> list[float]:
        counts = Counter(text)
        total = sum(counts.values())
        if total == 0:
            return [0.0] * self.dims
        embedding = [0.0] * self.dims
        for char, count in counts.items():
            for i, projection in enumerate(self._char_projections[char]):
                embedding[i] += count / total * projection
        norm = math.sqrt(sum(x * x for x in embedding))
        return [x / norm for x in embedding] if norm > 0 else embedding

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.calls.append(list(texts))
        return [self._embed_one(text) for text in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._embed_one(text)


Make = Callable[..., BaseStore]


async def _vector_target(
    backend: str, migrated: dict[str, tuple[Target, str]]
) -> tuple[Target, str]:
    if backend == "pgvector":
        require_pgvector_url()
    return migrated[backend]


@pytest.fixture(params=[*VECTOR_BACKENDS, ORACLE_MODEL, LANGGRAPH_IN_MEMORY])
async def make(
    request: pytest.FixtureRequest,
    migrated: dict[str, tuple[Target, str]],
    oracle_store: tuple[Store, FakeDriver],
) -> AsyncIterator[Make]:
    """``make(fields=None)``: a store with an index of fresh `CharacterEmbeddings`, on
    SQLite, PostgreSQL with pgvector (emptied), the Oracle model, or LangGraph's
    ``InMemoryStore``."""

    def index(fields: list[str] | None) -> Any:
        return {"dims": DIMS, "embed": CharacterEmbeddings(), "fields": fields}

    if request.param == LANGGRAPH_IN_MEMORY:
        yield lambda fields=None: InMemoryStore(index=index(fields))
        return
    if request.param == ORACLE_MODEL:
        yield lambda fields=None: on_oracle_model(oracle_store, index=index(fields))
        return
    target, prefix = await _vector_target(str(request.param), migrated)
    store = Store.from_settings(target.settings, table_prefix=prefix)
    await empty_tables(store)
    try:
        yield lambda fields=None: store.langgraph_store(index=index(fields))
    finally:
        await store.close()


def _cosine(x: Sequence[float], y: Sequence[float]) -> float:
    dot = sum(a * b for a, b in zip(x, y, strict=True))
    return dot / (math.sqrt(sum(a * a for a in x)) * math.sqrt(sum(b * b for b in y)))


# -- LangGraph's vector tests, on every vector backend and on InMemoryStore ---------------


async def test_vector_insert_with_auto_embedding(make: Make) -> None:
    lg = make()
    for key, value in [
        ("doc1", {"text": "short text"}),
        ("doc2", {"text": "longer text document"}),
        ("doc3", {"text": "longest text document here"}),
        ("doc4", {"description": "text in description field"}),
        ("doc5", {"content": "text in content field"}),
        ("doc6", {"body": "text in body field"}),
    ]:
        await lg.aput(("test",), key, value)
    keys = [r.key for r in await lg.asearch(("test",), query="long text")]
    assert "doc2" in keys
    assert "doc3" in keys


async def test_vector_update_with_embedding(make: Make) -> None:
    lg = make()
    await lg.aput(("test",), "doc1", {"text": "zany zebra Xerxes"})
    await lg.aput(("test",), "doc2", {"text": "something about dogs"})
    await lg.aput(("test",), "doc3", {"text": "text about birds"})
    initial = await lg.asearch(("test",), query="Zany Xerxes")
    assert initial[0].key == "doc1"
    initial_score = initial[0].score
    assert initial_score is not None

    await lg.aput(("test",), "doc1", {"text": "new text about dogs"})
    after = await lg.asearch(("test",), query="Zany Xerxes")
    after_score = next((r.score for r in after if r.key == "doc1"), 0.0)
    assert after_score is not None
    assert after_score < initial_score
    for r in await lg.asearch(("test",), query="new text about dogs"):
        if r.key == "doc1":
            assert r.score is not None
            assert r.score > after_score

    await lg.aput(("test",), "doc4", {"text": "new text about dogs"}, index=False)
    found = await lg.asearch(("test",), query="new text about dogs", limit=3)
    assert not any(r.key == "doc4" for r in found)


@pytest.mark.parametrize("refresh_ttl", [True, False])
async def test_vector_search_with_filters(make: Make, refresh_ttl: bool) -> None:
    lg = make()
    for key, value in [
        ("doc1", {"text": "red apple", "color": "red", "score": 4.5}),
        ("doc2", {"text": "red car", "color": "red", "score": 3.0}),
        ("doc3", {"text": "green apple", "color": "green", "score": 4.0}),
        ("doc4", {"text": "blue car", "color": "blue", "score": 3.5}),
    ]:
        await lg.aput(("test",), key, value)
    red_apple = await lg.asearch(
        ("test",), query="apple", filter={"color": "red"}, refresh_ttl=refresh_ttl
    )
    assert [r.key for r in red_apple][:1] == ["doc1"]
    assert len(red_apple) == 2
    red_car = await lg.asearch(
        ("test",), query="car", filter={"color": "red"}, refresh_ttl=refresh_ttl
    )
    assert [r.key for r in red_car][:1] == ["doc2"]
    assert len(red_car) == 2
    over = await lg.asearch(
        ("test",), query="bbbbluuu", filter={"score": {"$gt": 3.2}}, refresh_ttl=refresh_ttl
    )
    assert [r.key for r in over][:1] == ["doc4"]
    assert len(over) == 3
    green = await lg.asearch(
        ("test",), query="apple", filter={"score": {"$gte": 4.0}, "color": "green"}
    )
    assert [r.key for r in green] == ["doc3"]


async def test_vector_search_pagination(make: Make) -> None:
    lg = make()
    for i in range(5):
        await lg.aput(("test",), f"doc{i}", {"text": f"test document number {i}"})
    page1 = await lg.asearch(("test",), query="test", limit=2)
    page2 = await lg.asearch(("test",), query="test", limit=2, offset=2)
    assert len(page1) == 2
    assert len(page2) == 2
    assert {r.key for r in page1}.isdisjoint(r.key for r in page2)
    assert len(await lg.asearch(("test",), query="test", limit=10)) == 5


async def test_vector_search_edge_cases(make: Make) -> None:
    lg = make()
    await lg.aput(("test",), "doc1", {"text": "test document"})
    perfect = (await lg.asearch(("test",), query="text test document"))[0].score
    assert perfect is not None
    for query in ["", None]:
        results = await lg.asearch(("test",), query=query)
        assert [(r.key, r.score) for r in results] == [("doc1", None)]
    for query in ["foo " * 100, "test!@#$%^&*()"]:
        results = await lg.asearch(("test",), query=query)
        assert len(results) == 1
        assert results[0].score is not None
        assert results[0].score < perfect


async def test_embed_with_path(make: Make) -> None:
    lg = make(["key0", "key1", "key3"])
    await lg.aput(("test",), "doc1", {"key1": "xxx", "key2": "yyy", "key3": "zzz"})
    await lg.aput(("test",), "doc2", {"key0": "uuu", "key1": "vvv", "key2": "www", "key3": "xxx"})
    both = await lg.asearch(("test",), query="xxx")
    assert len(both) == 2
    assert both[0].key != both[1].key
    best = both[0].score
    assert best is not None
    assert best == pytest.approx(both[1].score, abs=1e-3)
    for query, key in [("uuu", "doc2"), ("zzz", "doc1")]:
        results = await lg.asearch(("test",), query=query)
        assert [r.key for r in results][:1] == [key]
        assert results[0].score == pytest.approx(best, abs=1e-3)
        assert results[0].score > results[1].score  # type: ignore[operator]
    unindexed = await lg.asearch(("test",), query="www")
    assert all(r.score is not None and r.score < best for r in unindexed)


async def test_embed_with_path_operation_config(make: Make) -> None:
    lg = make(["key17"])  # the default fields match nothing below
    doc3 = {"key0": "aaa", "key1": "bbb", "key2": "ccc", "key3": "ddd"}
    doc4 = {"key0": "eee", "key1": "bbb", "key2": "fff", "key3": "ggg"}
    await lg.aput(("test",), "doc3", doc3, index=["key0", "key1"])
    await lg.aput(("test",), "doc4", doc4, index=["key1", "key3"])
    for query, key in [("aaa", "doc3"), ("ggg", "doc4")]:
        results = await lg.asearch(("test",), query=query)
        assert [r.key for r in results][:1] == [key]
        assert len({r.key for r in results}) == 2
        assert results[0].score > results[1].score  # type: ignore[operator]
    shared = await lg.asearch(("test",), query="bbb")
    assert shared[0].score == pytest.approx(shared[1].score, abs=1e-3)
    assert all(
        r.score is not None and r.score < 0.9 for r in await lg.asearch(("test",), query="ccc")
    )

    await lg.aput(("test",), "doc5", {"key0": "hhh", "key1": "iii"}, index=False)
    listed = await lg.asearch(("test",))
    assert len(listed) == 3
    assert all(r.score is None for r in listed)
    assert any(r.key == "doc5" for r in listed)


async def test_search_sorting(make: Make) -> None:
    lg = make(["key1"])
    await lg.aput(("test", "M"), "M", {"key1": "mmm"})
    for i in range(40):  # one put each: InMemoryStore's batch cannot embed equal texts
        await lg.aput(("test", "A"), f"A{i}", {"key1": "no"})
        await lg.aput(("test", "Z"), f"Z{i}", {"key1": "no"})
    results = await lg.asearch(("test",), query="mmm", limit=10)
    assert len(results) == 10
    assert len({r.key for r in results}) == 10
    assert results[0].key == "M"
    assert results[0].score > results[1].score  # type: ignore[operator]


@pytest.mark.parametrize("query", ["aaa", "bbb", "ccc", "abcd", "poisson"])
async def test_scores(make: Make, query: str) -> None:
    lg = make(["key0"])
    await lg.aput(("test",), "doc", {"key0": "aaa"}, index=["key0", "key1"])
    results = await lg.asearch((), query=query)
    check = CharacterEmbeddings()  # the same projections, drawn in the same order
    expected = _cosine(check.embed_query("aaa"), check.embed_query(query))
    assert len(results) == 1
    assert results[0].score == pytest.approx(expected, abs=1e-3)


async def test_non_ascii(make: Make) -> None:
    """LangGraph's case embeds the whole value (``{"text": ...}``); at 8 dimensions its
    JSON punctuation outweighs the letters, so here the ``text`` field is embedded."""
    lg = make(["text"])
    texts = ["这是中文", "これは日本語です", "이건 한국어야", "Это русский", "यह रूसी है"]
    for i, text in enumerate(texts, start=1):
        await lg.aput(("user_123", "memories"), str(i), {"text": text})
    for i, text in enumerate(texts, start=1):
        best = (await lg.asearch(("user_123", "memories"), query=text))[0]
        assert best.key == str(i)
        assert best.score == pytest.approx(1.0, abs=1e-3)


# -- this store's own --------------------------------------------------------------------


class Words(Embeddings):
    """One dimension per word of `VOCABULARY` (the last keeps no vector zero); records
    every call, sync or async."""

    VOCABULARY = ("cat", "dog", "car", "tea", "code", "rain", "city")

    def __init__(self, dims: int = DIMS) -> None:
        self.dims = dims
        self.calls: list[list[str]] = []

    def _one(self, text: str) -> list[float]:
        vector = [0.0] * self.dims
        for word in text.lower().split():
            if word in self.VOCABULARY:
                vector[self.VOCABULARY.index(word)] += 1.0
        vector[self.dims - 1] += 0.1
        return vector

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.calls.append(list(texts))
        return [self._one(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._one(text)


def _index(embed: Any = None, **extra: Any) -> Any:
    return {"dims": DIMS, "embed": embed or Words(), **extra}


async def test_a_put_replaces_the_items_vectors_by_its_own(vector_store: Store) -> None:
    lg = vector_store.langgraph_store(index=_index(fields=["a"]))
    await lg.aput(("r",), "k", {"a": "cat", "b": "dog"})
    await lg.aput(("r",), "other", {"a": "tea"})
    assert (await lg.asearch(("r",), query="cat"))[0].key == "k"
    await lg.aput(("r",), "k", {"a": "cat", "b": "dog"}, index=["b"])
    first = await lg.asearch(("r",), query="dog")
    assert first[0].key == "k"
    assert first[0].score == pytest.approx(1.0, abs=1e-3)
    cat = {r.key: r.score for r in await lg.asearch(("r",), query="cat")}
    assert cat["k"] is not None
    assert cat["k"] < 0.1  # the "a" vector went with the put
    await lg.aput(("r",), "k", {"a": "cat", "b": "dog"}, index=False)
    assert [r.key for r in await lg.asearch(("r",), query="cat")] == ["other"]
    assert (await lg.aget(("r",), "k")) is not None  # still there for get and listing


async def test_index_paths_as_langgraph_writes_them(vector_store: Store) -> None:
    words = Words()
    lg = vector_store.langgraph_store(index=_index(words, fields=["title", "notes[*].text"]))
    await lg.aput(
        ("p",), "k", {"title": "cat", "notes": [{"text": "dog"}, {"text": "car"}], "x": "tea"}
    )
    await lg.aput(("p",), "whole", {"x": "rain"}, index=["$"])
    assert words.calls[0] == ["cat", "dog", "car"]
    assert words.calls[1] == ['{"x": "rain"}']  # "$": the whole value, as LangGraph writes it
    items = MemoryItems(vector_store)
    assert sorted(await items.embeddings(("p",), "k")) == [
        "notes[*].text.0",
        "notes[*].text.1",
        "title",
    ]
    assert sorted(await items.embeddings(("p",), "whole")) == ["$"]
    for query in ["cat", "dog", "car"]:
        assert (await lg.asearch(("p",), query=query))[0].key == "k"
    assert (await lg.asearch(("p",), query="rain"))[0].key == "whole"


async def test_items_without_vectors_are_not_found_by_a_query(vector_store: Store) -> None:
    """As ``PostgresStore`` (``InMemoryStore`` appends them, unscored, to a short page)."""
    lg = vector_store.langgraph_store(index=_index(fields=["text"]))
    await lg.aput(("n",), "indexed", {"text": "cat"})
    await lg.aput(("n",), "no-field", {"other": "cat"})
    await lg.aput(("n",), "off", {"text": "cat"}, index=False)
    assert [r.key for r in await lg.asearch(("n",), query="cat")] == ["indexed"]


async def test_one_embedding_call_per_batch_and_none_for_reads(vector_store: Store) -> None:
    words = Words()
    lg = vector_store.langgraph_store(index=_index(words, fields=["a", "b"]))
    await lg.abatch(
        [
            PutOp(("b",), "one", {"a": "cat", "b": "dog"}),
            PutOp(("b",), "two", {"a": "tea"}),
            PutOp(("b",), "off", {"a": "car"}, index=False),
            PutOp(("b",), "gone", None),
        ]
    )
    assert words.calls == [["cat", "dog", "tea"]]
    await lg.aget(("b",), "one")
    await lg.asearch(("b",))
    assert len(words.calls) == 1


async def test_an_item_with_many_vectors_does_not_crowd_a_page(vector_store: Store) -> None:
    lg = vector_store.langgraph_store(index=_index(fields=["notes[*]"]))
    await lg.aput(("m",), "chatty", {"notes": ["cat"] * 30})
    for i in range(8):
        await lg.aput(("m",), f"k{i}", {"notes": ["cat dog"]})
    results = await lg.asearch(("m",), query="cat", limit=5)
    assert len(results) == 5
    assert results[0].key == "chatty"
    assert len({r.key for r in results}) == 5


async def test_async_embed_functions_and_the_sync_methods(vector_store: Store) -> None:
    words = Words()

    async def aembed(texts: Sequence[str]) -> list[list[float]]:
        await asyncio.sleep(0)
        return words.embed_documents(list(texts))

    lg = vector_store.langgraph_store(index={"dims": DIMS, "embed": aembed, "fields": ["t"]})
    await lg.aput(("a",), "cat", {"t": "cat"})
    await asyncio.to_thread(lg.put, ("a",), "dog", {"t": "dog"})
    found = await asyncio.to_thread(lg.search, ("a",), query="dog")
    assert [r.key for r in found][:1] == ["dog"]
    assert (await lg.asearch(("a",), query="cat"))[0].key == "cat"
    await lg.aclose()


@pytest.mark.parametrize(
    ("distance", "expected"),
    [("cosine", 0.6), ("dot", 0.6), ("l2", -math.sqrt(0.8))],
)
async def test_scores_follow_the_schemas_metric_as_postgres_store_reports_them(
    distance: str, expected: float, tmp_path: Path
) -> None:
    """cosine ``1 - d``, inner product ``-d`` (the inner product), l2 ``-d``: for the
    query (0.6, 0.8) and the item (1, 0), cosine 0.6, inner product 0.6, l2 sqrt(0.8)."""
    store = Store.from_url(f"sqlite+aiosqlite:///{tmp_path / 'm.db'}")
    await store.upgrade(memory_dims=2, memory_distance=distance)
    fixed = {"q": [0.6, 0.8], "doc": [1.0, 0.0]}

    def embed(texts: Sequence[str]) -> list[list[float]]:
        return [fixed[t] for t in texts]

    index = {"dims": 2, "embed": embed, "fields": ["t"]}
    lg = store.langgraph_store(index=index)
    try:
        await lg.aput(("s",), "doc", {"t": "doc"})
        score = (await lg.asearch(("s",), query="q"))[0].score
        assert score == pytest.approx(expected, abs=1e-5)
    finally:
        await store.close()


async def test_index_dims_must_be_the_schemas_at_first_use(vector_store: Store) -> None:
    lg = vector_store.langgraph_store(index={"dims": DIMS * 2, "embed": Words(DIMS * 2)})
    with statements_sent(vector_store) as sent, pytest.raises(VectorDimensionError) as caught:
        await lg.aget(("d",), "k")
    message = str(caught.value)
    assert f"index dims is {DIMS * 2}" in message
    assert f"have {DIMS} dimensions" in message
    assert "memory_dims" in message
    assert len(sent.statements) <= 1  # the schema's vector config, nothing else
    with pytest.raises(VectorDimensionError):
        await lg.aput(("d",), "k", {"v": 1})
    assert await vector_store.langgraph_store().aget(("d",), "k") is None


async def test_an_embedding_of_the_wrong_length_stores_nothing(vector_store: Store) -> None:
    def short(texts: Sequence[str]) -> list[list[float]]:
        return [[1.0] * (DIMS - 1) for _ in texts]

    lg = vector_store.langgraph_store(index={"dims": DIMS, "embed": short})
    with pytest.raises(VectorDimensionError):
        await lg.aput(("w",), "k", {"v": "text"})
    assert await lg.aget(("w",), "k") is None


async def test_distance_type_is_checked_against_the_schema(vector_store: Store) -> None:
    same = vector_store.langgraph_store(index=_index(distance_type="cosine"))
    await same.aput(("d",), "k", {"t": "cat"})
    other = vector_store.langgraph_store(index=_index(distance_type="inner_product"))
    with pytest.raises(InvalidInputError, match="memory_distance"):
        await other.asearch(("d",), query="cat")
    with pytest.raises(InvalidInputError, match="distance_type"):
        vector_store.langgraph_store(index=_index(distance_type="hamming"))


@pytest.mark.parametrize(
    "index",
    [
        {"embed": Words()},
        {"dims": 0, "embed": Words()},
        {"dims": DIMS},
        {"dims": DIMS, "embed": Words(), "fields": [1]},
    ],
    ids=["no-dims", "zero-dims", "no-embed", "bad-fields"],
)
def test_a_bad_index_config_is_refused(vector_store: Store, index: Any) -> None:
    with pytest.raises((InvalidInputError, TypeError)):
        vector_store.langgraph_store(index=index)


async def test_an_index_without_vectors_on_the_database_says_how_to_enable_them(
    store: Store,
) -> None:
    if (await MemoryItems(store).vector_settings()).available:
        pytest.skip("this backend has vectors")
    lg = store.langgraph_store(index=_index())
    with pytest.raises(VectorSearchUnavailableError, match="pgvector") as caught:
        await lg.aput(("v",), "k", {"t": "cat"})
    assert "drop index=" in str(caught.value)
    plain = store.langgraph_store()
    await plain.aput(("v",), "k", {"t": "cat"})
    assert [r.key for r in await plain.asearch(("v",), query="cat")] == ["k"]


async def test_setup_migrates_with_the_index_dims(tmp_path: Path) -> None:
    store = Store.from_url(f"sqlite+aiosqlite:///{tmp_path / 'setup.db'}")
    try:
        lg = store.langgraph_store(index={"dims": 3, "embed": Words(3), "distance_type": "l2"})
        await asyncio.to_thread(lg.setup)
        settings = await MemoryItems(store).vector_settings()
        assert (settings.dims, settings.distance) == (3, "l2")
        await lg.aput(("s",), "k", {"t": "cat"})
        assert isinstance(lg, SQLAlchemyStore)
        assert (await lg.asearch(("s",), query="cat"))[0].key == "k"
        await lg.aclose()
    finally:
        await store.close()


async def test_the_index_config_is_kept_as_langgraph_stores_keep_it(vector_store: Store) -> None:
    words = Words()
    lg = vector_store.langgraph_store(index=_index(words, fields=["a.b", "$"]))
    assert lg.index_config is not None
    assert lg.index_config["dims"] == DIMS
    assert lg.embeddings is words
    assert lg.index_config["__tokenized_fields"] == [("a.b", ["a", "b"]), ("$", "$")]  # type: ignore[typeddict-item]
