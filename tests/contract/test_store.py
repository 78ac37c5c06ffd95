"""Store: construction, connection ownership, binding to the caller's transaction, event loops."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from locus_store import Store, StoreUnavailableError
from locus_store.settings import ConnectionSettings, oracle_settings, redact, settings_from_env
from tests.support.oracle.wallets import make_wallet


async def _count(store: Store) -> int:
    table = store.schema.threads

    async def count(conn: AsyncConnection) -> int:
        return int(await conn.scalar(sa.select(sa.func.count()).select_from(table)) or 0)

    return await store.run(count)


def _row(store: Store, thread_id: str) -> sa.Insert:
    import datetime as dt

    now = dt.datetime.now(dt.UTC)
    return store.schema.threads.insert().values(
        thread_id=thread_id, checkpoint_id="c1", state={"k": 1}, created_at=now, updated_at=now
    )


async def test_bound_store_joins_the_callers_transaction_and_rollback_removes_both(
    store: Store,
) -> None:
    async with store.engine.connect() as conn, conn.begin() as tx:
        bound = store.bind(conn)
        await bound.run(lambda c: c.execute(_row(store, "app-thread")))
        assert await _count(bound) == 1  # visible inside the transaction
        await tx.rollback()
    assert await _count(store) == 0


async def test_bound_store_commits_with_the_callers_session(store: Store) -> None:
    async with AsyncSession(store.engine) as session, session.begin():
        await store.bind(session).run(lambda c: c.execute(_row(store, "s1")))
    assert await _count(store) == 1


async def test_bound_atomic_failure_rolls_back_only_its_savepoint(store: Store) -> None:
    async with store.engine.connect() as conn, conn.begin():
        bound = store.bind(conn)
        await bound.run(lambda c: c.execute(_row(store, "kept")))

        async def half_then_fail(c: AsyncConnection) -> None:
            await c.execute(_row(store, "half"))
            raise RuntimeError("boom")

        with pytest.raises(RuntimeError):
            await bound.run(half_then_fail, atomic=True)
    rows = await store.run(lambda c: c.scalars(sa.select(store.schema.threads.c.thread_id)))
    assert list(rows) == ["kept"]


def test_bind_refuses_other_objects(store: Store) -> None:
    with pytest.raises(TypeError, match="AsyncConnection or an AsyncSession"):
        store.bind("not a connection")  # type: ignore[arg-type]


def test_store_survives_successive_event_loops(tmp_path: Path) -> None:
    store = Store.from_url(f"sqlite:///{tmp_path / 'loops.db'}", table_prefix="loops")
    asyncio.run(store.upgrade())
    for i in range(3):

        async def insert(conn: AsyncConnection, i: int = i) -> None:
            await conn.execute(_row(store, f"t{i}"))

        asyncio.run(store.run(insert))
    assert asyncio.run(_count(store)) == 3
    asyncio.run(store.close())


def test_postgres_store_survives_successive_event_loops(
    migrated: dict[str, tuple[object, str]],
) -> None:
    target, prefix = migrated["postgresql"]
    store = Store.from_settings(target.settings, table_prefix=prefix)  # type: ignore[attr-defined]
    for _ in range(3):
        assert asyncio.run(store.run(lambda c: c.scalar(sa.text("SELECT 1")))) == 1
    asyncio.run(store.close())


async def test_unreachable_database_names_url_without_password() -> None:
    store = Store.from_url(
        "postgresql://app:s3cret-pw@127.0.0.1:1/nowhere", connect_args={"timeout": 2}
    )
    with pytest.raises(StoreUnavailableError) as info:
        await store.run(lambda c: c.scalar(sa.text("SELECT 1")))
    message = str(info.value)
    assert "127.0.0.1:1/nowhere" in message
    assert "s3cret-pw" not in message
    assert "s3cret-pw" not in repr(store)
    await store.close()


def test_from_env_prefers_oracle_wallet_variables(tmp_path: Path) -> None:
    wallet = str(make_wallet(tmp_path / "mydb", password=None))
    settings = settings_from_env(
        {
            "ORACLE_DSN": "mydb_low",
            "ORACLE_USER": "locus_app",
            "ORACLE_PASSWORD": "pw",
            "ORACLE_WALLET": wallet,
            "LOCUS_STORE_URL": "postgresql://x@y/z",
        }
    )
    assert settings.url.drivername == "oracle+oracledb"
    assert settings.connect_args == {
        "dsn": "mydb_low",
        "config_dir": wallet,
        "wallet_location": wallet,
    }
    assert "pw" not in repr(settings).replace("password", "")


def test_from_env_falls_back_to_url_then_embedded_sqlite() -> None:
    assert settings_from_env({"LOCUS_STORE_URL": "postgresql://u@h/d"}).url.drivername == (
        "postgresql+asyncpg"
    )
    assert settings_from_env({}).url.drivername == "sqlite+aiosqlite"


def test_wallet_password_is_passed_and_redacted(tmp_path: Path) -> None:
    wallet = make_wallet(tmp_path / "w", password="wallet-pw")
    settings = oracle_settings(
        dsn="mydb_high", user="u", password="db-pw", wallet=wallet, wallet_password="wallet-pw"
    )
    assert settings.connect_args["wallet_password"] == "wallet-pw"
    assert "wallet-pw" not in repr(settings)
    assert "db-pw" not in repr(settings)


def test_redact_hides_password() -> None:
    assert redact("postgresql://u:hunter2@h/d") == "postgresql://u:***@h/d"


def test_store_over_an_application_engine_is_not_disposed_by_close(tmp_path: Path) -> None:
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'app.db'}")
    store = Store(engine, table_prefix="app")
    assert store.engine is engine

    async def go() -> int:
        await store.close()
        try:
            async with engine.connect() as conn:
                return int((await conn.scalar(sa.text("SELECT 1"))) or 0)
        finally:
            # The application owns its engine and disposes it in its own loop; left to
            # the garbage collector, aiosqlite would answer on a loop that is gone.
            await engine.dispose()

    assert asyncio.run(go()) == 1
    assert isinstance(ConnectionSettings(engine.url), ConnectionSettings)
