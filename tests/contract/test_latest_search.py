"""Full-text search of the single-row checkpointer: the engine's own text index, any query safe."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from locus.core.messages import Message
from locus.core.state import AgentState
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

from locus_store import InvalidInputError, InvalidTypeError, Store
from locus_store.latest.statements import LatestStatements
from locus_store.sql.search import MAX_QUERY_LENGTH
from tests.support.search import HOSTILE_QUERIES


def conversation(*texts: str) -> AgentState:
    state = AgentState(agent_id="agent")
    for i, content in enumerate(texts):
        state = state.with_message(
            Message.user(content) if i % 2 == 0 else Message.assistant(content)
        )
    return state


async def save(store: Store, thread_id: str, *texts: str) -> str:
    return await store.latest().save(conversation(*texts), thread_id)


async def found(store: Store, query: str) -> list[str]:
    return [hit["thread_id"] for hit in await store.latest().search(query)]


async def test_search_finds_the_threads_whose_messages_hold_the_word(store: Store) -> None:
    await save(store, "t1", "Where is my parcel?", "It ships on Tuesday.")
    await save(store, "t2", "What is the weather?", "Sunny.")
    assert await found(store, "tuesday") == ["t1"]


async def test_search_results_carry_ids_score_and_update_time(store: Store) -> None:
    checkpoint_id = await save(store, "t1", "The invoice is attached.")
    [hit] = await store.latest().search("invoice")
    metadata = await store.latest().get_metadata("t1")
    assert metadata is not None
    assert hit["thread_id"] == "t1"
    assert hit["checkpoint_id"] == checkpoint_id
    assert isinstance(hit["score"], float)
    assert hit["score"] > 0
    assert hit["updated_at"] == metadata["updated_at"]


async def test_search_requires_every_word_of_the_query(store: Store) -> None:
    await save(store, "both", "red apples and green pears")
    await save(store, "one", "red apples only")
    assert await found(store, "apples pears") == ["both"]


async def test_search_ignores_case(store: Store) -> None:
    await save(store, "t1", "Oracle Database")
    assert await found(store, "ORACLE database") == ["t1"]


async def test_search_ranks_the_better_match_first(store: Store) -> None:
    await save(store, "once", "kiwi " + "filler words of no interest here " * 8)
    await save(store, "often", "kiwi kiwi kiwi kiwi kiwi")
    assert await found(store, "kiwi") == ["often", "once"]


async def test_search_honours_its_limit(store: Store) -> None:
    for i in range(4):
        await save(store, f"t{i}", "common word")
    assert len(await store.latest().search("common", limit=2)) == 2


async def test_search_reads_message_contents_never_json_keys(store: Store) -> None:
    await save(store, "t1", "nothing to see")
    assert await found(store, "role") == []
    assert await found(store, "content") == []


async def test_search_sees_the_latest_save_only(store: Store) -> None:
    await save(store, "t1", "apricot")
    await save(store, "t1", "blueberry")
    assert await found(store, "apricot") == []
    assert await found(store, "blueberry") == ["t1"]


async def test_search_forgets_a_deleted_thread(store: Store) -> None:
    await save(store, "t1", "cherry")
    await store.latest().delete("t1")
    assert await found(store, "cherry") == []


async def test_search_without_any_word_matches_nothing(store: Store) -> None:
    await save(store, "t1", "anything")
    assert await found(store, "") == []
    assert await found(store, " ?! -- ") == []


async def test_search_takes_operator_words_as_plain_words(store: Store) -> None:
    # FUZZY, MINUS, NEAR and WITHIN are Oracle Text operators; NEAR is FTS5's too.
    await save(store, "ops", "fuzzy minus near within")
    await save(store, "other", "fuzzy logic")
    assert await found(store, "fuzzy NEAR within") == ["ops"]
    assert await found(store, "minus") == ["ops"]


async def test_search_finds_a_word_wrapped_in_query_syntax(store: Store) -> None:
    await save(store, "t1", "the quarterly report")
    for query in (
        "(quarterly)",
        '"quarterly',
        "quarterly*",
        "{quarterly}",
        "-quarterly",
        "quarterly!",
    ):
        assert await found(store, query) == ["t1"], query


@pytest.mark.parametrize("query", HOSTILE_QUERIES)
async def test_any_text_is_a_valid_query(store: Store, query: str) -> None:
    await save(store, "t1", "a harmless conversation about b and c")
    hits = await store.latest().search(query)
    assert isinstance(hits, list)
    assert all(hit["thread_id"] == "t1" for hit in hits)


async def test_a_query_over_the_length_limit_is_refused(store: Store) -> None:
    with pytest.raises(InvalidInputError, match="query"):
        await store.latest().search("x" * (MAX_QUERY_LENGTH + 1))


async def test_a_query_that_is_not_text_is_refused(store: Store) -> None:
    with pytest.raises(InvalidTypeError, match="query"):
        await store.latest().search(42)  # type: ignore[arg-type]


async def test_postgresql_search_uses_the_gin_index(store: Store, backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("PostgreSQL's GIN index, checked as the table owner (ANALYZE needs it)")
    threads = store.schema.threads
    now = dt.datetime.now(dt.UTC)
    rows = [
        {
            "thread_id": f"t{i}",
            "checkpoint_id": "c",
            "state": {},
            "search_text": f"message number {i} about topic{i % 50}",
            "created_at": now,
            "updated_at": now,
        }
        for i in range(500)
    ]
    statement = LatestStatements.of(store.table_prefix, "postgresql").review()["search"]
    sql = statement.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})

    async def plan(conn: AsyncConnection) -> str:
        await conn.execute(threads.insert(), rows)
        await conn.execute(sa.text(f"ANALYZE {threads.name}"))
        result = await conn.execute(sa.text(f"EXPLAIN {sql}"))
        return "\n".join(result.scalars())

    assert f"Bitmap Index Scan on {store.schema.search_index}" in await store.run(plan, atomic=True)


async def test_a_long_conversation_stays_searchable_by_its_first_words(store: Store) -> None:
    # 150 KB of text, but few distinct words: the index reads each word once, so the
    # opening message is still found (a window of only the newest text would drop it).
    vocabulary = " ".join(f"topic{i}" for i in range(300))
    turns = ["my zebrafish tank leaks", *([vocabulary] * 55)]
    await save(store, "long", *turns)
    await save(store, "other", "zebra crossing")
    assert await found(store, "zebrafish") == ["long"]
    assert await found(store, "topic299 tank") == ["long"]
