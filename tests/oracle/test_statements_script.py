"""docs/oracle/statements.sql: current, parseable as Oracle, and within Oracle's rules."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlglot import exp

from locus_store.ops.oracle_review import SOURCES, compiled_statements, statements_script
from tests.support.oracle.sqlcheck import ORACLE_RESERVED_WORDS, read_oracle

SCRIPT = Path(__file__).resolve().parents[2] / "docs" / "oracle" / "statements.sql"
STATEMENTS = compiled_statements()
GROUPS = [group for group, _title, _review in SOURCES]
ORACLE_IDENTIFIER_LIMIT = 128
#: DML ``RETURNING col, ... INTO :bind`` (a JSON function's ``RETURNING VARCHAR2(n)`` is fine).
RETURNING_INTO = re.compile(r"\bRETURNING\b[^()]*?\bINTO\s+:", re.IGNORECASE)


def _blocks(script: str) -> list[str]:
    """The statements of the script, without their comment lines."""
    blocks = []
    for chunk in script.split("\n/\n"):
        sql = "\n".join(line for line in chunk.splitlines() if not line.startswith("--")).strip()
        if sql:
            blocks.append(sql)
    return blocks


def test_statements_sql_matches_what_the_code_generates() -> None:
    assert SCRIPT.read_text(encoding="utf-8") == statements_script(), (
        "docs/oracle/statements.sql is stale: run python scripts/regenerate_oracle_sql.py"
    )


def test_script_lists_every_statement_of_every_repository_once() -> None:
    script = SCRIPT.read_text(encoding="utf-8")
    names = re.findall(rf"^-- ((?:{'|'.join(GROUPS)})\.\w+)$", script, re.MULTILINE)
    assert names == list(STATEMENTS)
    assert {name.split(".")[0] for name in names} == {
        "latest",
        "versioned",
        "langgraph",
        "erasure",
        "memory",
    }
    assert _blocks(script) == [sql for sql, _ in STATEMENTS.values()]


@pytest.mark.parametrize("name", list(STATEMENTS))
def test_statement_parses_as_oracle_dml(name: str) -> None:
    tree = read_oracle(STATEMENTS[name][0])
    assert isinstance(
        tree, exp.Select | exp.Union | exp.Insert | exp.Update | exp.Delete | exp.Merge
    ), type(tree)


@pytest.mark.parametrize("name", [n for n, (sql, _) in STATEMENTS.items() if "MERGE" in sql])
def test_merge_never_updates_a_column_of_its_on_clause(name: str) -> None:
    """ORA-38104: columns referenced in the ON clause cannot be updated."""
    merge = read_oracle(STATEMENTS[name][0])
    assert isinstance(merge, exp.Merge)
    on_columns = {c.name.lower() for c in merge.args["on"].find_all(exp.Column)}
    updated = {
        eq.this.name.lower()
        for update in merge.find_all(exp.Update)
        for eq in update.expressions
        if isinstance(eq, exp.EQ)
    }
    assert on_columns
    assert not (on_columns & updated), (on_columns, updated)


def test_every_statement_follows_the_oracle_rules() -> None:
    for name, (sql, params) in STATEMENTS.items():
        upper = sql.upper()
        assert not RETURNING_INTO.search(sql), name
        assert not re.search(r"\bDATE\b|\bSYSDATE\b", upper), name
        assert "ROWNUM" not in upper, name
        assert not re.search(r"\bLIMIT\s+[:\d]", upper), name
        if "FETCH" in upper or "OFFSET" in upper:
            assert re.search(
                r"\bFETCH (APPROX )?FIRST (:\w+|\d+) ROWS ONLY\b|\bOFFSET (:\w+|\d+) ROWS\b",
                upper,
            ), name
        for bind in params:
            assert len(bind) <= ORACLE_IDENTIFIER_LIMIT, (name, bind)
            # ORA-01745 (invalid host/bind variable name) for a reserved word.
            assert bind.upper() not in ORACLE_RESERVED_WORDS, (name, bind)
        tree = read_oracle(sql)
        for identifier in tree.find_all(exp.Identifier):
            assert len(identifier.name.encode()) <= ORACLE_IDENTIFIER_LIMIT, (name, identifier)


def test_statements_with_a_limit_paginate_with_fetch_first() -> None:
    limited = [name for name, (_, params) in STATEMENTS.items() if "limit" in params]
    assert limited
    for name in limited:
        assert "FETCH FIRST :limit ROWS ONLY" in STATEMENTS[name][0], name


def test_script_holds_no_date_column_and_no_returning_into() -> None:
    script = SCRIPT.read_text(encoding="utf-8")
    body = "\n".join(_blocks(script))
    assert not RETURNING_INTO.search(body)
    assert not re.search(r"\bDATE\b", body.upper())


def test_binds_are_shown_with_representative_values() -> None:
    script = SCRIPT.read_text(encoding="utf-8")
    save = script[script.index("-- latest.save\n") :].split("\n/\n", 1)[0]
    assert "--   :thread_id = 'thread-1'" in save
    assert '--   :state = \'{"agent_id":"agent"' in save
    assert "--   :now = TIMESTAMP '2026-01-01 00:00:00' (UTC)" in save
    assert "MERGE INTO locus_threads" in save


def test_another_prefix_names_only_its_own_tables() -> None:
    tables: set[str] = set()
    for sql, _ in compiled_statements("acme_agents").values():
        tree = read_oracle(sql)
        ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
        tables |= {t.name.lower() for t in tree.find_all(exp.Table) if t.name} - ctes
    tables -= {"dual"}
    assert tables
    assert all(t.startswith("acme_agents_") for t in tables), tables
