"""Export then import loses nothing: SQLite -> PostgreSQL -> SQLite, byte for byte."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from langgraph.checkpoint.base import Checkpoint, empty_checkpoint

from locus_store import Store
from locus_store.cli.app import Exit
from locus_store.ops.statements import record_tables
from locus_store.ops.transfer import FORMAT
from tests.support.backends import Target
from tests.support.cli import Cli, on
from tests.support.database import empty_tables
from tests.support.states import conversation

UNUSUAL_THREAD = 'ticket 42 — «ünïcode» "quoted" \\ back/slash %_'


@pytest.fixture
async def stores(migrated: dict[str, tuple[Target, str]]) -> AsyncIterator[tuple[Store, Store]]:
    """The session's migrated SQLite and PostgreSQL stores, emptied."""
    opened = []
    for backend in ("sqlite", "postgresql"):
        target, prefix = migrated[backend]
        store = Store.from_settings(target.settings, table_prefix=prefix)
        await empty_tables(store)
        opened.append(store)
    try:
        yield opened[0], opened[1]
    finally:
        for store in opened:
            await empty_tables(store)
            await store.close()


async def _fill(store: Store) -> dict[str, Any]:
    """Rows in every table: TTL, unusual ids, both namespaces, writes, LangGraph values."""
    states = {
        "t1": conversation(
            "where is my parcel?", "tomorrow, 09:00\u201312:00 \u2713", "thanks\nbye"
        ),
        UNUSUAL_THREAD: conversation("ça va ? 你好 🙂"),
    }
    await store.latest(ttl=dt.timedelta(days=7)).save(
        states["t1"],
        "t1",
        metadata={"user": {"id": 12345678901234567, "tags": ["vip", None]}, "score": 0.1},
    )
    await store.latest().save(states[UNUSUAL_THREAD], UNUSUAL_THREAD)
    saver = store.versioned()
    await saver.put(thread_id="t1", checkpoint_id="a", checkpoint_data={"step": 1, "x": 1.5})
    await saver.put(
        thread_id="t1",
        checkpoint_id="b",
        checkpoint_data={"step": 2, "nested": {"deep": [1, {"y": "z"}]}},
        parent_checkpoint_id="a",
        metadata={"source": "loop"},
    )
    await saver.put(
        thread_id="t1", checkpoint_id="root", checkpoint_data={"sub": True}, checkpoint_ns=""
    )
    await saver.put_writes(
        thread_id="t1",
        checkpoint_id="b",
        task_id="task-1",
        writes=[("messages", ["hi", "there"]), ("empty", None), ("text", "line\nline")],
    )
    await saver.put(thread_id="lineage-only", checkpoint_id="v1", checkpoint_data={"only": 1})

    graph = store.langgraph_saver()
    checkpoint: Checkpoint = empty_checkpoint()
    checkpoint["channel_values"] = {"question": "why?", "count": 3}
    checkpoint["channel_versions"] = {"question": "1", "count": "1"}
    config = await graph.aput(
        {"configurable": {"thread_id": "graph-1", "checkpoint_ns": ""}},
        checkpoint,
        {"source": "input", "step": -1},
        {"question": "1", "count": "1"},
    )
    await graph.aput_writes(config, [("answer", "because"), ("count", 4)], task_id="node-a")
    return {"states": states, "graph_config": config, "checkpoint": checkpoint}


def _body(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[0])["format"] == FORMAT
    return lines[1:]


