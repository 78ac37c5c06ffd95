"""examples/checkpoint_backends.py (seed notebook 54) runs offline and says what it did."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.examples import run_example as run_examples_script


def run_example(cwd: Path) -> list[str]:
    return run_examples_script("checkpoint_backends.py", cwd=cwd)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("notebook_54")


@pytest.fixture(scope="module")
def output(workdir: Path) -> list[str]:
    """The example's output on its embedded SQLite default, in a fresh directory."""
    return run_example(workdir)


def test_its_first_line_names_the_backend(output: list[str]) -> None:
    assert output[0].startswith("Checkpoint backends on SQLite: Store('sqlite+aiosqlite:///")


def test_it_runs_the_notebooks_five_parts_in_order(output: list[str]) -> None:
    parts = [line for line in output if line.startswith("=== Part")]
    assert [p.split(":")[0] for p in parts] == [f"=== Part {i}" for i in range(1, 6)]


def test_part_one_loads_what_it_saved(output: list[str]) -> None:
    assert "Loaded thread_1 with 2 messages, equal to the saved state" in output


def test_part_two_prints_every_capability(output: list[str]) -> None:
    for capability in ("search", "metadata_query", "vacuum", "branching", "list_threads"):
        assert f"  {capability}: True" in output
    assert "  ttl: False" in output


def test_part_three_lists_both_threads_with_one_checkpoint_each(output: list[str]) -> None:
    assert "Threads, most recently saved first: ['thread_2', 'thread_1']" in output
    assert sum(1 for line in output if "1 checkpoint(s)" in line) == 2


def test_part_four_vacuums_the_abandoned_thread_only(output: list[str]) -> None:
    assert any(line.startswith("vacuum(older_than_days=30) removed 1 thread(s)") for line in output)
    assert "Threads left: ['thread_2', 'thread_1']" in output


def test_part_five_finds_each_conversation_by_its_words(output: list[str]) -> None:
    assert "search('Oracle') returned ['thread_1']" in output
    assert "search('second thread') returned ['thread_2']" in output
    assert """search('near "AND" (OR)') returned []""" in output


def test_it_can_run_again_on_the_same_database(workdir: Path, output: list[str]) -> None:
    again = run_example(workdir)
    assert (workdir / "locus_store.sqlite3").exists()
    assert "Threads left: ['thread_2', 'thread_1']" in again
