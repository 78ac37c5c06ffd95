"""Hostile ids and table prefixes: refused with a typed error before any SQL, or stored exactly.

Every id argument of every public method of the three repositories gets every bad
value (empty, 10 KB, NUL, lone surrogate, the reserved sentinel, non-strings): each
call raises ``InvalidInputError`` or ``InvalidTypeError``, no statement reaches the
driver, and every row stored before is still there, unchanged. Ids that merely look
dangerous (SQL, JSON paths, wildcards, control and bidi characters) round-trip.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
import sqlalchemy as sa

from locus_store import InvalidPrefixError, LocusStoreError, Store
from locus_store.latest.checkpointer import LatestCheckpointer
from locus_store.schema.tables import schema_for
from locus_store.versioned.checkpointer import VersionedCheckpointer
from locus_store.versioned.saver import VersionedSaver
from tests.support.database import snapshot, statements_sent
from tests.support.reliability.hostile import (
    BAD_IDS,
    HOSTILE_IDS,
    ID_SLOTS,
    NO_ID_ARGUMENT,
    OPTIONAL_SLOTS,
    Repos,
    state,
)

KEPT = state("kept")


async def seed(repos: Repos) -> None:
    """One row of each kind, so that a refused call has something it could have damaged."""
    await repos.latest.save(KEPT, "seed", checkpoint_id="l1", metadata={"k": "v"})
    await repos.saver.put(thread_id="seed", checkpoint_id="s1", checkpoint_data={"n": 1})
    await repos.saver.put_writes(
        thread_id="seed", checkpoint_id="s1", task_id="k", writes=[("ch", "kept")]
    )


def test_every_public_method_of_every_repository_is_covered() -> None:
    classes = {"latest": LatestCheckpointer, "saver": VersionedSaver, "view": VersionedCheckpointer}
    public = {
        f"{prefix}.{name}"
        for prefix, cls in classes.items()
        for name, member in inspect.getmembers(cls)
        if not name.startswith("_") and inspect.iscoroutinefunction(member)
    }
    covered = {slot.split("/")[0] for slot in ID_SLOTS} | set(NO_ID_ARGUMENT)
    assert public == covered


@pytest.mark.parametrize("slot", ID_SLOTS)
async def test_a_bad_id_is_refused_before_any_sql_and_changes_nothing(
    store: Store, slot: str
) -> None:
    repos = Repos.of(store)
    await seed(repos)
    before = await snapshot(store)
    call, empty_allowed = ID_SLOTS[slot]
    refused = 0
    for name, (value, error) in BAD_IDS.items():
        if (value == "" and empty_allowed) or (value is None and slot in OPTIONAL_SLOTS):
            continue
        with statements_sent(store) as sent, pytest.raises(error) as info:
            await call(repos, value)
        assert sent.statements == [], (slot, name)
        assert isinstance(info.value, LocusStoreError), (slot, name)
        refused += 1
    assert refused >= len(BAD_IDS) - 2
    assert await snapshot(store) == before


@pytest.mark.parametrize("thread_id", HOSTILE_IDS)
async def test_an_id_that_looks_like_sql_or_a_path_round_trips_exactly(
    store: Store, thread_id: str
) -> None:
    repos = Repos.of(store)
    await seed(repos)
    saved = state(thread_id)
    await repos.latest.save(saved, thread_id, checkpoint_id=thread_id)
    assert await repos.latest.load(thread_id, thread_id) == saved
    assert thread_id in await repos.latest.list_threads(pattern=thread_id)
    await repos.saver.put(thread_id=thread_id, checkpoint_id=thread_id, checkpoint_data={})
    await repos.saver.put_writes(
        thread_id=thread_id, checkpoint_id=thread_id, task_id=thread_id, writes=[(thread_id, 1)]
    )
    stored = await repos.saver.get(thread_id=thread_id, checkpoint_id=thread_id)
    assert stored is not None
    assert stored["checkpoint_id"] == thread_id
    writes = await repos.saver.get_writes(thread_id=thread_id, checkpoint_id=thread_id)
    assert writes == [{"task_id": thread_id, "idx": 0, "channel": thread_id, "value": 1}]
    assert thread_id in await repos.saver.list_threads(limit=1000)
    # The seeded rows are still the only other ones, untouched.
    assert await repos.latest.load("seed") == KEPT
    assert sorted(await repos.latest.list_threads(limit=100)) == sorted({"seed", thread_id})
    assert await repos.saver.checkpoint_ids(thread_id="seed") == ["s1"]


BAD_PREFIXES = [
    "x; DROP TABLE y",
    "x--",
    "locus_threads; --",
    "X",
    "1abc",
    "",
    "a" * 49,
    "ünï",
    "a b",
    'a"b',
    "a\x00",
]


@pytest.mark.parametrize("prefix", BAD_PREFIXES)
def test_a_bad_table_prefix_is_refused_before_an_engine_exists(prefix: str, tmp_path: Path) -> None:
    database = tmp_path / "never.db"
    with pytest.raises(InvalidPrefixError):
        Store.from_url(f"sqlite:///{database}", table_prefix=prefix)
    with pytest.raises(InvalidPrefixError):
        schema_for(prefix)
    assert not database.exists()


@pytest.mark.parametrize("prefix", BAD_PREFIXES[:3])
async def test_a_bad_table_prefix_on_an_existing_engine_sends_nothing(
    store: Store, prefix: str
) -> None:
    before = await snapshot(store)
    with statements_sent(store) as sent, pytest.raises(InvalidPrefixError):
        Store(store.engine, table_prefix=prefix)
    assert sent.statements == []
    assert await snapshot(store) == before


async def test_a_prefix_that_is_not_a_string_is_a_type_error(store: Store) -> None:
    with pytest.raises(InvalidPrefixError, match="must be a string"):
        Store(store.engine, table_prefix=sa.text("x"))  # type: ignore[arg-type]