async def test_export_import_sqlite_to_postgresql_and_back_is_byte_for_byte(
    stores: tuple[Store, Store], cli: Cli, tmp_path: Path
) -> None:
    sqlite, postgresql = stores
    data = await _fill(sqlite)
    first, second, third = (tmp_path / f"{n}.jsonl" for n in ("first", "second", "third"))

    assert cli("export", "-o", str(first), *on(sqlite)).code == Exit.OK
    assert cli("import", str(first), *on(postgresql)).code == Exit.OK
    assert cli("export", "-o", str(second), *on(postgresql)).code == Exit.OK
    await empty_tables(sqlite)
    assert cli("import", str(second), *on(sqlite)).code == Exit.OK
    assert cli("export", "-o", str(third), *on(sqlite)).code == Exit.OK

    assert _body(first) == _body(second) == _body(third)
    kinds = [json.loads(line)["kind"] for line in _body(first)]
    assert {k: kinds.count(k) for k in set(kinds)} == {
        "thread": 2,
        "checkpoint": 4,
        "write": 3,
        "lg_checkpoint": 1,
        "lg_blob": 2,
        "lg_write": 2,
    }

    for store in (postgresql, sqlite):
        for thread, state in data["states"].items():
            assert await store.latest().load(thread) == state
        record = await store.latest().get_metadata("t1")
        assert record is not None
        assert record["expires_at"] is not None
        assert record["metadata"]["user"]["id"] == 12345678901234567
        lineage = await store.versioned().list_checkpoints(thread_id="t1")
        assert [(c["checkpoint_id"], c["parent_checkpoint_id"]) for c in lineage] == [
            ("b", "a"),
            ("a", None),
        ]
        writes = await store.versioned().get_writes(thread_id="t1", checkpoint_id="b")
        assert [w["value"] for w in writes] == [["hi", "there"], None, "line\nline"]
        assert await store.latest().search("parcel") != []
        graph = store.langgraph_saver()
        restored = await graph.aget_tuple(data["graph_config"])
        assert restored is not None
        assert restored.checkpoint["channel_values"] == {"question": "why?", "count": 3}
        assert sorted(w[1:] for w in restored.pending_writes or []) == [
            ("answer", "because"),
            ("count", 4),
        ]


async def test_export_of_named_threads_holds_only_those(
    stores: tuple[Store, Store], cli: Cli, tmp_path: Path
) -> None:
    sqlite, _ = stores
    await _fill(sqlite)
    dump = tmp_path / "some.jsonl"
    assert cli("export", "t1", "graph-1", "-o", str(dump), *on(sqlite)).code == Exit.OK
    threads = {json.loads(line)["thread_id"] for line in _body(dump)}
    assert threads == {"t1", "graph-1"}


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json", "line 2: not JSON"),
        ('{"kind": "nope", "thread_id": "t"}', "line 2: unknown record kind 'nope'"),
        (
            '{"kind": "write", "thread_id": "t", "checkpoint_ns": "", "checkpoint_id": "c",'
            ' "task_id": "x", "idx": "1", "channel": "c", "value": null}',
            "line 2: idx: not an integer",
        ),
        (
            '{"kind": "thread", "thread_id": "t", "checkpoint_id": "c", "state": {},'
            ' "metadata": null, "created_at": "yesterday", "updated_at": null,'
            ' "expires_at": null}',
            "line 2: created_at",
        ),
    ],
)
async def test_a_bad_file_is_refused_with_its_line_before_anything_is_written(
    stores: tuple[Store, Store], cli: Cli, tmp_path: Path, line: str, message: str
) -> None:
    sqlite, _ = stores
    header = json.dumps({"format": FORMAT, "version": 1})
    good = dict(
        kind="checkpoint",
        thread_id="first",
        checkpoint_ns="default",
        checkpoint_id="c",
        seq=1,
        parent_checkpoint_id=None,
        checkpoint={},
        metadata={},
        created_at="2026-01-01T00:00:00.000000+00:00",
    )
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join([header, line, json.dumps(good)]) + "\n", encoding="utf-8")
    result = cli("import", str(bad), *on(sqlite))
    assert result.code == Exit.USAGE
    assert message in result.err
    assert await sqlite.versioned().get(thread_id="first") is None


async def test_a_file_of_another_format_version_is_refused(
    stores: tuple[Store, Store], cli: Cli, tmp_path: Path
) -> None:
    sqlite, _ = stores
    future = tmp_path / "future.jsonl"
    future.write_text(json.dumps({"format": FORMAT, "version": 99}) + "\n")
    result = cli("import", str(future), *on(sqlite))
    assert result.code == Exit.USAGE
    assert "reads version 1" in result.err


def test_every_table_of_a_prefix_has_a_record_kind() -> None:
    from locus_store.schema.tables import schema_for

    schema = schema_for("locus")
    # Exports are by thread; memory items belong to namespaces, not threads.
    memory = {schema.memory_items, schema.memory_vectors, schema.memory_config}
    assert set(record_tables(schema).values()) == set(schema.metadata.sorted_tables) - memory
