"""Lifetime of threads in the single-row checkpointer: vacuum windows, TTL expiry, branching."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from locus.core.messages import Message
from locus.core.state import AgentState

from locus_store import InvalidInputError, InvalidTypeError, Store

HOUR = dt.timedelta(hours=1)


def state(text: str = "hi") -> AgentState:
    return AgentState(agent_id="agent").with_message(Message.user(text))


async def backdate(store: Store, thread_id: str, **columns: Any) -> None:
    """Set timestamp columns of a thread's row directly, as if time had passed."""
    threads = store.schema.threads
    statement = threads.update().where(threads.c.thread_id == thread_id).values(**columns)
    await store.run(lambda conn: conn.execute(statement))


def days_ago(days: float) -> dt.datetime:
    return dt.datetime.now(dt.UTC) - dt.timedelta(days=days)


async def thread_ids(store: Store) -> list[str]:
    threads = store.schema.threads
    rows = await store.run(lambda c: c.execute(threads.select().order_by(threads.c.thread_id)))
    return [row.thread_id for row in rows]


# -- vacuum ------------------------------------------------------------------------------------


async def test_vacuum_deletes_threads_not_saved_within_the_window(store: Store) -> None:
    cp = store.latest()
    for thread_id in ("stale", "old", "fresh"):
        await cp.save(state(), thread_id)
    await backdate(store, "stale", updated_at=days_ago(45))
    await backdate(store, "old", updated_at=days_ago(31))
    assert await cp.vacuum(older_than_days=30) == 2
    assert await thread_ids(store) == ["fresh"]


async def test_vacuum_keeps_an_old_thread_that_was_saved_recently(store: Store) -> None:
    cp = store.latest()
    await cp.save(state(), "t1")
    await backdate(store, "t1", created_at=days_ago(400))
    assert await cp.vacuum(older_than_days=30) == 0
    assert await thread_ids(store) == ["t1"]


async def test_vacuum_defaults_to_a_thirty_day_window(store: Store) -> None:
    cp = store.latest()
    await cp.save(state(), "t29")
    await cp.save(state(), "t31")
    await backdate(store, "t29", updated_at=days_ago(29))
    await backdate(store, "t31", updated_at=days_ago(31))
    assert await cp.vacuum() == 1
    assert await thread_ids(store) == ["t29"]


async def test_vacuum_accepts_fractions_of_a_day(store: Store) -> None:
    cp = store.latest()
    await cp.save(state(), "t1")
    await backdate(store, "t1", updated_at=days_ago(0.5))
    assert await cp.vacuum(older_than_days=0.25) == 1


async def test_vacuum_with_a_zero_window_deletes_every_thread(store: Store) -> None:
    cp = store.latest()
    await cp.save(state(), "a")
    await cp.save(state(), "b")
    assert await cp.vacuum(older_than_days=0) == 2
    assert await cp.list_threads() == []


async def test_vacuum_of_an_empty_store_deletes_nothing(store: Store) -> None:
    assert await store.latest().vacuum() == 0


@pytest.mark.parametrize(
    ("days", "error"),
    [(-1, InvalidInputError), (float("nan"), InvalidInputError), ("30", InvalidTypeError)],
)
async def test_vacuum_refuses_a_bad_window(
    store: Store, days: object, error: type[Exception]
) -> None:
    await store.latest().save(state(), "t1")
    with pytest.raises(error, match="older_than_days"):
        await store.latest().vacuum(older_than_days=days)  # type: ignore[arg-type]
    assert await thread_ids(store) == ["t1"]


# -- TTL ---------------------------------------------------------------------------------------


async def test_a_ttl_stamps_each_save_with_its_expiry(store: Store) -> None:
    before = dt.datetime.now(dt.UTC)
    cp = store.latest(ttl=HOUR)
    await cp.save(state(), "t1")
    record = await cp.get_metadata("t1")
    assert record is not None
    expires_at = dt.datetime.fromisoformat(record["expires_at"])
    assert before + HOUR <= expires_at <= dt.datetime.now(dt.UTC) + HOUR


