"""Running ``locus-store`` in-process against the suite's stores, and building conversations."""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest
from locus.core.messages import Message
from locus.core.state import AgentState

from locus_store import Store
from locus_store.cli.app import main


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


Cli = Callable[..., Result]
#: Backends of the ``store`` fixture whose role may create tables (others hold DML only).
DDL_BACKENDS = ("sqlite", "postgresql", "oracle")


def require_ddl(backend: str) -> None:
    """Skip a test that creates tables when ``backend`` connects as a DML-only role."""
    if backend not in DDL_BACKENDS:
        pytest.skip(f"{backend} connects as a role that may not create tables")


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Cli:
    """``cli(*argv)``: run ``locus-store`` (on its own event loop, in a worker thread)."""

    def run(*argv: str) -> Result:
        capsys.readouterr()
        with ThreadPoolExecutor(max_workers=1) as pool:
            code = pool.submit(main, list(argv)).result()
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


def on(store: Store) -> list[str]:
    """The ``--url`` and ``--prefix`` options that reach ``store``."""
    url = store.engine.url.render_as_string(hide_password=False)
    return ["--url", url, "--prefix", store.table_prefix]


def conversation(*turns: str, agent_id: str = "support") -> AgentState:
    """A state whose messages alternate user / assistant, starting with the user."""
    state = AgentState(agent_id=agent_id)
    for i, text in enumerate(turns):
        state = state.with_message(Message.user(text) if i % 2 == 0 else Message.assistant(text))
    return state
