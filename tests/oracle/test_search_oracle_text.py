"""Search on Oracle against a model of Oracle Text: long words, stop words, any query text.

The store's statements run on the fake driver; :mod:`tests.support.oracle.oracle_text` answers
its ``CONTAINS`` from the text the store saved, as an index created with the head
migration's PARAMETERS would (or the initial revision's, where that is the point).
"""

from __future__ import annotations

import oracledb
import pytest
from locus.core.messages import Message
from locus.core.state import AgentState

from locus_store import Store
from locus_store.schema.tables import schema_for
from tests.support.oracle.fake_driver import FakeDriver
from tests.support.oracle.oracle_text import (
    contains_score,
    head_index_parameters,
    oracle_text,
    require_short_tokens,
    stopwords_of,
)
from tests.support.search import HOSTILE_QUERIES, ORACLE_TEXT_QUERIES

#: What the initial revision created the index with: no stoplist named, so the default.
INITIAL_PARAMETERS = "SYNC (ON COMMIT)"
HEAD_PARAMETERS = head_index_parameters(schema_for("locus"))

LONG_WORDS = {
    "300 letters": "x" * 300,
    "long URL": "https://example.com/" + "segment" * 50 + "?q=1",
    "sha-256 hex": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "two-byte letters": "é" * 200,
}


def _state(text: str) -> AgentState:
    return AgentState(agent_id="agent").with_message(Message.user(text))


async def _found(store: Store, query: str) -> list[str]:
    return [hit["thread_id"] for hit in await store.latest().search(query)]


def _with_index(oracle_store: tuple[Store, FakeDriver], parameters: str) -> Store:
    store, driver = oracle_store
    driver.server_rules.append(oracle_text(store.schema, parameters))
    return store


# -- the model follows Oracle Text -----------------------------------------------------


def test_the_head_migration_creates_the_index_with_the_empty_stoplist() -> None:
    assert stopwords_of(HEAD_PARAMETERS) == frozenset()
    assert "THE" in stopwords_of(INITIAL_PARAMETERS)


def test_a_query_token_over_256_bytes_fails_as_the_server_reports_it() -> None:
    require_short_tokens("{" + "x" * 256 + "}")
    with pytest.raises(oracledb.DatabaseError) as raised:
        require_short_tokens("{a} AND {" + "x" * 257 + "}")
    error = raised.value.args[0]
    assert error.code == 29902
    assert error.message.splitlines()[:3] == [
        "ORA-29902: error in executing ODCIIndexStart() routine",
        "ORA-20000: Oracle Text error:",
        "DRG-50943: query token too long on line 1 on column 10",
    ]


def test_the_index_keeps_the_first_255_bytes_of_a_longer_word() -> None:
    empty = stopwords_of(HEAD_PARAMETERS)
    assert contains_score("x" * 300, "{" + "x" * 255 + "}", empty) > 0
    assert contains_score("x" * 300, "{" + "x" * 254 + "}", empty) == 0


def test_a_stopword_in_a_phrase_matches_any_word_and_alone_matches_nothing() -> None:
    default = stopwords_of(INITIAL_PARAMETERS)
    assert contains_score("jack grew big", "{jack was big}", default) > 0
    assert contains_score("the report", "{the}", default) == 0
    assert contains_score("the report", "{the} AND {report}", default) > 0


# -- the store on that model -----------------------------------------------------------


@pytest.mark.parametrize("word", list(LONG_WORDS.values()), ids=list(LONG_WORDS))
async def test_a_saved_long_word_is_found_by_searching_it(
    oracle_store: tuple[Store, FakeDriver], word: str
) -> None:
    store = _with_index(oracle_store, HEAD_PARAMETERS)
    await store.latest().save(_state(f"see {word} here"), "t-long")
    await store.latest().save(_state("see nothing here"), "t-other")
    assert await _found(store, word) == ["t-long"]


async def test_a_query_of_one_300_character_word_is_a_valid_query(
    oracle_store: tuple[Store, FakeDriver],
) -> None:
    store = _with_index(oracle_store, HEAD_PARAMETERS)
    await store.latest().save(_state("short words only"), "t1")
    assert await _found(store, "x" * 300) == []


async def test_search_the_finds_a_thread_on_the_index_the_migrations_create(
    oracle_store: tuple[Store, FakeDriver],
) -> None:
    store = _with_index(oracle_store, HEAD_PARAMETERS)
    await store.latest().save(_state("the quarterly report"), "t1")
    assert await _found(store, "the") == ["t1"]
    assert await _found(store, "THE report") == ["t1"]


async def test_on_the_initial_index_the_default_stoplist_hides_the(
    oracle_store: tuple[Store, FakeDriver],
) -> None:
    """Why a revision recreates the index: PostgreSQL and SQLite find "the", this did not."""
    store = _with_index(oracle_store, INITIAL_PARAMETERS)
    await store.latest().save(_state("the quarterly report"), "t1")
    assert await _found(store, "the") == []
    assert await _found(store, "quarterly") == ["t1"]


@pytest.mark.parametrize("query", [*ORACLE_TEXT_QUERIES, *HOSTILE_QUERIES])
async def test_any_query_text_runs_on_the_model_without_error(
    oracle_store: tuple[Store, FakeDriver], query: str
) -> None:
    store = _with_index(oracle_store, HEAD_PARAMETERS)
    savable = query.replace("\x00", " ").encode(errors="replace").decode()  # no NUL, no surrogate
    await store.latest().save(_state(f"plain words and {savable}"), "t-hostile")
    assert set(await _found(store, query)) <= {"t-hostile"}
