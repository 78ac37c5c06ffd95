"""No SQL in ``src/`` (or the migrations) is built by formatting a caller's value into text.

An AST scan finds every place that formats a string (f-strings, ``%``, ``.format``,
``+`` with a literal) which is SQL: inside a ``@compiles`` function, passed to a
sink that sends text to the database (``text``, ``literal_column``,
``exec_driver_sql``, ``execute``, ``DDL``), or holding SQL words. Exception messages
are not SQL and are skipped. Each place found must be listed in :data:`REVIEWED`
with every expression it interpolates, and why that expression cannot carry a
caller's value (``"*"`` for a function whose output is a bound value, not SQL). A
new place, or a new expression in a listed place, fails the test until someone
reviews it and adds it here.

The allowed sources, and where they are checked:

- **compiled**: the output of ``compiler.process(...)`` / the identifier preparer:
  bind placeholders and quoted identifiers, never values;
- **prefix**: names derived from the table prefix, which ``validate_prefix`` limits
  to ``[a-z][a-z0-9_]*`` (``tests/reliability/test_hostile_ids.py``);
- **constant**: module constants of the package;
- **checked**: values a constructor checks first: metadata-key path steps
  (``require_metadata_key``: letters, digits, ``_``, ``-``), the ``LIKE`` escape
  character (one character, not a quote), DDL part names (a fixed set);
- **bound value**: text that is bound as a parameter, not SQL (the Oracle Text query).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from locus_store.errors import InvalidInputError
from locus_store.schema.tables import validate_prefix
from locus_store.sql.json_match import JSONValueMatches
from locus_store.sql.like import CaseSensitiveLike

ROOT = Path(__file__).resolve().parents[2]
SCANNED = [ROOT / "src" / "locus_store", ROOT / "migrations"]
SINKS = {"text", "literal_column", "exec_driver_sql", "execute", "executemany", "DDL"}
SQL_WORDS = re.compile(
    r"\b(SELECT|INSERT|UPDATE|DELETE|MERGE|CREATE|DROP|ALTER|PRAGMA|WHERE|FROM|INTO|VALUES"
    r"|LIKE|GLOB|ESCAPE|JSON_\w+|json_\w+|CAST|INDEX|TRIGGER|BEGIN|IS NULL|AND|OR|SET)\b"
    r"|#>|->>|::"
)

COMPILED = "compiled SQL: bind placeholders and identifiers from SQLAlchemy's compiler"
PREFIX = "an identifier derived from the validated table prefix"
CONSTANT = "a constant of the package"
CHECKED = "checked when the construct is built"

#: (file under the repository, function) -> {interpolated expression: why it is safe}
REVIEWED: dict[tuple[str, str], dict[str, str]] = {
    ("migrations/versions/2026-11-24_postgresql_lz4_compression_a08dd95ca49e.py", "_compression"): {
        "table": PREFIX,
        "column": CONSTANT + ": a column name listed in _large_columns",
        "method": CONSTANT + ": LZ4 or DEFAULT",
        "alters": "joined above from prefix-derived names and constants",
    },
    (
        "migrations/versions/2026-12-01_oracle_empty_stoplist_and_utc_offsets_c4e1f7a92b3d.py",
        "_holds_region",
    ): {
        "column": CONSTANT + ": a timestamp column name listed in _timestamp_columns",
    },
    (
        "migrations/versions/2026-12-01_oracle_empty_stoplist_and_utc_offsets_c4e1f7a92b3d.py",
        "_to_utc_offset",
    ): {
        "column": CONSTANT + ": a timestamp column name listed in _timestamp_columns",
        "_holds_region(column)": "built from the same constant column names",
        "UTC_OFFSET": CONSTANT + ": '+00:00'",
        "table": PREFIX,
        "sets": "joined above from constant column names",
        "where": "joined above from constant column names",
    },
    ("src/locus_store/_engine/oracle_errors.py", "_message"): {
        "*": "an error message for the DBA, never sent to the database",
    },
    ("src/locus_store/schema/search.py", "_create_oracle"): {
        "t.index": PREFIX,
        "t.table": PREFIX,
        "element.oracle_parameters": CONSTANT + ": the index parameters a revision names",
    },
    ("src/locus_store/schema/search.py", "_drop_oracle"): {
        "index": PREFIX,
        "name": CONSTANT + ": an exception name of _DROP_NEEDS_FORCE",
        "code": CONSTANT + ": an Oracle error number of _DROP_NEEDS_FORCE",
        "declare": "joined above from the constants of _DROP_NEEDS_FORCE",
        "' OR '.join(_DROP_NEEDS_FORCE)": CONSTANT + ": the exception names",
    },
    ("src/locus_store/schema/search.py", "_drop_postgresql"): {
        "element.text_index.index": PREFIX,
    },
    ("src/locus_store/schema/search.py", "_drop_index"): {"element.schema.search_index": PREFIX},
    ("src/locus_store/schema/search.py", "_create_postgresql"): {
        "t.index": PREFIX,
        "t.table": PREFIX,
        "PG_TS_CONFIG": CONSTANT,
    },
    ("src/locus_store/schema/search.py", "_create_sqlite"): {
        "fts": PREFIX,
        "threads": PREFIX,
        "element.part": CHECKED + ": one of the fixed DDL parts",
        "event": CHECKED + ": looked up from the fixed DDL parts",
        "body": "built above from the prefix-derived names only",
    },
    ("src/locus_store/schema/search.py", "_drop_sqlite"): {
        "fts": PREFIX,
        "element.part": CHECKED + ": one of the fixed DDL parts",
    },
    ("migrations/versions/2026-12-02_memory_vectors_e41a6c0d5b93.py", "upgrade"): {
        "vectors": PREFIX,
        "_PG_OPERATOR_CLASSES[distance]": CONSTANT + ": looked up by a checked distance name",
        "ORACLE_DISTANCE_METRICS[distance]": CONSTANT + ": looked up by a checked distance name",
    },
    ("src/locus_store/memory/statements.py", "distance_expression"): {
        "distance": CHECKED + ": one of DISTANCES (require_distance, from the config row)",
    },
    ("src/locus_store/schema/vectors.py", "_oracle_vector_ddl"): {
        "dims": CHECKED + ': int() of the type\'s dimensions, or "*"',
    },
    ("src/locus_store/sql/json_filter.py", "_not_true"): {
        "compiler.process(element.condition, **kw)": COMPILED,
    },
    ("src/locus_store/sql/json_filter.py", "_is_object_postgresql"): {
        "column": COMPILED,
        "_pg_path(element)": CHECKED + ": filter key steps, require_metadata_key",
    },
    ("src/locus_store/sql/json_filter.py", "_is_object_sqlite"): {
        "column": COMPILED,
        "_dollar_path(element.path)": CHECKED + ": filter key steps, require_metadata_key",
    },
    ("src/locus_store/sql/json_filter.py", "_is_object_oracle"): {
        "column": COMPILED,
        "_dollar_path(element.path)": CHECKED + ": filter key steps, require_metadata_key",
    },
    ("src/locus_store/sql/json_filter.py", "_compares_postgresql"): {
        "column": COMPILED,
        "path": CHECKED + ": filter key steps, require_metadata_key",
        "target": "built above from compiled SQL and checked path steps",
        "text": "built above from compiled SQL and checked path steps",
        "op": CONSTANT + ": _SQL_OPERATORS, chosen by a checked operator name",
        "doc": COMPILED,
        "compiler.process(element.raw, **kw)": COMPILED,
    },
    ("src/locus_store/sql/json_filter.py", "_compares_sqlite"): {
        "column": COMPILED,
        "path": CHECKED + ": filter key steps, require_metadata_key",
        "types": CONSTANT + ": a JSON type list chosen by the operand's kind",
        "element.sql_operator": CONSTANT + ": _SQL_OPERATORS, chosen by a checked operator name",
        "raw": COMPILED,
    },
    ("src/locus_store/sql/json_filter.py", "_compares_oracle"): {
        "column": COMPILED,
        "path": CHECKED + ": filter key steps, require_metadata_key",
        "json_type": "built above from compiled SQL and checked path steps",
        "number": "built above from compiled SQL and checked path steps",
        "length": "built above from compiled SQL and checked path steps",
        "text": "built above from compiled SQL, checked path steps and a constant",
        "ORACLE_STRING_LIMIT": CONSTANT,
        "op": CONSTANT + ": _SQL_OPERATORS, chosen by a checked operator name",
        "raw": COMPILED,
    },
    ("migrations/versions/2026-12-02_memory_vectors_e41a6c0d5b93.py", "downgrade"): {
        "vectors": PREFIX,
    },
    ("migrations/versions/2026-12-02_langgraph_thread_ttl_3b9d5e7a1c24.py", "_oracle_ignoring"): {
        "name": CONSTANT + ": a PL/SQL exception name given by upgrade/downgrade",
        "code": CONSTANT + ": ORA_COLUMN_EXISTS or ORA_INVALID_IDENTIFIER",
        "quoted": "the ALTER built in upgrade/downgrade from the names below, quotes doubled",
    },
    ("migrations/versions/2026-12-02_langgraph_thread_ttl_3b9d5e7a1c24.py", "upgrade"): {
        "checkpoints": PREFIX,
        "COLUMN": CONSTANT,
        "column_type": COMPILED + ": UTCDateTime's DDL type for the dialect",
    },
    ("migrations/versions/2026-12-02_langgraph_thread_ttl_3b9d5e7a1c24.py", "downgrade"): {
        "checkpoints": PREFIX,
        "COLUMN": CONSTANT,
    },
    ("src/locus_store/schema/types.py", "_compile_utc_bind_oracle"): {
        "bind": COMPILED,
        "ORACLE_UTC_OFFSET": CONSTANT + ": '+00:00'",
    },
    ("src/locus_store/sql/json_match.py", "_postgresql"): {
        "compiler.process(element.column, **kw)": COMPILED,
        "','.join(element.path)": CHECKED + ": metadata keys, require_metadata_key",
        "target": "built above from compiled SQL and checked path steps",
        "compiler.process(element.doc, **kw)": COMPILED,
    },
    ("src/locus_store/sql/json_match.py", "_sqlite"): {
        "column": COMPILED,
        "path": CHECKED + ": metadata keys, require_metadata_key",
        "json_type": "built above from compiled SQL and checked path steps",
        "extract": "built above from compiled SQL and checked path steps",
        "compiler.process(element.doc, **kw)": COMPILED,
        "compiler.process(element.raw, **kw)": COMPILED,
    },
    ("src/locus_store/sql/json_match.py", "_oracle"): {
        "_ORACLE_SCALAR_TYPES[element.kind]": CONSTANT + ": JSON type names by a value's kind",
        "value": "built above from compiled SQL and checked path steps",
        "column": COMPILED,
        "path": CHECKED + ": metadata keys, require_metadata_key",
        "json_type": "built above from compiled SQL and checked path steps",
        "ORACLE_STRING_LIMIT": CONSTANT,
        "compiler.process(element.doc, **kw)": COMPILED,
        "compiler.process(element.raw, **kw)": COMPILED,
    },
    ("src/locus_store/sql/json_match.py", "_has_key_postgresql"): {
        "compiler.process(element.column, **kw)": COMPILED,
        "element.json_key": CHECKED + ": a metadata key, require_metadata_key",
    },
    ("src/locus_store/sql/json_match.py", "_has_key_sqlite"): {
        "compiler.process(element.column, **kw)": COMPILED,
        "path": CHECKED + ": a metadata key, require_metadata_key",
    },
    ("src/locus_store/sql/json_match.py", "_has_key_oracle"): {
        "compiler.process(element.column, **kw)": COMPILED,
        "path": CHECKED + ": a metadata key, require_metadata_key",
    },
    ("src/locus_store/sql/json_match.py", "_dollar_path"): {
        "step": CHECKED + ": metadata keys, require_metadata_key",
    },
    ("src/locus_store/langgraph/statements.py", "_oracle_version_pairs"): {
        "LG_KEY_LENGTH": CONSTANT,
        "compiler.process(element.document, **kw)": COMPILED,
        "length": "built above from a constant",
        "element.name": CONSTANT + ": the alias 'pairs' given by the constructor",
    },
    ("src/locus_store/langgraph/statements.py", "_delta_history"): {
        "EMPTY": CONSTANT + ": the value type of a channel with no value ('empty')",
    },
    ("src/locus_store/sql/like.py", "_like"): {
        "column": COMPILED,
        "pattern": COMPILED,
        "element.escape": CHECKED + ": one character, never a quote",
    },
    ("src/locus_store/sql/like.py", "_glob"): {
        "column": COMPILED,
        "compiler.process(element.pattern, **kw)": COMPILED,
    },
    ("src/locus_store/sql/merge.py", "_merge_oracle"): {
        "table": COMPILED,
        "name(c)": COMPILED,
        "value(v)": COMPILED,
        "on": "joined above from compiled SQL",
        "assignments": "joined above from compiled SQL",
        "sql": "built above from compiled SQL",
        "columns": "joined above from compiled SQL",
        "values": "joined above from compiled SQL",
    },
    ("src/locus_store/sql/search.py", "oracle_text_query"): {
        "*": "a bound value, not SQL: the Oracle Text query string is a parameter of CONTAINS",
    },
    ("src/locus_store/sql/search.py", "text_match"): {
        "PG_TS_CONFIG": CONSTANT,
        "table.name": PREFIX,
    },
    ("src/locus_store/_engine/create.py", "_sqlite_pragmas"): {
        "int(SQLITE_BUSY_TIMEOUT * 1000)": CONSTANT,
        "synchronous": "FULL or NORMAL (_SQLITE_SYNCHRONOUS) for a checked durability level",
    },
    ("src/locus_store/_engine/create.py", "_sqlite_read_only_pragmas"): {
        "int(SQLITE_BUSY_TIMEOUT * 1000)": CONSTANT,
    },
}


def _is_message(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    """Inside an exception's arguments (or a raise): a message, not SQL."""
    current: ast.AST | None = node
    while current is not None:
        if isinstance(current, ast.Raise):
            return True
        if isinstance(current, ast.Call):
            func = current.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called.endswith(("Error", "Exception", "Warning")):
                return True
        if isinstance(current, ast.FunctionDef | ast.AsyncFunctionDef):
            return False
        current = parents.get(current)
    return False


