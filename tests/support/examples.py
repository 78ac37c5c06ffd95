"""Running an example script as a user would: a subprocess with no backend configured."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run_example(name: str, *, cwd: Path, url: str | None = None) -> list[str]:
    """Run ``examples/<name>`` in ``cwd`` and return its output lines (it must exit 0).

    Oracle and ``LOCUS_STORE_*`` variables are removed, so the example uses ``url``
    when given, else its embedded SQLite default in ``cwd``.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ORACLE_", "LOCUS_STORE_"))}
    if url is not None:
        env["LOCUS_STORE_URL"] = url
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / name)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()
