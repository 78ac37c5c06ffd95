"""Oracle behaviour that only an Oracle server can show; skipped (with the reason) elsewhere.

The contract suites already run on Oracle through the ``store`` fixture (payloads,
empty strings, number types, search). These tests look at what is Oracle's own:
the Oracle Text index, its SYNC (ON COMMIT), the session time zone, string limits
and sessions killed by the server.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from typing import cast

import pytest
import sqlalchemy as sa
from locus.core.messages import Message, Role
from locus.core.state import AgentState
from sqlalchemy.ext.asyncio import AsyncConnection

from locus_store import Store
from locus_store.schema.types import ORACLE_EXTENDED_MAX_BYTES, _limits
from tests.support.backends import Target, unique_prefix
from tests.support.database import empty_tables, require
from tests.support.search import ORACLE_TEXT_QUERIES


@pytest.fixture
def oracle(migrated: dict[str, tuple[Target, str]]) -> tuple[Target, str]:
    return migrated["oracle"]


@pytest.fixture
async def store(oracle: tuple[Target, str]) -> AsyncIterator[Store]:
    target, prefix = oracle
    st = Store.from_settings(target.settings, table_prefix=prefix)
    await empty_tables(st)
    yield st
    await st.close()


def _state(text: str) -> AgentState:
    return AgentState(run_id="r", messages=(Message(role=Role.USER, content=text),))


async def _search_index(store: Store) -> sa.Row[str, str, str, str] | None:
    query = sa.text(
        "SELECT index_type, ityp_owner, ityp_name, parameters FROM user_indexes "
        "WHERE index_name = UPPER(:name)"
    )
    name = store.schema.search_index

    async def work(conn: AsyncConnection) -> sa.Row[str, str, str, str] | None:
        row = (await conn.execute(query, {"name": name})).first()
        return cast("sa.Row[str, str, str, str] | None", row)  # four text columns

    return await store.run(work)


async def test_migrations_create_a_context_index_synced_on_commit(store: Store) -> None:
    row = await _search_index(store)
    assert row is not None, "the Oracle Text index is missing"
    index_type, owner, name, parameters = row
    assert (index_type, owner, name) == ("DOMAIN", "CTXSYS", "CONTEXT")
    assert "SYNC (ON COMMIT)" in str(parameters).upper()


async def test_downgrade_drops_the_oracle_text_index_and_its_tables(
    target_for: dict[str, Target | str],
) -> None:
    target = require(target_for["oracle"])
    store = Store.from_settings(target.settings, table_prefix=unique_prefix())
    try:
        await store.upgrade()
        assert await _search_index(store) is not None
        await store.downgrade("base")
        assert await _search_index(store) is None
        index = store.schema.search_index.upper().replace("_", "\\_")
        leftovers = await store.run(
            lambda c: c.scalar(
                sa.text("SELECT COUNT(*) FROM user_tables WHERE table_name LIKE :dr ESCAPE '\\'"),
                {"dr": f"DR${index}$%"},
            )
        )
        assert leftovers == 0
    finally:
        await store.close()


async def test_json_columns_are_native_json(store: Store) -> None:
    types = await store.run(
        lambda c: c.execute(
            sa.text(
                "SELECT column_name, data_type FROM user_tab_columns "
                "WHERE table_name = UPPER(:t) AND column_name IN ('STATE', 'METADATA')"
            ),
            {"t": store.schema.threads.name},
        )
    )
    assert {row.data_type for row in types} == {"JSON"}


async def test_a_saved_thread_is_searchable_right_after_commit(store: Store) -> None:
    checkpointer = store.latest()
    await checkpointer.save(_state("the pelican juggles marmalade"), "t-sync")
    other = Store(store.engine, table_prefix=store.table_prefix)  # a fresh connection's view
    found = await other.latest().search("marmalade pelican")
    assert [hit["thread_id"] for hit in found] == ["t-sync"]


@pytest.mark.parametrize("query", ORACLE_TEXT_QUERIES)
async def test_oracle_text_syntax_in_user_text_never_raises(store: Store, query: str) -> None:
    checkpointer = store.latest()
    await checkpointer.save(_state(f"plain words and {query}"), "t-hostile")
    assert isinstance(await checkpointer.search(query), list)


async def test_timestamps_are_the_right_instant_whatever_the_session_time_zone(
    store: Store,
) -> None:
    threads = store.schema.threads

    async def save_in_another_zone(conn: AsyncConnection) -> None:
        await conn.execute(sa.text("ALTER SESSION SET TIME_ZONE = '+05:00'"))
        await store.bind(conn).latest().save(_state("zone"), "t-zone")

    async with store.engine.connect() as conn:
        await save_in_another_zone(conn)
        await conn.commit()
        await conn.invalidate()  # keep the altered session out of the pool
    recent = await store.run(
        lambda c: c.scalar(
            sa.select(sa.func.count())
            .select_from(threads)
            .where(threads.c.thread_id == "t-zone")
            .where(threads.c.updated_at > sa.text("SYSTIMESTAMP - INTERVAL '10' MINUTE"))
            .where(threads.c.updated_at < sa.text("SYSTIMESTAMP + INTERVAL '10' MINUTE"))
        )
    )
    assert recent == 1
    record = await store.latest().get_metadata("t-zone")
    assert record is not None
    saved = dt.datetime.fromisoformat(record["updated_at"])
    assert abs(saved - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=10)


async def test_string_limit_probe_agrees_with_the_server(store: Store) -> None:
    async def max_string_size(conn: AsyncConnection) -> int:
        try:
            await conn.execute(sa.text("SELECT CAST(NULL AS VARCHAR2(32767)) FROM DUAL"))
        except sa.exc.DatabaseError:
            return 4000
        return ORACLE_EXTENDED_MAX_BYTES

    expected = await store.run(max_string_size)
    await store.run(lambda c: c.execute(sa.text("SELECT 1 FROM DUAL")))
    limits = _limits.get(store.engine.sync_engine.dialect)
    assert limits is not None
    assert limits.string_bytes == expected


async def test_a_session_killed_by_the_server_is_replaced(
    store: Store, oracle: tuple[Target, str]
) -> None:
    """Needs ALTER SYSTEM (skipped otherwise): the retry policy is tested on PostgreSQL too."""
    session = await store.run(
        lambda c: c.execute(
            sa.text(
                "SELECT sid, serial# AS serial FROM v$session "
                "WHERE audsid = SYS_CONTEXT('USERENV', 'SESSIONID')"
            )
        )
    )
    row = session.first() if session is not None else None
    if row is None:
        pytest.skip("cannot read v$session")
    killer = Store.from_settings(oracle[0].settings)  # its own pool: not the victim's
    try:
        await killer.run(
            lambda c: c.execute(
                sa.text(f"ALTER SYSTEM KILL SESSION '{int(row.sid)},{int(row.serial)}' IMMEDIATE")
            ),
            retry=False,
        )
    except sa.exc.DatabaseError as exc:
        pytest.skip(f"the test user cannot kill sessions: {exc.orig}")
    finally:
        await killer.close()
    await asyncio.sleep(1)
    assert await store.run(lambda c: c.scalar(sa.text("SELECT 1 FROM DUAL"))) == 1
