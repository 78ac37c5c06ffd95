"""``locus-store``: migrate, inspect, clean up, copy, erase, export and import checkpoint stores.

The database comes from ``--url``, else the ``ORACLE_*`` variables, else
``LOCUS_STORE_URL``, else the embedded SQLite file (as ``Store.from_env``); the table
prefix from ``--prefix``, else ``LOCUS_STORE_TABLE_PREFIX``, else ``locus``.

Exit codes (see `Exit`): 0 done, 1 failed, 2 bad arguments or input, 3 schema
missing or out of date, 4 thread or checkpoint not found, 5 destination already
exists, 6 database unreachable, 130 interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import enum
import os
import sys
import tempfile
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import IO, Any

from sqlalchemy.engine import URL
from sqlalchemy.exc import ArgumentError

from locus_store._version import __version__
from locus_store.cli import console
from locus_store.cli.console import count
from locus_store.errors import (
    CheckpointExistsError,
    ConfigurationError,
    ConnectionLostError,
    InvalidInputError,
    InvalidTypeError,
    LocusStoreError,
    StoreUnavailableError,
)
from locus_store.ops.admin import (
    SchemaNotCurrentError,
    ThreadNotFoundError,
    copy_thread,
    find_checkpoint,
    list_threads,
    require_current_schema,
    schema_status,
    thread_history,
    vacuum,
)
from locus_store.settings import (
    DEFAULT_SQLITE_PATH,
    ORACLE_ENV,
    ORACLE_REQUIRED_ENV,
    PREFIX_ENV,
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


class CliError(Exception):
    """An error with its exit code and a message that says what to do."""

    def __init__(self, message: str, code: Exit) -> None:
        super().__init__(message)
        self.code = code


Command = Callable[[argparse.Namespace, Store], Awaitable[int]]


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
        raise CliError(
            f"{given_by} is not a database URL: {_first_line(exc)}", Exit.USAGE
        ) from None
    except ConfigurationError as exc:
        raise CliError(f"{given_by}: {exc}", Exit.USAGE) from None


def connection_settings(url: str | None, *, creating: bool = False) -> ConnectionSettings:
    """``--url``, else the environment; the default SQLite file only if it exists or
    the command creates it (``upgrade``)."""
    if url:
        return ConnectionSettings(parse_url(url))
    if not _configured(os.environ) and not creating and not Path(DEFAULT_SQLITE_PATH).exists():
        raise CliError(
            f"no database configured: pass --url, or set {URL_ENV}, or "
            f"{'/'.join(ORACLE_REQUIRED_ENV)} (the default {DEFAULT_SQLITE_PATH} does not "
            "exist here; `locus-store upgrade` creates it)",
            Exit.USAGE,
        )
    try:
        return settings_from_env()
    except ArgumentError as exc:
        raise CliError(f"{URL_ENV} is not a database URL: {_first_line(exc)}", Exit.USAGE) from None


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
    prefix = args.prefix or os.environ.get(PREFIX_ENV) or "locus"
    path = _sqlite_file(settings.url)
    if path is not None and not creating and not path.exists():
        raise CliError(
            f"{path}: no such SQLite database (`locus-store upgrade` creates it; "
            "or give the right --url)",
            Exit.USAGE,
        )
    try:
        if path is not None and (_reads_only(args) if read_only is None else read_only):
            return Store.from_settings(settings, table_prefix=prefix, read_only=True)
        return Store.from_settings(settings, table_prefix=prefix)
    except ArgumentError as exc:
        raise CliError(
            f"the database URL cannot be used: {_first_line(exc)} (check --url or {URL_ENV})",
            Exit.USAGE,
        ) from None
    except ImportError as exc:
        backend = settings.url.get_backend_name()
        extra = {"postgresql": "[postgresql]"}.get(backend, "")
        raise CliError(
            f"the {backend} driver is not installed ({exc.name}): pip install 'locus-store{extra}'",
            Exit.USAGE,
        ) from None


# -- commands ------------------------------------------------------------------------------------
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
        print(f"{verb} {report.summary()} older than {days}")
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
        raise CliError(
            f"erase deletes thread {args.thread!r} in every table and cannot be undone: "
            "confirm with --yes, or count first with --dry-run "
            "(keep a copy with `locus-store export THREAD -o FILE`)",
            Exit.USAGE,
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
        raise CliError("--json prints the report on stdout: give -o FILE with it", Exit.USAGE)
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
        raise CliError(f"{args.file}: no such file", Exit.USAGE)
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
        raise CliError(
            "name the Locus tables to read: --kv-table NAME (postgresql_checkpointer / "
            "oracle_checkpointer) and/or --saver-table NAME (OracleCheckpointSaver's table_name)",
            Exit.USAGE,
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
            raise CliError(
                f"{name} is a table of this store (prefix {store.table_prefix!r}): give the "
                "store another --prefix, or name the Locus table with its schema (OWNER.NAME)",
                Exit.USAGE,
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


def _first_line(exc: BaseException) -> str:
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
        raise CliError(f"cannot write {path}: {exc.strerror}", Exit.USAGE) from None
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


# -- the parser ----------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--url",
        default=argparse.SUPPRESS,
        help=f"database URL (default: ORACLE_* variables, then {URL_ENV}, then ./"
        f"{DEFAULT_SQLITE_PATH})",
    )
    common.add_argument(
        "--prefix",
        default=argparse.SUPPRESS,
        help=f"table prefix (default: {PREFIX_ENV}, then 'locus')",
    )
    as_json = argparse.ArgumentParser(add_help=False)
    as_json.add_argument("--json", action="store_true", help="print JSON for scripts")

    parser = argparse.ArgumentParser(
        prog="locus-store",
        parents=[common],
        description="Migrate, inspect, clean up, copy, export and import locus_store checkpoints.",
        epilog="exit codes: 0 done, 1 failed, 2 bad arguments or input, 3 schema missing or "
        "out of date, 4 not found, 5 destination exists, 6 database unreachable, 130 interrupted",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, handler: Command, help_: str, *parents: Any) -> Any:
        p = sub.add_parser(name, parents=[common, *parents], help=help_, description=help_)
        p.set_defaults(handler=handler)
        return p

    p = command("upgrade", cmd_upgrade, "create or migrate the tables (Alembic, to head)")
    p.add_argument("--sql", action="store_true", help="print the SQL script instead of running it")
    p.add_argument("--revision", default="head", help="target revision (default: head)")
    p.add_argument("--from-revision", help="with --sql: the revision the database is at")

    command("current", cmd_current, "show the schema revision (exit 3 when not at head)", as_json)

    p = command("threads", cmd_threads, "list threads, most recently written first", as_json)
    p.add_argument("--pattern", default="*", help="glob on thread ids: * and ? (default: *)")
    p.add_argument("--limit", type=int, default=100, help="at most this many (default: 100)")

    p = command("history", cmd_history, "list a thread's checkpoints in every table", as_json)
    p.add_argument("thread")
    p.add_argument("--limit", type=int, default=100, help="per kind (default: 100)")

    p = command("show", cmd_show, "print a thread's state (latest, or one checkpoint)", as_json)
    p.add_argument("thread")
    p.add_argument("checkpoint", nargs="?")
    p.add_argument(
        "--ns",
        help="namespace of versions and LangGraph checkpoints (default: the usual one, "
        "'default' or the graph's, then any)",
    )

    p = command("search", cmd_search, "full-text search over conversations", as_json)
    p.add_argument("query")
    p.add_argument("--limit", type=int, default=10, help="at most this many (default: 10)")

    p = command("vacuum", cmd_vacuum, "delete threads and versions older than N days", as_json)
    p.add_argument("--older-than-days", type=float, required=True, metavar="N")
    p.add_argument(
        "--keep-last", type=int, default=0, help="versions to keep per lineage (default: 0)"
    )
    p.add_argument("--dry-run", action="store_true", help="count, delete nothing")

    p = command("copy", cmd_copy, "copy a thread (every table) to a new thread id", as_json)
    p.add_argument("source")
    p.add_argument("dest")

    p = command("erase", cmd_erase, "delete a thread in every table, in one transaction", as_json)
    p.add_argument("thread", metavar="THREAD")
    p.add_argument("--yes", action="store_true", help="confirm: the erasure cannot be undone")
    p.add_argument("--dry-run", action="store_true", help="count, delete nothing")

    p = command("export", cmd_export, "write threads to a JSON Lines file", as_json)
    p.add_argument("threads", nargs="*", metavar="THREAD", help="default: every thread")
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="file, or - for stdout")

    on_conflict = argparse.ArgumentParser(add_help=False)
    on_conflict.add_argument(
        "--on-conflict",
        choices=("fail", "skip", "replace"),
        default="fail",
        help="when a thread already exists (default: fail before writing anything)",
    )
    p = command("import", cmd_import, "read threads from an export file", as_json, on_conflict)
    p.add_argument("file")

    p = command(
        "import-locus",
        cmd_import_locus,
        "import conversations from locus-sdk's own checkpoint tables",
        as_json,
        on_conflict,
    )
    p.add_argument("--from-url", help="the database holding them (default: the store's)")
    p.add_argument(
        "--kv-table",
        action="append",
        default=[],
        metavar="NAME",
        help="postgresql_checkpointer / oracle_checkpointer table ([SCHEMA.]NAME; repeatable)",
    )
    p.add_argument(
        "--saver-table",
        action="append",
        default=[],
        metavar="NAME",
        help="OracleCheckpointSaver table_name: reads NAME_checkpoints, NAME_writes",
    )
    p.add_argument(
        "--into",
        choices=("both", "latest", "versioned"),
        default="both",
        help="key/value conversations become single-row threads, lineages, or both",
    )
    p.add_argument("--namespace", default="default", help="namespace of imported lineages")
    return parser


# -- running ------------------------------------------------------------------------------------
_NEEDS_NO_SCHEMA = {"upgrade", "current"}


async def _run(args: argparse.Namespace) -> int:
    if args.command == "upgrade" and args.sql:
        from locus_store.migrate import ORACLE_OFFLINE_URL, offline_sql

        # The script's dialect: --url, else the environment's, else Oracle's.
        oracle = all(os.environ.get(n) for n in ORACLE_REQUIRED_ENV)
        url = args.url or (None if oracle else os.environ.get(URL_ENV)) or ORACLE_OFFLINE_URL
        given_by = "--url" if args.url else URL_ENV
        prefix = args.prefix or os.environ.get(PREFIX_ENV) or "locus"
        sys.stdout.write(
            offline_sql(
                parse_url(url, given_by).render_as_string(hide_password=False),
                prefix,
                args.revision,
                args.from_revision,
            )
        )
        return Exit.OK
    store = open_store(args)
    try:
        if args.command not in _NEEDS_NO_SCHEMA:
            await require_current_schema(store)
        code: int = await args.handler(args, store)
        return code
    finally:
        await store.close()


def _exit_code(exc: BaseException) -> tuple[Exit, str]:
    if isinstance(exc, CliError):
        return exc.code, str(exc)
    if isinstance(exc, SchemaNotCurrentError):
        return Exit.SCHEMA, str(exc)
    if isinstance(exc, ThreadNotFoundError):
        return Exit.NOT_FOUND, str(exc)
    if isinstance(exc, CheckpointExistsError):
        return Exit.CONFLICT, str(exc)
    if isinstance(exc, StoreUnavailableError | ConnectionLostError):
        return Exit.UNAVAILABLE, f"{exc} (check --url, {URL_ENV} or ORACLE_*)"
    if isinstance(exc, InvalidInputError | InvalidTypeError | ConfigurationError):
        return Exit.USAGE, str(exc)
    if isinstance(exc, LocusStoreError):
        return Exit.FAILED, str(exc)
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return Exit.FAILED, f"{type(exc).__name__}: {first_line}"


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``locus-store`` with ``argv`` (default: the process's); return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    args.url = getattr(args, "url", None)
    args.prefix = getattr(args, "prefix", None)
    try:
        return asyncio.run(_run(args))
    except KeyboardInterrupt:
        print("locus-store: interrupted", file=sys.stderr)
        return Exit.INTERRUPTED
    except Exception as exc:
        if args.debug:
            raise
        code, message = _exit_code(exc)
        print(f"locus-store {args.command}: {message}", file=sys.stderr)
        return code


if __name__ == "__main__":
    sys.exit(main())
