"""``python -m benchmarks --memory``: the long-term memory store against its peers and the floor.

Per backend (``postgresql``: the system server, no pgvector; ``pgvector``: the server
of ``LOCUS_TEST_PGVECTOR_URL`` / ``--pgvector-url``; ``sqlite``: a temp file), every
contender of :mod:`benchmarks.memory_peers` is seeded with the same corpus
(:mod:`benchmarks.memory_data`: 100,000 items of 384 dims in one namespace, 1,000 in
another, 200 in each of five more) and timed on each operation it supports, the
contenders of one operation in alternating rounds (each stops early in a round once
its share of a time budget is spent, so a store that needs seconds per call is
sampled a few times rather than timing the run out). Then:

- **vector quality** (pgvector): recall@10 of every vector contender against the exact
  top-10 (the floor's exact scan), over ``queries`` query vectors;
- **scaling**: our text and vector reads (and the floor's) on the 1,000-item namespace
  against the 100,000-item one;
- **targets**: ours/floor for put and get, ours/peer against every peer that persists,
  HNSW against the exact scan (speed and recall), 100k against 1k.

``--quick`` shrinks everything (300 items): a smoke test, timings mean nothing.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import itertools
import json
import os
import shutil
import statistics
import tempfile
import time
import traceback
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from importlib import util
from pathlib import Path
from typing import Any

import asyncpg

from benchmarks import memory_data
from benchmarks import report as reporting
from benchmarks.memory_data import BATCHES, BIG, MANY, PUTS, SMALL, Corpus
from benchmarks.memory_floor import PostgresMemoryFloor, SQLiteMemoryFloor
from benchmarks.memory_peers import (
    BATCH,
    GET,
    MANY_TEXT,
    MANY_VECTOR,
    PUT,
    PUT_VECTOR,
    TEXT,
    VECTOR,
    Contender,
    Holographic,
    LangGraphInMemory,
    LangGraphPostgres,
    LocusInMemory,
    OursLangGraph,
    OursMemory,
    PgMemoryContender,
    PostgresFloorContender,
    SQLiteFloorContender,
)
from benchmarks.results import Target
from benchmarks.timing import Stats

OURS = "locus_store"
OURS_LANGGRAPH = "locus_store (LangGraph API)"
FLOORS = {
    "postgresql": "floor (asyncpg)",
    "pgvector": "floor (asyncpg)",
    "sqlite": "floor (aiosqlite)",
}
EXACT = "floor (asyncpg), exact scan"
#: Peers that keep what they are given (the put/get targets); the in-memory stores are
#: shown for reference only: nothing that writes to a database beats a dict.
DURABLE_PEERS = ("PgMemory", "HolographicStore", "AsyncPostgresStore (LangGraph)")
IN_MEMORY_PEERS = ("InMemoryStore (locus)", "InMemoryStore (LangGraph)")
BACKENDS = ("postgresql", "pgvector", "sqlite")
PGVECTOR_URL_ENV = "LOCUS_TEST_PGVECTOR_URL"
RESULTS = Path(__file__).parent / "results"
#: Limits of the issue.
FLOOR_LIMIT = 1.5
HNSW_SPEEDUP = 10.0
RECALL = 0.95
SCALING_LIMIT = 1.5
BATCH_SIZE = 100
#: The floor's HNSW search again with these ``hnsw.ef_search`` (the server's is 40): what
#: recall costs.
EF_SEARCH = (100, 200)
#: Puts move to a new key every this many calls (one insert, then updates).
PUTS_PER_KEY = 10


@dataclass(frozen=True)
class MemorySizes:
    big: int
    small: int
    per_namespace: int
    queries: int
    iterations: int
    search_iterations: int
    vector_iterations: int
    batch_iterations: int
    rounds: int
    #: Seconds each contender may spend on one operation (all rounds together).
    budget: float


FULL = MemorySizes(
    big=100_000,
    small=1_000,
    per_namespace=200,
    queries=50,
    iterations=300,
    search_iterations=100,
    vector_iterations=50,
    batch_iterations=30,
    rounds=5,
    budget=20.0,
)
QUICK = MemorySizes(
    big=300,
    small=30,
    per_namespace=20,
    queries=4,
    iterations=4,
    search_iterations=3,
    vector_iterations=3,
    batch_iterations=2,
    rounds=2,
    budget=1.0,
)


@dataclass
class MemoryRow:
    backend: str
    operation: str
    implementation: str
    median_us: float | None
    p95_us: float | None
    ops_per_s: float | None
    samples: int
    #: On our row: our median / the floor's.
    vs_floor: float | None = None
    #: On other rows: our median / this one's (below 1.0: we are faster).
    ours_vs_this: float | None = None
    #: Why it is n/a, or what differs about its answer.
    note: str = ""


@dataclass
class Quality:
    backend: str
    implementation: str
    items: int
    dims: int
    queries: int
    median_us: float | None
    recall_at_10: float
    #: The exact scan's median / this one's.
    speedup_vs_exact: float | None


@dataclass
class MemoryScaling:
    backend: str
    operation: str
    implementation: str
    small: int
    large: int
    small_median_us: float
    large_median_us: float
    #: Hits of the first query on each side: an index that answers fast with fewer hits
    #: than asked for (a filtered HNSW scan) is not keeping up.
    small_hits: int = 0
    large_hits: int = 0

    @property
    def ratio(self) -> float:
        return self.large_median_us / self.small_median_us


@dataclass
class MemoryReport:
    mode: str
    machine: dict[str, Any] = field(default_factory=dict)
    prefixes: dict[str, str] = field(default_factory=dict)
    rows: list[MemoryRow] = field(default_factory=list)
    quality: list[Quality] = field(default_factory=list)
    scaling: list[MemoryScaling] = field(default_factory=list)
    #: backend -> contender -> seconds to seed the corpus (set-up).
    seeding: dict[str, dict[str, float]] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    settings: dict[str, dict[str, str]] = field(default_factory=dict)
    #: backend -> what to know about its rows (contracts left out, operations not run).
    notes: dict[str, list[str]] = field(default_factory=dict)
    #: backend -> contender -> how it was seeded.
    seeding_method: dict[str, dict[str, str]] = field(default_factory=dict)
    targets: list[Target] = field(default_factory=list)
    seconds: float = 0.0

    def find(self, backend: str, operation: str, implementation: str) -> MemoryRow | None:
        for row in self.rows:
            if (row.backend, row.operation, row.implementation) == (
                backend,
                operation,
                implementation,
            ):
                return row
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "seconds": round(self.seconds, 1),
            "machine": self.machine,
            "prefixes": self.prefixes,
            "rows": [asdict(r) for r in self.rows],
            "quality": [asdict(q) for q in self.quality],
            "scaling": [{**asdict(s), "ratio": s.ratio} for s in self.scaling],
            "seeding": self.seeding,
            "seeding_method": self.seeding_method,
            "skipped": self.skipped,
            "settings": self.settings,
            "notes": self.notes,
            "targets": [{**asdict(t), "met": t.met} for t in self.targets],
        }


def ours_available() -> bool:
    """Whether the memory store is built yet (``locus_store.memory`` and ``Store.memory``)."""
    from locus_store import Store

    return util.find_spec("locus_store.memory") is not None and hasattr(Store, "memory")


# -- timing -------------------------------------------------------------------------------
Call = Callable[[], Awaitable[Any]]


async def measure(
    calls: dict[str, Call], *, iterations: int, rounds: int, budget: float, warmup: int = 2
) -> dict[str, Stats]:
    """Each call ``iterations`` times, interleaved over ``rounds`` (order reversed every
    other round), a contender leaving a round early once it spent ``budget / rounds``."""
    results = {name: Stats() for name in calls}
    #: Contenders whose calls are so slow that the budget is what limits them.
    spent: dict[str, float] = dict.fromkeys(calls, 0.0)
    for name, call in calls.items():
        for _ in range(warmup):
            started = time.perf_counter()
            await call()
            spent[name] += time.perf_counter() - started
            if spent[name] > budget / rounds:
                break  # one warm-up is enough for a call this long
    rounds = max(1, min(rounds, iterations))
    per_round = [
        iterations // rounds + (1 if r < iterations % rounds else 0) for r in range(rounds)
    ]
    for round_, count in enumerate(per_round):
        order = list(calls.items())
        if round_ % 2:
            order.reverse()
        for name, call in order:
            samples = results[name].samples
            if samples and spent[name] > budget:
                continue
            in_round = 0.0
            for _ in range(count):
                started = time.perf_counter()
                await call()
                took = time.perf_counter() - started
                samples.append(took)
                in_round += took
                spent[name] += took
                if in_round > budget / rounds:
                    break
    return results


# -- one backend --------------------------------------------------------------------------
@dataclass
class Backend:
    name: str
    corpus: Corpus
    sizes: MemorySizes
    contenders: list[Contender]
    cleanup: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    version: str = ""
    settings: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    #: PostgreSQL: where whatever is left under ``prefix`` is dropped at the end.
    dsn: str | None = None
    prefix: str = ""

    def get(self, name: str) -> Contender | None:
        return next((c for c in self.contenders if c.name == name), None)


def _slug(name: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in name.lower()).strip("-")


async def _ours(url: str, prefix: str, corpus: Corpus, backend: Backend) -> list[Contender]:
    """Our two contracts on a freshly migrated prefix.

    While the memory store is being built, a contract that cannot be constructed yet is
    left out (said in the report's settings and logged) and the peers still run.
    """
    if not ours_available():
        backend.notes.append("ours: not built yet (no locus_store.memory / Store.memory)")
        return []
    from locus_store import Store

    store: Any = Store.from_url(url, table_prefix=prefix)

    async def drop() -> None:
        try:
            await store.downgrade("base")
            if url.startswith("postgresql"):
                conn = await asyncpg.connect(_libpq(url))
                try:
                    await conn.execute("DROP TABLE IF EXISTS " + store.schema.version_table)
                finally:
                    await conn.close()
        finally:
            await store.close()

    backend.cleanup.append(drop)
    await store.upgrade(memory_dims=corpus.dims, memory_distance="cosine")
    ours: list[Contender] = []
    vectors = False
    try:
        capabilities = await store.memory().acapabilities()
        vectors = bool(capabilities.semantic_search)
        dsn = _libpq(url) if url.startswith("postgresql") else None
        ours.append(OursMemory(store, corpus, vectors=vectors, name=OURS, dsn=dsn))
    except Exception as exc:  # the store under construction: say so, keep the peers
        backend.notes.append(f"ours: store.memory() failed: {exc!r}")
    try:
        ours.append(OursLangGraph(store, corpus, vectors=vectors, name=OURS_LANGGRAPH))
    except Exception as exc:
        backend.notes.append(f"ours, LangGraph API: store.langgraph_store() failed: {exc!r}")
    return ours


def _libpq(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://").replace(
        "postgresql+psycopg://", "postgresql://"
    )


async def _server(dsn: str) -> tuple[str, dict[str, str]]:
    conn = await asyncpg.connect(dsn)
    try:
        version = str(await conn.fetchval("SHOW server_version"))
        settings = {}
        for name in ("fsync", "synchronous_commit", "shared_buffers"):
            settings[name] = str(await conn.fetchval(f"SHOW {name}"))
        extension = await conn.fetchval(
            "SELECT extversion FROM pg_extension WHERE extname = 'vector'"
        )
        if extension is not None:
            settings["pgvector"] = str(extension)
            await conn.execute("SELECT '[1]'::vector")  # loads the library: its settings appear
            for name in ("hnsw.ef_search", "hnsw.iterative_scan"):
                settings[name] = str(await conn.fetchval(f"SHOW {name}"))
        return version, settings
    finally:
        await conn.close()


async def postgres_backend(
    name: str, dsn: str, prefix: str, corpus: Corpus, sizes: MemorySizes
) -> Backend:
    dsn = _libpq(dsn)
    backend = Backend(name, corpus, sizes, [], dsn=dsn, prefix=prefix)
    backend.version, backend.settings = await _server(dsn)
    vectors = name == "pgvector"
    ours = await _ours(
        dsn.replace("postgresql://", "postgresql+asyncpg://", 1), prefix, corpus, backend
    )
    floor = PostgresMemoryFloor(dsn, prefix, vectors=vectors, dims=corpus.dims)
    backend.contenders = [
        *ours,
        PostgresFloorContender(floor, corpus),
        *(
            [
                PostgresFloorContender(floor, corpus, exact=True),
                *(PostgresFloorContender(floor, corpus, ef_search=n) for n in EF_SEARCH),
            ]
            if vectors
            else []
        ),
        PgMemoryContender(dsn if vectors else None, prefix, corpus),
        LangGraphPostgres(dsn, f"{prefix}_lgstore", corpus, vectors=vectors),
        LocusInMemory(),
        LangGraphInMemory(corpus),
    ]
    return backend


async def sqlite_backend(prefix: str, corpus: Corpus, sizes: MemorySizes) -> Backend:
    workdir = Path(tempfile.mkdtemp(prefix="locusbench-memory-"))
    backend = Backend("sqlite", corpus, sizes, [])

    async def remove() -> None:
        shutil.rmtree(workdir, ignore_errors=True)

    backend.cleanup.append(remove)
    db = workdir / "bench.sqlite3"
    import sqlite3

    backend.version = sqlite3.sqlite_version
    ours = await _ours(f"sqlite:///{db}", prefix, corpus, backend)
    backend.contenders = [
        *ours,
        SQLiteFloorContender(
            SQLiteMemoryFloor(str(db), prefix, driver="aiosqlite", create=True), corpus
        ),
        SQLiteFloorContender(
            SQLiteMemoryFloor(str(db), prefix, driver="sqlite3", create=False), corpus
        ),
        Holographic(workdir / "holographic.sqlite3"),
        LocusInMemory(),
        LangGraphInMemory(corpus),
    ]
    return backend


# -- the operations -----------------------------------------------------------------------
def _counter() -> Callable[[], int]:
    count = itertools.count()
    return lambda: next(count)


def operation_names(sizes: MemorySizes, dims: int) -> dict[str, str]:
    return {
        PUT: PUT,
        GET: f"{GET} ({sizes.big:,} items)",
        PUT_VECTOR: f"{PUT_VECTOR} ({dims} dims)",
        TEXT: f"{TEXT} ({sizes.big:,} items, selective)",
        VECTOR: f"{VECTOR} ({sizes.big:,} x {dims})",
        MANY_TEXT: f"{MANY_TEXT} ({len(MANY)} namespaces x {sizes.per_namespace:,})",
        MANY_VECTOR: f"{MANY_VECTOR} ({len(MANY)} namespaces x {sizes.per_namespace:,})",
        BATCH: f"{BATCH} ({BATCH_SIZE} new items)",
    }


def _call(contender: Contender, operation: str, backend: Backend) -> Call:
    """The timed call of ``operation`` on ``contender``, its arguments moving per call."""
    corpus, sizes = backend.corpus, backend.sizes
    nth = _counter()
    own = (*PUTS, _slug(contender.name))
    value = corpus.items[0].value

    if operation == PUT:
        return lambda: contender.put(own, f"p{nth() // PUTS_PER_KEY}", value)
    if operation == PUT_VECTOR:

        def put_vector() -> Awaitable[None]:
            i = nth()
            item = corpus.items[i % len(corpus.items)]
            return contender.put_vector(own, f"v{i // PUTS_PER_KEY}", item.value, item.vector)

        return put_vector
    if operation == GET:
        return lambda: contender.get(BIG, f"m{(nth() * 7919) % sizes.big}")
    if operation == TEXT:
        return lambda: contender.text_search(
            BIG, memory_data.selective_query(sizes.big, nth() % 50)
        )
    if operation == VECTOR:
        return lambda: contender.vector_top10(BIG, nth() % len(corpus.queries))
    if operation == MANY_TEXT:
        return lambda: contender.search_many_text(
            MANY, memory_data.selective_query(sizes.per_namespace, nth() % 50)
        )
    if operation == MANY_VECTOR:
        return lambda: contender.search_many_vector(MANY, nth() % len(corpus.queries))
    if operation == BATCH:

        def batch() -> Awaitable[None]:
            i = nth()
            items = [
                ((*BATCHES, _slug(contender.name)), f"b{i}-{j}", corpus.items[j].value)
                for j in range(BATCH_SIZE)
            ]
            return contender.put_batch(items)

        return batch
    raise ValueError(operation)


def _iterations(operation: str, sizes: MemorySizes) -> int:
    if operation in (PUT, GET, PUT_VECTOR):
        return sizes.iterations
    if operation in (VECTOR, MANY_VECTOR):
        return sizes.vector_iterations
    if operation == BATCH:
        return sizes.batch_iterations
    return sizes.search_iterations


async def _answers(
    backend: Backend, operation: str, runners: dict[str, Contender]
) -> dict[str, str]:
    """Notes on contenders whose hits for the first query differ from the floor's."""
    floor_name = FLOORS[backend.name]
    if operation not in (TEXT, MANY_TEXT) or floor_name not in runners:
        return {}
    sizes = backend.sizes
    found: dict[str, list[set[str]]] = {}
    for name, contender in runners.items():
        if operation == TEXT:
            hits = [await contender.text_search(BIG, memory_data.selective_query(sizes.big))]
        else:
            query = memory_data.selective_query(sizes.per_namespace)
            hits = await contender.search_many_text(MANY, query)
        found[name] = [set(h) for h in hits]
    truth = found[floor_name]
    return {
        name: f"other hits than the floor's ({sum(map(len, hits))} vs {sum(map(len, truth))})"
        for name, hits in found.items()
        if hits != truth
    }


def _rows(backend: Backend, operation: str, label: str, stats: dict[str, Stats]) -> list[MemoryRow]:
    floor_name = FLOORS[backend.name]
    ours = stats[OURS].median if OURS in stats else None
    rows = []
    for name, s in stats.items():
        row = MemoryRow(
            backend=backend.name,
            operation=label,
            implementation=name,
            median_us=s.median * 1e6,
            p95_us=s.p95 * 1e6,
            ops_per_s=s.ops_per_second,
            samples=len(s.samples),
        )
        if name == OURS and floor_name in stats:
            row.vs_floor = s.median / stats[floor_name].median
        elif ours is not None and name != OURS:
            row.ours_vs_this = ours / s.median
        rows.append(row)
    return rows


async def run_operations(
    backend: Backend, log: Callable[[str], None]
) -> tuple[list[MemoryRow], dict[str, Stats]]:
    sizes = backend.sizes
    names = operation_names(sizes, backend.corpus.dims)
    rows: list[MemoryRow] = []
    vector_stats: dict[str, Stats] = {}
    for operation, label in names.items():
        runners = {c.name: c for c in backend.contenders if operation not in c.unsupported}
        if OURS not in runners and FLOORS[backend.name] not in runners:
            if runners:
                backend.notes.append(
                    f"{label}: not run (neither ours nor the floor can here; "
                    f"only {', '.join(runners)} could)"
                )
            continue
        log(f"  {backend.name}: {label}")
        notes = await _answers(backend, operation, runners)
        stats = await measure(
            {name: _call(c, operation, backend) for name, c in runners.items()},
            iterations=_iterations(operation, sizes),
            rounds=sizes.rounds,
            budget=sizes.budget,
        )
        if operation == VECTOR:
            vector_stats = stats
        found = _rows(backend, operation, label, stats)
        for row in found:
            row.note = notes.get(row.implementation, "")
        rows.extend(found)
        for contender in backend.contenders:
            if operation in contender.unsupported and not contender.reference_only:
                rows.append(
                    MemoryRow(
                        backend.name,
                        label,
                        contender.name,
                        None,
                        None,
                        None,
                        0,
                        note=contender.unsupported[operation],
                    )
                )
    return rows, vector_stats


async def vector_quality(
    backend: Backend, stats: dict[str, Stats], log: Callable[[str], None]
) -> list[Quality]:
    """recall@10 against the exact scan, each contender over the same queries (budgeted)."""
    exact = backend.get(EXACT)
    if exact is None or EXACT not in stats:
        return []
    corpus, sizes = backend.corpus, backend.sizes
    log(f"  {backend.name}: recall@10 over {len(corpus.queries)} queries")
    truth = [await exact.vector_top10(BIG, q) for q in range(len(corpus.queries))]
    out = []
    for name in stats:
        contender = backend.get(name)
        assert contender is not None
        recalls = []
        started = time.perf_counter()
        for q in range(len(corpus.queries)):
            found = await contender.vector_top10(BIG, q)
            recalls.append(memory_data.recall_at(found, truth[q]))
            if time.perf_counter() - started > sizes.budget:
                break
        median = stats[name].median
        out.append(
            Quality(
                backend=backend.name,
                implementation=name,
                items=sizes.big,
                dims=corpus.dims,
                queries=len(recalls),
                median_us=median * 1e6,
                recall_at_10=statistics.fmean(recalls),
                speedup_vs_exact=stats[EXACT].median / median,
            )
        )
    return out


def _read(
    contender: Contender, operation: str, namespace: tuple[str, ...], size: int, queries: int
) -> Call:
    """A text or vector read of ``namespace`` (of ``size`` items), its query moving per call."""
    nth = _counter()
    if operation == TEXT:
        return lambda: contender.text_search(
            namespace, memory_data.selective_query(size, nth() % 50)
        )
    return lambda: contender.vector_top10(namespace, nth() % queries)


async def scaling(backend: Backend, log: Callable[[str], None]) -> list[MemoryScaling]:
    """Text and vector reads of ours and the floor on the small against the big namespace."""
    sizes, corpus = backend.sizes, backend.corpus
    out = []
    for operation in (TEXT, VECTOR):
        for name in (OURS, FLOORS[backend.name]):
            contender = backend.get(name)
            if contender is None or operation in contender.unsupported:
                continue
            log(f"  {backend.name}: {operation} at {sizes.small:,} / {sizes.big:,}, {name}")
            calls = {
                "small": _read(contender, operation, SMALL, sizes.small, len(corpus.queries)),
                "large": _read(contender, operation, BIG, sizes.big, len(corpus.queries)),
            }
            hits = {
                side: len(await _read(contender, operation, ns, size, len(corpus.queries))())
                for side, ns, size in (("small", SMALL, sizes.small), ("large", BIG, sizes.big))
            }
            stats = await measure(
                calls,
                iterations=_iterations(operation, sizes),
                rounds=sizes.rounds,
                budget=sizes.budget,
            )
            out.append(
                MemoryScaling(
                    backend=backend.name,
                    operation=operation,
                    implementation=name,
                    small=sizes.small,
                    large=sizes.big,
                    small_median_us=stats["small"].median * 1e6,
                    large_median_us=stats["large"].median * 1e6,
                    small_hits=hits["small"],
                    large_hits=hits["large"],
                )
            )
    return out


async def drop_prefix(dsn: str, prefix: str, log: Callable[[str], None]) -> None:
    """Drop every table and schema still named ``<prefix>…`` (none, when all went well)."""
    conn = await asyncpg.connect(dsn)
    try:
        tables = await conn.fetch(
            "SELECT schemaname, tablename FROM pg_tables WHERE starts_with(tablename, $1)",
            prefix + "_",
        )
        schemas = await conn.fetch(
            "SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1)", prefix + "_"
        )
        for row in tables:
            log(f"  dropping left-over table {row['schemaname']}.{row['tablename']}")
            await conn.execute(
                f'DROP TABLE IF EXISTS "{row["schemaname"]}"."{row["tablename"]}" CASCADE'
            )
        for row in schemas:
            log(f"  dropping left-over schema {row['nspname']}")
            await conn.execute(f'DROP SCHEMA IF EXISTS "{row["nspname"]}" CASCADE')
    finally:
        await conn.close()


async def run_backend(backend: Backend, report: MemoryReport, log: Callable[[str], None]) -> None:
    opened: list[Contender] = []
    try:
        report.machine["servers"][backend.name] = backend.version
        report.settings[backend.name] = backend.settings
        seeding: dict[str, float] = {}
        for contender in backend.contenders:
            await contender.open()
            opened.append(contender)
            if contender.reference_only or all(
                op in contender.unsupported for op in operation_names(backend.sizes, 0)
            ):
                continue
            log(f"  {backend.name}: seeding {len(backend.corpus.items):,} items, {contender.name}")
            started = time.perf_counter()
            await contender.seed(backend.corpus.items, backend.corpus)
            seeding[contender.name] = time.perf_counter() - started
        report.seeding[backend.name] = seeding
        report.seeding_method[backend.name] = {
            c.name: c.seeding for c in backend.contenders if c.name in seeding
        }
        rows, vector_stats = await run_operations(backend, log)
        report.rows.extend(rows)
        report.quality.extend(await vector_quality(backend, vector_stats, log))
        report.scaling.extend(await scaling(backend, log))
        report.notes[backend.name] = backend.notes
    finally:
        for contender in reversed(opened):
            try:
                await contender.close()
            except Exception as exc:
                log(f"  {backend.name}: closing {contender.name} failed: {exc!r}")
        for step in reversed(backend.cleanup):
            try:
                await step()
            except Exception as exc:
                log(f"  {backend.name}: clean-up failed: {exc!r}")
        if backend.dsn is not None:
            await drop_prefix(backend.dsn, backend.prefix, log)


def targets(report: MemoryReport) -> list[Target]:
    found: list[Target] = []
    for backend in dict.fromkeys(r.backend for r in report.rows):
        for row in report.rows:
            if row.backend != backend or row.operation.split(" (")[0] not in (PUT, GET):
                continue
            operation = row.operation
            if row.implementation == OURS and row.vs_floor is not None:
                found.append(
                    Target(f"{backend}: {operation}, ours/floor", row.vs_floor, FLOOR_LIMIT, "max")
                )
            elif row.implementation in DURABLE_PEERS and row.ours_vs_this is not None:
                found.append(
                    Target(
                        f"{backend}: {operation}, ours/{row.implementation}",
                        row.ours_vs_this,
                        1.0,
                        "below",
                    )
                )
    for q in report.quality:
        if q.implementation == OURS and q.speedup_vs_exact is not None:
            found.append(
                Target(
                    f"{q.backend}: vector top-10 at {q.items:,}, exact scan / ours (HNSW)",
                    q.speedup_vs_exact,
                    HNSW_SPEEDUP,
                    "min",
                )
            )
            found.append(
                Target(
                    f"{q.backend}: vector top-10 at {q.items:,}, ours recall@10",
                    q.recall_at_10,
                    RECALL,
                    "min",
                )
            )
    for s in report.scaling:
        if s.implementation == OURS and (s.operation == TEXT or s.backend == "pgvector"):
            found.append(
                Target(
                    f"{s.backend}: {s.operation}, ours at {s.large:,} / {s.small:,} items",
                    s.ratio,
                    SCALING_LIMIT,
                    "max",
                )
            )
    return found


# -- the run ------------------------------------------------------------------------------
def sizes_of(args: Any) -> MemorySizes:
    sizes = QUICK if args.quick else FULL
    items = getattr(args, "memory_items", None)
    if items:
        sizes = dataclasses.replace(sizes, big=items, small=min(sizes.small, max(2, items // 10)))
    return sizes


def _backends(args: Any) -> list[str]:
    if args.backends:
        return [b.strip() for b in args.backends.split(",") if b.strip()]
    return list(BACKENDS)


async def run(args: Any, log_line: Callable[[str], None]) -> MemoryReport:
    began = time.perf_counter()

    def log(message: str) -> None:
        log_line(f"[{time.perf_counter() - began:5.0f} s] {message}")

    sizes = sizes_of(args)
    report = MemoryReport(mode="quick" if args.quick else "full")
    report.machine = reporting.machine({})
    report.machine["packages"]["pgvector (Python)"] = _version("pgvector")
    report.machine["packages"]["numpy"] = _version("numpy")
    started = time.perf_counter()
    log(f"memory: corpus of {sizes.big + sizes.small + len(MANY) * sizes.per_namespace:,} items")
    corpus = memory_data.corpus(sizes.big, sizes.small, sizes.per_namespace, sizes.queries)
    if not ours_available():
        log("memory: locus_store.memory is not built yet: the peers and the floor only")
    for name in _backends(args):
        prefix = f"locusbench_{uuid.uuid4().hex[:6]}"
        if name == "pgvector":
            url = args.pgvector_url or os.environ.get(PGVECTOR_URL_ENV)
            if not url:
                report.skipped[name] = f"no pgvector server ({PGVECTOR_URL_ENV} / --pgvector-url)"
                log(f"memory: {name} skipped: {report.skipped[name]}")
                continue
            backend = await postgres_backend(name, url, prefix, corpus, sizes)
        elif name == "postgresql":
            backend = await postgres_backend(name, args.postgres_url, prefix, corpus, sizes)
        elif name == "sqlite":
            backend = await sqlite_backend(prefix, corpus, sizes)
        else:
            raise SystemExit(f"unknown backend {name!r}; choose from {', '.join(BACKENDS)}")
        log(f"memory: {name}, table prefix {prefix}")
        report.prefixes[name] = prefix
        try:
            await run_backend(backend, report, log)
        except Exception as exc:  # the other backends still run; the report says so
            log("".join(traceback.format_exception(exc)))
            report.skipped[name] = f"failed: {exc!r}"
    report.seconds = time.perf_counter() - started
    report.machine["load_average_at_end"] = os.getloadavg()
    report.targets = targets(report)
    return report


def _version(name: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


# -- the tables ---------------------------------------------------------------------------
_number = reporting._number  # noqa: SLF001
_table = reporting._table  # noqa: SLF001


def render(report: MemoryReport) -> str:
    out: list[str] = []
    servers = report.machine.get("servers", {})
    for backend, reason in report.skipped.items():
        out.append(f"\n({backend}: skipped, {reason})")
    for backend in dict.fromkeys(r.backend for r in report.rows):
        settings = ", ".join(f"{k} {v}" for k, v in report.settings.get(backend, {}).items())
        out.append(
            f"\n### memory, {backend} {servers.get(backend, '')} — latency per call "
            f"(targets: put/get ours/floor ≤ {FLOOR_LIMIT:g}, faster than every durable peer)\n"
        )
        if settings:
            out.append(f"Server: {settings}.\n")
        for note in report.notes.get(backend, []):
            out.append(f"- {note}")
        if report.notes.get(backend):
            out.append("")
        rows, last = [], None
        for row in (r for r in report.rows if r.backend == backend):
            na = row.median_us is None
            rows.append(
                [
                    row.operation if row.operation != last else "",
                    row.implementation,
                    "n/a" if na else _number(row.median_us),
                    "" if na else _number(row.p95_us),
                    "" if na else _number(row.ops_per_s),
                    _number(row.vs_floor, 2),
                    _number(row.ours_vs_this, 2),
                    row.note,
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
                    "note",
                ],
                rows,
                "<<>>>>><",
            )
        )
    if report.quality:
        q0 = report.quality[0]
        out.append(
            f"\n### Vector top-10 quality ({q0.items:,} x {q0.dims}, cosine) — targets: "
            f"ours (HNSW) ≥ {HNSW_SPEEDUP:g}x faster than the exact scan, recall@10 ≥ {RECALL:g}\n"
        )
        out.extend(
            _table(
                ["backend", "implementation", "median µs", "recall@10", "queries", "exact/this"],
                [
                    [
                        q.backend,
                        q.implementation,
                        _number(q.median_us),
                        _number(q.recall_at_10, 3),
                        str(q.queries),
                        _number(q.speedup_vs_exact, 1),
                    ]
                    for q in report.quality
                ],
                "<<>>>>",
            )
        )
    if report.scaling:
        s0 = report.scaling[0]
        out.append(
            f"\n### Reads at {s0.small:,} and {s0.large:,} items (median µs) — target: ours at "
            f"{s0.large:,} ≤ {SCALING_LIMIT:g}x ours at {s0.small:,} (text everywhere; vectors "
            "with pgvector, SQLite's exact scan is linear by design)\n"
        )
        out.extend(
            _table(
                [
                    "backend",
                    "operation",
                    "implementation",
                    "small µs",
                    "large µs",
                    "large/small",
                    "hits (small, large)",
                ],
                [
                    [
                        s.backend,
                        s.operation,
                        s.implementation,
                        _number(s.small_median_us),
                        _number(s.large_median_us),
                        _number(s.ratio, 2),
                        f"{s.small_hits}, {s.large_hits}",
                    ]
                    for s in report.scaling
                ],
                "<<<>>>>",
            )
        )
    if report.seeding:
        out.append("\n### Seeding the corpus (set-up; not in the rows above)\n")
        out.extend(
            _table(
                ["backend", "implementation", "seconds", "how"],
                [
                    [backend, name, _number(seconds, 1), report.seeding_method[backend][name]]
                    for backend, seeded in report.seeding.items()
                    for name, seconds in seeded.items()
                ],
                "<<><",
            )
        )
    if report.targets:
        out.extend(reporting.targets_table(report.targets, "Memory targets", "memory targets"))
    elif not ours_available():
        out.append("\n(no targets: locus_store.memory is not built yet)")
    return "\n".join(out)


def write(report: MemoryReport, out: Path | None) -> Path:
    if out is None:
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        out = RESULTS / f"memory-{report.mode}-{stamp}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report.to_json(), indent=2) + "\n")
    return out


def main_memory(args: Any, log: Callable[[str], None]) -> int:
    report = asyncio.run(run(args, log))
    print(render(report))
    out = write(report, args.out)
    print(f"\nJSON: {out}  ({report.seconds:.0f} s)")
    return 0
