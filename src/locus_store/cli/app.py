"""``locus-store``: migrate, inspect, clean up, copy, erase, export and import checkpoint stores.

The database comes from ``--url``, else the ``ORACLE_*`` variables, else
``LOCUS_STORE_URL``, else the embedded SQLite file (as ``Store.from_env``); the table
prefix from ``--prefix``, else ``LOCUS_STORE_TABLE_PREFIX``, else ``locus``.

Exit codes (see `Exit`): 0 done, 1 failed, 2 bad arguments or input, 3 schema
missing or out of date, 4 thread or checkpoint not found, 5 destination already
exists, 6 database unreachable, 130 interrupted. This module holds the parser, the
table of exit codes by error type (`EXIT_CODES`) and `main`; the commands are in
`locus_store.cli.commands`.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from locus_store._version import __version__
from locus_store.cli.commands import (
    Exit,
    cmd_copy,
    cmd_current,
    cmd_erase,
    cmd_export,
    cmd_history,
    cmd_import,
    cmd_import_locus,
    cmd_search,
    cmd_show,
    cmd_threads,
    cmd_upgrade,
    cmd_vacuum,
    first_line,
    open_store,
    print_upgrade_sql,
)
from locus_store.errors import (
    CheckpointExistsError,
    ConfigurationError,
    ConnectionLostError,
    InvalidInputError,
    InvalidTypeError,
    LocusStoreError,
    SchemaNotCurrentError,
    StoreUnavailableError,
    ThreadNotFoundError,
)
from locus_store.ops.from_locus.key_value import TARGETS
from locus_store.ops.status import require_current_schema
from locus_store.ops.threads import ON_CONFLICT
from locus_store.settings import DEFAULT_SQLITE_PATH, PREFIX_ENV, SCHEMA_ENV, URL_ENV
from locus_store.store import Store
from locus_store.versioned.saver import DEFAULT_NAMESPACE

__all__ = ["EXIT_CODES", "Exit", "build_parser", "main"]

Command = Callable[[argparse.Namespace, Store], Awaitable[int]]

#: The exit code of an error: that of the nearest class in its MRO listed here (a
#: `UsageError` or an `ExportFormatError` is an `InvalidInputError`). Errors that are
#: no `LocusStoreError` exit with `Exit.FAILED` and their type's name.
EXIT_CODES: dict[type[Exception], Exit] = {
    SchemaNotCurrentError: Exit.SCHEMA,
    ThreadNotFoundError: Exit.NOT_FOUND,
    CheckpointExistsError: Exit.CONFLICT,
    StoreUnavailableError: Exit.UNAVAILABLE,
    ConnectionLostError: Exit.UNAVAILABLE,
    InvalidInputError: Exit.USAGE,
    InvalidTypeError: Exit.USAGE,
    ConfigurationError: Exit.USAGE,
    LocusStoreError: Exit.FAILED,
}
#: What the message of an exit code adds: where to look.
_HINTS = {Exit.UNAVAILABLE: f" (check --url, {URL_ENV} or ORACLE_*)"}


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
    common.add_argument(
        "--schema",
        default=argparse.SUPPRESS,
        help="PostgreSQL schema or Oracle owner of the tables, when not the connecting "
        f"role's own (default: {SCHEMA_ENV})",
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

    p = command(
        "vacuum",
        cmd_vacuum,
        "delete threads and checkpoints older than N days, and expired ones (every table)",
        as_json,
    )
    p.add_argument("--older-than-days", type=float, required=True, metavar="N")
    p.add_argument(
        "--keep-last",
        type=int,
        default=0,
        help="versions to keep per lineage; LangGraph checkpoints to keep per namespace, "
        "whatever their age (default: 0, LangGraph threads pruned only when idle)",
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
        choices=ON_CONFLICT,
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
        choices=TARGETS,
        default="both",
        help="key/value conversations become single-row threads, lineages, or both",
    )
    p.add_argument("--namespace", default=DEFAULT_NAMESPACE, help="namespace of imported lineages")
    return parser


# -- running ------------------------------------------------------------------------------------
_NEEDS_NO_SCHEMA = {"upgrade", "current"}


async def _run(args: argparse.Namespace) -> int:
    if args.command == "upgrade" and args.sql:
        return print_upgrade_sql(args)
    store = open_store(args)
    try:
        if args.command not in _NEEDS_NO_SCHEMA:
            await require_current_schema(store)
        code: int = await args.handler(args, store)
        return code
    finally:
        await store.close()


def exit_code(exc: BaseException) -> tuple[Exit, str]:
    """The exit code of ``exc`` (`EXIT_CODES`) and the message printed with it."""
    for cls in type(exc).__mro__:
        code = EXIT_CODES.get(cls)
        if code is not None:
            return code, f"{exc}{_HINTS.get(code, '')}"
    return Exit.FAILED, f"{type(exc).__name__}: {first_line(exc) if str(exc).strip() else ''}"


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``locus-store`` with ``argv`` (default: the process's); return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    args.url = getattr(args, "url", None)
    args.prefix = getattr(args, "prefix", None)
    args.schema = getattr(args, "schema", None)
    try:
        return asyncio.run(_run(args))
    except KeyboardInterrupt:
        print("locus-store: interrupted", file=sys.stderr)
        return Exit.INTERRUPTED
    except Exception as exc:
        if args.debug:
            raise
        code, message = exit_code(exc)
        print(f"locus-store {args.command}: {message}", file=sys.stderr)
        return code


if __name__ == "__main__":
    sys.exit(main())
