"""``python -m benchmarks``: ours, the raw-driver floor and the peers, side by side.

The peers: locus-sdk's checkpointers, and langgraph's own savers for the
LangGraph saver (``benchmarks.langgraph_bench``).

Prints the tables (Markdown) and writes the run as JSON. ``--quick`` runs every
row with tiny counts, as a smoke test: its timings mean nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks import langgraph_bench, scaling
from benchmarks import report as reporting
from benchmarks.backends import (
    DEFAULT_POSTGRES_URL,
    Bench,
    new_prefix,
    postgres_bench,
    sqlite_bench,
)
from benchmarks.operations import FULL, QUICK, Sizes, run_operations
from benchmarks.results import Report

RESULTS = Path(__file__).parent / "results"
BACKENDS = ("postgresql", "sqlite")


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny counts: a smoke test")
    parser.add_argument(
        "--out", type=Path, help="JSON output path (default: benchmarks/results/<time>.json)"
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("LOCUS_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL),
        help="PostgreSQL server (default: %(default)s)",
    )
    parser.add_argument("--sqlite-path", type=Path, help="SQLite file (default: a temp file)")
    parser.add_argument(
        "--backends",
        help="comma-separated: postgresql,sqlite (default: both; with --memory also pgvector)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="instead of the benchmark: where the time of one save and one load goes, step by step",
    )
    parser.add_argument(
        "--memory",
        action="store_true",
        help="instead of the checkpoint benchmark: the long-term memory store "
        "(100,000 items of 384 dims; with --quick a few hundred)",
    )
    parser.add_argument(
        "--pgvector-url",
        default=os.environ.get("LOCUS_BENCH_PGVECTOR_URL")
        or os.environ.get("LOCUS_TEST_PGVECTOR_URL"),
        help="--memory: a PostgreSQL with pgvector (default: $LOCUS_TEST_PGVECTOR_URL)",
    )
    parser.add_argument(
        "--memory-items", type=int, help="--memory: items of the big namespace (default 100,000)"
    )
    return parser.parse_args(argv)


def _bench(backend: str, args: argparse.Namespace, prefix: str) -> Bench:
    if backend == "postgresql":
        return postgres_bench(args.postgres_url, prefix)
    if backend == "sqlite":
        return sqlite_bench(args.sqlite_path, prefix)
    raise SystemExit(f"unknown backend {backend!r}; choose from {', '.join(BACKENDS)}")


def _backends(args: argparse.Namespace) -> list[str]:
    return [b.strip() for b in (args.backends or ",".join(BACKENDS)).split(",") if b.strip()]


async def profile(args: argparse.Namespace) -> str:
    from benchmarks.profile import profile_load, profile_save

    parts = []
    for backend in _backends(args):
        bench = _bench(backend, args, new_prefix())
        await bench.setup()
        try:
            parts.append(await profile_save(bench))
            parts.append(await profile_load(bench))
        finally:
            await bench.teardown()
    return "\n\n".join(parts)


async def _run_backend(
    bench: Bench,
    sizes: Sizes,
    report: Report,
    log: Callable[[str], None],
    postgres_url: str,
    langgraph_sizes: langgraph_bench.LangGraphSizes,
) -> None:
    await bench.setup()
    try:
        report.machine["servers"][bench.name] = bench.version
        report.rows.extend(await run_operations(bench, sizes, log))
        report.scaling.extend(await scaling.history(bench, sizes, log))
        if bench.name == "postgresql":
            report.concurrency.extend(
                await scaling.concurrency(postgres_url, bench.prefix, sizes, log)
            )
        report.memory.extend(await scaling.memory(bench, sizes, log))
        report.langgraph.extend(
            await langgraph_bench.run(bench, postgres_url, langgraph_sizes, log)
        )
    finally:
        await bench.teardown()


async def run(args: argparse.Namespace, log: Callable[[str], None]) -> Report:
    sizes = QUICK if args.quick else FULL
    langgraph_sizes = langgraph_bench.QUICK if args.quick else langgraph_bench.FULL
    report = Report(mode="quick" if args.quick else "full")
    report.machine = reporting.machine({})
    started = time.perf_counter()
    for backend in _backends(args):
        prefix = new_prefix()
        log(f"{backend}: table prefix {prefix}")
        report.prefixes[backend] = prefix
        bench = _bench(backend, args, prefix)
        await _run_backend(bench, sizes, report, log, args.postgres_url, langgraph_sizes)
    report.seconds = time.perf_counter() - started
    report.machine["load_average_at_end"] = os.getloadavg()
    report.targets = reporting.targets(report)
    return report


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    if args.profile:
        print(asyncio.run(profile(args)))
        return 0
    if args.memory:
        from benchmarks.memory_bench import main_memory

        return main_memory(args, log)
    report = asyncio.run(run(args, log))
    print(reporting.render(report))
    out = args.out
    if out is None:
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        out = RESULTS / f"{report.mode}-{stamp}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report.to_json(), indent=2) + "\n")
    print(f"\nJSON: {out}  ({report.seconds:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
