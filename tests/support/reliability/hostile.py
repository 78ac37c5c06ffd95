"""What the hostile-input tests feed the repositories, and every public method's id slots.

:data:`ID_SLOTS` names each argument of each public repository method that takes
an id (thread, checkpoint, namespace, task, channel, glob pattern), with a call
that puts a given value there and valid values everywhere else.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from locus.core.messages import Message
from locus.core.state import AgentState

from locus_store import InvalidInputError, InvalidTypeError, Store
from locus_store.latest.checkpointer import LatestCheckpointer
from locus_store.schema.types import EMPTY_STRING_SENTINEL
from locus_store.versioned.checkpointer import VersionedCheckpointer
from locus_store.versioned.saver import VersionedSaver

#: Thread, checkpoint and task ids that every method refuses, with the error it raises.
BAD_IDS: dict[str, tuple[object, type[Exception]]] = {
    "empty": ("", InvalidInputError),
    "10KB": ("x" * 10_000, InvalidInputError),
    "NUL": ("a\x00b", InvalidInputError),
    "lone-surrogate": ("a\ud800b", InvalidInputError),
    "reserved-sentinel": (EMPTY_STRING_SENTINEL, InvalidInputError),
    "int": (42, InvalidTypeError),
    "bytes": (b"thread", InvalidTypeError),
    "list": (["thread"], InvalidTypeError),
    "None": (None, InvalidTypeError),
}

#: Ids that look like SQL, JSON paths, wildcards or markup: stored and found exactly.
HOSTILE_IDS = (
    "'; DROP TABLE locus_threads; --",
    "a') OR 1=1 --",
    '" OR ""="',
    "$..*",
    "$.a[0]",
    "%",
    "_",
    "*",
    "?",
    "[a-z]",
    "\\",
    "\\u0000",
    "{a,b}",
    " ",
    "\t\n",
    "ünï-çødé 🤖",
    "\u202eevil",
    "x" * 255,
)


@dataclass
class Repos:
    latest: LatestCheckpointer
    saver: VersionedSaver
    view: VersionedCheckpointer

    @classmethod
    def of(cls, store: Store) -> Repos:
        saver = store.versioned()
        return cls(store.latest(), saver, saver.as_checkpointer())


Call = Callable[[Repos, Any], Awaitable[Any]]


def state(text: str = "hello") -> AgentState:
    return AgentState(agent_id="a", messages=(Message.user(text),))


#: (method, argument) -> (call with the value in that argument, whether "" is a valid value)
ID_SLOTS: dict[str, tuple[Call, bool]] = {
    # -- the single-row checkpointer --------------------------------------------------
    "latest.save/thread_id": (lambda r, v: r.latest.save(state(), v), False),
    "latest.save/checkpoint_id": (lambda r, v: r.latest.save(state(), "t", checkpoint_id=v), False),
    "latest.load/thread_id": (lambda r, v: r.latest.load(v), False),
    "latest.load/checkpoint_id": (lambda r, v: r.latest.load("t", v), False),
    "latest.list_checkpoints/thread_id": (lambda r, v: r.latest.list_checkpoints(v), False),
    "latest.exists/thread_id": (lambda r, v: r.latest.exists(v), False),
    "latest.exists/checkpoint_id": (lambda r, v: r.latest.exists("t", v), False),
    "latest.delete/thread_id": (lambda r, v: r.latest.delete(v), False),
    "latest.delete/checkpoint_id": (lambda r, v: r.latest.delete("seed", v), False),
    "latest.get_metadata/thread_id": (lambda r, v: r.latest.get_metadata(v), False),
    "latest.get_metadata/checkpoint_id": (lambda r, v: r.latest.get_metadata("t", v), False),
    "latest.copy_thread/source": (lambda r, v: r.latest.copy_thread(v, "t-new"), False),
    "latest.copy_thread/dest": (lambda r, v: r.latest.copy_thread("seed", v), False),
    "latest.list_threads/pattern": (lambda r, v: r.latest.list_threads(pattern=v), False),
    # -- the versioned saver ------------------------------------------------------------
    "saver.put/thread_id": (
        lambda r, v: r.saver.put(thread_id=v, checkpoint_id="c", checkpoint_data={}),
        False,
    ),
    "saver.put/checkpoint_id": (
        lambda r, v: r.saver.put(thread_id="t", checkpoint_id=v, checkpoint_data={}),
        False,
    ),
    "saver.put/checkpoint_ns": (
        lambda r, v: r.saver.put(
            thread_id="t", checkpoint_id="c", checkpoint_data={}, checkpoint_ns=v
        ),
        True,
    ),
    "saver.put/parent_checkpoint_id": (
        lambda r, v: r.saver.put(
            thread_id="seed", checkpoint_id="c9", checkpoint_data={}, parent_checkpoint_id=v
        ),
        False,
    ),
    "saver.get/thread_id": (lambda r, v: r.saver.get(thread_id=v), False),
    "saver.get/checkpoint_id": (lambda r, v: r.saver.get(thread_id="t", checkpoint_id=v), False),
    "saver.get/checkpoint_ns": (lambda r, v: r.saver.get(thread_id="t", checkpoint_ns=v), True),
    "saver.list_checkpoints/thread_id": (lambda r, v: r.saver.list_checkpoints(thread_id=v), False),
    "saver.list_checkpoints/checkpoint_ns": (
        lambda r, v: r.saver.list_checkpoints(thread_id="t", checkpoint_ns=v),
        True,
    ),
    "saver.list_checkpoints/before": (
        lambda r, v: r.saver.list_checkpoints(thread_id="t", before=v),
        False,
    ),
    "saver.put_writes/thread_id": (
        lambda r, v: r.saver.put_writes(thread_id=v, checkpoint_id="c", task_id="k", writes=[]),
        False,
    ),
    "saver.put_writes/checkpoint_id": (
        lambda r, v: r.saver.put_writes(thread_id="t", checkpoint_id=v, task_id="k", writes=[]),
        False,
    ),
    "saver.put_writes/task_id": (
        lambda r, v: r.saver.put_writes(thread_id="t", checkpoint_id="c", task_id=v, writes=[]),
        False,
    ),
    "saver.put_writes/checkpoint_ns": (
        lambda r, v: r.saver.put_writes(
            thread_id="t", checkpoint_id="c", task_id="k", writes=[], checkpoint_ns=v
        ),
        True,
    ),
    "saver.put_writes/channel": (
        lambda r, v: r.saver.put_writes(
            thread_id="seed", checkpoint_id="s1", task_id="k", writes=[("ok", 1), (v, 2)]
        ),
        True,
    ),
    "saver.get_writes/thread_id": (
        lambda r, v: r.saver.get_writes(thread_id=v, checkpoint_id="c"),
        False,
    ),
    "saver.get_writes/checkpoint_id": (
        lambda r, v: r.saver.get_writes(thread_id="t", checkpoint_id=v),
        False,
    ),
    "saver.get_writes/task_id": (
        lambda r, v: r.saver.get_writes(thread_id="t", checkpoint_id="c", task_id=v),
        False,
    ),
    "saver.get_writes/checkpoint_ns": (
        lambda r, v: r.saver.get_writes(thread_id="t", checkpoint_id="c", checkpoint_ns=v),
        True,
    ),
    "saver.delete_thread/thread_id": (lambda r, v: r.saver.delete_thread(v), False),
    "saver.copy_thread/source": (lambda r, v: r.saver.copy_thread(v, "t-new"), False),
    "saver.copy_thread/dest": (lambda r, v: r.saver.copy_thread("seed", v), False),
    "saver.append/thread_id": (
        lambda r, v: r.saver.append(thread_id=v, checkpoint_id="c", checkpoint_data={}),
        False,
    ),
    "saver.append/checkpoint_id": (
        lambda r, v: r.saver.append(thread_id="seed", checkpoint_id=v, checkpoint_data={}),
        False,
    ),
    "saver.append/checkpoint_ns": (
        lambda r, v: r.saver.append(
            thread_id="t", checkpoint_id="c", checkpoint_data={}, checkpoint_ns=v
        ),
        True,
    ),
    "saver.checkpoint_ids/thread_id": (lambda r, v: r.saver.checkpoint_ids(thread_id=v), False),
    "saver.checkpoint_ids/checkpoint_ns": (
        lambda r, v: r.saver.checkpoint_ids(thread_id="t", checkpoint_ns=v),
        True,
    ),
    "saver.delete_checkpoint/thread_id": (
        lambda r, v: r.saver.delete_checkpoint(thread_id=v, checkpoint_id="s1"),
        False,
    ),
    "saver.delete_checkpoint/checkpoint_id": (
        lambda r, v: r.saver.delete_checkpoint(thread_id="seed", checkpoint_id=v),
        False,
    ),
    "saver.delete_checkpoint/checkpoint_ns": (
        lambda r, v: r.saver.delete_checkpoint(
            thread_id="seed", checkpoint_id="s1", checkpoint_ns=v
        ),
        True,
    ),
    "saver.delete_namespace/thread_id": (
        lambda r, v: r.saver.delete_namespace(thread_id=v),
        False,
    ),
    "saver.delete_namespace/checkpoint_ns": (
        lambda r, v: r.saver.delete_namespace(thread_id="seed", checkpoint_ns=v),
        True,
    ),
    "saver.copy_namespace/source": (
        lambda r, v: r.saver.copy_namespace(source_thread_id=v, dest_thread_id="t-new"),
        False,
    ),
    "saver.copy_namespace/dest": (
        lambda r, v: r.saver.copy_namespace(source_thread_id="seed", dest_thread_id=v),
        False,
    ),
    "saver.copy_namespace/checkpoint_ns": (
        lambda r, v: r.saver.copy_namespace(
            source_thread_id="seed", dest_thread_id="t-new", checkpoint_ns=v
        ),
        True,
    ),
    "saver.vacuum/checkpoint_ns": (
        lambda r, v: r.saver.vacuum(older_than_days=0, checkpoint_ns=v),
        True,
    ),
    "saver.list_threads/checkpoint_ns": (lambda r, v: r.saver.list_threads(checkpoint_ns=v), True),
    "saver.list_threads/pattern": (lambda r, v: r.saver.list_threads(pattern=v), True),
    "saver.recent/checkpoint_ns": (lambda r, v: r.saver.recent(checkpoint_ns=v), True),
    # -- the versioned saver as an Agent checkpointer -------------------------------------------
    "view.save/thread_id": (lambda r, v: r.view.save(state(), v), False),
    "view.save/checkpoint_id": (lambda r, v: r.view.save(state(), "seed", checkpoint_id=v), False),
    "view.load/thread_id": (lambda r, v: r.view.load(v), False),
    "view.load/checkpoint_id": (lambda r, v: r.view.load("seed", v), False),
    "view.list_checkpoints/thread_id": (lambda r, v: r.view.list_checkpoints(v), False),
    "view.exists/thread_id": (lambda r, v: r.view.exists(v), False),
    "view.exists/checkpoint_id": (lambda r, v: r.view.exists("seed", v), False),
    "view.delete/thread_id": (lambda r, v: r.view.delete(v), False),
    "view.delete/checkpoint_id": (lambda r, v: r.view.delete("seed", v), False),
    "view.get_metadata/thread_id": (lambda r, v: r.view.get_metadata(v), False),
    "view.get_metadata/checkpoint_id": (lambda r, v: r.view.get_metadata("seed", v), False),
    "view.copy_thread/source": (lambda r, v: r.view.copy_thread(v, "t-new"), False),
    "view.copy_thread/dest": (lambda r, v: r.view.copy_thread("seed", v), False),
    "view.list_threads/pattern": (lambda r, v: r.view.list_threads(pattern=v), True),
}

#: Slots where ``None`` is a valid value (an optional id).
OPTIONAL_SLOTS = frozenset(
    {
        "latest.save/checkpoint_id",
        "latest.load/checkpoint_id",
        "latest.exists/checkpoint_id",
        "latest.delete/checkpoint_id",
        "latest.get_metadata/checkpoint_id",
        "saver.put/parent_checkpoint_id",
        "saver.get/checkpoint_id",
        "saver.list_checkpoints/before",
        "saver.get_writes/task_id",
        "view.save/checkpoint_id",
        "view.load/checkpoint_id",
        "view.exists/checkpoint_id",
        "view.delete/checkpoint_id",
        "view.get_metadata/checkpoint_id",
    }
)

#: Public methods without an id argument, and where their hostile input is tested.
NO_ID_ARGUMENT = {
    "latest.close": "nothing to refuse",
    "latest.search": "test_hostile_values: search queries",
    "latest.query_by_metadata": "test_hostile_values: metadata keys and values",
    "latest.list_with_metadata": "test_hostile_values: limits",
    "latest.vacuum": "test_hostile_values: vacuum windows",
    "saver.close": "nothing to refuse",
    "view.close": "nothing to refuse",
    "view.search": "raises NotImplementedError: no search capability",
    "view.query_by_metadata": "test_hostile_values: metadata keys and values",
    "view.list_with_metadata": "test_hostile_values: limits",
    "view.vacuum": "test_hostile_values: vacuum windows",
}

#: Values no JSON column may take, with the error each gets.
NOT_JSON: dict[str, tuple[object, type[Exception]]] = {
    "NaN": (float("nan"), InvalidInputError),
    "Infinity": (float("inf"), InvalidInputError),
    "-Infinity": (float("-inf"), InvalidInputError),
    "NUL": ("a\x00b", InvalidInputError),
    "lone-surrogate": ("a\udfffb", InvalidInputError),
    "datetime": (dt.datetime(2026, 1, 1, tzinfo=dt.UTC), InvalidTypeError),
    "Decimal": (Decimal("1.5"), InvalidTypeError),
    "set": ({1, 2}, InvalidTypeError),
    "bytes": (b"\x00\xff", InvalidTypeError),
    "object": (object(), InvalidTypeError),
    "int-key": ({1: "one"}, InvalidTypeError),
    "bool-key": ({True: "yes"}, InvalidTypeError),
    "NUL-key": ({"k\x00": 1}, InvalidInputError),
    "nested-NaN": ({"a": [1, {"b": float("nan")}]}, InvalidInputError),
}
