"""Database URLs and Oracle wallet arguments from the environment; password redaction.

Oracle wallets, as python-oracledb's thin mode (its default) reads them ("Connecting to
Oracle Cloud Autonomous Databases", python-oracledb's user guide, and the
``wallet_location`` / ``wallet_password`` parameters of ``oracledb.connect``):

- ``wallet_location`` is a directory that must hold ``ewallet.pem``; ``cwallet.sso``
  (auto-login) is read only in thick mode, after ``oracledb.init_oracle_client()``;
- ``wallet_password`` decrypts ``ewallet.pem`` when its key is encrypted, as in every
  wallet zip downloaded from Autonomous Database (the password chosen when downloading);
- ``config_dir`` is where a tnsnames alias given as the DSN is looked up
  (``tnsnames.ora``).

Thin mode loads the PEM with ``ssl.SSLContext.load_cert_chain(..., password=...)``: with
an encrypted key and no password, OpenSSL prompts on the terminal (a service hangs); with
a wrong one the error is swallowed and the server refuses the handshake later. So
`oracle_settings` opens the PEM the same way first and refuses, before any
connection, what cannot work. One-way TLS (Autonomous Database without mTLS) needs no
wallet: without one, nothing is checked.
"""

from __future__ import annotations

import os
import re
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL, make_url

from locus_store.errors import ConfigurationError

#: Environment variable holding a SQLAlchemy URL.
URL_ENV = "LOCUS_STORE_URL"
#: Environment variable holding the table prefix.
PREFIX_ENV = "LOCUS_STORE_TABLE_PREFIX"
#: The PostgreSQL schema / Oracle owner of the tables, when not the connecting role's own.
SCHEMA_ENV = "LOCUS_STORE_SCHEMA"
#: The embedded default when nothing else is configured.
DEFAULT_SQLITE_PATH = "locus_store.sqlite3"

ORACLE_REQUIRED_ENV = ("ORACLE_DSN", "ORACLE_USER", "ORACLE_PASSWORD")
WALLET_ENV = "ORACLE_WALLET"
WALLET_PASSWORD_ENV = "ORACLE_WALLET_PASSWORD"
#: Every variable that says "Oracle": with any of them set, the required ones must be too.
ORACLE_ENV = (*ORACLE_REQUIRED_ENV, WALLET_ENV, WALLET_PASSWORD_ENV)
#: The wallet file thin mode reads, and the file a tnsnames alias is looked up in.
PEM_WALLET_FILE = "ewallet.pem"
TNSNAMES_FILE = "tnsnames.ora"
#: A DSN without these is a tnsnames alias, not Easy Connect or a connect descriptor.
_NOT_AN_ALIAS = re.compile(r"[/:()=@?]")

_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    "oracle": "oracle+oracledb",
}


#: What a URL may start with; the driverless forms get the driver shown.
SUPPORTED_URLS = (
    "sqlite:/// or sqlite+aiosqlite:///",
    "postgresql:// or postgresql+asyncpg://",
    "oracle:// or oracle+oracledb://",
)
_SUPPORTED_DRIVERS = frozenset(_ASYNC_DRIVERS.values())


def async_url(url: str | URL) -> URL:
    """Give a URL without a driver (``postgresql://``, ``sqlite://``) its async driver.

    Any other backend or driver (``mysql://``, ``postgresql+psycopg2://``) is a
    `ConfigurationError` naming the supported forms.
    """
    try:
        parsed = make_url(url)
    except Exception:
        raise ConfigurationError(f"{redact(url)!r} is not a database URL; {_supported()}") from None
    driver = _ASYNC_DRIVERS.get(parsed.drivername)
    return require_supported(parsed.set(drivername=driver) if driver else parsed)


def require_supported(url: URL) -> URL:
    """``url`` if the store runs on its backend and driver, else `ConfigurationError`."""
    if url.drivername not in _SUPPORTED_DRIVERS:
        raise ConfigurationError(
            f"unsupported database URL {redact(url)} ({url.drivername}); {_supported()}"
        )
    return url


def _supported() -> str:
    return "use " + ", ".join(SUPPORTED_URLS) + " (drivers: aiosqlite, asyncpg, python-oracledb)"


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
    #: The PostgreSQL schema / Oracle owner of the tables when not the connecting role's
    #: own (``create_engine_for(schema=)``); ``None``: the role's default.
    schema: str | None = None

    def __repr__(self) -> str:
        shown = {k: ("***" if "password" in k else v) for k, v in self.connect_args.items()}
        schema = f", schema={self.schema!r}" if self.schema else ""
        return f"ConnectionSettings(url={redact(self.url)!r}, connect_args={shown!r}{schema})"


