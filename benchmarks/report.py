"""The targets of the issue checked against a run, and the run as text tables."""

from __future__ import annotations

import os
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

from benchmarks.results import OURS, Report, Target

#: ours/floor limits per backend: (save-like operations, read-like operations).
FLOOR_LIMITS = {"postgresql": (1.5, 2.0), "sqlite": (2.0, 2.5)}
SAVES = ("save 4 KB", "save 256 KB", "versioned put", "agent checkpointer save")
READS = ("load 4 KB", "load 256 KB", "versioned get latest", "versioned get by id")
#: ours/peer limits on PostgreSQL: (peer, operations, limit, kind of limit).
PEER_LIMITS: tuple[tuple[str, tuple[str, ...], float, str], ...] = (
    ("PgCheckpointer", ("save 4 KB", "save 256 KB", "load 4 KB", "load 256 KB"), 1.0, "below"),
    ("postgresql_checkpointer", ("save 4 KB", "save 256 KB"), 0.5, "max"),
)
HISTORY_TARGETS = (
    "checkpointer load (latest)",
    "versioned get latest",
    "list_checkpoints(limit=10)",
)
HISTORY_LIMIT = 1.3
CONCURRENCY_TARGET_WORKLOAD = "agent turn (load + save, 4 KB)"
CONCURRENCY_LIMIT = 3.0
MEMORY_LIMIT = 6.0
#: LangGraph saver: (backend, peer, measure, limit, kind).
LANGGRAPH_LIMITS = (
    ("postgresql", "AsyncPostgresSaver", "throughput", 1.5, "min"),
    ("postgresql", "AsyncPostgresSaver", "latency", 1.2, "max"),
    ("sqlite", "AsyncSqliteSaver", "latency", 1.2, "max"),
)


#: Columns of the Concurrency table.
CONCURRENCY_COLUMNS = [
    "backend",
    "workload",
    "pool",
    "1 task ops/s",
    "1 task CPU µs/op",
    "tasks",
    "ops/s",
    "CPU µs/op",
    "speed-up",
    "client ceiling ops/s",
]


def targets(report: Report) -> list[Target]:
    found: list[Target] = []
    for backend, (save_limit, read_limit) in FLOOR_LIMITS.items():
        for operations, limit in ((SAVES, save_limit), (READS, read_limit)):
            for operation in operations:
                row = report.find(backend, operation, OURS)
                if row is not None and row.vs_floor is not None:
                    found.append(
                        Target(f"{backend}: {operation}, ours/floor", row.vs_floor, limit, "max")
                    )
    for peer, compared, peer_limit, kind in PEER_LIMITS:
        for operation in compared:
            row = report.find("postgresql", operation, peer)
            if row is not None and row.ours_vs_this is not None:
                found.append(
                    Target(f"{operation}, ours/{peer}", row.ours_vs_this, peer_limit, kind)
                )
    for scaling in report.scaling:
        if scaling.operation in HISTORY_TARGETS:
            found.append(
                Target(
                    f"{scaling.backend}: {scaling.operation}, "
                    f"{scaling.large:,} / {scaling.small:,} checkpoints",
                    scaling.ratio,
                    HISTORY_LIMIT,
                    "max",
                )
            )
    for run in report.concurrency:
        if run.workload == CONCURRENCY_TARGET_WORKLOAD:
            found.append(
                Target(
                    f"{run.backend}: {run.workload}, {run.tasks} tasks / 1 task "
                    f"({run.pool_size} connections)",
                    run.ratio,
                    CONCURRENCY_LIMIT,
                    "min",
                )
            )
    for mem in report.memory:
        if mem.implementation == OURS:
            found.append(
                Target(
                    f"{mem.backend}: save+load peak / payload "
                    f"({mem.payload_bytes / 1024 / 1024:.1f} MB)",
                    mem.ratio,
                    MEMORY_LIMIT,
                    "below",
                )
            )
    for backend, peer, measure, limit, kind in LANGGRAPH_LIMITS:
        for lg in report.langgraph:
            if (lg.backend, lg.implementation) != (backend, peer):
                continue
            if measure == "throughput" and lg.ours_vs_this_throughput is not None:
                found.append(
                    Target(
                        f"{backend}: LangGraph {lg.tasks}-thread throughput, ours/{peer} "
                        f"({lg.pool_size} connections)",
                        lg.ours_vs_this_throughput,
                        limit,
                        kind,
                    )
                )
            elif measure == "latency" and lg.ours_vs_this_latency is not None:
                found.append(
                    Target(
                        f"{backend}: LangGraph super-step latency, ours/{peer}",
                        lg.ours_vs_this_latency,
                        limit,
                        kind,
                    )
                )
    return found


def machine(versions: dict[str, str]) -> dict[str, Any]:
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    packages = {}
    for name in (
        "sqlalchemy",
        "asyncpg",
        "aiosqlite",
        "orjson",
        "locus-sdk",
        "pydantic",
        "langgraph-checkpoint",
        "langgraph-checkpoint-postgres",
        "langgraph-checkpoint-sqlite",
        "psycopg",
        "psycopg-pool",
    ):
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            packages[name] = "not installed"
    return {
        "cpu": model or platform.processor(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average_at_start": os.getloadavg(),
        "servers": versions,
        "packages": packages,
    }


def _number(value: float | None, digits: int = 0) -> str:
    if value is None:
        return ""
    return f"{value:,.{digits}f}"


def _table(headers: list[str], rows: list[list[str]], align: str) -> list[str]:
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)
    ]

    def line(cells: list[str]) -> str:
        out = []
        for cell, width, side in zip(cells, widths, align, strict=True):
            out.append(cell.ljust(width) if side == "<" else cell.rjust(width))
        return "| " + " | ".join(out) + " |"

    rule = (
        "|"
        + "|".join(
            "-" * (w + 1) + (":" if side == ">" else "-")
            for w, side in zip(widths, align, strict=True)
        )
        + "|"
    )
    return [line(headers), rule, *(line(r) for r in rows)]


