"""examples/demo.py (``./run demo``) runs offline and says what each story does."""

from __future__ import annotations

from pathlib import Path

from tests.support.examples import run_example


def test_the_demo_says_which_threads_it_creates_only_to_remove_them(tmp_path: Path) -> None:
    output = run_example("demo.py", cwd=tmp_path)
    backends = output.index("##### checkpoint_backends.py #####")
    assert "'abandoned'" in output[backends + 1]
    assert "vacuum" in output[backends + 1]
    versioned = output.index("##### versioned_saver.py #####")
    assert "deleted again at the end" in output[versioned + 1]
