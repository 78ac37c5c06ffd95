"""``store.langgraph_store()`` beyond LangGraph's own tests: checks, sync forms, graphs, races.

LangGraph's ported cases are in ``test_memory_langgraph_conformance.py``; filters,
namespaces, TTL and vectors have files of their own.
"""

from __future__ import annotations

import asyncio
import operator
import uuid
from typing import Annotated, Any, TypedDict

import pytest
import sqlalchemy as sa
from langgraph.graph import END, START, StateGraph
from langgraph.store.base import BaseStore, GetOp, ListNamespacesOp, PutOp, SearchOp
from langgraph.store.base import InvalidNamespaceError as LangGraphNamespaceError
from sqlalchemy.ext.asyncio import AsyncConnection

from locus_store import InvalidInputError, InvalidNamespaceError, InvalidTypeError, Store
from locus_store.memory.langgraph_store import SQLAlchemyStore
from tests.support.database import statements_sent


async def _rows(store: Store) -> list[tuple[str, str]]:
    items = store.schema.memory_items
    query = sa.select(items.c.namespace, items.c.key).order_by(items.c.namespace, items.c.key)

    async def work(conn: AsyncConnection) -> list[tuple[str, str]]:
        return [(r.namespace, r.key) for r in (await conn.execute(query)).all()]

    return await store.run(work)


async def test_langgraph_store_is_a_base_store_with_ttl(store: Store) -> None:
    lg = store.langgraph_store()
    assert isinstance(lg, SQLAlchemyStore)
    assert isinstance(lg, BaseStore)
    assert lg.supports_ttl is True
    assert lg.index_config is None
    assert lg.embeddings is None


@pytest.mark.parametrize(
    "op",
    [
        GetOp(("foo.bar",), "key"),
        PutOp(("foo", ""), "key", {"v": 1}),
        PutOp(("foo", "bar\x00"), "key", None),
        SearchOp(("foo", 1)),  # type: ignore[arg-type]
        ListNamespacesOp(match_conditions=()),
        PutOp((), "key", {"v": 1}),
        GetOp(("lone\ud800",), "key"),
    ],
    ids=["dot", "empty-label", "nul", "not-a-string", "fine", "empty", "surrogate"],
)
async def test_a_bad_namespace_refuses_the_whole_batch_before_any_sql(
    store: Store, op: Any
) -> None:
    lg = store.langgraph_store()
    batch = [PutOp(("valid",), "key", {"v": 1}), op]
    if isinstance(op, ListNamespacesOp):  # the control: a good batch runs
        await lg.abatch(batch)
        assert await lg.aget(("valid",), "key") is not None
        return
    with statements_sent(store) as sent, pytest.raises(InvalidNamespaceError) as caught:
        await lg.abatch(batch)
    assert sent.statements == []
    # One error for both libraries: LangGraph's callers and this package's catch it alike.
    assert isinstance(caught.value, LangGraphNamespaceError)
    assert isinstance(caught.value, InvalidInputError)


@pytest.mark.parametrize(
    ("op", "error"),
    [
        (PutOp(("a",), "k", ["not", "a", "mapping"]), InvalidTypeError),  # type: ignore[arg-type]
        (PutOp(("a",), "k", {"n": float("nan")}), InvalidInputError),
        (PutOp(("a",), 7, {"v": 1}), InvalidTypeError),  # type: ignore[arg-type]
        (PutOp(("a",), "k" * 256, {"v": 1}), InvalidInputError),
        (PutOp(("a",), "k", {"v": 1}, ttl=-1), InvalidInputError),
        (PutOp(("a",), "k", {"v": 1}, index=[1]), InvalidTypeError),  # type: ignore[list-item]
        ("not an op", InvalidTypeError),
    ],
    ids=["list-value", "nan", "int-key", "long-key", "negative-ttl", "index-int", "op"],
)
async def test_bad_ops_are_refused_before_any_sql(
    store: Store, op: Any, error: type[Exception]
) -> None:
    lg = store.langgraph_store()
    with statements_sent(store) as sent, pytest.raises(error):
        await lg.abatch([PutOp(("valid",), "key", {"v": 1}), op])
    assert sent.statements == []


