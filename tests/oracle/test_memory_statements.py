"""The memory store's statements on Oracle, checked against the documentation without a server.

Every statement (the fixed set and the searches in the shapes of the review listing,
``docs/oracle/statements.sql``) is compiled for Oracle and parsed with sqlglot
(:func:`~tests.support.oracle.sqlcheck.read_oracle`, which checks ``FETCH APPROX``
against the documented grammar first); then each Oracle rule the memory store meets is
checked on its own: the MERGE upserts, the approximate row limit of each ``UNION ALL``
branch, the distance function and its metric, ``CONTAINS``/``SCORE`` per branch, the
namespace ``LIKE ... ESCAPE``, reserved words, and the binds thin mode is sent.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from array import array
from typing import Any

import pytest
from sqlglot import exp

from locus_store.memory.namespaces import below, encode
from locus_store.memory.statements import (
    MemoryStatements,
    Scope,
    text_search_statement,
    vector_search_statement,
)
from locus_store.ops.oracle_review import compiled_statements, oracle_dialect
from locus_store.schema.tables import schema_for
from locus_store.schema.types import EMPTY_STRING_SENTINEL
from locus_store.schema.vectors import DISTANCES, ORACLE_DISTANCE_METRICS, EmbeddingVector
from tests.support.oracle.sqlcheck import ORACLE_RESERVED_WORDS, read_oracle

logging.getLogger("sqlglot").setLevel(logging.ERROR)  # it cannot parse item methods in paths

SCHEMA = schema_for("locus")
MEMORY = {k: v for k, v in compiled_statements().items() if k.startswith("memory.")}
DIMS = 8
#: The index-search shapes: (namespaces, under them too, metadata filter).
SHAPES = {
    "1 namespace": (("users/u1",), False, None),
    "3 namespaces": (("users/u1", "users/u2", "teams/t1"), False, None),
    "prefix and filter": (("users/u1",), True, {"topic": "billing"}),
}


def _sql(statement: Any) -> str:
    return str(
        statement.compile(dialect=oracle_dialect(), compile_kwargs={"render_postcompile": True})
    )


def _vector_search(shape: str, distance: str = "cosine") -> str:
    namespaces, prefix, metadata_filter = SHAPES[shape]
    scope = Scope(namespaces, prefix=prefix, metadata_filter=metadata_filter)
    return _sql(vector_search_statement(SCHEMA, "oracle", scope, distance, DIMS))  # type: ignore[arg-type]


def _text_search(shape: str) -> str:
    namespaces, prefix, metadata_filter = SHAPES[shape]
    scope = Scope(namespaces, prefix=prefix, metadata_filter=metadata_filter)
    return _sql(text_search_statement(SCHEMA, "oracle", scope))


def _branches(tree: exp.Expression) -> list[exp.Select]:
    """The query blocks that read the tables themselves (one per namespace searched)."""
    found = []
    for select in tree.find_all(exp.Select):
        source = select.args.get("from") or select.args.get("from_")
        if source is not None and isinstance(source.this, exp.Table):
            found.append(select)
    return found


# -- the listing ---------------------------------------------------------------------


def test_the_review_lists_every_memory_statement_and_the_search_shapes() -> None:
    fixed = {f"memory.{name}" for name in MemoryStatements.of("locus", "oracle").review()}
    assert fixed <= MEMORY.keys()
    for search in ("list", "text_search", "vector_search"):
        for shape in ("1_namespace", "3_namespaces", "prefix_and_filter"):
            assert f"memory.{search}_{shape}" in MEMORY
    assert {"memory.vector_search_1_namespace_dot", "memory.vector_search_1_namespace_l2"} <= (
        MEMORY.keys()
    )


@pytest.mark.parametrize("name", list(MEMORY))
def test_memory_statement_compiles_and_parses_as_oracle(name: str) -> None:
    tree = read_oracle(MEMORY[name][0])
    assert isinstance(tree, exp.Select | exp.Union | exp.Delete | exp.Update | exp.Merge)


@pytest.mark.parametrize("name", list(MEMORY))
def test_no_query_block_with_a_row_limit_selects_two_columns_of_one_name(name: str) -> None:
    """ORA-00918: with a row_limiting_clause, identically named columns need aliases."""
    for select in read_oracle(MEMORY[name][0]).find_all(exp.Select):
        if select.args.get("limit") is None:
            continue
        names = [e.alias_or_name.lower() for e in select.expressions]
        assert len(names) == len(set(names)), (name, names)


def test_no_memory_column_alias_or_bind_is_an_oracle_reserved_word() -> None:
    """``key``, ``value``, ``field``... are keywords at most (SQL Language Reference,
    "Oracle SQL Reserved Words" lists ``VALUES``, not ``VALUE``), so none is quoted."""
    tables = (SCHEMA.memory_items, SCHEMA.memory_vectors, SCHEMA.memory_config)
    names = {c.name.upper() for t in tables for c in t.columns}
    for sql, binds in MEMORY.values():
        tree = read_oracle(sql)
        names |= {a.alias.upper() for a in tree.find_all(exp.Alias)}
        names |= {b.upper() for b in binds}
        assert not [i for i in tree.find_all(exp.Identifier) if i.quoted], sql
    assert {"KEY", "VALUE", "METADATA", "NAMESPACE", "FIELD", "DISTANCE", "BRANCH"} <= names
    assert names.isdisjoint(ORACLE_RESERVED_WORDS), names & ORACLE_RESERVED_WORDS


# -- MERGE ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["memory.put", "memory.put_vector"])
def test_the_upserts_are_one_merge_that_never_updates_its_on_columns(name: str) -> None:
    merge = read_oracle(MEMORY[name][0])
    assert isinstance(merge, exp.Merge)
    on = {c.name for c in merge.args["on"].find_all(exp.Column)}
    updated = {eq.this.name for u in merge.find_all(exp.Update) for eq in u.expressions}
    assert on == ({"namespace", "key"} if name == "memory.put" else {"namespace", "key", "field"})
    assert not on & updated  # ORA-38104
    assert "USING dual ON (" in MEMORY[name][0]


def test_a_put_counts_versions_in_the_merge() -> None:
    sql, binds = MEMORY["memory.put"]
    assert "version = locus_memory_items.version + :version_1" in sql
    assert binds["version_1"] == 1
    assert binds["param_1"] == 1  # a new item starts at version 1
    # created_at is written by the INSERT only: a put keeps it.
    assert "created_at" not in sql.split("WHEN NOT MATCHED")[0]


# -- vector search -------------------------------------------------------------------


@pytest.mark.parametrize("shape", list(SHAPES))
def test_each_branch_orders_by_the_distance_and_fetches_approximately(shape: str) -> None:
    """SQL Language Reference, SELECT, row_limiting_clause: the approximate row limit goes
    with an ORDER BY whose first key is a distance function of one vector column; inside a
    UNION ALL each branch is its own query block (a subquery), so each has both."""
    sql = _vector_search(shape)
    tree = read_oracle(sql)
    branches = _branches(tree)
    assert len(branches) == len(SHAPES[shape][0])
    assert sql.count("FETCH APPROX FIRST :fetch ROWS ONLY") == len(branches)
    for branch in branches:
        first, *rest = branch.args["order"].expressions
        assert first.this.sql("oracle") == (
            "VECTOR_DISTANCE(locus_memory_vectors.embedding, :vector, COSINE)"
        )
        assert not rest
        assert not first.args.get("desc")  # nearest first, the distance alone
        assert isinstance(branch.args["limit"], exp.Fetch)
    if len(branches) > 1:
        outer = tree.args["order"].expressions
        assert [o.sql("oracle") for o in outer] == ["anon_1.branch", "anon_1.distance"]
        assert isinstance(tree.args["from_"].this.this, exp.Union)


@pytest.mark.parametrize("distance", DISTANCES)
def test_the_distance_names_the_metric_the_ivf_index_was_created_with(distance: str) -> None:
    """An approximate search needs the metric of the vector index (SQL Language Reference,
    "VECTOR_DISTANCE"); the migration creates the index with the same name."""
    metric = ORACLE_DISTANCE_METRICS[distance]
    sql = _vector_search("1 namespace", distance)
    assert f"vector_distance(locus_memory_vectors.embedding, :vector, {metric}) AS distance" in sql
    assert {"cosine": "COSINE", "dot": "DOT", "l2": "EUCLIDEAN"}[distance] == metric
    assert not re.search(r"<=>|<->|<#>", sql)


def test_oracles_distance_operators_mean_what_pgvectors_do() -> None:
    """SQL Language Reference, "VECTOR_DISTANCE", Shorthand Operators for Distances:
    ``<->`` is ``VECTOR_DISTANCE(a, b, EUCLIDEAN)``, ``<=>`` is ``COSINE``, ``<#>`` is
    ``DOT`` (``-1*INNER_PRODUCT``), as pgvector's, which PostgreSQL still uses."""
    from sqlalchemy.dialects import postgresql

    scope = Scope(("users/u1",))
    for distance, operator in {"cosine": "<=>", "l2": "<->", "dot": "<#>"}.items():
        pg = vector_search_statement(SCHEMA, "postgresql", scope, distance, DIMS)  # type: ignore[arg-type]
        assert f"embedding {operator} " in str(pg.compile(dialect=postgresql.dialect()))


