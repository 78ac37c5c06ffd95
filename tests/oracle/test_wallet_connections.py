"""Wallet connections to Autonomous Database: what reaches ``oracledb.connect_async``.

The engine is built as in production; a ``do_connect`` hook records the arguments
SQLAlchemy hands to python-oracledb and stops there, so nothing needs a server.
"""

from __future__ import annotations

import inspect
import logging
from typing import Any

import oracledb
import pytest
import sqlalchemy as sa
from oracledb.errors import _Error
from sqlalchemy import event

from locus_store import Store, StoreUnavailableError
from locus_store.settings import ConnectionSettings, oracle_settings, settings_from_env
from locus_store.store import create_engine_for

DB_PASSWORD = "Db-s3cret#pw"
WALLET_PASSWORD = "W4llet-s3cret"


class _Stop(Exception):
    """Raised instead of connecting."""


async def _connect_arguments(settings: ConnectionSettings) -> dict[str, Any]:
    engine = create_engine_for(settings)
    seen: dict[str, Any] = {}

    def capture(dialect: Any, record: Any, cargs: Any, cparams: dict[str, Any]) -> None:
        seen.update(cparams, _cargs=list(cargs))
        raise _Stop

    event.listen(engine.sync_engine, "do_connect", capture)
    try:
        with pytest.raises(_Stop):
            async with engine.connect():
                pass
    finally:
        await engine.dispose()
    return seen


def _env(**extra: str) -> dict[str, str]:
    return {
        "ORACLE_DSN": "mydb_low",
        "ORACLE_USER": "locus_app",
        "ORACLE_PASSWORD": DB_PASSWORD,
        "ORACLE_WALLET": "/wallets/mydb",
        **extra,
    }


async def test_wallet_arguments_reach_python_oracledb() -> None:
    settings = settings_from_env(_env(ORACLE_WALLET_PASSWORD=WALLET_PASSWORD))
    args = await _connect_arguments(settings)
    assert args == {
        "_cargs": [],
        "user": "locus_app",
        "password": DB_PASSWORD,
        "dsn": "mydb_low",
        "config_dir": "/wallets/mydb",
        "wallet_location": "/wallets/mydb",
        "wallet_password": WALLET_PASSWORD,
    }


async def test_every_argument_is_a_documented_connect_parameter() -> None:
    settings = settings_from_env(_env(ORACLE_WALLET_PASSWORD=WALLET_PASSWORD))
    args = await _connect_arguments(settings)
    documented = set(inspect.signature(oracledb.connect_async).parameters)
    assert set(args) - {"_cargs"} <= documented


async def test_auto_login_wallet_sends_no_wallet_password() -> None:
    settings = settings_from_env(_env(ORACLE_WALLET_PASSWORD=""))
    args = await _connect_arguments(settings)
    assert "wallet_password" not in args
    assert args["wallet_location"] == args["config_dir"] == "/wallets/mydb"


async def test_wallet_path_is_expanded_and_dsn_kept_as_a_tnsnames_alias() -> None:
    settings = oracle_settings(
        dsn="mydb_high", user="u", password="p", wallet="~/.oci/wallets/mydb"
    )
    args = await _connect_arguments(settings)
    assert args["dsn"] == "mydb_high"
    assert not args["config_dir"].startswith("~") and args["config_dir"].endswith(
        "/.oci/wallets/mydb"
    )


async def test_without_a_wallet_only_the_dsn_is_added() -> None:
    settings = oracle_settings(dsn="dbhost:1522/app_svc", user="u", password="p")
    args = await _connect_arguments(settings)
    assert args == {"_cargs": [], "user": "u", "password": "p", "dsn": "dbhost:1522/app_svc"}


def test_url_without_host_leaves_the_dsn_to_connect_args() -> None:
    engine = create_engine_for(oracle_settings(dsn="mydb_low", user="u", password=DB_PASSWORD))
    cargs, cparams = engine.sync_engine.dialect.create_connect_args(engine.sync_engine.url)
    assert cargs == [] and cparams == {"user": "u", "password": DB_PASSWORD}


async def test_passwords_stay_out_of_reprs_errors_and_logs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = settings_from_env(_env(ORACLE_WALLET_PASSWORD=WALLET_PASSWORD))
    store = Store.from_settings(settings, echo_pool="debug")

    def refuse(dialect: Any, record: Any, cargs: Any, cparams: dict[str, Any]) -> None:
        raise oracledb.OperationalError(
            _Error("DPY-6005: cannot connect to database (CONNECTION_ID=x).")
        )

    event.listen(store.engine.sync_engine, "do_connect", refuse)
    caplog.set_level(logging.DEBUG, logger="sqlalchemy")
    try:
        with pytest.raises(StoreUnavailableError) as info:
            await store.run(lambda c: c.execute(sa.text("SELECT 1 FROM DUAL")))
    finally:
        await store.close()
    assert caplog.text  # the pool logged the attempt
    shown = [repr(settings), str(settings), repr(store), str(store.engine.url), caplog.text]
    shown += [str(info.value), repr(info.value)]
    for text in shown:
        assert DB_PASSWORD not in text and WALLET_PASSWORD not in text, text
    assert "locus_app:***@" in str(info.value)
    assert "DPY-6005" in str(info.value)
