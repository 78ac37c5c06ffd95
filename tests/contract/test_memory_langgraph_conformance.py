"""LangGraph's own store tests, ported: ``store.langgraph_store()`` behaves as LangGraph's stores.

The cases come from ``langgraph-checkpoint-postgres``'s ``tests/test_store.py`` and
``tests/test_async_store.py`` (3.2.0) and from ``langgraph.store.base``'s docstrings.
Each runs on every backend and also on LangGraph's ``InMemoryStore``, which shows that
the expectations are LangGraph's, not this store's. Where LangGraph's two stores
disagree, the case lives with this store's own tests instead, saying whose
behaviour it follows.
"""

from __future__ import annotations

from typing import Any, cast

import pytest
from langgraph.store.base import (
    BaseStore,
    GetOp,
    InvalidNamespaceError,
    Item,
    ListNamespacesOp,
    MatchCondition,
    PutOp,
    Result,
    SearchItem,
    SearchOp,
)

#: The parameter of LangGraph's own in-memory store.
#: The parameter of the Oracle model (the fake driver answering as the server would).


def _found(result: Result) -> list[SearchItem]:
    assert isinstance(result, list)
    return cast("list[SearchItem]", result)


def _listed(result: Result) -> list[tuple[str, ...]]:
    assert isinstance(result, list)
    return cast("list[tuple[str, ...]]", result)


async def test_batch_order(langgraph_memory: BaseStore) -> None:
    await langgraph_memory.aput(("test", "foo"), "key1", {"data": "value1"})
    await langgraph_memory.aput(("test", "bar"), "key2", {"data": "value2"})
    results = await langgraph_memory.abatch(
        [
            GetOp(namespace=("test", "foo"), key="key1"),
            PutOp(namespace=("test", "bar"), key="key2", value={"data": "value2"}),
            SearchOp(namespace_prefix=("test",), filter={"data": "value1"}, limit=10, offset=0),
            ListNamespacesOp(match_conditions=None, max_depth=None, limit=10, offset=0),
            GetOp(namespace=("test",), key="key3"),
        ]
    )
    assert len(results) == 5
    assert isinstance(results[0], Item)
    assert results[0].value == {"data": "value1"}
    assert results[0].key == "key1"
    assert results[1] is None
    assert isinstance(results[2], list)
    assert len(results[2]) == 1
    assert isinstance(results[3], list)
    assert len(results[3]) > 0
    assert results[4] is None

    reordered = await langgraph_memory.abatch(
        [
            SearchOp(namespace_prefix=("test",), filter=None, limit=5, offset=0),
            GetOp(namespace=("test", "bar"), key="key2"),
            ListNamespacesOp(match_conditions=None, max_depth=None, limit=5, offset=0),
            PutOp(namespace=("test",), key="key3", value={"data": "value3"}),
            GetOp(namespace=("test", "foo"), key="key1"),
        ]
    )
    assert isinstance(reordered[0], list)
    assert len(reordered[0]) >= 2
    assert isinstance(reordered[1], Item)
    assert reordered[1].value == {"data": "value2"}
    assert isinstance(reordered[2], list)
    assert len(reordered[2]) > 0
    assert reordered[3] is None
    assert isinstance(reordered[4], Item)
    assert reordered[4].value == {"data": "value1"}


async def test_batch_get_ops(langgraph_memory: BaseStore) -> None:
    await langgraph_memory.aput(("test",), "key1", {"data": "value1"})
    await langgraph_memory.aput(("test",), "key2", {"data": "value2"})
    results = await langgraph_memory.abatch(
        [GetOp(("test",), "key1"), GetOp(("test",), "key2"), GetOp(("test",), "key3")]
    )
    assert [r.key if isinstance(r, Item) else r for r in results] == ["key1", "key2", None]


async def test_batch_put_ops(langgraph_memory: BaseStore) -> None:
    results = await langgraph_memory.abatch(
        [
            PutOp(("test",), "key1", {"data": "value1"}),
            PutOp(("test",), "key2", {"data": "value2"}),
            PutOp(("test",), "key3", None),
        ]
    )
    assert results == [None, None, None]
    item1, item2 = (
        await langgraph_memory.aget(("test",), "key1"),
        await langgraph_memory.aget(("test",), "key2"),
    )
    assert item1 is not None
    assert item1.value == {"data": "value1"}
    assert item2 is not None
    assert item2.value == {"data": "value2"}
    assert await langgraph_memory.aget(("test",), "key3") is None


