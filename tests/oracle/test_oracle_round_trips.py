"""Round trips per public operation on Oracle, counted by the fake driver.

Every message python-oracledb thin sends is one round trip (see ``fake_driver``): an
execute, a fetch the execute could not prefetch, a commit, a rollback, an ``ALTER
SESSION``. On Autonomous Database latency is round trips x RTT, so these are the
floors the store must keep: one for each single-statement write, an execute plus at
most one fetch for a read, and no more than its statements for a multi-statement call.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import empty_checkpoint
from locus.core.state import AgentState

from locus_store import ConnectionLostError, Store
from tests.support.oracle.fake_driver import FakeDriver, driver_error, remember_writes

Call = Callable[[Store], Awaitable[Any]]


@pytest.fixture
async def served() -> AsyncIterator[tuple[Store, FakeDriver]]:
    driver = FakeDriver()
    store = Store.from_url("oracle+oracledb://app:pw@", async_creator=driver.connect)
    s = store.schema
    driver.server_rules.append(remember_writes([s.threads, s.checkpoints, s.writes]))
    await store.latest().save(AgentState(run_id="warm-up"), "warm-up")  # first connect
    yield store, driver
    await store.close()


def _graph_config(checkpoint_id: str | None = None) -> RunnableConfig:
    configurable: dict[str, Any] = {"thread_id": "g", "checkpoint_ns": ""}
    if checkpoint_id is not None:
        configurable["checkpoint_id"] = checkpoint_id
    return {"configurable": configurable}


async def _langgraph_put(store: Store) -> Any:
    saver = store.langgraph_saver()
    checkpoint = empty_checkpoint()
    checkpoint["channel_values"] = {"messages": ["hi"]}
    return await saver.aput(_graph_config(), checkpoint, {"step": 1}, {"messages": "1"})


async def _langgraph_writes(store: Store) -> None:
    await store.langgraph_saver().aput_writes(_graph_config("c1"), [("messages", "x")], "task-1")


async def _langgraph_special_writes(store: Store) -> None:
    writes = [("__error__", "boom"), ("messages", "x")]
    await store.langgraph_saver().aput_writes(_graph_config("c1"), writes, "task-1")


async def _put_writes(store: Store) -> None:
    await store.versioned().put_writes(
        thread_id="t", checkpoint_id="c1", task_id="k", writes=[("a", 1), ("b", 2)]
    )


#: (operation, at most this many round trips)
FLOORS: dict[str, tuple[Call, int]] = {
    "latest.save": (lambda s: s.latest().save(AgentState(run_id="r"), "t1"), 1),
    "latest.load": (lambda s: s.latest().load("warm-up"), 2),
    "latest.get_metadata": (lambda s: s.latest().get_metadata("warm-up"), 2),
    "latest.delete": (lambda s: s.latest().delete("t1"), 1),
    "versioned.put": (
        lambda s: s.versioned().put(thread_id="t", checkpoint_id="c9", checkpoint_data={}),
        1,
    ),
    "versioned.get": (lambda s: s.versioned().get(thread_id="t"), 2),
    "versioned.list_checkpoints": (lambda s: s.versioned().list_checkpoints(thread_id="t"), 2),
    "versioned.put_writes": (_put_writes, 2),
    "agent_checkpointer.save": (
        lambda s: s.versioned().as_checkpointer().save(AgentState(run_id="r"), "t2"),
        1,
    ),
    "langgraph.aget_tuple": (lambda s: s.langgraph_saver().aget_tuple(_graph_config()), 2),
    "langgraph.aput": (_langgraph_put, 2),
    "langgraph.aput_writes": (_langgraph_writes, 1),
    "langgraph.aput_writes (special)": (_langgraph_special_writes, 2),
}


@pytest.mark.parametrize("name", FLOORS)
async def test_each_operation_stays_at_its_round_trip_floor(
    served: tuple[Store, FakeDriver], name: str
) -> None:
    store, driver = served
    call, floor = FLOORS[name]
    driver.reset_trips()
    await call(store)
    trips = driver.store_trips
    assert len(trips) <= floor, [(kind, sql[:60]) for kind, sql in trips]
    assert not [kind for kind, _ in trips if kind in ("rollback", "ping")]
    assert not [sql for _, sql in trips if "ALTER SESSION" in sql]


@pytest.mark.parametrize("name", FLOORS)
async def test_no_operation_leaves_a_transaction_open_in_the_pool(
    served: tuple[Store, FakeDriver], name: str
) -> None:
    store, driver = served
    call, _ = FLOORS[name]
    await call(store)
    assert driver.open_transactions == []


async def test_a_failing_last_statement_rolls_the_whole_call_back(
    served: tuple[Store, FakeDriver],
) -> None:
    store, driver = served

    def fail_on_trim(sql: str) -> BaseException | None:
        if sql.startswith("DELETE FROM locus_writes"):
            return driver_error("ORA-00060: deadlock detected while waiting for resource", 60)
        return None

    driver.fail_with = fail_on_trim
    driver.reset_trips()
    with pytest.raises(Exception, match="ORA-00060"):
        await _put_writes(store)
    kinds = [kind for kind, _ in driver.store_trips]
    assert kinds == ["execute", "execute", "rollback"], driver.store_trips
    assert driver.open_transactions == []


def _lose_connection_once_on(prefix: str) -> Any:
    lost: list[str] = []

    def fail(sql: str) -> BaseException | None:
        if sql.startswith(prefix) and not lost:
            lost.append(sql)
            return driver_error("ORA-03113: end-of-file on communication channel", 3113)
        return None

    return fail


async def test_a_connection_lost_on_the_statement_carrying_the_commit_is_an_unknown_outcome(
    served: tuple[Store, FakeDriver],
) -> None:
    store, driver = served
    driver.fail_with = _lose_connection_once_on("DELETE FROM locus_writes")
    with pytest.raises(ConnectionLostError, match="may or may not have been applied"):
        await _put_writes(store)


async def test_a_connection_lost_before_the_commit_is_retried_on_a_fresh_one(
    served: tuple[Store, FakeDriver],
) -> None:
    store, driver = served
    driver.fail_with = _lose_connection_once_on("MERGE INTO locus_writes")
    connections = len(driver.connections)
    await _put_writes(store)
    assert len(driver.connections) == connections + 1
    assert driver.open_transactions == []
