"""LangGraph saver tables: checkpoints, channel value blobs, pending writes.

Every step is guarded (IF [NOT] EXISTS): see the initial revision.

Revision ID: 863d7bbd7897
Revises: 5d1c0a7e2b41
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from locus_store.migrate import migration_schema
from locus_store.schema.types import JSONDocument, KeyString, UTCDateTime

revision = "863d7bbd7897"
down_revision = "5d1c0a7e2b41"
branch_labels = None
depends_on = None

KEY = 255
TYPE_TAG = 64
TASK_PATH = 2000


def upgrade() -> None:
    s = migration_schema()
    checkpoints, blobs, writes = s.lg_checkpoints.name, s.lg_blobs.name, s.lg_writes.name

    op.create_table(
        checkpoints,
        sa.Column("thread_id", sa.String(KEY), nullable=False),
        sa.Column("checkpoint_ns", KeyString(KEY), nullable=False),
        sa.Column("checkpoint_id", sa.String(KEY), nullable=False),
        sa.Column("parent_checkpoint_id", sa.String(KEY), nullable=True),
        sa.Column("run_id", sa.String(KEY), nullable=True),
        sa.Column("checkpoint_type", sa.String(TYPE_TAG), nullable=False),
        sa.Column("checkpoint", sa.LargeBinary(), nullable=False),
        sa.Column("channel_versions", JSONDocument(), nullable=False),
        sa.Column("metadata", JSONDocument(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint(
            "thread_id", "checkpoint_ns", "checkpoint_id", name=f"{checkpoints}_pk"
        ),
        if_not_exists=True,
    )
    op.create_index(f"{checkpoints}_run_ix", checkpoints, ["run_id"], if_not_exists=True)

    op.create_table(
        blobs,
        sa.Column("thread_id", sa.String(KEY), nullable=False),
        sa.Column("checkpoint_ns", KeyString(KEY), nullable=False),
        sa.Column("channel", KeyString(KEY), nullable=False),
        sa.Column("version", sa.String(KEY), nullable=False),
        sa.Column("value_type", sa.String(TYPE_TAG), nullable=False),
        sa.Column("value", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint(
            "thread_id", "checkpoint_ns", "channel", "version", name=f"{blobs}_pk"
        ),
        if_not_exists=True,
    )

    op.create_table(
        writes,
        sa.Column("thread_id", sa.String(KEY), nullable=False),
        sa.Column("checkpoint_ns", KeyString(KEY), nullable=False),
        sa.Column("checkpoint_id", sa.String(KEY), nullable=False),
        sa.Column("task_id", sa.String(KEY), nullable=False),
        sa.Column("idx", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("channel", KeyString(KEY), nullable=False),
        sa.Column("value_type", sa.String(TYPE_TAG), nullable=False),
        sa.Column("value", sa.LargeBinary(), nullable=True),
        sa.Column("task_path", KeyString(TASK_PATH), nullable=False),
        sa.PrimaryKeyConstraint(
            "thread_id", "checkpoint_ns", "checkpoint_id", "task_id", "idx", name=f"{writes}_pk"
        ),
        if_not_exists=True,
    )


def downgrade() -> None:
    s = migration_schema()
    op.drop_table(s.lg_writes.name, if_exists=True)
    op.drop_table(s.lg_blobs.name, if_exists=True)
    checkpoints = s.lg_checkpoints.name
    op.drop_index(f"{checkpoints}_run_ix", table_name=checkpoints, if_exists=True)
    op.drop_table(checkpoints, if_exists=True)
