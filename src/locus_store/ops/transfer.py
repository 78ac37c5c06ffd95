"""Export and import of whole threads as JSON Lines, between any two stores.

A file holds a header line, then every row of each thread, thread by thread:
its single-row state (``thread``), its versions (``checkpoint``) and their pending
writes (``write``), and the LangGraph saver's rows (``lg_checkpoint``, ``lg_blob``,
``lg_write``). A record is a row with its columns as JSON: timestamps in ISO 8601
(UTC, microseconds), bytes in base64, documents as they are. Keys are sorted and
threads and rows come in a fixed order, so two exports of equal data are equal
byte for byte whatever database they come from.

Import writes the rows as they are (same ids, lineage positions, timestamps,
expiry), in one transaction per batch of threads. The search text of a
single-row thread is derived from its state again on import.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from sqlalchemy import Integer, LargeBinary, String, Table

from locus_store.agent_state import search_text
from locus_store.errors import ExportFormatError as ExportFormatError
from locus_store.errors import ThreadNotFoundError as ThreadNotFoundError
from locus_store.ops.statements import ExportStatements, ThreadStatements, record_tables
from locus_store.ops.status import schema_status
from locus_store.ops.threads import ON_CONFLICT as ON_CONFLICT
from locus_store.ops.threads import (
    THREADS_PER_TRANSFER,
    conflict,
    existing_threads,
    in_batches,
    in_threads,
    require_on_conflict,
)
from locus_store.ops.threads import Progress as Progress
from locus_store.schema.tables import Schema
from locus_store.schema.types import JSONDocument, UTCDateTime
from locus_store.validation import require_json, require_key

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

    from locus_store.store import Store

FORMAT = "locus-store-export"
FORMAT_VERSION = 1

#: Columns a kind's records are ordered by (the primary key where none is given).
_ORDER = {"checkpoint": ("checkpoint_ns", "seq")}
#: Columns derived from others, not written to the file.
_DERIVED = {"thread": frozenset({"search_text"})}


@dataclass
class TransferReport:
    """Threads and rows written (or skipped) by an export or import."""

    threads: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)

    def count(self, kind: str, n: int = 1) -> None:
        self.rows[kind] = self.rows.get(kind, 0) + n

    def as_dict(self) -> dict[str, Any]:
        return {
            "threads": self.threads,
            "rows": dict(sorted(self.rows.items())),
            "skipped": self.skipped,
            "replaced": self.replaced,
        }


# -- one row <-> one record ---------------------------------------------------------------------
def _columns(kind: str, table: Table) -> list[Any]:
    derived = _DERIVED.get(kind, frozenset())
    return [c for c in table.columns if c.key not in derived]


def _encode(column: Any, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(column.type, UTCDateTime):
        # Always six digits (unlike `iso_utc`): equal data exports byte for byte alike.
        stamp: dt.datetime = value
        return stamp.astimezone(dt.UTC).isoformat(timespec="microseconds")
    if isinstance(column.type, LargeBinary):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(column.type, Integer):
        return int(value)
    return value


def _decode(column: Any, value: Any, where: str) -> Any:
    if value is None:
        if not column.nullable:
            raise ExportFormatError(f"{where}: {column.key} must not be null")
        return None
    what = f"{where}: {column.key}"
    try:
        if isinstance(column.type, UTCDateTime):
            stamp = dt.datetime.fromisoformat(value)
            if stamp.tzinfo is None:
                raise ValueError("no time zone")
            return stamp
        if isinstance(column.type, LargeBinary):
            return base64.b64decode(value, validate=True)
        if isinstance(column.type, JSONDocument):
            return require_json(value, what)
        if isinstance(column.type, Integer):
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError("not an integer")
            return value
    except (TypeError, ValueError) as exc:
        raise ExportFormatError(f"{what}: {exc}") from None
    if not isinstance(value, str) or "\x00" in value:
        raise ExportFormatError(f"{what} must be a string without NUL characters")
    length = getattr(column.type, "length", None) if isinstance(column.type, String) else None
    if length is not None and len(value) > length:
        raise ExportFormatError(f"{what} is longer than {length} characters")
    return value


def _record(kind: str, table: Table, row: Any) -> dict[str, Any]:
    mapping = row._mapping  # noqa: SLF001 - public API, underscored against column names
    record = {c.key: _encode(c, mapping[c]) for c in _columns(kind, table)}
    record["kind"] = kind
    return record


def _row(kind: str, table: Table, record: dict[str, Any], where: str) -> dict[str, Any]:
    columns = _columns(kind, table)
    expected = {c.key for c in columns}
    unknown = set(record) - expected - {"kind"}
    if unknown:
        raise ExportFormatError(f"{where}: unknown fields {sorted(unknown)} in a {kind} record")
    row = {c.key: _decode(c, record.get(c.key), where) for c in columns}
    if kind == "thread":
        row["search_text"] = search_text(row["state"])
    return row


def _sort_key(kind: str, table: Table) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    names = _ORDER.get(kind) or tuple(c.key for c in table.primary_key.columns)
    return lambda record: tuple(record[name] for name in names)


def dumps(record: dict[str, Any]) -> str:
    """One line of a file: compact JSON with sorted keys."""
    return json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


# -- export -------------------------------------------------------------------------------------
async def export_threads(
    store: Store,
    out: IO[str],
    thread_ids: Sequence[str] | None = None,
    *,
    progress: Progress | None = None,
) -> TransferReport:
    """Write the header and every record of ``thread_ids`` (all threads when ``None``) to ``out``.

    ``ThreadNotFoundError`` (before anything is written) when a named thread has no rows.
    """
    tables = record_tables(store.schema)
    sql = ExportStatements.of(store.table_prefix, store.dialect_name)
    lookups = ThreadStatements.of(store.table_prefix, store.dialect_name).lookups_in()

    async def ids(conn: AsyncConnection) -> list[str]:
        if thread_ids is not None:
            wanted = [require_key(t, "thread_id") for t in dict.fromkeys(thread_ids)]
            missing = set(wanted) - await existing_threads(conn, lookups, wanted)
            if missing:
                raise ThreadNotFoundError(f"no such thread: {', '.join(sorted(missing))}")
            return sorted(wanted)
        found: set[str] = set()
        for statement in sql.every_thread:
            found.update(r[0] for r in await conn.execute(statement))
        return sorted(found)

    threads = await store.run(ids)
    status = await schema_status(store)
    header = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "source": {"dialect": store.dialect_name, "table_prefix": store.table_prefix},
        "schema_revision": list(status.current),
        "threads": len(threads),
    }
    out.write(dumps(header) + "\n")
    report = TransferReport()
    for batch in in_batches(threads, THREADS_PER_TRANSFER):

        async def read(conn: AsyncConnection, batch: list[str] = batch) -> dict[str, list[Any]]:
            return {
                kind: list(await conn.execute(statement, {"threads": batch}))
                for kind, statement in sql.rows.items()
            }

        rows = await store.run(read)
        grouped: dict[str, list[dict[str, Any]]] = {t: [] for t in batch}
        for kind, table in tables.items():
            records = sorted(
                (_record(kind, table, row) for row in rows[kind]), key=_sort_key(kind, table)
            )
            for record in records:
                grouped[record["thread_id"]].append(record)
                report.count(kind)
        for thread in batch:
            out.writelines(dumps(record) + "\n" for record in grouped[thread])
        report.threads += len(batch)
        if progress is not None:
            progress(report.threads, len(threads))
    return report


# -- import -------------------------------------------------------------------------------------
def _lines(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ExportFormatError(f"line {number}: not JSON ({exc.msg})") from None
            if not isinstance(value, dict):
                raise ExportFormatError(f"line {number}: not a JSON object")
            yield number, value


def _check_header(path: Path) -> None:
    for number, header in _lines(path):
        if header.get("format") != FORMAT:
            raise ExportFormatError(f"line {number}: not a {FORMAT} file (no header)")
        if header.get("version") != FORMAT_VERSION:
            raise ExportFormatError(
                f"line {number}: format version {header.get('version')!r}; this locus-store "
                f"reads version {FORMAT_VERSION}"
            )
        return
    raise ExportFormatError(f"{path} is empty")


def _records(path: Path, schema: Schema) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """``(thread_id, kind, row)`` per record, checked, after the header."""
    tables = record_tables(schema)
    records = _lines(path)
    next(records, None)
    for number, record in records:
        kind = record.get("kind")
        if kind not in tables:
            raise ExportFormatError(f"line {number}: unknown record kind {kind!r}")
        where = f"line {number}"
        try:
            thread = require_key(record.get("thread_id"), "thread_id")
        except (TypeError, ValueError) as exc:
            raise ExportFormatError(f"{where}: {exc}") from None
        yield thread, kind, _row(kind, tables[kind], record, where)


def scan(path: str | Path, schema: Schema) -> list[str]:
    """Check a whole file without writing anything; its thread ids in file order.

    ``ExportFormatError`` names the first bad line, or a thread whose records
    are not contiguous.
    """
    path = Path(path)
    _check_header(path)
    threads: list[str] = []
    seen: set[str] = set()
    for thread, _kind, _data in _records(path, schema):
        if threads and threads[-1] == thread:
            continue
        if thread in seen:
            raise ExportFormatError(f"the records of thread {thread!r} are not contiguous")
        seen.add(thread)
        threads.append(thread)
    return threads


def _thread_groups(
    path: Path, schema: Schema
) -> Iterator[list[tuple[str, dict[str, list[dict[str, Any]]]]]]:
    """Batches of ``(thread_id, rows by kind)`` of `THREADS_PER_TRANSFER` threads."""
    batch: list[tuple[str, dict[str, list[dict[str, Any]]]]] = []
    for thread, kind, row in _records(path, schema):
        if not batch or batch[-1][0] != thread:
            if len(batch) == THREADS_PER_TRANSFER:
                yield batch
                batch = []
            batch.append((thread, {}))
        batch[-1][1].setdefault(kind, []).append(row)
    if batch:
        yield batch


async def import_file(
    store: Store,
    path: str | Path,
    *,
    on_conflict: str = "fail",
    progress: Progress | None = None,
) -> TransferReport:
    """Write every thread of an export file into ``store``.

    The file is checked whole first. A thread the store already has is refused
    (``on_conflict="fail"``: ``CheckpointExistsError`` before anything is written),
    left as it is (``"skip"``), or deleted and written again (``"replace"``).
    One transaction per batch of threads: an interrupted import is completed by
    running it again with ``on_conflict="skip"``.
    """
    require_on_conflict(on_conflict)
    path = Path(path)
    schema = store.schema
    threads = scan(path, schema)
    lookups = ThreadStatements.of(store.table_prefix, store.dialect_name).lookups_in()

    async def taken(conn: AsyncConnection) -> set[str]:
        return await existing_threads(conn, lookups, threads)

    existing = await store.run(taken)
    if existing and on_conflict == "fail":
        raise conflict(existing, "the file's threads already exist")
    report = TransferReport()
    tables = record_tables(schema)
    ordered = [t for t in schema.metadata.sorted_tables if t in tables.values()]
    for batch in _thread_groups(path, schema):
        clash = [thread for thread, _ in batch if thread in existing]
        if on_conflict == "skip":
            report.skipped.extend(clash)
            batch = [(thread, rows) for thread, rows in batch if thread not in existing]

        async def write(
            conn: AsyncConnection,
            batch: list[tuple[str, dict[str, list[dict[str, Any]]]]] = batch,
            clash: list[str] = clash,
        ) -> None:
            if on_conflict == "replace" and clash:
                for table in reversed(ordered):
                    await conn.execute(table.delete().where(in_threads(table)), {"threads": clash})
            for table in ordered:
                kind = next(k for k, t in tables.items() if t is table)
                rows = [row for _, by_kind in batch for row in by_kind.get(kind, ())]
                if rows:
                    await conn.execute(table.insert(), rows)

        if batch:
            await store.run(write, atomic=True)
        if on_conflict == "replace":
            report.replaced.extend(clash)
        for _, by_kind in batch:
            for kind, rows in by_kind.items():
                report.count(kind, len(rows))
        report.threads += len(batch)
        if progress is not None:
            progress(report.threads + len(report.skipped), len(threads))
    return report
