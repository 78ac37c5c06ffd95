"""``./run test`` stops at once, with one line saying what to do, on an unusable test database.

``scripts/check_postgres.py`` says whether the URL works (exit 0), no server answers
(1: ``./run`` may start the local one) or the server refuses the URL (2: starting it
would not help). ``./run``'s ``ensure_postgres`` is run here as ``./run test`` runs it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import sqlalchemy as sa

from tests.support.backends import DEFAULT_POSTGRES_URL, POSTGRES_URL_ENV

ROOT = Path(__file__).resolve().parents[2]
SERVER = sa.make_url(os.environ.get(POSTGRES_URL_ENV, DEFAULT_POSTGRES_URL))


def check(url: sa.URL | str) -> subprocess.CompletedProcess[str]:
    if isinstance(url, sa.URL):
        url = url.render_as_string(hide_password=False)
    return subprocess.run(
        [sys.executable, "scripts/check_postgres.py", url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def ensure_postgres(url: sa.URL) -> subprocess.CompletedProcess[str]:
    """``./run``'s own ``ensure_postgres`` function, with ``LOCUS_TEST_POSTGRES_URL=url``."""
    script = (ROOT / "run").read_text(encoding="utf-8")
    function = re.search(r"^ensure_postgres\(\) \{\n.*?^\}\n", script, re.M | re.S)
    assert function is not None, "./run has no ensure_postgres function"
    return subprocess.run(
        ["bash", "-c", f"set -euo pipefail\nVENV={Path(sys.prefix)}\n{function[0]}ensure_postgres"],
        cwd=ROOT,
        env={**os.environ, POSTGRES_URL_ENV: url.render_as_string(hide_password=False)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def missing_database() -> sa.URL:
    return SERVER.set(database=f"missing_{uuid.uuid4().hex[:8]}")


def client_options(url: sa.URL, user: str | None) -> str:
    return f"-h {url.host} -p {url.port or 5432} -U {user}"


def test_the_test_database_is_reachable() -> None:
    result = check(SERVER)
    assert (result.returncode, result.stderr) == (0, "")


def test_a_missing_database_is_one_line_naming_createdb() -> None:
    url = missing_database()
    result = check(url)
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1
    assert f"`createdb {client_options(url, url.username)} {url.database}`" in result.stderr


def test_a_missing_role_is_one_line_naming_createuser() -> None:
    url = SERVER.set(username=f"nobody_{uuid.uuid4().hex[:8]}", password=None)
    result = check(url)
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1
    assert f"createuser {client_options(url, 'postgres')} --superuser {url.username}" in (
        result.stderr
    )


def test_no_server_listening_is_exit_1_in_one_line() -> None:
    result = check("postgresql://postgres@127.0.0.1:1/test")
    assert result.returncode == 1
    assert result.stderr.startswith("PostgreSQL not reachable at 127.0.0.1:1:")
    assert len(result.stderr.splitlines()) == 1


def test_run_test_stops_on_a_missing_database_with_the_hint_only() -> None:
    url = missing_database()
    result = ensure_postgres(url)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [check(url).stderr.strip()]


def test_run_test_goes_on_when_the_database_is_there() -> None:
    result = ensure_postgres(SERVER)
    assert (result.returncode, result.stderr) == (0, "")
