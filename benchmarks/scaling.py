"""How the store behaves as things grow: long histories, many tasks, large states."""

from __future__ import annotations

import asyncio
import gc
import statistics
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy import func, select

from benchmarks.backends import Bench, small_state_document
from benchmarks.floor import PooledPostgresFloor
from benchmarks.operations import Sizes
from benchmarks.payloads import KB, agent_state, document_size
from benchmarks.results import FLOOR, OURS, Concurrency, Memory, Scaling
from benchmarks.timing import Contender, measure
from locus_store import Store

#: Concurrent tasks and pool size of the concurrency run.
TASKS = 32
POOL_SIZE = 8
#: Seconds of the server-side wait of the control workload: a statement that only
#: waits shows what the pool allows when neither the client nor the server is busy.
SERVER_WAIT = 0.005
#: The agent turn through the store, and the same turn as the floor's statements.
CONCURRENCY_TURN = "agent turn (load + save, 4 KB)"
CONCURRENCY_FLOOR_TURN = f"{CONCURRENCY_TURN}, floor (asyncpg pool)"


async def history(bench: Bench, sizes: Sizes, log: Callable[[str], None]) -> list[Scaling]:
    """Newest-first reads on a thread of ``history_large`` checkpoints vs ``history_small``."""
    small, large = f"history-{sizes.history_small}", f"history-{sizes.history_large}"
    document = small_state_document()
    log(f"  {bench.name}: seeding {sizes.history_large:,} checkpoints")
    await bench.insert_lineage(large, sizes.history_large, document)
    await bench.insert_lineage(small, sizes.history_small, document)
    saver = bench.store.versioned()
    view = saver.as_checkpointer()
    mark = {small: f"c{sizes.history_small // 2}", large: f"c{sizes.history_large // 2}"}

    reads: dict[str, Callable[[str], Awaitable[Any]]] = {
        "checkpointer load (latest)": lambda t: view.load(t),
        "versioned get latest": lambda t: saver.get(thread_id=t),
        "list_checkpoints(limit=10)": lambda t: saver.list_checkpoints(thread_id=t, limit=10),
        "list_checkpoints(before=middle)": lambda t: saver.list_checkpoints(
            thread_id=t, limit=10, before=mark[t]
        ),
    }
    results = []
    for operation, read in reads.items():
        log(f"  {bench.name}: {operation} at {sizes.history_small} / {sizes.history_large:,}")
        stats = await measure(
            [
                Contender("small", partial(read, small)),
                Contender("large", partial(read, large)),
            ],
            iterations=sizes.iterations,
            rounds=sizes.rounds,
        )
        results.append(
            Scaling(
                backend=bench.name,
                operation=operation,
                small=sizes.history_small,
                large=sizes.history_large,
                small_median_us=stats["small"].median * 1e6,
                large_median_us=stats["large"].median * 1e6,
            )
        )
    return results


