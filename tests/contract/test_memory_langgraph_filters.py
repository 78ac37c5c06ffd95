"""``search(filter=...)``: every operator and nested keys, in SQL, on every backend.

The first table of cases holds where LangGraph's ``InMemoryStore`` (its reference for
filter semantics) agrees, and runs there too. The second holds what this store
defines on its own, because ``InMemoryStore`` compares with Python's loose rules
(``1 == True``, ``float("7") > 6``, a dotted key is one key) and ``PostgresStore``
compares ``$gt`` as text (``"10" < "9"``): here JSON types never mix, numbers compare
by value, strings by code point, and ``"b.c"`` is the nested field ``c`` of ``b``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from langgraph.store.base import BaseStore

from locus_store import InvalidInputError, InvalidTypeError, Store
from tests.support.backends import BACKENDS, Target
from tests.support.database import empty_tables, statements_sent
from tests.support.oracle.fake_driver import FakeDriver
from tests.support.oracle.langgraph_model import ORACLE_MODEL, on_oracle_model

#: Every item has a number ``n``, so that InMemoryStore's ``float()`` can compare them all.
SHARED_DOCS: dict[str, dict[str, Any]] = {
    "five": {"n": 5, "s": "m", "nest": {"c": 1, "d": {"e": "deep"}}, "tags": ["a", "b"]},
    "ten": {"n": 10, "s": "b", "nest": {"c": 2}, "tags": ["a"]},
    "seven-half": {"n": 7.5, "s": None, "nest": {"c": 1}},
    "minus": {"n": -3, "nest": "not an object"},
}

SHARED_CASES: list[tuple[dict[str, Any], set[str]]] = [
    ({"s": "m"}, {"five"}),
    ({"n": 5}, {"five"}),
    ({"n": {"$eq": 10}}, {"ten"}),
    ({"n": {"$ne": 5}}, {"ten", "seven-half", "minus"}),
    ({"s": {"$ne": "m"}}, {"ten", "seven-half", "minus"}),  # null and missing are "not m"
    ({"n": {"$gt": 5}}, {"ten", "seven-half"}),
    ({"n": {"$gte": 5}}, {"five", "ten", "seven-half"}),
    ({"n": {"$lt": 5}}, {"minus"}),
    ({"n": {"$lte": 7.5}}, {"five", "seven-half", "minus"}),
    ({"n": {"$gt": 4.99, "$lt": 10}}, {"five", "seven-half"}),
    ({"n": {"$gte": -3.5}, "s": "b"}, {"ten"}),
    ({"s": None}, {"seven-half", "minus"}),  # null or missing
    ({"nest": {"c": 1}}, {"five", "seven-half"}),
    ({"nest": {"d": {"e": "deep"}}}, {"five"}),
    ({"nest": {"c": {"$gt": 1}}}, {"ten"}),
    ({"nest": {}}, {"five", "ten", "seven-half"}),  # any object
    ({"tags": ["a", "b"]}, {"five"}),
    ({"tags": ["b", "a"]}, set()),
    ({"nest": {"$eq": {"c": 2}}}, {"ten"}),
    ({"s": "no such value"}, set()),
]

#: Values of every JSON type under the same field names.
TYPED_DOCS: dict[str, dict[str, Any]] = {
    "int": {"n": 1, "s": "Zebra", "nest": {"c": 1}},
    "float": {"n": 6.5, "s": "apple"},
    "big": {"n": 9_007_199_254_740_993, "s": "é"},
    "numeric-string": {"n": "7", "s": ""},
    "true": {"n": True, "s": "m"},
    "null": {"n": None, "s": None},
    "array": {"n": [7], "s": ["m"]},
    "object": {"n": {"v": 7}, "s": {"m": 1}},
    "missing": {"other": "x"},
}

TYPED_CASES: list[tuple[dict[str, Any], set[str]]] = [
    ({"n": 1}, {"int"}),  # not true
    ({"n": True}, {"true"}),  # not 1
    ({"n": "7"}, {"numeric-string"}),
    ({"n": 9_007_199_254_740_993}, {"big"}),
    ({"n": [7]}, {"array"}),
    ({"n": {"$gt": 6}}, {"float", "big"}),  # not "7", not [7], not {"v": 7}
    ({"n": {"$lte": 1}}, {"int"}),  # not true
    ({"n": {"$ne": None}}, {"int", "float", "big", "numeric-string", "true", "array", "object"}),
    ({"n": {"$ne": 1}}, set(TYPED_DOCS) - {"int"}),
    ({"n": {"$eq": None}}, {"null", "missing"}),
    ({"nest.c": 1}, {"int"}),
    ({"nest.c": {"$gte": 1}}, {"int"}),
    ({"n.v": 7}, {"object"}),
    # Strings compare by code point: "Z" < "a" < "m" < "é", and "" before every other.
    ({"s": {"$gt": "b"}}, {"true", "big"}),
    ({"s": {"$lt": "apple"}}, {"int", "numeric-string"}),
    ({"s": {"$lte": "apple"}}, {"int", "numeric-string", "float"}),
    ({"s": {"$gte": "m"}}, {"true", "big"}),
    ({"s": {"$gt": ""}}, {"int", "float", "big", "true"}),
    ({"s": {"$gte": ""}}, {"int", "float", "big", "true", "numeric-string"}),
    ({"s": {"$lt": ""}}, set()),
    ({"s": {"$lte": ""}}, {"numeric-string"}),
    ({"s": ""}, {"numeric-string"}),
    ({"s": {"$ne": ""}}, set(TYPED_DOCS) - {"numeric-string"}),
    ({"s": "m"}, {"true"}),  # not ["m"]
]


@pytest.fixture(params=[*BACKENDS, ORACLE_MODEL])
async def ours(
    request: pytest.FixtureRequest,
    migrated: dict[str, tuple[Target, str]],
    oracle_store: tuple[Store, FakeDriver],
) -> AsyncIterator[BaseStore]:
    """This store on each backend (emptied) and on the Oracle model."""
    if request.param == ORACLE_MODEL:
        yield on_oracle_model(oracle_store)
        return
    target, prefix = migrated[str(request.param)]
    store = Store.from_settings(target.settings, table_prefix=prefix)
    await empty_tables(store)
    try:
        yield store.langgraph_store()
    finally:
        await store.close()


async def _check(lg: BaseStore, cases: list[tuple[dict[str, Any], set[str]]]) -> None:
    """Every case finds what it expects; on the Oracle model, the cases whose SQL the
    model does not evaluate yet are listed in one xfail after all the others ran."""
    unevaluated = []
    for filter, expected in cases:
        try:
            found = await _keys(lg, filter)
        except pytest.xfail.Exception:
            unevaluated.append(filter)
            continue
        assert found == expected, filter
    if unevaluated:
        pytest.xfail(f"the Oracle model evaluates no JSON_EQUAL or CASE yet: {unevaluated}")


async def _put_all(lg: BaseStore, docs: dict[str, dict[str, Any]]) -> None:
    for key, value in docs.items():
        await lg.aput(("docs", key[:1]), key, value)


async def _keys(lg: BaseStore, filter: dict[str, Any]) -> set[str]:
    return {item.key for item in await lg.asearch(("docs",), filter=filter, limit=100)}


async def test_filters_as_langgraph_in_memory_store_defines_them(
    langgraph_memory: BaseStore,
) -> None:
    await _put_all(langgraph_memory, SHARED_DOCS)
    await _check(langgraph_memory, SHARED_CASES)


async def test_filters_keep_json_types_apart_and_compare_strings_by_code_point(
    ours: BaseStore,
) -> None:
    await _put_all(ours, TYPED_DOCS)
    await _check(ours, TYPED_CASES)


async def test_a_filter_runs_in_sql_before_limit_and_offset(store: Store) -> None:
    lg = store.langgraph_store()
    for i in range(30):
        await lg.aput(("docs",), f"k{i:02}", {"i": i, "even": i % 2 == 0})
    with statements_sent(store) as sent:
        page = await lg.asearch(("docs",), filter={"i": {"$lt": 4}, "even": True}, limit=1)
        second = await lg.asearch(("docs",), filter={"even": False}, limit=2, offset=14)
    assert [i.key for i in page] == ["k02"]  # newest first among the matches
    assert [i.key for i in second] == ["k01"]
    assert len(sent.statements) == 2


async def test_filter_values_are_bound_never_written_into_sql(store: Store) -> None:
    lg = store.langgraph_store()
    hostile = ["it's", "'; DROP TABLE x; --", "%_*", 'say "hi"', "back\\slash", "\u2028", "𝄞"]
    for i, text in enumerate(hostile):
        await lg.aput(("docs",), f"k{i}", {"t": text})
    with statements_sent(store) as sent:
        for i, text in enumerate(hostile):
            assert await _keys(lg, {"t": text}) == {f"k{i}"}
            assert f"k{i}" in await _keys(lg, {"t": {"$gte": text}})
            assert f"k{i}" not in await _keys(lg, {"t": {"$ne": text}})
    assert not any(text in sql for text in hostile[1:] for sql in sent.statements)


@pytest.mark.parametrize(
    ("filter", "error", "message"),
    [
        ({"n": {"$in": [1, 2]}}, InvalidInputError, "unsupported operator"),
        ({"n": {"$gt": 1, "m": 2}}, InvalidInputError, "unsupported operator"),
        ({"$gt": 1}, InvalidInputError, "must follow a field"),
        ({"a b": 1}, InvalidInputError, "not queryable"),
        ({"a..b": 1}, InvalidInputError, "not queryable"),
        ({"a'": 1}, InvalidInputError, "not queryable"),
        ({"n": {"$gt": True}}, InvalidInputError, "numbers or strings"),
        ({"n": {"$lt": None}}, InvalidInputError, "numbers or strings"),
        ({"n": {"$gte": [1]}}, InvalidInputError, "numbers or strings"),
        ({"n": {"$gt": float("inf")}}, InvalidInputError, "finite"),
        ({"n": float("nan")}, InvalidInputError, "not valid JSON"),
        ({"n": 2**64}, InvalidInputError, "64 bits"),
        ({1: 1}, InvalidTypeError, "strings"),
        (["n", 1], InvalidTypeError, "mapping"),
    ],
)
async def test_bad_filters_are_refused_before_any_sql(
    store: Store, filter: Any, error: type[Exception], message: str
) -> None:
    lg = store.langgraph_store()
    with statements_sent(store) as sent, pytest.raises(error, match=message):
        await lg.asearch(("docs",), filter=filter)
    assert sent.statements == []
