"""LangGraph's ``task_path`` fits its column on both of Oracle's string sizes.

The column is ``VARCHAR2(2000 CHAR)``: 2000 characters, but never more than 4000
bytes under ``MAX_STRING_SIZE=STANDARD``. Validation refuses what the column would
refuse (ORA-12899), before any SQL, with the same limit on every backend.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from langchain_core.runnables import RunnableConfig

from locus_store import InvalidInputError, Store
from tests.support.oracle.fake_driver import FakeDriver, column_limits

CONFIG: RunnableConfig = {
    "configurable": {"thread_id": "g", "checkpoint_ns": "", "checkpoint_id": "c1"}
}


async def _store(driver: FakeDriver) -> Store:
    store = Store.from_url("oracle+oracledb://app:pw@", async_creator=driver.connect)
    driver.server_rules.append(
        column_limits([store.schema.lg_writes], extended=driver.extended_strings)
    )
    return store


@pytest.fixture(params=[False, True], ids=["standard", "extended"])
async def served(request: pytest.FixtureRequest) -> AsyncIterator[tuple[Store, FakeDriver]]:
    driver = FakeDriver(extended_strings=request.param)
    store = await _store(driver)
    yield store, driver
    await store.close()


@pytest.mark.parametrize(
    "task_path",
    ["a" * 2000, "é" * 2000, "€" * 1333, "agent:" + "x" * 1994],
    ids=["2000-ascii", "2000-two-byte", "3999-bytes", "ascii-path"],
)
async def test_a_task_path_at_the_limit_is_stored(
    served: tuple[Store, FakeDriver], task_path: str
) -> None:
    store, driver = served
    await store.langgraph_saver().aput_writes(CONFIG, [("messages", "x")], "task", task_path)
    (insert,) = [s for s in driver.statements if "locus_lg_writes" in s.sql]
    assert insert.parameters["task_path"] == task_path


@pytest.mark.parametrize(
    "task_path",
    ["€" * 1500, "😀" * 1001, "a" * 2001],
    ids=["4500-bytes", "4004-bytes", "2001-chars"],
)
async def test_a_task_path_the_column_would_refuse_is_refused_before_sql(
    served: tuple[Store, FakeDriver], task_path: str
) -> None:
    store, driver = served
    with pytest.raises(InvalidInputError, match="task_path"):
        await store.langgraph_saver().aput_writes(CONFIG, [("messages", "x")], "task", task_path)
    assert [s for s in driver.statements if "locus_lg_writes" in s.sql] == []
