"""Full-text search objects, one DDL construct per dialect, for each table that has them.

Two tables carry a ``search_text`` column (see `TextIndex`): the single-row threads
(message contents) and the memory items (the text of each value). The index reads
that column, never the JSON document:
- Oracle: an Oracle Text ``CONTEXT`` index kept current by ``SYNC (ON COMMIT)``, with no
  stop words;
- PostgreSQL: a GIN index over ``to_tsvector('simple', search_text)``;
- SQLite: an external-content FTS5 table kept in step by three triggers.

Alembic runs these from the migrations; ``alembic check`` is told to ignore them
(see `is_search_object`) because autogenerate cannot reflect them.

Every statement may be run again after a failure half-way (Oracle commits each DDL, so
a failed migration keeps the steps before it): creates are ``IF NOT EXISTS``, drops
``IF EXISTS``, and Oracle's index is dropped before it is created, because a CONTEXT
index whose build failed still exists (Oracle Text Application Developer's Guide,
"Dropping an Index": an index created with an invalid PARAMETERS string must be
dropped before it can be re-created), and ``IF NOT EXISTS`` would keep it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.compiler import compiles
from sqlalchemy.schema import ExecutableDDLElement
from sqlalchemy.sql.compiler import DDLCompiler

if TYPE_CHECKING:
    from locus_store.schema.tables import Schema

#: Text search configuration on PostgreSQL: no stemming, no stop words, any language.
PG_TS_CONFIG = "simple"
#: The Oracle Text index: no stop words, as PostgreSQL's ``simple`` configuration and
#: FTS5's ``unicode61`` tokenizer, so ``search("the")`` answers alike everywhere
#: (Oracle Text Reference, "Stoplist Preferences": CTXSYS.EMPTY_STOPLIST, no words).
#: ``SYNC (ON COMMIT)`` stays explicit: indexes created on 23ai otherwise default to
#: automatic (background) maintenance (Oracle Text Application Developer's Guide 23,
#: "Using Automatic Maintenance for an Index"), and a search right after a commit
#: must see the committed text.
ORACLE_TEXT_PARAMETERS = "SYNC (ON COMMIT) STOPLIST CTXSYS.EMPTY_STOPLIST"
#: What the initial revision created the index with (the default stoplist).
ORACLE_TEXT_PARAMETERS_DEFAULT_STOPLIST = "SYNC (ON COMMIT)"
#: Errors of a plain DROP INDEX that only ``DROP INDEX ... FORCE`` gets past: the index
#: is marked LOADING (ORA-29868), or its ODCIIndexDrop routine fails (ORA-29856).
_DROP_NEEDS_FORCE = {"index_loading": -29868, "drop_routine_failed": -29856}
_SQLITE_TRIGGER_EVENTS = ("ai", "au", "ad")


@dataclass(frozen=True)
class TextIndex:
    """The full-text index of one table's ``search_text`` column."""

    #: The indexed table.
    table: str
    #: The Oracle Text / PostgreSQL GIN index.
    index: str
    #: SQLite's external-content FTS5 table (its triggers are named after it).
    fts: str

    def object_names(self) -> list[str]:
        return [self.index, self.fts, *(f"{self.fts}_{e}" for e in _SQLITE_TRIGGER_EVENTS)]


def thread_text_index(schema: Schema) -> TextIndex:
    """The index of the single-row threads' message text."""
    return TextIndex(schema.threads.name, schema.search_index, f"{schema.prefix}_threads_fts")


def memory_text_index(schema: Schema) -> TextIndex:
    """The index of the memory items' text."""
    table = schema.memory_items.name
    return TextIndex(table, f"{table}_txt_ix", f"{table}_fts")


def text_indexes(schema: Schema) -> tuple[TextIndex, ...]:
    return (thread_text_index(schema), memory_text_index(schema))


def fts_table(schema: Schema) -> str:
    """SQLite's FTS5 table that mirrors ``search_text`` of the threads table."""
    return thread_text_index(schema).fts


def search_object_names(schema: Schema) -> list[str]:
    """Names of the search objects on any dialect (for identifier-length checks)."""
    return [name for index in text_indexes(schema) for name in index.object_names()]


def is_search_object(name: str | None, schema: Schema) -> bool:
    """True for objects the migrations create that autogenerate cannot see."""
    if name is None:
        return False
    return any(
        name in (index.index, index.fts) or name.startswith(f"{index.fts}_")
        for index in text_indexes(schema)
    )


class _SearchDDL(ExecutableDDLElement):
    inherit_cache = False

    def __init__(
        self,
        schema: Schema,
        part: str = "index",
        oracle_parameters: str = ORACLE_TEXT_PARAMETERS,
        target: TextIndex | None = None,
    ) -> None:
        self.schema = schema
        self.part = part
        self.oracle_parameters = oracle_parameters
        self.text_index = target or thread_text_index(schema)


class CreateSearchIndex(_SearchDDL):
    """Create one part of the full-text index (``part`` matters on SQLite only)."""


class DropSearchIndex(_SearchDDL):
    """Drop one part of the full-text index."""


