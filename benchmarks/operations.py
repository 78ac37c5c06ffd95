"""The operations timed on every backend: ours, the floor and the peers side by side."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from locus.core.state import AgentState
from locus.memory.checkpointer import BaseCheckpointer

from benchmarks.backends import Bench, search_corpus, vacuum_rows
from benchmarks.payloads import KB, agent_state, checkpoint_document, pending_writes
from benchmarks.results import FLOOR, OURS, RELAXED, Row
from benchmarks.timing import Contender, Stats, measure

#: Saves rotate to a new thread every this many calls: an agent thread of ten
#: iterations (the first save of a thread inserts its row, the others update it).
SAVES_PER_THREAD = 10
#: Checkpoints in the lineage the versioned reads run against.
READ_LINEAGE = 50


@dataclass(frozen=True)
class Sizes:
    """How much work a run does (``--quick`` shrinks every figure)."""

    iterations: int
    large_iterations: int
    rounds: int
    search_threads: int
    search_iterations: int
    broad_search_iterations: int
    vacuum_rows: int
    vacuum_runs: int
    history_small: int
    history_large: int
    concurrency_operations: int
    memory_bytes: int


FULL = Sizes(
    iterations=600,
    large_iterations=80,
    rounds=5,
    search_threads=10_000,
    search_iterations=100,
    broad_search_iterations=5,
    vacuum_rows=10_000,
    vacuum_runs=3,
    history_small=100,
    history_large=100_000,
    concurrency_operations=1280,
    memory_bytes=10 * 1024 * 1024,
)
QUICK = Sizes(
    iterations=6,
    large_iterations=3,
    rounds=2,
    search_threads=200,
    search_iterations=3,
    broad_search_iterations=1,
    vacuum_rows=200,
    vacuum_runs=1,
    history_small=20,
    history_large=500,
    concurrency_operations=64,
    memory_bytes=512 * 1024,
)


def rotating_threads(name: str) -> Callable[[], str]:
    counter = itertools.count()
    return lambda: f"{name}-{next(counter) // SAVES_PER_THREAD}"


def _save(checkpointer: Any, state: AgentState, thread: Callable[[], str]) -> Contender:
    async def call() -> None:
        await checkpointer.save(state, thread())

    return Contender("", call)


def _named(name: str, contender: Contender) -> Contender:
    return Contender(name, contender.call, contender.prepare)


def _relaxed_saver(bench: Bench, state: AgentState, label: str, size: int) -> list[Contender]:
    """Our save with ``durability="normal"``, for the 4 KB save only."""
    if bench.relaxed is None or size != 4 * KB:
        return []
    threads = rotating_threads(f"save-{label}-relaxed")
    return [_named(RELAXED, _save(bench.relaxed.latest(), state, threads))]


def _rows(bench: Bench, operation: str, stats: dict[str, Stats], floor_name: str) -> list[Row]:
    ours = stats[OURS].median
    rows = []
    for name, s in stats.items():
        row = Row(
            backend=bench.name,
            operation=operation,
            implementation=floor_name if name == FLOOR else name,
            median_us=s.median * 1e6,
            p95_us=s.p95 * 1e6,
            ops_per_s=s.ops_per_second,
            samples=len(s.samples),
        )
        if name == OURS and FLOOR in stats:
            row.vs_floor = ours / stats[FLOOR].median
        elif name not in (OURS, FLOOR):
            row.ours_vs_this = ours / s.median
        rows.append(row)
    return rows


async def _peer_loaded(peer: BaseCheckpointer, state: AgentState, thread: str) -> None:
    await peer.save(state, thread)
    if await peer.load(thread) is None:
        raise RuntimeError(f"{peer!r} lost the state it saved")


async def run_operations(bench: Bench, sizes: Sizes, log: Callable[[str], None]) -> list[Row]:
    """Every operation of the table on ``bench``."""
    floor_name = f"{FLOOR} ({bench.driver})"
    store, floor, peers = bench.store, bench.floor, bench.peers.checkpointers
    latest = store.latest()
    saver = store.versioned()
    agent_view = saver.as_checkpointer()
    rows: list[Row] = []

    async def timed(
        operation: str, contenders: list[Contender], iterations: int
    ) -> dict[str, Stats]:
        log(f"  {bench.name}: {operation}")
        stats = await measure(contenders, iterations=iterations, rounds=sizes.rounds)
        rows.extend(_rows(bench, operation, stats, floor_name))
        return stats

    # -- single-row save and load, with the peers -------------------------------------
    for size, label, iterations in (
        (4 * KB, "4 KB", sizes.iterations),
        (256 * KB, "256 KB", sizes.large_iterations),
    ):
        state = agent_state(size)
        savers = [
            _named(OURS, _save(latest, state, rotating_threads(f"save-{label}-ours"))),
            _named(FLOOR, _floor_save(floor.latest_save, state, f"save-{label}-floor")),
            *_relaxed_saver(bench, state, label, size),
            *(
                _named(name, _save(peer, state, rotating_threads(f"save-{label}-{i}")))
                for i, (name, peer) in enumerate(peers.items())
            ),
        ]
        await timed(f"save {label}", savers, iterations)

        thread = f"load-{label}"
        await latest.save(state, thread)
        loaders = [
            Contender(OURS, _checked(partial(latest.load, thread))),
            Contender(FLOOR, _checked(partial(floor.latest_load, thread))),
        ]
        for i, (name, peer) in enumerate(peers.items()):
            peer_thread = f"load-{label}-{i}"
            await _peer_loaded(peer, state, peer_thread)
            loaders.append(Contender(name, _checked(partial(peer.load, peer_thread))))
        await timed(f"load {label}", loaders, iterations)

    # -- versioned saver -----------------------------------------------------------------
    state = agent_state(4 * KB)
    document = checkpoint_document(state)
    await timed(
        "versioned put",
        [
            Contender(
                OURS,
                _chain(
                    lambda t, c, p: saver.put(
                        thread_id=t,
                        checkpoint_id=c,
                        checkpoint_data=document,
                        parent_checkpoint_id=p,
                    ),
                    "put-ours",
                ),
            ),
            Contender(FLOOR, _chain(lambda t, c, p: floor.put(t, c, document, p), "put-floor")),
        ],
        sizes.iterations,
    )

    reads = "reads"
    ids = [uuid.uuid4().hex for _ in range(READ_LINEAGE)]
    parent = None
    for cid in ids:
        await saver.put(
            thread_id=reads,
            checkpoint_id=cid,
            checkpoint_data=document,
            parent_checkpoint_id=parent,
        )
        parent = cid
    middle, page_mark = ids[READ_LINEAGE // 2], ids[READ_LINEAGE * 3 // 5]
    await timed(
        "versioned get latest",
        [
            Contender(OURS, _checked(lambda: saver.get(thread_id=reads))),
            Contender(FLOOR, _checked(lambda: floor.get(reads))),
        ],
        sizes.iterations,
    )
    await timed(
        "versioned get by id",
        [
            Contender(OURS, _checked(lambda: saver.get(thread_id=reads, checkpoint_id=middle))),
            Contender(FLOOR, _checked(lambda: floor.get(reads, middle))),
        ],
        sizes.iterations,
    )
    await timed(
        "list_checkpoints(limit=10)",
        [
            Contender(OURS, _checked(lambda: saver.list_checkpoints(thread_id=reads, limit=10))),
            Contender(FLOOR, _checked(lambda: floor.history(reads, 10))),
        ],
        sizes.iterations,
    )
    await timed(
        "list_checkpoints(before=, limit=10)",
        [
            Contender(
                OURS,
                _checked(
                    lambda: saver.list_checkpoints(thread_id=reads, limit=10, before=page_mark)
                ),
            ),
            Contender(FLOOR, _checked(lambda: floor.history(reads, 10, before=page_mark))),
        ],
        sizes.iterations,
    )
    writes = pending_writes(5)
    await timed(
        "put_writes (5 writes)",
        [
            Contender(
                OURS,
                lambda: saver.put_writes(
                    thread_id=reads, checkpoint_id=middle, task_id="task-ours", writes=writes
                ),
            ),
            Contender(FLOOR, lambda: floor.put_writes(reads, middle, "task-floor", writes)),
        ],
        sizes.iterations,
    )
    agent_savers = [
        _named(OURS, _save(agent_view, state, rotating_threads("agent-ours"))),
        Contender(FLOOR, _rotating_append(floor.append, state, "agent-floor")),
    ]
    if "PgCheckpointer" in peers:
        pg = peers["PgCheckpointer"]
        agent_savers.append(
            _named("PgCheckpointer", _save(pg, state, rotating_threads("agent-pg")))
        )
    await timed("agent checkpointer save", agent_savers, sizes.iterations)

    # -- search over many threads, vacuum of many rows ------------------------------------
    corpus, query = search_corpus(sizes.search_threads)
    await bench.insert_threads(corpus)
    await timed(
        f"search ({sizes.search_threads:,} threads, selective)",
        [
            Contender(OURS, lambda: latest.search(query, limit=10)),
            Contender(FLOOR, lambda: floor.search(query, limit=10)),
        ],
        sizes.search_iterations,
    )
    await timed(
        f"search ({sizes.search_threads:,} threads, common word)",
        [
            Contender(OURS, lambda: latest.search("invoice", limit=10)),
            Contender(FLOOR, lambda: floor.search("invoice", limit=10)),
        ],
        sizes.broad_search_iterations,
    )
    batches = itertools.count()

    async def seed_old_rows() -> None:
        await bench.insert_threads(vacuum_rows(sizes.vacuum_rows, next(batches)))

    vacuumed: list[int] = []

    async def ours_vacuum() -> None:
        vacuumed.append(await latest.vacuum(older_than_days=30))

    async def floor_vacuum() -> None:
        vacuumed.append(await floor.vacuum(30))

    await timed(
        f"vacuum ({sizes.vacuum_rows:,} rows)",
        [
            Contender(OURS, ours_vacuum, prepare=seed_old_rows),
            Contender(FLOOR, floor_vacuum, prepare=seed_old_rows),
        ],
        sizes.vacuum_runs,
    )
    if any(count != sizes.vacuum_rows for count in vacuumed):
        raise RuntimeError(f"vacuum removed {vacuumed}, expected {sizes.vacuum_rows} each time")
    return rows


def _checked(call: Callable[[], Awaitable[Any]]) -> Callable[[], Awaitable[Any]]:
    """``call``, failing loudly when a read finds nothing (a benchmark of misses is no use)."""

    async def checked() -> Any:
        result = await call()
        if result is None or result == []:
            raise RuntimeError("a timed read found nothing")
        return result

    return checked


def _floor_save(
    save: Callable[[AgentState, str], Awaitable[Any]], state: AgentState, name: str
) -> Contender:
    thread = rotating_threads(name)

    async def call() -> None:
        await save(state, thread())

    return Contender("", call)


def _rotating_append(
    append: Callable[[AgentState, str], Awaitable[Any]], state: AgentState, name: str
) -> Callable[[], Awaitable[None]]:
    thread = rotating_threads(name)

    async def call() -> None:
        await append(state, thread())

    return call


def _chain(
    put: Callable[[str, str, str | None], Awaitable[Any]], thread: str
) -> Callable[[], Awaitable[None]]:
    """Each call appends a child of the previous call's checkpoint."""
    last: list[str | None] = [None]

    async def call() -> None:
        cid = uuid.uuid4().hex
        await put(thread, cid, last[0])
        last[0] = cid

    return call