async def test_an_empty_key_is_a_key_as_in_langgraph_stores(store: Store) -> None:
    lg = store.langgraph_store()
    await lg.aput(("a",), "", {"v": "empty"})
    await lg.aput(("a",), "x", {"v": "x"})
    item = await lg.aget(("a",), "")
    assert item is not None
    assert item.key == ""
    assert item.value == {"v": "empty"}
    assert sorted(i.key for i in await lg.asearch(("a",))) == ["", "x"]


async def test_a_query_without_an_index_is_ignored_as_langgraph_stores_do(store: Store) -> None:
    lg = store.langgraph_store()
    await lg.aput(("docs",), "a", {"text": "nothing like the query"})
    found = await lg.asearch(("docs",), query="zebra")
    assert [(i.key, i.score) for i in found] == [("a", None)]


async def test_a_put_keeps_created_at_and_moves_updated_at(store: Store) -> None:
    lg = store.langgraph_store()
    await lg.aput(("a",), "k", {"v": 1})
    first = await lg.aget(("a",), "k")
    await lg.aput(("a",), "k", {"v": 2})
    second = await lg.aget(("a",), "k")
    assert first is not None
    assert second is not None
    assert second.created_at == first.created_at
    assert second.updated_at > first.updated_at
    assert second.created_at.tzinfo is not None


async def test_search_lists_newest_first_as_postgres_store_does(store: Store) -> None:
    lg = store.langgraph_store()
    for key in ["a", "b", "c"]:
        await lg.aput(("n",), key, {"k": key})
    await lg.aput(("n",), "a", {"k": "a2"})
    assert [i.key for i in await lg.asearch(("n",))] == ["a", "c", "b"]
    assert [i.key for i in await lg.asearch(("n",), limit=2, offset=1)] == ["c", "b"]


async def test_deleted_namespaces_leave_the_listing(store: Store) -> None:
    lg = store.langgraph_store()
    await lg.aput(("x", "y"), "k", {"v": 1})
    await lg.adelete(("x", "y"), "k")
    assert await lg.alist_namespaces() == []
    assert await _rows(store) == []


async def test_sync_forms_run_on_their_own_loop(store: Store) -> None:
    lg = store.langgraph_store()
    await lg.aput(("s",), "async", {"v": 0})
    pool = store.engine.sync_engine.pool
    try:

        def sync_calls() -> list[Any]:
            lg.put(("s",), "sync", {"v": 1})
            got = lg.get(("s",), "sync")
            found = lg.search(("s",), filter={"v": {"$gte": 0}})
            listed = lg.list_namespaces(prefix=("s",))
            batch = lg.batch([GetOp(("s",), "async"), PutOp(("s",), "async", None)])
            lg.delete(("s",), "sync")
            return [got, found, listed, batch]

        got, found, listed, batch = await asyncio.to_thread(sync_calls)
        assert got.value == {"v": 1}
        assert sorted(i.key for i in found) == ["async", "sync"]
        assert listed == [("s",)]
        assert batch[0].value == {"v": 0}
        assert batch[1] is None
        assert await lg.aget(("s",), "sync") is None
        assert await lg.aget(("s",), "async") is None
        # From inside the running loop too: the store's loop is another one.
        lg.put(("s",), "loop", {"v": 2})
        assert (await lg.aget(("s",), "loop")) is not None
        assert store.engine.sync_engine.pool is pool  # the async pool is left alone
        results = await asyncio.gather(
            *(asyncio.to_thread(lg.get, ("s",), "loop") for _ in range(8))
        )
        assert all(r is not None and r.value == {"v": 2} for r in results)
        with pytest.raises(LangGraphNamespaceError):
            await asyncio.to_thread(lg.get, ("bad.label",), "k")
    finally:
        await lg.aclose()
    assert lg._background is None


async def test_sync_context_manager_closes_the_private_loop(store: Store) -> None:
    def run() -> SQLAlchemyStore:
        with store.langgraph_store() as lg:
            lg.put(("c",), "k", {"v": 1})
            assert lg.get(("c",), "k") is not None
        return lg

    lg = await asyncio.to_thread(run)
    assert lg._background is None


