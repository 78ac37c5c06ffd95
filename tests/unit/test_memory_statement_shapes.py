"""Listing and search statements are kept per shape of their scope, never per value."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select

from locus_store.memory.statements import (
    MAX_SHAPED,
    MemoryStatements,
    Scope,
    text_search_statement,
)
from locus_store.schema.tables import schema_for


def _shaped(sql: MemoryStatements, scope: Scope) -> Select[Any]:
    return sql.shaped(
        "text", scope, lambda: text_search_statement(schema_for("t"), "sqlite", scope)
    )


def test_one_statement_per_shape_whatever_the_namespaces_hold() -> None:
    sql = MemoryStatements.build(schema_for("t"), "sqlite")
    first = _shaped(sql, Scope(("users/u1",)))
    assert _shaped(sql, Scope(("teams/t9",))) is first  # values are bound, not in the SQL
    others = [
        _shaped(sql, Scope(("users/u1", "users/u2"))),
        _shaped(sql, Scope(("users/u1",), prefix=True)),
        _shaped(sql, Scope(("",), prefix=True)),  # the empty prefix: every namespace
    ]
    assert len({id(s) for s in [first, *others]}) == 4
    assert sql.shaped("list", Scope(("users/u1",)), lambda: others[0]) is others[0]
    assert sql.shaped("list", Scope(("users/u2",)), lambda: first) is others[0]  # kept per kind


def test_a_scope_with_filters_is_built_each_call() -> None:
    sql = MemoryStatements.build(schema_for("t"), "sqlite")
    scope = Scope(("users/u1",), value_filter={"kind": "note"})
    assert _shaped(sql, scope) is not _shaped(sql, scope)
    assert _shaped(sql, Scope(("users/u1",), metadata_filter={"a": 1})) is not _shaped(
        sql, Scope(("users/u1",), metadata_filter={"a": 1})
    )


def test_the_kept_statements_stay_bounded() -> None:
    sql = MemoryStatements.build(schema_for("t"), "sqlite")
    for n in range(MAX_SHAPED + 10):
        sql.shaped(
            f"kind-{n}",
            Scope(("users/u1",)),
            lambda: text_search_statement(schema_for("t"), "sqlite", Scope(("users/u1",))),
        )
    assert len(sql._shaped) <= MAX_SHAPED
