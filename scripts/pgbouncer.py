"""A PgBouncer in transaction-pooling mode in front of the test database; prints its URL.

    python scripts/pgbouncer.py [POSTGRES_URL]

Installs Debian's ``pgbouncer`` when it is missing, writes its configuration in a
state directory (``LOCUS_TEST_PGBOUNCER_DIR``, else ``<tmp>/locus_store_pgbouncer``),
starts it on 127.0.0.1 (port 6432, or a free one when that is taken) and waits until
it answers. Idempotent: a second call finds the running one and prints the same URL.
The PostgreSQL URL defaults to ``LOCUS_TEST_POSTGRES_URL``, else the local test
database; its host, port, database and user are what PgBouncer connects to.

The pool is deliberately small (`SERVER_POOL_SIZE` server connections) so that a few
concurrent clients already share server connections, as they do in production.

Exit codes: 0 running (the URL on stdout); 1 it could not be installed or started
(one line on stderr saying why).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import asyncpg
from sqlalchemy.engine import URL, make_url

POSTGRES_URL_ENV = "LOCUS_TEST_POSTGRES_URL"
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
DIR_ENV = "LOCUS_TEST_PGBOUNCER_DIR"
#: Where ``./run test`` puts the URL this script prints (read by the tests).
URL_ENV = "LOCUS_TEST_PGBOUNCER_URL"
PREFERRED_PORT = 6432
#: Server connections per (database, user): fewer than the tests' concurrent clients.
SERVER_POOL_SIZE = 4
STARTUP_SECONDS = 15.0


def _binary() -> str | None:
    found = shutil.which("pgbouncer")
    if found:
        return found
    return "/usr/sbin/pgbouncer" if os.access("/usr/sbin/pgbouncer", os.X_OK) else None


def _install() -> str | None:
    """Debian's pgbouncer, installed quietly (``apt-get update`` only when needed)."""
    if shutil.which("apt-get") is None:
        return None
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = [*sudo, "apt-get", "-y", "-qq", "install", "--no-install-recommends", "pgbouncer"]
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "env": env}
    if subprocess.run(install, check=False, **quiet).returncode != 0:  # type: ignore[call-overload]
        subprocess.run([*sudo, "apt-get", "-qq", "update"], check=False, **quiet)  # type: ignore[call-overload]
        subprocess.run(install, check=False, **quiet)  # type: ignore[call-overload]
    return _binary()


def _state_dir() -> Path:
    return Path(os.environ.get(DIR_ENV) or Path(tempfile.gettempdir()) / "locus_store_pgbouncer")


def _free_port() -> int:
    for port in (PREFERRED_PORT, 0):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(probe.getsockname()[1])
    raise OSError("no free port on 127.0.0.1")


def config(postgres: URL, port: int, state: Path) -> str:
    """The ``pgbouncer.ini`` for ``postgres``'s database behind 127.0.0.1:``port``."""
    user = postgres.username or "postgres"
    target = [
        f"host={postgres.host or '127.0.0.1'}",
        f"port={postgres.port or 5432}",
        f"dbname={postgres.database or 'test'}",
    ]
    if postgres.password:
        target.append(f"password={postgres.password}")
    return "\n".join(
        [
            "[databases]",
            f"{postgres.database or 'test'} = {' '.join(target)}",
            "",
            "[pgbouncer]",
            "listen_addr = 127.0.0.1",
            f"listen_port = {port}",
            f"unix_socket_dir = {state}",
            "pool_mode = transaction",
            "auth_type = trust",
            f"auth_file = {state / 'userlist.txt'}",
            f"admin_users = {user}",
            f"default_pool_size = {SERVER_POOL_SIZE}",
            "min_pool_size = 0",
            "reserve_pool_size = 0",
            "max_client_conn = 500",
            # What asyncpg and SQLAlchemy may send at start-up that PgBouncer does not
            # track per client. synchronous_commit (durability="normal") is left off on
            # purpose: PgBouncer refuses it, which the tests show (docs/operations.md).
            "ignore_startup_parameters = extra_float_digits",
            f"logfile = {state / 'pgbouncer.log'}",
            f"pidfile = {state / 'pgbouncer.pid'}",
            "",
        ]
    )


async def _answers(url: str) -> bool:
    try:
        connection = await asyncpg.connect(url, timeout=2, statement_cache_size=0)
    except (TimeoutError, OSError, asyncpg.PostgresError):
        return False
    try:
        return bool(await connection.fetchval("SELECT 1") == 1)
    except (OSError, asyncpg.PostgresError):
        return False
    finally:
        await connection.close()


def _url(postgres: URL, port: int) -> str:
    return postgres.set(drivername="postgresql", host="127.0.0.1", port=port).render_as_string(
        hide_password=False
    )


def _running(state: Path, postgres: URL) -> str | None:
    """The URL of the PgBouncer already started in ``state``, if it answers."""
    try:
        pid = int((state / "pgbouncer.pid").read_text().strip())
        port = int((state / "port").read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    url = _url(postgres, port)
    return url if asyncio.run(_answers(url)) else None


def _start(binary: str, postgres: URL, state: Path) -> str:
    state.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    user = postgres.username or "postgres"
    (state / "userlist.txt").write_text(f'"{user}" "{postgres.password or ""}"\n')
    ini = state / "pgbouncer.ini"
    ini.write_text(config(postgres, port, state))
    (state / "port").write_text(f"{port}\n")
    (state / "pgbouncer.pid").unlink(missing_ok=True)
    command = [binary, "-d", "-q", str(ini)]
    if os.geteuid() == 0:
        # PgBouncer refuses to run as root; the state directory must be its own.
        shutil.chown(state, "postgres")
        for path in state.iterdir():
            shutil.chown(path, "postgres")
        command[1:1] = ["-u", "postgres"]
    subprocess.run(command, check=True, capture_output=True, text=True)
    url = _url(postgres, port)
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if asyncio.run(_answers(url)):
            return url
        time.sleep(0.2)
    stop()  # not left running in front of a database it cannot reach
    log = state / "pgbouncer.log"
    last = log.read_text().strip().splitlines()[-1:] if log.exists() else []
    raise RuntimeError(f"no answer on 127.0.0.1:{port} ({' '.join(last) or 'no log'})")


def ensure(postgres_url: str) -> str:
    """The URL of a running PgBouncer in front of ``postgres_url`` (started if needed)."""
    postgres = make_url(postgres_url)
    state = _state_dir()
    running = _running(state, postgres)
    if running is not None:
        return running
    binary = _binary() or _install()
    if binary is None:
        raise RuntimeError("pgbouncer is not installed and `apt-get install pgbouncer` failed")
    return _start(binary, postgres, state)


def stop() -> None:
    """Stop the PgBouncer this script started (if any)."""
    with contextlib.suppress(OSError, ValueError):
        os.kill(int((_state_dir() / "pgbouncer.pid").read_text().strip()), 15)


def main(argv: list[str]) -> int:
    if argv[1:2] == ["--stop"]:
        stop()
        return 0
    postgres_url = argv[1] if len(argv) > 1 else os.environ.get(POSTGRES_URL_ENV)
    try:
        print(ensure(postgres_url or DEFAULT_POSTGRES_URL))
    except (OSError, RuntimeError, subprocess.CalledProcessError) as exc:
        detail = exc.stderr.strip() if isinstance(exc, subprocess.CalledProcessError) else exc
        print(f"PgBouncer could not be started: {detail or exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
