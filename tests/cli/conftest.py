"""The ``cli`` fixture: ``locus-store`` run in-process against the suite's stores."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from locus_store.cli.app import main
from tests.support.cli import Cli, Result


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
