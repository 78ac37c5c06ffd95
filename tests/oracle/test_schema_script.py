"""The reviewed Oracle DDL script (docs/oracle/schema.sql) is current and runnable as is.

The script is read the way SQL*Plus and SQLcl read it: SQL*Plus commands (``WHENEVER``)
on a line of their own, comments, and statements (SQL or PL/SQL blocks) each ended by a
``/`` line. Every step is guarded so that a run which failed half-way (each Oracle DDL
commits) can be run again; the checks below hold for the upgrade and the downgrade.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
import sqlglot
from alembic import command
from sqlglot import exp

from locus_store.migrate import ORACLE_OFFLINE_URL, alembic_config, offline_sql
from locus_store.schema.tables import DEFAULT_PREFIX
from tests.support.oracle.sqlcheck import region_names, zone_literals

SCRIPT = Path(__file__).resolve().parents[2] / "docs" / "oracle" / "schema.sql"
STOP_ON_ERROR = "WHENEVER SQLERROR EXIT FAILURE ROLLBACK"
_SQLPLUS_COMMAND = re.compile(r"^(WHENEVER|SET|SPOOL|PROMPT)\b", re.IGNORECASE)
#: The revision that rewrote stored timestamps holding a region at offset +00:00.
UTC_OFFSETS_REVISION = "c4e1f7a92b3d"
#: A vector column's type, as every 23ai release documents it (see `_vector_columns_checked`).
VECTOR_TYPE = re.compile(r"VECTOR\((?:[1-9]\d{0,4}|\*), FLOAT32\)")
#: ``CREATE VECTOR INDEX`` for an IVF index, as the SQL Language Reference ("CREATE
#: VECTOR INDEX") and the AI Vector Search User's Guide ("Inverted File Flat CREATE
#: INDEX") write it: ``CREATE VECTOR INDEX name ON table (column) ORGANIZATION
#: NEIGHBOR PARTITIONS [WITH] DISTANCE metric WITH TARGET ACCURACY percentage`` (no IF
#: NOT EXISTS in its grammar; metrics of "VECTOR_DISTANCE"). sqlglot does not know it.
VECTOR_INDEX = re.compile(
    r"CREATE VECTOR INDEX (\w+) ON (\w+) \((\w+)\) ORGANIZATION NEIGHBOR PARTITIONS "
    r"DISTANCE (COSINE|DOT|EUCLIDEAN) WITH TARGET ACCURACY (\d{1,3})"
)


def _script() -> str:
    return SCRIPT.read_text(encoding="utf-8")


def _vector_columns_checked(sql: str) -> str:
    """``sql`` with each ``VECTOR(n, FLOAT32)`` column type checked, then read as a BLOB.

    sqlglot reads only the three-argument ``VECTOR(n, format, storage)`` of 23.7 and
    later; the two-argument form is the one every 23ai release documents (SQL Language
    Reference, "Data Types": ``VECTOR(100, FLOAT32)``, ``VECTOR(*, FLOAT32)``).
    """
    declared = re.findall(r"\bVECTOR\([^)]*\)", sql)
    assert all(VECTOR_TYPE.fullmatch(d) for d in declared), declared
    return VECTOR_TYPE.sub("BLOB", sql)


def _offline_sql_with(**options: object) -> str:
    """What ``alembic -x ... upgrade head --sql`` prints for Oracle with these options."""
    buffer = io.StringIO()
    config = alembic_config(DEFAULT_PREFIX, ORACLE_OFFLINE_URL)
    config.output_buffer = buffer
    config.attributes["table_prefix"] = DEFAULT_PREFIX
    config.attributes.update(options)
    command.upgrade(config, "head", sql=True)
    return buffer.getvalue()


def _downgrade_script() -> str:
    return offline_sql(revision="base", from_revision="head", direction="downgrade")


def _statements(script: str) -> list[str]:
    """The SQL statements and PL/SQL blocks, without comments and SQL*Plus commands."""
    statements = []
    for chunk in script.split("\n/\n"):
        lines = [
            line
            for line in chunk.splitlines()
            if not line.lstrip().startswith("--") and not _SQLPLUS_COMMAND.match(line)
        ]
        statement = "\n".join(lines).strip()
        if statement:
            statements.append(statement)
    return statements


def _is_plsql(statement: str) -> bool:
    return bool(re.match(r"(DECLARE|BEGIN)\b", statement)) and statement.endswith("END;")


def _dynamic_sql(block: str) -> list[str]:
    return re.findall(r"EXECUTE IMMEDIATE '((?:[^']|'')*)'", block)


#: Oracle's code for a column added that exists, and for one dropped that does not
#: (Database Error Messages: ORA-01430, ORA-00904): what a guarded ALTER ignores.
ALTER_IGNORES = {"ADD": -1430, "DROP COLUMN": -904}
_ALTER_COLUMN = re.compile(r"ALTER TABLE (\w+) (ADD|DROP COLUMN)\b")


def _ignores(block: str, code: int) -> bool:
    """``block``'s handler does nothing for ``code`` (a named exception for it)."""
    named = re.search(rf"(\w+) EXCEPTION;\s+PRAGMA EXCEPTION_INIT\(\1, {code}\);", block)
    return named is not None and f"WHEN {named.group(1)} THEN\n        NULL;" in block


