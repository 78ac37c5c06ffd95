"""Our LangGraph saver against langgraph's own savers, on the same databases.

A super-step is ``aput`` + ``aput_writes`` (two writes) + ``aget_tuple`` of the
thread's latest checkpoint, with a small realistic checkpoint: four channels
(messages, context, topic, counter), only ``counter`` changing per step.

- latency: one thread, the implementations timed in alternating rounds;
- throughput: 16 asyncio tasks, each its own thread, on an 8-connection pool
  (PostgreSQL: our engine with ``pool_size=8, max_overflow=0`` against
  ``AsyncPostgresSaver`` on a psycopg ``AsyncConnectionPool`` of 8). On SQLite
  ``AsyncSqliteSaver`` has one connection and ours its default engine.

- delta channel history: ``aget_delta_channel_history`` of a thread's head whose
  ``messages`` channel was stored at the root only (N ancestors back, two writes
  each), for our one-query override, LangGraph's default walk on our saver (one
  ``aget_tuple`` per ancestor) and the peer's own override; same two measures.

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
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
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
SUPER_STEP = "super-step"
#: Our saver, history read by LangGraph's own ``BaseCheckpointSaver`` walk.
DEFAULT_WALK = f"{OURS} + LangGraph's default walk"
DELTA_CHANNELS = ("messages", "counter")


def delta_operation(ancestors: int) -> str:
    return f"delta channel history ({ancestors} ancestors)"


@dataclass(frozen=True)
class LangGraphSizes:
    rounds: int
    steps_per_round: int
    throughput_steps: int
    warmup: int
    #: Delta channel history: ancestors walked, rounds x calls timed, calls per task.
    delta_ancestors: int
    delta_rounds: int
    delta_calls_per_round: int
    delta_throughput_calls: int


FULL = LangGraphSizes(
    rounds=12,
    steps_per_round=25,
    throughput_steps=40,
    warmup=10,
    delta_ancestors=300,
    delta_rounds=10,
    delta_calls_per_round=3,
    delta_throughput_calls=2,
)
QUICK = LangGraphSizes(
    rounds=2,
    steps_per_round=3,
    throughput_steps=2,
    warmup=1,
    delta_ancestors=10,
    delta_rounds=2,
    delta_calls_per_round=1,
    delta_throughput_calls=1,
)


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
    #: What one timed call is (steps/s: calls/s for other operations).
    operation: str = SUPER_STEP


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


async def _delta_thread(saver: Any, ancestors: int) -> Any:
    """A thread whose head is ``ancestors`` checkpoints below the only stored ``messages``."""
    from langgraph.checkpoint.base.id import uuid6

    config: dict[str, Any] = {
        "configurable": {"thread_id": _thread_id("delta"), "checkpoint_ns": ""}
    }
    versions: dict[str, Any] = {}
    for step in range(ancestors + 1):
        new = {name: saver.get_next_version(versions.get(name), None) for name in DELTA_CHANNELS}
        versions.update(new)
        values: dict[str, Any] = {"counter": step}
        if step == 0:
            values["messages"] = CHANNELS["messages"]
        checkpoint = {
            "v": 4,
            "id": str(uuid6(clock_seq=step)),
            "ts": dt.datetime.now(dt.UTC).isoformat(),
            "channel_values": values,
            "channel_versions": dict(versions),
            "versions_seen": {},
            "updated_channels": list(new),
        }
        metadata = {"source": "loop", "step": step, "parents": {}}
        config = await saver.aput(config, checkpoint, metadata, new)
        await saver.aput_writes(
            config,
            [("messages", MESSAGE), ("counter", step + 1)],
            task_id=str(uuid.uuid4()),
            task_path="~__pregel_pull, agent",
        )
    return config


History = Callable[[], Awaitable[Mapping[str, Any]]]


async def _delta_calls(ours: Any, peer: Any, peer_name: str, ancestors: int) -> dict[str, History]:
    """Our override, LangGraph's walk on our saver and the peer's, on equal threads."""
    from langgraph.checkpoint.base import BaseCheckpointSaver

    head, peer_head = await _delta_thread(ours, ancestors), await _delta_thread(peer, ancestors)
    calls: dict[str, History] = {
        OURS: lambda: ours.aget_delta_channel_history(config=head, channels=DELTA_CHANNELS),
        DEFAULT_WALK: lambda: BaseCheckpointSaver.aget_delta_channel_history(
            ours, config=head, channels=DELTA_CHANNELS
        ),
        peer_name: lambda: peer.aget_delta_channel_history(
            config=peer_head, channels=DELTA_CHANNELS
        ),
    }
    answers = {}
    for name, call in calls.items():  # (task ids differ between the threads)
        found = await call()
        answers[name] = {
            ch: ([(w[1], w[2]) for w in h["writes"]], h.get("seed")) for ch, h in found.items()
        }
    assert all(a == answers[OURS] for a in answers.values()), "the contenders disagree"
    return calls


async def _measure_delta(
    backend: str,
    calls: dict[str, History],
    pool_size: int | None,
    sizes: LangGraphSizes,
    log: Callable[[str], None],
) -> list[LangGraphRow]:
    operation = delta_operation(sizes.delta_ancestors)
    log(f"{backend}: LangGraph {operation}")
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for round_ in range(sizes.delta_rounds):
        order = list(calls.items())
        if round_ % 2:
            order.reverse()
        for name, call in order:
            for _ in range(sizes.delta_calls_per_round):
                started = time.perf_counter()
                await call()
                samples[name].append(time.perf_counter() - started)
    rates = {}
    for name, call in calls.items():

        async def repeat(call: History = call) -> None:
            for _ in range(sizes.delta_throughput_calls):
                await call()

        started = time.perf_counter()
        await asyncio.gather(*(repeat() for _ in range(TASKS)))
        rates[name] = TASKS * sizes.delta_throughput_calls / (time.perf_counter() - started)
    rows = [
        LangGraphRow(
            backend=backend,
            implementation=f"{name}: {operation}",
            pool_size=pool_size if name != SQLITE_PEER else 1,
            median_us=statistics.median(samples[name]) * 1e6,
            p95_us=_p95(samples[name]) * 1e6,
            samples=len(samples[name]),
            tasks=TASKS,
            steps_per_s=rates[name],
            operation=operation,
        )
        for name in calls
    ]
    for row in rows[1:]:
        row.ours_vs_this_latency = rows[0].median_us / row.median_us
        row.ours_vs_this_throughput = rows[0].steps_per_s / row.steps_per_s
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
                ours = store.langgraph_saver()
                rows = await _measure(
                    bench.name,
                    {OURS: ours, PG_PEER: peer},
                    {OURS: POOL_SIZE, PG_PEER: POOL_SIZE},
                    sizes,
                    log,
                )
                calls = await _delta_calls(ours, peer, PG_PEER, sizes.delta_ancestors)
                return rows + await _measure_delta(bench.name, calls, POOL_SIZE, sizes, log)
        finally:
            await store.close()
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    workdir = Path(tempfile.mkdtemp(prefix="locusbench-langgraph-"))
    try:
        async with AsyncSqliteSaver.from_conn_string(str(workdir / "peer.sqlite3")) as peer:
            await peer.setup()
            ours = bench.store.langgraph_saver()
            rows = await _measure(
                bench.name,
                {OURS: ours, SQLITE_PEER: peer},
                {OURS: None, SQLITE_PEER: 1},
                sizes,
                log,
            )
            calls = await _delta_calls(ours, peer, SQLITE_PEER, sizes.delta_ancestors)
            return rows + await _measure_delta(bench.name, calls, None, sizes, log)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
