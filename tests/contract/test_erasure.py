"""`Store.erase_thread`: one thread removed from every table, in one transaction."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import sqlalchemy as sa
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import empty_checkpoint

from locus_store import (
    CheckpointNotFoundError,
    InvalidInputError,
    ParentNotFoundError,
    Store,
)
from locus_store.ops.erase import ErasureStatements
from tests.support.erasure import EVERY_TABLE, fill, rows_of


async def test_erase_thread_removes_every_table_of_that_thread_only(store: Store) -> None:
    await fill(store, "gone")
    await fill(store, "kept")
    report = await store.erase_thread("gone")
    assert report == EVERY_TABLE
    assert report.total == 13
    assert report
    assert set((await rows_of(store, "gone")).values()) == {0}
    assert await rows_of(store, "kept") == {
        k: v for k, v in EVERY_TABLE.as_dict().items() if k != "total"
    }
    assert await store.latest().load("gone") is None
    assert await store.latest().load("kept") is not None


async def test_erase_thread_dry_run_counts_exactly_and_deletes_nothing(store: Store) -> None:
    await fill(store, "gone")
    assert await store.erase_thread("gone", dry_run=True) == EVERY_TABLE
    assert await rows_of(store, "gone") == {
        k: v for k, v in EVERY_TABLE.as_dict().items() if k != "total"
    }


async def test_erase_unknown_thread_reports_nothing(store: Store) -> None:
    await fill(store, "kept")
    report = await store.erase_thread("never-saved")
    assert not report
    assert report.total == 0
    assert (await rows_of(store, "kept"))["langgraph_blobs"] == 3


async def test_erase_thread_is_one_transaction(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    await fill(store, "gone")
    real = ErasureStatements.of(store.schema.prefix, store.dialect)
    deletes = dict(real.deletes)
    deletes["langgraph_blobs"] = sa.delete(sa.table("no_such_table_for_erasure"))
    broken = ErasureStatements(deletes, real.counts)
    monkeypatch.setattr(ErasureStatements, "of", classmethod(lambda *_: broken))
    with pytest.raises(sa.exc.DBAPIError):
        await store.erase_thread("gone")
    assert await rows_of(store, "gone") == {
        k: v for k, v in EVERY_TABLE.as_dict().items() if k != "total"
    }


async def test_erase_thread_refuses_a_bad_id_before_any_sql(store: Store) -> None:
    with pytest.raises(InvalidInputError):
        await store.erase_thread("")


async def test_erase_thread_logs_counts_never_the_id(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    await fill(store, "secret-user-42")
    with caplog.at_level(logging.INFO, logger="locus_store"):
        await store.erase_thread("secret-user-42")
    messages = [r.getMessage() for r in caplog.records if r.name == "locus_store"]
    assert messages == [
        "erased 13 rows of one thread: threads 1, checkpoints 2, writes 3, "
        "langgraph_checkpoints 2, langgraph_writes 2, langgraph_blobs 3"
    ]
    assert all("secret" not in r.getMessage() for r in caplog.records)


def _graph_config(thread: str, checkpoint_id: str | None = None) -> RunnableConfig:
    configurable: dict[str, Any] = {"thread_id": thread, "checkpoint_ns": ""}
    if checkpoint_id is not None:
        configurable["checkpoint_id"] = checkpoint_id
    return {"configurable": configurable}


async def test_versioned_writes_after_erasure_are_refused_whole(store: Store) -> None:
    await fill(store, "gone")
    await store.erase_thread("gone")
    with pytest.raises(CheckpointNotFoundError, match="'v2'"):
        await store.versioned().put_writes(
            thread_id="gone", checkpoint_id="v2", task_id="t", writes=[("a", 1), ("b", 2)]
        )
    assert (await rows_of(store, "gone"))["writes"] == 0


async def test_versioned_child_after_erasure_is_refused_and_a_root_starts_again(
    store: Store,
) -> None:
    await fill(store, "gone")
    await store.erase_thread("gone")
    versioned = store.versioned()
    with pytest.raises(ParentNotFoundError):
        await versioned.put(
            thread_id="gone", checkpoint_id="v3", checkpoint_data={}, parent_checkpoint_id="v2"
        )
    await versioned.put(thread_id="gone", checkpoint_id="r1", checkpoint_data={"n": 1})
    await versioned.put_writes(thread_id="gone", checkpoint_id="r1", task_id="t", writes=[("a", 1)])
    assert [c["checkpoint_id"] for c in await versioned.list_checkpoints(thread_id="gone")] == [
        "r1"
    ]


async def test_langgraph_writes_and_child_after_erasure_are_refused(store: Store) -> None:
    await fill(store, "gone")
    saver = store.langgraph_saver()
    saver.first_checkpoint_wait = 0.05  # no first checkpoint is on its way here
    latest = await saver.aget_tuple(_graph_config("gone"))
    assert latest is not None
    await store.erase_thread("gone")
    with pytest.raises(CheckpointNotFoundError, match="'gone'"):
        await saver.aput_writes(latest.config, [("a", "late")], "task")
    child = empty_checkpoint()
    child["channel_values"] = {"a": "late"}
    child["channel_versions"] = {"a": "9"}
    with pytest.raises(CheckpointNotFoundError, match="'gone'"):
        await saver.aput(latest.config, child, {"source": "loop", "step": 9}, {"a": "9"})
    assert set((await rows_of(store, "gone")).values()) == {0}  # no value left behind either


async def test_langgraph_root_after_erasure_starts_the_thread_again_whole(store: Store) -> None:
    await fill(store, "gone")
    await store.erase_thread("gone")
    saver = store.langgraph_saver()
    root = empty_checkpoint()
    root["channel_values"] = {"a": "new run"}
    root["channel_versions"] = {"a": "1"}
    config = await saver.aput(
        _graph_config("gone"), root, {"source": "input", "step": -1}, {"a": "1"}
    )
    await saver.aput_writes(config, [("a", "pending")], "task")
    found = await saver.aget_tuple(_graph_config("gone"))
    assert found is not None
    assert found.parent_config is None
    assert found.checkpoint["channel_values"] == {"a": "new run"}
    assert [w[1:] for w in found.pending_writes or []] == [("a", "pending")]
