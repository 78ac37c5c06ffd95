"""The durability option: what each level sets on each backend, and what is refused."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from locus_store import ConfigurationError, Store
from locus_store.store import create_engine_for
from tests.support.backends import DEFAULT_POSTGRES_URL, POSTGRES_URL_ENV

POSTGRES_URL = os.environ.get(POSTGRES_URL_ENV, DEFAULT_POSTGRES_URL)


async def _setting(store: Store, sql: str) -> object:
    row = await store.fetch_one(sa.text(sql))
    assert row is not None
    return row[0]


@pytest.mark.parametrize(
    ("options", "synchronous"),
    [({}, 2), ({"durability": "full"}, 2), ({"durability": "normal"}, 1)],
    ids=["default", "full", "normal"],
)
async def test_sqlite_syncs_its_log_on_every_commit_unless_told_otherwise(
    tmp_path: Path, options: dict[str, str], synchronous: int
) -> None:
    store = Store.from_url(f"sqlite:///{tmp_path / 'd.db'}", **options)
    try:
        assert await _setting(store, "PRAGMA synchronous") == synchronous  # FULL=2, NORMAL=1
        assert await _setting(store, "PRAGMA journal_mode") == "wal"
    finally:
        await store.close()


@pytest.mark.parametrize(
    ("options", "expected"),
    [({}, "on"), ({"durability": "normal"}, "off")],
    ids=["default", "normal"],
)
async def test_postgresql_commits_wait_for_the_wal_flush_unless_told_otherwise(
    options: dict[str, str], expected: str
) -> None:
    store = Store.from_url(POSTGRES_URL, **options)
    try:
        assert await _setting(store, "SHOW synchronous_commit") == expected

        # Through a transaction as well (another pooled session, the same setting).
        async def show(conn: AsyncConnection) -> object:
            return (await conn.execute(sa.text("SHOW synchronous_commit"))).scalar()

        assert await store.run(show, atomic=True) == expected
    finally:
        await store.close()


async def test_the_callers_own_server_settings_are_kept() -> None:
    store = Store.from_url(
        POSTGRES_URL,
        durability="normal",
        connect_args={"server_settings": {"application_name": "durability-test"}},
    )
    try:
        assert await _setting(store, "SHOW application_name") == "durability-test"
        assert await _setting(store, "SHOW synchronous_commit") == "off"
    finally:
        await store.close()


def test_oracle_refuses_normal_durability_before_connecting() -> None:
    with pytest.raises(ConfigurationError, match="not offered on Oracle"):
        create_engine_for(
            "oracle+oracledb://u:pw@db:1521/?service_name=FREEPDB1", durability="normal"
        )


@pytest.mark.parametrize("level", ["off", "FULL", "", None, 1])
def test_an_unknown_durability_level_is_a_configuration_error(
    tmp_path: Path, level: object
) -> None:
    with pytest.raises(ConfigurationError, match="durability must be one of 'full', 'normal'"):
        Store.from_url(f"sqlite:///{tmp_path / 'x.db'}", durability=level)
    assert not (tmp_path / "x.db").exists()
