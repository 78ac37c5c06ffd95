"""An unclosed SQLite connection collected after its event loop closed ends quietly.

aiosqlite's own ``__del__`` queues the close with a future on
``asyncio.get_event_loop()``; when that loop is closed, the driver's thread dies on
"Event loop is closed" (an unhandled thread exception). The store's connections
stop their thread without a loop.
"""

from __future__ import annotations

import asyncio
import gc
import sqlite3
import threading
import warnings
from functools import partial
from pathlib import Path
from typing import Any

import aiosqlite
import pytest

from locus_store._engine.sqlite import OneTripConnection


def _collected_after_its_loop_closed(cls: type[aiosqlite.Connection], path: Path) -> list[Any]:
    """Thread exceptions raised when an unclosed ``cls`` connection is collected late."""
    failures: list[Any] = []
    previous = threading.excepthook
    threading.excepthook = failures.append
    loop = asyncio.new_event_loop()
    try:
        asyncio.set_event_loop(loop)

        async def open_one() -> aiosqlite.Connection:
            connection = cls(partial(sqlite3.connect, str(path)), 64)
            connection._thread.daemon = True
            return await connection

        connection = loop.run_until_complete(open_one())
        thread = connection._thread
        loop.close()  # still set as the current loop, as after a test or asyncio.run
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            del connection
            gc.collect()
        thread.join(timeout=10)
        assert not thread.is_alive(), "the driver's thread did not end"
    finally:
        asyncio.set_event_loop(None)
        threading.excepthook = previous
    return failures


def test_the_store_connection_ends_its_thread_without_an_event_loop(tmp_path: Path) -> None:
    assert _collected_after_its_loop_closed(OneTripConnection, tmp_path / "a.db") == []


def test_a_plain_aiosqlite_connection_fails_in_its_thread(tmp_path: Path) -> None:
    """What the store's connections avoid (shown, so the test above can fail)."""
    failures = _collected_after_its_loop_closed(aiosqlite.Connection, tmp_path / "b.db")
    if not failures:
        pytest.skip("this aiosqlite version stops its thread without the closed loop")
    assert "Event loop is closed" in str(failures[0].exc_value)


def test_the_store_connection_warns_when_collected_unclosed(tmp_path: Path) -> None:
    async def open_one() -> OneTripConnection:
        connection = OneTripConnection(partial(sqlite3.connect, str(tmp_path / "c.db")), 64)
        connection._thread.daemon = True
        await connection  # aiosqlite's await starts the thread and yields the same object
        return connection

    connection = asyncio.run(open_one())
    thread = connection._thread
    with pytest.warns(ResourceWarning, match="deleted before being closed"):
        del connection  # its last reference: collected here
    thread.join(timeout=10)
    assert not thread.is_alive()


def _failed_connect_in_a_loop_that_closes(cls: type[aiosqlite.Connection]) -> list[Any]:
    """Thread exceptions after ``cls`` fails to connect (a missing directory) and the
    loop that awaited it closes at once, as at the end of ``asyncio.run``."""
    failures: list[Any] = []
    previous = threading.excepthook
    threading.excepthook = failures.append
    threads: list[threading.Thread] = []

    async def connect() -> None:
        connection = cls(partial(sqlite3.connect, "/nonexistent-dir/x.db"), 64)
        connection._thread.daemon = True
        threads.append(connection._thread)
        with pytest.raises(sqlite3.OperationalError):
            await connection

    try:
        for _ in range(20):  # the thread must lose the race with the loop's close
            asyncio.run(connect())
        for thread in threads:
            thread.join(timeout=10)
            assert not thread.is_alive(), "the driver's thread did not end"
    finally:
        threading.excepthook = previous
    return failures


def test_a_failed_connect_leaves_no_thread_reporting_to_a_closed_loop() -> None:
    assert _failed_connect_in_a_loop_that_closes(OneTripConnection) == []


def test_a_failed_plain_aiosqlite_connect_can_report_to_a_closed_loop() -> None:
    """What the store's connections avoid (shown, so the test above can fail)."""
    failures = _failed_connect_in_a_loop_that_closes(aiosqlite.Connection)
    if not failures:
        pytest.skip("the plain connection's thread won every race this time")
    assert "Event loop is closed" in str(failures[0].exc_value)
