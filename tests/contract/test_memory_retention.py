"""Memory retention: expired items vanish at once and go with the sweep, and ``vacuum``."""

from __future__ import annotations

import asyncio
import datetime as dt

from locus_store import Store
from locus_store.memory.items import ItemPut, MemoryItems
from tests.support.backends import MEMORY_TEST_DIMS

SHORT = dt.timedelta(milliseconds=300)
USER = ("users", "u1")


def _vector(i: int) -> list[float]:
    return [1.0 if d == i % MEMORY_TEST_DIMS else 0.0 for d in range(MEMORY_TEST_DIMS)]


async def test_an_expired_item_is_invisible_before_any_sweep(store: Store) -> None:
    items = MemoryItems(store)
    await items.put([ItemPut(USER, "soon", {"t": "gone soon"}, ttl=SHORT)])
    await items.put([ItemPut(USER, "kept", {"t": "stays"})])
    assert set(await items.keys(USER)) == {"soon", "kept"}
    await asyncio.sleep(SHORT.total_seconds() + 0.1)
    assert await items.keys(USER) == ["kept"]
    assert (USER, "soon") not in await items.get([(USER, "soon")])
    assert [r.key for r in (await items.text_search([USER], "gone"))[0]] == []


async def test_vacuum_dry_run_counts_expired_items_and_vacuum_removes_them(store: Store) -> None:
    items = MemoryItems(store)
    await items.put([ItemPut(USER, f"k{i}", {"i": i}, ttl=SHORT) for i in range(3)])
    await items.put([ItemPut(("other",), "kept", {"i": 9})])
    await asyncio.sleep(SHORT.total_seconds() + 0.1)
    dry = await store.vacuum(older_than_days=3650, dry_run=True)
    assert (dry.memory_items, dry.dry_run) == (3, True)
    done = await store.vacuum(older_than_days=3650)
    assert done.memory_items == 3
    assert "3 expired items" in done.summary()
    assert (await store.vacuum(older_than_days=3650, dry_run=True)).memory_items == 0
    assert await items.keys(("other",)) == ["kept"]


async def test_a_refreshing_read_pushes_the_expiry_forward(store: Store) -> None:
    items = MemoryItems(store)
    ttl = dt.timedelta(seconds=2)
    await items.put([ItemPut(USER, "k", {"t": 1}, ttl=ttl)])
    first = (await items.get([(USER, "k")]))[(USER, "k")].expires_at
    assert first is not None
    await asyncio.sleep(0.2)
    await items.get([(USER, "k")], refresh_ttl=True)
    later = (await items.get([(USER, "k")]))[(USER, "k")].expires_at
    assert later is not None
    assert later > first


async def test_vectors_of_an_older_value_stop_answering_and_the_sweep_removes_them(
    vector_store: Store,
) -> None:
    items = MemoryItems(vector_store)
    await items.put([ItemPut(USER, "k", {"t": "old"}, embeddings={"$": _vector(0)})])
    await items.put([ItemPut(USER, "k", {"t": "new"})])  # no vectors this time
    found = await items.vector_search([USER], _vector(0))
    assert found == [[]]
    assert await items.embeddings(USER, "k") == {}
    assert (await items.sweep(dry_run=True)).vectors == 1
    assert (await items.sweep()).vectors == 1
    assert (await items.sweep(dry_run=True)).vectors == 0