def create_search_statements(
    schema: Schema,
    dialect_name: str,
    oracle_parameters: str = ORACLE_TEXT_PARAMETERS,
    *,
    target: TextIndex | None = None,
) -> list[ExecutableDDLElement]:
    """The statements that create a search index on ``dialect_name``, in order.

    ``target`` is the index (the threads' by default); ``oracle_parameters`` the Oracle
    Text PARAMETERS string (a revision passes the one of its time). On Oracle the index
    is dropped first: see the module docstring.
    """
    if dialect_name == "sqlite":
        return [
            CreateSearchIndex(schema, "table", target=target),
            *(CreateSearchIndex(schema, e, target=target) for e in _SQLITE_TRIGGER_EVENTS),
            CreateSearchIndex(schema, "rebuild", target=target),
        ]
    if dialect_name == "oracle":
        return [
            DropSearchIndex(schema, target=target),
            CreateSearchIndex(schema, oracle_parameters=oracle_parameters, target=target),
        ]
    return [CreateSearchIndex(schema, target=target)]


def drop_search_statements(
    schema: Schema, dialect_name: str, *, target: TextIndex | None = None
) -> list[ExecutableDDLElement]:
    """The statements that drop a search index on ``dialect_name``, in order."""
    if dialect_name == "sqlite":
        return [
            *(DropSearchIndex(schema, e, target=target) for e in _SQLITE_TRIGGER_EVENTS),
            DropSearchIndex(schema, "table", target=target),
        ]
    return [DropSearchIndex(schema, target=target)]


@compiles(CreateSearchIndex, "oracle")
def _create_oracle(element: CreateSearchIndex, compiler: DDLCompiler, **kw: Any) -> str:
    t = element.text_index
    return (
        f"CREATE INDEX {t.index} ON {t.table} (search_text) "
        f"INDEXTYPE IS CTXSYS.CONTEXT PARAMETERS ('{element.oracle_parameters}')"
    )


@compiles(DropSearchIndex, "oracle")
def _drop_oracle(element: DropSearchIndex, compiler: DDLCompiler, **kw: Any) -> str:
    """A plain ``DROP INDEX IF EXISTS``; ``FORCE`` only when that fails as documented.

    SQL Language Reference 23, "DROP INDEX": ``IF EXISTS``; ``FORCE`` drops a domain
    index marked IN PROGRESS or whose indextype routine returns an error. Oracle Text
    Reference, "DROP INDEX": use FORCE only when a regular DROP INDEX fails.
    """
    index = element.text_index.index
    declare = "".join(
        f"    {name} EXCEPTION;\n    PRAGMA EXCEPTION_INIT({name}, {code});\n"
        for name, code in _DROP_NEEDS_FORCE.items()
    )
    return (
        f"DECLARE\n{declare}BEGIN\n"
        f"    EXECUTE IMMEDIATE 'DROP INDEX IF EXISTS {index}';\n"
        f"EXCEPTION\n    WHEN {' OR '.join(_DROP_NEEDS_FORCE)} THEN\n"
        f"        EXECUTE IMMEDIATE 'DROP INDEX {index} FORCE';\n"
        "END;"
    )


@compiles(DropSearchIndex, "postgresql")
def _drop_postgresql(element: DropSearchIndex, compiler: DDLCompiler, **kw: Any) -> str:
    return f"DROP INDEX IF EXISTS {element.text_index.index}"


@compiles(CreateSearchIndex, "postgresql")
def _create_postgresql(element: CreateSearchIndex, compiler: DDLCompiler, **kw: Any) -> str:
    t = element.text_index
    return (
        f"CREATE INDEX IF NOT EXISTS {t.index} ON {t.table} "
        f"USING gin (to_tsvector('{PG_TS_CONFIG}', coalesce(search_text, '')))"
    )


@compiles(CreateSearchIndex, "sqlite")
def _create_sqlite(element: CreateSearchIndex, compiler: DDLCompiler, **kw: Any) -> str:
    fts, threads = element.text_index.fts, element.text_index.table
    add = f"INSERT INTO {fts}(rowid, search_text) VALUES (new.rowid, new.search_text);"
    remove = (
        f"INSERT INTO {fts}({fts}, rowid, search_text) "
        "VALUES ('delete', old.rowid, old.search_text);"
    )
    if element.part == "table":
        return (
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5(search_text, "
            f"content='{threads}', content_rowid='rowid', tokenize='unicode61')"
        )
    if element.part == "rebuild":
        return f"INSERT INTO {fts}({fts}) VALUES ('rebuild')"
    body = {"ai": add, "ad": remove, "au": remove + " " + add}[element.part]
    event = {"ai": "INSERT", "ad": "DELETE", "au": "UPDATE"}[element.part]
    return (
        f"CREATE TRIGGER IF NOT EXISTS {fts}_{element.part} "
        f"AFTER {event} ON {threads} BEGIN {body} END"
    )


@compiles(DropSearchIndex, "sqlite")
def _drop_sqlite(element: DropSearchIndex, compiler: DDLCompiler, **kw: Any) -> str:
    fts = element.text_index.fts
    if element.part == "table":
        return f"DROP TABLE IF EXISTS {fts}"
    return f"DROP TRIGGER IF EXISTS {fts}_{element.part}"
