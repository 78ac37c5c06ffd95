"""TTL: LangGraph's ``TTLConfig`` and per-put ``ttl`` (minutes), refresh on read, the sweep
and the sweeper's lifecycle, on every backend.

The cases follow ``PostgresStore``'s tests (``test_store_ttl``, the ``omit_expired``
ones), with one difference this store makes on purpose: an expired item is invisible
to every read at once, as ``PostgresStore`` is with ``omit_expired=True``; without it
``PostgresStore`` keeps returning expired items until its sweeper deletes them.
Expiry is moved by writing ``expires_at`` (``_expire_now``), so no test waits for a
clock except the one that follows ``test_store_ttl`` in real time.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from locus_store import InvalidInputError, InvalidTypeError, Store
from locus_store.memory.langgraph_store import SQLAlchemyStore
from locus_store.memory.namespaces import encode
from locus_store.timestamps import utcnow

#: A sweeper interval short enough for a test (minutes): 60 ms.
QUICK = 0.001


async def _expires_at(store: Store, namespace: tuple[str, ...], key: str) -> dt.datetime | None:
    items = store.schema.memory_items
    query = sa.select(items.c.expires_at).where(
        items.c.namespace == encode(namespace), items.c.key == key
    )
    row = await store.fetch_one(query)
    assert row is not None, "the row is gone"
    value: dt.datetime | None = row[0]
    return value


async def _set_expiry(store: Store, namespace: tuple[str, ...], key: str, at: dt.datetime) -> None:
    items = store.schema.memory_items
    update = (
        items.update()
        .where(items.c.namespace == encode(namespace), items.c.key == key)
        .values(expires_at=at)
    )

    async def work(conn: AsyncConnection) -> None:
        await conn.execute(update)

    await store.run(work)


async def _expire_now(store: Store, namespace: tuple[str, ...], key: str) -> None:
    """Backdate the row's expiry without deleting it (expired, not yet swept)."""
    await _set_expiry(store, namespace, key, utcnow() - dt.timedelta(minutes=1))


async def _row_count(store: Store) -> int:
    items = store.schema.memory_items
    row = await store.fetch_one(sa.select(sa.func.count()).select_from(items))
    return int(row[0]) if row is not None else 0


def _near(value: dt.datetime | None, expected: dt.datetime, slack: float = 10.0) -> bool:
    return value is not None and abs((value - expected).total_seconds()) < slack


async def test_an_expired_item_is_invisible_before_any_sweep(store: Store) -> None:
    lg = store.langgraph_store(ttl={"default_ttl": 1})
    await lg.aput(("omit", "expired"), "e", {"data": "gone"})
    await lg.aput(("omit", "control"), "c", {"data": "keep"}, ttl=None)
    await _expire_now(store, ("omit", "expired"), "e")
    assert await _row_count(store) == 2  # still there, unswept
    assert await lg.aget(("omit", "expired"), "e") is None
    assert await lg.aget(("omit", "control"), "c") is not None
    assert await lg.asearch(("omit", "expired")) == []
    assert [i.key for i in await lg.asearch(("omit",))] == ["c"]
    assert await lg.alist_namespaces(prefix=("omit",)) == [("omit", "control")]


async def test_ttl_is_in_minutes_and_default_ttl_applies_unless_a_put_says_none(
    store: Store,
) -> None:
    lg = store.langgraph_store(ttl={"default_ttl": 10})
    await lg.aput(("t",), "default", {"v": 1})
    await lg.aput(("t",), "half", {"v": 1}, ttl=0.5)
    await lg.aput(("t",), "never", {"v": 1}, ttl=None)
    now = utcnow()
    assert _near(await _expires_at(store, ("t",), "default"), now + dt.timedelta(minutes=10))
    assert _near(await _expires_at(store, ("t",), "half"), now + dt.timedelta(seconds=30))
    assert await _expires_at(store, ("t",), "never") is None
    plain = store.langgraph_store()
    await plain.aput(("t",), "plain", {"v": 1})
    assert await _expires_at(store, ("t",), "plain") is None


