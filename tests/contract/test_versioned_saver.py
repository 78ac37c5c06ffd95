"""The versioned saver's contract (notebook 12's surface), on every backend."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from locus_store import (
    CheckpointExistsError,
    InvalidInputError,
    InvalidTypeError,
    ParentNotFoundError,
    Store,
)
from locus_store.versioned.saver import VersionedSaver

Work = Callable[[AsyncConnection], Awaitable[Any]]


@pytest.fixture
def saver(store: Store) -> VersionedSaver:
    return store.versioned()


async def put_chain(saver: VersionedSaver, thread_id: str, ids: list[str], **kw: Any) -> None:
    parent = None
    for cid in ids:
        await saver.put(
            thread_id=thread_id,
            checkpoint_id=cid,
            parent_checkpoint_id=parent,
            checkpoint_data={"step": cid},
            **kw,
        )
        parent = cid


async def ids_of(saver: VersionedSaver, thread_id: str, **kw: Any) -> list[str]:
    return [r["checkpoint_id"] for r in await saver.list_checkpoints(thread_id=thread_id, **kw)]


async def count_rows(store: Store, table: sa.Table) -> int:
    query = sa.select(sa.func.count()).select_from(table)

    async def count(conn: AsyncConnection) -> int:
        return int(await conn.scalar(query) or 0)

    return await store.run(count)


def replay_every_call(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make each unit of work run twice: applied once, then retried as after a lost reply."""
    original = store.run

    async def run(work: Work, **kw: Any) -> Any:
        await original(work, **kw)
        return await original(work, **kw)

    monkeypatch.setattr(store, "run", run)


# -- put / get ------------------------------------------------------------------------


async def test_get_returns_the_newest_checkpoint_in_the_notebook_dict_shape(
    saver: VersionedSaver,
) -> None:
    await put_chain(saver, "t1", ["v1"])
    await saver.put(
        thread_id="t1",
        checkpoint_id="v2",
        parent_checkpoint_id="v1",
        checkpoint_data={"messages": [{"role": "user", "content": "hi"}], "n": 2.5},
        metadata={"turn": 2, "stop_reason": "complete"},
    )
    row = await saver.get(thread_id="t1")
    assert row is not None
    assert set(row) == {
        "checkpoint_id",
        "parent_checkpoint_id",
        "checkpoint",
        "metadata",
        "created_at",
    }
    assert row["checkpoint_id"] == "v2"
    assert row["parent_checkpoint_id"] == "v1"
    assert row["checkpoint"] == {"messages": [{"role": "user", "content": "hi"}], "n": 2.5}
    assert row["metadata"] == {"turn": 2, "stop_reason": "complete"}
    assert dt.datetime.fromisoformat(row["created_at"]).utcoffset() == dt.timedelta(0)


async def test_get_by_id_returns_that_version(saver: VersionedSaver) -> None:
    await put_chain(saver, "t1", ["v1", "v2", "v3"])
    row = await saver.get(thread_id="t1", checkpoint_id="v1")
    assert row is not None
    assert (row["checkpoint_id"], row["parent_checkpoint_id"]) == ("v1", None)
    assert row["checkpoint"] == {"step": "v1"}
    assert row["metadata"] == {}


async def test_get_of_an_unknown_thread_or_id_is_none(saver: VersionedSaver) -> None:
    await put_chain(saver, "t1", ["v1"])
    assert await saver.get(thread_id="nobody") is None
    assert await saver.get(thread_id="t1", checkpoint_id="v9") is None
    assert await saver.get(thread_id="t1", checkpoint_ns="other") is None


async def test_put_refuses_a_duplicate_id_and_keeps_the_first(saver: VersionedSaver) -> None:
    await put_chain(saver, "t1", ["v1"])
    with pytest.raises(CheckpointExistsError, match="'v1' already exists"):
        await saver.put(thread_id="t1", checkpoint_id="v1", checkpoint_data={"step": "other"})
    row = await saver.get(thread_id="t1", checkpoint_id="v1")
    assert row is not None
    assert row["checkpoint"] == {"step": "v1"}
    assert await ids_of(saver, "t1") == ["v1"]


async def test_put_refuses_an_unknown_parent_and_stores_nothing(
    saver: VersionedSaver, store: Store
) -> None:
    await put_chain(saver, "t1", ["v1"])
    with pytest.raises(ParentNotFoundError, match="'ghost'"):
        await saver.put(
            thread_id="t1", checkpoint_id="v2", parent_checkpoint_id="ghost", checkpoint_data={}
        )
    assert await count_rows(store, store.schema.checkpoints) == 1