def _unguarded(script: str) -> list[str]:
    """Every CREATE, DROP or column ALTER that would fail when its step is run again."""
    found = []
    previous_drop: str | None = None
    for statement in _statements(script):
        if _is_plsql(statement):
            head, _, handler = statement.partition("\nEXCEPTION\n")
            attempts, fallbacks = _dynamic_sql(head), _dynamic_sql(handler)
            found += [s for s in attempts if s.startswith("DROP") and "IF EXISTS" not in s]
            found += [
                s
                for s in attempts
                if (alter := _ALTER_COLUMN.match(s))
                and not _ignores(statement, ALTER_IGNORES[alter.group(2)])
            ]
            # FORCE is the documented fallback for the guarded DROP that failed above.
            found += [s for s in fallbacks if not s.endswith(" FORCE")]
            dropped = [re.findall(r"DROP INDEX IF EXISTS (\w+)", s) for s in attempts]
            previous_drop = dropped[0][0] if dropped and dropped[0] else None
            continue
        create = re.match(
            r"CREATE (?:UNIQUE |VECTOR )?(TABLE|INDEX) (IF NOT EXISTS )?(\w+)", statement
        )
        drop = re.match(r"DROP (TABLE|INDEX) (IF EXISTS )?(\w+)", statement)
        if create and not create.group(2) and create.group(3) != previous_drop:
            found.append(statement.splitlines()[0])
        if drop and not drop.group(2):
            found.append(statement)
        if _ALTER_COLUMN.match(statement):
            found.append(statement)
        previous_drop = drop.group(3) if drop and drop.group(2) else None
    return found


def test_schema_sql_matches_what_the_migrations_generate() -> None:
    generated = offline_sql()
    assert _script() == generated, (
        "docs/oracle/schema.sql is stale: run python scripts/regenerate_oracle_sql.py"
    )


@pytest.mark.parametrize(
    "script",
    [
        pytest.param(_script, id="schema.sql"),
        pytest.param(lambda: offline_sql(from_revision="a08dd95ca49e"), id="from-a-version"),
        pytest.param(_downgrade_script, id="downgrade"),
    ],
)
def test_oracle_script_stops_at_the_first_error_and_commits_at_the_end(script: object) -> None:
    assert callable(script)
    text: str = script()
    assert text.splitlines()[0] == STOP_ON_ERROR
    statements = _statements(text)
    assert statements[-1] == "COMMIT"
    assert "alembic_version" in statements[-2]  # the version row is part of what commits
    assert statements.count("COMMIT") == 1


def test_schema_sql_has_no_returning_into_binds_or_date_columns() -> None:
    sql = "\n".join(_statements(_script()))
    assert "RETURNING" not in sql.upper()
    outside_literals = re.sub(r"'(?:[^']|'')*'", "''", sql)  # '+00:00' is no bind
    assert not re.search(r":\w+", outside_literals), "a bind placeholder left in the script"
    assert not re.search(r"\bDATE\b", sql)
    assert "TIMESTAMP WITH TIME ZONE" in sql


def test_schema_sql_creates_the_text_index_without_stop_words_synced_on_commit() -> None:
    text_indexes = re.findall(
        r"CREATE INDEX locus_threads_txt_ix ON locus_threads \(search_text\)\s+"
        r"INDEXTYPE IS CTXSYS\.CONTEXT PARAMETERS \('([^']*)'\)",
        _script(),
    )
    assert text_indexes == [
        "SYNC (ON COMMIT)",  # the initial revision, as it was
        "SYNC (ON COMMIT) STOPLIST CTXSYS.EMPTY_STOPLIST",  # what head leaves
    ]


