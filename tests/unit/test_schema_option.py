"""``schema=``: where each backend's connections resolve the tables' names."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import text

from locus_store import ConfigurationError, Store, StoreUnavailableError
from locus_store.settings import ConnectionSettings, async_url
from locus_store.store import create_engine_for
from tests.support.backends import postgres_target


@pytest.mark.parametrize("name", ["", "1abc", "a b", 'a"b', "a;drop", "x" * 129, 3])
def test_a_schema_name_that_is_not_an_identifier_is_refused(name: object) -> None:
    with pytest.raises(ConfigurationError):
        create_engine_for("postgresql://u@h/db", schema=name)  # type: ignore[arg-type]


def test_sqlite_has_no_schemas() -> None:
    with pytest.raises(ConfigurationError, match="no schemas"):
        create_engine_for("sqlite:///x.db", schema="app")


async def test_postgresql_connections_search_the_schema_then_public() -> None:
    url = postgres_target().url
    store = Store.from_url(url, schema="app_data")
    try:
        row = await store.fetch_one(text("SHOW search_path"))
    except StoreUnavailableError:
        pytest.skip("the test PostgreSQL server is not running")
    finally:
        await store.close()
    assert row is not None
    assert row[0] == '"app_data", public'


async def test_the_settings_schema_is_the_default_and_the_store_remembers_it() -> None:
    settings = ConnectionSettings(async_url("postgresql://u@h/db"), schema="app_data")
    store = Store.from_settings(settings)
    try:
        assert store.tables_schema == "app_data"
        assert "schema='app_data'" in repr(settings)
    finally:
        await store.close()


async def test_oracle_connections_set_current_schema_as_they_open() -> None:
    engine = create_engine_for("oracle+oracledb://app:pw@db", schema="ledger")
    try:
        driver = SimpleNamespace(current_schema=None)
        record = SimpleNamespace(driver_connection=driver)
        ours = [
            listener
            for listener in engine.sync_engine.pool.dispatch.connect
            if getattr(listener, "__name__", "") == "set_current_schema"
        ]
        assert len(ours) == 1
        ours[0](object(), record)
        assert driver.current_schema == "LEDGER"
    finally:
        await engine.dispose()
