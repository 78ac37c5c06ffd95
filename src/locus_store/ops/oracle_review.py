"""Every statement locus_store issues on Oracle, as one script for a DBA to review.

``statements_script()`` compiles each contract's statements (`SOURCES`: a statement
set's ``review()``, and for memory the searches too, whose shape follows the call) with
the python-oracledb dialect as it is once connected to Oracle Database 23ai, and lists
them by repository, each under its name with representative values of its binds.
``scripts/regenerate_oracle_sql.py`` writes it to ``docs/oracle/statements.sql``; a
test fails when that file is stale.
"""

from __future__ import annotations

import datetime as dt
import json
from array import array
from collections.abc import Callable, Mapping
from typing import Any, cast

from sqlalchemy.dialects.oracle import oracledb
from sqlalchemy.sql import ClauseElement

from locus_store.langgraph.statements import LangGraphStatements
from locus_store.latest.statements import LatestStatements
from locus_store.memory.statements import (
    MemoryStatements,
    Scope,
    list_statement,
    text_search_statement,
    vector_search_statement,
)
from locus_store.migrate import DEFAULT_MEMORY_DIMS, DEFAULT_MEMORY_DISTANCE
from locus_store.ops.erase import ErasureStatements
from locus_store.schema.tables import DEFAULT_PREFIX, schema_for
from locus_store.schema.vectors import DISTANCES, require_distance
from locus_store.sql.statements import StatementSet, bound
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


#: What a group of the review lists: its statements for a table prefix, by name.
Review = Callable[[str], Mapping[str, ClauseElement]]


def reviewed(statement_set: type[StatementSet]) -> Review:
    """A statement set's own review: each of its statements with representative binds."""
    return lambda prefix: statement_set.of(prefix, "oracle").review()


#: Namespaces the memory searches are shown with: one branch, and three.
_ONE = ("users/u1",)
_THREE = ("users/u1", "users/u2", "teams/t1")
#: The searches' shapes shown: (name, namespaces searched, under them too, metadata filter).
MEMORY_SEARCH_SHAPES: list[tuple[str, tuple[str, ...], bool, dict[str, Any] | None]] = [
    ("1_namespace", _ONE, False, None),
    ("3_namespaces", _THREE, False, None),
    ("prefix_and_filter", _ONE, True, {"topic": "billing"}),
]


_NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
#: Representative values of the memory store's binds (a put of one embedded item).
MEMORY_BINDS: dict[str, Any] = {
    "namespace": "users/u1",
    "key": "k",
    "value": {"text": "billing address changed"},
    "meta": {"topic": "billing"},
    "search_text": "billing address changed",
    "now": _NOW,
    "expires_at": None,
    "ttl_seconds": None,
    "stamp": "5f0c3b1e9a7d4c2e8b6a1f0e3d2c1b0a",
    "field": "$",
    "embedding": array("f", [0.0] * DEFAULT_MEMORY_DIMS),
    "item_namespace": "users/u1",
    "item_key": "k",
    "new_expires_at": _NOW + dt.timedelta(days=1),
    "limit": 10,
    "offset": 0,
    "query": "{billing} AND {address}",
    "vector": array("f", [0.0] * DEFAULT_MEMORY_DIMS),
    "fetch": 20,
}


def memory_review(prefix: str) -> dict[str, ClauseElement]:
    """The memory store's fixed statements, and its searches in representative shapes:
    one namespace and three (one ``UNION ALL`` branch each), a namespace and everything
    under it (``LIKE ... ESCAPE``), a metadata filter; vector searches with the default
    distance in every shape, and with each other distance in one."""
    schema = schema_for(prefix)
    found: dict[str, ClauseElement] = {
        name: bound(statement, MEMORY_BINDS)
        for name, statement in MemoryStatements.of(prefix, "oracle").review().items()
    }
    default = require_distance(DEFAULT_MEMORY_DISTANCE)
    for shape, namespaces, under, metadata_filter in MEMORY_SEARCH_SHAPES:
        scope = Scope(namespaces, prefix=under, metadata_filter=metadata_filter)
        values = dict(MEMORY_BINDS)
        for i, namespace in enumerate(namespaces):
            values[f"ns_{i}"] = namespace
            values[f"below_{i}"] = f"{namespace}/%"
        searches = {
            f"list_{shape}": list_statement(schema, "oracle", scope),
            f"text_search_{shape}": text_search_statement(schema, "oracle", scope),
            f"vector_search_{shape}": vector_search_statement(
                schema, "oracle", scope, default, DEFAULT_MEMORY_DIMS
            ),
        }
        if shape == MEMORY_SEARCH_SHAPES[0][0]:
            for distance in DISTANCES:
                if distance != default:
                    searches[f"vector_search_{shape}_{distance}"] = vector_search_statement(
                        schema, "oracle", scope, distance, DEFAULT_MEMORY_DIMS
                    )
        found.update({name: bound(s, values) for name, s in searches.items()})
    return found


#: The statements reviewed, in script order: (group, title, review).
SOURCES: list[tuple[str, str, Review]] = [
    ("latest", "Single-row checkpointer (store.latest())", reviewed(LatestStatements)),
    (
        "versioned",
        "Versioned saver and its Agent checkpointer (store.versioned())",
        reviewed(LineageStatements),
    ),
    ("langgraph", "LangGraph saver (store.langgraph_saver())", reviewed(LangGraphStatements)),
    ("erasure", "Erasing a thread (store.erase_thread())", reviewed(ErasureStatements)),
    (
        "memory",
        "Long-term memory (store.memory(), store.langgraph_store()); searches in sample shapes",
        memory_review,
    ),
]


def compiled_statements(prefix: str = DEFAULT_PREFIX) -> dict[str, tuple[str, dict[str, Any]]]:
    """``{"<group>.<name>": (Oracle SQL, bind values)}`` for every statement, in script order."""
    dialect = oracle_dialect()
    found: dict[str, tuple[str, dict[str, Any]]] = {}
    for group, _title, review in SOURCES:
        statements = review(prefix)
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
    if isinstance(value, array):
        kind = {"f": "FLOAT32", "d": "FLOAT64", "b": "INT8", "B": "BINARY"}[value.typecode]
        return f"array('{value.typecode}'): a VECTOR of {len(value)} {kind}"
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
        "-- as U+2400, since Oracle reads '' as NULL. Vectors are bound as array.array('f'),",
        "-- which thin mode sends as a FLOAT32 VECTOR (a Python list would be a PL/SQL array).",
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
