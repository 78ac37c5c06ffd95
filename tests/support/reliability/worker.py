"""A worker process for the concurrency and kill tests, run as a ``python -m`` module.

The parent writes one JSON line (the job) on stdin; the worker opens its store,
prints ``{"ready": true}``, waits for a ``go`` line, runs the job and prints one
JSON line per event. The job never raises: every exception a call surfaces is
reported as ``{"error": ...}`` for the parent to assert on. The URL travels on
stdin, never on the command line, so no password shows in a process listing.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import sys
from typing import Any

from locus.core.messages import Message
from locus.core.state import AgentState

from locus_store import CheckpointExistsError, CheckpointNotFoundError, ParentNotFoundError, Store


def emit(**event: Any) -> None:
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


def tagged_state(tag: str, size: int = 0) -> AgentState:
    """A state every part of which carries ``tag``: a mix of two saves is visible."""
    filler = f" {tag}" * max(size // (len(tag) + 1), 0)
    return AgentState(
        agent_id=tag,
        messages=(Message.user(f"{tag} question{filler}"), Message.assistant(f"{tag} answer")),
    )


def tagged_writes(tag: str, width: int, size: int = 0) -> list[tuple[str, Any]]:
    pad = "x" * size
    return [(f"channel-{k}", {"tag": tag, "k": k, "pad": pad}) for k in range(width)]


async def guarded(errors: list[str], call: Any) -> Any:
    try:
        return await call
    except Exception as exc:
        errors.append(f"{type(exc).__name__}: {exc}"[:500])
        return None


async def saves(store: Store, writer: int, job: dict[str, Any]) -> None:
    """Single-row and versioned saves to a shared thread and to this writer's own thread."""
    latest, view = store.latest(), store.versioned().as_checkpointer()
    errors: list[str] = []
    for i in range(job["count"]):
        tag = f"w{writer}x{i}"
        state = tagged_state(tag, job.get("size", 0))
        meta = {"writer": writer, "i": i}
        for thread in ("shared", f"own-{writer}"):
            await guarded(errors, latest.save(state, thread, checkpoint_id=tag, metadata=meta))
            await guarded(errors, view.save(state, thread, checkpoint_id=tag, metadata=meta))
    emit(done=True, errors=errors)


async def with_checkpoint(saver: Any, thread_id: str, checkpoint_id: str) -> None:
    """Put the root checkpoint pending writes belong to, unless another process did."""
    with contextlib.suppress(CheckpointExistsError):
        await saver.put(thread_id=thread_id, checkpoint_id=checkpoint_id, checkpoint_data={})


async def writes(store: Store, writer: int, job: dict[str, Any]) -> None:
    """Replace one task's writes again and again; read them back between replacements."""
    saver = store.versioned()
    key = {"thread_id": "w", "checkpoint_id": "c", "task_id": "task"}
    await with_checkpoint(saver, "w", "c")
    errors: list[str] = []
    mixed: list[Any] = []
    for j in range(job["count"]):
        tag = f"w{writer}x{j}"
        await guarded(errors, saver.put_writes(**key, writes=tagged_writes(tag, job["width"])))
        rows = await guarded(errors, saver.get_writes(**key))
        if rows and len({r["value"]["tag"] for r in rows}) != 1:
            mixed.append(rows)
    emit(done=True, errors=errors, mixed=mixed)


async def vacuums(store: Store, writer: int, job: dict[str, Any]) -> None:
    """Vacuum both repositories with a window until ``stop`` shows up on stdin."""
    latest, saver = store.latest(), store.versioned()
    errors: list[str] = []
    removed = 0
    stop = asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    while not stop.done():
        removed += await guarded(errors, latest.vacuum(older_than_days=job["days"])) or 0
        removed += await guarded(errors, saver.vacuum(older_than_days=job["days"])) or 0
    emit(done=True, errors=errors, removed=removed)


async def kill_me(store: Store, writer: int, job: dict[str, Any]) -> None:
    """Write big write sets and big saves forever, announcing each: the parent kills us."""
    saver, latest = store.versioned(), store.latest()
    view = saver.as_checkpointer()
    await with_checkpoint(saver, "k-writes", "c")  # apart from the lineage of "k"
    for j in itertools.count():
        tag = f"p{writer}x{j}"
        state = tagged_state(tag, job["size"] * job["width"])
        writes = tagged_writes(tag, job["width"], job["size"])
        meta = {"tag": tag}
        operations = [
            (
                "put_writes",
                saver.put_writes(
                    thread_id="k-writes",
                    checkpoint_id="c",
                    task_id=f"task-{j % job['tasks']}",
                    writes=writes,
                ),
            ),
            ("latest.save", latest.save(state, "k", checkpoint_id=tag, metadata=meta)),
            ("view.save", view.save(state, "k", checkpoint_id=tag, metadata=meta)),
        ]
        for name, operation in operations:
            emit(begin=j, op=name)
            await operation
            emit(end=j, op=name)


