"""Initial schema: threads (single-row), checkpoints (versioned), writes, and search index.

Every step is guarded (IF [NOT] EXISTS) so that a run which failed half-way on Oracle,
where each DDL commits, succeeds when run again after the cause is fixed.

Revision ID: 5d1c0a7e2b41
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from locus_store.migrate import migration_schema
from locus_store.schema.search import (
    ORACLE_TEXT_PARAMETERS_DEFAULT_STOPLIST,
    create_search_statements,
    drop_search_statements,
)
from locus_store.schema.types import JSONDocument, KeyString, SearchText, UTCDateTime

revision = "5d1c0a7e2b41"
down_revision = None
branch_labels = None
depends_on = None

KEY = 255


def upgrade() -> None:
    s = migration_schema()
    threads, checkpoints, writes = s.threads.name, s.checkpoints.name, s.writes.name

    op.create_table(
        threads,
        sa.Column("thread_id", sa.String(KEY), nullable=False),
        sa.Column("checkpoint_id", sa.String(KEY), nullable=False),
        sa.Column("state", JSONDocument(), nullable=False),
        sa.Column("metadata", JSONDocument(), nullable=True),
        sa.Column("search_text", SearchText(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("thread_id", name=f"{threads}_pk"),
        if_not_exists=True,
    )
    op.create_index(f"{threads}_upd_ix", threads, ["updated_at"], if_not_exists=True)
    op.create_index(f"{threads}_exp_ix", threads, ["expires_at"], if_not_exists=True)

    op.create_table(
        checkpoints,
        sa.Column("thread_id", sa.String(KEY), nullable=False),
        sa.Column("checkpoint_ns", KeyString(KEY), nullable=False),
        sa.Column("checkpoint_id", sa.String(KEY), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("parent_checkpoint_id", sa.String(KEY), nullable=True),
        sa.Column("checkpoint", JSONDocument(), nullable=False),
        sa.Column("metadata", JSONDocument(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint(
            "thread_id", "checkpoint_ns", "checkpoint_id", name=f"{checkpoints}_pk"
        ),
        if_not_exists=True,
    )
    op.create_index(
        f"{checkpoints}_seq_ux",
        checkpoints,
        ["thread_id", "checkpoint_ns", "seq"],
        unique=True,
        if_not_exists=True,
    )
    op.create_index(f"{checkpoints}_created_ix", checkpoints, ["created_at"], if_not_exists=True)

    op.create_table(
        writes,
        sa.Column("thread_id", sa.String(KEY), nullable=False),
        sa.Column("checkpoint_ns", KeyString(KEY), nullable=False),
        sa.Column("checkpoint_id", sa.String(KEY), nullable=False),
        sa.Column("task_id", sa.String(KEY), nullable=False),
        sa.Column("idx", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("channel", KeyString(KEY), nullable=False),
        sa.Column("value", JSONDocument(), nullable=True),
        sa.PrimaryKeyConstraint(
            "thread_id", "checkpoint_ns", "checkpoint_id", "task_id", "idx", name=f"{writes}_pk"
        ),
        if_not_exists=True,
    )

    # Its own step, last: the text index is what fails most (Oracle Text missing, quota).
    dialect = op.get_context().dialect.name
    for statement in create_search_statements(s, dialect, ORACLE_TEXT_PARAMETERS_DEFAULT_STOPLIST):
        op.execute(statement)


def downgrade() -> None:
    s = migration_schema()
    for statement in drop_search_statements(s, op.get_context().dialect.name):
        op.execute(statement)
    op.drop_table(s.writes.name, if_exists=True)
    checkpoints, threads = s.checkpoints.name, s.threads.name
    op.drop_index(f"{checkpoints}_created_ix", table_name=checkpoints, if_exists=True)
    op.drop_index(f"{checkpoints}_seq_ux", table_name=checkpoints, if_exists=True)
    op.drop_table(checkpoints, if_exists=True)
    op.drop_index(f"{threads}_exp_ix", table_name=threads, if_exists=True)
    op.drop_index(f"{threads}_upd_ix", table_name=threads, if_exists=True)
    op.drop_table(threads, if_exists=True)