async def concurrency(
    url: str, prefix: str, sizes: Sizes, log: Callable[[str], None]
) -> list[Concurrency]:
    """One task against 32 tasks on an 8-connection pool, same number of operations.

    Each workload also reports the client's CPU per operation over the same rounds:
    client and server share the machine's cores, so a client that needs a whole core
    caps the speed-up whatever the pool allows. The agent turn runs a second time as
    the floor's statements through an asyncpg pool of the same size, on the same
    tables: what the turn costs without the store in between.
    """
    store = Store.from_url(url, table_prefix=prefix, pool_size=POOL_SIZE, max_overflow=0)
    floor = PooledPostgresFloor(url, prefix, POOL_SIZE)
    latest = store.latest()
    state = agent_state(4 * KB)
    try:
        await floor.open()
        for task in range(TASKS):
            await latest.save(state, f"conc-{task}")
            await floor.latest_save(state, f"floorconc-{task}")

        async def turn(task: int) -> None:
            thread = f"conc-{task}"
            loaded = await latest.load(thread)
            await latest.save(loaded or state, thread)

        async def floor_turn(task: int) -> None:
            thread = f"floorconc-{task}"
            loaded = await floor.latest_load(thread)
            await floor.latest_save(loaded or state, thread)

        async def load(task: int) -> None:
            await latest.load(f"conc-{task}")

        async def save(task: int) -> None:
            await latest.save(state, f"conc-{task}")

        wait = select(func.pg_sleep(SERVER_WAIT))

        async def server_wait(task: int) -> None:
            await store.fetch_all(wait)

        workloads: dict[str, Callable[[int], Awaitable[None]]] = {
            CONCURRENCY_TURN: turn,
            CONCURRENCY_FLOOR_TURN: floor_turn,
            "load 4 KB": load,
            "save 4 KB": save,
            f"server wait only (pg_sleep {SERVER_WAIT * 1000:g} ms)": server_wait,
        }
        results = []
        for workload, work in workloads.items():
            log(f"  {store.dialect_name}: {workload}, 1 task vs {TASKS} tasks")
            await _throughput(work, tasks=TASKS, operations=TASKS)  # warm every connection
            # Alternating rounds, medians: a burst of load elsewhere on the machine
            # lands on both sides instead of on whichever ran at the time.
            per_round = max(TASKS, sizes.concurrency_operations // sizes.rounds)
            singles, manys = [], []
            for _ in range(sizes.rounds):
                singles.append(await _throughput(work, tasks=1, operations=per_round))
                manys.append(await _throughput(work, tasks=TASKS, operations=per_round))
            results.append(
                Concurrency(
                    backend=store.dialect_name,
                    workload=workload,
                    tasks=TASKS,
                    pool_size=POOL_SIZE,
                    operations=sizes.concurrency_operations,
                    single_ops_per_s=statistics.median(r.ops_per_s for r in singles),
                    concurrent_ops_per_s=statistics.median(r.ops_per_s for r in manys),
                    single_cpu_us_per_op=statistics.median(r.cpu_us_per_op for r in singles),
                    concurrent_cpu_us_per_op=statistics.median(r.cpu_us_per_op for r in manys),
                )
            )
        return results
    finally:
        try:
            await floor.close()
        finally:
            await store.close()


@dataclass(frozen=True)
class _Round:
    ops_per_s: float
    #: Client process CPU per operation (``time.process_time``), µs.
    cpu_us_per_op: float


async def _throughput(
    work: Callable[[int], Awaitable[None]], *, tasks: int, operations: int
) -> _Round:
    """Throughput and client CPU of ``tasks`` tasks doing ``operations`` calls between them."""
    per_task = [operations // tasks + (1 if t < operations % tasks else 0) for t in range(tasks)]

    async def worker(task: int) -> None:
        for _ in range(per_task[task]):
            await work(task)

    cpu = time.process_time()
    start = time.perf_counter()
    await asyncio.gather(*(worker(t) for t in range(tasks)))
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu
    return _Round(operations / elapsed, cpu / operations * 1e6)


async def memory(bench: Bench, sizes: Sizes, log: Callable[[str], None]) -> list[Memory]:
    """tracemalloc peak above the starting point while saving, then loading, one large state."""
    state = agent_state(sizes.memory_bytes, seed=99)
    payload = document_size(state)
    latest = bench.store.latest()
    floor = bench.floor
    log(f"  {bench.name}: memory, {payload / 1024 / 1024:.1f} MB state")
    # Warm both paths so first-use allocations (compiled statements, codecs) are not counted.
    small = agent_state(4 * KB)
    await latest.save(small, "memory-warm")
    await latest.load("memory-warm")
    await floor.latest_save(small, "memory-warm-floor")
    await floor.latest_load("memory-warm-floor")

    async def peaks(
        save: Callable[[], Awaitable[Any]], load: Callable[[], Awaitable[Any]]
    ) -> tuple[int, int]:
        gc.collect()
        tracemalloc.start()
        try:
            base = tracemalloc.get_traced_memory()[0]
            await save()
            save_peak = tracemalloc.get_traced_memory()[1] - base
            gc.collect()
            tracemalloc.reset_peak()
            base = tracemalloc.get_traced_memory()[0]
            loaded = await load()
            load_peak = tracemalloc.get_traced_memory()[1] - base
        finally:
            tracemalloc.stop()
        if loaded != state:
            raise RuntimeError("the large state did not round-trip")
        return save_peak, load_peak

    results = []
    for name, save, load in (
        (OURS, lambda: latest.save(state, "memory"), lambda: latest.load("memory")),
        (
            f"{FLOOR} ({bench.driver})",
            lambda: floor.latest_save(state, "memory-floor"),
            lambda: floor.latest_load("memory-floor"),
        ),
    ):
        save_peak, load_peak = await peaks(save, load)
        results.append(Memory(bench.name, name, payload, save_peak, load_peak))
    return results