def test_the_query_vector_is_bound_as_float32_like_the_column() -> None:
    """VECTOR_DISTANCE's operands "must ... have the same number of dimensions"; binding
    array('f') sends the column's own format, FLOAT32 (python-oracledb, "Using VECTOR Data")."""
    processor = (
        EmbeddingVector(DIMS).dialect_impl(oracle_dialect()).bind_processor(oracle_dialect())
    )
    assert processor is not None
    sent = processor([0.5] * DIMS)
    assert isinstance(sent, array)
    assert sent.typecode == "f"
    assert len(sent) == DIMS


def test_the_vector_column_is_declared_in_the_form_every_23ai_release_reads() -> None:
    """SQL Language Reference, "Data Types": ``VECTOR(100, FLOAT32)``, ``VECTOR(*, FLOAT32)``;
    a third argument (``DENSE``/``SPARSE``, ``*``) exists only from 23.7."""
    dialect = oracle_dialect()
    assert dialect.type_compiler_instance.process(EmbeddingVector(1536).dialect_impl(dialect)) == (
        "VECTOR(1536, FLOAT32)"
    )
    assert dialect.type_compiler_instance.process(EmbeddingVector().dialect_impl(dialect)) == (
        "VECTOR(*, FLOAT32)"
    )


# -- text search ---------------------------------------------------------------------


