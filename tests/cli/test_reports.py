"""What the writing commands report: counts that read well, what upgrade did, logged totals."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from locus_store import Store
from locus_store.cli.app import Exit
from tests.support.cli import Cli, on
from tests.support.states import conversation


async def _age(store: Store, thread_id: str, days: float) -> None:
    when = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
    th = store.schema.threads

    async def work(conn: AsyncConnection) -> None:
        await conn.execute(th.update().where(th.c.thread_id == thread_id).values(updated_at=when))

    await store.run(work)


async def test_one_of_a_kind_is_singular(store: Store, cli: Cli, tmp_path: Path) -> None:
    await store.latest().save(conversation("old"), "old")
    await _age(store, "old", days=40)

    dry = cli("vacuum", "--older-than-days", "30", "--dry-run", *on(store))
    assert "would remove 1 single-row thread, 0 versions and 0 pending writes" in dry.out
    exported = cli("export", "-o", str(tmp_path / "one.jsonl"), *on(store))
    assert "exported 1 thread (1 thread row) to" in exported.err
    copied = cli("copy", "old", "new", *on(store))
    assert "(1 row)" in copied.out


async def test_vacuum_logs_its_totals_and_no_thread_id(
    store: Store, cli: Cli, caplog: pytest.LogCaptureFixture
) -> None:
    await store.latest().save(conversation("old"), "secret-thread")
    await _age(store, "secret-thread", days=40)
    caplog.set_level(logging.INFO, logger="locus_store")

    assert cli("vacuum", "--older-than-days", "30", *on(store)).code == Exit.OK
    [record] = [r for r in caplog.records if r.name.startswith("locus_store") and "vacuum" in r.msg]
    assert record.getMessage() == (
        "vacuum removed 1 single-row thread, 0 versions and 0 pending writes"
    )
    assert "secret-thread" not in caplog.text


def test_upgrade_says_whether_it_changed_anything(cli: Cli, tmp_path: Path) -> None:
    from alembic.script import ScriptDirectory

    from locus_store.migrate import alembic_config

    [head] = ScriptDirectory.from_config(alembic_config("locus")).get_heads()
    url = f"sqlite:///{tmp_path / 'new.db'}"
    first = cli("upgrade", "--url", url)
    assert first.code == Exit.OK
    assert f"upgraded an empty schema -> {head} (head)" in first.out
    again = cli("upgrade", "--url", url)
    assert again.code == Exit.OK
    assert f"already at head ({head})" in again.out
