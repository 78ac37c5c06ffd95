"""Erasing a thread on Oracle: every statement compiles and parses, one per table and kind."""

from __future__ import annotations

import pytest

from locus_store.ops.erase import TABLES, ErasureStatements
from locus_store.ops.oracle_review import compiled_statements
from locus_store.schema.tables import schema_for
from tests.support.oracle.sqlcheck import assert_parses_as_oracle

STATEMENTS = ErasureStatements.of("locus", "oracle").review()


@pytest.mark.parametrize("name", sorted(STATEMENTS))
def test_erasure_statement_compiles_and_parses_as_oracle(name: str) -> None:
    sql = assert_parses_as_oracle(STATEMENTS[name])
    assert ":thread_id" in sql


def test_erasure_deletes_and_counts_every_table_of_the_prefix_by_thread() -> None:
    schema = schema_for("locus")
    tables = {getattr(schema, name).name for _, name in TABLES}
    # Memory items belong to namespaces, not threads: clear_namespace erases them.
    memory = {schema.memory_items.name, schema.memory_vectors.name, schema.memory_config.name}
    assert tables == {t.name for t in schema.metadata.sorted_tables} - memory
    compiled = compiled_statements()
    for field, name in TABLES:
        table = getattr(schema, name).name
        delete_sql, binds = compiled[f"erasure.delete_{field}"]
        assert delete_sql.split() == [
            "DELETE",
            "FROM",
            table,
            "WHERE",
            f"{table}.thread_id",
            "=",
            ":thread_id",
        ]
        assert binds == {"thread_id": "thread-1"}
        assert compiled[f"erasure.count_{field}"][0].startswith("SELECT count(*)")
