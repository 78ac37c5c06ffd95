"""Starting, driving and killing worker processes (``tests/support/reliability/worker.py``)."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from locus_store import Store
from tests.support.backends import Target

ROOT = Path(__file__).resolve().parents[3]
#: Seconds a worker may take to import, connect and say it is ready (2 cores, busy CI).
READY_TIMEOUT = 120.0


class Worker:
    """One ``python -m tests.support.reliability.worker`` process and the events it printed."""

    def __init__(self, target: Target, prefix: str, job: dict[str, Any], writer: int) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.reliability.worker"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.events: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.seen: list[dict[str, Any]] = []
        threading.Thread(target=self._read, daemon=True).start()
        self.send(json.dumps({**job, "url": target.url, "prefix": prefix, "writer": writer}))

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.events.put(json.loads(line))
        self.events.put(None)

    def send(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def wait_for(self, key: str, timeout: float) -> dict[str, Any]:
        """The next event holding ``key`` (events before it are kept in :attr:`seen`)."""
        while True:
            try:
                event = self.events.get(timeout=timeout)
            except queue.Empty:
                self.kill()
                raise AssertionError(f"worker gave no {key!r} in {timeout}s") from None
            if event is None:
                stderr = self.process.stderr.read() if self.process.stderr else ""
                raise AssertionError(f"worker ended before {key!r}:\n{stderr[-3000:]}")
            self.seen.append(event)
            if key in event:
                return event

    def drain(self) -> None:
        """Move every event printed so far into :attr:`seen`."""
        while True:
            try:
                event = self.events.get_nowait()
            except queue.Empty:
                return
            if event is not None:
                self.seen.append(event)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def finish(self) -> None:
        try:
            self.process.wait(timeout=60)
        finally:
            self.kill()
            for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
                if stream is not None:
                    stream.close()


def run_together(
    target: Target, prefix: str, jobs: list[dict[str, Any]], *, timeout: float = 300.0
) -> list[dict[str, Any]]:
    """Start one worker per job, release them at once, return each one's ``done`` event."""
    workers = [Worker(target, prefix, job, writer) for writer, job in enumerate(jobs)]
    try:
        for worker in workers:
            worker.wait_for("ready", READY_TIMEOUT)
        for worker in workers:
            worker.send("go")
        return [worker.wait_for("done", timeout) for worker in workers]
    finally:
        for worker in workers:
            worker.finish()


def assert_whole_lineage(rows: list[dict[str, Any]], expected_ids: set[str]) -> None:
    """Newest-first rows of one lineage: each id once, one root, one chain, whole states."""
    ids = [r["checkpoint_id"] for r in rows]
    assert len(ids) == len(set(ids)) == len(expected_ids)
    if not rows:
        return
    assert set(ids) == expected_ids
    parents = {r["checkpoint_id"]: r["parent_checkpoint_id"] for r in rows}
    shown = [(i, parents[i]) for i in ids]
    assert [p for p in parents.values() if p is None] == [None], shown  # one root
    # One chain, newest first: each row's parent is the row below it; so no cycle either.
    assert [parents[i] for i in ids] == [*ids[1:], None], shown
    for row in rows:
        assert row["checkpoint"]["agent_id"] == row["checkpoint_id"]  # a whole state


async def lineage(store: Store, thread: str) -> list[dict[str, Any]]:
    return await store.versioned().list_checkpoints(thread_id=thread, limit=100_000)
