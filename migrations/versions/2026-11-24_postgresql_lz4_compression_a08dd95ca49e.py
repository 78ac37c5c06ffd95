"""PostgreSQL: LZ4 compression for the large columns (checkpoint documents and values).

PostgreSQL compresses a value stored out of line (TOAST) with ``pglz`` unless told
otherwise. ``lz4`` (PostgreSQL 14 and later, in servers built with it, which the
common packages are) compresses a 256 KB checkpoint several times faster, for
somewhat larger stored values: on the hot path of an agent, where every iteration
writes its state, that is the better trade. It applies to values written from now
on; values already stored keep their compression until rewritten.

On a server without ``lz4`` (or older than 14) the columns keep the server's
default and the migration says so in a NOTICE: nothing fails. Other databases are
not touched.

Revision ID: a08dd95ca49e
Revises: 863d7bbd7897
Create Date: 2026-11-24
"""

from __future__ import annotations

from alembic import op

from locus_store.migrate import migration_schema
from locus_store.schema.tables import Schema

revision = "a08dd95ca49e"
down_revision = "863d7bbd7897"
branch_labels = None
depends_on = None

#: The methods this revision sets ("default": back to the server's default_toast_compression).
LZ4, DEFAULT = "lz4", "default"


def _large_columns(s: Schema) -> list[tuple[str, str]]:
    """(table, column) of every column that holds a whole document or value."""
    return [
        (s.threads.name, "state"),
        (s.checkpoints.name, "checkpoint"),
        (s.writes.name, "value"),
        (s.lg_checkpoints.name, "checkpoint"),
        (s.lg_blobs.name, "value"),
        (s.lg_writes.name, "value"),
    ]


def _compression(s: Schema, method: str) -> str:
    """One DO block setting every large column's compression, or none of them."""
    alters = "\n".join(
        f"    EXECUTE 'ALTER TABLE {table} ALTER COLUMN {column} SET COMPRESSION {method}';"
        for table, column in _large_columns(s)
    )
    return (
        "DO $$\nBEGIN\n"
        f"{alters}\n"
        "EXCEPTION WHEN syntax_error OR feature_not_supported OR invalid_parameter_value THEN\n"
        f"    RAISE NOTICE 'column compression {method} is not available here: "
        "the columns keep the server default';\n"
        "END $$"
    )


def upgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute(_compression(migration_schema(), LZ4))


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute(_compression(migration_schema(), DEFAULT))
