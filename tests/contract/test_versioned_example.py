"""examples/versioned_saver.py runs notebook 12's story end to end on a SQLite file."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "versioned_saver.py"


def test_the_example_tells_notebook_12s_story_on_sqlite(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ORACLE_", "LOCUS_STORE_"))}
    env["LOCUS_STORE_URL"] = f"sqlite:///{tmp_path / 'example.db'}"
    done = subprocess.run(
        [sys.executable, str(EXAMPLE)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("versioned saver on sqlite: Store('sqlite+aiosqlite:///")
    lineage = [line.split()[0] for line in lines if re.match(r"\s+id='v\d'", line)]
    assert lineage == ["id='v3'", "id='v2'", "id='v1'"]
    assert "  id='v1' parent=None turn=1 messages=3 stop_reason='complete'" in lines
    assert "  v1 rehydrated as AgentState: 3 messages" in lines
    assert "  get_writes(v3) -> 2 rows" in lines
    assert lines[-1] == "Done: the audit trail and the live thread were removed."
