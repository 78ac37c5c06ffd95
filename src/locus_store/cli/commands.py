"""The commands of ``locus-store``: each ``cmd_*`` runs one job and prints what it did.

A command takes the parsed arguments and an open `Store` and returns its `Exit`
code; errors go up to `locus_store.cli.app.main`, which maps them to exit codes.
Also here: how a command finds its database (``--url``, the environment, the SQLite
file) and the helpers that shape their output.
"""

from __future__ import annotations

import argparse
import datetime as dt
import enum
import os
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import IO, Any

from sqlalchemy.engine import URL
from sqlalchemy.exc import ArgumentError

from locus_store.cli import console
from locus_store.errors import ConfigurationError, ThreadNotFoundError, UsageError
from locus_store.ops.browse import find_checkpoint, list_threads, thread_history
from locus_store.ops.copy import copy_thread
from locus_store.ops.status import schema_status
from locus_store.ops.threads import count
from locus_store.ops.vacuum import vacuum
from locus_store.schema.tables import DEFAULT_PREFIX
from locus_store.settings import (
    DEFAULT_SQLITE_PATH,
    ORACLE_ENV,
    ORACLE_REQUIRED_ENV,
    PREFIX_ENV,
    SCHEMA_ENV,
    URL_ENV,
    ConnectionSettings,
    async_url,
    redact,
    settings_from_env,
)
from locus_store.store import Store


class Exit(enum.IntEnum):
    """Exit codes of ``locus-store``."""

    OK = 0
    FAILED = 1
    USAGE = 2
    SCHEMA = 3
    NOT_FOUND = 4
    CONFLICT = 5
    UNAVAILABLE = 6
    INTERRUPTED = 130


# -- connection -----------------------------------------------------------------------------------
def _configured(environ: dict[str, str] | os._Environ[str]) -> bool:
    # Any ORACLE_* variable counts: incomplete Oracle settings are reported as such
    # (settings_from_env names the missing ones), never as "no database configured".
    return bool(environ.get(URL_ENV)) or any(environ.get(n) for n in ORACLE_ENV)


def parse_url(url: str | URL, given_by: str = "--url") -> URL:
    """The URL with its async driver; a URL SQLAlchemy cannot read is a usage error."""
    try:
        return async_url(url)
    except ArgumentError as exc:
        raise UsageError(f"{given_by} is not a database URL: {first_line(exc)}") from None
    except ConfigurationError as exc:
        raise UsageError(f"{given_by}: {exc}") from None


def connection_settings(url: str | None, *, creating: bool = False) -> ConnectionSettings:
    """``--url``, else the environment; the default SQLite file only if it exists or
    the command creates it (``upgrade``)."""
    if url:
        return ConnectionSettings(parse_url(url))
    if not _configured(os.environ) and not creating and not Path(DEFAULT_SQLITE_PATH).exists():
        raise UsageError(
            f"no database configured: pass --url, or set {URL_ENV}, or "
            f"{'/'.join(ORACLE_REQUIRED_ENV)} (the default {DEFAULT_SQLITE_PATH} does not "
            "exist here; `locus-store upgrade` creates it)"
        )
    try:
        return settings_from_env()
    except ArgumentError as exc:
        raise UsageError(f"{URL_ENV} is not a database URL: {first_line(exc)}") from None


def table_prefix(args: argparse.Namespace) -> str:
    """``--prefix``, else the environment's, else the default."""
    return str(args.prefix or os.environ.get(PREFIX_ENV) or DEFAULT_PREFIX)


#: Commands that only read: on SQLite they open the file read-only.
_READS_ONLY = {"current", "threads", "history", "show", "search", "export"}


def _reads_only(args: argparse.Namespace) -> bool:
    return args.command in _READS_ONLY or (args.command == "vacuum" and args.dry_run)


