"""The shape every contract's statements share: a frozen set built once per (prefix, dialect).

A contract's ``statements.py`` subclasses `StatementSet` with one field per statement
and a `StatementSet.build` that makes them; ``SomeStatements.of(prefix, dialect)``
returns the one instance for that pair. Repositories only bind and run what a set
holds. `StatementSet.review` lists every statement with representative values bound
(`bound`), which ``docs/oracle/statements.sql`` is generated from.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, ClassVar, Literal, Self, TypeVar, get_args

from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.elements import BindParameter, ClauseElement
from sqlalchemy.sql.visitors import cloned_traverse

from locus_store.errors import ConfigurationError
from locus_store.schema.tables import Schema, schema_for

#: The dialects the store runs on.
Dialect = Literal["oracle", "postgresql", "sqlite"]
DIALECTS: tuple[Dialect, ...] = get_args(Dialect)

_S = TypeVar("_S", bound=ClauseElement)
_T = TypeVar("_T")


def dialect_of(name: str) -> Dialect:
    """``name`` (an engine's ``dialect.name``) as a `Dialect`, or `ConfigurationError`."""
    for dialect in DIALECTS:
        if name == dialect:
            return dialect
    raise ConfigurationError(
        f"the store does not run on {name!r}: it runs on {', '.join(DIALECTS)}"
    )


class StatementSet:
    """Base of every contract's statement set (subclasses are frozen dataclasses)."""

    _built: ClassVar[dict[tuple[type, str, str], Any]] = {}
    _lock: ClassVar[threading.RLock] = threading.RLock()

    @classmethod
    def of(cls, prefix: str, dialect: Dialect) -> Self:
        """The statements for ``prefix`` on ``dialect``, built on first use."""
        key = (cls, prefix, dialect)
        found = StatementSet._built.get(key)
        if found is None:
            with StatementSet._lock:
                found = StatementSet._built.get(key)
                if found is None:
                    found = StatementSet._built[key] = cls.build(schema_for(prefix), dialect)
        return found

    @classmethod
    def build(cls, schema: Schema, dialect: Dialect) -> Self:
        """Make every statement of the set (parameters unbound)."""
        raise NotImplementedError

    def statements(self) -> dict[str, Executable]:
        """The set's statements by field name (its other fields, tables say, left out)."""
        return {name: value for name, value in vars(self).items() if isinstance(value, Executable)}

    def review(self) -> dict[str, ClauseElement]:
        """Every statement the contract issues, with representative values bound."""
        raise NotImplementedError


def bound(statement: _S, values: Mapping[str, Any] | None = None, /, **more: Any) -> _S:
    """A copy of ``statement`` whose bind parameters carry these values (DML included)."""
    given = {**(values or {}), **more}

    def visit_bindparam(bind: BindParameter[Any]) -> None:
        if bind.key in given:
            bind.value = given[bind.key]
            bind.required = False

    return cloned_traverse(
        statement,
        {"maintain_key": True, "detect_subquery_cols": True},
        {"bindparam": visit_bindparam},
    )


def chunks(items: Sequence[_T], size: int) -> Iterator[list[_T]]:
    """``items`` in consecutive lists of at most ``size`` (what one statement binds)."""
    for start in range(0, len(items), size):
        yield list(items[start : start + size])