async def test_a_refreshing_read_pushes_the_expiry_forward_by_the_items_own_ttl(
    store: Store,
) -> None:
    lg = store.langgraph_store(ttl={"default_ttl": 1})
    for key in ["get", "search", "kept"]:
        await lg.aput(("r",), key, {"k": key})
    soon = utcnow() + dt.timedelta(seconds=5)
    for key in ["get", "search", "kept"]:
        await _set_expiry(store, ("r",), key, soon)
    assert await lg.aget(("r",), "kept", refresh_ttl=False) is not None
    assert await lg.asearch(("r",), filter={"k": "kept"}, refresh_ttl=False) != []
    assert _near(await _expires_at(store, ("r",), "kept"), soon, slack=0.01)
    assert await lg.aget(("r",), "get", refresh_ttl=True) is not None
    assert await lg.asearch(("r",), filter={"k": "search"}, refresh_ttl=True) != []
    later = utcnow() + dt.timedelta(minutes=1)
    assert _near(await _expires_at(store, ("r",), "get"), later)
    assert _near(await _expires_at(store, ("r",), "search"), later)


@pytest.mark.parametrize("refresh_on_read", [True, False, None])
async def test_reads_refresh_as_the_config_says_by_default(
    store: Store, refresh_on_read: bool | None
) -> None:
    config = {"default_ttl": 1.0} | (
        {} if refresh_on_read is None else {"refresh_on_read": refresh_on_read}
    )
    lg = store.langgraph_store(ttl=config)
    await lg.aput(("d",), "k", {"v": 1})
    soon = utcnow() + dt.timedelta(seconds=5)
    await _set_expiry(store, ("d",), "k", soon)
    await lg.aget(("d",), "k")
    refreshed = refresh_on_read is not False  # LangGraph's default: refresh
    expected = utcnow() + dt.timedelta(minutes=1) if refreshed else soon
    assert _near(await _expires_at(store, ("d",), "k"), expected, slack=5.0)


async def test_a_refreshing_read_never_brings_an_expired_item_back(store: Store) -> None:
    lg = store.langgraph_store(ttl={"default_ttl": 1})
    await lg.aput(("x",), "expired", {"v": 0})
    await _expire_now(store, ("x",), "expired")
    before = await _expires_at(store, ("x",), "expired")
    assert await lg.aget(("x",), "expired", refresh_ttl=True) is None
    assert await lg.asearch(("x",), refresh_ttl=True) == []
    assert await _expires_at(store, ("x",), "expired") == before


async def test_expired_items_do_not_fill_a_page(store: Store) -> None:
    lg = store.langgraph_store(ttl={"default_ttl": 1})
    for key in ["c", "b", "expired", "a"]:
        await lg.aput(("page",), key, {"k": key})
    await _expire_now(store, ("page",), "expired")
    assert [i.key for i in await lg.asearch(("page",), limit=2)] == ["a", "b"]
    assert [i.key for i in await lg.asearch(("page",), limit=2, offset=2)] == ["c"]


async def test_sweep_ttl_deletes_expired_items_only(store: Store) -> None:
    lg = store.langgraph_store(ttl={"default_ttl": 1})
    for key in ["old1", "old2", "fresh"]:
        await lg.aput(("s",), key, {"v": 1})
    await lg.aput(("s",), "forever", {"v": 1}, ttl=None)
    await _expire_now(store, ("s",), "old1")
    await _expire_now(store, ("s",), "old2")
    assert await lg.sweep_ttl() == 2
    assert await _row_count(store) == 2
    assert await lg.sweep_ttl() == 0