def _function(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> ast.AST | None:
    """The outermost function holding ``node`` (nested helpers count as their parent)."""
    found = None
    current = parents.get(node)
    while current is not None:
        if isinstance(current, ast.FunctionDef | ast.AsyncFunctionDef):
            found = current
        current = parents.get(current)
    return found


def _compiles(function: ast.AST | None) -> bool:
    if not isinstance(function, ast.FunctionDef):
        return False
    return any(
        isinstance(d, ast.Call) and getattr(d.func, "id", "") == "compiles"
        for d in function.decorator_list
    )


def _formatted(node: ast.AST) -> tuple[str, list[ast.expr]] | None:
    """(literal text, interpolated expressions) of a string-formatting node, else None."""
    if isinstance(node, ast.JoinedStr):
        literal = "".join(str(v.value) for v in node.values if isinstance(v, ast.Constant))
        return literal, [v.value for v in node.values if isinstance(v, ast.FormattedValue)]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod | ast.Add):
        sides = (node.left, node.right)
        literals = [
            s.value for s in sides if isinstance(s, ast.Constant) and isinstance(s.value, str)
        ]
        if literals:
            return " ".join(literals), [s for s in sides if not isinstance(s, ast.Constant)]
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "format"
        and isinstance(node.func.value, ast.Constant)
        and isinstance(node.func.value.value, str)
    ):
        return node.func.value.value, list(node.args)
    return None