def oracle_settings(
    *,
    dsn: str,
    user: str,
    password: str,
    wallet: str | os.PathLike[str] | None = None,
    wallet_password: str | None = None,
) -> ConnectionSettings:
    """Oracle settings for a tnsnames alias (or Easy Connect string), optionally with a wallet.

    In thin mode a wallet directory must hold ``ewallet.pem`` (and ``tnsnames.ora`` when
    ``dsn`` is an alias), and ``wallet_password`` must open the PEM's key when it is
    encrypted, as in Autonomous Database wallets: otherwise `ConfigurationError`,
    before any connection.
    """
    url = URL.create("oracle+oracledb", username=user, password=password)
    args: dict[str, Any] = {"dsn": dsn}
    if wallet:
        directory = Path(wallet).expanduser()
        if _thin_mode():
            _check_thin_wallet(directory, dsn, wallet_password)
        args.update(config_dir=str(directory), wallet_location=str(directory))
        if wallet_password:
            args["wallet_password"] = wallet_password
    return ConnectionSettings(url, args)


def _thin_mode() -> bool:
    import oracledb  # only when a wallet is given: the import is not free

    return bool(oracledb.is_thin_mode())


def _check_thin_wallet(directory: Path, dsn: str, wallet_password: str | None) -> None:
    where = f"{WALLET_ENV} (wallet=) {directory}"
    if not directory.is_dir():
        raise ConfigurationError(
            f"{where} is not a directory: unzip the wallet and name its folder"
        )
    pem = directory / PEM_WALLET_FILE
    if not pem.is_file():
        sso = (
            " (its cwallet.sso is read only in thick mode)"
            if (directory / "cwallet.sso").exists()
            else ""
        )
        raise ConfigurationError(
            f"{where} has no {PEM_WALLET_FILE}{sso}: python-oracledb thin mode needs the "
            f"{PEM_WALLET_FILE} of the wallet zip"
        )
    if not _NOT_AN_ALIAS.search(dsn) and not (directory / TNSNAMES_FILE).is_file():
        raise ConfigurationError(
            f"ORACLE_DSN (dsn=) {dsn!r} is a tnsnames alias but {where} has no {TNSNAMES_FILE}"
        )
    _check_wallet_password(pem, wallet_password)


class _PasswordNeeded(Exception):
    pass


def _check_wallet_password(pem: Path, wallet_password: str | None) -> None:
    """Open ``pem`` as thin mode will; OpenSSL asks for a password only for an encrypted key."""
    asked = False

    def password() -> str:
        nonlocal asked
        asked = True
        if not wallet_password:
            raise _PasswordNeeded
        return wallet_password

    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_cert_chain(pem, password=password)
    except _PasswordNeeded:
        raise ConfigurationError(
            f"{pem} is encrypted: set {WALLET_PASSWORD_ENV} (wallet_password=) to the wallet's "
            "password (chosen when the wallet was downloaded); python-oracledb thin mode needs it"
        ) from None
    except ssl.SSLError:
        if asked:
            raise ConfigurationError(
                f"{WALLET_PASSWORD_ENV} (wallet_password=) does not open the key in {pem}"
            ) from None
        # No private key (certificates only): thin mode uses them to trust the server.
    except OSError as exc:
        raise ConfigurationError(f"cannot read {pem}: {exc.strerror}") from None


def settings_from_env(environ: dict[str, str] | None = None) -> ConnectionSettings:
    """Oracle from the ``ORACLE_*`` variables, else ``LOCUS_STORE_URL``, else embedded SQLite.

    Some ``ORACLE_*`` variables without the others are a `ConfigurationError`
    naming the missing ones, not a reason to use another database.
    """
    env = os.environ if environ is None else environ
    given = [name for name in ORACLE_ENV if env.get(name)]
    missing = [name for name in ORACLE_REQUIRED_ENV if not env.get(name)]
    if given and missing:
        raise ConfigurationError(
            f"incomplete Oracle settings: {', '.join(given)} set but {', '.join(missing)} "
            f"missing; set them all, or unset the ORACLE_* variables to use {URL_ENV} or "
            f"the embedded {DEFAULT_SQLITE_PATH}"
        )
    if given:
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
