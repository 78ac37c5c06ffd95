"""What the reading commands print: every contract's checkpoints, labelled scores, UTC times."""

from __future__ import annotations

from typing import Any

import pytest
from langgraph.checkpoint.base import Checkpoint, empty_checkpoint

from locus_store import Store
from locus_store.cli.app import Exit
from tests.support.cli import Cli, on
from tests.support.states import conversation

#: What ``search`` says its scores are, per backend of the ``store`` fixture.
SCORE_LABELS = {
    "sqlite": "-bm25",
    "postgresql": "ts_rank",
    "postgresql-app": "ts_rank",
    "oracle": "0-100",
}


async def _graph_checkpoint(store: Store, thread_id: str) -> dict[str, Any]:
    """One LangGraph checkpoint with two channels and a pending write; its config."""
    graph = store.langgraph_saver()
    checkpoint: Checkpoint = empty_checkpoint()
    checkpoint["channel_values"] = {"question": "why?", "count": 3}
    checkpoint["channel_versions"] = {"question": "1", "count": "1"}
    config = await graph.aput(
        {"configurable": {"thread_id": thread_id, "checkpoint_ns": ""}},
        checkpoint,
        {"source": "input", "step": -1},
        {"question": "1", "count": "1"},
    )
    await graph.aput_writes(config, [("answer", "because")], task_id="node-a")
    return dict(config["configurable"])


async def test_show_prints_a_langgraph_thread(store: Store, cli: Cli) -> None:
    configurable = await _graph_checkpoint(store, "graph-1")

    shown = cli("show", "graph-1", *on(store))
    assert shown.code == Exit.OK, shown.err
    assert f"{configurable['checkpoint_id']} (langgraph)" in shown.out
    assert "question: 'why?'" in shown.out
    assert "count: 3" in shown.out

    document = cli("show", "graph-1", configurable["checkpoint_id"], "--json", *on(store)).json()
    assert document["source"] == "langgraph"
    assert document["state"]["channel_values"] == {"question": "why?", "count": 3}
    assert document["metadata"]["source"] == "input"
    assert [w["channel"] for w in document["writes"]] == ["answer"]


async def test_show_accepts_every_checkpoint_history_lists(store: Store, cli: Cli) -> None:
    await store.latest().save(conversation("hello"), "t1", checkpoint_id="current")
    versions = store.versioned()
    await versions.put(thread_id="t1", checkpoint_id="v1", checkpoint_data={"n": 1})
    await versions.put(
        thread_id="t1", checkpoint_id="root", checkpoint_data={"sub": 1}, checkpoint_ns=""
    )
    await versions.put(
        thread_id="t1", checkpoint_id="l1", checkpoint_data={"live": 1}, checkpoint_ns="live"
    )
    await _graph_checkpoint(store, "t1")

    listed = cli("history", "t1", "--json", *on(store)).json()
    assert {e["kind"] for e in listed} == {"latest", "versioned", "langgraph"}
    for entry in listed:
        shown = cli("show", "t1", entry["checkpoint_id"], "--json", *on(store))
        assert shown.code == Exit.OK, (entry, shown.err)
        assert shown.json()["source"] == entry["kind"]
        assert shown.json()["checkpoint_ns"] == entry["checkpoint_ns"]


async def test_show_of_a_thread_only_in_another_namespace_finds_it(store: Store, cli: Cli) -> None:
    await store.versioned().put(
        thread_id="t1", checkpoint_id="l1", checkpoint_data={"live": 1}, checkpoint_ns="live"
    )
    document = cli("show", "t1", "--json", *on(store)).json()
    assert (document["checkpoint_id"], document["checkpoint_ns"]) == ("l1", "live")
    refused = cli("show", "t1", "--ns", "default", *on(store))
    assert refused.code == Exit.NOT_FOUND
    assert "namespace 'default'" in refused.err


async def test_show_of_an_unknown_thread_reads_well(store: Store, cli: Cli) -> None:
    result = cli("show", "ghost", *on(store))
    assert result.code == Exit.NOT_FOUND
    assert "thread 'ghost' has no checkpoint" in result.err
    assert "no a checkpoint" not in result.err


async def test_search_labels_its_scores_with_the_backends_ranking(
    store: Store, cli: Cli, backend: str
) -> None:
    await store.latest().save(conversation("my parcel is late"), "t1")
    table = cli("search", "parcel", *on(store))
    assert f"SCORE ({SCORE_LABELS[backend]})" in table.out.splitlines()[0]
    [hit] = cli("search", "parcel", "--json", *on(store)).json()
    assert hit["score_kind"] == SCORE_LABELS[backend]


async def test_timestamps_are_labelled_utc(store: Store, cli: Cli) -> None:
    await store.latest().save(conversation("my parcel is late"), "t1")
    for argv in (("threads",), ("history", "t1"), ("search", "parcel")):
        header = cli(*argv, *on(store)).out.splitlines()[0]
        assert "(UTC)" in header, argv
    shown = cli("show", "t1", *on(store)).out.splitlines()
    [created] = [line for line in shown if line.startswith("created")]
    assert created.endswith(" UTC")


@pytest.mark.parametrize("stamp", ["2026-01-02T03:04:05+02:00", "2026-01-02T01:04:05+00:00"])
def test_a_shown_timestamp_is_converted_to_utc(stamp: str) -> None:
    from locus_store.cli.commands import _when

    assert _when(stamp) == "2026-01-02 01:04:05"


async def test_show_of_a_langgraph_thread_without_the_extra_names_its_channels(
    store: Store, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _graph_checkpoint(store, "graph-1")

    def not_installed(self: Store, **_: Any) -> Any:
        raise ImportError("No module named 'langgraph'", name="langgraph")

    monkeypatch.setattr(Store, "langgraph_saver", not_installed)
    shown = cli("show", "graph-1", *on(store))
    assert shown.code == Exit.OK, shown.err
    assert "the langgraph extra is not installed" in shown.out
    [channels] = [line for line in shown.out.splitlines() if line.startswith("channels:")]
    assert "question" in channels
    assert "count" in channels
