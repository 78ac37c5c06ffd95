"""``locus.memory.get_checkpointer("sqlalchemy", ...)`` returns locus_store's checkpointers."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import textwrap

import pytest
from locus.memory import get_checkpointer, list_checkpointers

from locus_store import InvalidInputError, Store
from locus_store.latest.checkpointer import LatestCheckpointer
from locus_store.versioned.checkpointer import VersionedCheckpointer
from tests.support.states import conversation

HEAVY = (
    "locus",
    "langgraph",
    "langchain_core",
    "asyncpg",
    "oracledb",
    "locus_store.langgraph.saver",
)


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, check=False
    )


def test_importing_locus_store_registers_without_importing_locus_or_drivers() -> None:
    result = _python(
        f"""
        import sys
        import locus_store
        loaded = sorted(m for m in {HEAVY!r} if m in sys.modules)
        assert not loaded, loaded
        from locus.memory import list_checkpointers
        assert "sqlalchemy" in list_checkpointers(), list_checkpointers()
        assert "asyncpg" not in sys.modules and "langgraph" not in sys.modules
        """
    )
    assert result.returncode == 0, result.stderr


def test_registration_works_when_locus_was_imported_first() -> None:
    result = _python(
        """
        from locus.memory import get_checkpointer, list_checkpointers
        import locus_store
        assert "sqlalchemy" in list_checkpointers()
        checkpointer = get_checkpointer("sqlalchemy:sqlite:///:memory:")
        assert type(checkpointer).__name__ == "LatestCheckpointer", checkpointer
        """
    )
    assert result.returncode == 0, result.stderr


def test_the_provider_is_listed() -> None:
    assert "sqlalchemy" in list_checkpointers()


def _url(store: Store) -> str:
    return store.engine.url.render_as_string(hide_password=False)


def _in_schema(store: Store) -> dict[str, str]:
    """The ``schema=`` engine option that reaches ``store``'s tables, when it has one."""
    return {"schema": store.tables_schema} if store.tables_schema else {}


async def test_get_checkpointer_gives_the_single_row_checkpointer(store: Store) -> None:
    checkpointer = get_checkpointer(
        "sqlalchemy",
        url=_url(store),
        table_prefix=store.table_prefix,
        ttl=3600,
        **_in_schema(store),
    )
    assert isinstance(checkpointer, LatestCheckpointer)
    assert checkpointer.capabilities.ttl
    assert checkpointer.ttl == dt.timedelta(hours=1)
    state = conversation("remember me")
    await checkpointer.save(state, "t1")
    assert await store.latest().load("t1") == state
    await checkpointer.close()


async def test_get_checkpointer_versioned_keeps_every_version(store: Store) -> None:
    checkpointer = get_checkpointer(
        f"sqlalchemy:{_url(store)}",
        versioned=True,
        table_prefix=store.table_prefix,
        **_in_schema(store),
    )
    assert isinstance(checkpointer, VersionedCheckpointer)
    first = await checkpointer.save(conversation("one"), "t1")
    second = await checkpointer.save(conversation("one", "two"), "t1")
    assert await checkpointer.list_checkpoints("t1") == [second, first]
    await checkpointer.close()


async def test_get_checkpointer_on_an_existing_store_or_engine(store: Store) -> None:
    on_store = get_checkpointer("sqlalchemy", store=store)
    assert isinstance(on_store, LatestCheckpointer)
    on_engine = get_checkpointer("sqlalchemy", engine=store.engine, table_prefix=store.table_prefix)
    await on_store.save(conversation("shared"), "t1")
    assert await on_engine.load("t1") == await on_store.load("t1")


def test_conflicting_arguments_are_refused() -> None:
    store = Store.from_url("sqlite:///:memory:")
    with pytest.raises(InvalidInputError, match="one of url, store and engine"):
        get_checkpointer("sqlalchemy", url="sqlite:///:memory:", store=store)
    with pytest.raises(InvalidInputError, match="single-row"):
        get_checkpointer("sqlalchemy", store=store, versioned=True, ttl=60)
    with pytest.raises(InvalidInputError, match="differs"):
        get_checkpointer("sqlalchemy", store=store, table_prefix="other")
