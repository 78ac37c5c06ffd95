"""Our LangGraph saver against langgraph's own savers, on the same databases.

A super-step is ``aput`` + ``aput_writes`` (two writes) + ``aget_tuple`` of the
thread's latest checkpoint, with a small realistic checkpoint: four channels
(messages, context, topic, counter), only ``counter`` changing per step.

- latency: one thread, the implementations timed in alternating rounds;
- throughput: 16 asyncio tasks, each its own thread, on an 8-connection pool
  (PostgreSQL: our engine with ``pool_size=8, max_overflow=0`` against
  ``AsyncPostgresSaver`` on a psycopg ``AsyncConnectionPool`` of 8). On SQLite
  ``AsyncSqliteSaver`` has one connection and ours its default engine.

The peers' tables live in a dedicated PostgreSQL schema (dropped afterwards)
and in a SQLite file in the run's temp directory.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.backends import Bench
from benchmarks.results import OURS
from locus_store import Store

TASKS = 16
POOL_SIZE = 8
PG_PEER = "AsyncPostgresSaver"
SQLITE_PEER = "AsyncSqliteSaver"


@dataclass(frozen=True)
class LangGraphSizes:
    rounds: int
    steps_per_round: int
    throughput_steps: int
    warmup: int


FULL = LangGraphSizes(rounds=12, steps_per_round=25, throughput_steps=40, warmup=10)
QUICK = LangGraphSizes(rounds=2, steps_per_round=3, throughput_steps=2, warmup=1)


@dataclass
class LangGraphRow:
    """One saver on one backend: super-step latency and 16-thread throughput."""

    backend: str
    implementation: str
    #: Connections the saver may use (None: the engine's default).
    pool_size: int | None
    median_us: float
    p95_us: float
    samples: int
    tasks: int
    steps_per_s: float
    #: On peer rows: our median latency / this peer's (below 1.0: we are faster).
    ours_vs_this_latency: float | None = None
    #: On peer rows: our throughput / this peer's (above 1.0: we are faster).
    ours_vs_this_throughput: float | None = None


class _Thread:
    """One LangGraph thread driven step by step against one saver."""

    def __init__(self, saver: Any, thread_id: str) -> None:
        self.saver = saver
        self.config: dict[str, Any] = {
            "configurable": {"thread_id": thread_id, "checkpoint_ns": ""}
        }
        self.latest = {"configurable": {"thread_id": thread_id, "checkpoint_ns": ""}}
        self.step = 0
        versions = {name: saver.get_next_version(None, None) for name in CHANNELS}
        self.checkpoint: dict[str, Any] = {
            "v": 4,
            "id": "",
            "ts": "",
            "channel_values": dict(CHANNELS),
            "channel_versions": versions,
            "versions_seen": {"agent": dict(versions)},
            "updated_channels": None,
        }

    async def super_step(self) -> None:
        from langgraph.checkpoint.base.id import uuid6

        self.step += 1
        saver, checkpoint = self.saver, self.checkpoint
        version = saver.get_next_version(checkpoint["channel_versions"]["counter"], None)
        checkpoint = {
            **checkpoint,
            "id": str(uuid6(clock_seq=self.step)),
            "ts": dt.datetime.now(dt.UTC).isoformat(),
            "channel_values": {**checkpoint["channel_values"], "counter": self.step},
            "channel_versions": {**checkpoint["channel_versions"], "counter": version},
            "updated_channels": ["counter"],
        }
        self.checkpoint = checkpoint
        metadata = {"source": "loop", "step": self.step, "parents": {}}
        self.config = await saver.aput(self.config, checkpoint, metadata, {"counter": version})
        await saver.aput_writes(
            self.config,
            [("counter", self.step + 1), ("messages", MESSAGE)],
            task_id=str(uuid.uuid4()),
        )
        found = await saver.aget_tuple(self.latest)
        assert found is not None


MESSAGE = {"role": "assistant", "content": "Noted; checking the next item on the list."}
CHANNELS: dict[str, Any] = {
    "messages": [
        {"role": "user", "content": "Summarise the open tickets for the release."},
        {"role": "assistant", "content": "There are four open tickets; two block it."},
        {"role": "user", "content": "Which two?"},
    ],
    "context": {"project": "locus", "release": "1.4", "owner": "ops", "tags": ["a", "b"]},
    "topic": "release triage",
    "counter": 0,
}


def _thread_id(name: str) -> str:
    return f"lg-{name}-{uuid.uuid4().hex[:8]}"


async def _latency(savers: dict[str, Any], sizes: LangGraphSizes) -> dict[str, list[float]]:
    threads = {name: _Thread(saver, _thread_id(name)) for name, saver in savers.items()}
    for thread in threads.values():
        for _ in range(sizes.warmup):
            await thread.super_step()
    samples: dict[str, list[float]] = {name: [] for name in savers}
    for round_ in range(sizes.rounds):
        order = list(threads.items())
        if round_ % 2:
            order.reverse()
        for name, thread in order:
            for _ in range(sizes.steps_per_round):
                started = time.perf_counter()
                await thread.super_step()
                samples[name].append(time.perf_counter() - started)
    return samples


async def _throughput(saver: Any, sizes: LangGraphSizes) -> float:
    threads = [_Thread(saver, _thread_id(f"t{i}")) for i in range(TASKS)]
    await asyncio.gather(*(t.super_step() for t in threads))  # warm the pool

    async def run(thread: _Thread) -> None:
        for _ in range(sizes.throughput_steps):
            await thread.super_step()

    started = time.perf_counter()
    await asyncio.gather(*(run(t) for t in threads))
    return TASKS * sizes.throughput_steps / (time.perf_counter() - started)


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


async def _measure(
    backend: str,
    savers: dict[str, Any],
    pools: dict[str, int | None],
    sizes: LangGraphSizes,
    log: Callable[[str], None],
) -> list[LangGraphRow]:
    log(f"{backend}: LangGraph super-step latency")
    samples = await _latency(savers, sizes)
    rates = {}
    for name, saver in savers.items():
        log(f"{backend}: LangGraph {TASKS}-thread throughput, {name}")
        rates[name] = await _throughput(saver, sizes)
    rows = [
        LangGraphRow(
            backend=backend,
            implementation=name,
            pool_size=pools[name],
            median_us=statistics.median(samples[name]) * 1e6,
            p95_us=_p95(samples[name]) * 1e6,
            samples=len(samples[name]),
            tasks=TASKS,
            steps_per_s=rates[name],
        )
        for name in savers
    ]
    ours = rows[0]
    for row in rows[1:]:
        row.ours_vs_this_latency = ours.median_us / row.median_us
        row.ours_vs_this_throughput = ours.steps_per_s / row.steps_per_s
    return rows


def _libpq(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://").replace(
        "postgresql+psycopg://", "postgresql://"
    )


@contextlib.asynccontextmanager
async def _pg_peer(url: str, schema: str) -> AsyncIterator[Any]:
    import psycopg
    from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
    from psycopg.rows import dict_row
    from psycopg_pool import AsyncConnectionPool

    conninfo = _libpq(url)
    admin = await psycopg.AsyncConnection.connect(conninfo, autocommit=True)
    try:
        await admin.execute(f'CREATE SCHEMA "{schema}"')
        pool: Any = AsyncConnectionPool(
            conninfo,
            min_size=POOL_SIZE,
            max_size=POOL_SIZE,
            open=False,
            kwargs={
                "autocommit": True,
                "prepare_threshold": 0,
                "row_factory": dict_row,
                "options": f"-c search_path={schema}",
            },
        )
        await pool.open(wait=True)
        try:
            saver = AsyncPostgresSaver(pool)
            await saver.setup()
            yield saver
        finally:
            await pool.close()
    finally:
        await admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await admin.close()


async def run(
    bench: Bench, postgres_url: str, sizes: LangGraphSizes, log: Callable[[str], None]
) -> list[LangGraphRow]:
    """Both measures for ours and the backend's LangGraph peer (tables already set up)."""
    if bench.name == "postgresql":
        store = Store.from_url(
            postgres_url, table_prefix=bench.prefix, pool_size=POOL_SIZE, max_overflow=0
        )
        try:
            async with _pg_peer(postgres_url, f"{bench.prefix}_langgraph") as peer:
                return await _measure(
                    bench.name,
                    {OURS: store.langgraph_saver(), PG_PEER: peer},
                    {OURS: POOL_SIZE, PG_PEER: POOL_SIZE},
                    sizes,
                    log,
                )
        finally:
            await store.close()
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    workdir = Path(tempfile.mkdtemp(prefix="locusbench-langgraph-"))
    try:
        async with AsyncSqliteSaver.from_conn_string(str(workdir / "peer.sqlite3")) as peer:
            await peer.setup()
            return await _measure(
                bench.name,
                {OURS: bench.store.langgraph_saver(), SQLITE_PEER: peer},
                {OURS: None, SQLITE_PEER: 1},
                sizes,
                log,
            )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
