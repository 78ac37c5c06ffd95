"""Wallet connections to Autonomous Database: what reaches ``oracledb.connect_async``.

The engine is built as in production; a ``do_connect`` hook records the arguments
SQLAlchemy hands to python-oracledb and stops there, so nothing needs a server.

The wallets are made here like the zip Autonomous Database hands out: ``tnsnames.ora``
and an ``ewallet.pem`` holding a certificate and its key, encrypted with the wallet
password (PKCS#8), which python-oracledb thin mode opens with
``ssl.SSLContext.load_cert_chain(pem, password=wallet_password)``
(``oracledb/impl/thin/transport.pyx``); ``cwallet.sso`` is the thick-mode file.
"""

from __future__ import annotations

import inspect
import logging
from pathlib import Path
from typing import Any

import oracledb
import pytest
import sqlalchemy as sa
from oracledb.errors import _Error
from sqlalchemy import event

from locus_store import ConfigurationError, Store, StoreUnavailableError
from locus_store.settings import ConnectionSettings, oracle_settings, settings_from_env
from locus_store.store import create_engine_for
from tests.support.oracle.wallets import WALLET_PASSWORD, make_wallet

DB_PASSWORD = "Db-s3cret#pw"


@pytest.fixture
def wallet(tmp_path: Path) -> Path:
    return make_wallet(tmp_path / "wallets" / "mydb")


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


def _env(wallet: Path | str, **extra: str) -> dict[str, str]:
    return {
        "ORACLE_DSN": "mydb_low",
        "ORACLE_USER": "locus_app",
        "ORACLE_PASSWORD": DB_PASSWORD,
        "ORACLE_WALLET": str(wallet),
        **extra,
    }


async def test_wallet_arguments_reach_python_oracledb(wallet: Path) -> None:
    settings = settings_from_env(_env(wallet, ORACLE_WALLET_PASSWORD=WALLET_PASSWORD))
    args = await _connect_arguments(settings)
    assert args == {
        "_cargs": [],
        "user": "locus_app",
        "password": DB_PASSWORD,
        "dsn": "mydb_low",
        "config_dir": str(wallet),
        "wallet_location": str(wallet),
        "wallet_password": WALLET_PASSWORD,
    }


async def test_every_argument_is_a_documented_connect_parameter(wallet: Path) -> None:
    settings = settings_from_env(_env(wallet, ORACLE_WALLET_PASSWORD=WALLET_PASSWORD))
    args = await _connect_arguments(settings)
    documented = set(inspect.signature(oracledb.connect_async).parameters)
    assert set(args) - {"_cargs"} <= documented


async def test_a_wallet_with_an_unencrypted_key_sends_no_wallet_password(tmp_path: Path) -> None:
    plain = make_wallet(tmp_path / "plain", password=None)
    settings = settings_from_env(_env(plain, ORACLE_WALLET_PASSWORD=""))
    args = await _connect_arguments(settings)
    assert "wallet_password" not in args
    assert args["wallet_location"] == args["config_dir"] == str(plain)


