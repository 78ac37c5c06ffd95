"""run_in_greenlet keeps SQLAlchemy's greenlet_spawn protocol on reused greenlets."""

from __future__ import annotations

import asyncio
import contextvars

import pytest
from sqlalchemy.util import await_, greenlet_spawn

from locus_store._engine import greenlets
from locus_store._engine.greenlets import run_in_greenlet

REQUEST = contextvars.ContextVar("request", default="none")


def _sync_sum(steps: int) -> int:
    total = 0
    for step in range(steps):
        total += await_(_later(step))
    return total


async def _later(value: int) -> int:
    await asyncio.sleep(0)
    return value


@pytest.mark.parametrize("spawn", [greenlet_spawn, run_in_greenlet])
async def test_awaits_inside_the_call_are_awaited_by_the_caller(spawn: object) -> None:
    assert await spawn(_sync_sum, 5) == 10  # type: ignore[operator]


async def test_greenlets_are_reused_and_their_number_is_bounded() -> None:
    await run_in_greenlet(_sync_sum, 1)
    parked = greenlets._idle[-1]
    await run_in_greenlet(_sync_sum, 1)
    assert greenlets._idle[-1] is parked
    await asyncio.gather(*(run_in_greenlet(_sync_sum, 3) for _ in range(40)))
    assert len(greenlets._idle) <= greenlets.MAX_IDLE


async def test_an_error_raised_in_the_call_reaches_the_caller_and_the_greenlet_survives() -> None:
    def fail() -> None:
        await_(_later(0))
        raise LookupError("inside")

    with pytest.raises(LookupError, match="inside"):
        await run_in_greenlet(fail)
    assert await run_in_greenlet(_sync_sum, 3) == 3


async def test_an_error_of_an_awaited_step_is_raised_inside_the_call() -> None:
    async def broken() -> int:
        raise KeyError("step")

    def call() -> str:
        try:
            await_(broken())
        except KeyError:
            return "caught inside"
        return "not raised"

    assert await run_in_greenlet(call) == "caught inside"


async def test_cancelling_the_caller_cancels_the_awaited_step_inside_the_call() -> None:
    seen: list[str] = []
    started = asyncio.Event()

    async def slow() -> None:
        started.set()
        await asyncio.sleep(10)

    def call() -> None:
        try:
            await_(slow())
        except asyncio.CancelledError:
            seen.append("cancelled inside")
            raise

    task = asyncio.ensure_future(run_in_greenlet(call))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert seen == ["cancelled inside"]
    assert await run_in_greenlet(_sync_sum, 2) == 1


async def test_the_call_runs_in_the_callers_context() -> None:
    def read() -> str:
        await_(_later(0))
        return REQUEST.get()

    async def in_task(name: str) -> str:
        REQUEST.set(name)
        return await run_in_greenlet(read)

    assert list(await asyncio.gather(in_task("a"), in_task("b"))) == ["a", "b"]


async def test_concurrent_calls_interleave_without_mixing_results() -> None:
    results = await asyncio.gather(*(run_in_greenlet(_sync_sum, n) for n in range(1, 30)))
    assert results == [n * (n - 1) // 2 for n in range(1, 30)]
