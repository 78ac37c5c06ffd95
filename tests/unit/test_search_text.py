"""The text the full-text index reads: every distinct word of the messages, once, newest first."""

from __future__ import annotations

from typing import Any

from locus_store.agent_state import MAX_SEARCH_TEXT, SEARCH_WINDOW, search_text


def document(*contents: Any) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": c} for c in contents]}


def test_each_word_is_kept_once_ignoring_case_at_its_newest_occurrence() -> None:
    text = search_text(document("Hello world, hello", "WORLD again and Hello"))
    assert text is not None
    assert text.split() == ["world,", "WORLD", "again", "and", "Hello"]


def test_only_message_contents_are_read() -> None:
    doc = {
        "agent_id": "keyword_in_id",
        "messages": [
            {"role": "user", "content": "parcel"},
            {"role": "tool", "content": None},
            {"role": "assistant", "content": ["not", "text"]},
            "not a message",
        ],
    }
    assert search_text(doc) == "parcel"


def test_nothing_to_index_is_none() -> None:
    assert search_text({}) is None
    assert search_text(document("", "   \n ")) is None


def test_a_repetitive_long_conversation_keeps_its_oldest_words() -> None:
    vocabulary = " ".join(f"w{i}" for i in range(200))
    doc = document("unique-opening-word", *([vocabulary] * 500))  # ~500 KB of text
    text = search_text(doc)
    assert text is not None
    assert len(text) < 2_000
    # Outside the window of newest text: older words are not read at all.
    assert "unique-opening-word" not in text.split()
    short = document("unique-opening-word", *([vocabulary] * 50))  # ~50 KB: inside it
    assert "unique-opening-word" in (search_text(short) or "").split()


def test_distinct_words_are_capped_newest_first_at_a_word_boundary() -> None:
    words = [f"word{i:07d}" for i in range(SEARCH_WINDOW // 12)]
    text = search_text(document(" ".join(words)))
    assert text is not None
    assert len(text) <= MAX_SEARCH_TEXT
    kept = text.split()
    assert kept[-1] == words[-1]
    assert kept == words[-len(kept) :]  # the newest ones, in order, none cut in half
