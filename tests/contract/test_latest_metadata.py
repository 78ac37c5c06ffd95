"""Metadata of the single-row checkpointer: records, typed queries in SQL, validated keys."""

from __future__ import annotations

from typing import Any

import pytest
from locus.core.messages import Message
from locus.core.state import AgentState

from locus_store import InvalidInputError, InvalidTypeError, Store


def state(text: str = "hi") -> AgentState:
    return AgentState(agent_id="agent").with_message(Message.user(text))


async def matching(store: Store, key: str, value: Any) -> list[str]:
    return sorted(r["thread_id"] for r in await store.latest().query_by_metadata(key, value))


async def test_get_metadata_returns_the_threads_record(store: Store) -> None:
    cp = store.latest()
    await cp.save(state(), "t1", checkpoint_id="c-1", metadata={"source": "web", "n": 2})
    record = await cp.get_metadata("t1")
    assert record is not None
    assert record["thread_id"] == "t1"
    assert record["checkpoint_id"] == "c-1"
    assert record["metadata"] == {"source": "web", "n": 2}
    assert record["created_at"] <= record["updated_at"]
    assert record["expires_at"] is None


async def test_get_metadata_of_a_thread_saved_without_metadata_is_an_empty_dict(
    store: Store,
) -> None:
    await store.latest().save(state(), "t1")
    record = await store.latest().get_metadata("t1")
    assert record is not None
    assert record["metadata"] == {}


async def test_get_metadata_of_an_unknown_thread_is_none(store: Store) -> None:
    assert await store.latest().get_metadata("nobody") is None


async def test_get_metadata_with_a_checkpoint_id_answers_for_the_current_one_only(
    store: Store,
) -> None:
    cp = store.latest()
    await cp.save(state(), "t1", checkpoint_id="c-1", metadata={"v": 1})
    await cp.save(state(), "t1", checkpoint_id="c-2", metadata={"v": 2})
    assert await cp.get_metadata("t1", "c-1") is None
    current = await cp.get_metadata("t1", "c-2")
    assert current is not None
    assert current["metadata"] == {"v": 2}


async def test_each_save_replaces_the_metadata(store: Store) -> None:
    cp = store.latest()
    await cp.save(state(), "t1", metadata={"stage": "draft"})
    await cp.save(state(), "t1")
    assert await matching(store, "stage", "draft") == []


async def test_metadata_is_stored_with_its_json_types(store: Store) -> None:
    metadata = {"s": "x", "i": 7, "f": 0.25, "b": False, "none": None, "list": [1, "a"]}
    await store.latest().save(state(), "t1", metadata={**metadata, "nested": {"k": "v"}})
    record = await store.latest().get_metadata("t1")
    assert record is not None
    assert record["metadata"] == {**metadata, "nested": {"k": "v"}}


async def test_query_by_metadata_matches_a_string(store: Store) -> None:
    cp = store.latest()
    await cp.save(state(), "web", metadata={"source": "web"})
    await cp.save(state(), "cli", metadata={"source": "cli"})
    await cp.save(state(), "none")
    assert await matching(store, "source", "web") == ["web"]


async def test_query_by_metadata_matches_an_integer(store: Store) -> None:
    cp = store.latest()
    await cp.save(state(), "one", metadata={"user": 1})
    await cp.save(state(), "two", metadata={"user": 2})
    assert await matching(store, "user", 1) == ["one"]


async def test_query_by_metadata_matches_a_boolean(store: Store) -> None:
    cp = store.latest()
    await cp.save(state(), "yes", metadata={"flag": True})
    await cp.save(state(), "no", metadata={"flag": False})
    assert await matching(store, "flag", True) == ["yes"]
    assert await matching(store, "flag", False) == ["no"]


async def test_query_by_metadata_compares_json_types_not_text(store: Store) -> None:
    cp = store.latest()
    await cp.save(state(), "int", metadata={"v": 1})
    await cp.save(state(), "str", metadata={"v": "1"})
    await cp.save(state(), "bool", metadata={"v": True})
    assert await matching(store, "v", 1) == ["int"]
    assert await matching(store, "v", "1") == ["str"]
    assert await matching(store, "v", True) == ["bool"]


async def test_query_by_metadata_ignores_rows_where_the_key_holds_another_type(
    store: Store,
) -> None:
    cp = store.latest()
    await cp.save(state(), "text", metadata={"n": "not a number"})
    await cp.save(state(), "list", metadata={"n": [1, 2]})
    await cp.save(state(), "number", metadata={"n": 5})
    assert await matching(store, "n", 5) == ["number"]


async def test_query_by_metadata_returns_records_newest_first(store: Store) -> None:
    cp = store.latest()
    for thread_id in ("a", "b", "c"):
        await cp.save(state(), thread_id, metadata={"team": "blue"})
    records = await cp.query_by_metadata("team", "blue", limit=2)
    assert [r["thread_id"] for r in records] == ["c", "b"]
    assert records[0]["metadata"] == {"team": "blue"}


@pytest.mark.parametrize("key", ["", "a.b", "$", "a'b", "a b", "k[0]", 'x"', "x" * 129])
async def test_query_by_metadata_refuses_keys_that_are_not_plain_names(
    store: Store, key: str
) -> None:
    with pytest.raises(InvalidInputError, match="metadata key"):
        await store.latest().query_by_metadata(key, "v")


async def test_query_by_metadata_refuses_a_key_that_is_not_text(store: Store) -> None:
    with pytest.raises(InvalidTypeError, match="metadata key"):
        await store.latest().query_by_metadata(1, "v")  # type: ignore[arg-type]


async def test_query_by_metadata_refuses_a_value_that_is_not_json(store: Store) -> None:
    with pytest.raises(InvalidTypeError, match="value"):
        await store.latest().query_by_metadata("k", object())


async def test_list_with_metadata_lists_every_thread_newest_first(store: Store) -> None:
    cp = store.latest()
    await cp.save(state(), "a", checkpoint_id="ca", metadata={"n": 1})
    await cp.save(state(), "b", checkpoint_id="cb")
    records = await cp.list_with_metadata()
    assert [(r["thread_id"], r["checkpoint_id"], r["metadata"]) for r in records] == [
        ("b", "cb", {}),
        ("a", "ca", {"n": 1}),
    ]


async def test_list_with_metadata_honours_its_limit(store: Store) -> None:
    cp = store.latest()
    for thread_id in ("a", "b", "c"):
        await cp.save(state(), thread_id)
    assert len(await cp.list_with_metadata(limit=2)) == 2
