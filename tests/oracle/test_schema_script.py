"""The reviewed Oracle DDL script (docs/oracle/schema.sql) is current and runnable as is."""

from __future__ import annotations

import re
from pathlib import Path

import sqlglot
from sqlglot import exp

from locus_store.migrate import offline_sql

SCRIPT = Path(__file__).resolve().parents[2] / "docs" / "oracle" / "schema.sql"


def _statements(script: str) -> list[str]:
    return [
        s.strip() for s in script.split("\n/\n") if s.strip() and not s.strip().startswith("--")
    ]


def test_schema_sql_matches_what_the_migrations_generate() -> None:
    generated = offline_sql()
    assert SCRIPT.read_text(encoding="utf-8") == generated, (
        "docs/oracle/schema.sql is stale: run python scripts/regenerate_oracle_sql.py"
    )


def test_schema_sql_has_no_returning_into_binds_or_date_columns() -> None:
    script = SCRIPT.read_text(encoding="utf-8")
    assert "RETURNING" not in script.upper()
    assert not re.search(r":\w+", script.replace("::", "")), "a bind placeholder left in the script"
    assert not re.search(r"\bDATE\b", script)
    assert "TIMESTAMP WITH TIME ZONE" in script


def test_schema_sql_creates_oracle_text_index_synced_on_commit() -> None:
    script = SCRIPT.read_text(encoding="utf-8")
    assert re.search(
        r"CREATE INDEX locus_threads_txt_ix ON locus_threads \(search_text\)\s+"
        r"INDEXTYPE IS CTXSYS\.CONTEXT PARAMETERS \('SYNC \(ON COMMIT\)'\)",
        script,
    )


def test_schema_sql_dml_and_tables_parse_as_oracle() -> None:
    parsed = 0
    for statement in _statements(SCRIPT.read_text(encoding="utf-8")):
        if "INDEXTYPE IS" in statement:
            continue  # Oracle Text DDL is outside sqlglot's grammar; checked above
        tree = sqlglot.parse_one(statement, read="oracle")
        assert isinstance(tree, exp.Create | exp.Insert | exp.Update), statement
        parsed += 1
    assert parsed >= 7


def test_schema_sql_for_another_prefix_names_only_that_prefix() -> None:
    script = offline_sql(prefix="acme_agents")
    names = set(re.findall(r"(?:TABLE|INDEX|INTO) (\w+)", script))
    assert names and all(n.startswith("acme_agents_") for n in names), names