async def _wait_for(condition: object, seconds: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        if await condition():  # type: ignore[operator]
            return
        await asyncio.sleep(0.05)
    raise AssertionError("timed out")


async def test_the_sweeper_runs_until_stopped(store: Store) -> None:
    lg = store.langgraph_store(ttl={"default_ttl": 1, "sweep_interval_minutes": QUICK})
    await lg.aput(("w",), "old", {"v": 1})
    await lg.aput(("w",), "new", {"v": 1})
    task = await lg.start_ttl_sweeper()
    try:
        assert await lg.start_ttl_sweeper() is task  # one sweeper per store
        await _expire_now(store, ("w",), "old")

        async def swept() -> bool:
            return await _row_count(store) == 1

        await _wait_for(swept)
        assert not task.done()
    finally:
        assert await lg.stop_ttl_sweeper(timeout=10) is True
    assert task.done()
    assert await lg.stop_ttl_sweeper() is True  # stopping twice is fine
    await _expire_now(store, ("w",), "new")
    await asyncio.sleep(QUICK * 60 * 3)
    assert await _row_count(store) == 1  # nothing sweeps any more


async def test_async_with_runs_the_configured_sweeper_and_stops_it(store: Store) -> None:
    async with store.langgraph_store(ttl={"sweep_interval_minutes": QUICK}) as lg:
        task = lg._sweeper
        assert task is not None
        assert not task.done()
    assert task.done()
    assert lg._sweeper is None
    async with store.langgraph_store(ttl={"default_ttl": 1}) as quiet:
        assert quiet._sweeper is None  # no interval configured: no sweeper


async def test_aclose_and_close_stop_the_sweeper(store: Store) -> None:
    lg = store.langgraph_store()
    task = await lg.start_ttl_sweeper(sweep_interval_minutes=QUICK)
    await lg.aclose()
    assert task.done()

    other = store.langgraph_store()
    task = await other.start_ttl_sweeper(sweep_interval_minutes=QUICK)
    await asyncio.to_thread(other.close)  # from a thread, as sync code would
    await asyncio.wait_for(task, timeout=10)


async def test_a_failed_sweep_is_logged_and_the_sweeper_goes_on(
    store: Store, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    lg = store.langgraph_store(ttl={"default_ttl": 1})
    await lg.aput(("f",), "old", {"v": 1})
    await _expire_now(store, ("f",), "old")
    real = lg.items.sweep
    calls = 0

    async def flaky() -> object:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("database went away")
        return await real()

    monkeypatch.setattr(lg.items, "sweep", flaky)
    with caplog.at_level(logging.INFO, logger="locus_store.memory.langgraph_store"):
        await lg.start_ttl_sweeper(sweep_interval_minutes=QUICK)
        try:

            async def swept() -> bool:
                return await _row_count(store) == 0

            await _wait_for(swept)
        finally:
            await lg.stop_ttl_sweeper()
    assert calls >= 2
    assert "memory TTL sweep failed" in caplog.text
    assert "deleted 1 expired items" in caplog.text


@pytest.mark.parametrize(
    ("ttl", "error"),
    [
        ({"default_ttl": -1}, InvalidInputError),
        ({"default_ttl": "5"}, InvalidTypeError),
        ({"sweep_interval_minutes": 0}, InvalidInputError),
        ({"refresh_on_read": "yes"}, InvalidTypeError),
        (["default_ttl", 1], InvalidTypeError),
    ],
)
def test_a_bad_ttl_config_is_refused(store: Store, ttl: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        store.langgraph_store(ttl=ttl)


async def test_store_ttl_in_real_time(store: Store) -> None:
    """``PostgresStore``'s ``test_store_ttl`` at a third of its pace (a 2 s TTL)."""
    seconds = 2.0
    lg = store.langgraph_store(ttl={"default_ttl": seconds / 60, "refresh_on_read": True})
    assert isinstance(lg, SQLAlchemyStore)
    await lg.aput(("foo",), "item1", {"foo": "bar"})
    await asyncio.sleep(seconds - 0.8)
    assert await lg.aget(("foo",), "item1", refresh_ttl=True) is not None
    await asyncio.sleep(seconds - 0.8)
    assert len(await lg.asearch(("foo",), query="foo", refresh_ttl=True)) == 1
    await asyncio.sleep(seconds - 0.8)
    assert await lg.aget(("foo",), "item1", refresh_ttl=False) is not None
    await asyncio.sleep(1.2)
    assert await lg.asearch(("foo",), query="bar", refresh_ttl=False) == []
