"""One atomic upsert per dialect: ``MERGE`` on Oracle, ``INSERT ... ON CONFLICT`` elsewhere.

SQLAlchemy has no ``MERGE`` construct, so `Merge` is a small executable
clause compiled for Oracle only::

    MERGE INTO t USING dual ON (t.k = :k)
    WHEN MATCHED THEN UPDATE SET c = :c
    WHEN NOT MATCHED THEN INSERT (k, c) VALUES (:k, :c)

Oracle rejects an update of a column named in the ``ON`` clause (ORA-38104), so
the construct refuses one when it is built. `upsert` picks the statement
for a dialect; callers bind the same parameters whichever it returns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import ArgumentError, CompileError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement, ColumnElement
from sqlalchemy.sql.schema import Column
from sqlalchemy.sql.visitors import InternalTraversal

Assignment = tuple[Column[Any], ColumnElement[Any]]


class Merge(Executable, ClauseElement):
    """``MERGE INTO table USING dual``: update the row matching ``keys``, else insert one.

    ``keys`` pairs each key column with its value and forms the ``ON`` clause;
    ``inserts`` are the other columns of a new row; ``updates`` the columns an
    existing row takes (never a key column).
    """

    __visit_name__ = "merge"
    inherit_cache = True
    _traverse_internals = [  # noqa: RUF012 - SQLAlchemy's own class attribute
        ("table", InternalTraversal.dp_clauseelement),
        ("keys", InternalTraversal.dp_clauseelement_tuples),
        ("inserts", InternalTraversal.dp_clauseelement_tuples),
        ("updates", InternalTraversal.dp_clauseelement_tuples),
    ]

    def __init__(
        self,
        table: Table,
        *,
        keys: Sequence[Assignment],
        inserts: Sequence[Assignment],
        updates: Sequence[Assignment],
    ) -> None:
        if not keys:
            raise ArgumentError("MERGE needs at least one key column for its ON clause")
        on = {column.key for column, _ in keys}
        clash = sorted(column.key for column, _ in updates if column.key in on)
        if clash:
            raise ArgumentError(f"MERGE cannot update its ON columns {clash} (ORA-38104)")
        for column, _ in (*keys, *inserts, *updates):
            if column.table is not table:
                raise ArgumentError(f"column {column.key!r} is not a column of {table.name}")
        self.table = table
        self.keys = tuple(keys)
        self.inserts = tuple(inserts)
        self.updates = tuple(updates)


@compiles(Merge)
def _merge_elsewhere(element: Merge, compiler: SQLCompiler, **kw: Any) -> str:
    raise CompileError(
        f"MERGE is compiled for Oracle only, not {compiler.dialect.name}; "
        "use locus_store.sql.merge.upsert()"
    )


@compiles(Merge, "oracle")
def _merge_oracle(element: Merge, compiler: SQLCompiler, **kw: Any) -> str:
    preparer = compiler.preparer
    table = preparer.format_table(element.table)

    def name(column: Column[Any]) -> str:
        return preparer.format_column(column)

    def value(expression: ColumnElement[Any]) -> str:
        return compiler.process(expression, **kw)

    on = " AND ".join(f"{table}.{name(c)} = {value(v)}" for c, v in element.keys)
    sql = f"MERGE INTO {table} USING dual ON ({on})"
    if element.updates:
        assignments = ", ".join(f"{name(c)} = {value(v)}" for c, v in element.updates)
        sql += f" WHEN MATCHED THEN UPDATE SET {assignments}"
    row = (*element.keys, *element.inserts)
    columns = ", ".join(name(c) for c, _ in row)
    values = ", ".join(value(v) for _, v in row)
    # Identifiers come from the preparer and values are compiled bind placeholders.
    return f"{sql} WHEN NOT MATCHED THEN INSERT ({columns}) VALUES ({values})"  # noqa: S608


#: What `upsert` returns: executable and compilable alike.
Upsert = Merge | postgresql.Insert | sqlite.Insert


def upsert(
    table: Table,
    dialect_name: str,
    *,
    values: Mapping[str, ColumnElement[Any]],
    keys: Sequence[str],
    update: Sequence[str],
    increment: Sequence[str] = (),
) -> Upsert:
    """Insert a row of ``values``, or update the ``update`` columns of the row with its ``keys``.

    ``increment`` columns of an existing row go up by one (a new row takes ``values``).

    One statement on every dialect: a `Merge` on Oracle, an
    ``INSERT ... ON CONFLICT (keys) DO UPDATE`` on PostgreSQL and SQLite.
    """
    missing = sorted({*keys, *update} - set(values))
    if missing:
        raise ArgumentError(f"upsert has no value for {missing}")
    if set(keys) & {*update, *increment}:
        raise ArgumentError("an upsert cannot update its key columns")
    bumped = {c: table.c[c] + 1 for c in increment}
    if dialect_name == "oracle":
        return Merge(
            table,
            keys=[(table.c[k], values[k]) for k in keys],
            inserts=[(table.c[c], v) for c, v in values.items() if c not in keys],
            updates=[
                *((table.c[c], values[c]) for c in update),
                *((table.c[c], v) for c, v in bumped.items()),
            ],
        )
    if dialect_name == "postgresql":
        pg = postgresql.insert(table).values(dict(values))
        return pg.on_conflict_do_update(
            index_elements=[table.c[k] for k in keys],
            set_={**{c: pg.excluded[c] for c in update}, **bumped},
        )
    if dialect_name == "sqlite":
        lite = sqlite.insert(table).values(dict(values))
        return lite.on_conflict_do_update(
            index_elements=[table.c[k] for k in keys],
            set_={**{c: lite.excluded[c] for c in update}, **bumped},
        )
    raise CompileError(f"no upsert for the {dialect_name} dialect")
