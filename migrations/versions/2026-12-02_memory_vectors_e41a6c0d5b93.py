"""Long-term memory: embeddings, with dimensions and metric chosen now.

``store.upgrade(memory_dims=384, memory_distance="cosine")`` or
``alembic -x memory_dims=384 -x memory_distance=cosine upgrade head`` (defaults: 1536,
cosine). To change them later, ``downgrade`` to the revision before this one (only the
embeddings go; items stay) and upgrade again with the new values, then re-embed.

- Oracle: ``VECTOR(dims, FLOAT32)`` with an IVF vector index (``NEIGHBOR PARTITIONS``):
  unlike HNSW it needs no vector memory pool (``VECTOR_MEMORY_SIZE``), which a default
  instance does not have (AI Vector Search User's Guide, "Size the Vector Pool").
  ``CREATE VECTOR INDEX`` takes no ``IF NOT EXISTS`` (SQL Language Reference, "CREATE
  VECTOR INDEX"), so the step drops the index if it exists (``DROP INDEX IF EXISTS``)
  and creates it again, as the Oracle Text index is. IVF partitions are computed from
  the rows present when the index is built: after loading many vectors, rebuild it
  (``DBMS_VECTOR.REBUILD_INDEX``) for its partitions to follow the data.
- PostgreSQL: pgvector's ``vector(dims)`` with an HNSW index when the extension is
  installed or can be (``CREATE EXTENSION IF NOT EXISTS vector``, inside a savepoint so a
  role that may not create it leaves the rest of the upgrade standing). Without it no
  vectors table is made, the config row says ``none`` and the store reports
  ``semantic_search=False``: install pgvector, then downgrade to the previous revision
  and upgrade again. HNSW takes at most 2000 dimensions; beyond that searches scan.
- SQLite: float32 BLOBs, searched exactly (no index).

Revision ID: e41a6c0d5b93
Revises: b7e2d94c1f08
Create Date: 2026-12-02
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import context, op

from locus_store.migrate import memory_vector_options, migration_schema
from locus_store.schema.memory_tables import CONFIG_ROW
from locus_store.schema.types import KeyString
from locus_store.schema.vectors import (
    ORACLE_DISTANCE_METRICS,
    PGVECTOR_HNSW_MAX_DIMS,
    EmbeddingVector,
)

revision = "e41a6c0d5b93"
down_revision = "b7e2d94c1f08"
branch_labels = None
depends_on = None

NAMESPACE = 1000
KEY = 255
STAMP = 32
FIELD = 255
_log = logging.getLogger(__name__)
_PG_OPERATOR_CLASSES = {
    "cosine": "vector_cosine_ops",
    "dot": "vector_ip_ops",
    "l2": "vector_l2_ops",
}


def _pgvector_ready() -> bool:
    """pgvector is installed, or is available and this role may create it."""
    if context.is_offline_mode():
        op.execute("CREATE EXTENSION IF NOT EXISTS vector")
        return True
    bind = op.get_bind()
    installed = sa.text("SELECT 1 FROM pg_extension WHERE extname = 'vector'")
    if bind.execute(installed).first() is not None:
        return True
    available = sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")
    if bind.execute(available).first() is None:
        _log.warning("pgvector is not available on this server: memory has no vector search")
        return False
    try:
        with bind.begin_nested():
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS vector"))
    except sa.exc.DBAPIError as exc:
        _log.warning("pgvector could not be created (%s): memory has no vector search", exc)
        return False
    return True


def _set_config(vectors: str, dims: int | None, distance: str) -> None:
    s = migration_schema()
    table = sa.table(
        s.memory_config.name,
        sa.column("id", sa.Integer()),
        sa.column("vectors", sa.String()),
        sa.column("dims", sa.Integer()),
        sa.column("distance", sa.String()),
    )
    op.execute(
        table.update()
        .where(table.c.id == CONFIG_ROW)
        .values(vectors=vectors, dims=dims, distance=distance)
    )


def upgrade() -> None:
    s = migration_schema()
    dims, distance = memory_vector_options(context.config)
    dialect = op.get_context().dialect.name
    if dialect == "postgresql" and not _pgvector_ready():
        _set_config("none", None, distance)
        return
    vectors = s.memory_vectors.name
    op.create_table(
        vectors,
        sa.Column("namespace", sa.String(NAMESPACE), nullable=False),
        sa.Column("key", KeyString(KEY), nullable=False),
        sa.Column("field", sa.String(FIELD), nullable=False),
        sa.Column("stamp", sa.String(STAMP), nullable=False),
        sa.Column("embedding", EmbeddingVector(dims), nullable=False),
        sa.PrimaryKeyConstraint("namespace", "key", "field", name=f"{vectors}_pk"),
        if_not_exists=True,
    )
    if dialect == "postgresql" and dims <= PGVECTOR_HNSW_MAX_DIMS:
        op.execute(
            f"CREATE INDEX IF NOT EXISTS {vectors}_hnsw_ix ON {vectors} "
            f"USING hnsw (embedding {_PG_OPERATOR_CLASSES[distance]})"
        )
    elif dialect == "oracle":
        op.execute(f"DROP INDEX IF EXISTS {vectors}_ivf_ix")
        op.execute(
            f"CREATE VECTOR INDEX {vectors}_ivf_ix ON {vectors} (embedding) "
            f"ORGANIZATION NEIGHBOR PARTITIONS DISTANCE {ORACLE_DISTANCE_METRICS[distance]} "
            "WITH TARGET ACCURACY 95"
        )
    _set_config("exact" if dialect == "sqlite" else "native", dims, distance)


def downgrade() -> None:
    s = migration_schema()
    vectors = s.memory_vectors.name
    dialect = op.get_context().dialect.name
    if dialect == "postgresql":
        op.execute(f"DROP INDEX IF EXISTS {vectors}_hnsw_ix")
    elif dialect == "oracle":
        op.execute(f"DROP INDEX IF EXISTS {vectors}_ivf_ix")
    op.drop_table(vectors, if_exists=True)
    _set_config("none", None, "cosine")