async def agent_runs(store: Store, writer: int, job: dict[str, Any]) -> None:
    """Run a graph-like loop on thread ``erased`` in every contract, as long as it is erased.

    Each step puts a checkpoint (a child of the previous one) and its pending writes
    in the versioned and LangGraph tables, and saves the single-row thread. A step
    refused because the thread was erased meanwhile starts a new run from a root.
    """
    from langgraph.checkpoint.base import ChannelVersions, empty_checkpoint

    thread = "erased"
    versioned, latest, graph = store.versioned(), store.latest(), store.langgraph_saver()
    errors: list[str] = []
    refused = 0
    parent: str | None = None
    config: Any = {"configurable": {"thread_id": thread, "checkpoint_ns": ""}}
    versions: dict[str, Any] = {}
    for i in range(job["count"]):
        tag = f"w{writer}x{i}"
        try:
            await versioned.put(
                thread_id=thread,
                checkpoint_id=tag,
                checkpoint_data={"step": i},
                parent_checkpoint_id=parent,
            )
            parent = tag
            await versioned.put_writes(
                thread_id=thread, checkpoint_id=tag, task_id="task", writes=[("a", i), ("b", i)]
            )
        except (ParentNotFoundError, CheckpointNotFoundError):
            refused += 1
            parent = None
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}"[:500])
        try:
            changed = {"a": i} if versions else {"a": i, "b": "first"}
            new: ChannelVersions = {
                c: graph.get_next_version(versions.get(c), None) for c in changed
            }
            checkpoint = empty_checkpoint()
            checkpoint["channel_values"] = {"a": i, "b": "first"}
            checkpoint["channel_versions"] = {**versions, **new}
            config = await graph.aput(config, checkpoint, {"source": "loop", "step": i}, new)
            versions.update(new)
            await graph.aput_writes(config, [("a", i), ("b", i)], f"task-{i}")
        except CheckpointNotFoundError:
            refused += 1
            config = {"configurable": {"thread_id": thread, "checkpoint_ns": ""}}
            versions = {}
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}"[:500])
        await guarded(errors, latest.save(tagged_state(tag), thread, checkpoint_id=tag))
    emit(done=True, errors=errors, refused=refused)


async def erasures(store: Store, writer: int, job: dict[str, Any]) -> None:
    """Erase thread ``erased`` until ``count`` erasures removed something (30 s at most)."""
    errors: list[str] = []
    removed = hits = 0
    deadline = asyncio.get_running_loop().time() + 30
    while hits < job["count"] and asyncio.get_running_loop().time() < deadline:
        report = await guarded(errors, store.erase_thread("erased"))
        if report:
            hits += 1
            removed += report.total
        await asyncio.sleep(job.get("pause", 0.01))
    emit(done=True, errors=errors, removed=removed, hits=hits)


async def memory_puts(store: Store, writer: int, job: dict[str, Any]) -> None:
    """Put one shared memory item ``count`` times, each put whole (value, metadata, text)."""
    from locus_store.memory.items import ItemPut, MemoryItems

    items = MemoryItems(store)
    errors: list[str] = []
    pad = "x" * job.get("size", 0)
    for i in range(job["count"]):
        tag = f"w{writer}x{i}"
        put = ItemPut(
            ("shared", "memory"),
            "k",
            {"tag": tag, "pad": pad},
            {"tag": tag},
            search_text=f"token{tag}",
        )
        await guarded(errors, items.put([put]))
    emit(done=True, errors=errors)


JOBS = {
    "memory_puts": memory_puts,
    "saves": saves,
    "writes": writes,
    "vacuums": vacuums,
    "kill_me": kill_me,
    "agent_runs": agent_runs,
    "erasures": erasures,
}


async def main() -> None:
    job = json.loads(sys.stdin.readline())
    store = Store.from_url(job["url"], table_prefix=job["prefix"])
    try:
        await store.run(lambda conn: conn.exec_driver_sql("SELECT 1"))
        emit(ready=True)
        if sys.stdin.readline().strip() != "go":
            return
        await JOBS[job["job"]](store, job["writer"], job)
    finally:
        await store.close()


if __name__ == "__main__":
    asyncio.run(main())