def formatted_sql() -> Iterator[tuple[str, str, str, int]]:
    """(file, function, interpolated expression, line) of every SQL string built by formatting."""
    for folder in SCANNED:
        for path in sorted(folder.rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            parents = {c: n for n in ast.walk(tree) for c in ast.iter_child_nodes(n)}
            for node in ast.walk(tree):
                if not isinstance(node, ast.expr):
                    continue
                found = _formatted(node)
                if found is None or isinstance(parents.get(node), ast.FormattedValue | ast.BinOp):
                    continue
                literal, expressions = found
                parent = parents.get(node)
                into_sink = isinstance(parent, ast.Call) and (
                    getattr(parent.func, "id", None) in SINKS
                    or getattr(parent.func, "attr", None) in SINKS
                )
                function = _function(node, parents)
                is_sql = _compiles(function) or into_sink or SQL_WORDS.search(literal)
                if not is_sql or _is_message(node, parents):
                    continue
                name = getattr(function, "name", "<module>")
                where = str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
                for expression in expressions:
                    for part in _parts(expression):
                        yield where, name, ast.unparse(part), node.lineno


def _parts(expression: ast.expr) -> list[ast.expr]:
    """A nested string build is scanned through: its own pieces are what matters."""
    inner = _formatted(expression)
    if inner is None:
        return [expression]
    return [p for e in inner[1] for p in _parts(e)]


def test_every_sql_string_built_by_formatting_is_reviewed() -> None:
    unreviewed = sorted(
        f"{where}:{line} {function}: {expression}"
        for where, function, expression, line in formatted_sql()
        if not {expression, "*"} & REVIEWED.get((where, function), {}).keys()
    )
    assert unreviewed == [], "format-built SQL that nobody reviewed:\n" + "\n".join(unreviewed)


def test_the_scan_finds_the_places_it_must_find() -> None:
    found = {(where, function) for where, function, _, _ in formatted_sql()}
    assert ("src/locus_store/sql/merge.py", "_merge_oracle") in found
    assert ("src/locus_store/schema/search.py", "_create_postgresql") in found
    assert ("src/locus_store/sql/json_match.py", "_sqlite") in found
    assert len(found) >= 10


def test_the_scan_flags_a_value_formatted_into_sql(tmp_path: Path) -> None:
    module = tmp_path / "bad.py"
    module.write_text(
        "from sqlalchemy import text\n"
        "def find(conn, thread_id):\n"
        "    return conn.execute(text(f\"SELECT * FROM t WHERE id = '{thread_id}'\"))\n"
        "def find_too(conn, thread_id):\n"
        "    return conn.exec_driver_sql('SELECT 1 WHERE x = ' + thread_id)\n"
    )
    SCANNED.append(tmp_path)
    try:
        flagged = {(f, e) for w, f, e, _ in formatted_sql() if w.endswith("bad.py")}
    finally:
        SCANNED.remove(tmp_path)
    assert flagged == {("find", "thread_id"), ("find_too", "thread_id")}


def test_text_and_exec_driver_sql_take_only_literal_sql() -> None:
    calls = []
    for folder in SCANNED:
        for path in sorted(folder.rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Call) and node.args:
                    func = node.func
                    called = (
                        func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                    )
                    if called in ("text", "exec_driver_sql") and not isinstance(
                        node.args[0], ast.Constant
                    ):
                        calls.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert calls == []


# -- the checks the reviewed places rely on -------------------------------------------------------


@pytest.mark.parametrize("prefix", ["x; DROP TABLE y", "a'b", 'a"b', "a b", "A", "a-b", "a.b"])
def test_prefix_identifiers_hold_only_lower_case_letters_digits_and_underscores(
    prefix: str,
) -> None:
    with pytest.raises(InvalidInputError):
        validate_prefix(prefix)


@pytest.mark.parametrize("step", ["a'b", "a}b", "a,b", 'a"b', "$", "a.b", "a b", ""])
def test_json_path_steps_hold_no_quote_brace_comma_or_dot(step: str) -> None:
    with pytest.raises(InvalidInputError):
        JSONValueMatches(sa.column("metadata"), [step], 1)


@pytest.mark.parametrize("escape", ["'", "%", "_", "//", ""])
def test_the_like_escape_is_one_harmless_character(escape: str) -> None:
    with pytest.raises(ValueError, match="escape"):
        CaseSensitiveLike(sa.column("metadata"), "pattern", escape)