async def test_put_refuses_a_parent_from_another_thread_or_namespace(
    saver: VersionedSaver,
) -> None:
    await put_chain(saver, "t1", ["v1"])
    await put_chain(saver, "t2", ["n1"], checkpoint_ns="other")
    with pytest.raises(ParentNotFoundError):
        await saver.put(
            thread_id="t2", checkpoint_id="x", parent_checkpoint_id="v1", checkpoint_data={}
        )
    with pytest.raises(ParentNotFoundError):
        await saver.put(
            thread_id="t2", checkpoint_id="x", parent_checkpoint_id="n1", checkpoint_data={}
        )


async def test_put_detects_that_its_first_attempt_was_applied(
    saver: VersionedSaver, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    await put_chain(saver, "t1", ["v1"])
    replay_every_call(store, monkeypatch)
    await saver.put(
        thread_id="t1", checkpoint_id="v2", parent_checkpoint_id="v1", checkpoint_data={"a": 1}
    )
    monkeypatch.undo()
    assert await ids_of(saver, "t1") == ["v2", "v1"]


async def test_invalid_input_is_refused_before_anything_is_stored(
    saver: VersionedSaver, store: Store
) -> None:
    bad_calls: list[tuple[type[Exception], dict[str, Any]]] = [
        (InvalidTypeError, {"checkpoint_data": ["not", "a", "dict"]}),
        (InvalidInputError, {"checkpoint_data": {"x": float("nan")}}),
        (InvalidTypeError, {"checkpoint_data": {"x": object()}}),
        (InvalidTypeError, {"checkpoint_data": {}, "metadata": "not a dict"}),
        (InvalidInputError, {"checkpoint_data": {}, "checkpoint_id": ""}),
        (InvalidInputError, {"checkpoint_data": {}, "checkpoint_id": "x" * 256}),
        (InvalidTypeError, {"checkpoint_data": {}, "thread_id": 7}),
        (InvalidInputError, {"checkpoint_data": {}, "checkpoint_ns": "\u2400"}),
    ]
    for error, override in bad_calls:
        call: dict[str, Any] = {"thread_id": "t1", "checkpoint_id": "v1", **override}
        with pytest.raises(error):
            await saver.put(**call)
    assert await count_rows(store, store.schema.checkpoints) == 0


# -- list_checkpoints -----------------------------------------------------------------


async def test_list_checkpoints_is_the_lineage_newest_first_with_metadata(
    saver: VersionedSaver,
) -> None:
    parent = None
    for turn in (1, 2, 3):
        await saver.put(
            thread_id="t1",
            checkpoint_id=f"v{turn}",
            parent_checkpoint_id=parent,
            checkpoint_data={},
            metadata={"turn": turn},
        )
        parent = f"v{turn}"
    rows = await saver.list_checkpoints(thread_id="t1")
    assert [(r["checkpoint_id"], r["parent_checkpoint_id"], r["metadata"]) for r in rows] == [
        ("v3", "v2", {"turn": 3}),
        ("v2", "v1", {"turn": 2}),
        ("v1", None, {"turn": 1}),
    ]


async def test_list_checkpoints_orders_same_instant_rows_by_position(
    saver: VersionedSaver, store: Store
) -> None:
    # Ids that sort the other way round, and one shared timestamp.
    await put_chain(saver, "t1", ["c", "b", "a"])
    table = store.schema.checkpoints
    instant = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    await store.run(lambda c: c.execute(table.update().values(created_at=instant)))
    assert await ids_of(saver, "t1") == ["a", "b", "c"]
    newest = await saver.get(thread_id="t1")
    assert newest is not None
    assert newest["checkpoint_id"] == "a"


async def test_list_checkpoints_pages_back_with_before(saver: VersionedSaver) -> None:
    ids = [f"v{i:02d}" for i in range(1, 8)]
    await put_chain(saver, "t1", ids)
    pages: list[list[str]] = []
    before = None
    while page := await ids_of(saver, "t1", limit=3, before=before):
        pages.append(page)
        before = page[-1]
    assert pages == [["v07", "v06", "v05"], ["v04", "v03", "v02"], ["v01"]]


async def test_list_checkpoints_before_an_unknown_id_is_empty(saver: VersionedSaver) -> None:
    await put_chain(saver, "t1", ["v1", "v2"])
    assert await saver.list_checkpoints(thread_id="t1", before="ghost") == []


async def test_list_checkpoints_refuses_a_bad_limit(saver: VersionedSaver) -> None:
    with pytest.raises(InvalidInputError):
        await saver.list_checkpoints(thread_id="t1", limit=0)
    with pytest.raises(InvalidTypeError):
        await saver.list_checkpoints(thread_id="t1", limit="10")  # type: ignore[arg-type]


async def test_namespaces_are_separate_lineages(saver: VersionedSaver) -> None:
    await put_chain(saver, "t1", ["v1", "v2"])
    await put_chain(saver, "t1", ["v1"], checkpoint_ns="sub")
    assert await ids_of(saver, "t1") == ["v2", "v1"]
    assert await ids_of(saver, "t1", checkpoint_ns="sub") == ["v1"]


async def test_empty_namespace_round_trips(saver: VersionedSaver) -> None:
    await put_chain(saver, "t1", ["v1", "v2"], checkpoint_ns="")
    await saver.put_writes(
        thread_id="t1", checkpoint_id="v2", task_id="k", writes=[("", 1)], checkpoint_ns=""
    )
    row = await saver.get(thread_id="t1", checkpoint_ns="")
    assert row is not None
    assert row["parent_checkpoint_id"] == "v1"
    assert await ids_of(saver, "t1", checkpoint_ns="") == ["v2", "v1"]
    assert await ids_of(saver, "t1") == []  # "" is not the default namespace
    writes = await saver.get_writes(thread_id="t1", checkpoint_id="v2", checkpoint_ns="")
    assert writes == [{"task_id": "k", "idx": 0, "channel": "", "value": 1}]


# -- pending writes -------------------------------------------------------------------


async def test_get_writes_orders_by_task_then_position(saver: VersionedSaver) -> None:
    await put_chain(saver, "t1", ["v1"])
    await saver.put_writes(
        thread_id="t1", checkpoint_id="v1", task_id="b", writes=[("x", 1), ("y", {"k": [1]})]
    )
    await saver.put_writes(thread_id="t1", checkpoint_id="v1", task_id="a", writes=[("z", None)])
    rows = await saver.get_writes(thread_id="t1", checkpoint_id="v1")
    assert rows == [
        {"task_id": "a", "idx": 0, "channel": "z", "value": None},
        {"task_id": "b", "idx": 0, "channel": "x", "value": 1},
        {"task_id": "b", "idx": 1, "channel": "y", "value": {"k": [1]}},
    ]
    only_b = await saver.get_writes(thread_id="t1", checkpoint_id="v1", task_id="b")
    assert [(w["idx"], w["channel"]) for w in only_b] == [(0, "x"), (1, "y")]


async def test_put_writes_replaces_the_tasks_earlier_set(saver: VersionedSaver) -> None:
    await put_chain(saver, "t1", ["v1"])
    await saver.put_writes(
        thread_id="t1", checkpoint_id="v1", task_id="k", writes=[("a", 1), ("b", 2), ("c", 3)]
    )
    await saver.put_writes(thread_id="t1", checkpoint_id="v1", task_id="k", writes=[("d", 4)])
    rows = await saver.get_writes(thread_id="t1", checkpoint_id="v1")
    assert [(w["channel"], w["value"]) for w in rows] == [("d", 4)]


async def test_put_writes_with_no_writes_clears_the_task(saver: VersionedSaver) -> None:
    await put_chain(saver, "t1", ["v1"])
    await saver.put_writes(thread_id="t1", checkpoint_id="v1", task_id="k", writes=[("a", 1)])
    await saver.put_writes(thread_id="t1", checkpoint_id="v1", task_id="k", writes=[])
    assert await saver.get_writes(thread_id="t1", checkpoint_id="v1") == []


async def test_put_writes_is_idempotent_under_retry(
    saver: VersionedSaver, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    await put_chain(saver, "t1", ["v1"])
    replay_every_call(store, monkeypatch)
    await saver.put_writes(
        thread_id="t1", checkpoint_id="v1", task_id="k", writes=[("a", 1), ("b", 2)]
    )
    monkeypatch.undo()
    rows = await saver.get_writes(thread_id="t1", checkpoint_id="v1")
    assert [(w["idx"], w["channel"]) for w in rows] == [(0, "a"), (1, "b")]


async def test_a_failed_put_writes_leaves_the_earlier_set(
    saver: VersionedSaver, store: Store
) -> None:
    await put_chain(saver, "t1", ["v1"])
    await saver.put_writes(thread_id="t1", checkpoint_id="v1", task_id="k", writes=[("old", 1)])

    def fail_on_insert(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT"):
            raise RuntimeError("the bulk insert fails")

    sync_engine = store.engine.sync_engine
    sa.event.listen(sync_engine, "before_cursor_execute", fail_on_insert)
    try:
        with pytest.raises(RuntimeError, match="bulk insert fails"):
            await saver.put_writes(
                thread_id="t1", checkpoint_id="v1", task_id="k", writes=[("new", 2)]
            )
    finally:
        sa.event.remove(sync_engine, "before_cursor_execute", fail_on_insert)
    rows = await saver.get_writes(thread_id="t1", checkpoint_id="v1")
    assert [(w["channel"], w["value"]) for w in rows] == [("old", 1)]


async def test_put_writes_refuses_malformed_writes_and_keeps_the_earlier_set(
    saver: VersionedSaver,
) -> None:
    await put_chain(saver, "t1", ["v1"])
    await saver.put_writes(thread_id="t1", checkpoint_id="v1", task_id="k", writes=[("a", 1)])
    for bad in ([("a",)], [("a", object())], "ab", [(1, 2)]):
        with pytest.raises((InvalidTypeError, InvalidInputError)):
            await saver.put_writes(
                thread_id="t1",
                checkpoint_id="v1",
                task_id="k",
                writes=bad,  # type: ignore[arg-type]
            )
    assert len(await saver.get_writes(thread_id="t1", checkpoint_id="v1")) == 1


# -- threads --------------------------------------------------------------------------


async def test_delete_thread_removes_every_namespace_and_its_writes(
    saver: VersionedSaver, store: Store
) -> None:
    await put_chain(saver, "t1", ["v1"])
    await put_chain(saver, "t1", ["v1"], checkpoint_ns="sub")
    await put_chain(saver, "keep", ["k1"])
    await saver.put_writes(thread_id="t1", checkpoint_id="v1", task_id="k", writes=[("a", 1)])
    await saver.put_writes(thread_id="keep", checkpoint_id="k1", task_id="k", writes=[("a", 1)])
    await saver.delete_thread("t1")
    assert await saver.get(thread_id="t1") is None
    assert await saver.get(thread_id="t1", checkpoint_ns="sub") is None
    assert await saver.get_writes(thread_id="t1", checkpoint_id="v1") == []
    assert await ids_of(saver, "keep") == ["k1"]
    assert await count_rows(store, store.schema.writes) == 1


async def test_copy_thread_copies_the_lineage_in_order_with_its_writes(
    saver: VersionedSaver,
) -> None:
    await put_chain(saver, "src", ["v1", "v2", "v3"])
    await put_chain(saver, "src", ["s1"], checkpoint_ns="sub")
    await saver.put_writes(thread_id="src", checkpoint_id="v3", task_id="k", writes=[("a", 1)])
    assert await saver.copy_thread("src", "dst") is True
    copied = await saver.list_checkpoints(thread_id="dst")
    original = await saver.list_checkpoints(thread_id="src")
    assert copied == original
    assert await ids_of(saver, "dst", checkpoint_ns="sub") == ["s1"]
    assert await saver.get_writes(thread_id="dst", checkpoint_id="v3") == [
        {"task_id": "k", "idx": 0, "channel": "a", "value": 1}
    ]
    # The copy continues as a lineage of its own.
    await saver.put(
        thread_id="dst", checkpoint_id="v4", parent_checkpoint_id="v3", checkpoint_data={}
    )
    assert await ids_of(saver, "dst") == ["v4", "v3", "v2", "v1"]
    assert await ids_of(saver, "src") == ["v3", "v2", "v1"]


async def test_copy_thread_refuses_a_destination_that_has_checkpoints(
    saver: VersionedSaver,
) -> None:
    await put_chain(saver, "src", ["v1"])
    await put_chain(saver, "dst", ["d1"])
    with pytest.raises(CheckpointExistsError, match="'dst'"):
        await saver.copy_thread("src", "dst")
    assert await ids_of(saver, "dst") == ["d1"]


async def test_copy_thread_of_an_empty_source_copies_nothing(saver: VersionedSaver) -> None:
    assert await saver.copy_thread("nobody", "dst") is False
    assert await saver.get(thread_id="dst") is None


async def test_close_releases_connections_and_the_saver_stays_usable(
    saver: VersionedSaver,
) -> None:
    await put_chain(saver, "t1", ["v1"])
    await saver.close()
    assert await ids_of(saver, "t1") == ["v1"]


# -- inside the caller's transaction -----------------------------------------------------


async def test_a_bound_put_commits_or_rolls_back_with_the_callers_transaction(
    store: Store,
) -> None:
    async with store.engine.connect() as conn:
        async with conn.begin() as tx:
            await (
                store.bind(conn)
                .versioned()
                .put(thread_id="t1", checkpoint_id="v1", checkpoint_data={})
            )
            await tx.rollback()
        async with conn.begin():
            await (
                store.bind(conn)
                .versioned()
                .put(thread_id="t1", checkpoint_id="v2", checkpoint_data={})
            )
    assert await ids_of(store.versioned(), "t1") == ["v2"]


async def test_a_refused_bound_put_leaves_the_callers_transaction_usable(store: Store) -> None:
    async with store.engine.connect() as conn, conn.begin():
        bound = store.bind(conn).versioned()
        await bound.put(thread_id="t1", checkpoint_id="v1", checkpoint_data={})
        with pytest.raises(CheckpointExistsError):
            await bound.put(thread_id="t1", checkpoint_id="v1", checkpoint_data={})
        await bound.put(
            thread_id="t1", checkpoint_id="v2", parent_checkpoint_id="v1", checkpoint_data={}
        )
    assert await ids_of(store.versioned(), "t1") == ["v2", "v1"]