def _sqlite_file(url: URL) -> Path | None:
    """The file of a SQLite URL naming a plain path (not ``:memory:``, not a ``file:`` URI)."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    if "uri" in url.query:
        return None
    return Path(url.database)


def open_store(
    args: argparse.Namespace, *, url: str | None = None, read_only: bool | None = None
) -> Store:
    """The store a command runs on; SQLite files must exist (``upgrade`` creates them)."""
    creating = args.command == "upgrade" and not getattr(args, "sql", False)
    settings = connection_settings(url or args.url, creating=creating)
    prefix = table_prefix(args)
    path = _sqlite_file(settings.url)
    if path is not None and not creating and not path.exists():
        raise UsageError(
            f"{path}: no such SQLite database (`locus-store upgrade` creates it; "
            "or give the right --url)"
        )
    schema = getattr(args, "schema", None) or os.environ.get(SCHEMA_ENV) or None
    in_schema = {"schema": schema} if schema else {}
    try:
        if path is not None and (_reads_only(args) if read_only is None else read_only):
            return Store.from_settings(settings, table_prefix=prefix, read_only=True)
        return Store.from_settings(settings, table_prefix=prefix, **in_schema)
    except ArgumentError as exc:
        raise UsageError(
            f"the database URL cannot be used: {first_line(exc)} (check --url or {URL_ENV})"
        ) from None
    except ImportError as exc:
        backend = settings.url.get_backend_name()
        extra = {"postgresql": "[postgresql]"}.get(backend, "")
        raise UsageError(
            f"the {backend} driver is not installed ({exc.name}): pip install 'locus-store{extra}'"
        ) from None


# -- commands ------------------------------------------------------------------------------------
def print_upgrade_sql(args: argparse.Namespace) -> int:
    """``upgrade --sql``: the migration script, printed; no database is opened."""
    from locus_store.migrate import ORACLE_OFFLINE_URL, offline_sql

    # The script's dialect: --url, else the environment's, else Oracle's.
    oracle = all(os.environ.get(n) for n in ORACLE_REQUIRED_ENV)
    url = args.url or (None if oracle else os.environ.get(URL_ENV)) or ORACLE_OFFLINE_URL
    given_by = "--url" if args.url else URL_ENV
    sys.stdout.write(
        offline_sql(
            parse_url(url, given_by).render_as_string(hide_password=False),
            table_prefix(args),
            args.revision,
            args.from_revision,
        )
    )
    return Exit.OK


async def cmd_upgrade(args: argparse.Namespace, store: Store) -> int:
    before = (await schema_status(store)).current
    await store.upgrade(args.revision)
    after = await schema_status(store)
    where = f"{redact(store.engine.url)} prefix {store.table_prefix!r}"
    if before == after.current:
        at = f"head ({_revs(after.current)})" if after.is_current else _revs(after.current)
        print(f"{where}: already at {at}, nothing to do")
    else:
        origin = _revs(before) if before else "an empty schema"
        head = " (head)" if after.is_current else ""
        print(f"{where}: upgraded {origin} -> {_revs(after.current)}{head}")
    return Exit.OK


async def cmd_current(args: argparse.Namespace, store: Store) -> int:
    status = await schema_status(store)
    if args.json:
        console.dump_json(
            {
                "url": redact(store.engine.url),
                "table_prefix": store.table_prefix,
                "current": list(status.current),
                "heads": list(status.heads),
                "is_current": status.is_current,
                "unreadable": status.unreadable,
            }
        )
    elif status.is_current:
        print(f"prefix {store.table_prefix!r}: at {_revs(status.current)} (head)")
    elif status.unreadable:
        print(
            f"prefix {store.table_prefix!r}: cannot read {store.schema.version_table} "
            f"({status.unreadable}); run `locus-store current` as the schema's owner"
        )
    else:
        print(
            f"prefix {store.table_prefix!r}: at {_revs(status.current)}, head is "
            f"{_revs(status.heads)}: run `locus-store upgrade`"
        )
    return Exit.OK if status.is_current else Exit.SCHEMA


async def cmd_threads(args: argparse.Namespace, store: Store) -> int:
    threads = await list_threads(store, pattern=args.pattern, limit=args.limit)
    if args.json:
        console.dump_json([t.as_dict() for t in threads])
    elif not threads:
        _note(f"no threads match {args.pattern!r}")
    else:
        console.print_table(
            ["THREAD", "CHECKPOINT", "VERSIONS", "LANGGRAPH", "UPDATED (UTC)", "EXPIRES (UTC)"],
            [
                (
                    t.thread_id,
                    t.checkpoint_id,
                    t.versions,
                    t.langgraph_checkpoints,
                    _when(t.updated_at),
                    _when(t.expires_at),
                )
                for t in threads
            ],
        )
    return Exit.OK


async def cmd_history(args: argparse.Namespace, store: Store) -> int:
    entries = await thread_history(store, args.thread, limit=args.limit)
    if not entries:
        raise ThreadNotFoundError(f"thread {args.thread!r} has no checkpoints")
    if args.json:
        console.dump_json(entries)
    else:
        console.print_table(
            ["KIND", "NS", "SEQ", "CHECKPOINT", "PARENT", "CREATED (UTC)", "METADATA"],
            [
                (
                    e["kind"],
                    e["checkpoint_ns"],
                    e["seq"],
                    e["checkpoint_id"],
                    e["parent_checkpoint_id"],
                    _when(e["created_at"]),
                    e["metadata"] or "",
                )
                for e in entries
            ],
        )
    return Exit.OK


async def cmd_show(args: argparse.Namespace, store: Store) -> int:
    view = await find_checkpoint(store, args.thread, args.checkpoint, checkpoint_ns=args.ns)
    if view is None:
        raise ThreadNotFoundError(_not_shown(args.thread, args.checkpoint, args.ns))
    if args.json:
        console.dump_json(view.as_dict())
        return Exit.OK
    facts = [
        ("thread", view.thread_id),
        ("checkpoint", f"{view.checkpoint_id} ({view.source})"),
        ("namespace", view.checkpoint_ns),
        ("parent", view.parent_checkpoint_id),
        ("created", _when(view.created_at) and f"{_when(view.created_at)} UTC"),
        ("updated", _when(view.updated_at) and f"{_when(view.updated_at)} UTC"),
        ("metadata", console.cell(view.metadata) if view.metadata else None),
        ("writes", len(view.writes) or None),
        ("note", view.note),
    ]
    for name, value in facts:
        if value:
            print(f"{name:<11} {value}")
    print()
    channels = view.document.get("channel_values")
    messages = view.document.get("messages")
    if view.source == "langgraph" and isinstance(channels, dict):
        for name, value in channels.items():
            if isinstance(value, list) and name == "messages":
                print(f"{name}:")
                for message in value:
                    print(f"  {_message_line(message)}")
            else:
                print(f"{name}: {value!r}")
    elif view.source == "langgraph":
        print(f"channels: {', '.join(view.document.get('channel_versions') or {}) or 'none'}")
    elif isinstance(messages, list):
        for message in messages:
            print(_message_line(message))
    else:
        console.dump_json(view.document)
    return Exit.OK


def _not_shown(thread: str, checkpoint: str | None, ns: str | None) -> str:
    where = f" in namespace {ns!r}" if ns is not None else ""
    if checkpoint is None and ns is None:
        return (
            f"thread {thread!r} has no checkpoint in any table (single-row, versioned, LangGraph)"
        )
    what = f"checkpoint {checkpoint!r}" if checkpoint is not None else "checkpoint"
    return f"thread {thread!r} has no {what}{where}: see `locus-store history {thread}`"


#: What the score of ``search`` is on each backend (higher is better on all of them).
SCORE_KINDS = {"oracle": "0-100", "postgresql": "ts_rank", "sqlite": "-bm25"}


async def cmd_search(args: argparse.Namespace, store: Store) -> int:
    hits = await store.latest().search(args.query, limit=args.limit)
    kind = SCORE_KINDS.get(store.dialect_name, "rank")
    if args.json:
        console.dump_json([{**hit, "score_kind": kind} for hit in hits])
    elif not hits:
        _note(f"no thread matches {args.query!r}")
    else:
        console.print_table(
            ["THREAD", f"SCORE ({kind})", "UPDATED (UTC)", "CHECKPOINT"],
            [
                (h["thread_id"], f"{h['score']:.3g}", _when(h["updated_at"]), h["checkpoint_id"])
                for h in hits
            ],
        )
    return Exit.OK


async def cmd_vacuum(args: argparse.Namespace, store: Store) -> int:
    with console.Progress("vacuum", None, unit="threads") as bar:
        report = await vacuum(
            store,
            older_than_days=args.older_than_days,
            keep_last=args.keep_last,
            dry_run=args.dry_run,
            progress=bar.update,
        )
    if args.json:
        console.dump_json(report.as_dict())
    else:
        verb = "would remove" if args.dry_run else "removed"
        days = f"{args.older_than_days:g} day{'' if args.older_than_days == 1 else 's'}"
        kept = f", keeping the last {args.keep_last}" if args.keep_last else ""
        print(f"{verb} {report.summary()} (older than {days}{kept})")
    return Exit.OK


async def cmd_copy(args: argparse.Namespace, store: Store) -> int:
    copied = await copy_thread(store, args.source, args.dest)
    if not copied:
        raise ThreadNotFoundError(f"thread {args.source!r} has no rows to copy")
    if args.json:
        console.dump_json({"source": args.source, "dest": args.dest, "rows": copied})
    else:
        print(f"copied thread {args.source!r} to {args.dest!r} ({count(copied, 'row')})")
    return Exit.OK


async def cmd_erase(args: argparse.Namespace, store: Store) -> int:
    if not (args.yes or args.dry_run):
        raise UsageError(
            f"erase deletes thread {args.thread!r} in every table and cannot be undone: "
            "confirm with --yes, or count first with --dry-run "
            "(keep a copy with `locus-store export THREAD -o FILE`)"
        )
    report = await store.erase_thread(args.thread, dry_run=args.dry_run)
    if not report:
        raise ThreadNotFoundError(f"thread {args.thread!r} has no rows to erase")
    if args.json:
        console.dump_json({"thread": args.thread, "dry_run": args.dry_run, **report.as_dict()})
        return Exit.OK
    verb = "would erase" if args.dry_run else "erased"
    nouns = (
        (report.threads, "single-row thread"),
        (report.checkpoints, "versioned checkpoint"),
        (report.writes, "versioned write"),
        (report.langgraph_checkpoints, "LangGraph checkpoint"),
        (report.langgraph_writes, "LangGraph write"),
        (report.langgraph_blobs, "LangGraph channel value"),
    )
    parts = [count(n, noun) for n, noun in nouns if n]
    print(f"{verb} thread {args.thread!r}: {count(report.total, 'row')} ({', '.join(parts)})")
    return Exit.OK


async def cmd_export(args: argparse.Namespace, store: Store) -> int:
    from locus_store.ops.transfer import export_threads

    to_stdout = args.output == "-"
    if to_stdout and args.json:
        raise UsageError("--json prints the report on stdout: give -o FILE with it")
    target: Any = nullcontext(sys.stdout) if to_stdout else _output_file(args.output)
    with target as out, console.Progress("export", None, unit="threads") as bar:
        report = await export_threads(store, out, args.threads or None, progress=bar.update)
    if args.json:
        console.dump_json(report.as_dict())
    else:
        threads = count(report.threads, "thread")
        _note(f"exported {threads} ({_rows(report.rows)}) to {args.output}")
    return Exit.OK


async def cmd_import(args: argparse.Namespace, store: Store) -> int:
    from locus_store.ops.transfer import import_file

    if not Path(args.file).is_file():
        raise UsageError(f"{args.file}: no such file")
    with console.Progress("import", None, unit="threads") as bar:
        report = await import_file(
            store, args.file, on_conflict=args.on_conflict, progress=bar.update
        )
    if args.json:
        console.dump_json(report.as_dict())
    else:
        print(
            f"imported {count(report.threads, 'thread')} ({_rows(report.rows)}) from {args.file}"
            + _conflicts(report.skipped, report.replaced)
        )
    return Exit.OK


async def cmd_import_locus(args: argparse.Namespace, store: Store) -> int:
    from locus_store.ops.from_locus import import_key_value, import_saver

    if not args.kv_table and not args.saver_table:
        raise UsageError(
            "name the Locus tables to read: --kv-table NAME (postgresql_checkpointer / "
            "oracle_checkpointer) and/or --saver-table NAME (OracleCheckpointSaver's table_name)"
        )
    if not args.from_url:
        _refuse_own_tables(store, args.kv_table, [f"{n}_checkpoints" for n in args.saver_table])
    source = open_store(args, url=args.from_url, read_only=True) if args.from_url else store
    reports = []
    try:
        for table in args.kv_table:
            with console.Progress(f"import {table}", None, unit="threads") as bar:
                report = await import_key_value(
                    store,
                    source,
                    table,
                    into=args.into,
                    namespace=args.namespace,
                    on_conflict=args.on_conflict,
                    progress=bar.update,
                )
            reports.append({"table": table, "kind": "key-value", **report.as_dict()})
        for table in args.saver_table:
            with console.Progress(f"import {table}", None, unit="threads") as bar:
                report = await import_saver(
                    store, source, table, on_conflict=args.on_conflict, progress=bar.update
                )
            reports.append({"table": table, "kind": "saver", **report.as_dict()})
    finally:
        if source is not store:
            await source.close()
    if args.json:
        console.dump_json(reports)
    else:
        for r in reports:
            print(
                f"{r['table']}: imported {count(r['threads'], 'thread')} ({r['single_row']} "
                f"single-row, {count(r['checkpoints'], 'version')}, "
                f"{count(r['writes'], 'pending write')})" + _conflicts(r["skipped"], r["replaced"])
            )
            if r["missing_checkpoints"]:
                entries = count(r["missing_checkpoints"], "index entry", "index entries")
                print(f"  {entries} had no checkpoint row left")
            if r["unindexed_checkpoints"]:
                n = r["unindexed_checkpoints"]
                was = "was" if n == 1 else "were"
                print(f"  {count(n, 'checkpoint row')} {was} missing from the index")
            for problem in r["problems"]:
                print(f"  not imported: {problem}", file=sys.stderr)
    return Exit.FAILED if any(r["problems"] for r in reports) else Exit.OK


def _refuse_own_tables(store: Store, *names: Sequence[str]) -> None:
    """Locus's default table names are this store's under the default prefix."""
    own = {table.name for table in store.schema.metadata.sorted_tables}
    for name in (n for group in names for n in group):
        if "." not in name and name.lower() in own:
            raise UsageError(
                f"{name} is a table of this store (prefix {store.table_prefix!r}): give the "
                "store another --prefix, or name the Locus table with its schema (OWNER.NAME)"
            )


# -- helpers --------------------------------------------------------------------------------------
def _revs(revisions: Sequence[str]) -> str:
    return ", ".join(revisions) or "no revision (not migrated)"


def _when(stamp: Any) -> str:
    """A timestamp (ISO text or datetime) in UTC, to the second: ``2026-11-24 05:10:39``."""
    if not stamp:
        return ""
    when = dt.datetime.fromisoformat(stamp) if isinstance(stamp, str) else stamp
    if when.tzinfo is not None:
        when = when.astimezone(dt.UTC)
    return str(when.strftime("%Y-%m-%d %H:%M:%S"))


def _rows(counts: dict[str, int]) -> str:
    shown = ", ".join(count(n, f"{kind} row") for kind, n in sorted(counts.items()))
    return shown or "no rows"


def _conflicts(skipped: Sequence[str], replaced: Sequence[str]) -> str:
    parts = [f"{len(skipped)} existing skipped"] * bool(skipped)
    parts += [f"{len(replaced)} existing replaced"] * bool(replaced)
    return f"; {', '.join(parts)}" if parts else ""


def _message_line(message: Any) -> str:
    if not isinstance(message, dict) and hasattr(message, "content"):
        # A LangGraph channel's message object (LangChain's: role in ``type``).
        message = {"role": getattr(message, "type", "?"), "content": message.content}
    if not isinstance(message, dict):
        return console.cell(message)
    role = str(message.get("role", "?"))
    if message.get("name"):
        role = f"{role} ({message['name']})"
    content = message.get("content") or ""
    calls = message.get("tool_calls") or []
    called = "".join(f" -> {c.get('name', '?')}()" for c in calls if isinstance(c, dict))
    text = str(content) if isinstance(content, str) else console.cell(content)
    return f"{role}: {text}{called}"


def _note(text: str) -> None:
    print(text, file=sys.stderr)


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


@contextmanager
def _output_file(path: str) -> Iterator[IO[str]]:
    """A file written beside ``path`` and renamed onto it only when the block succeeds.

    A failed or interrupted command leaves ``path`` as it was (or absent). The new file
    keeps the mode of the one it replaces; a new one gets the umask's default.
    """
    target = Path(path)
    try:
        fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None
    written = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(written, _mode_for(target))
        os.replace(written, target)
    except BaseException:
        written.unlink(missing_ok=True)
        raise


def _mode_for(target: Path) -> int:
    try:
        return target.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
