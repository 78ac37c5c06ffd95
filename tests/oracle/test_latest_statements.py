"""Every statement of the single-row checkpointer, compiled for Oracle and parsed by sqlglot.

Also the constructs behind them: the MERGE (never updating its ON column, ORA-38104)
and the Oracle Text query strings built from user text.
"""

from __future__ import annotations

import re
from typing import cast

import pytest
import sqlalchemy as sa
import sqlglot
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import ArgumentError, CompileError
from sqlglot import exp

from locus_store.latest.statements import LatestStatements
from locus_store.schema.tables import schema_for
from locus_store.sql.merge import Merge, upsert
from locus_store.sql.search import (
    MAX_TERMS,
    ORACLE_QUERY_MAX_BYTES,
    oracle_text_query,
    quoted_phrases,
    search_terms,
    translate_query,
)
from locus_store.sql.statements import Dialect
from tests.support.oracle.sqlcheck import assert_parses_as_oracle, compile_for_oracle

SCHEMA = schema_for("locus")
STATEMENTS = LatestStatements.of(SCHEMA.prefix, "oracle").review()


@pytest.mark.parametrize("name", sorted(STATEMENTS))
def test_statement_compiles_for_oracle_and_parses(name: str) -> None:
    assert assert_parses_as_oracle(STATEMENTS[name])


def test_review_covers_every_statement_the_repository_builds() -> None:
    built = set(LatestStatements.of(SCHEMA.prefix, "oracle").statements())
    assert built | {"query_by_metadata"} == set(STATEMENTS)


def test_statements_are_built_once_per_prefix_and_dialect() -> None:
    assert LatestStatements.of("locus", "oracle") is LatestStatements.of("locus", "oracle")
    assert LatestStatements.of("locus", "oracle") is not LatestStatements.of("locus", "sqlite")


def test_save_is_one_merge_that_never_updates_its_on_column() -> None:
    sql = compile_for_oracle(STATEMENTS["save"])
    merge = sqlglot.parse_one(sql, read="oracle")
    assert isinstance(merge, exp.Merge)
    on_columns = {c.name for c in merge.args["on"].find_all(exp.Column)}
    assert on_columns == {"thread_id"}
    update = re.search(r"WHEN MATCHED THEN UPDATE SET (.*?) WHEN NOT MATCHED", sql)
    assert update is not None
    updated = {a.split("=")[0].strip() for a in update.group(1).split(", ") if "=" in a}
    assert updated == {
        "checkpoint_id",
        "state",
        "metadata",
        "search_text",
        "updated_at",
        "expires_at",
    }
    assert "created_at" in sql.split("WHEN NOT MATCHED")[1]


def test_save_is_an_insert_on_conflict_update_on_postgresql_and_sqlite() -> None:
    for dialect in (postgresql.dialect(), sqlite.dialect()):
        name = cast(Dialect, dialect.name)
        save = LatestStatements.of(SCHEMA.prefix, name).review()["save"]
        sql = str(save.compile(dialect=dialect))
        assert sql.startswith(f"INSERT INTO {SCHEMA.threads.name} ")
        assert "ON CONFLICT (thread_id) DO UPDATE SET checkpoint_id = excluded.checkpoint_id" in sql
        assert "created_at = " not in sql


def test_an_upsert_refuses_to_update_a_column_of_its_on_clause() -> None:
    threads = SCHEMA.threads
    key: sa.BindParameter[str] = sa.bindparam("thread_id")
    with pytest.raises(ArgumentError, match="ORA-38104"):
        Merge(
            threads,
            keys=[(threads.c.thread_id, key)],
            inserts=[],
            updates=[(threads.c.thread_id, key)],
        )
    for dialect_name in ("oracle", "postgresql", "sqlite"):
        with pytest.raises(ArgumentError, match="key columns"):
            upsert(
                threads,
                dialect_name,
                values={"thread_id": key},
                keys=["thread_id"],
                update=["thread_id"],
            )


def test_merge_compiles_for_oracle_only() -> None:
    with pytest.raises(CompileError, match="Oracle only"):
        LatestStatements.of(SCHEMA.prefix, "oracle").save.compile(dialect=postgresql.dialect())


def test_search_uses_oracle_text_contains_ranked_by_score() -> None:
    sql = compile_for_oracle(STATEMENTS["search"])
    assert re.search(r"contains\(locus_threads\.search_text, :query, 1\) > 0", sql, re.I)
    assert re.search(r"ORDER BY score\(1\) DESC", sql, re.I)
    assert "FETCH FIRST" in sql


def test_list_threads_escapes_like_wildcards() -> None:
    assert "ESCAPE '!'" in compile_for_oracle(STATEMENTS["list_threads"])


# -- Oracle Text query strings ---------------------------------------------------------------------


def test_each_term_is_escaped_in_braces_and_all_are_required() -> None:
    assert translate_query("parcel Lisbon", "oracle") == "{parcel} AND {Lisbon}"


def test_reserved_words_and_operators_are_escaped() -> None:
    assert translate_query("near AND about(x) ~y", "oracle") == (
        "{near} AND {AND} AND {about(x)} AND {~y}"
    )


def test_characters_that_could_end_an_escape_are_removed() -> None:
    assert oracle_text_query(["a}b{c\\d"]) == "{a b c d}"


def test_an_oracle_text_query_fits_a_varchar2_bind() -> None:
    # 32 terms of 30 four-byte characters: 4059 bytes once escaped, so the last one goes.
    terms = [chr(0x20000 + i) * 30 for i in range(MAX_TERMS)]
    query = translate_query(" ".join(terms), "oracle")
    assert query is not None
    assert query.count("{") == MAX_TERMS - 1
    assert len(query.encode()) <= ORACLE_QUERY_MAX_BYTES


def test_a_term_too_long_for_an_oracle_text_token_is_cut_to_its_indexed_prefix() -> None:
    # Oracle Text indexes the first 255 bytes of a longer word: 63 four-byte characters.
    assert translate_query(chr(0x20000) * 1000, "oracle") == "{" + chr(0x20000) * 63 + "}"


def test_text_without_letters_or_digits_is_no_query() -> None:
    for query in ("", "   ", "?! -- %% __ {}"):
        assert translate_query(query, "oracle") is None


def test_terms_are_deduplicated_ignoring_case_and_capped() -> None:
    assert search_terms("Kiwi kiwi KIWI pear") == ["Kiwi", "pear"]
    assert len(search_terms(" ".join(f"w{i}" for i in range(100)))) == MAX_TERMS


def test_fts5_and_websearch_terms_are_double_quoted_phrases() -> None:
    assert quoted_phrases(['say"hi"', "OR"]) == '"say hi " "OR"'


_ORACLE_QUERY = re.compile(r"\{[^{}\\]*\}( AND \{[^{}\\]*\})*")
_QUOTED_QUERY = re.compile(r'"[^"]*"( "[^"]*")*')


@given(st.text(max_size=200))
def test_any_text_becomes_a_well_formed_query_or_none(text: str) -> None:
    oracle = translate_query(text, "oracle")
    quoted = translate_query(text, "sqlite")
    assert (oracle is None) == (quoted is None)
    if oracle is not None and quoted is not None:
        assert _ORACLE_QUERY.fullmatch(oracle), oracle
        assert _QUOTED_QUERY.fullmatch(quoted), quoted
