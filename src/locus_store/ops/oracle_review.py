"""Every statement locus_store issues on Oracle, as one script for a DBA to review.

``statements_script()`` compiles each contract's statement set (`SOURCES`, each
set's ``review()``) with the python-oracledb dialect as it is once connected to
Oracle Database 23ai, and lists them by repository, each under its name with
representative values of its binds. ``scripts/regenerate_oracle_sql.py`` writes it
to ``docs/oracle/statements.sql``; a test fails when that file is stale.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, cast

from sqlalchemy.dialects.oracle import oracledb

from locus_store.langgraph.statements import LangGraphStatements
from locus_store.latest.statements import LatestStatements
from locus_store.ops.erase import ErasureStatements
from locus_store.schema.tables import DEFAULT_PREFIX
from locus_store.sql.statements import StatementSet
from locus_store.versioned.statements import LineageStatements

#: Server version the statements are compiled for (Oracle Database 23ai).
ORACLE_VERSION = (23, 5)
_RULE = "-- " + "=" * 77


def oracle_dialect() -> oracledb.OracleDialect_oracledb:
    """The python-oracledb dialect as it is after connecting to a 23ai server."""
    dialect: oracledb.OracleDialect_oracledb = cast(Any, oracledb.OracleDialectAsync_oracledb)()
    dialect.server_version_info = ORACLE_VERSION
    dialect._supports_oracle_json = True
    dialect._supports_offset_fetch = True
    dialect.supports_native_boolean = True
    return dialect


#: The statement sets reviewed, in script order: (group, title, statement set).
SOURCES: list[tuple[str, str, type[StatementSet]]] = [
    ("latest", "Single-row checkpointer (store.latest())", LatestStatements),
    (
        "versioned",
        "Versioned saver and its Agent checkpointer (store.versioned())",
        LineageStatements,
    ),
    ("langgraph", "LangGraph saver (store.langgraph_saver())", LangGraphStatements),
    ("erasure", "Erasing a thread (store.erase_thread())", ErasureStatements),
]


def compiled_statements(prefix: str = DEFAULT_PREFIX) -> dict[str, tuple[str, dict[str, Any]]]:
    """``{"<group>.<name>": (Oracle SQL, bind values)}`` for every statement, in script order."""
    dialect = oracle_dialect()
    found: dict[str, tuple[str, dict[str, Any]]] = {}
    for group, _title, statement_set in SOURCES:
        statements = statement_set.of(prefix, "oracle").review()
        for name in sorted(statements):
            compiled = statements[name].compile(
                dialect=dialect, compile_kwargs={"render_postcompile": True}
            )
            sql = "\n".join(line.rstrip() for line in str(compiled).strip().splitlines())
            found[f"{group}.{name}"] = (sql, dict(compiled.params))
    return found


def _literal(value: Any) -> str:
    """A bind value written the way the driver receives it."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, dt.datetime):
        utc = value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value
        return f"TIMESTAMP '{utc.isoformat(sep=' ')}' (UTC)"
    if isinstance(value, bytes):
        return f"HEXTORAW('{value.hex().upper()}')"
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    text = str(value).replace("'", "''")
    return f"'{text}'"


def statements_script(prefix: str = DEFAULT_PREFIX) -> str:
    """The review script: every statement, grouped by repository, binds shown above each."""
    statements = compiled_statements(prefix)
    lines = [
        "-- Every statement locus_store issues on Oracle Database 23ai/26ai.",
        "-- Generated from the code by scripts/regenerate_oracle_sql.py; do not edit.",
        f"-- Table prefix {prefix!r}. Statements are shown as the driver receives them, with",
        "-- named binds; the comment above each gives representative bind values. JSON",
        "-- documents are bound as JSON text, and values longer than 4000 bytes (32767 with",
        "-- MAX_STRING_SIZE=EXTENDED) as temporary CLOB/BLOB. Timestamps are bound as UTC",
        "-- and marked so with FROM_TZ(..., '+00:00'), an offset: thin mode cannot fetch a",
        "-- region name such as 'UTC' (DPY-3022). An empty namespace or channel is stored",
        "-- as U+2400, since Oracle reads '' as NULL.",
        "",
    ]
    for group, title, _statement_set in SOURCES:
        lines += [_RULE, f"-- {title}", _RULE, ""]
        for key, (sql, params) in statements.items():
            if not key.startswith(f"{group}."):
                continue
            lines.append(f"-- {key}")
            lines += [f"--   :{name} = {_literal(value)}" for name, value in params.items()]
            lines += [sql, "/", ""]
    return "\n".join(lines)
