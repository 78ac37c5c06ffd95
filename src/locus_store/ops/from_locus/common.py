"""What both importers share: the source tables' columns, the report, the batched write."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Column, Integer, MetaData, String, Table, Text, func
from sqlalchemy.types import TypeDecorator

from locus_store.errors import InvalidInputError
from locus_store.ops.statements import ThreadStatements
from locus_store.ops.threads import (
    THREADS_PER_TRANSFER,
    conflict,
    existing_threads,
    in_batches,
    in_threads,
    require_on_conflict,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import Dialect
    from sqlalchemy.ext.asyncio import AsyncConnection

    from locus_store.store import Store

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_$#]{0,127}")


def as_utc(stamp: dt.datetime) -> dt.datetime:
    """``stamp`` in UTC; a naive one (as Locus's backends may write) is taken as UTC."""
    return stamp.replace(tzinfo=dt.UTC) if stamp.tzinfo is None else stamp.astimezone(dt.UTC)


class _Document(TypeDecorator[Any]):
    """A JSON document read as JSONB (PostgreSQL), CLOB text (Oracle) or text (SQLite)."""

    impl = Text
    cache_ok = True

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if isinstance(value, bytes | bytearray):
            value = value.decode("utf-8")
        if isinstance(value, str):
            return json.loads(value) if value.strip() else None
        return value


class _Instant(TypeDecorator[dt.datetime]):
    """A timestamp as an aware UTC ``datetime`` (naive values are taken as UTC)."""

    impl = Text
    cache_ok = True

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        stamp = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
        if not isinstance(stamp, dt.datetime):
            return None
        return as_utc(stamp)


def utc(column: Any, dialect_name: str) -> Any:
    """``column`` as UTC: Oracle's driver drops the zone of ``TIMESTAMP WITH TIME ZONE``."""
    if dialect_name == "oracle":
        return func.sys_extract_utc(column, type_=_Instant()).label(column.name)
    return column


def _table(name: str, *columns: Column[Any]) -> Table:
    """A source table named ``name`` or ``schema.name`` (identifiers checked)."""
    parts = name.split(".")
    if len(parts) > 2 or not all(_IDENTIFIER.fullmatch(p) for p in parts):
        raise InvalidInputError(f"{name!r} is not a table name (use NAME or SCHEMA.NAME)")
    schema = parts[0] if len(parts) == 2 else None
    return Table(parts[-1], MetaData(), *columns, schema=schema)


def kv_table(name: str) -> Table:
    """The key/value table of ``postgresql_checkpointer`` / ``oracle_checkpointer``."""
    return _table(
        name,
        Column("thread_id", String(255), primary_key=True),
        Column("checkpoint_id", String(255)),
        Column("data", _Document()),
        Column("created_at", _Instant()),
        Column("updated_at", _Instant()),
        Column("metadata", _Document()),
    )


def saver_tables(name: str) -> tuple[Table, Table]:
    """``OracleCheckpointSaver(table_name=name)``'s checkpoints and writes tables."""
    schema, _, base = name.rpartition(".")
    qualified = f"{schema}." if schema else ""
    checkpoints = _table(
        f"{qualified}{base}_checkpoints",
        Column("thread_id", String(255), primary_key=True),
        Column("checkpoint_ns", String(255), primary_key=True),
        Column("checkpoint_id", String(255), primary_key=True),
        Column("parent_checkpoint_id", String(255)),
        Column("checkpoint_data", _Document()),
        Column("metadata", _Document()),
        Column("created_at", _Instant()),
    )
    writes = _table(
        f"{qualified}{base}_writes",
        Column("thread_id", String(255), primary_key=True),
        Column("checkpoint_ns", String(255), primary_key=True),
        Column("checkpoint_id", String(255), primary_key=True),
        Column("task_id", String(255), primary_key=True),
        Column("idx", Integer(), primary_key=True),
        Column("channel", String(255)),
        Column("value", Text()),
    )
    return checkpoints, writes


# -- reports ------------------------------------------------------------------------------------
@dataclass
class LocusImportReport:
    """What an import wrote, skipped and could not use."""

    threads: int = 0
    single_row: int = 0
    checkpoints: int = 0
    writes: int = 0
    skipped: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    #: Index entries whose checkpoint row no longer exists.
    missing_checkpoints: int = 0
    #: Checkpoint rows found although the index did not list them.
    unindexed_checkpoints: int = 0
    #: ``"<thread>: <reason>"`` for each conversation that could not be imported.
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "threads": self.threads,
            "single_row": self.single_row,
            "checkpoints": self.checkpoints,
            "writes": self.writes,
            "skipped": self.skipped,
            "replaced": self.replaced,
            "missing_checkpoints": self.missing_checkpoints,
            "unindexed_checkpoints": self.unindexed_checkpoints,
            "problems": self.problems,
        }


# -- writing into the store -----------------------------------------------------------------------
async def check_conflicts(
    target: Store, tables: Sequence[Table], ids: Sequence[str], on_conflict: str
) -> set[str]:
    """Which of ``ids`` the target's ``tables`` hold; `conflict` under ``on_conflict="fail"``."""
    require_on_conflict(on_conflict)
    lookups = ThreadStatements.of(target.table_prefix, target.dialect_name).lookups_in(*tables)

    async def taken(conn: AsyncConnection) -> set[str]:
        return await existing_threads(conn, lookups, ids)

    existing = await target.run(taken)
    if existing and on_conflict == "fail":
        raise conflict(existing, "these threads already exist in the store")
    return existing


def batches(
    threads: list[str], existing: set[str], on_conflict: str, report: LocusImportReport
) -> Iterator[tuple[list[str], int]]:
    """``threads`` in batches of `THREADS_PER_TRANSFER`, each with how many threads are done
    after it; under ``skip`` the ``existing`` ones are reported as skipped and left out."""
    done = 0
    for batch in in_batches(threads, THREADS_PER_TRANSFER):
        done += len(batch)
        if on_conflict == "skip":
            report.skipped.extend(t for t in batch if t in existing)
            batch = [t for t in batch if t not in existing]
        yield batch, done


async def write_rows(
    target: Store,
    rows: dict[Table, list[dict[str, Any]]],
    replace: Sequence[str],
) -> None:
    async def work(conn: AsyncConnection) -> None:
        if replace:
            for table in rows:
                await conn.execute(table.delete().where(in_threads(table)), {"threads": replace})
        for table, values in rows.items():
            if values:
                await conn.execute(table.insert(), values)

    await target.run(work, atomic=True)
