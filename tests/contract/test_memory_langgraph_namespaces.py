"""Namespaces: LangGraph's listing rules (prefix, suffix, ``"*"``, max_depth, paging) with
labels that are SQL or encoding metacharacters, on every backend and on ``InMemoryStore``.

A namespace is stored as one string (``locus_store.memory.namespaces``): these labels
must neither leak into another namespace nor fail to find their own.
"""

from __future__ import annotations

from typing import Literal, cast

import pytest
from langgraph.store.base import BaseStore, ListNamespacesOp, MatchCondition

from locus_store import InvalidInputError, Store
from locus_store.memory.langgraph_store import SQLAlchemyStore

#: Labels that mean something to LIKE, GLOB, the encoding, SQL quoting or regexes.
HOSTILE = [
    "100%",
    "a_b",
    "*",
    "it's",
    'say "hi"',
    "a/b",
    "%2F",
    "back\\slash",
    "[x]",
    "?",
    "ünïcødé",
    "tab\there",
    "line\nbreak",
    "!",
]


async def _fill(lg: BaseStore) -> list[tuple[str, ...]]:
    namespaces = [
        *((label,) for label in HOSTILE),
        *(("root", label) for label in HOSTILE),
        *(("root", label, "leaf") for label in HOSTILE),
        ("root", "plain"),
        ("rootx",),
        ("a_bc",),
        ("100%x",),
    ]
    for namespace in namespaces:
        await lg.aput(namespace, "k", {"ns": list(namespace)})
    return namespaces


async def test_hostile_labels_find_exactly_their_own_items(langgraph_memory: BaseStore) -> None:
    await _fill(langgraph_memory)
    for label in HOSTILE:
        item = await langgraph_memory.aget(("root", label), "k")
        assert item is not None
        assert item.value == {"ns": ["root", label]}
        under = {i.namespace for i in await langgraph_memory.asearch(("root", label), limit=100)}
        assert under == {("root", label), ("root", label, "leaf")}, label
        alone = {i.namespace for i in await langgraph_memory.asearch((label,), limit=100)}
        assert alone == {(label,)}, label


async def test_listing_with_hostile_labels_as_prefix_and_suffix(
    langgraph_memory: BaseStore,
) -> None:
    namespaces = await _fill(langgraph_memory)
    for label in HOSTILE:
        if label == "*":
            continue  # a wildcard in a listing pattern, below
        assert await langgraph_memory.alist_namespaces(prefix=(label,)) == [(label,)], label
        assert await langgraph_memory.alist_namespaces(prefix=("root", label)) == sorted(
            [("root", label), ("root", label, "leaf")]
        ), label
        assert sorted(await langgraph_memory.alist_namespaces(suffix=(label,))) == sorted(
            [(label,), ("root", label)]
        ), label
        assert await langgraph_memory.alist_namespaces(
            prefix=("root",), suffix=(label, "leaf")
        ) == [("root", label, "leaf")], label
    assert await langgraph_memory.alist_namespaces(limit=1000) == sorted(namespaces)


async def test_a_star_in_a_listing_pattern_is_any_one_label(langgraph_memory: BaseStore) -> None:
    namespaces = await _fill(langgraph_memory)
    depth_two = sorted(ns for ns in namespaces if len(ns) >= 2 and ns[0] == "root")
    assert await langgraph_memory.alist_namespaces(prefix=("root", "*"), limit=1000) == depth_two
    leaves = sorted(ns for ns in namespaces if len(ns) == 3)
    assert await langgraph_memory.alist_namespaces(prefix=("*", "*", "leaf"), limit=1000) == leaves
    assert await langgraph_memory.alist_namespaces(suffix=("*", "leaf"), limit=1000) == leaves
    # "*" also names itself: the namespace ("*",) is one of those any label matches.
    assert ("*",) in await langgraph_memory.alist_namespaces(prefix=("*",), limit=1000)


async def test_max_depth_truncates_and_deduplicates(langgraph_memory: BaseStore) -> None:
    await _fill(langgraph_memory)
    assert await langgraph_memory.alist_namespaces(prefix=("root",), max_depth=1) == [("root",)]
    two = await langgraph_memory.alist_namespaces(prefix=("root",), max_depth=2, limit=1000)
    assert two == sorted({("root", label) for label in [*HOSTILE, "plain"]})
    shallow = await langgraph_memory.alist_namespaces(max_depth=1, limit=1000)
    assert shallow == sorted({(label,) for label in [*HOSTILE, "root", "rootx", "a_bc", "100%x"]})


async def test_listing_pages_with_limit_and_offset(langgraph_memory: BaseStore) -> None:
    namespaces = sorted(await _fill(langgraph_memory))
    pages = [await langgraph_memory.alist_namespaces(limit=7, offset=o) for o in range(0, 70, 7)]
    assert [ns for page in pages for ns in page] == namespaces


async def test_raw_ops_may_hold_several_conditions_of_one_kind(store: Store) -> None:
    lg = store.langgraph_store()
    for namespace in [("a", "x", "c"), ("a", "y", "c"), ("b", "x", "c"), ("a", "x", "d")]:
        await lg.aput(namespace, "k", {"v": 1})

    async def listed(*conditions: MatchCondition) -> list[tuple[str, ...]]:
        (result,) = await lg.abatch([ListNamespacesOp(match_conditions=conditions)])
        assert isinstance(result, list)
        return cast("list[tuple[str, ...]]", result)

    prefix: Literal["prefix"] = "prefix"
    suffix: Literal["suffix"] = "suffix"
    assert await listed(MatchCondition(prefix, ("a",)), MatchCondition(prefix, ("*", "x"))) == [
        ("a", "x", "c"),
        ("a", "x", "d"),
    ]
    assert await listed(MatchCondition(suffix, ("c",)), MatchCondition(suffix, ("x", "*"))) == [
        ("a", "x", "c"),
        ("b", "x", "c"),
    ]
    assert await listed(MatchCondition(prefix, ("a",)), MatchCondition(prefix, ("b",))) == []
    assert await listed(MatchCondition(prefix, ()), MatchCondition(suffix, ())) == sorted(
        [("a", "x", "c"), ("a", "y", "c"), ("b", "x", "c"), ("a", "x", "d")]
    )
    with pytest.raises(InvalidInputError, match="match_type"):
        await listed(MatchCondition("middle", ("a",)))  # type: ignore[arg-type]


async def test_max_depth_must_be_positive(store: Store) -> None:
    lg = store.langgraph_store()
    assert isinstance(lg, SQLAlchemyStore)
    with pytest.raises(InvalidInputError, match="max_depth"):
        await lg.alist_namespaces(max_depth=0)