async def test_an_expired_thread_is_invisible_to_every_read(store: Store) -> None:
    cp = store.latest(ttl=HOUR)
    await cp.save(state("expired words"), "gone", checkpoint_id="c-1", metadata={"k": "v"})
    await backdate(store, "gone", expires_at=days_ago(0.01))
    assert await cp.load("gone") is None
    assert await cp.load("gone", "c-1") is None
    assert await cp.list_checkpoints("gone") == []
    assert not await cp.exists("gone")
    assert await cp.list_threads() == []
    assert await cp.search("expired") == []
    assert await cp.get_metadata("gone") is None
    assert await cp.query_by_metadata("k", "v") == []
    assert await cp.list_with_metadata() == []


async def test_a_checkpointer_without_ttl_does_not_see_rows_expired_by_another(
    store: Store,
) -> None:
    await store.latest(ttl=HOUR).save(state(), "t1")
    await backdate(store, "t1", expires_at=days_ago(1))
    assert await store.latest().load("t1") is None


async def test_saving_again_renews_the_expiry(store: Store) -> None:
    cp = store.latest(ttl=HOUR)
    await cp.save(state(), "t1")
    await backdate(store, "t1", expires_at=days_ago(1))
    renewed = state("back again")
    await cp.save(renewed, "t1")
    assert await cp.load("t1") == renewed


async def test_vacuum_removes_expired_threads_however_recently_saved(store: Store) -> None:
    cp = store.latest(ttl=HOUR)
    await cp.save(state(), "expired")
    await cp.save(state(), "live")
    await backdate(store, "expired", expires_at=days_ago(0.01))
    assert await cp.vacuum(older_than_days=30) == 1
    assert await thread_ids(store) == ["live"]


@pytest.mark.parametrize(
    ("ttl", "error"),
    [(dt.timedelta(0), InvalidInputError), (-HOUR, InvalidInputError), ("1h", InvalidTypeError)],
)
def test_a_ttl_must_be_a_positive_timedelta(
    store: Store, ttl: object, error: type[Exception]
) -> None:
    with pytest.raises(error, match="ttl"):
        store.latest(ttl=ttl)  # type: ignore[arg-type]


# -- copy_thread (branching) -------------------------------------------------------------------


async def test_copy_thread_branches_the_current_state_and_metadata(store: Store) -> None:
    cp = store.latest()
    source = state("the story so far")
    checkpoint_id = await cp.save(source, "main", metadata={"branch": "main"})
    assert await cp.copy_thread("main", "experiment") is True
    assert await cp.load("experiment") == source
    assert await cp.list_checkpoints("experiment") == [checkpoint_id]
    record = await cp.get_metadata("experiment")
    assert record is not None
    assert record["metadata"] == {"branch": "main"}
    assert [hit["thread_id"] for hit in await cp.search("story")] == ["experiment", "main"]


async def test_a_branch_moves_on_without_its_source(store: Store) -> None:
    cp = store.latest()
    source = state("shared")
    await cp.save(source, "main")
    await cp.copy_thread("main", "experiment")
    await cp.save(state("diverged"), "experiment")
    assert await cp.load("main") == source


async def test_copy_thread_of_an_unknown_source_is_false(store: Store) -> None:
    assert await store.latest().copy_thread("nobody", "dest") is False
    assert await thread_ids(store) == []


async def test_copy_thread_never_overwrites_an_existing_thread(store: Store) -> None:
    cp = store.latest()
    kept = state("kept")
    await cp.save(state("source"), "main")
    await cp.save(kept, "taken")
    assert await cp.copy_thread("main", "taken") is False
    assert await cp.load("taken") == kept


async def test_copy_thread_onto_an_expired_thread_replaces_it(store: Store) -> None:
    cp = store.latest(ttl=HOUR)
    source = state("source")
    await cp.save(source, "main")
    await cp.save(state("expired"), "old")
    await backdate(store, "old", expires_at=days_ago(0.01))
    assert await cp.copy_thread("main", "old") is True
    assert await cp.load("old") == source


async def test_copy_thread_refuses_to_copy_a_thread_onto_itself(store: Store) -> None:
    with pytest.raises(InvalidInputError, match="different"):
        await store.latest().copy_thread("main", "main")
