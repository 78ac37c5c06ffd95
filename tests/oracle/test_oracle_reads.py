"""What the store reads back on Oracle, through the fake driver's fetch path.

The fake keeps each row as the server would store it from the statement the store
sent (``remember_writes``): timestamps with the zone the statement named, JSON as
OSON. Reads then go through SQLAlchemy's output type handlers and the driver's own
OSON decoder, so a read that a real server and python-oracledb thin would refuse
fails here too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest
from locus.core.state import AgentState

from locus_store import Store
from tests.support.oracle.fake_driver import FakeDriver, remember_writes
from tests.support.states import PAYLOAD_SIZES, large_state

SIZES = PAYLOAD_SIZES


@pytest.fixture
async def served() -> AsyncIterator[tuple[Store, FakeDriver]]:
    driver = FakeDriver()
    store = Store.from_url("oracle+oracledb://app:pw@", async_creator=driver.connect)
    schema = store.schema
    driver.server_rules.append(
        remember_writes([schema.threads, schema.checkpoints, schema.writes, schema.lg_checkpoints])
    )
    yield store, driver
    await store.close()


def _state(size: int = 100) -> AgentState:
    return large_state(size)


def _recent(stamp: str | dt.datetime) -> bool:
    value = dt.datetime.fromisoformat(stamp) if isinstance(stamp, str) else stamp
    return value.tzinfo is not None and abs(value - dt.datetime.now(dt.UTC)) < dt.timedelta(
        minutes=5
    )


async def test_single_row_timestamps_read_back_as_the_instant_saved(
    served: tuple[Store, FakeDriver],
) -> None:
    store, _ = served
    checkpointer = store.latest()
    await checkpointer.save(_state(), "t1", metadata={"k": "v"})
    record = await checkpointer.get_metadata("t1")
    assert record is not None
    assert _recent(record["created_at"])
    assert _recent(record["updated_at"])
    listed = await checkpointer.list_with_metadata()
    assert [row["thread_id"] for row in listed] == ["t1"]


async def test_single_row_ttl_timestamps_read_back(served: tuple[Store, FakeDriver]) -> None:
    store, _ = served
    checkpointer = store.latest(ttl=dt.timedelta(hours=1))
    await checkpointer.save(_state(), "t1")
    record = await checkpointer.get_metadata("t1")
    assert record is not None
    assert record["expires_at"] is not None
    expires = dt.datetime.fromisoformat(record["expires_at"])
    assert dt.timedelta(minutes=55) < expires - dt.datetime.now(dt.UTC) < dt.timedelta(hours=1)


async def test_versioned_reads_carry_the_creation_time(served: tuple[Store, FakeDriver]) -> None:
    store, _ = served
    saver = store.versioned()
    await saver.put(thread_id="t1", checkpoint_id="c1", checkpoint_data={"n": 1})
    got = await saver.get(thread_id="t1")
    assert got is not None
    assert got["checkpoint"] == {"n": 1}
    assert _recent(got["created_at"])


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
async def test_large_states_load_through_the_native_json_fetch(
    served: tuple[Store, FakeDriver], size: int
) -> None:
    store, _ = served
    checkpointer = store.latest()
    state = _state(size)
    await checkpointer.save(state, "big", metadata={"size": size, "note": "x" * 40_000})
    loaded = await checkpointer.load("big")
    assert loaded == state
    record = await checkpointer.get_metadata("big")
    assert record is not None
    assert record["metadata"]["note"] == "x" * 40_000


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
async def test_large_versioned_checkpoints_read_back(
    served: tuple[Store, FakeDriver], size: int
) -> None:
    store, _ = served
    saver = store.versioned()
    document = _state(size).to_checkpoint()
    await saver.put(thread_id="t1", checkpoint_id="c1", checkpoint_data=document)
    got = await saver.get(thread_id="t1", checkpoint_id="c1")
    assert got is not None
    assert got["checkpoint"] == document


async def test_json_numbers_are_python_numbers_once_read(served: tuple[Store, FakeDriver]) -> None:
    store, _ = served
    saver = store.versioned()
    document = {"i": 2, "f": 0.5, "big": 10**30, "neg": [-1.25], "deep": {"x": [{"y": 3}]}}
    await saver.put(thread_id="t1", checkpoint_id="c1", checkpoint_data=document)
    got = await saver.get(thread_id="t1")
    assert got is not None
    assert got["checkpoint"] == document
    assert type(got["checkpoint"]["i"]) is int
    assert type(got["checkpoint"]["f"]) is float