def targets_table(found: list[Target], heading: str, noun: str) -> list[str]:
    """The targets as a Markdown table under ``heading``, then how many of them were met."""
    limits = {"max": "≤", "below": "<", "min": "≥"}
    rows = [
        [
            t.name,
            _number(t.measured, 2),
            f"{limits[t.kind]} {t.limit:g}",
            "yes" if t.met else "NO",
        ]
        for t in found
    ]
    met = sum(t.met for t in found)
    return [
        f"\n### {heading}\n",
        *_table(["target", "measured", "limit", "met"], rows, "<>><"),
        f"\n{met} of {len(found)} {noun} met.",
    ]


def render(report: Report) -> str:
    """The run as Markdown tables (readable on a terminal too)."""
    out: list[str] = []
    servers = report.machine.get("servers", {})
    for backend in dict.fromkeys(r.backend for r in report.rows):
        out.append(f"\n### {backend} {servers.get(backend, '')} — latency per call\n")
        rows = []
        last = None
        for row in (r for r in report.rows if r.backend == backend):
            rows.append(
                [
                    row.operation if row.operation != last else "",
                    row.implementation,
                    _number(row.median_us),
                    _number(row.p95_us),
                    _number(row.ops_per_s),
                    _number(row.vs_floor, 2),
                    _number(row.ours_vs_this, 2),
                ]
            )
            last = row.operation
        out.extend(
            _table(
                [
                    "operation",
                    "implementation",
                    "median µs",
                    "p95 µs",
                    "ops/s",
                    "ours/floor",
                    "ours/this",
                ],
                rows,
                "<<>>>>>",
            )
        )
    if report.scaling:
        out.append("\n### Reads on a long history (median µs)\n")
        out.extend(
            _table(
                ["backend", "operation", "short", "long", "short µs", "long µs", "long/short"],
                [
                    [
                        s.backend,
                        s.operation,
                        f"{s.small:,}",
                        f"{s.large:,}",
                        _number(s.small_median_us),
                        _number(s.large_median_us),
                        _number(s.ratio, 2),
                    ]
                    for s in report.scaling
                ],
                "<<>>>>>",
            )
        )
    if report.concurrency:
        out.append("\n### Concurrency\n")
        out.extend(
            _table(
                CONCURRENCY_COLUMNS,
                [
                    [
                        c.backend,
                        c.workload,
                        str(c.pool_size),
                        _number(c.single_ops_per_s),
                        _number(c.single_cpu_us_per_op),
                        str(c.tasks),
                        _number(c.concurrent_ops_per_s),
                        _number(c.concurrent_cpu_us_per_op),
                        _number(c.ratio, 2),
                        _number(c.client_ceiling_ops_per_s),
                    ]
                    for c in report.concurrency
                ],
                "<<>>>>>>>>",
            )
        )
        out.append(
            "\nCPU µs/op: the client process's CPU time (time.process_time) per operation, "
            "medians over the same rounds as the throughput. Client ceiling: 1e6 / CPU µs/op "
            "with all tasks, the ops/s at which the client (one Python thread) would use a "
            "whole core, on cores it shares with the server."
        )
    if report.memory:
        out.append("\n### Memory (tracemalloc peak above the starting point)\n")
        out.extend(
            _table(
                [
                    "backend",
                    "implementation",
                    "payload MB",
                    "save peak MB",
                    "load peak MB",
                    "peak/payload",
                ],
                [
                    [
                        m.backend,
                        m.implementation,
                        _number(m.payload_bytes / 2**20, 1),
                        _number(m.save_peak_bytes / 2**20, 1),
                        _number(m.load_peak_bytes / 2**20, 1),
                        _number(m.ratio, 2),
                    ]
                    for m in report.memory
                ],
                "<<>>>>",
            )
        )
    if report.langgraph:
        out.append("\n### LangGraph saver (super-step: aput + aput_writes + aget_tuple)\n")
        out.extend(
            _table(
                [
                    "backend",
                    "implementation",
                    "pool",
                    "step median µs",
                    "step p95 µs",
                    "threads",
                    "steps/s",
                    "ours/this latency",
                    "ours/this steps/s",
                ],
                [
                    [
                        g.backend,
                        g.implementation,
                        "default" if g.pool_size is None else str(g.pool_size),
                        _number(g.median_us),
                        _number(g.p95_us),
                        str(g.tasks),
                        _number(g.steps_per_s),
                        _number(g.ours_vs_this_latency, 2),
                        _number(g.ours_vs_this_throughput, 2),
                    ]
                    for g in report.langgraph
                ],
                "<<>>>>>>>",
            )
        )
    if report.targets:
        out.extend(targets_table(report.targets, "Targets", "targets"))
    return "\n".join(out)
