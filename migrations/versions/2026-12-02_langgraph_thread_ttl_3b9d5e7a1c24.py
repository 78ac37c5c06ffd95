"""LangGraph threads that expire: ``expires_at`` on the checkpoints table, indexed.

A saver built with a ``ttl`` (``store.langgraph_saver(ttl=...)``) stamps each
checkpoint it writes with ``created_at + ttl``; a thread whose every checkpoint has
expired is removed whole by ``vacuum`` and ``saver.asweep_ttl()``. Rows written before
this revision, and by a saver without a ``ttl``, hold NULL: they never expire.

The column is nullable with no default, so adding it rewrites no row on any backend.
Each step can be run again: PostgreSQL's ``ADD COLUMN IF NOT EXISTS``; on Oracle, which
has no such clause for a column, a PL/SQL block ignoring ORA-01430 ("column being added
already exists in table", Database Error Messages); on SQLite the column is looked up
first (online; an offline SQLite script adds it plainly). The downgrade likewise ignores
ORA-00904 ("invalid identifier") for a column already dropped.

Revision ID: 3b9d5e7a1c24
Revises: c4e1f7a92b3d
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from locus_store.migrate import migration_schema
from locus_store.schema.types import UTCDateTime

revision = "3b9d5e7a1c24"
down_revision = "c4e1f7a92b3d"
branch_labels = None
depends_on = None

COLUMN = "expires_at"
#: Oracle's codes for a column added twice, and for one dropped that is not there.
ORA_COLUMN_EXISTS = -1430
ORA_INVALID_IDENTIFIER = -904


def _oracle_ignoring(name: str, code: int, statement: str) -> str:
    """A PL/SQL block running ``statement``, doing nothing when it fails with ``code``."""
    quoted = statement.replace("'", "''")
    return (
        f"DECLARE\n    {name} EXCEPTION;\n    PRAGMA EXCEPTION_INIT({name}, {code});\n"
        f"BEGIN\n    EXECUTE IMMEDIATE '{quoted}';\n"
        f"EXCEPTION\n    WHEN {name} THEN\n        NULL;\nEND;"
    )


def _sqlite_has_column(table: str) -> bool:
    if op.get_context().as_sql:
        return False
    return any(c["name"] == COLUMN for c in sa.inspect(op.get_bind()).get_columns(table))


def upgrade() -> None:
    checkpoints = migration_schema().lg_checkpoints.name
    dialect = op.get_context().dialect
    if dialect.name == "oracle":
        column_type = UTCDateTime().compile(dialect=dialect)
        add = f"ALTER TABLE {checkpoints} ADD ({COLUMN} {column_type})"
        op.execute(_oracle_ignoring("column_exists", ORA_COLUMN_EXISTS, add))
    elif dialect.name == "postgresql":
        column = sa.Column(COLUMN, UTCDateTime(), nullable=True)
        op.add_column(checkpoints, column, if_not_exists=True)
    elif not _sqlite_has_column(checkpoints):
        op.add_column(checkpoints, sa.Column(COLUMN, UTCDateTime(), nullable=True))
    op.create_index(f"{checkpoints}_exp_ix", checkpoints, [COLUMN], if_not_exists=True)


def downgrade() -> None:
    checkpoints = migration_schema().lg_checkpoints.name
    op.drop_index(f"{checkpoints}_exp_ix", table_name=checkpoints, if_exists=True)
    dialect = op.get_context().dialect
    if dialect.name == "oracle":
        drop = f"ALTER TABLE {checkpoints} DROP COLUMN {COLUMN}"
        op.execute(_oracle_ignoring("no_such_column", ORA_INVALID_IDENTIFIER, drop))
    elif dialect.name == "postgresql":
        op.drop_column(checkpoints, COLUMN, if_exists=True)
    elif op.get_context().as_sql or _sqlite_has_column(checkpoints):
        op.drop_column(checkpoints, COLUMN)
