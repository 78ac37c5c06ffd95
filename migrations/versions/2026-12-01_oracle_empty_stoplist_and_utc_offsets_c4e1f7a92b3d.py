"""Oracle: the text index without stop words, and stored timestamps at offset +00:00.

Two changes, on Oracle only (PostgreSQL and SQLite have neither problem, so the
revision does nothing there):

- Timestamps written as ``FROM_TZ(..., 'UTC')`` hold a time zone *region*, which
  python-oracledb in thin mode cannot fetch (DPY-3022). Every ``TIMESTAMP WITH TIME
  ZONE`` value holding a region is rewritten as the same instant at offset ``+00:00``,
  which is how values are written from now on. This rewrites rows: on a large table it
  takes as long as an UPDATE of every row written before this version (one statement
  per table, one transaction each, as much undo as the rows it changes).
- The Oracle Text index is created again with ``CTXSYS.EMPTY_STOPLIST``: with the
  default stoplist ``search("the")`` finds nothing on Oracle, while PostgreSQL
  (``simple``) and SQLite (FTS5 ``unicode61``) find it. Re-indexing reads every row.

Each step can be run again: the UPDATEs touch only values that still hold a region,
and the index is dropped (if it exists, in whatever state a failed build left it)
before it is created. So when ``upgrade`` fails half-way (each Oracle DDL commits; the
version row moves only at the end), running it again after fixing the cause succeeds.

The downgrade restores the index with the default stoplist. It does not restore region
names: an offset of +00:00 is the same instant, and every version reads it.

Revision ID: c4e1f7a92b3d
Revises: a08dd95ca49e
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

from locus_store.migrate import migration_schema
from locus_store.schema.search import (
    ORACLE_TEXT_PARAMETERS,
    ORACLE_TEXT_PARAMETERS_DEFAULT_STOPLIST,
    create_search_statements,
)
from locus_store.schema.tables import Schema

revision = "c4e1f7a92b3d"
down_revision = "a08dd95ca49e"
branch_labels = None
depends_on = None

#: The offset values are written with from now on (never a region name).
UTC_OFFSET = "+00:00"


def _timestamp_columns(s: Schema) -> list[tuple[str, list[str]]]:
    """Every TIMESTAMP WITH TIME ZONE column the revisions up to this one created."""
    return [
        (s.threads.name, ["created_at", "updated_at", "expires_at"]),
        (s.checkpoints.name, ["created_at"]),
        (s.lg_checkpoints.name, ["created_at"]),
    ]


def _holds_region(column: str) -> str:
    # SQL Language Reference, "EXTRACT (datetime)": TIMEZONE_REGION gives the region
    # name of a value that holds one, and 'UNKNOWN' for a value holding an offset
    # (its example: TIMESTAMP '1999-01-01 10:00:00 -08:00' gives UNKNOWN). NULL stays
    # NULL and is left alone.
    return f"EXTRACT(TIMEZONE_REGION FROM {column}) <> 'UNKNOWN'"


def _to_utc_offset(table: str, columns: list[str]) -> str:
    """One UPDATE per table: values holding a region become the same instant at +00:00.

    SQL Language Reference, "SYS_EXTRACT_UTC": the UTC instant of a value with a
    region or an offset; "FROM_TZ": that instant with the zone given (an offset here).
    """
    sets = ",\n    ".join(
        f"{column} = CASE WHEN {_holds_region(column)} THEN "
        f"FROM_TZ(CAST(SYS_EXTRACT_UTC({column}) AS TIMESTAMP), '{UTC_OFFSET}') "
        f"ELSE {column} END"
        for column in columns
    )
    where = "\n    OR ".join(_holds_region(column) for column in columns)
    return f"UPDATE {table} SET\n    {sets}\nWHERE {where}"


def upgrade() -> None:
    if op.get_context().dialect.name != "oracle":
        return
    s = migration_schema()
    for table, columns in _timestamp_columns(s):
        op.execute(_to_utc_offset(table, columns))
    for statement in create_search_statements(s, "oracle", ORACLE_TEXT_PARAMETERS):
        op.execute(statement)


def downgrade() -> None:
    if op.get_context().dialect.name != "oracle":
        return
    s = migration_schema()
    for statement in create_search_statements(s, "oracle", ORACLE_TEXT_PARAMETERS_DEFAULT_STOPLIST):
        op.execute(statement)
