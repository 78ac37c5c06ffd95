"""Metadata filters on Oracle against a model of its SQL: an empty string is NULL there.

The store's statements run on the fake driver; :mod:`tests.support.oracle.oracle_sql` answers
the metadata query from the metadata the store saved, comparing values as the server
does (a ``''`` bind or a zero-length ``JSON_VALUE`` result is NULL, and ``= NULL`` is
never true).
"""

from __future__ import annotations

from typing import Any

import pytest
from locus.core.state import AgentState

from locus_store import Store
from tests.support.oracle.fake_driver import FakeDriver
from tests.support.oracle.oracle_sql import json_value, metadata_query


@pytest.fixture
def store(oracle_store: tuple[Store, FakeDriver]) -> Store:
    st, driver = oracle_store
    driver.server_rules.append(metadata_query(st.schema))
    return st


async def _save(store: Store, thread_id: str, metadata: dict[str, Any]) -> None:
    await store.latest().save(AgentState(agent_id="agent"), thread_id, metadata=metadata)


async def _matching(store: Store, key: str, value: Any) -> list[str]:
    return [r["thread_id"] for r in await store.latest().query_by_metadata(key, value)]


def test_json_value_of_an_empty_string_is_null_as_sql_sees_it() -> None:
    assert json_value({"k": ""}, '$."k".stringOnly()', None) is None
    assert json_value({"k": "x"}, '$."k".stringOnly()', None) == "x"
    assert json_value({"k": ""}, '$."k".type()', None) == "string"
    assert json_value({"k": [""]}, '$."k".type()', None) == "array"


async def test_a_filter_on_an_empty_string_finds_the_thread_holding_it(store: Store) -> None:
    await _save(store, "empty", {"k": ""})
    await _save(store, "text", {"k": "x"})
    await _save(store, "missing", {"other": ""})
    assert await _matching(store, "k", "") == ["empty"]


async def test_a_filter_on_an_empty_string_matches_no_other_json_type(store: Store) -> None:
    for thread_id, value in {"null": None, "zero": 0, "false": False, "array": [""]}.items():
        await _save(store, thread_id, {"k": value})
    await _save(store, "empty", {"k": ""})
    assert await _matching(store, "k", "") == ["empty"]


async def test_a_nested_filter_on_an_empty_string_finds_the_thread(store: Store) -> None:
    await _save(store, "nested", {"a": {"b": ""}})
    await _save(store, "other", {"a": {"b": "c"}})
    assert await _matching(store, "a", {"b": ""}) == ["nested"]


async def test_other_string_filters_still_match_exactly(store: Store) -> None:
    await _save(store, "review", {"source": "review"})
    await _save(store, "empty", {"source": ""})
    assert await _matching(store, "source", "review") == ["review"]


@pytest.mark.parametrize(("scalar", "in_array"), [("review", ["review"]), (3, [3]), (True, [True])])
async def test_a_scalar_filter_never_matches_a_one_element_array(
    store: Store, scalar: object, in_array: list[object]
) -> None:
    """Lax mode lets ``stringOnly()`` (and its siblings) read into an array on Oracle."""
    await _save(store, "scalar", {"k": scalar})
    await _save(store, "array", {"k": in_array})
    assert await _matching(store, "k", scalar) == ["scalar"]