async def test_a_bound_store_writes_inside_the_callers_transaction(store: Store) -> None:
    async with store.engine.connect() as conn, conn.begin() as tx:
        lg = store.bind(conn).langgraph_store()
        await lg.aput(("tx",), "k", {"v": 1})
        assert await lg.aget(("tx",), "k") is not None
        with pytest.raises(RuntimeError, match="bound store"):
            lg.get(("tx",), "k")
        with pytest.raises(RuntimeError, match="bound store"):
            await lg.start_ttl_sweeper()
        await tx.rollback()
    assert await store.langgraph_store().aget(("tx",), "k") is None


async def test_concurrent_puts_of_one_key_leave_one_whole_item(store: Store) -> None:
    lg = store.langgraph_store()
    values = [{"writer": i, "body": [i] * 200, "note": f"writer {i}"} for i in range(24)]
    await asyncio.gather(*(lg.aput(("race",), "one", v) for v in values[:12]))
    await asyncio.gather(*(asyncio.to_thread(lg.put, ("race",), "one", v) for v in values[12:]))
    item = await lg.aget(("race",), "one")
    assert item is not None
    assert item.value in values
    assert await _rows(store) == [("race", "one")]
    await lg.aclose()


async def test_many_callers_from_threads_and_tasks_at_once(store: Store) -> None:
    """LangGraph's ``test_large_batches``, smaller: every call answers."""
    lg = store.langgraph_store()
    namespace = ("test", "foo", "bar")
    calls: list[Any] = []
    for i in range(20):
        calls += [
            asyncio.to_thread(lg.put, namespace, f"key{i}", {"foo": f"bar{i}"}),
            lg.aget(namespace, f"key{i}"),
            asyncio.to_thread(lg.list_namespaces, max_depth=(i % 3) + 1),
            lg.asearch(("test",)),
            lg.aput(namespace, f"key{i}", {"foo": f"bar{i}"}),
        ]
    assert len(await asyncio.gather(*calls)) == 100
    found = await lg.asearch(("test",), limit=100)
    assert {i.key for i in found} == {f"key{i}" for i in range(20)}
    await lg.aclose()


class _State(TypedDict):
    user: str
    text: str
    recalled: Annotated[list[str], operator.add]


def _graph(store: Store, lg: BaseStore, *, use_async: bool) -> Any:
    """remember -> recall: the first node writes a memory, the second finds it by filter."""

    def remember(state: _State, *, store: BaseStore) -> dict[str, Any]:
        store.put(("memories", state["user"]), uuid.uuid4().hex, {"text": state["text"]})
        return {}

    def recall(state: _State, *, store: BaseStore) -> dict[str, Any]:
        found = store.search(("memories", state["user"]), filter={"text": state["text"]})
        return {"recalled": [i.value["text"] for i in found]}

    async def aremember(state: _State, *, store: BaseStore) -> dict[str, Any]:
        await store.aput(("memories", state["user"]), uuid.uuid4().hex, {"text": state["text"]})
        return {}

    async def arecall(state: _State, *, store: BaseStore) -> dict[str, Any]:
        found = await store.asearch(("memories", state["user"]), filter={"text": state["text"]})
        return {"recalled": [i.value["text"] for i in found]}

    builder = StateGraph(_State)
    builder.add_node("remember", aremember if use_async else remember)
    builder.add_node("recall", arecall if use_async else recall)
    builder.add_edge(START, "remember")
    builder.add_edge("remember", "recall")
    builder.add_edge("recall", END)
    return builder.compile(checkpointer=store.langgraph_saver(), store=lg)


@pytest.mark.parametrize("mode", ["async", "sync"])
async def test_a_graph_node_remembers_across_threads(store: Store, mode: str) -> None:
    lg = store.langgraph_store()
    graph = _graph(store, lg, use_async=mode == "async")
    try:
        for thread in ["t1", "t2"]:
            config = {"configurable": {"thread_id": f"{mode}-{thread}"}}
            state = {"user": "u1", "text": "likes tea", "recalled": []}
            if mode == "async":
                out = await graph.ainvoke(state, config)
            else:
                out = await asyncio.to_thread(graph.invoke, state, config)
            # The second thread recalls the memory the first thread wrote too.
            assert out["recalled"] == ["likes tea"] * (1 if thread == "t1" else 2)
        assert len(await lg.asearch(("memories", "u1"))) == 2
        assert await lg.alist_namespaces(prefix=("memories",)) == [("memories", "u1")]
    finally:
        await lg.aclose()
        await graph.checkpointer.aclose()
