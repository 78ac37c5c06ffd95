"""``greenlet_spawn`` on reused greenlets, for the fast path's one call per statement.

SQLAlchemy's ``greenlet_spawn`` creates a greenlet for every call and lets it die; for
a statement of a fraction of a millisecond that is a measurable share (creation and
teardown cost about as much as the driver's own work on a small read; see
docs/performance.md). `run_in_greenlet` keeps finished greenlets parked and hands
them the next call instead. The protocol is SQLAlchemy's own: the function runs in a
greenlet of SQLAlchemy's ``_AsyncIoGreenlet`` class (so ``await_`` inside it hands
each awaitable to this coroutine, which awaits it and switches back), in the calling
task's context; exceptions, cancellation included, travel both ways as they do
through ``greenlet_spawn``.

It reads SQLAlchemy's private ``_concurrency_shim``: the upper bound on SQLAlchemy in
pyproject.toml covers it, and tests/unit/test_greenlets.py checks the protocol.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.util.concurrency import _concurrency_shim

T = TypeVar("T")

#: Greenlets parked between calls (per process; each is used by one call at a time).
_idle: list[Any] = []
#: Parked greenlets kept at most (more concurrent calls make new ones, dropped after).
MAX_IDLE = 16


#: What a greenlet switches to its caller with when its call is over (the outcome is
#: left on the greenlet, so a parked greenlet keeps nothing of the call alive).
_PARKED = object()


class _Finished:
    """How a call on a reused greenlet ended."""

    __slots__ = ("error", "value")

    def __init__(self, value: Any, error: BaseException | None) -> None:
        self.value = value
        self.error = error


def _serve(fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    """A reused greenlet's life: run each call it is handed, report it, wait for the next."""
    me = _concurrency_shim.getcurrent()
    while True:
        try:
            me.finished = _Finished(fn(*args), None)
        except BaseException as exc:
            me.finished = _Finished(None, exc)
        fn = args = None  # type: ignore[assignment]
        fn, args = me.parent.switch(_PARKED)


async def run_in_greenlet(fn: Callable[..., T], *args: Any) -> T:
    """``await greenlet_spawn(fn, *args)``, on a parked greenlet when one is free."""
    parent = _concurrency_shim.getcurrent()
    worker = _idle.pop() if _idle else None
    if worker is None or worker.dead or worker.parent is not parent:
        worker = _concurrency_shim._AsyncIoGreenlet(_serve, parent)
    worker.gr_context = parent.gr_context
    result = worker.switch(fn, args)
    while result is not _PARKED:
        try:
            value = await result  # an awaitable handed over by await_()
        except BaseException:
            result = worker.throw(*sys.exc_info())
        else:
            result = worker.switch(value)
    finished: _Finished = worker.finished
    worker.finished = None
    if len(_idle) < MAX_IDLE:
        _idle.append(worker)
    if finished.error is not None:
        raise finished.error
    return finished.value  # type: ignore[no-any-return]
