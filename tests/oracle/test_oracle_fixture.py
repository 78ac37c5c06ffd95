"""Where the Oracle tests find a database: URL, ORACLE_* variables, or a container."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import oracledb
import pytest
import testcontainers.community.oracle as tc_oracle

from tests.support import backends
from tests.support.backends import ORACLE_APP_GRANTS, ORACLE_APP_USER, Target, oracle_target
from tests.support.oracle.wallets import make_wallet

_ORACLE_VARS = ("LOCUS_TEST_ORACLE_URL", "ORACLE_DSN", "ORACLE_USER", "ORACLE_PASSWORD")


@pytest.fixture(autouse=True)
def _no_oracle_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*_ORACLE_VARS, "ORACLE_WALLET", "ORACLE_WALLET_PASSWORD"):
        monkeypatch.delenv(name, raising=False)


def _resolve() -> Target | str:
    with oracle_target() as target:
        return target


def test_an_explicit_url_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCUS_TEST_ORACLE_URL", "oracle://app:pw@db:1521/?service_name=FREEPDB1")
    monkeypatch.setenv("ORACLE_DSN", "ignored_low")
    target = _resolve()
    assert isinstance(target, Target)
    assert target.settings.url.drivername == "oracle+oracledb"
    assert target.settings.url.host == "db"


def test_the_notebook_variables_give_a_wallet_target(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    wallet = str(make_wallet(tmp_path / "mydb", password=None))
    for name, value in {
        "ORACLE_DSN": "mydb_low",
        "ORACLE_USER": "locus_test",
        "ORACLE_PASSWORD": "pw",
        "ORACLE_WALLET": wallet,
    }.items():
        monkeypatch.setenv(name, value)
    target = _resolve()
    assert isinstance(target, Target)
    assert target.settings.connect_args["dsn"] == "mydb_low"
    assert target.settings.connect_args["wallet_location"] == wallet


def test_without_oracle_or_docker_the_reason_names_every_way_to_get_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(backends, "docker_answers", lambda: "no Docker engine answers (X)")
    reason = _resolve()
    assert isinstance(reason, str)
    for part in ("LOCUS_TEST_ORACLE_URL", "ORACLE_DSN", "no Docker engine answers", "oracle-free"):
        assert part in reason


def test_the_container_runs_as_an_app_user_granted_oracle_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made: dict[str, Any] = {}
    executed: list[str] = []

    class Container:
        oracle_password = "system-pw"

        def __init__(self, image: str, *, username: str, password: str) -> None:
            made.update(image=image, username=username, password=password)

        def __enter__(self) -> Container:
            return self

        def __exit__(self, *exc: object) -> None:
            made["stopped"] = True

        def get_container_host_ip(self) -> str:
            return "127.0.0.1"

        def get_exposed_port(self, port: int) -> int:
            return 32768

        def get_connection_url(self) -> str:
            return (
                f"oracle+oracledb://{made['username']}:{made['password']}"
                "@127.0.0.1:32768/?service_name=FREEPDB1"
            )

    class Cursor:
        def __enter__(self) -> Cursor:
            return self

        def __exit__(self, *exc: object) -> None:
            return None

        def execute(self, sql: str) -> None:
            executed.append(sql)

    class Connection:
        def __enter__(self) -> Connection:
            return self

        def __exit__(self, *exc: object) -> None:
            return None

        def cursor(self) -> Cursor:
            return Cursor()

    def connect(*, user: str, password: str, dsn: str) -> Connection:
        made["admin"] = (user, password, dsn)
        return Connection()

    monkeypatch.setattr(backends, "docker_answers", lambda: None)
    monkeypatch.setattr(tc_oracle, "OracleDbContainer", Container)
    monkeypatch.setattr(oracledb, "connect", connect)

    with oracle_target() as target:
        assert isinstance(target, Target)
        assert target.settings.url.username == ORACLE_APP_USER
        assert target.settings.url.drivername == "oracle+oracledb"
    assert made["stopped"]
    assert made["admin"] == ("system", "system-pw", "127.0.0.1:32768/FREEPDB1")
    assert executed == [f"GRANT {grant} TO {ORACLE_APP_USER}" for grant in ORACLE_APP_GRANTS]
    assert "CTXAPP" in ORACLE_APP_GRANTS
