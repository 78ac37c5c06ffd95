"""What the store refuses before connecting: the wrong object, an unsupported URL, a bad ttl."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from locus_store import ConfigurationError, InvalidInputError, InvalidTypeError, Store
from locus_store._engine.retry import _mark_disconnect
from locus_store.cli.app import main
from locus_store.registry import checkpointer_factory
from locus_store.settings import ConnectionSettings, async_url
from locus_store.store import create_engine_for

UNSUPPORTED = (
    "mysql://u:pw@db/app",
    "postgresql+psycopg2://u@db/app",
    "postgresql+psycopg://u@db/app",
    "sqlite+pysqlite:///x.db",
    "mssql+aioodbc://u@db/app",
)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    st = Store.from_url(f"sqlite:///{tmp_path / 'ttl.db'}")
    yield st
    await st.close()


# -- Store(...) takes an AsyncEngine ----------------------------------------------------------


@pytest.mark.parametrize("url", ["sqlite:///x.db", make_url("sqlite:///x.db")], ids=["str", "URL"])
def test_store_given_a_url_says_to_use_from_url(url: object) -> None:
    with pytest.raises(InvalidTypeError, match=r"Store\.from_url"):
        Store(url)  # type: ignore[arg-type]


def test_store_given_a_sync_engine_says_to_build_an_async_one() -> None:
    engine = sa.create_engine("sqlite://")
    with pytest.raises(InvalidTypeError, match="create_async_engine") as info:
        Store(engine)  # type: ignore[arg-type]
    assert "Store.from_url" in str(info.value)
    assert not sa.event.contains(engine, "handle_error", _mark_disconnect)  # untouched


def test_store_given_a_url_hides_its_password() -> None:
    with pytest.raises(InvalidTypeError) as info:
        Store("postgresql://u:hunter2@db/app")  # type: ignore[arg-type]
    assert "hunter2" not in str(info.value)


# -- supported backends -------------------------------------------------------------------------


@pytest.mark.parametrize("url", UNSUPPORTED)
def test_an_unsupported_url_names_the_supported_forms(url: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        async_url(url)
    message = str(info.value)
    for form in ("sqlite+aiosqlite", "postgresql+asyncpg", "oracle+oracledb"):
        assert form in message
    assert "pw@" not in message


@pytest.mark.parametrize("url", UNSUPPORTED)
def test_from_url_refuses_an_unsupported_url_before_importing_a_driver(url: str) -> None:
    with pytest.raises(ConfigurationError, match="postgresql\\+asyncpg"):
        Store.from_url(url)


def test_settings_with_an_unsupported_driver_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="aiomysql"):
        create_engine_for(ConnectionSettings(make_url("mysql+aiomysql://u@db/app")))


@pytest.mark.parametrize(
    ("url", "driver"),
    [
        ("sqlite:///x.db", "sqlite+aiosqlite"),
        ("sqlite+aiosqlite:///x.db", "sqlite+aiosqlite"),
        ("postgres://u@db/app", "postgresql+asyncpg"),
        ("postgresql+asyncpg://u@db/app", "postgresql+asyncpg"),
        ("oracle://u@db", "oracle+oracledb"),
    ],
)
def test_supported_urls_get_their_async_driver(url: str, driver: str) -> None:
    assert async_url(url).drivername == driver


def test_the_cli_reports_an_unsupported_url_as_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--url", "mysql://u:pw@db/app", "current"]) == 2
    err = capsys.readouterr().err
    assert "postgresql+asyncpg" in err
    assert "pip install" not in err
    assert "pw@" not in err


# -- ttl: a timedelta or seconds, everywhere ----------------------------------------------------


@pytest.mark.parametrize(
    ("ttl", "expected"),
    [
        (3600, dt.timedelta(hours=1)),
        (0.5, dt.timedelta(milliseconds=500)),
        (dt.timedelta(minutes=5), dt.timedelta(minutes=5)),
        (None, None),
    ],
)
async def test_latest_takes_ttl_as_seconds_or_timedelta(
    store: Store, ttl: object, expected: dt.timedelta | None
) -> None:
    assert store.latest(ttl=ttl).ttl == expected  # type: ignore[arg-type]
    assert checkpointer_factory(store=store, ttl=ttl).ttl == expected  # type: ignore[arg-type,attr-defined]


@pytest.mark.parametrize(
    ("ttl", "error"),
    [
        (True, InvalidTypeError),
        ("60", InvalidTypeError),
        (0, InvalidInputError),
        (-5, InvalidInputError),
        (dt.timedelta(0), InvalidInputError),
        (math.nan, InvalidInputError),
        (math.inf, InvalidInputError),
        (1e300, InvalidInputError),
    ],
)
async def test_latest_refuses_a_ttl_that_is_not_a_positive_duration(
    store: Store, ttl: object, error: type[Exception]
) -> None:
    with pytest.raises(error, match="ttl"):
        store.latest(ttl=ttl)  # type: ignore[arg-type]
    with pytest.raises(error, match="ttl"):
        checkpointer_factory(store=store, ttl=ttl)  # type: ignore[arg-type]
