"""The Python API page, as a browser shows it: no raw reST roles, no code wider than the page.

The site is built with ``mkdocs build --strict`` into a temporary directory and the
page opened in Debian's Chromium (``/usr/bin/chromium``, or ``LOCUS_TEST_CHROMIUM``),
driven by Playwright. ``./run test`` installs Chromium when it is missing; without it
these tests fail rather than skip.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("LOCUS_TEST_CHROMIUM", "/usr/bin/chromium"))
#: Headless, and nothing that reaches for the network (this machine has none to offer).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: Common desktop widths: a laptop, a larger laptop, a full-HD monitor.
DESKTOP_WIDTHS = (1280, 1440, 1920)
#: Sphinx roles, which MkDocs shows as plain text (``:meth:`x``` renders as ":meth:x").
RAW_ROLE = re.compile(r":(?:meth|class|func|attr|data|mod|exc|obj|const):")
#: Every code block and signature in the page's text, and their scroll containers.
CODE_BLOCKS = "article pre, article pre > code, article .doc-signature, article .doc-signature code"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "-d", str(out)],
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    return out


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert CHROMIUM.exists(), (
        f"no Chromium at {CHROMIUM}: `./run test` installs it "
        "(apt-get install --no-install-recommends chromium)"
    )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


def open_api_page(browser: Browser, site: Path, width: int) -> Page:
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto((site / "api" / "index.html").as_uri())
    return page


def test_the_api_page_renders_the_reference(browser: Browser, site: Path) -> None:
    page = open_api_page(browser, site, DESKTOP_WIDTHS[0])
    assert page.locator('[id="locus_store.Store"]').count() == 1
    assert page.locator('[id="locus_store.Store.from_url"]').count() == 1
    assert page.locator("article .doc-signature").count() >= 20


def test_the_api_page_shows_no_raw_docstring_roles(browser: Browser, site: Path) -> None:
    text = open_api_page(browser, site, DESKTOP_WIDTHS[0]).inner_text("article")
    raw = [
        text[max(0, m.start() - 40) : m.end() + 30].replace("\n", " ")
        for m in RAW_ROLE.finditer(text)
    ]
    assert raw == [], f"{len(raw)} raw roles, e.g. {raw[:5]}"


@pytest.mark.parametrize("width", DESKTOP_WIDTHS)
def test_no_code_block_of_the_api_page_scrolls_sideways(
    browser: Browser, site: Path, width: int
) -> None:
    page = open_api_page(browser, site, width)
    assert page.locator(CODE_BLOCKS).count() >= 20
    too_wide = page.eval_on_selector_all(
        CODE_BLOCKS,
        """blocks => blocks
            .filter(b => b.scrollWidth > b.clientWidth + 1)
            .map(b => `${b.scrollWidth}px in ${b.clientWidth}px: ${b.textContent.slice(0, 80)}`)""",
    )
    assert too_wide == []
