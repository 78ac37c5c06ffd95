"""Terminal output of the command line: aligned tables, JSON for scripts, a progress bar.

Standard library only. A table fits the terminal's width when stdout is a terminal
(long cells are cut with an ellipsis) and is printed whole otherwise. The progress
bar draws on stderr only when stderr is a terminal, so scripts and logs see nothing.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

#: Narrowest a column is cut to when a table is wider than the terminal.
MIN_COLUMN_WIDTH = 8
#: Seconds between two redraws of the progress bar.
REDRAW_INTERVAL = 0.1


def dump_json(value: Any, out: TextIO | None = None) -> None:
    """``value`` as indented JSON on ``out`` (stdout by default)."""
    stream = out or sys.stdout
    stream.write(json.dumps(value, indent=2, ensure_ascii=False, default=str) + "\n")


def cell(value: Any) -> str:
    """How one value is shown in a table cell."""
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    return " ".join(str(value).split())


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def _fit(widths: list[int], available: int) -> list[int]:
    """Shrink the widest columns until the row (with two-space gaps) fits ``available``."""
    widths = list(widths)
    budget = available - 2 * (len(widths) - 1)
    while sum(widths) > budget:
        widest = max(range(len(widths)), key=widths.__getitem__)
        if widths[widest] <= MIN_COLUMN_WIDTH:
            break
        widths[widest] -= 1
    return widths


def print_table(
    headers: Sequence[str], rows: Iterable[Sequence[Any]], out: TextIO | None = None
) -> None:
    """An aligned table with a header line; cut to the terminal's width on a terminal."""
    stream = out or sys.stdout
    body = [[cell(v) for v in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in body)]) for i, h in enumerate(headers)]
    if stream.isatty():
        widths = _fit(widths, shutil.get_terminal_size().columns)
    for row in [list(headers), *body]:
        cells = [_cut(text, widths[i]).ljust(widths[i]) for i, text in enumerate(row)]
        stream.write("  ".join(cells).rstrip() + "\n")


class Progress:
    """``label [#####.....] done/total unit`` redrawn on stderr, only when it is a terminal."""

    def __init__(
        self, label: str, total: int | None, *, unit: str = "", stream: TextIO | None = None
    ) -> None:
        self._stream = stream or sys.stderr
        self._enabled = self._stream.isatty()
        self._label = label
        self._total = total
        self._unit = unit
        self._done = 0
        self._started = time.monotonic()
        self._drawn_at = 0.0

    def __enter__(self) -> Progress:
        self._draw(force=True)
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def done(self) -> int:
        return self._done

    def advance(self, count: int = 1) -> None:
        self._done += count
        self._draw()

    def update(self, done: int, total: int | None = None) -> None:
        """Set the count done (and the total, when it became known)."""
        self._done = done
        if total is not None:
            self._total = total
        self._draw()

    def _line(self) -> str:
        elapsed = f"{time.monotonic() - self._started:.0f}s"
        unit = f" {self._unit}" if self._unit else ""
        if not self._total:
            return f"{self._label} {self._done}{unit} {elapsed}"
        share = min(self._done / self._total, 1.0)
        bar = "#" * int(share * 30)
        return f"{self._label} [{bar:<30}] {self._done}/{self._total}{unit} {elapsed}"

    def _draw(self, *, force: bool = False) -> None:
        if not self._enabled:
            return
        now = time.monotonic()
        if not force and now - self._drawn_at < REDRAW_INTERVAL:
            return
        self._drawn_at = now
        self._stream.write("\r" + self._line() + "\x1b[K")
        self._stream.flush()

    def close(self) -> None:
        if self._enabled:
            self._draw(force=True)
            self._stream.write("\n")
            self._stream.flush()
            self._enabled = False
