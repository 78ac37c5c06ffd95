"""Long-term memory: the items table, its full-text index and the config row.

One table for both memory contracts (Locus's and LangGraph's BaseStore): items keyed
by (namespace, key) with a JSON value, optional metadata, the text the full-text index
reads, timestamps, an optional expiry and a version counter. The config row records
whether this database has vectors (the next revision creates them) and their shape.

Every step is guarded (IF [NOT] EXISTS), the Oracle Text index dropped before it is
created (see ``locus_store.schema.search``), and the config row inserted only when
missing, so a failed upgrade runs again.

Revision ID: b7e2d94c1f08
Revises: 3b9d5e7a1c24
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from locus_store.migrate import DEFAULT_MEMORY_DISTANCE, migration_schema
from locus_store.schema.memory_tables import CONFIG_ROW
from locus_store.schema.search import (
    create_search_statements,
    drop_search_statements,
    memory_text_index,
)
from locus_store.schema.types import JSONDocument, KeyString, SearchText, UTCDateTime

revision = "b7e2d94c1f08"
down_revision = "3b9d5e7a1c24"
branch_labels = None
depends_on = None

NAMESPACE = 1000
KEY = 255
STAMP = 32


def upgrade() -> None:
    s = migration_schema()
    items, config = s.memory_items.name, s.memory_config.name
    op.create_table(
        items,
        sa.Column("namespace", sa.String(NAMESPACE), nullable=False),
        sa.Column("key", KeyString(KEY), nullable=False),
        sa.Column("value", JSONDocument(), nullable=False),
        sa.Column("metadata", JSONDocument(), nullable=True),
        sa.Column("search_text", SearchText(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.Column("ttl_seconds", sa.Float(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("stamp", sa.String(STAMP), nullable=False),
        sa.PrimaryKeyConstraint("namespace", "key", name=f"{items}_pk"),
        if_not_exists=True,
    )
    op.create_index(f"{items}_upd_ix", items, ["namespace", "updated_at"], if_not_exists=True)
    op.create_index(f"{items}_exp_ix", items, ["expires_at"], if_not_exists=True)
    op.create_table(
        config,
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("vectors", sa.String(16), nullable=False),
        sa.Column("dims", sa.Integer(), nullable=True),
        sa.Column("distance", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("id", name=f"{config}_pk"),
        if_not_exists=True,
    )
    table = sa.table(
        config,
        sa.column("id", sa.Integer()),
        sa.column("vectors", sa.String()),
        sa.column("dims", sa.Integer()),
        sa.column("distance", sa.String()),
    )
    missing = ~sa.exists().where(table.c.id == CONFIG_ROW)
    row = sa.select(
        sa.literal(CONFIG_ROW, sa.Integer()),
        sa.literal("none", sa.String()),
        sa.null(),
        sa.literal(DEFAULT_MEMORY_DISTANCE, sa.String()),
    ).where(missing)
    op.execute(
        table.insert().from_select(["id", "vectors", "dims", "distance"], row),
    )
    dialect = op.get_context().dialect.name
    for statement in create_search_statements(s, dialect, target=memory_text_index(s)):
        op.execute(statement)


def downgrade() -> None:
    s = migration_schema()
    items = s.memory_items.name
    dialect = op.get_context().dialect.name
    for statement in drop_search_statements(s, dialect, target=memory_text_index(s)):
        op.execute(statement)
    op.drop_table(s.memory_config.name, if_exists=True)
    op.drop_index(f"{items}_exp_ix", table_name=items, if_exists=True)
    op.drop_index(f"{items}_upd_ix", table_name=items, if_exists=True)
    op.drop_table(items, if_exists=True)
