"""The single-row checkpointer (``store.latest()``) honours Locus's checkpointer contract.

One row per thread, latest save wins. Every test runs on each backend of the
``store`` fixture. Search, metadata, vacuum, TTL and branching have their own
``test_latest_*.py`` files.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa
from locus.core.messages import Message, ToolCall, ToolResult
from locus.core.protocols import CheckpointerCapabilities
from locus.core.state import AgentState
from locus.memory import BaseCheckpointer

from locus_store import InvalidInputError, InvalidTypeError, Store
from locus_store.latest.checkpointer import LatestCheckpointer
from locus_store.schema.types import EMPTY_STRING_SENTINEL
from locus_store.sql.like import glob_to_like


def conversation(*texts: str, agent_id: str = "agent") -> AgentState:
    """A state whose messages alternate user / assistant, in order."""
    state = AgentState(agent_id=agent_id)
    for i, content in enumerate(texts):
        state = state.with_message(
            Message.user(content) if i % 2 == 0 else Message.assistant(content)
        )
    return state


async def stored_rows(store: Store) -> list[tuple[Any, ...]]:
    t = store.schema.threads
    query = sa.select(t.c.thread_id, t.c.checkpoint_id, t.c.state, t.c.metadata).order_by(
        t.c.thread_id
    )
    return [tuple(r) for r in await store.run(lambda c: c.execute(query))]


# -- the contract's core: save, load, list_checkpoints, exists, delete -------------------------


async def test_save_returns_the_checkpoint_id_it_was_given(store: Store) -> None:
    cp = store.latest()
    assert await cp.save(conversation("hi"), "t1", checkpoint_id="c-1") == "c-1"


async def test_save_generates_a_fresh_checkpoint_id_when_none_is_given(store: Store) -> None:
    cp = store.latest()
    first = await cp.save(conversation("hi"), "t1")
    second = await cp.save(conversation("hi"), "t1")
    assert first
    assert second
    assert first != second


async def test_load_returns_exactly_the_state_that_was_saved(store: Store) -> None:
    cp = store.latest()
    call = ToolCall(id="call-1", name="lookup", arguments={"order": "A17", "n": 3, "x": 0.5})
    state = (
        conversation("Where is my order? ünïcödé ✓", "Let me check.")
        .with_message(Message.assistant(content=None, tool_calls=[call]))
        .with_message(Message.tool(ToolResult(tool_call_id="call-1", name="lookup", content="Tue")))
        .with_metadata("customer", {"tier": "gold", "since": 2019, "flags": [True, None]})
    )
    await cp.save(state, "t1")
    assert await cp.load("t1") == state


async def test_load_of_an_unknown_thread_is_none(store: Store) -> None:
    assert await store.latest().load("nobody") is None


async def test_the_latest_save_wins(store: Store) -> None:
    cp = store.latest()
    await cp.save(conversation("first"), "t1", checkpoint_id="c-1")
    latest = conversation("first", "second")
    await cp.save(latest, "t1", checkpoint_id="c-2")
    assert await cp.load("t1") == latest
    assert await cp.list_checkpoints("t1") == ["c-2"]
    assert len(await stored_rows(store)) == 1


async def test_load_with_the_current_checkpoint_id_returns_the_state(store: Store) -> None:
    cp = store.latest()
    state = conversation("hi")
    await cp.save(state, "t1", checkpoint_id="c-1")
    assert await cp.load("t1", "c-1") == state


async def test_load_with_a_superseded_checkpoint_id_is_none(store: Store) -> None:
    cp = store.latest()
    await cp.save(conversation("old"), "t1", checkpoint_id="c-1")
    await cp.save(conversation("new"), "t1", checkpoint_id="c-2")
    assert await cp.load("t1", "c-1") is None


async def test_list_checkpoints_of_an_unknown_thread_is_empty(store: Store) -> None:
    assert await store.latest().list_checkpoints("nobody") == []


async def test_threads_are_independent(store: Store) -> None:
    cp = store.latest()
    one = conversation("one")
    await cp.save(one, "t1", checkpoint_id="c-1")
    await cp.save(conversation("two"), "t2", checkpoint_id="c-2")
    assert await cp.load("t1") == one
    assert await cp.list_checkpoints("t2") == ["c-2"]


async def test_exists_knows_the_thread_and_its_current_checkpoint_only(store: Store) -> None:
    cp = store.latest()
    await cp.save(conversation("old"), "t1", checkpoint_id="c-1")
    await cp.save(conversation("new"), "t1", checkpoint_id="c-2")
    assert await cp.exists("t1")
    assert await cp.exists("t1", "c-2")
    assert not await cp.exists("t1", "c-1")
    assert not await cp.exists("nobody")


async def test_delete_without_an_id_removes_the_thread(store: Store) -> None:
    cp = store.latest()
    await cp.save(conversation("hi"), "t1")
    await cp.save(conversation("hi"), "t2")
    assert await cp.delete("t1") is True
    assert await cp.load("t1") is None
    assert await cp.load("t2") is not None


async def test_delete_of_an_unknown_thread_is_false(store: Store) -> None:
    assert await store.latest().delete("nobody") is False


async def test_delete_with_the_current_id_removes_the_thread(store: Store) -> None:
    cp = store.latest()
    await cp.save(conversation("hi"), "t1", checkpoint_id="c-1")
    assert await cp.delete("t1", "c-1") is True
    assert await cp.load("t1") is None


async def test_delete_with_a_superseded_id_never_removes_the_current_state(store: Store) -> None:
    # The Agent saves each iteration under its own id, then the turn's final state
    # without one, then deletes the iteration ids: the final state must survive.
    cp = store.latest()
    await cp.save(conversation("iteration"), "t1", checkpoint_id="iteration-1")
    final = conversation("iteration", "final")
    final_id = await cp.save(final, "t1")
    assert await cp.delete("t1", "iteration-1") is False
    assert await cp.load("t1") == final
    assert await cp.list_checkpoints("t1") == [final_id]


async def test_save_keeps_created_at_and_moves_updated_at(store: Store) -> None:
    cp = store.latest()
    await cp.save(conversation("first"), "t1")
    first = await cp.get_metadata("t1")
    await cp.save(conversation("second"), "t1")
    second = await cp.get_metadata("t1")
    assert first is not None
    assert second is not None
    assert second["created_at"] == first["created_at"]
    assert second["updated_at"] > first["updated_at"]


async def test_concurrent_first_saves_of_one_thread_leave_one_row(store: Store) -> None:
    cp = store.latest()
    states = [conversation(f"writer {i}") for i in range(8)]
    ids = await asyncio.gather(
        *(cp.save(s, "race", checkpoint_id=f"c-{i}") for i, s in enumerate(states))
    )
    [current] = await cp.list_checkpoints("race")
    assert current in ids
    assert await cp.load("race") == states[ids.index(current)]
    assert len(await stored_rows(store)) == 1


async def test_close_leaves_the_checkpointer_usable(store: Store) -> None:
    cp = store.latest()
    state = conversation("hi")
    await cp.save(state, "t1")
    await cp.close()
    assert await cp.load("t1") == state


# -- what it is and what it can do -------------------------------------------------------------


def test_it_is_a_locus_checkpointer_that_deletes_single_checkpoints(store: Store) -> None:
    cp = store.latest()
    assert isinstance(cp, BaseCheckpointer)
    assert isinstance(cp, LatestCheckpointer)
    assert cp.deletes_single_checkpoints is True


def test_capabilities_report_everything_it_does_and_no_ttl_by_default(store: Store) -> None:
    assert store.latest().capabilities == CheckpointerCapabilities(
        search=True,
        metadata_query=True,
        vacuum=True,
        branching=True,
        ttl=False,
        list_threads=True,
        list_with_metadata=True,
        persistent_checkpoint_ids=True,
    )


def test_capabilities_report_ttl_only_when_one_is_configured(store: Store) -> None:
    assert store.latest(ttl=dt.timedelta(hours=1)).capabilities.ttl is True


async def test_a_bound_store_saves_inside_the_callers_transaction(store: Store) -> None:
    draft = conversation("draft")
    async with store.engine.connect() as conn, conn.begin() as tx:
        await store.bind(conn).latest().save(draft, "t1")
        assert await store.bind(conn).latest().load("t1") == draft
        await tx.rollback()
    assert await store.latest().load("t1") is None


# -- list_threads ------------------------------------------------------------------------------


async def _save_threads(store: Store, *thread_ids: str) -> None:
    cp = store.latest()
    for thread_id in thread_ids:
        await cp.save(conversation(thread_id), thread_id)


async def test_list_threads_with_the_default_pattern_lists_every_thread_newest_first(
    store: Store,
) -> None:
    await _save_threads(store, "a", "b", "c")
    await store.latest().save(conversation("again"), "a")
    assert await store.latest().list_threads() == ["a", "c", "b"]


async def test_list_threads_honours_its_limit(store: Store) -> None:
    await _save_threads(store, "a", "b", "c")
    assert await store.latest().list_threads(limit=2) == ["c", "b"]


async def test_list_threads_star_matches_any_run_of_characters(store: Store) -> None:
    await _save_threads(store, "user-1/chat", "user-2/chat", "user-1/mail", "admin")
    assert sorted(await store.latest().list_threads(pattern="user-*/chat")) == [
        "user-1/chat",
        "user-2/chat",
    ]


async def test_list_threads_question_mark_matches_one_character(store: Store) -> None:
    await _save_threads(store, "t1", "t22", "t3")
    assert sorted(await store.latest().list_threads(pattern="t?")) == ["t1", "t3"]


async def test_list_threads_takes_percent_and_underscore_literally(store: Store) -> None:
    await _save_threads(store, "100%", "100x", "a_b", "axb", "a/b")
    cp = store.latest()
    assert await cp.list_threads(pattern="100%") == ["100%"]
    assert await cp.list_threads(pattern="a_b") == ["a_b"]
    assert await cp.list_threads(pattern="a/b") == ["a/b"]
    assert sorted(await cp.list_threads(pattern="a?b")) == ["a/b", "a_b", "axb"]


async def test_list_threads_without_a_match_is_empty(store: Store) -> None:
    await _save_threads(store, "a")
    assert await store.latest().list_threads(pattern="z*") == []


def test_glob_to_like_escapes_like_wildcards_and_its_escape_character() -> None:
    assert glob_to_like("*a_b%c!d?") == "%a!_b!%c!!d_"


# -- one statement per save --------------------------------------------------------------------


class StatementCounter:
    def __init__(self, store: Store) -> None:
        self.engine = store.engine.sync_engine
        self.statements: list[str] = []

    def __enter__(self) -> list[str]:
        sa.event.listen(self.engine, "before_cursor_execute", self._count)
        return self.statements

    def __exit__(self, *exc: object) -> None:
        sa.event.remove(self.engine, "before_cursor_execute", self._count)

    def _count(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        self.statements.append(statement)


async def test_saving_a_new_thread_sends_exactly_one_statement(store: Store) -> None:
    cp = store.latest()
    await cp.list_threads()  # a warm pool: connecting may run set-up statements of its own
    with StatementCounter(store) as statements:
        await cp.save(conversation("hi"), "t1", metadata={"k": "v"})
    assert len(statements) == 1, statements


async def test_saving_over_an_existing_thread_sends_exactly_one_statement(store: Store) -> None:
    cp = store.latest()
    await cp.save(conversation("hi"), "t1")
    with StatementCounter(store) as statements:
        await cp.save(conversation("hi", "again"), "t1")
    assert len(statements) == 1, statements


async def test_loading_sends_exactly_one_statement(store: Store) -> None:
    cp = store.latest()
    await cp.save(conversation("hi"), "t1")
    with StatementCounter(store) as statements:
        await cp.load("t1")
    assert len(statements) == 1, statements


# -- validation before any SQL: a refused call changes nothing ---------------------------------

BAD_IDS: list[tuple[object, type[Exception]]] = [
    ("", InvalidInputError),
    ("x" * 256, InvalidInputError),
    ("nul\x00byte", InvalidInputError),
    ("\ud800", InvalidInputError),
    (EMPTY_STRING_SENTINEL, InvalidInputError),
    (None, InvalidTypeError),
    (42, InvalidTypeError),
    (b"bytes", InvalidTypeError),
]


@pytest.mark.parametrize(("thread_id", "error"), BAD_IDS)
async def test_a_bad_thread_id_is_refused_before_any_sql(
    store: Store, thread_id: object, error: type[Exception]
) -> None:
    cp = store.latest()
    with StatementCounter(store) as statements:
        with pytest.raises(error, match="thread_id"):
            await cp.save(conversation("hi"), thread_id)  # type: ignore[arg-type]
        with pytest.raises(error, match="thread_id"):
            await cp.load(thread_id)  # type: ignore[arg-type]
        with pytest.raises(error, match="thread_id"):
            await cp.delete(thread_id)  # type: ignore[arg-type]
    assert statements == []


@pytest.mark.parametrize(("checkpoint_id", "error"), [b for b in BAD_IDS if b[0] is not None])
async def test_a_bad_checkpoint_id_is_refused_and_changes_nothing(
    store: Store, checkpoint_id: object, error: type[Exception]
) -> None:
    cp = store.latest()
    await cp.save(conversation("kept"), "t1", checkpoint_id="c-1")
    before = await stored_rows(store)
    with pytest.raises(error, match="checkpoint_id"):
        await cp.save(conversation("lost"), "t1", checkpoint_id=checkpoint_id)  # type: ignore[arg-type]
    assert await stored_rows(store) == before


def test_a_valueerror_or_typeerror_is_what_callers_catch() -> None:
    assert issubclass(InvalidInputError, ValueError)
    assert issubclass(InvalidTypeError, TypeError)


BAD_METADATA: list[tuple[object, type[Exception]]] = [
    ("not a dict", InvalidTypeError),
    ([("k", "v")], InvalidTypeError),
    ({1: "int key"}, InvalidTypeError),
    ({"k": object()}, InvalidTypeError),
    ({"k": float("nan")}, InvalidInputError),
    ({"k": "nul\x00"}, InvalidInputError),
]


@pytest.mark.parametrize(("metadata", "error"), BAD_METADATA)
async def test_bad_metadata_is_refused_and_changes_nothing(
    store: Store, metadata: object, error: type[Exception]
) -> None:
    cp = store.latest()
    await cp.save(conversation("kept"), "t1", metadata={"k": "v"})
    before = await stored_rows(store)
    with pytest.raises(error, match="metadata"):
        await cp.save(conversation("lost"), "t1", metadata=metadata)  # type: ignore[arg-type]
    assert await stored_rows(store) == before


async def test_a_state_that_is_not_an_agent_state_is_refused(store: Store) -> None:
    cp = store.latest()
    with pytest.raises(InvalidTypeError, match="AgentState"):
        await cp.save({"messages": []}, "t1")  # type: ignore[arg-type]
    assert await stored_rows(store) == []


async def test_a_state_that_is_not_valid_unicode_is_refused_and_changes_nothing(
    store: Store,
) -> None:
    cp = store.latest()
    await cp.save(conversation("kept"), "t1")
    before = await stored_rows(store)
    with pytest.raises(InvalidInputError, match="state"):
        await cp.save(conversation("lone surrogate \ud800"), "t1")
    assert await stored_rows(store) == before


@pytest.mark.parametrize(
    ("limit", "error"),
    [
        (0, InvalidInputError),
        (-1, InvalidInputError),
        (True, InvalidTypeError),
        ("9", InvalidTypeError),
    ],
)
async def test_a_bad_limit_is_refused(store: Store, limit: object, error: type[Exception]) -> None:
    cp = store.latest()
    with pytest.raises(error, match="limit"):
        await cp.list_threads(limit=limit)  # type: ignore[arg-type]
    with pytest.raises(error, match="limit"):
        await cp.list_checkpoints("t1", limit=limit)  # type: ignore[arg-type]
    with pytest.raises(error, match="limit"):
        await cp.list_with_metadata(limit=limit)  # type: ignore[arg-type]


@pytest.mark.parametrize(("pattern", "error"), [("", InvalidInputError), (None, InvalidTypeError)])
async def test_a_bad_thread_pattern_is_refused(
    store: Store, pattern: object, error: type[Exception]
) -> None:
    with pytest.raises(error, match="pattern"):
        await store.latest().list_threads(pattern=pattern)  # type: ignore[arg-type]