async def test_wallet_path_is_expanded_and_dsn_kept_as_a_tnsnames_alias(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    make_wallet(tmp_path / ".oci" / "wallets" / "mydb")
    settings = oracle_settings(
        dsn="mydb_high",
        user="u",
        password="p",
        wallet="~/.oci/wallets/mydb",
        wallet_password=WALLET_PASSWORD,
    )
    args = await _connect_arguments(settings)
    assert args["dsn"] == "mydb_high"
    assert not args["config_dir"].startswith("~")
    assert args["config_dir"].endswith("/.oci/wallets/mydb")


async def test_without_a_wallet_only_the_dsn_is_added() -> None:
    settings = oracle_settings(dsn="dbhost:1522/app_svc", user="u", password="p")
    args = await _connect_arguments(settings)
    assert args == {"_cargs": [], "user": "u", "password": "p", "dsn": "dbhost:1522/app_svc"}


def test_url_without_host_leaves_the_dsn_to_connect_args() -> None:
    engine = create_engine_for(oracle_settings(dsn="mydb_low", user="u", password=DB_PASSWORD))
    cargs, cparams = engine.sync_engine.dialect.create_connect_args(engine.sync_engine.url)
    assert cargs == []
    assert cparams == {"user": "u", "password": DB_PASSWORD}


async def test_passwords_stay_out_of_reprs_errors_and_logs(
    caplog: pytest.LogCaptureFixture, wallet: Path
) -> None:
    settings = settings_from_env(_env(wallet, ORACLE_WALLET_PASSWORD=WALLET_PASSWORD))
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
        assert DB_PASSWORD not in text, text
        assert WALLET_PASSWORD not in text, text
    assert "locus_app:***@" in str(info.value)
    assert "DPY-6005" in str(info.value)


# -- what thin mode cannot use is refused before connecting ---------------------------------


def test_an_auto_login_only_wallet_is_refused_in_thin_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sso_only = make_wallet(tmp_path / "sso", pem=False, sso=True)
    with pytest.raises(ConfigurationError) as info:
        settings_from_env(_env(sso_only, ORACLE_WALLET_PASSWORD=WALLET_PASSWORD))
    message = str(info.value)
    assert "ORACLE_WALLET" in message
    assert "ewallet.pem" in message
    assert "cwallet.sso" in message
    assert str(sso_only) in message
    # Thick mode (after oracledb.init_oracle_client()) reads cwallet.sso: nothing to refuse.
    monkeypatch.setattr(oracledb, "is_thin_mode", lambda: False)
    assert settings_from_env(_env(sso_only)).connect_args["wallet_location"] == str(sso_only)


def test_an_encrypted_wallet_without_its_password_is_refused_before_connecting(
    wallet: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in _env(wallet).items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("ORACLE_WALLET_PASSWORD", raising=False)
    with pytest.raises(ConfigurationError) as info:
        Store.from_env()
    assert "ORACLE_WALLET_PASSWORD" in str(info.value)
    assert str(wallet / "ewallet.pem") in str(info.value)
    # Certificates alone (no key: the server's CA, for one-way TLS) need no password.
    certificates = make_wallet(tmp_path / "ca", key=False)
    assert "wallet_password" not in settings_from_env(_env(certificates)).connect_args


def test_a_wrong_wallet_password_is_refused_without_showing_it(wallet: Path) -> None:
    with pytest.raises(ConfigurationError) as info:
        settings_from_env(_env(wallet, ORACLE_WALLET_PASSWORD="not-the-" + WALLET_PASSWORD))
    assert "ORACLE_WALLET_PASSWORD" in str(info.value)
    assert "ewallet.pem" in str(info.value)
    assert WALLET_PASSWORD not in str(info.value)
    assert WALLET_PASSWORD not in repr(info.value)


def test_a_tnsnames_alias_needs_tnsnames_ora_in_the_wallet(tmp_path: Path) -> None:
    no_tnsnames = make_wallet(tmp_path / "pem-only", tnsnames=False)
    with pytest.raises(ConfigurationError) as info:
        settings_from_env(_env(no_tnsnames, ORACLE_WALLET_PASSWORD=WALLET_PASSWORD))
    assert "ORACLE_DSN" in str(info.value)
    assert "tnsnames.ora" in str(info.value)
    # An Easy Connect string or a connect descriptor is not looked up.
    for dsn in ("tcps://adb.example.com:1522/svc_low", "(description=(address=(protocol=tcps)))"):
        settings = oracle_settings(
            dsn=dsn, user="u", password="p", wallet=no_tnsnames, wallet_password=WALLET_PASSWORD
        )
        assert settings.connect_args["dsn"] == dsn


def test_a_wallet_that_is_not_a_directory_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "Wallet_mydb.zip"
    archive.write_bytes(b"PK\x03\x04")
    with pytest.raises(ConfigurationError) as info:
        settings_from_env(_env(archive, ORACLE_WALLET_PASSWORD=WALLET_PASSWORD))
    assert "ORACLE_WALLET" in str(info.value)
    assert "not a directory" in str(info.value)
