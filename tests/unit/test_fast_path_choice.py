"""Which engines get the fast path: asyncpg, and the SQLite engines the store configures."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from locus_store._engine.fast_path import FastPath
from locus_store.store import create_engine_for


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql+asyncpg://u@localhost/db", True),
        ("oracle+oracledb://u:p@localhost/?service_name=FREEPDB1", False),
        ("postgresql+psycopg://u@localhost/db", False),
    ],
)
async def test_server_drivers(url: str, expected: bool) -> None:
    engine = create_async_engine(url)
    try:
        assert (FastPath.for_engine(engine) is not None) is expected
    finally:
        await engine.dispose()


async def test_sqlite_only_when_the_store_configured_the_engine(tmp_path: object) -> None:
    own = create_engine_for(f"sqlite+aiosqlite:///{tmp_path}/own.db")
    plain = create_async_engine(f"sqlite+aiosqlite:///{tmp_path}/plain.db")
    try:
        assert FastPath.for_engine(own) is not None
        # A plain aiosqlite engine opens transactions implicitly: it keeps Connection.execute.
        assert FastPath.for_engine(plain) is None
    finally:
        await own.dispose()
        await plain.dispose()
