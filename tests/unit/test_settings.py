"""Incomplete ``ORACLE_*`` settings are an error naming what is missing, never another database."""

from __future__ import annotations

from pathlib import Path

import pytest

from locus_store import ConfigurationError, Store
from locus_store.cli.app import main
from locus_store.settings import DEFAULT_SQLITE_PATH, ORACLE_ENV, settings_from_env

DB_PASSWORD = "Db-s3cret#pw"
VALUES = {
    "ORACLE_DSN": "mydb_low",
    "ORACLE_USER": "locus_app",
    "ORACLE_PASSWORD": DB_PASSWORD,
    "ORACLE_WALLET": "/wallets/mydb",
    "ORACLE_WALLET_PASSWORD": "W4llet-s3cret",
}


@pytest.mark.parametrize(
    ("given", "missing"),
    [
        (("ORACLE_DSN",), ("ORACLE_USER", "ORACLE_PASSWORD")),
        (("ORACLE_USER", "ORACLE_PASSWORD"), ("ORACLE_DSN",)),
        (("ORACLE_DSN", "ORACLE_USER", "ORACLE_WALLET"), ("ORACLE_PASSWORD",)),
        (
            ("ORACLE_WALLET", "ORACLE_WALLET_PASSWORD"),
            ("ORACLE_DSN", "ORACLE_USER", "ORACLE_PASSWORD"),
        ),
    ],
)
def test_partial_oracle_settings_name_the_missing_variables(
    given: tuple[str, ...], missing: tuple[str, ...]
) -> None:
    with pytest.raises(ConfigurationError) as info:
        settings_from_env({name: VALUES[name] for name in given})
    message = str(info.value)
    assert f"{', '.join(given)} set but {', '.join(missing)} missing" in message
    assert all(VALUES[name] not in message for name in given)


def test_partial_oracle_settings_do_not_fall_back_to_the_url_either() -> None:
    with pytest.raises(ConfigurationError, match="ORACLE_PASSWORD"):
        settings_from_env(
            {"ORACLE_DSN": "mydb_low", "ORACLE_USER": "u", "LOCUS_STORE_URL": "sqlite:///x.db"}
        )


def test_from_env_with_partial_oracle_settings_creates_no_sqlite_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in (*ORACLE_ENV, "LOCUS_STORE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ORACLE_DSN", "mydb_low")
    with pytest.raises(ConfigurationError, match="ORACLE_USER, ORACLE_PASSWORD"):
        Store.from_env()
    assert not (tmp_path / DEFAULT_SQLITE_PATH).exists()


def test_the_cli_exits_2_on_partial_oracle_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ORACLE_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LOCUS_STORE_URL", f"sqlite:///{tmp_path / 'agents.db'}")
    monkeypatch.setenv("ORACLE_USER", "locus_app")
    assert main(["current"]) == 2
    error = capsys.readouterr().err
    assert "ORACLE_DSN" in error
    assert "ORACLE_PASSWORD" in error
