"""Every code sample of docs/*.md and README.md runs.

Conventions (an HTML comment on the line before a fenced block; invisible on the site):

- a ``python`` block runs as it is, top-level ``await`` allowed, on the embedded
  SQLite default: the page runs in an empty temporary directory, without
  ``LOCUS_STORE_URL`` or ``ORACLE_*``, so ``Store.from_env()`` and relative
  ``sqlite:///`` files land there. The blocks of a page share one namespace, in order.
- ``<!-- test: postgresql -->``: the block runs against a database created for the
  run on the test PostgreSQL server; every ``postgresql://...`` URL in it is
  replaced by that database's.
- ``<!-- test: cli -->`` (or ``cli postgresql``): a ``bash`` block of ``locus-store``
  commands (one per line, ``> FILE`` allowed); each runs in the page's directory, in
  process, and must exit 0.
- ``<!-- test: oracle -->``: the block needs an Oracle server; it is compiled only.
- ``<!-- test: skip <reason> -->``: not run, for the reason given.

Other shell blocks (installing, ``./run``) and SQL, ini or text blocks are not run.

A reader runs the samples by pasting them into ``python -m asyncio``, so each page with
top-level ``await`` says so before its first sample, and every sample is fed to that
REPL's compiler line by line, as a paste would be (a blank line inside a function body
ends it there).
"""

from __future__ import annotations

import ast
import code
import contextlib
import io
import os
import re
import shlex
import sys
import tomllib
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from locus_store import Store
from locus_store.cli.app import main
from tests.support.backends import DEFAULT_POSTGRES_URL, POSTGRES_URL_ENV
from tests.support.database import run_blocking

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted([*ROOT.joinpath("docs").glob("*.md"), ROOT / "README.md"])
#: Pages whose samples are fragments, with the reason (shown as a skip).
FRAGMENTS = {
    "langgraph.md": "its samples are fragments (`builder`, `engine` and `...` are not defined)",
}

_FENCE = re.compile(
    r"^(?P<indent>[ ]*)```(?P<info>[^\n`]*)\n(?P<body>.*?)^(?P=indent)```[ ]*$", re.M | re.S
)
_MARKER = re.compile(r"<!--\s*test:\s*(?P<spec>.*?)\s*-->\s*$")
_PG_URL = re.compile(r"postgresql(?P<driver>\+\w+)?://[^\"'\s]+")
_ENV_CLEARED = ("LOCUS_STORE_URL", "LOCUS_STORE_TABLE_PREFIX", "ORACLE_DSN", "ORACLE_USER")
#: How each page says to run top-level ``await``, before its first Python sample.
ASYNCIO_REPL = "python -m asyncio"
_PIP_INSTALL = re.compile(r"pip install (?P<target>'[^']+'|[\w.\[\],-]+)")


@dataclass(frozen=True)
class Block:
    page: str
    line: int
    language: str
    code: str
    marker: str | None

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"


def blocks(page: Path) -> list[Block]:
    text = page.read_text(encoding="utf-8")
    found = []
    for match in _FENCE.finditer(text):
        before = text[: match.start()].rstrip("\n").splitlines()
        marker = _MARKER.search(before[-1]) if before else None
        indent = len(match["indent"])
        code = "\n".join(line[indent:] for line in match["body"].splitlines())
        found.append(
            Block(
                page=page.name,
                line=text.count("\n", 0, match.start()) + 1,
                language=(match["info"].split() or [""])[0],
                code=code,
                marker=marker["spec"] if marker else None,
            )
        )
    return found


def test_every_marker_is_known_and_every_skip_says_why() -> None:
    for page in PAGES:
        for block in blocks(page):
            if block.marker is None:
                continue
            kind, _, rest = block.marker.partition(" ")
            assert kind in {"postgresql", "cli", "oracle", "skip"}, block.where
            if kind == "skip":
                assert rest.strip(), f"{block.where}: a skip needs a reason"
            if kind == "cli":
                assert block.language in {"bash", "sh"}, block.where


def test_the_docs_have_samples_that_run() -> None:
    runnable = [
        b
        for page in PAGES
        for b in blocks(page)
        if b.language == "python" and b.marker in (None, "postgresql")
    ]
    assert len(runnable) >= 20


def _awaits_at_top_level(block: Block) -> bool:
    """Whether the sample needs ``await`` outside a function (it compiles only with it)."""
    try:
        compile(block.code, block.where, "exec", dont_inherit=True)
    except SyntaxError:
        return True
    return False


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_a_page_with_top_level_await_says_how_to_run_it_before_its_first_sample(
    page: Path,
) -> None:
    samples = [b for b in blocks(page) if b.language == "python"]
    if not any(_awaits_at_top_level(b) for b in samples):
        pytest.skip(f"{page.name}: no sample awaits at top level")
    lines = page.read_text(encoding="utf-8").splitlines()
    before_first_sample = "\n".join(lines[: samples[0].line])
    assert ASYNCIO_REPL in before_first_sample, f"{page.name}: say how to run top-level await"


