"""Running ``locus-store``: in-process (the ``cli`` fixture) or as the installed script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from locus_store import Store

#: The installed console script, beside the running interpreter.
SCRIPT = Path(sys.executable).with_name("locus-store")
#: Backends of the ``store`` fixture whose role may create tables (others hold DML only).
DDL_BACKENDS = ("sqlite", "postgresql", "oracle")


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


Cli = Callable[..., Result]


def require_ddl(backend: str) -> None:
    """Skip a test that creates tables when ``backend`` connects as a DML-only role."""
    if backend not in DDL_BACKENDS:
        pytest.skip(f"{backend} connects as a role that may not create tables")


def on(store: Store) -> list[str]:
    """The ``--url``, ``--prefix`` (and ``--schema``) options that reach ``store``."""
    url = store.engine.url.render_as_string(hide_password=False)
    schema = ["--schema", store.tables_schema] if store.tables_schema else []
    return ["--url", url, "--prefix", store.table_prefix, *schema]


def locus_store(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``locus-store *argv`` in ``cwd``, with no database configured by the environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ORACLE_", "LOCUS_STORE_"))}
    return subprocess.run(
        [str(SCRIPT), *argv], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
