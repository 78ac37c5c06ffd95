"""``locus-store`` commands against every backend: output, JSON, exit codes, messages."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from locus_store import Store
from locus_store.cli.app import Exit
from locus_store.cli.console import Progress, print_table
from tests.support.cli import Cli, on, require_ddl
from tests.support.states import conversation


async def _backdate(store: Store, thread_id: str, days: float) -> None:
    """Move every row of a thread ``days`` into the past."""
    when = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
    th, cp = store.schema.threads, store.schema.checkpoints

    async def work(conn: AsyncConnection) -> None:
        await conn.execute(
            th.update().where(th.c.thread_id == thread_id).values(updated_at=when, created_at=when)
        )
        await conn.execute(cp.update().where(cp.c.thread_id == thread_id).values(created_at=when))

    await store.run(work, atomic=True)


async def test_threads_lists_every_kind_of_thread_newest_first(store: Store, cli: Cli) -> None:
    await store.latest().save(conversation("hello"), "user/1")
    await store.versioned().as_checkpointer().save(conversation("hi"), "user/2")
    await store.latest().save(conversation("again"), "bot/3")

    listed = cli("threads", "--json", *on(store))
    assert listed.code == Exit.OK
    rows = listed.json()
    assert [r["thread_id"] for r in rows] == ["bot/3", "user/2", "user/1"]
    assert rows[1]["versions"] == 1
    assert rows[1]["checkpoint_id"] is None

    table = cli("threads", "--pattern", "user/*", "--limit", "1", *on(store))
    assert re.split(r"\s{2,}", table.out.splitlines()[0]) == [
        "THREAD",
        "CHECKPOINT",
        "VERSIONS",
        "LANGGRAPH",
        "UPDATED (UTC)",
        "EXPIRES (UTC)",
    ]
    assert [line.split()[0] for line in table.out.splitlines()[1:]] == ["user/2"]


async def test_threads_says_so_when_nothing_matches(store: Store, cli: Cli) -> None:
    result = cli("threads", "--pattern", "nobody*", *on(store))
    assert result.code == Exit.OK
    assert result.out == ""
    assert "no threads match 'nobody*'" in result.err


async def test_history_lists_single_row_and_versions_newest_first(store: Store, cli: Cli) -> None:
    await store.latest().save(conversation("hello"), "t1", checkpoint_id="current")
    versions = store.versioned()
    await versions.put(thread_id="t1", checkpoint_id="v1", checkpoint_data={"n": 1})
    await versions.put(
        thread_id="t1",
        checkpoint_id="v2",
        checkpoint_data={"n": 2},
        parent_checkpoint_id="v1",
        metadata={"step": 2},
    )

    history = cli("history", "t1", "--json", *on(store)).json()
    assert [(e["kind"], e["checkpoint_id"], e["seq"]) for e in history] == [
        ("latest", "current", None),
        ("versioned", "v2", 2),
        ("versioned", "v1", 1),
    ]
    assert history[1]["parent_checkpoint_id"] == "v1"
    assert history[1]["metadata"] == {"step": 2}


async def test_history_of_an_unknown_thread_exits_not_found(store: Store, cli: Cli) -> None:
    result = cli("history", "ghost", *on(store))
    assert result.code == Exit.NOT_FOUND
    assert "thread 'ghost' has no checkpoints" in result.err


async def test_show_prints_the_conversation_and_json_gives_the_state(
    store: Store, cli: Cli
) -> None:
    state = conversation("where is my parcel?", "it ships tomorrow")
    await store.latest().save(state, "t1", metadata={"channel": "mail"})

    shown = cli("show", "t1", *on(store))
    assert shown.code == Exit.OK
    assert "user: where is my parcel?" in shown.out
    assert "assistant: it ships tomorrow" in shown.out
    assert '{"channel":"mail"}' in shown.out

    document = cli("show", "t1", "--json", *on(store)).json()
    assert document["source"] == "latest"
    assert document["state"] == state.to_checkpoint()
    assert document["metadata"] == {"channel": "mail"}


async def test_show_finds_a_version_with_its_pending_writes(store: Store, cli: Cli) -> None:
    versions = store.versioned()
    await versions.put(thread_id="t1", checkpoint_id="v1", checkpoint_data={"step": 1})
    await versions.put_writes(
        thread_id="t1", checkpoint_id="v1", task_id="task", writes=[("answer", 42)]
    )

    document = cli("show", "t1", "v1", "--json", *on(store)).json()
    assert document["source"] == "versioned"
    assert document["state"] == {"step": 1}
    assert document["writes"] == [{"task_id": "task", "idx": 0, "channel": "answer", "value": 42}]

    missing = cli("show", "t1", "v9", *on(store))
    assert missing.code == Exit.NOT_FOUND
    assert "locus-store history t1" in missing.err


async def test_search_finds_threads_by_message_words(store: Store, cli: Cli) -> None:
    await store.latest().save(conversation("my parcel is late"), "t1")
    await store.latest().save(conversation("reset my password"), "t2")

    hits = cli("search", "parcel", "--json", *on(store)).json()
    assert [h["thread_id"] for h in hits] == ["t1"]
    table = cli("search", "password", *on(store))
    assert table.out.splitlines()[1].split()[0] == "t2"


async def test_vacuum_dry_run_counts_and_vacuum_removes_old_rows(store: Store, cli: Cli) -> None:
    await store.latest().save(conversation("old"), "old")
    await store.latest().save(conversation("new"), "new")
    versions = store.versioned()
    for n in range(3):
        await versions.append(thread_id="old", checkpoint_id=f"v{n}", checkpoint_data={"n": n})
    await versions.put_writes(thread_id="old", checkpoint_id="v0", task_id="t", writes=[("c", 1)])
    await _backdate(store, "old", days=40)

    dry = cli("vacuum", "--older-than-days", "30", "--keep-last", "1", "--dry-run", *on(store))
    assert dry.code == Exit.OK
    assert "would remove 1 single-row thread, 2 versions and 1 pending write" in dry.out
    assert await store.latest().load("old") is not None

    done = cli("vacuum", "--older-than-days", "30", "--keep-last", "1", "--json", *on(store))
    assert done.json() == {
        "threads": 1,
        "checkpoints": 2,
        "writes": 1,
        "langgraph_threads": 0,
        "langgraph_checkpoints": 0,
        "langgraph_writes": 0,
        "langgraph_values": 0,
        "memory_items": 0,
        "memory_vectors": 0,
        "dry_run": False,
    }
    assert await store.latest().load("old") is None
    assert await store.latest().load("new") is not None
    remaining = await versions.list_checkpoints(thread_id="old")
    assert [(c["checkpoint_id"], c["parent_checkpoint_id"]) for c in remaining] == [("v2", None)]


async def test_copy_copies_every_table_and_refuses_an_existing_destination(
    store: Store, cli: Cli
) -> None:
    state = conversation("branch me")
    await store.latest().save(state, "src", checkpoint_id="c1")
    versions = store.versioned()
    await versions.put(thread_id="src", checkpoint_id="v1", checkpoint_data={"n": 1})
    await versions.put_writes(thread_id="src", checkpoint_id="v1", task_id="t", writes=[("x", 1)])

    copied = cli("copy", "src", "dst", *on(store))
    assert copied.code == Exit.OK
    assert "(3 rows)" in copied.out
    assert await store.latest().load("dst") == state
    copy = await versions.get(thread_id="dst")
    assert copy is not None
    assert copy["checkpoint_id"] == "v1"
    assert await versions.get_writes(thread_id="dst", checkpoint_id="v1")

    again = cli("copy", "src", "dst", *on(store))
    assert again.code == Exit.CONFLICT
    assert "'dst' already exists" in again.err
    nothing = cli("copy", "ghost", "other", *on(store))
    assert nothing.code == Exit.NOT_FOUND


async def test_export_and_import_round_trip_with_conflict_choices(
    store: Store, cli: Cli, tmp_path: Path
) -> None:
    state = conversation("keep me")
    await store.latest().save(state, "t1")
    dump = tmp_path / "dump.jsonl"
    exported = cli("export", "-o", str(dump), *on(store))
    assert exported.code == Exit.OK
    assert "exported 1 thread (1 thread row)" in exported.err

    refused = cli("import", str(dump), *on(store))
    assert refused.code == Exit.CONFLICT
    assert "--on-conflict skip" in refused.err
    skipped = cli("import", str(dump), "--on-conflict", "skip", "--json", *on(store))
    assert skipped.json()["skipped"] == ["t1"]

    await store.latest().save(conversation("changed"), "t1")
    replaced = cli("import", str(dump), "--on-conflict", "replace", "--json", *on(store))
    assert replaced.json()["replaced"] == ["t1"]
    assert await store.latest().load("t1") == state


async def test_export_of_a_missing_thread_writes_nothing(
    store: Store, cli: Cli, tmp_path: Path
) -> None:
    await store.latest().save(conversation("hi"), "t1")
    dump, kept = tmp_path / "dump.jsonl", tmp_path / "kept.jsonl"
    kept.write_text("yesterday's backup\n")
    for target in (dump, kept):
        result = cli("export", "t1", "ghost", "-o", str(target), *on(store))
        assert result.code == Exit.NOT_FOUND
        assert "ghost" in result.err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.jsonl"]
    assert kept.read_text() == "yesterday's backup\n"


async def test_commands_on_tables_that_do_not_exist_say_run_upgrade(store: Store, cli: Cli) -> None:
    url = store.engine.url.render_as_string(hide_password=False)
    result = cli("threads", "--url", url, "--prefix", "never_migrated")
    assert result.code == Exit.SCHEMA
    assert "run `locus-store upgrade`" in result.err

    current = cli("current", "--json", "--url", url, "--prefix", "never_migrated")
    assert current.code == Exit.SCHEMA
    assert current.json()["current"] == []
    assert current.json()["is_current"] is False


async def test_upgrade_then_current_on_a_new_prefix(store: Store, cli: Cli, backend: str) -> None:
    require_ddl(backend)
    url = store.engine.url.render_as_string(hide_password=False)
    prefix = f"{store.table_prefix}_cli"
    try:
        assert cli("upgrade", "--url", url, "--prefix", prefix).code == Exit.OK
        current = cli("current", "--url", url, "--prefix", prefix)
        assert current.code == Exit.OK
        assert "(head)" in current.out
    finally:
        other = Store.from_url(url, table_prefix=prefix)
        await other.downgrade("base")
        await other.close()


def test_an_unreachable_database_exits_unavailable(cli: Cli) -> None:
    result = cli("threads", "--url", "postgresql://nobody@127.0.0.1:1/none")
    assert result.code == Exit.UNAVAILABLE
    assert "cannot connect" in result.err
    assert "--url" in result.err


def test_no_database_configured_says_how_to_give_one(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("LOCUS_STORE_URL", "ORACLE_DSN", "ORACLE_USER", "ORACLE_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    result = cli("threads")
    assert result.code == Exit.USAGE
    assert "pass --url" in result.err
    assert "LOCUS_STORE_URL" in result.err
    assert not (tmp_path / "locus_store.sqlite3").exists()


def test_upgrade_sql_prints_the_oracle_script_without_a_database(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LOCUS_STORE_URL", raising=False)
    result = cli("upgrade", "--sql", "--prefix", "app")
    assert result.code == Exit.OK
    assert "CREATE TABLE IF NOT EXISTS app_threads" in result.out
    assert "VARCHAR2" in result.out


def test_bad_arguments_exit_usage(cli: Cli) -> None:
    with pytest.raises(SystemExit) as exited:
        cli("vacuum")
    assert exited.value.code == Exit.USAGE


def test_progress_bar_is_quiet_unless_stderr_is_a_terminal() -> None:
    quiet = io.StringIO()
    with Progress("export", 10, stream=quiet) as bar:
        bar.update(5)
    assert quiet.getvalue() == ""

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    shown = Terminal()
    with Progress("export", 10, unit="threads", stream=shown) as bar:
        bar.update(10)
    assert "export [" in shown.getvalue()
    assert "10/10 threads" in shown.getvalue()


def test_tables_are_cut_to_the_terminal_width(monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr("shutil.get_terminal_size", lambda: os.terminal_size((40, 20)))
    out = Terminal()
    print_table(["THREAD", "METADATA"], [("t1", {"note": "x" * 100})], out=out)
    assert all(len(line) <= 40 for line in out.getvalue().splitlines())
    assert "…" in out.getvalue()


def test_the_console_script_is_installed() -> None:
    script = Path(sys.executable).with_name("locus-store")
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True, check=False)
    assert result.returncode == 0
    assert "exit codes" in result.stdout
    assert "import-locus" in result.stdout


def test_the_cli_reference_names_every_command_and_option() -> None:
    import argparse

    from locus_store.cli.app import build_parser

    reference = (Path(__file__).resolve().parents[2] / "docs" / "cli.md").read_text()
    parser = build_parser()
    [commands] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    for name, sub in commands.choices.items():
        assert f"## {name}" in reference, name
        for action in sub._actions:
            for option in action.option_strings:
                if option.startswith("--") and option != "--help":
                    assert f"`{option}" in reference, f"{name} {option}"


async def test_a_role_that_cannot_read_the_version_table_still_works_on_the_tables(
    store: Store, cli: Cli, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if backend != "sqlite":
        pytest.skip("the refusal is simulated; one backend is enough")
    from alembic.migration import MigrationContext
    from sqlalchemy.exc import ProgrammingError

    def refused(self: MigrationContext) -> tuple[str, ...]:
        raise ProgrammingError("SELECT version_num", {}, Exception("permission denied"))

    monkeypatch.setattr(MigrationContext, "get_current_heads", refused)
    current = cli("current", *on(store))
    assert current.code == Exit.SCHEMA
    assert "cannot read" in current.out
    assert "as the schema's owner" in current.out
    assert cli("threads", *on(store)).code == Exit.OK
    other = cli("threads", *on(store)[:2], "--prefix", "never_migrated")
    assert other.code == Exit.SCHEMA
    assert "run `locus-store upgrade`" in other.err


async def test_import_locus_refuses_to_read_the_stores_own_tables(store: Store, cli: Cli) -> None:
    own = store.schema.checkpoints.name
    result = cli("import-locus", "--kv-table", own, *on(store))
    assert result.code == Exit.USAGE
    assert "another --prefix" in result.err
    saver = cli("import-locus", "--saver-table", store.table_prefix, *on(store))
    assert saver.code == Exit.USAGE