class _Paste(code.InteractiveConsole):
    """``python -m asyncio`` fed a sample line by line; compiles, runs nothing."""

    def __init__(self) -> None:
        super().__init__()
        self.compile.compiler.flags |= ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
        self.errors: list[str] = []

    def runcode(self, code: Any) -> None:
        pass

    def showsyntaxerror(self, filename: str | None = None, **kwargs: Any) -> None:
        self.errors.append(repr(sys.exc_info()[1]))


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_the_python_samples_of_a_page_paste_into_the_asyncio_repl(page: Path) -> None:
    refused = []
    for block in blocks(page):
        if block.language != "python":
            continue
        console = _Paste()
        for number, line in enumerate([*block.code.splitlines(), ""], start=block.line + 1):
            seen = len(console.errors)
            console.push(line)
            if len(console.errors) > seen:
                refused.append(f"{page.name}:{number}: {console.errors[-1]}")
    assert refused == []


def test_the_install_lines_name_extras_the_package_has() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = set(project["optional-dependencies"])
    targets = [
        m["target"].strip("'")
        for page in PAGES
        for m in _PIP_INSTALL.finditer(page.read_text(encoding="utf-8"))
    ]
    assert targets, "no install line found"
    for target in targets:
        name, _, rest = target.partition("[")
        assert name in {project["name"], "."}, target
        assert set(filter(None, rest.rstrip("]").split(","))) <= extras, target


@pytest.mark.parametrize("page", ["README.md", "quickstart.md"])
def test_the_install_line_works_from_the_index_and_from_a_checkout(page: str) -> None:
    text = next(p for p in PAGES if p.name == page).read_text(encoding="utf-8")
    assert "pip install 'locus-store[postgresql]'" in text
    assert "pip install '.[postgresql]'" in text


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A database of its own on the test server, dropped at the end."""
    server = os.environ.get(POSTGRES_URL_ENV, DEFAULT_POSTGRES_URL)
    name = f"docs_{uuid.uuid4().hex[:10]}"
    _admin(server, f'CREATE DATABASE "{name}"')
    try:
        yield sa.make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        _admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _admin(server: str, statement: str) -> None:
    """Run ``statement`` outside a transaction (CREATE/DROP DATABASE) through asyncpg."""
    import asyncpg

    async def run() -> None:
        conn = await asyncpg.connect(server)
        try:
            await conn.execute(statement)
        finally:
            await conn.close()

    run_blocking(run)


async def _exec(block: Block, namespace: dict[str, Any]) -> None:
    code = compile(
        block.code, block.where, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True
    )
    result = eval(code, namespace)  # samples of our own docs
    if result is not None:
        await result


def _cli(block: Block, postgres_url: str | None) -> None:
    """Each ``locus-store ...`` line of the block, in-process, in the page's directory."""
    for number, line in enumerate(block.code.splitlines(), start=block.line + 1):
        words = shlex.split(line, comments=True)
        if not words:
            continue
        where = f"{block.page}:{number}"
        assert words[0] == "locus-store", f"{where}: cli blocks hold locus-store commands only"
        target = None
        if ">" in words:
            at = words.index(">")
            words, target = words[:at], words[at + 1]
        if postgres_url is not None:
            words = [
                _PG_URL.sub(lambda m: _with_driver(postgres_url, m["driver"]), w) for w in words
            ]
        out = io.StringIO()
        with ThreadPoolExecutor(max_workers=1) as pool, contextlib.redirect_stdout(out):
            code = pool.submit(main, words[1:]).result()
        assert code == 0, f"{where}: exit {code}"
        if target is not None:
            Path(target).write_text(out.getvalue(), encoding="utf-8")


def _with_driver(url: str, driver: str | None) -> str:
    return (
        sa.make_url(url)
        .set(drivername=f"postgresql{driver or ''}")
        .render_as_string(hide_password=False)
    )


async def _close_stores(namespace: dict[str, Any]) -> None:
    """Release what the samples left open, on the loop that opened it."""
    for value in list(namespace.values()):
        if isinstance(value, Store):
            await value.close()
            await value.engine.dispose()
        elif isinstance(value, AsyncEngine):
            await value.dispose()


@pytest.fixture
async def page_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in (*_ENV_CLEARED, "ORACLE_PASSWORD", "ORACLE_WALLET", "ORACLE_WALLET_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
async def test_the_samples_of_a_page_run(
    page: Path, page_dir: Path, postgres_database: str
) -> None:
    if page.name in FRAGMENTS:
        pytest.skip(f"{page.name}: {FRAGMENTS[page.name]}")
    namespaces: dict[str, dict[str, Any]] = {}
    try:
        for block in blocks(page):
            kind, _, _ = (block.marker or "").partition(" ")
            if block.language == "python":
                if kind in {"oracle", "skip"}:
                    compile(
                        block.code,
                        block.where,
                        "exec",
                        flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT,
                        dont_inherit=True,
                    )
                    continue
                backend = "postgresql" if kind == "postgresql" else "sqlite"
                namespace = namespaces.setdefault(backend, {"__name__": "__docs__"})
                code = block.code
                if backend == "postgresql":
                    code = _PG_URL.sub(lambda m: _with_driver(postgres_database, m["driver"]), code)
                await _exec(Block(block.page, block.line, "python", code, None), namespace)
            elif kind == "cli":
                on_postgres = block.marker is not None and "postgresql" in block.marker
                _cli(block, postgres_database if on_postgres else None)
    finally:
        for namespace in namespaces.values():
            await _close_stores(namespace)