async def test_batch_search_ops(langgraph_memory: BaseStore) -> None:
    for namespace, key, value in [
        (("test", "foo"), "key1", {"data": "value1", "tag": "a"}),
        (("test", "bar"), "key2", {"data": "value2", "tag": "a"}),
        (("test", "baz"), "key3", {"data": "value3", "tag": "b"}),
    ]:
        await langgraph_memory.aput(namespace, key, value)
    tagged, first_two, foo = await langgraph_memory.abatch(
        [
            SearchOp(("test",), filter={"tag": "a"}, limit=10, offset=0),
            SearchOp(("test",), filter=None, limit=2, offset=0),
            SearchOp(("test", "foo"), filter=None, limit=10, offset=0),
        ]
    )
    assert len(_found(tagged)) == 2
    assert all(item.value["tag"] == "a" for item in _found(tagged))
    assert len(_found(first_two)) == 2
    assert [item.namespace for item in _found(foo)] == [("test", "foo")]


async def test_batch_list_namespaces_ops(langgraph_memory: BaseStore) -> None:
    data = [
        ("test", "documents", "public"),
        ("test", "documents", "private"),
        ("test", "images", "public"),
        ("prod", "documents", "public"),
    ]
    for i, namespace in enumerate(data):
        await langgraph_memory.aput(namespace, f"doc{i}", {"content": "x"})
    every, shallow, public = await langgraph_memory.abatch(
        [
            ListNamespacesOp(match_conditions=None, max_depth=None, limit=10, offset=0),
            ListNamespacesOp(match_conditions=None, max_depth=2, limit=10, offset=0),
            ListNamespacesOp(
                match_conditions=(MatchCondition("suffix", ("public",)),), limit=10, offset=0
            ),
        ]
    )
    assert sorted(_listed(every)) == sorted(data)
    assert sorted(_listed(shallow)) == [
        ("prod", "documents"),
        ("test", "documents"),
        ("test", "images"),
    ]
    assert sorted(_listed(public)) == sorted(ns for ns in data if ns[-1] == "public")


async def test_basic_store_ops(langgraph_memory: BaseStore) -> None:
    namespace = ("test", "documents")
    await langgraph_memory.aput(
        namespace, "doc1", {"title": "Test Document", "content": "Hello, World!"}
    )
    item = await langgraph_memory.aget(namespace, "doc1")
    assert item is not None
    assert (item.namespace, item.key) == (namespace, "doc1")
    assert item.value == {"title": "Test Document", "content": "Hello, World!"}

    await langgraph_memory.aput(
        namespace, "doc1", {"title": "Updated Document", "content": "Hello, Updated!"}
    )
    updated = await langgraph_memory.aget(namespace, "doc1")
    assert updated is not None
    assert updated.value == {"title": "Updated Document", "content": "Hello, Updated!"}
    assert updated.updated_at > item.updated_at
    assert await langgraph_memory.aget(("test", "other_documents"), "doc1") is None

    await langgraph_memory.adelete(namespace, "doc1")
    assert await langgraph_memory.aget(namespace, "doc1") is None


async def test_list_namespaces(langgraph_memory: BaseStore) -> None:
    namespaces = [
        ("test", "documents", "public"),
        ("test", "documents", "private"),
        ("test", "images", "public"),
        ("test", "images", "private"),
        ("prod", "documents", "public"),
        ("prod", "documents", "private"),
    ]
    for namespace in namespaces:
        await langgraph_memory.aput(namespace, "dummy", {"content": "dummy"})
    assert len(await langgraph_memory.alist_namespaces()) == len(namespaces)
    under_test = await langgraph_memory.alist_namespaces(prefix=("test",))
    assert len(under_test) == 4
    assert all(ns[0] == "test" for ns in under_test)
    public = await langgraph_memory.alist_namespaces(suffix=("public",))
    assert len(public) == 3
    assert all(ns[-1] == "public" for ns in public)
    assert all(len(ns) <= 2 for ns in await langgraph_memory.alist_namespaces(max_depth=2))
    assert len(await langgraph_memory.alist_namespaces(limit=3)) == 3


