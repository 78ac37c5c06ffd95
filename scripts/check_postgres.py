"""Can the tests reach their PostgreSQL database? One line on stderr when not.

    python scripts/check_postgres.py [URL]

The URL defaults to ``LOCUS_TEST_POSTGRES_URL``, else the local test database.

Exit codes: 0 reachable; 1 no server answers (it may need starting); 2 the server
answers but refuses this URL (missing database or role, wrong password) — starting
it would not help, so ``./run test`` stops there instead of running every test into
the same error.
"""

from __future__ import annotations

import asyncio
import os
import sys

import asyncpg
from sqlalchemy.engine import URL, make_url

URL_ENV = "LOCUS_TEST_POSTGRES_URL"
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"

REACHABLE, NO_SERVER, REFUSED = 0, 1, 2


def _where(url: URL) -> str:
    return f"{url.host or 'localhost'}:{url.port or 5432}"


def _client_args(url: URL, user: str | None) -> str:
    """The ``-h/-p/-U`` options of the PostgreSQL client programs for ``url``."""
    args = [f"-h {url.host}" if url.host else "", f"-p {url.port}" if url.port else ""]
    args.append(f"-U {user}" if user else "")
    return " ".join(a for a in args if a)


def hint(url: URL, error: BaseException) -> tuple[int, str]:
    """The exit code and the one-line message for ``error`` raised connecting to ``url``."""
    where = _where(url)
    if isinstance(error, asyncpg.InvalidCatalogNameError):
        return REFUSED, (
            f'PostgreSQL at {where} has no database "{url.database}": create it with '
            f"`createdb {_client_args(url, url.username)} {url.database}`, "
            f"or point {URL_ENV} at one that exists"
        )
    if isinstance(error, asyncpg.InvalidAuthorizationSpecificationError) and not isinstance(
        error, asyncpg.InvalidPasswordError
    ):
        return REFUSED, (
            f"PostgreSQL at {where} refused the connection: {error}; create the role with "
            f"`createuser {_client_args(url, 'postgres')} --superuser {url.username}`, "
            f"or fix {URL_ENV}"
        )
    if isinstance(error, asyncpg.PostgresError):
        return REFUSED, f"PostgreSQL at {where} refused the connection: {error} (check {URL_ENV})"
    return NO_SERVER, f"PostgreSQL not reachable at {where}: {error or type(error).__name__}"


async def _connect(url: URL) -> None:
    plain = url.set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(plain, timeout=5)
    await conn.close()


def check(raw_url: str) -> int:
    url = make_url(raw_url)
    try:
        asyncio.run(_connect(url))
    except Exception as error:
        code, message = hint(url, error)
        print(message, file=sys.stderr)
        return code
    return REACHABLE


if __name__ == "__main__":
    sys.exit(check(sys.argv[1] if len(sys.argv) > 1 else os.environ.get(URL_ENV, DEFAULT_URL)))
