"""Latency samples, taken side by side.

The implementations compared on one operation (ours, the raw-driver floor, the
peers) are timed in alternating rounds, so a burst of load on the machine
lands on all of them alike instead of on whichever happened to run then.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

Call = Callable[[], Awaitable[Any]]


@dataclass
class Stats:
    """Latency of one implementation of one operation, in seconds per call."""

    samples: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def p95(self) -> float:
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]

    @property
    def ops_per_second(self) -> float:
        return 1.0 / self.median if self.median > 0 else float("inf")


@dataclass(frozen=True)
class Contender:
    """One implementation of an operation.

    ``call`` is timed; ``prepare`` (untimed) runs before each call, for operations
    that consume what they work on (vacuum needs rows to delete).
    """

    name: str
    call: Call
    prepare: Call | None = None


async def measure(
    contenders: Sequence[Contender], *, iterations: int, rounds: int = 5, warmup: int = 3
) -> dict[str, Stats]:
    """Time each contender ``iterations`` times, interleaved over ``rounds`` rounds."""
    results = {c.name: Stats() for c in contenders}
    for contender in contenders:
        for _ in range(warmup):
            if contender.prepare is not None:
                await contender.prepare()
            await contender.call()
    rounds = max(1, min(rounds, iterations))
    per_round = [
        iterations // rounds + (1 if r < iterations % rounds else 0) for r in range(rounds)
    ]
    for count in per_round:
        for contender in contenders:
            samples = results[contender.name].samples
            for _ in range(count):
                if contender.prepare is not None:
                    await contender.prepare()
                start = time.perf_counter()
                await contender.call()
                samples.append(time.perf_counter() - start)
    return results
