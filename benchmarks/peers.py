"""The peers: locus-sdk's own checkpointers, on the same server (or disk) as ours.

- ``PgCheckpointer``: one upsert per save, inside a transaction that first pins
  the tenant (``BEGIN``, ``set_config``, the upsert, ``COMMIT``); defaults otherwise
  (every checkpoint kept).
- ``postgresql_checkpointer()``: the generic key/value adapter over
  ``PostgreSQLBackend``; a save writes the checkpoint, a ``latest`` copy, and
  reads and rewrites the thread's index row (four statements).
- ``FileCheckpointer``: a JSON file per checkpoint, the embedded alternative to
  SQLite; compact JSON and one checkpoint kept per thread, its fastest set-up
  for a single-row workload.

Each gets its own table (or directory) named after the benchmark's prefix, and
:meth:`Peers.drop` removes them.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
from locus.memory.backends.adapters import postgresql_checkpointer
from locus.memory.backends.file import FileCheckpointer
from locus.memory.backends.pg_checkpointer import PgCheckpointer
from locus.memory.checkpointer import BaseCheckpointer


@dataclass
class Peers:
    """The peers of one backend, by display name."""

    checkpointers: dict[str, BaseCheckpointer] = field(default_factory=dict)
    tables: list[str] = field(default_factory=list)
    directories: list[Path] = field(default_factory=list)
    dsn: str | None = None

    async def close(self) -> None:
        for checkpointer in self.checkpointers.values():
            await checkpointer.close()

    async def drop(self) -> None:
        """Remove what the peers created (their tables, their files)."""
        await self.close()
        if self.tables and self.dsn is not None:
            conn = await asyncpg.connect(self.dsn)
            try:
                for table in self.tables:
                    await conn.execute("DROP TABLE IF EXISTS " + table)
            finally:
                await conn.close()
        for directory in self.directories:
            shutil.rmtree(directory, ignore_errors=True)


def postgres_peers(dsn: str, prefix: str) -> Peers:
    pg_table = f"{prefix}_pg_checkpointer"
    kv_table = f"{prefix}_pg_kv"
    generic: Any = postgresql_checkpointer(dsn=dsn, table_name=kv_table)
    return Peers(
        checkpointers={
            "PgCheckpointer": PgCheckpointer(dsn, table=pg_table),
            "postgresql_checkpointer": generic,
        },
        tables=[pg_table, kv_table],
        dsn=dsn,
    )


def file_peers(directory: Path) -> Peers:
    return Peers(
        checkpointers={
            "FileCheckpointer": FileCheckpointer(
                directory, pretty=False, max_checkpoints_per_thread=1
            ),
        },
        directories=[directory],
    )
