"""Full-text search objects of the threads table, one DDL construct per dialect.

The index reads ``search_text`` (message contents), never the JSON document:
- Oracle: an Oracle Text ``CONTEXT`` index kept current by ``SYNC (ON COMMIT)``;
- PostgreSQL: a GIN index over ``to_tsvector('simple', search_text)``;
- SQLite: an external-content FTS5 table kept in step by three triggers.

Alembic runs these from the migrations; ``alembic check`` is told to ignore them
(see :func:`is_search_object`) because autogenerate cannot reflect them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.compiler import compiles
from sqlalchemy.schema import ExecutableDDLElement
from sqlalchemy.sql.compiler import DDLCompiler

if TYPE_CHECKING:
    from locus_store.schema.tables import Schema

#: Text search configuration on PostgreSQL: no stemming, no stop words, any language.
PG_TS_CONFIG = "simple"
_SQLITE_TRIGGER_EVENTS = ("ai", "au", "ad")


def fts_table(schema: Schema) -> str:
    """SQLite's FTS5 table that mirrors ``search_text`` of the threads table."""
    return f"{schema.prefix}_threads_fts"


def search_object_names(schema: Schema) -> list[str]:
    """Names of the search objects on any dialect (for identifier-length checks)."""
    fts = fts_table(schema)
    return [schema.search_index, fts, *(f"{fts}_{e}" for e in _SQLITE_TRIGGER_EVENTS)]


def is_search_object(name: str | None, schema: Schema) -> bool:
    """True for objects the migrations create that autogenerate cannot see."""
    if name is None:
        return False
    fts = fts_table(schema)
    return name == schema.search_index or name == fts or name.startswith(f"{fts}_")


class _SearchDDL(ExecutableDDLElement):
    inherit_cache = False

    def __init__(self, schema: Schema, part: str = "index") -> None:
        self.schema = schema
        self.part = part


class CreateSearchIndex(_SearchDDL):
    """Create one part of the full-text index (``part`` matters on SQLite only)."""


class DropSearchIndex(_SearchDDL):
    """Drop one part of the full-text index."""


def create_search_statements(schema: Schema, dialect_name: str) -> list[ExecutableDDLElement]:
    """The statements that create the search index on ``dialect_name``, in order."""
    if dialect_name == "sqlite":
        return [
            CreateSearchIndex(schema, "table"),
            *(CreateSearchIndex(schema, e) for e in _SQLITE_TRIGGER_EVENTS),
            CreateSearchIndex(schema, "rebuild"),
        ]
    return [CreateSearchIndex(schema)]


def drop_search_statements(schema: Schema, dialect_name: str) -> list[ExecutableDDLElement]:
    """The statements that drop the search index on ``dialect_name``, in order."""
    if dialect_name == "sqlite":
        return [
            *(DropSearchIndex(schema, e) for e in _SQLITE_TRIGGER_EVENTS),
            DropSearchIndex(schema, "table"),
        ]
    return [DropSearchIndex(schema)]


@compiles(CreateSearchIndex, "oracle")
def _create_oracle(element: CreateSearchIndex, compiler: DDLCompiler, **kw: Any) -> str:
    s = element.schema
    return (
        f"CREATE INDEX {s.search_index} ON {s.threads.name} (search_text) "
        "INDEXTYPE IS CTXSYS.CONTEXT PARAMETERS ('SYNC (ON COMMIT)')"
    )


@compiles(DropSearchIndex, "oracle")
@compiles(DropSearchIndex, "postgresql")
def _drop_index(element: DropSearchIndex, compiler: DDLCompiler, **kw: Any) -> str:
    return f"DROP INDEX {element.schema.search_index}"


@compiles(CreateSearchIndex, "postgresql")
def _create_postgresql(element: CreateSearchIndex, compiler: DDLCompiler, **kw: Any) -> str:
    s = element.schema
    return (
        f"CREATE INDEX {s.search_index} ON {s.threads.name} "
        f"USING gin (to_tsvector('{PG_TS_CONFIG}', coalesce(search_text, '')))"
    )


@compiles(CreateSearchIndex, "sqlite")
def _create_sqlite(element: CreateSearchIndex, compiler: DDLCompiler, **kw: Any) -> str:
    s = element.schema
    fts, threads = fts_table(s), s.threads.name
    add = f"INSERT INTO {fts}(rowid, search_text) VALUES (new.rowid, new.search_text);"
    remove = (
        f"INSERT INTO {fts}({fts}, rowid, search_text) "
        "VALUES ('delete', old.rowid, old.search_text);"
    )
    if element.part == "table":
        return (
            f"CREATE VIRTUAL TABLE {fts} USING fts5(search_text, "
            f"content='{threads}', content_rowid='rowid', tokenize='unicode61')"
        )
    if element.part == "rebuild":
        return f"INSERT INTO {fts}({fts}) VALUES ('rebuild')"
    body = {"ai": add, "ad": remove, "au": remove + " " + add}[element.part]
    event = {"ai": "INSERT", "ad": "DELETE", "au": "UPDATE"}[element.part]
    return f"CREATE TRIGGER {fts}_{element.part} AFTER {event} ON {threads} BEGIN {body} END"


@compiles(DropSearchIndex, "sqlite")
def _drop_sqlite(element: DropSearchIndex, compiler: DDLCompiler, **kw: Any) -> str:
    fts = fts_table(element.schema)
    if element.part == "table":
        return f"DROP TABLE {fts}"
    return f"DROP TRIGGER {fts}_{element.part}"