def test_downgrade_recreates_the_text_index_with_the_default_stoplist() -> None:
    script = offline_sql(revision="a08dd95ca49e", from_revision="head", direction="downgrade")
    assert "PARAMETERS ('SYNC (ON COMMIT)')" in script
    assert "EMPTY_STOPLIST" not in script


def test_schema_sql_statements_parse_as_oracle() -> None:
    kinds: set[type[exp.Expression]] = set()
    blocks = vector_indexes = 0
    for statement in _statements(_script()):
        if _is_plsql(statement):  # outside sqlglot's grammar: its dynamic SQL is parsed
            sqls = _dynamic_sql(statement)
            assert sqls, statement
            for sql in sqls:
                assert isinstance(sqlglot.parse_one(sql, read="oracle"), exp.Drop | exp.Alter), sql
            blocks += 1
            continue
        if statement.startswith("CREATE VECTOR INDEX"):  # outside the grammar: its exact text
            assert VECTOR_INDEX.fullmatch(statement), statement
            vector_indexes += 1
            continue
        # Oracle Text's INDEXTYPE clause is outside the grammar too; the rest is parsed.
        sql = statement.split(" INDEXTYPE IS ")[0]
        tree = sqlglot.parse_one(_vector_columns_checked(sql), read="oracle")
        assert isinstance(tree, exp.Create | exp.Drop | exp.Insert | exp.Update | exp.Commit), (
            statement
        )
        kinds.add(type(tree))
    assert kinds == {exp.Create, exp.Drop, exp.Insert, exp.Update, exp.Commit}
    # A text index dropped before each of its three creations; a column added.
    assert blocks == 4
    assert vector_indexes == 1


def test_schema_sql_creates_the_ivf_index_with_the_migrated_distance_dropping_it_first() -> None:
    statements = _statements(_script())
    created = [s for s in statements if s.startswith("CREATE VECTOR INDEX")]
    assert len(created) == 1
    match = VECTOR_INDEX.fullmatch(created[0])
    assert match is not None
    index, table, column, metric, accuracy = match.groups()
    assert (index, table, column) == (
        "locus_memory_vectors_ivf_ix",
        "locus_memory_vectors",
        "embedding",
    )
    assert metric == "COSINE"  # DEFAULT_MEMORY_DISTANCE
    assert 0 < int(accuracy) <= 100  # "ACCURACY: > 0 and <= 100"
    previous = statements[statements.index(created[0]) - 1]
    assert previous == f"DROP INDEX IF EXISTS {index}"
    assert "embedding VECTOR(1536, FLOAT32) NOT NULL" in _script()


@pytest.mark.parametrize(
    ("distance", "metric"), [("cosine", "COSINE"), ("dot", "DOT"), ("l2", "EUCLIDEAN")]
)
def test_the_ivf_index_takes_the_distance_chosen_when_migrating(distance: str, metric: str) -> None:
    script = _offline_sql_with(memory_dims=8, memory_distance=distance)
    [created] = [s for s in _statements(script) if s.startswith("CREATE VECTOR INDEX")]
    match = VECTOR_INDEX.fullmatch(created)
    assert match is not None
    assert match.group(4) == metric
    assert "embedding VECTOR(8, FLOAT32) NOT NULL" in script


@pytest.mark.parametrize(
    "script", [pytest.param(_script, id="upgrade"), pytest.param(_downgrade_script, id="downgrade")]
)
def test_every_create_and_drop_in_the_oracle_script_can_run_twice(script: object) -> None:
    assert callable(script)
    text: str = script()
    assert re.search(r"\b(CREATE|DROP)\b", text)
    assert _unguarded(text) == []


def test_the_guard_check_reports_an_unguarded_step() -> None:
    script = "\n\n/\n\n".join(
        ["CREATE TABLE t (a INTEGER)", "CREATE INDEX t_ix ON t (a)", "DROP TABLE t", ""]
    )
    assert len(_unguarded(script)) == 3
    guarded = script.replace("TABLE t", "TABLE IF NOT EXISTS t", 1)
    guarded = guarded.replace("INDEX t_ix", "INDEX IF NOT EXISTS t_ix")
    guarded = guarded.replace("DROP TABLE t", "DROP TABLE IF EXISTS t")
    assert _unguarded(guarded) == []


