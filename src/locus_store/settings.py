"""Database URLs and Oracle wallet arguments from the environment; password redaction."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL, make_url

#: Environment variable holding a SQLAlchemy URL.
URL_ENV = "LOCUS_STORE_URL"
#: Environment variable holding the table prefix.
PREFIX_ENV = "LOCUS_STORE_TABLE_PREFIX"
#: The embedded default when nothing else is configured.
DEFAULT_SQLITE_PATH = "locus_store.sqlite3"

ORACLE_REQUIRED_ENV = ("ORACLE_DSN", "ORACLE_USER", "ORACLE_PASSWORD")

_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    "oracle": "oracle+oracledb",
}


def async_url(url: str | URL) -> URL:
    """Give a URL without a driver (``postgresql://``, ``sqlite://``) its async driver."""
    parsed = make_url(url)
    driver = _ASYNC_DRIVERS.get(parsed.drivername)
    return parsed.set(drivername=driver) if driver else parsed


def redact(url: str | URL) -> str:
    """The URL as text with its password replaced by ``***``."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL is shown without anything after a scheme's '@'
        text = str(url)
        return text.split("@")[-1] if "@" in text else text


@dataclass(frozen=True)
class ConnectionSettings:
    """Everything needed to build an engine: a URL plus driver connect arguments."""

    url: URL
    connect_args: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        shown = {k: ("***" if "password" in k else v) for k, v in self.connect_args.items()}
        return f"ConnectionSettings(url={redact(self.url)!r}, connect_args={shown!r})"


def oracle_settings(
    *,
    dsn: str,
    user: str,
    password: str,
    wallet: str | os.PathLike[str] | None = None,
    wallet_password: str | None = None,
) -> ConnectionSettings:
    """Oracle settings for a tnsnames alias (or Easy Connect string), optionally with a wallet.

    An empty ``wallet_password`` is fine for an auto-login (``cwallet.sso``) wallet.
    """
    url = URL.create("oracle+oracledb", username=user, password=password)
    args: dict[str, Any] = {"dsn": dsn}
    if wallet:
        directory = str(Path(wallet).expanduser())
        args.update(config_dir=directory, wallet_location=directory)
        if wallet_password:
            args["wallet_password"] = wallet_password
    return ConnectionSettings(url, args)


def settings_from_env(environ: dict[str, str] | None = None) -> ConnectionSettings:
    """Oracle from the ``ORACLE_*`` variables, else ``LOCUS_STORE_URL``, else embedded SQLite."""
    env = os.environ if environ is None else environ
    if all(env.get(name) for name in ORACLE_REQUIRED_ENV):
        return oracle_settings(
            dsn=env["ORACLE_DSN"],
            user=env["ORACLE_USER"],
            password=env["ORACLE_PASSWORD"],
            wallet=env.get("ORACLE_WALLET") or None,
            wallet_password=env.get("ORACLE_WALLET_PASSWORD") or None,
        )
    if env.get(URL_ENV):
        return ConnectionSettings(async_url(env[URL_ENV]))
    return ConnectionSettings(async_url(f"sqlite:///{DEFAULT_SQLITE_PATH}"))
