"""A case-sensitive ``LIKE`` on every dialect, for thread-id globs.

PostgreSQL and Oracle compare ``LIKE`` patterns case-sensitively; SQLite folds
ASCII letters, so ``T-*`` would also list ``t-1`` there. On SQLite the pattern is
compiled as ``GLOB`` instead (case-sensitive), and the bound ``LIKE`` pattern is
turned into the equivalent ``GLOB`` pattern as it is bound. Callers keep binding
the escaped ``LIKE`` pattern they always did.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, String, bindparam
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import TypeDecorator

_GLOB_LITERALS = {"*": "[*]", "?": "[?]", "[": "[[]"}

#: Escape character of the ``LIKE`` patterns `glob_to_like` makes.
LIKE_ESCAPE = "!"


def glob_to_like(pattern: str) -> str:
    """A ``*``/``?`` glob as a ``LIKE`` pattern escaped with `LIKE_ESCAPE`.

    ``*`` is any run of characters, ``?`` one character; every other character is
    literal, ``%`` and ``_`` included.
    """
    out = []
    for char in pattern:
        if char in (LIKE_ESCAPE, "%", "_"):
            out.append(LIKE_ESCAPE + char)
        elif char == "*":
            out.append("%")
        elif char == "?":
            out.append("_")
        else:
            out.append(char)
    return "".join(out)


def like_to_glob(pattern: str, escape: str) -> str:
    """The SQLite ``GLOB`` pattern matching exactly what ``LIKE pattern ESCAPE escape`` does
    on a case-sensitive engine."""
    out: list[str] = []
    chars = iter(pattern)
    for char in chars:
        if char == escape:
            literal = next(chars, escape)
            out.append(_GLOB_LITERALS.get(literal, literal))
        elif char == "%":
            out.append("*")
        elif char == "_":
            out.append("?")
        else:
            out.append(_GLOB_LITERALS.get(char, char))
    return "".join(out)


class LikePattern(TypeDecorator[str]):
    """A ``LIKE`` pattern bind; on SQLite its value is bound as the equivalent ``GLOB`` pattern."""

    impl = String
    cache_ok = True

    def __init__(self, escape: str) -> None:
        super().__init__()
        self.escape = escape

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None or dialect.name != "sqlite":
            return value
        return like_to_glob(value, self.escape)


class CaseSensitiveLike(ColumnElement[bool]):
    """``column LIKE :name ESCAPE 'escape'``, case-sensitive on every dialect."""

    __visit_name__ = "case_sensitive_like"
    inherit_cache = True
    type = Boolean()

    _traverse_internals = [  # noqa: RUF012 - SQLAlchemy's own class attribute
        ("column", InternalTraversal.dp_clauseelement),
        ("pattern", InternalTraversal.dp_clauseelement),
        ("escape", InternalTraversal.dp_string),
    ]

    def __init__(self, column: ColumnElement[Any], name: str, escape: str = LIKE_ESCAPE) -> None:
        if len(escape) != 1 or escape in "'%_":
            raise ValueError(f"bad LIKE escape character {escape!r}")
        self.column = column
        self.pattern = bindparam(name, type_=LikePattern(escape))
        self.escape = escape


@compiles(CaseSensitiveLike)
def _like(element: CaseSensitiveLike, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    pattern = compiler.process(element.pattern, **kw)
    # The escape character is one checked character, never a caller's value.
    return f"{column} LIKE {pattern} ESCAPE '{element.escape}'"


@compiles(CaseSensitiveLike, "sqlite")
def _glob(element: CaseSensitiveLike, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    return f"{column} GLOB {compiler.process(element.pattern, **kw)}"
