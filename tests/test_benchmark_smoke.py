"""``python -m benchmarks --quick`` runs end to end and reports every row (timings unchecked)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from benchmarks.report import CONCURRENCY_COLUMNS

from tests.support.backends import DEFAULT_POSTGRES_URL, POSTGRES_URL_ENV

ROOT = Path(__file__).resolve().parents[1]
RELAXED = "locus_store, normal"
OURS, PEER_ROWS = "locus_store", ("save 4 KB", "load 4 KB", "save 256 KB", "load 256 KB")
FLOORS = {"postgresql": "floor (asyncpg)", "sqlite": "floor (aiosqlite)"}
PEERS = {
    "postgresql": ("PgCheckpointer", "postgresql_checkpointer"),
    "sqlite": ("FileCheckpointer",),
}
OPERATIONS = (
    *PEER_ROWS,
    "versioned put",
    "versioned get latest",
    "versioned get by id",
    "list_checkpoints(limit=10)",
    "list_checkpoints(before=, limit=10)",
    "put_writes (5 writes)",
    "agent checkpointer save",
    "search (200 threads, selective)",
    "search (200 threads, common word)",
    "vacuum (200 rows)",
)
HISTORY_READS = (
    "checkpointer load (latest)",
    "versioned get latest",
    "list_checkpoints(limit=10)",
    "list_checkpoints(before=middle)",
)
#: ``--quick`` walks 10 ancestors: ours, our saver with LangGraph's default walk, the peer.
DELTA = "delta channel history (10 ancestors)"
LANGGRAPH = {
    backend: (
        OURS,
        peer,
        f"{OURS}: {DELTA}",
        f"{OURS} + LangGraph's default walk: {DELTA}",
        f"{peer}: {DELTA}",
    )
    for backend, peer in (("postgresql", "AsyncPostgresSaver"), ("sqlite", "AsyncSqliteSaver"))
}
WORKLOADS = (
    "agent turn (load + save, 4 KB)",
    "agent turn (load + save, 4 KB), floor (asyncpg pool)",
    "load 4 KB",
    "save 4 KB",
    "server wait only (pg_sleep 5 ms)",
)


def expected_rows() -> set[tuple[str, str, str]]:
    rows = set()
    for backend, floor in FLOORS.items():
        for operation in OPERATIONS:
            rows |= {(backend, operation, OURS), (backend, operation, floor)}
            if operation in PEER_ROWS:
                rows |= {(backend, operation, peer) for peer in PEERS[backend]}
        rows.add((backend, "agent checkpointer save", OURS))
        rows.add((backend, "save 4 KB", RELAXED))  # durability="normal", next to the default
    rows.add(("postgresql", "agent checkpointer save", "PgCheckpointer"))
    return rows


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, Any]]:
    out = tmp_path_factory.mktemp("bench") / "quick.json"
    env = {
        **os.environ,
        "LOCUS_BENCH_POSTGRES_URL": os.environ.get(POSTGRES_URL_ENV, DEFAULT_POSTGRES_URL),
    }
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--out", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return done.stdout, json.loads(out.read_text())


def test_the_json_has_every_operation_of_every_implementation(
    quick_run: tuple[str, dict[str, Any]],
) -> None:
    _, report = quick_run
    found = {(r["backend"], r["operation"], r["implementation"]) for r in report["rows"]}
    assert found == expected_rows()
    for row in report["rows"]:
        assert row["median_us"] > 0
        assert row["p95_us"] >= row["median_us"]
        assert row["ops_per_s"] > 0
        if row["implementation"] == OURS:
            assert row["vs_floor"] > 0
        elif row["implementation"] not in FLOORS.values():
            assert row["ours_vs_this"] > 0


def test_the_json_has_history_concurrency_memory_and_targets(
    quick_run: tuple[str, dict[str, Any]],
) -> None:
    _, report = quick_run
    assert {(s["backend"], s["operation"]) for s in report["scaling"]} == {
        (backend, read) for backend in FLOORS for read in HISTORY_READS
    }
    assert [c["workload"] for c in report["concurrency"]] == list(WORKLOADS)
    for run in report["concurrency"]:
        assert run["single_ops_per_s"] > 0
        assert run["concurrent_ops_per_s"] > 0
        assert run["single_cpu_us_per_op"] > 0
        assert run["concurrent_cpu_us_per_op"] > 0
        ceiling = 1e6 / run["concurrent_cpu_us_per_op"]
        assert run["client_ceiling_ops_per_s"] == pytest.approx(ceiling)
    assert {(m["backend"], m["implementation"]) for m in report["memory"]} == {
        (backend, name) for backend, floor in FLOORS.items() for name in (OURS, floor)
    }
    assert len(report["targets"]) == 34
    langgraph = report["langgraph"]
    assert [(g["backend"], g["implementation"]) for g in langgraph] == [
        (backend, name) for backend, names in LANGGRAPH.items() for name in names
    ]
    for row in langgraph:
        assert row["p95_us"] >= row["median_us"] > 0
        assert row["steps_per_s"] > 0
        assert row["tasks"] == 16
        ratios = (row["ours_vs_this_latency"], row["ours_vs_this_throughput"])
        if row["implementation"] in (OURS, f"{OURS}: {DELTA}"):
            assert ratios == (None, None)
        else:
            assert ratios[0] > 0
            assert ratios[1] > 0
    assert langgraph[1]["pool_size"] == 8
    assert langgraph[0]["pool_size"] == 8
    names = [t["name"] for t in report["targets"]]
    assert sum("LangGraph" in name for name in names) == 3
    assert all(isinstance(t["met"], bool) for t in report["targets"])
    assert report["machine"]["servers"].keys() == {"postgresql", "sqlite"}


def sections(table: str) -> dict[str, list[list[str]]]:
    """The printed tables by heading, each row as its cells."""
    found: dict[str, list[list[str]]] = {}
    current: list[list[str]] = []
    for line in table.splitlines():
        if line.startswith("### "):
            current = found.setdefault(line[4:], [])
        elif line.startswith("| ") and not line.startswith("|-"):
            current.append([cell.strip() for cell in line.strip("|").split("|")])
    return found


def test_the_table_shows_every_row(quick_run: tuple[str, dict[str, Any]]) -> None:
    table, report = quick_run
    printed = sections(table)
    for backend in FLOORS:
        (heading,) = [h for h in printed if h.startswith(f"{backend} ")]
        header, *rows = printed[heading]
        assert header[:3] == ["operation", "implementation", "median µs"]
        operation = ""
        shown = set()
        for cells in rows:
            operation = cells[0] or operation
            shown.add((backend, operation, cells[1]))
        assert shown == {r for r in expected_rows() if r[0] == backend}
    history = {(cells[0], cells[1]) for cells in printed["Reads on a long history (median µs)"][1:]}
    assert history == {(backend, read) for backend in FLOORS for read in HISTORY_READS}
    concurrency = printed["Concurrency"]
    assert concurrency[0] == CONCURRENCY_COLUMNS
    assert {"1 task CPU µs/op", "CPU µs/op", "client ceiling ops/s"} <= set(concurrency[0])
    assert [cells[1] for cells in concurrency[1:]] == list(WORKLOADS)
    assert all(all(cells) for cells in concurrency[1:])
    memory = printed["Memory (tracemalloc peak above the starting point)"][1:]
    assert len(memory) == 2 * len(FLOORS)
    langgraph = printed["LangGraph saver (super-step: aput + aput_writes + aget_tuple)"]
    assert langgraph[0][:4] == ["backend", "implementation", "pool", "step median µs"]
    assert [(cells[0], cells[1]) for cells in langgraph[1:]] == [
        (backend, name) for backend, names in LANGGRAPH.items() for name in names
    ]
    assert len(printed["Targets"]) == 1 + len(report["targets"])
    assert f"of {len(report['targets'])} targets met." in table


def test_the_run_leaves_no_tables_behind(quick_run: tuple[str, dict[str, Any]]) -> None:
    _, report = quick_run
    prefix = report["prefixes"]["postgresql"]

    async def leftovers() -> list[str]:
        conn = await asyncpg.connect(os.environ.get(POSTGRES_URL_ENV, DEFAULT_POSTGRES_URL))
        try:
            rows = await conn.fetch(
                "SELECT tablename FROM pg_tables WHERE starts_with(tablename, $1)", prefix
            )
        finally:
            await conn.close()
        return [r["tablename"] for r in rows]

    assert asyncio.run(leftovers()) == []

    async def schemas() -> list[str]:
        conn = await asyncpg.connect(os.environ.get(POSTGRES_URL_ENV, DEFAULT_POSTGRES_URL))
        try:
            rows = await conn.fetch(
                "SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1)", prefix
            )
        finally:
            await conn.close()
        return [r["nspname"] for r in rows]

    assert asyncio.run(schemas()) == []


# -- python -m benchmarks --memory --quick ------------------------------------------------
MEMORY_OPERATIONS = (
    "put",
    "get (300 items)",
    "put with embedding (384 dims)",
    "text search (300 items, selective)",
    "vector top-10 (300 x 384)",
    "search_many, text (5 namespaces x 20)",
    "search_many, vector (5 namespaces x 20)",
    "put_batch (100 new items)",
)
MEMORY_TEXT = ("text search (300 items, selective)", "search_many, text (5 namespaces x 20)")
MEMORY_VECTOR = (
    "put with embedding (384 dims)",
    "vector top-10 (300 x 384)",
    "search_many, vector (5 namespaces x 20)",
)
MEMORY_FLOORS = {
    "postgresql": "floor (asyncpg)",
    "pgvector": "floor (asyncpg)",
    "sqlite": "floor (aiosqlite)",
}
MEMORY_CONTENDERS = {
    "postgresql": (
        OURS,
        "locus_store (LangGraph API)",
        "floor (asyncpg)",
        "PgMemory",
        "AsyncPostgresStore (LangGraph)",
        "InMemoryStore (locus)",
        "InMemoryStore (LangGraph)",
    ),
    "sqlite": (
        OURS,
        "locus_store (LangGraph API)",
        "floor (aiosqlite)",
        "floor (sqlite3)",
        "HolographicStore",
        "InMemoryStore (locus)",
        "InMemoryStore (LangGraph)",
    ),
}
MEMORY_CONTENDERS["pgvector"] = MEMORY_CONTENDERS["postgresql"]
#: Who cannot run what, whatever the backend (the rest depends on pgvector).
NO_TEXT = (
    "locus_store (LangGraph API)",
    "AsyncPostgresStore (LangGraph)",
    "InMemoryStore (LangGraph)",
)
NO_VECTORS = ("InMemoryStore (locus)", "HolographicStore")
#: The floor's vector search again, on pgvector: exact, and HNSW with a larger ef_search.
MEMORY_VECTOR_REFERENCES = (
    "floor (asyncpg), exact scan",
    "floor (asyncpg), ef_search=100",
    "floor (asyncpg), ef_search=200",
)


def memory_backends() -> list[str]:
    from tests.support.pgvector import pgvector_url

    return ["postgresql", "pgvector", "sqlite"] if pgvector_url() else ["postgresql", "sqlite"]


@pytest.fixture(scope="module")
def memory_quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, Any]]:
    out = tmp_path_factory.mktemp("bench") / "memory.json"
    env = {
        **os.environ,
        "LOCUS_BENCH_POSTGRES_URL": os.environ.get(POSTGRES_URL_ENV, DEFAULT_POSTGRES_URL),
    }
    command = [sys.executable, "-m", "benchmarks", "--memory", "--quick", "--out", str(out)]
    done = subprocess.run(
        [*command, "--backends", ",".join(memory_backends())],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return done.stdout, json.loads(out.read_text())


def expected_memory_rows(backend: str) -> dict[tuple[str, str], bool]:
    """(operation, implementation) -> timed (True) or n/a (False), on ``backend``."""
    rows = {}
    for operation in MEMORY_OPERATIONS:
        if backend == "postgresql" and operation in MEMORY_VECTOR:
            continue  # no pgvector: neither ours nor the floor can, so the row is not run
        for name in MEMORY_CONTENDERS[backend]:
            timed = not (
                (operation in MEMORY_TEXT and name in NO_TEXT)
                or (operation in MEMORY_VECTOR and name in NO_VECTORS)
                or (backend == "postgresql" and name == "PgMemory")
            )
            rows[(operation, name)] = timed
        if backend == "pgvector" and operation == "vector top-10 (300 x 384)":
            for reference in MEMORY_VECTOR_REFERENCES:
                rows[(operation, reference)] = True
    return rows


def test_the_memory_json_has_every_operation_of_every_contender(
    memory_quick_run: tuple[str, dict[str, Any]],
) -> None:
    _, report = memory_quick_run
    assert report["notes"].keys() == set(memory_backends())
    for backend in memory_backends():
        found = {
            (r["operation"], r["implementation"]): r["median_us"] is not None
            for r in report["rows"]
            if r["backend"] == backend
        }
        assert found == expected_memory_rows(backend), backend
    for row in report["rows"]:
        if row["median_us"] is None:
            assert row["note"], row  # an n/a row says why
            continue
        assert row["p95_us"] >= row["median_us"] > 0
        assert row["ops_per_s"] > 0
        if row["implementation"] == OURS:
            assert row["vs_floor"] > 0
        elif row["implementation"] != MEMORY_FLOORS[row["backend"]]:
            assert row["ours_vs_this"] > 0


def test_the_memory_json_has_quality_scaling_seeding_and_targets(
    memory_quick_run: tuple[str, dict[str, Any]],
) -> None:
    _, report = memory_quick_run
    pgvector = "pgvector" in memory_backends()
    quality = {q["implementation"] for q in report["quality"]}
    if pgvector:
        assert {OURS, "floor (asyncpg)", "PgMemory", *MEMORY_VECTOR_REFERENCES} <= quality
        for q in report["quality"]:
            assert 0.0 <= q["recall_at_10"] <= 1.0
            assert q["queries"] >= 1
    else:
        assert quality == set()
    scaling = {(s["backend"], s["operation"], s["implementation"]) for s in report["scaling"]}
    for backend in memory_backends():
        for name in (OURS, MEMORY_FLOORS[backend]):
            assert (backend, "text search", name) in scaling
            assert ((backend, "vector top-10", name) in scaling) == (backend != "postgresql")
    for backend in memory_backends():
        assert OURS in report["seeding"][backend]
    names = [t["name"] for t in report["targets"]]
    assert all(isinstance(t["met"], bool) for t in report["targets"])
    assert sum("ours/floor" in n for n in names) == 2 * len(memory_backends())
    assert sum("recall@10" in n for n in names) == int(pgvector)


def test_the_memory_tables_show_every_row(memory_quick_run: tuple[str, dict[str, Any]]) -> None:
    table, report = memory_quick_run
    printed = sections(table)
    for backend in memory_backends():
        (heading,) = [h for h in printed if h.startswith(f"memory, {backend} ")]
        header, *rows = printed[heading]
        assert header[:4] == ["operation", "implementation", "median µs", "p95 µs"]
        operation, shown = "", {}
        for cells in rows:
            operation = cells[0] or operation
            shown[(operation, cells[1])] = cells[2] != "n/a"
        assert shown == expected_memory_rows(backend)
    (targets,) = [h for h in printed if h == "Memory targets"]
    assert len(printed[targets]) == 1 + len(report["targets"])
    assert f"of {len(report['targets'])} memory targets met." in table


def test_the_memory_run_leaves_nothing_behind(memory_quick_run: tuple[str, dict[str, Any]]) -> None:
    _, report = memory_quick_run
    from tests.support.pgvector import pgvector_url

    servers = {"postgresql": os.environ.get(POSTGRES_URL_ENV, DEFAULT_POSTGRES_URL)}
    if "pgvector" in report["prefixes"]:
        servers["pgvector"] = pgvector_url() or ""

    async def leftovers(url: str, prefix: str) -> list[str]:
        conn = await asyncpg.connect(url)
        try:
            rows = await conn.fetch(
                "SELECT tablename AS name FROM pg_tables WHERE starts_with(tablename, $1) "
                "UNION ALL SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1)",
                prefix,
            )
        finally:
            await conn.close()
        return [r["name"] for r in rows]

    for backend, url in servers.items():
        assert asyncio.run(leftovers(url, report["prefixes"][backend])) == [], backend