async def test_list_namespaces_max_depth_as_base_store_documents_it(
    langgraph_memory: BaseStore,
) -> None:
    for namespace in [
        ("a", "b", "c"),
        ("a", "b", "d", "e"),
        ("a", "b", "d", "i"),
        ("a", "b", "f"),
        ("a", "c", "f"),
    ]:
        await langgraph_memory.aput(namespace, "k", {"v": 1})
    assert await langgraph_memory.alist_namespaces(prefix=("a", "b"), max_depth=3) == [
        ("a", "b", "c"),
        ("a", "b", "d"),
        ("a", "b", "f"),
    ]


async def test_search_namespace_segment_boundary(langgraph_memory: BaseStore) -> None:
    for namespace in [
        ("foo",),
        ("foo", "child"),
        ("foo", "child", "deep"),
        ("foobar",),
        ("foobar", "baz"),
        ("foo2",),
    ]:
        await langgraph_memory.aput(namespace, "k", {"v": 1})

    async def found(prefix: tuple[str, ...]) -> set[tuple[str, ...]]:
        return {item.namespace for item in await langgraph_memory.asearch(prefix, limit=100)}

    assert await found(("foo",)) == {("foo",), ("foo", "child"), ("foo", "child", "deep")}
    assert await found(("foobar",)) == {("foobar",), ("foobar", "baz")}


async def test_search_namespace_like_metacharacters(langgraph_memory: BaseStore) -> None:
    for namespace in [("user_1",), ("user_1", "child"), ("userX1",), ("a%b",), ("axxb",)]:
        await langgraph_memory.aput(namespace, "k", {"v": 1})

    async def found(prefix: tuple[str, ...]) -> set[tuple[str, ...]]:
        return {item.namespace for item in await langgraph_memory.asearch(prefix, limit=100)}

    assert await found(("user_1",)) == {("user_1",), ("user_1", "child")}
    assert await found(("a%b",)) == {("a%b",)}


async def test_list_namespaces_segment_boundary(langgraph_memory: BaseStore) -> None:
    for namespace in [
        ("foo",),
        ("foo", "child"),
        ("foobar",),
        ("foobar", "baz"),
        ("uid", "users", "alice"),
        ("uid", "users", "malice"),
        ("uid", "a", "b", "alice"),
    ]:
        await langgraph_memory.aput(namespace, "k", {"v": 1})
    assert set(await langgraph_memory.alist_namespaces(prefix=("foo",), limit=100)) == {
        ("foo",),
        ("foo", "child"),
    }
    assert set(await langgraph_memory.alist_namespaces(suffix=("alice",), limit=100)) == {
        ("uid", "users", "alice"),
        ("uid", "a", "b", "alice"),
    }
    assert set(
        await langgraph_memory.alist_namespaces(prefix=("uid", "*", "alice"), limit=100)
    ) == {
        ("uid", "users", "alice"),
    }
    assert set(await langgraph_memory.alist_namespaces(prefix=("uid",), limit=100)) == {
        ("uid", "users", "alice"),
        ("uid", "users", "malice"),
        ("uid", "a", "b", "alice"),
    }


async def test_search(langgraph_memory: BaseStore) -> None:
    data = [
        (
            ("test", "docs"),
            "doc1",
            {"title": "First Doc", "author": "Alice", "tags": ["important"]},
        ),
        (("test", "docs"), "doc2", {"title": "Second Doc", "author": "Bob", "tags": ["draft"]}),
        (("test", "images"), "img1", {"title": "Image 1", "author": "Alice", "tags": ["final"]}),
    ]
    for namespace, key, value in data:
        await langgraph_memory.aput(namespace, key, value)
    assert len(await langgraph_memory.asearch(("test",))) == 3
    docs = await langgraph_memory.asearch(("test", "docs"))
    assert len(docs) == 2
    assert all(item.namespace == ("test", "docs") for item in docs)
    alice = await langgraph_memory.asearch(("test",), filter={"author": "Alice"})
    assert len(alice) == 2
    assert all(item.value["author"] == "Alice" for item in alice)
    assert len(await langgraph_memory.asearch(("test",), limit=2)) == 2
    assert len(await langgraph_memory.asearch(("test",), offset=2)) == 1
    assert all(item.score is None for item in await langgraph_memory.asearch(("test",)))


