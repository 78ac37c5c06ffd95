"""Hostile values: metadata keys, non-JSON values, NUL, lone surrogates, search text, 10 MB.

Each is refused with a typed error before any SQL (and nothing stored changes), or
stored and read back exactly, the same way on every backend.

NUL characters: PostgreSQL's ``jsonb`` and ``text`` cannot hold ``\\u0000``, so the
store refuses a NUL anywhere in a state, document, metadata or write value, on every
backend alike (``InvalidInputError``), rather than store it on some backends only.
Text that merely shows the six characters ``\\u0000`` is ordinary text and round-trips.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from locus.core.messages import Message
from locus.core.state import AgentState

from locus_store import InvalidInputError, InvalidTypeError, LocusStoreError, Store
from locus_store.agent_state import MAX_SEARCH_TEXT
from tests.support.backends import Target
from tests.support.database import MODEL_BACKENDS, empty_tables, snapshot, statements_sent
from tests.support.reliability.hostile import NOT_JSON, Repos, state

Call = Callable[[Repos, Any], Awaitable[Any]]


async def refused_before_sql(
    store: Store, attempts: list[tuple[Callable[[], Awaitable[Any]], type[Exception]]]
) -> None:
    """Each attempt raises its typed error, sends nothing, and the tables stay as they were."""
    before = await snapshot(store)
    for attempt, error in attempts:
        with statements_sent(store) as sent, pytest.raises(error) as info:
            await attempt()
        assert isinstance(info.value, LocusStoreError)
        assert sent.statements == []
    assert await snapshot(store) == before


async def seed(repos: Repos) -> None:
    await repos.latest.save(state("kept"), "seed", metadata={"tier": "gold"})
    await repos.view.save(state("kept"), "seed", metadata={"tier": "gold"})
    await repos.saver.put(thread_id="seed", checkpoint_id="c", checkpoint_data={})
    await repos.saver.put_writes(thread_id="seed", checkpoint_id="c", task_id="k", writes=[])


# -- metadata keys built to escape a JSON path -------------------------------------------------

PATH_ESCAPES = [
    "a') OR 1=1 --",
    "$..*",
    "$",
    "*",
    "a.b",
    'a"b',
    "a'b",
    "a[0]",
    "{a,b}",
    "a' || 'b",
    "a\\b",
    "",
    " ",
    "ünï",
]


@pytest.mark.parametrize("key", PATH_ESCAPES)
async def test_a_metadata_key_that_could_escape_a_json_path_is_refused_in_every_query(
    store: Store, key: str
) -> None:
    repos = Repos.of(store)
    await seed(repos)
    await refused_before_sql(
        store,
        [
            (lambda: repos.latest.query_by_metadata(key, 1), InvalidInputError),
            (lambda: repos.view.query_by_metadata(key, 1), InvalidInputError),
            (lambda: repos.saver.recent(metadata_filter={key: 1}), InvalidInputError),
            (lambda: repos.saver.recent(metadata_filter={"ok": {key: 1}}), InvalidInputError),
        ],
    )


async def test_a_metadata_key_that_is_not_text_is_a_type_error_in_every_query(
    store: Store,
) -> None:
    repos = Repos.of(store)
    await refused_before_sql(
        store,
        [
            (lambda: repos.latest.query_by_metadata(7, 1), InvalidTypeError),  # type: ignore[arg-type]
            (lambda: repos.view.query_by_metadata(None, 1), InvalidTypeError),  # type: ignore[arg-type]
            (lambda: repos.saver.recent(metadata_filter={3: 1}), InvalidTypeError),  # type: ignore[dict-item]
            (lambda: repos.saver.recent(metadata_filter=[("k", 1)]), InvalidTypeError),  # type: ignore[arg-type]
        ],
    )


async def test_path_like_metadata_keys_are_stored_and_read_back_exactly(store: Store) -> None:
    repos = Repos.of(store)
    metadata = {key: f"value of {key}" for key in PATH_ESCAPES} | {"tier": "gold"}
    await repos.latest.save(state(), "t1", metadata=metadata)
    await repos.latest.save(state(), "t2", metadata={"tier": "silver"})
    await repos.saver.put(thread_id="t1", checkpoint_id="c", checkpoint_data={}, metadata=metadata)
    view_id = await repos.view.save(state(), "t3", metadata=metadata)

    record = await repos.latest.get_metadata("t1")
    assert record is not None
    assert record["metadata"] == metadata
    stored = await repos.saver.get(thread_id="t1", checkpoint_id="c")
    assert stored is not None
    assert stored["metadata"] == metadata
    assert await repos.view.get_metadata("t3", view_id) == metadata
    # The keys are data, never query syntax: a plain query still finds exactly its rows.
    assert [r["thread_id"] for r in await repos.latest.query_by_metadata("tier", "gold")] == ["t1"]
    by_view = await repos.view.query_by_metadata("tier", "gold")
    assert {r["thread_id"] for r in by_view} == {"t1", "t3"}  # the saver's t1 shares the namespace


# -- values that are not JSON ----------------------------------------------------------------

JSON_SLOTS: dict[str, Call] = {
    "latest.save/metadata": lambda r, v: r.latest.save(state(), "t", metadata={"k": v}),
    "latest.query_by_metadata/value": lambda r, v: r.latest.query_by_metadata("k", v),
    "saver.put/checkpoint_data": lambda r, v: r.saver.put(
        thread_id="t", checkpoint_id="c", checkpoint_data={"k": v}
    ),
    "saver.put/metadata": lambda r, v: r.saver.put(
        thread_id="t", checkpoint_id="c", checkpoint_data={}, metadata={"k": v}
    ),
    "saver.append/checkpoint_data": lambda r, v: r.saver.append(
        thread_id="t", checkpoint_id="c", checkpoint_data={"k": [v]}
    ),
    "saver.put_writes/value": lambda r, v: r.saver.put_writes(
        thread_id="seed", checkpoint_id="c", task_id="k", writes=[("ok", 1), ("ch", v)]
    ),
    "saver.recent/metadata_filter": lambda r, v: r.saver.recent(metadata_filter={"k": v}),
    "view.save/metadata": lambda r, v: r.view.save(state(), "seed", metadata={"k": v}),
    "view.query_by_metadata/value": lambda r, v: r.view.query_by_metadata("k", v),
}


@pytest.mark.parametrize("slot", JSON_SLOTS)
async def test_a_value_that_is_not_json_is_refused_before_any_sql(store: Store, slot: str) -> None:
    repos = Repos.of(store)
    await seed(repos)
    call = JSON_SLOTS[slot]
    await refused_before_sql(
        store,
        [(partial(call, repos, value), error) for value, error in NOT_JSON.values()],
    )


@pytest.mark.parametrize("bad", ["nan", "inf", "nul", "surrogate"])
async def test_a_state_with_a_value_no_backend_can_store_is_refused(store: Store, bad: str) -> None:
    broken = {
        "nan": AgentState(agent_id="a", confidence=float("nan")),
        "inf": AgentState(agent_id="a", confidence=float("inf")),
        "nul": state("tool output with a \x00 inside"),
        "surrogate": state("half an emoji \ud83d"),
    }[bad]
    repos = Repos.of(store)
    await seed(repos)
    await refused_before_sql(
        store,
        [
            (lambda: repos.latest.save(broken, "seed"), InvalidInputError),
            (lambda: repos.latest.save(broken, "new"), InvalidInputError),
            (lambda: repos.view.save(broken, "seed"), InvalidInputError),
        ],
    )


SHOWN_ESCAPES = ["\\u0000", "C:\\\\u0000", "\\\\u0000 and \\x00", '{"a": "\\u0000"}']


@pytest.mark.parametrize("text", SHOWN_ESCAPES)
async def test_text_showing_an_escaped_nul_is_ordinary_text_and_round_trips(
    store: Store, text: str
) -> None:
    repos = Repos.of(store)
    saved = state(text)
    await repos.latest.save(saved, "t", metadata={text: text})
    assert await repos.latest.load("t") == saved
    record = await repos.latest.get_metadata("t")
    assert record is not None
    assert record["metadata"] == {text: text}
    cid = await repos.view.save(saved, "v")
    assert await repos.view.load("v", cid) == saved
    if await repos.saver.get(thread_id="t", checkpoint_id="c") is None:
        await repos.saver.put(thread_id="t", checkpoint_id="c", checkpoint_data={})
    await repos.saver.put_writes(
        thread_id="t", checkpoint_id="c", task_id="k", writes=[("c", text)]
    )
    writes = await repos.saver.get_writes(thread_id="t", checkpoint_id="c")
    assert [w["value"] for w in writes] == [text]


# -- limits and windows ----------------------------------------------------------------------

BAD_LIMITS: list[tuple[object, type[Exception]]] = [
    (0, InvalidInputError),
    (-1, InvalidInputError),
    (10**9, InvalidInputError),
    (True, InvalidTypeError),
    ("9", InvalidTypeError),
    (1.5, InvalidTypeError),
    (None, InvalidTypeError),
]
LIMIT_SLOTS: dict[str, Call] = {
    "latest.list_checkpoints": lambda r, v: r.latest.list_checkpoints("seed", limit=v),
    "latest.list_threads": lambda r, v: r.latest.list_threads(limit=v),
    "latest.search": lambda r, v: r.latest.search("kept", limit=v),
    "latest.query_by_metadata": lambda r, v: r.latest.query_by_metadata("tier", "gold", limit=v),
    "latest.list_with_metadata": lambda r, v: r.latest.list_with_metadata(limit=v),
    "saver.list_checkpoints": lambda r, v: r.saver.list_checkpoints(thread_id="seed", limit=v),
    "saver.checkpoint_ids": lambda r, v: r.saver.checkpoint_ids(thread_id="seed", limit=v),
    "saver.list_threads": lambda r, v: r.saver.list_threads(limit=v),
    "saver.recent": lambda r, v: r.saver.recent(limit=v),
    "view.list_checkpoints": lambda r, v: r.view.list_checkpoints("seed", limit=v),
    "view.list_threads": lambda r, v: r.view.list_threads(limit=v),
    "view.query_by_metadata": lambda r, v: r.view.query_by_metadata("tier", "gold", limit=v),
    "view.list_with_metadata": lambda r, v: r.view.list_with_metadata(limit=v),
}
BAD_WINDOWS: list[tuple[object, type[Exception]]] = [
    (-1, InvalidInputError),
    (float("nan"), InvalidInputError),
    (float("inf"), InvalidInputError),
    (1e300, InvalidInputError),
    ("7", InvalidTypeError),
    (None, InvalidTypeError),
    (True, InvalidTypeError),
]
WINDOW_SLOTS: dict[str, Call] = {
    "latest.vacuum": lambda r, v: r.latest.vacuum(older_than_days=v),
    "saver.vacuum": lambda r, v: r.saver.vacuum(older_than_days=v),
    "view.vacuum": lambda r, v: r.view.vacuum(older_than_days=v),
    "saver.vacuum/keep_last": lambda r, v: r.saver.vacuum(older_than_days=0, keep_last=v),
}


@pytest.mark.parametrize("slot", LIMIT_SLOTS)
async def test_a_bad_limit_is_refused_before_any_sql(store: Store, slot: str) -> None:
    repos = Repos.of(store)
    await seed(repos)
    call = LIMIT_SLOTS[slot]
    await refused_before_sql(
        store, [(partial(call, repos, value), error) for value, error in BAD_LIMITS]
    )


@pytest.mark.parametrize("slot", WINDOW_SLOTS)
async def test_a_bad_vacuum_window_is_refused_before_any_sql(store: Store, slot: str) -> None:
    repos = Repos.of(store)
    await seed(repos)
    call = WINDOW_SLOTS[slot]
    windows = BAD_WINDOWS
    if slot.endswith("keep_last"):
        windows = [("1", InvalidTypeError), (1.5, InvalidTypeError), (True, InvalidTypeError)]
    await refused_before_sql(
        store, [(partial(call, repos, value), error) for value, error in windows]
    )


# -- search text in every engine's query language -------------------------------------------------

#: Operators and quoting of PostgreSQL tsquery, SQLite FTS5, Oracle Text, LIKE and SQL itself.
OPERATORS = (
    "&", "|", "!", "<->", "<2>", ":*", ":A", "(", ")", "'", '"', "-", "+", "^", "*", ":",
    "NEAR(", "NEAR/2", "{", "}", "\\", "%", "_", "$", "?", ";", "~", ">", "=", ",", "[", "]",
    "@", "ABOUT(", "WITHIN", "ACCUM", "MINUS", "FUZZY(", "SYN(", "search_text:", "';--",
    "/*", "*/", "AND", "OR", "NOT", "and", "or", "not",
)  # fmt: skip
STORED = {"t1": "apple quartz", "t2": "violet marble apple", "t3": "tundra copper"}
VOCABULARY = ("apple", "quartz", "violet", "marble", "tundra", "copper", "Apple", "zebra")


@st.composite
def hostile_queries(draw: st.DrawFn) -> tuple[str, list[str]]:
    """A query mixing words, operators, words glued to operators and arbitrary text,
    with the words that stand alone as terms (each must be in every hit)."""
    parts: list[str] = []
    alone: list[str] = []
    for kind in draw(st.lists(st.sampled_from(("word", "op", "glued", "text")), max_size=6)):
        if kind == "word":
            alone.append(draw(st.sampled_from(VOCABULARY)))
            parts.append(alone[-1])
        elif kind == "op":
            parts.append(draw(st.sampled_from(OPERATORS)))
        elif kind == "glued":
            parts.append(
                draw(st.sampled_from(OPERATORS))
                + draw(st.sampled_from(VOCABULARY))
                + draw(st.sampled_from(OPERATORS))
            )
        else:
            parts.append(draw(st.text(max_size=6)))
    return " ".join(parts), alone


def _words(text: str) -> set[str]:
    return {w.casefold() for w in text.split()}


@pytest.mark.parametrize("backend", MODEL_BACKENDS)
def test_any_search_text_is_one_safe_statement_and_only_finds_threads_with_its_words(
    backend: str, migrated: dict[str, tuple[Target, str]], long_run: bool
) -> None:
    target, prefix = migrated[backend]
    with asyncio.Runner() as runner:
        store = Store.from_settings(target.settings, table_prefix=prefix)
        cp = store.latest()
        runner.run(empty_tables(store))
        for thread, words in STORED.items():
            runner.run(cp.save(state(words), thread))

        @settings(max_examples=1000 if long_run else 150, deadline=None)
        @given(query=hostile_queries())
        def check(query: tuple[str, list[str]]) -> None:
            text, alone = query
            with statements_sent(store) as sent:
                try:
                    hits = runner.run(cp.search(text, limit=10))
                except LocusStoreError:
                    assert not sent.statements  # refused before SQL, never by the driver
                    return
            assert len(sent.statements) <= 1
            found = [h["thread_id"] for h in hits]
            assert len(found) == len(set(found))
            for thread in found:
                assert {w.casefold() for w in alone} <= _words(STORED[thread]), (text, thread)
            pure = all(w in VOCABULARY or not any(ch.isalnum() for ch in w) for w in text.split())
            if pure and alone:
                wanted = {w.casefold() for w in alone}
                assert set(found) == {t for t, ws in STORED.items() if wanted <= _words(ws)}

        try:
            check()
        finally:
            runner.run(store.close())


@pytest.mark.parametrize("query", ["ap\x00ple", "app\ud800le", "\x00", "\udfff apple"])
async def test_nul_and_lone_surrogates_in_a_query_never_reach_the_driver(
    store: Store, query: str
) -> None:
    cp = store.latest()
    await cp.save(state("apple"), "t1")
    with statements_sent(store) as sent:
        try:
            hits = await cp.search(query)
        except LocusStoreError:
            assert sent.statements == []
            return
    assert all(h["thread_id"] == "t1" for h in hits)


# -- 10 MB ---------------------------------------------------------------------------------------


def ten_megabytes_of_distinct_words() -> AgentState:
    """A conversation of 10 MB whose words are nearly all different (a worst case for a
    full-text index), ending with the densest text an index can get: one-character words
    of four-byte characters."""
    words = " ".join(uuid.uuid4().hex for _ in range(300_000))
    dense = " ".join(chr(0x20000 + i) for i in range(MAX_SEARCH_TEXT // 2))
    return AgentState(
        agent_id="big",
        messages=(Message.user(words), Message.assistant(dense)),
    )


async def test_a_ten_megabyte_state_of_distinct_words_round_trips_and_stays_searchable(
    store: Store,
) -> None:
    big = ten_megabytes_of_distinct_words()
    cp = store.latest()
    await cp.save(big, "big", metadata={"size": "10MB"})
    assert await cp.load("big") == big
    # The index reads the newest text: the last words are found.
    last_word = str(big.messages[-1].content).split()[-1]
    assert [h["thread_id"] for h in await cp.search(last_word)] == ["big"]

    view = store.versioned().as_checkpointer()
    cid = await view.save(big, "big")
    assert await view.load("big", cid) == big
