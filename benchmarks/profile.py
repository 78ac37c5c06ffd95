"""Where the time of one save and one load goes: each step timed on its own.

The steps are what ``store.latest().save`` does, in order, called directly: the
state's JSON document (locus's ``to_checkpoint``), input validation, the derived
search text, and the statement through ``Store.row_count`` (pool checkout, the
statement's plan, bind processing with the JSON encoding, the driver round trip,
check-in), next to the same statement through SQLAlchemy's ``Connection.execute``
(what runs when statement listeners are attached) and the floor's statement with the
same, already encoded, values. ``load`` likewise: the read through
``Store.fetch_one`` (with the JSON decoding of its result processor), through
``Connection.execute``, the ``AgentState`` from its document, and the floor's load.
A cProfile of the whole call (by internal time) follows each table.
"""

from __future__ import annotations

import cProfile
import datetime as dt
import io
import pstats
import time
from collections.abc import Awaitable, Callable
from typing import Any

from benchmarks.backends import Bench
from benchmarks.floor import PostgresFloor, _sqlite_time, dumps
from benchmarks.payloads import KB, agent_state
from locus_store.agent_state import decode_state, encode_state, search_text
from locus_store.validation import require_json

REPEAT = 300


async def _cpu_us(call: Callable[[], Awaitable[Any]], repeat: int = REPEAT) -> tuple[float, float]:
    """(wall µs, CPU µs) per call, averaged over ``repeat`` calls after a warm-up."""
    for _ in range(20):
        await call()
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(repeat):
        await call()
    return (
        (time.perf_counter() - wall) / repeat * 1e6,
        (time.process_time() - cpu) / repeat * 1e6,
    )


async def profile_save(bench: Bench, repeat: int = REPEAT) -> str:
    """The step table and the cProfile of ``repeat`` saves of a 4 KB state on ``bench``."""
    latest = bench.store.latest()
    state = agent_state(4 * KB)
    document = encode_state(state)
    counter = iter(range(10**9))

    def thread() -> str:
        return f"profile-{next(counter) // 10}"

    async def sync(fn: Callable[[], Any]) -> None:
        fn()

    sql = latest._sql.save  # the very statement object the repository executes
    now = dt.datetime.now(dt.UTC)
    params = {
        "thread_id": "profile",
        "checkpoint_id": "c",
        "state": document,
        "meta": None,
        "search_text": search_text(document),
        "now": now,
        "expires_at": None,
    }

    async def statement() -> None:
        values = {**params, "thread_id": thread()}
        await bench.store.row_count(sql, values)

    async def core_statement() -> None:
        # Work on a connection (Store.run): Connection.execute runs it.
        values = {**params, "thread_id": thread()}
        await bench.store.run(lambda conn: conn.execute(sql, values))

    floor_now: Any = now if isinstance(bench.floor, PostgresFloor) else _sqlite_time(now)

    async def floor_statement() -> None:
        await bench.floor._execute(
            "latest_save",
            thread=f"floor-{thread()}",
            cid="c",
            state=dumps(document),
            meta=None,
            text=params["search_text"],
            now=floor_now,
        )

    steps: list[tuple[str, Callable[[], Awaitable[Any]]]] = [
        ("whole save: store.latest().save(state, thread)", lambda: latest.save(state, thread())),
        ("  AgentState.to_checkpoint()", lambda: sync(state.to_checkpoint)),
        ("  require_json(document)", lambda: sync(lambda: require_json(document, "state"))),
        ("  search_text(document)", lambda: sync(lambda: search_text(document))),
        ("  the upsert through Store.row_count (fast path)", statement),
        ("    the same, through Connection.execute", core_statement),
        ("    the same upsert, raw driver + orjson", floor_statement),
    ]
    title = f"{bench.name}: one save of a {len(dumps(document)) / 1024:.1f} KB state"
    return await _report(title, steps, lambda: latest.save(state, thread()), "saves", repeat)


async def profile_load(bench: Bench, repeat: int = REPEAT) -> str:
    """The step table and the cProfile of ``repeat`` loads of a 4 KB state on ``bench``."""
    latest = bench.store.latest()
    state = agent_state(4 * KB)
    await latest.save(state, "profile-load")
    document = encode_state(state)
    sql = latest._sql.load  # the very statement object the repository executes
    params = {"thread_id": "profile-load", "now": dt.datetime.now(dt.UTC)}

    async def sync(fn: Callable[[], Any]) -> None:
        fn()

    async def statement() -> None:
        await bench.store.fetch_one(sql, params)

    async def core_statement() -> None:
        async def first(conn: Any) -> Any:
            return (await conn.execute(sql, params)).first()

        await bench.store.run(first)

    steps: list[tuple[str, Callable[[], Awaitable[Any]]]] = [
        ("whole load: store.latest().load(thread)", lambda: latest.load("profile-load")),
        ("  the read through Store.fetch_one (fast path)", statement),
        ("    the same, through Connection.execute", core_statement),
        ("  AgentState.from_checkpoint(document)", lambda: sync(lambda: decode_state(document))),
        ("  the same load, raw driver + orjson", lambda: bench.floor.latest_load("profile-load")),
    ]
    title = f"{bench.name}: one load of a {len(dumps(document)) / 1024:.1f} KB state"
    return await _report(title, steps, lambda: latest.load("profile-load"), "loads", repeat)


async def _report(
    title: str,
    steps: list[tuple[str, Callable[[], Awaitable[Any]]]],
    whole: Callable[[], Awaitable[Any]],
    calls: str,
    repeat: int,
) -> str:
    lines = [title, ""]
    lines.append(f"| {'step':48s} | wall µs | CPU µs |")
    lines.append(f"|{'-' * 50}|--------:|-------:|")
    for name, call in steps:
        wall, cpu = await _cpu_us(call, repeat)
        lines.append(f"| {name:48s} | {wall:7.0f} | {cpu:6.0f} |")

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(repeat):
        await whole()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.strip_dirs().sort_stats("tottime").print_stats(25)
    lines += ["", f"cProfile of {repeat} {calls}, by internal time:", out.getvalue()]
    return "\n".join(lines)