async def test_search_filters_as_search_op_documents_them(langgraph_memory: BaseStore) -> None:
    await langgraph_memory.aput(("p",), "cheap", {"score": 4.5, "color": "red"})
    await langgraph_memory.aput(("p",), "dear", {"score": 5.5, "color": "red"})
    await langgraph_memory.aput(("p",), "low", {"score": 2.0, "color": "red"})
    await langgraph_memory.aput(("p",), "blue", {"score": 3.5, "color": "blue"})

    async def keys(filter: dict[str, object]) -> set[str]:
        return {item.key for item in await langgraph_memory.asearch(("p",), filter=filter)}

    assert await keys({"color": "red"}) == {"cheap", "dear", "low"}
    assert await keys({"score": {"$gt": 4.99}}) == {"dear"}
    assert await keys({"score": {"$gte": 3.0}, "color": "red"}) == {"cheap", "dear"}


async def test_namespace_labels_with_trailing_newline(langgraph_memory: BaseStore) -> None:
    await langgraph_memory.aput(("users", "alice"), "k", {"v": 1})
    await langgraph_memory.aput(("users", "alice\n"), "k", {"v": 2})
    assert set(await langgraph_memory.alist_namespaces(suffix=("alice",), limit=100)) == {
        ("users", "alice")
    }
    assert set(await langgraph_memory.alist_namespaces(prefix=("users", "alice"), limit=100)) == {
        ("users", "alice")
    }


@pytest.mark.parametrize("namespace", [("foo.bar",), ("foo", ""), ("foo", 1)])
async def test_methods_reject_invalid_namespace_labels(
    langgraph_memory: BaseStore, namespace: tuple[Any, ...]
) -> None:
    await langgraph_memory.aput(("foo", "bar"), "key", {"original": True})
    calls = [
        lambda: langgraph_memory.aget(namespace, "key"),
        lambda: langgraph_memory.aput(namespace, "key", {"changed": True}),
        lambda: langgraph_memory.adelete(namespace, "key"),
        lambda: langgraph_memory.asearch(namespace),
        lambda: langgraph_memory.alist_namespaces(prefix=namespace),
        lambda: langgraph_memory.alist_namespaces(suffix=namespace),
    ]
    for call in calls:
        with pytest.raises(InvalidNamespaceError):
            await call()
    item = await langgraph_memory.aget(("foo", "bar"), "key")
    assert item is not None
    assert item.value == {"original": True}


@pytest.mark.parametrize("namespace", [(), ("langgraph", "x")])
async def test_put_refuses_an_empty_or_reserved_namespace(
    langgraph_memory: BaseStore, namespace: tuple[Any, ...]
) -> None:
    with pytest.raises(InvalidNamespaceError):
        await langgraph_memory.aput(namespace, "key", {"v": 1})


async def test_batch_allows_empty_search_prefix_and_listing_wildcards(
    langgraph_memory: BaseStore,
) -> None:
    await langgraph_memory.aput(("foo", "bar"), "key", {"v": 1})
    found, listed = await langgraph_memory.abatch(
        [SearchOp(()), ListNamespacesOp((MatchCondition("prefix", ("foo", "*")),))]
    )
    assert [item.namespace for item in _found(found)] == [("foo", "bar")]
    assert listed == [("foo", "bar")]


async def test_reads_of_a_batch_see_the_store_before_its_puts(langgraph_memory: BaseStore) -> None:
    await langgraph_memory.aput(("a",), "k", {"v": "old"})
    got, _, found, _ = await langgraph_memory.abatch(
        [
            GetOp(("a",), "k"),
            PutOp(("a",), "k", {"v": "new"}),
            SearchOp(("a",)),
            PutOp(("a",), "fresh", {"v": 1}),
        ]
    )
    assert isinstance(got, Item)
    assert got.value == {"v": "old"}
    assert [i.value for i in _found(found)] == [{"v": "old"}]
    item = await langgraph_memory.aget(("a",), "k")
    assert item is not None
    assert item.value == {"v": "new"}


async def test_the_last_op_on_a_key_in_a_batch_wins(langgraph_memory: BaseStore) -> None:
    await langgraph_memory.abatch(
        [
            PutOp(("a",), "gone", {"v": 1}),
            PutOp(("a",), "kept", {"v": 1}),
            PutOp(("a",), "gone", None),
            PutOp(("a",), "kept", {"v": 2}),
        ]
    )
    assert await langgraph_memory.aget(("a",), "gone") is None
    kept = await langgraph_memory.aget(("a",), "kept")
    assert kept is not None
    assert kept.value == {"v": 2}
