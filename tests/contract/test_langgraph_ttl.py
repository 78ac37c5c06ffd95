"""LangGraph threads that expire: a saver's ``ttl`` stamps each checkpoint it puts, and a
thread goes whole (checkpoints, writes, values) once every checkpoint of it has expired,
by ``saver.asweep_ttl()`` or any vacuum; nothing else is touched."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from locus_store import InvalidInputError, InvalidTypeError, Store
from locus_store.ops.statements import VacuumStatements
from locus_store.ops.vacuum import VacuumReport, _remove_whole, _WholeThreads
from tests.support.cli import locus_store, on
from tests.support.langgraph import Lineage, graph_config

HOUR = dt.timedelta(hours=1)


async def _expiries(store: Store, thread: str) -> list[tuple[dt.datetime, dt.datetime | None]]:
    """(created_at, expires_at) of each checkpoint of ``thread``, oldest first."""
    cp = store.schema.lg_checkpoints
    query = (
        sa.select(cp.c.created_at, cp.c.expires_at)
        .where(cp.c.thread_id == thread)
        .order_by(cp.c.checkpoint_id)
    )
    return [(r[0], r[1]) for r in await store.fetch_all(query)]


async def _expire(store: Store, thread: str, ago: dt.timedelta = HOUR) -> None:
    """Move the expiry of every checkpoint of ``thread`` that has one ``ago`` into the past."""
    cp = store.schema.lg_checkpoints
    when = dt.datetime.now(dt.UTC) - ago

    async def work(conn: AsyncConnection) -> None:
        await conn.execute(
            cp.update()
            .where(cp.c.thread_id == thread, cp.c.expires_at.is_not(None))
            .values(expires_at=when)
        )

    await store.run(work, atomic=True)


async def _threads(store: Store) -> dict[str, set[str]]:
    """Table name -> the thread ids it holds rows of."""
    schema = store.schema
    found = {}
    for table in (schema.lg_checkpoints, schema.lg_blobs, schema.lg_writes):
        rows = await store.fetch_all(sa.select(table.c.thread_id).distinct())
        found[table.name] = {r[0] for r in rows}
    return found


async def _thread_with_everything(lineage: Lineage) -> None:
    """Two checkpoints with values, and pending writes on the newest."""
    await lineage.step({"a": 1, "b": "kept"})
    config = await lineage.step({"a": 2})
    await lineage.saver.aput_writes(config, [("a", "pending")], "task")


async def test_a_saver_with_a_ttl_stamps_each_checkpoint_it_puts(store: Store) -> None:
    ttl = store.langgraph_saver(ttl=HOUR)
    plain = store.langgraph_saver()
    assert ttl.ttl == HOUR
    assert plain.ttl is None
    assert "ttl=1:00:00" in repr(ttl)
    await Lineage(ttl, "short").step({"a": 1})
    await Lineage(plain, "forever").step({"a": 1})

    [(created, expires)] = await _expiries(store, "short")
    assert expires is not None
    assert expires - created == HOUR
    [(_, never)] = await _expiries(store, "forever")
    assert never is None


async def test_ttl_in_seconds_and_bad_ttls_are_refused_before_anything_is_written(
    store: Store,
) -> None:
    assert store.langgraph_saver(ttl=90).ttl == dt.timedelta(seconds=90)
    for bad in (0, -1, dt.timedelta(0), float("nan"), float("inf")):
        with pytest.raises(InvalidInputError, match="ttl"):
            store.langgraph_saver(ttl=bad)
    for wrong in (True, "1h"):
        with pytest.raises(InvalidTypeError, match="ttl"):
            store.langgraph_saver(ttl=wrong)  # type: ignore[arg-type]
    assert await _threads(store) == {name: set() for name in await _threads(store)}


async def test_the_sweep_removes_expired_threads_whole_and_nothing_else(store: Store) -> None:
    ttl, plain = store.langgraph_saver(ttl=HOUR), store.langgraph_saver()
    for thread in ("expired", "alive"):
        await _thread_with_everything(Lineage(ttl, thread))
    await _thread_with_everything(Lineage(plain, "forever"))
    expired_sub = Lineage(ttl, "expired", ns="child:1")
    await expired_sub.step({"s": 1})
    await _expire(store, "expired")
    await _expire(store, "forever")  # holds no expiry: untouched
    before = await _threads(store)
    assert all("expired" in threads for threads in before.values())

    assert await ttl.asweep_ttl() == 1

    after = await _threads(store)
    assert after == {name: threads - {"expired"} for name, threads in before.items()}
    assert await ttl.aget_tuple(graph_config("expired")) is None
    assert await ttl.aget_tuple(graph_config("alive")) is not None
    assert await plain.asweep_ttl() == 0  # the expiry is the rows', not the saver's


async def test_a_thread_lives_while_any_checkpoint_of_it_has_not_expired(store: Store) -> None:
    ttl, plain = store.langgraph_saver(ttl=HOUR), store.langgraph_saver()
    refreshed = Lineage(ttl, "refreshed")
    await refreshed.step({"a": 1})
    await _expire(store, "refreshed")
    await refreshed.step({"a": 2})  # the newest put decides
    taken_over = Lineage(ttl, "taken-over")
    await taken_over.step({"a": 1})
    await _expire(store, "taken-over")
    taken_over.saver = plain
    await taken_over.step({"a": 2})  # a put without a ttl: never expires
    sub = Lineage(ttl, "in-a-subgraph")
    await sub.step({"a": 1})
    await _expire(store, "in-a-subgraph")
    await Lineage(ttl, "in-a-subgraph", ns="child:1").step({"s": 1})  # any namespace counts

    assert await ttl.asweep_ttl() == 0
    assert (await _threads(store))[store.schema.lg_checkpoints.name] == {
        "refreshed",
        "taken-over",
        "in-a-subgraph",
    }


async def test_putting_the_same_checkpoint_again_renews_its_expiry(store: Store) -> None:
    saver = store.langgraph_saver(ttl=HOUR)
    lineage = Lineage(saver, "t")
    config = await lineage.step({"a": 1})
    await _expire(store, "t")
    tuple_ = await saver.aget_tuple(config)
    assert tuple_ is not None
    await saver.aput(graph_config("t"), tuple_.checkpoint, tuple_.metadata, {})

    [(_, expires)] = await _expiries(store, "t")
    assert expires is not None
    assert expires > dt.datetime.now(dt.UTC)
    assert await saver.asweep_ttl() == 0


async def test_a_thread_written_after_the_plan_is_not_removed(store: Store) -> None:
    """The rule is checked again when it deletes: a put between the plan and the delete
    (a graph still running) keeps the thread."""
    saver = store.langgraph_saver(ttl=HOUR)
    for thread in ("gone", "written-since"):
        await Lineage(saver, thread).step({"a": 1})
        await _expire(store, thread)
    planned = ["gone", "written-since"]  # both expired when the plan was made
    await Lineage(saver, "written-since").step({"a": 2})
    rule = _WholeThreads.expired(VacuumStatements.of(store.table_prefix, store.dialect_name))
    report = VacuumReport()

    async def work(conn: AsyncConnection) -> None:
        params = {"now": dt.datetime.now(dt.UTC), "threads": planned}
        await _remove_whole(conn, store=store, rule=rule, params=params, report=report)

    await store.run(work, atomic=True)

    assert report.langgraph_threads == 1
    assert (await _threads(store))[store.schema.lg_checkpoints.name] == {"written-since"}


async def test_every_vacuum_removes_expired_threads_whatever_its_cutoff(store: Store) -> None:
    ttl = store.langgraph_saver(ttl=HOUR)
    await _thread_with_everything(Lineage(ttl, "expired"))
    await _thread_with_everything(Lineage(ttl, "alive"))
    await _expire(store, "expired")
    before = await _threads(store)

    dry = await store.vacuum(older_than_days=3650, dry_run=True)
    assert await _threads(store) == before
    done = await store.vacuum(older_than_days=3650)

    expected = VacuumReport(
        langgraph_threads=1, langgraph_checkpoints=2, langgraph_writes=1, langgraph_values=3
    )
    assert done.as_dict() == expected.as_dict()
    assert {**dry.as_dict(), "dry_run": False} == done.as_dict()
    assert (await _threads(store))[store.schema.lg_checkpoints.name] == {"alive"}


async def test_expired_and_idle_threads_are_counted_once(store: Store) -> None:
    saver = store.langgraph_saver(ttl=HOUR)
    await Lineage(saver, "both").step({"a": 1})
    await _expire(store, "both")
    cp = store.schema.lg_checkpoints
    old = dt.datetime.now(dt.UTC) - dt.timedelta(days=40)

    async def backdate(conn: AsyncConnection) -> None:
        await conn.execute(cp.update().values(created_at=old))

    await store.run(backdate, atomic=True)

    report = await store.vacuum(older_than_days=30, keep_last=1)

    assert (report.langgraph_threads, report.langgraph_checkpoints) == (1, 1)


async def test_the_sync_sweep_runs_the_same_rule(store: Store) -> None:
    saver = store.langgraph_saver(ttl=HOUR)
    await Lineage(saver, "t").step({"a": 1})
    try:
        assert await asyncio.to_thread(saver.sweep_ttl) == 0
        await _expire(store, "t")
        assert await asyncio.to_thread(saver.sweep_ttl) == 1
        assert await asyncio.to_thread(saver.get_tuple, graph_config("t")) is None
    finally:
        await saver.aclose()


async def test_the_cli_vacuum_removes_expired_threads(
    store: Store, backend: str, tmp_path: Path
) -> None:
    if backend not in ("sqlite", "postgresql", "postgresql-app"):
        pytest.skip(f"{backend} is not reachable from another process")
    saver = store.langgraph_saver(ttl=HOUR)
    await _thread_with_everything(Lineage(saver, "expired"))
    await _expire(store, "expired")

    done = locus_store("vacuum", "--older-than-days", "3650", "--json", *on(store), cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["langgraph_threads"] == 1
    assert await _threads(store) == {name: set() for name in await _threads(store)}