def test_the_guard_check_reports_a_column_alter_that_ignores_no_error() -> None:
    add = "ALTER TABLE t ADD (c TIMESTAMP WITH TIME ZONE)"
    block = (
        "DECLARE\n    column_exists EXCEPTION;\n    PRAGMA EXCEPTION_INIT(column_exists, {code});"
        f"\nBEGIN\n    EXECUTE IMMEDIATE '{add}';\nEXCEPTION\n    WHEN column_exists THEN\n"
        "        NULL;\nEND;"
    )
    assert _unguarded(f"{add}\n/\n") == [add]
    assert _unguarded(block.format(code=-904) + "\n/\n") == [add]  # the wrong error ignored
    assert _unguarded(block.format(code=-1430) + "\n/\n") == []


def _upgrades(script: str) -> dict[str, str]:
    """The script's text for each revision it runs, by revision id."""
    parts = re.split(r"^-- Running upgrade \w* -> (\w+)$", script, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def _timestamp_columns(statements: list[str]) -> set[tuple[str, str]]:
    return {
        (table, column)
        for statement in statements
        if (create := re.match(r"CREATE TABLE (?:IF NOT EXISTS )?(\w+)", statement))
        for table in [create.group(1)]
        for column in re.findall(r"^\s*(\w+) TIMESTAMP WITH TIME ZONE", statement, re.MULTILINE)
    }


def test_every_stored_timestamp_is_rewritten_at_offset_utc_where_it_holds_a_region() -> None:
    """Tables created before the rewrite may hold region names; later ones never did."""
    upgrades = _upgrades(_script())
    revisions = list(upgrades)
    before = revisions[: revisions.index(UTC_OFFSETS_REVISION)]
    statements = _statements(
        "\n".join(upgrades[r] for r in before) + upgrades[UTC_OFFSETS_REVISION]
    )
    columns = _timestamp_columns(statements)
    assert len(columns) == 5, columns
    for table, column in columns:
        updates = [s for s in statements if s.startswith(f"UPDATE {table} SET")]
        assert len(updates) == 1, (table, updates)
        assert re.search(
            rf"{column} = CASE WHEN EXTRACT\(TIMEZONE_REGION FROM {column}\) <> 'UNKNOWN' "
            rf"THEN FROM_TZ\(CAST\(SYS_EXTRACT_UTC\({column}\) AS TIMESTAMP\), '\+00:00'\) "
            rf"ELSE {column} END",
            updates[0],
        ), (table, column)
        # Only rows still holding a region are touched, so a second run changes nothing.
        where = updates[0].split("WHERE")[1]
        assert f"EXTRACT(TIMEZONE_REGION FROM {column}) <> 'UNKNOWN'" in where


def test_oracle_scripts_give_time_zones_as_offsets_never_asregion_names() -> None:
    for script in (_script(), _downgrade_script()):
        zones = zone_literals(script)
        assert region_names(script) == [], zones
        assert "'UTC'" not in script
    assert zone_literals(_script()), "the check saw no FROM_TZ at all"


def test_the_region_check_reportsregion_names() -> None:
    sql = (
        "UPDATE t SET a = FROM_TZ(CAST(SYS_EXTRACT_UTC(a) AS TIMESTAMP), 'UTC'), "
        "b = FROM_TZ(CAST(:b AS TIMESTAMP), '+00:00'), c = d AT TIME ZONE 'Europe/Paris'"
    )
    assert region_names(sql) == ["UTC", "Europe/Paris"]


def test_schema_sql_for_another_prefix_names_only_that_prefix() -> None:
    script = offline_sql(prefix="acme_agents")
    names = set(re.findall(r"(?:TABLE|INDEX|INTO|UPDATE)(?: IF (?:NOT )?EXISTS)? (\w+)", script))
    assert names
    assert all(n.startswith("acme_agents_") for n in names), names


def test_tables_created_after_the_rewrite_are_written_with_offsets_only() -> None:
    """Their timestamps were only ever bound as ``FROM_TZ(..., '+00:00')`` (every statement
    is checked for region names in ``test_static_checks``), so nothing rewrites them."""
    upgrades = _upgrades(_script())
    revisions = list(upgrades)
    later = revisions[revisions.index(UTC_OFFSETS_REVISION) + 1 :]
    statements = _statements("\n".join(upgrades[r] for r in later))
    assert _timestamp_columns(statements) == {
        ("locus_memory_items", "created_at"),
        ("locus_memory_items", "updated_at"),
        ("locus_memory_items", "expires_at"),
    }
    assert not [s for s in statements if s.startswith("UPDATE locus_memory_items")]
