"""examples/versioned_saver.py runs notebook 12's story end to end on a SQLite file."""

from __future__ import annotations

import re
from pathlib import Path

from tests.support.examples import run_example


def test_the_example_tells_notebook_12s_story_on_sqlite(tmp_path: Path) -> None:
    lines = run_example(
        "versioned_saver.py", cwd=tmp_path, url=f"sqlite:///{tmp_path / 'example.db'}"
    )
    assert lines[0].startswith("versioned saver on sqlite: Store('sqlite+aiosqlite:///")
    lineage = [line.split()[0] for line in lines if re.match(r"\s+id='v\d'", line)]
    assert lineage == ["id='v3'", "id='v2'", "id='v1'"]
    assert "  id='v1' parent=None turn=1 messages=3 stop_reason='complete'" in lines
    assert "  v1 rehydrated as AgentState: 3 messages" in lines
    assert "  get_writes(v3) -> 2 rows" in lines
    assert lines[-1] == "Done: the audit trail and the live thread were removed."