@pytest.mark.parametrize("shape", list(SHAPES))
def test_each_branch_has_its_own_contains_and_score_label(shape: str) -> None:
    """Oracle Text Reference, "SCORE": the label identifies "the CONTAINS clause which
    returns this score"; each branch is a query block of its own with one CONTAINS,
    label 1, and ranks by its SCORE(1)."""
    tree = read_oracle(_text_search(shape))
    branches = _branches(tree)
    assert len(branches) == len(SHAPES[shape][0])
    for branch in branches:
        contains = list(branch.find_all(exp.Contains))
        assert len(contains) == 1
        assert contains[0].args["json_scope"].name == "1"
        assert contains[0].this.sql("oracle") == "locus_memory_items.search_text"
        first = branch.args["order"].expressions[0]
        assert first.this.sql("oracle").upper() == "SCORE(1)"
        assert first.args.get("desc")
        assert isinstance(branch.args["limit"], exp.Fetch)
        assert branch.args.get("offset")
    if len(branches) > 1:
        outer = [o.sql("oracle") for o in tree.args["order"].expressions]
        assert outer == [
            "anon_1.branch",
            "anon_1.score DESC",
            "anon_1.updated_at DESC",
            "anon_1.key",
        ]


# -- namespaces, keys, filters -------------------------------------------------------


def test_a_namespace_prefix_is_a_like_pattern_with_its_own_escape() -> None:
    """SQL Language Reference, "LIKE Condition": ``ESCAPE`` makes the next ``%``/``_``
    literal; every label's own ``%`` is escaped, so only the trailing one is a wildcard."""
    sql = _vector_search("prefix and filter")
    assert (
        "(locus_memory_vectors.namespace = :ns_0 OR locus_memory_vectors.namespace LIKE "
        ":below_0 ESCAPE '!')" in sql
    )
    assert encode(("50%_off", "a!b")) == "50%25_off/a!b"
    assert below(("50%_off", "a!b")) == "50!%25!_off/a!!b/%"


def test_an_empty_key_is_bound_as_the_sentinel_and_namespaces_never_empty() -> None:
    """SQL Language Reference, "Nulls": a zero-length string is NULL, so ``key = ''``
    would never match; keys are `KeyString` (a sentinel in place of ``''``)."""
    statements = MemoryStatements.of("locus", "oracle")
    compiled = statements.get.compile(dialect=oracle_dialect())
    key_type = next(b.type for b, name in compiled.bind_names.items() if name == "keys")
    processor = key_type.bind_processor(oracle_dialect())
    assert processor is not None
    assert processor("") == EMPTY_STRING_SENTINEL
    for name in ("put", "put_vector", "delete", "embeddings", "refresh"):
        compiled = getattr(statements, name).compile(dialect=oracle_dialect())
        for bind, bind_name in compiled.bind_names.items():
            if bind_name in ("key", "item_key"):
                assert bind.type.bind_processor(oracle_dialect())("") == EMPTY_STRING_SENTINEL


@pytest.mark.parametrize("search", ["list", "text_search", "vector_search"])
def test_a_metadata_filter_reads_the_value_with_json_value_and_a_type_method(search: str) -> None:
    """JSON Developer's Guide, "SQL/JSON Path Expression Item Methods": ``stringOnly()``
    yields no value for a non-string, so ``NULL ON ERROR`` makes the comparison unknown."""
    sql, binds = MEMORY[f"memory.{search}_prefix_and_filter"]
    assert (
        "JSON_VALUE(locus_memory_items.metadata, '$.\"topic\".stringOnly()' "
        "RETURNING VARCHAR2(4000) NULL ON ERROR) = :param_2"
    ) in sql
    assert binds["param_2"] == "billing"


def test_every_timestamp_bind_is_marked_utc_with_an_offset() -> None:
    for name, (sql, binds) in MEMORY.items():
        for bind, value in binds.items():
            if isinstance(value, dt.datetime):
                assert f"FROM_TZ(CAST(:{bind} AS TIMESTAMP), '+00:00')" in sql, (name, bind)
