"""The installed ``locus-store`` script, run as a user runs it: a subprocess in a directory."""

from __future__ import annotations

import importlib.metadata
import sqlite3
from pathlib import Path

import pytest

from locus_store.cli.app import Exit
from tests.support.cli import locus_store


@pytest.fixture
def migrated_file(tmp_path: Path) -> Path:
    """A SQLite file at head, made by ``locus-store upgrade``."""
    done = locus_store("--url", "sqlite:///store.db", "upgrade", cwd=tmp_path)
    assert done.returncode == Exit.OK, done.stderr
    return tmp_path / "store.db"


def _files_beside(database: Path) -> list[str]:
    """The files of the database's directory but its own (and SQLite's -wal, -shm)."""
    return sorted(p.name for p in database.parent.iterdir() if not p.name.startswith(database.name))


def test_version_prints_the_installed_package_version(tmp_path: Path) -> None:
    done = locus_store("--version", cwd=tmp_path)
    assert done.returncode == Exit.OK
    assert done.stdout.strip() == f"locus-store {importlib.metadata.version('locus-store')}"


def test_version_module_reads_the_installed_package_metadata() -> None:
    from locus_store._version import __version__

    assert __version__ == importlib.metadata.version("locus-store")


def test_the_package_exposes_its_version() -> None:
    import locus_store

    assert locus_store.__version__ == importlib.metadata.version("locus-store")


@pytest.mark.parametrize(
    "argv",
    [
        ("--url", "not a url", "threads"),
        ("--url", "nosuchdialect://host/db", "threads"),
        ("upgrade", "--sql", "--url", "not a url"),
    ],
    ids=["unparsable", "unknown-dialect", "upgrade-sql"],
)
def test_a_bad_url_is_a_usage_error_with_one_line(argv: tuple[str, ...], tmp_path: Path) -> None:
    done = locus_store(*argv, cwd=tmp_path)
    assert done.returncode == Exit.USAGE
    assert "--url" in done.stderr
    assert "ArgumentError" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_export_of_an_unknown_thread_leaves_an_existing_file_as_it_was(
    migrated_file: Path,
) -> None:
    backup = migrated_file.parent / "keep.jsonl"
    backup.write_text("the backup of yesterday\n")
    before = _files_beside(migrated_file)

    done = locus_store("--url", "sqlite:///store.db", "export", "nope", "-o", "keep.jsonl",
                       cwd=migrated_file.parent)  # fmt: skip
    assert done.returncode == Exit.NOT_FOUND
    assert "nope" in done.stderr
    assert backup.read_text() == "the backup of yesterday\n"
    assert _files_beside(migrated_file) == before


def test_export_replaces_the_file_only_when_it_is_complete(migrated_file: Path) -> None:
    backup = migrated_file.parent / "keep.jsonl"
    backup.write_text("old\n")
    backup.chmod(0o640)
    done = locus_store("--url", "sqlite:///store.db", "export", "-o", "keep.jsonl",
                       cwd=migrated_file.parent)  # fmt: skip
    assert done.returncode == Exit.OK, done.stderr
    assert '"format":"locus-store-export"' in backup.read_text()
    assert backup.stat().st_mode & 0o777 == 0o640
    assert not [p for p in migrated_file.parent.iterdir() if p.name.startswith(".keep.jsonl")]


@pytest.mark.parametrize(
    "command",
    [
        ("threads",),
        ("current",),
        ("history", "t1"),
        ("show", "t1"),
        ("search", "parcel"),
        ("export", "-o", "out.jsonl"),
        ("vacuum", "--older-than-days", "1", "--dry-run"),
        ("copy", "t1", "t2"),
    ],
    ids=lambda c: c[0],
)
def test_a_missing_sqlite_file_is_named_and_not_created(
    command: tuple[str, ...], tmp_path: Path
) -> None:
    done = locus_store("--url", "sqlite:///missing.db", *command, cwd=tmp_path)
    assert done.returncode == Exit.USAGE
    assert "missing.db" in done.stderr
    assert "locus-store upgrade" in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_reading_commands_open_sqlite_read_only(migrated_file: Path) -> None:
    with sqlite3.connect(migrated_file) as conn:
        conn.execute("PRAGMA journal_mode=DELETE")
    reading = (
        ["threads"],
        ["current"],
        ["search", "x"],
        ["export", "-o", "-"],
        ["vacuum", "--older-than-days", "1", "--dry-run"],
    )
    for command in reading:
        done = locus_store("--url", "sqlite:///store.db", *command, cwd=migrated_file.parent)
        assert done.returncode == Exit.OK, done.stderr
    with sqlite3.connect(migrated_file) as conn:
        # A read-write connection would have switched the file to WAL, as writers do.
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)
