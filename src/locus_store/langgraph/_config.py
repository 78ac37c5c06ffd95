"""What the LangGraph saver reads from a ``RunnableConfig``, and how ``list`` pages.

A config names a checkpoint by (thread, namespace, id); LangGraph may hand the ids
over as ``str``, ``int`` or ``UUID``. Every key is checked here, before any SQL.
`Pages` is the paging of ``list`` and ``alist`` alike: newest first, a page at a time,
each continuing after the last checkpoint of the one before.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import CheckpointTuple

from locus_store.errors import InvalidInputError, InvalidTypeError
from locus_store.validation import require_key

#: (thread_id, checkpoint_ns, checkpoint_id)
CheckpointKey = tuple[str, str, str]
#: A page of a listing (a module-level name: ``list`` is a method of the savers).
Tuples = list[CheckpointTuple]

#: Checkpoints fetched per round trip while listing.
LIST_PAGE_SIZE = 50


def key_text(value: object, what: str) -> str:
    """A key LangGraph may hand over as ``str``, ``int`` or ``UUID``, as checked text."""
    if isinstance(value, int | uuid.UUID) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise InvalidTypeError(f"{what} must be a string, not {type(value).__name__}")
    return require_key(value, what)


def require_many(values: object, what: str) -> None:
    """Refuse one string where a sequence of ids is expected (it would be read letter by letter)."""
    if isinstance(values, str | bytes):
        raise InvalidTypeError(
            f"{what} must be a sequence of ids, not a single string: pass [{values!r}]"
        )


def address(config: RunnableConfig) -> tuple[str, str, str | None]:
    """(thread_id, checkpoint_ns, checkpoint_id or None) of a config."""
    configurable = config.get("configurable") or {}
    if configurable.get("thread_id") is None:
        raise InvalidInputError("config['configurable']['thread_id'] is required")
    thread_id = key_text(configurable["thread_id"], "thread_id")
    ns = require_key(configurable.get("checkpoint_ns") or "", "checkpoint_ns", allow_empty=True)
    checkpoint_id = configurable.get("checkpoint_id")
    return thread_id, ns, require_key(checkpoint_id, "checkpoint_id") if checkpoint_id else None


def checkpoint_config(thread_id: str, ns: str, checkpoint_id: str) -> RunnableConfig:
    """The config naming one checkpoint."""
    return {
        "configurable": {
            "thread_id": thread_id,
            "checkpoint_ns": ns,
            "checkpoint_id": checkpoint_id,
        }
    }


def key_of(config: RunnableConfig) -> CheckpointKey:
    """The (thread, namespace, id) of a config `checkpoint_config` made."""
    c = config["configurable"]
    return c["thread_id"], c["checkpoint_ns"], c["checkpoint_id"]


@dataclass(frozen=True)
class ListQuery:
    """What a ``list`` call selects (None: any)."""

    thread_id: str | None
    checkpoint_ns: str | None
    checkpoint_id: str | None
    before_id: str | None
    filter: dict[str, Any] | None


def list_query(
    config: RunnableConfig | None,
    filter: dict[str, Any] | None,
    before: RunnableConfig | None,
) -> ListQuery:
    """The checked arguments of ``list``/``alist``."""
    thread_id = ns = checkpoint_id = None
    if config is not None:
        thread_id, _, checkpoint_id = address(config)
        raw_ns = (config.get("configurable") or {}).get("checkpoint_ns")
        ns = None if raw_ns is None else require_key(raw_ns, "checkpoint_ns", allow_empty=True)
    before_id = None
    if before is not None:
        raw = (before.get("configurable") or {}).get("checkpoint_id")
        before_id = require_key(raw, "before checkpoint_id") if raw else None
    if filter is not None and not isinstance(filter, dict):
        raise InvalidTypeError(f"filter must be a dict or None, not {type(filter).__name__}")
    return ListQuery(thread_id, ns, checkpoint_id, before_id, filter or None)


class Pages:
    """The pages of one listing: iterating gives each page's (cursor, size).

    Pages hold at most `LIST_PAGE_SIZE` rows and together at most ``limit`` (no
    bound when ``limit`` is None). After fetching a page, hand it to `took`; the
    listing ends at the first short page::

        for cursor, size in pages:
            page = fetch(cursor, size)
            ...
            pages.took(page)
    """

    def __init__(self, limit: int | None) -> None:
        self._remaining = limit
        self._last: Sequence[CheckpointTuple] = ()

    def took(self, page: Sequence[CheckpointTuple]) -> None:
        """The page just fetched."""
        self._last = page

    def _taken(self) -> Sequence[CheckpointTuple]:
        page, self._last = self._last, ()
        return page

    def __iter__(self) -> Iterator[tuple[CheckpointKey | None, int]]:
        cursor: CheckpointKey | None = None
        while self._remaining is None or self._remaining > 0:
            size = (
                LIST_PAGE_SIZE if self._remaining is None else min(self._remaining, LIST_PAGE_SIZE)
            )
            yield cursor, size
            page = self._taken()
            if len(page) < size:
                return
            cursor = key_of(page[-1].config)
            if self._remaining is not None:
                self._remaining -= len(page)
