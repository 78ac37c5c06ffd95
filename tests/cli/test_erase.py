"""``locus-store erase``: a thread removed from every table, confirmed, counted, reported."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from locus_store import Store
from locus_store.cli.app import Exit
from tests.support.cli import Cli, locus_store, on
from tests.support.erasure import EVERY_TABLE, fill, rows_of

LEFT = {k: v for k, v in EVERY_TABLE.as_dict().items() if k != "total"}


async def test_erase_without_yes_or_dry_run_refuses_and_deletes_nothing(
    store: Store, cli: Cli
) -> None:
    await fill(store, "user-1")
    done = cli(*on(store), "erase", "user-1")
    assert done.code == Exit.USAGE
    assert "--yes" in done.err
    assert "export" in done.err
    assert await rows_of(store, "user-1") == LEFT


async def test_erase_yes_removes_the_thread_and_says_what_went(store: Store, cli: Cli) -> None:
    await fill(store, "user-1")
    await fill(store, "user-2")
    done = cli(*on(store), "erase", "user-1", "--yes")
    assert done.code == Exit.OK, done.err
    assert done.out == (
        "erased thread 'user-1': 13 rows (1 single-row thread, 2 versioned checkpoints, "
        "3 versioned writes, 2 LangGraph checkpoints, 2 LangGraph writes, "
        "3 LangGraph channel values)\n"
    )
    assert set((await rows_of(store, "user-1")).values()) == {0}
    assert await rows_of(store, "user-2") == LEFT


async def test_erase_dry_run_json_counts_and_deletes_nothing(store: Store, cli: Cli) -> None:
    await fill(store, "user-1")
    done = cli(*on(store), "erase", "user-1", "--dry-run", "--json")
    assert done.code == Exit.OK, done.err
    assert done.json() == {"thread": "user-1", "dry_run": True, **EVERY_TABLE.as_dict()}
    assert await rows_of(store, "user-1") == LEFT


async def test_erase_singular_counts_read_as_singular(store: Store, cli: Cli) -> None:
    await store.versioned().put(thread_id="one", checkpoint_id="v1", checkpoint_data={})
    done = cli(*on(store), "erase", "one", "--yes")
    assert done.out == "erased thread 'one': 1 row (1 versioned checkpoint)\n"


async def test_erase_an_unknown_thread_exits_not_found(store: Store, cli: Cli) -> None:
    done = cli(*on(store), "erase", "nobody", "--yes")
    assert done.code == Exit.NOT_FOUND
    assert "'nobody'" in done.err


def test_installed_script_erases_a_thread(tmp_path: Path) -> None:
    url = "sqlite:///store.db"
    assert locus_store("--url", url, "upgrade", cwd=tmp_path).returncode == Exit.OK
    with sqlite3.connect(tmp_path / "store.db") as db:
        db.execute(
            "INSERT INTO locus_checkpoints (thread_id, checkpoint_ns, checkpoint_id, seq, "
            "checkpoint, created_at) VALUES ('t', '', 'v1', 1, '{}', '2026-01-01 00:00:00')"
        )
    done = locus_store("--url", url, "erase", "t", "--yes", "--json", cwd=tmp_path)
    assert done.returncode == Exit.OK, done.stderr
    assert '"checkpoints": 1' in done.stdout
    assert '"total": 1' in done.stdout
    again = locus_store("--url", url, "erase", "t", "--yes", cwd=tmp_path)
    assert again.returncode == Exit.NOT_FOUND
