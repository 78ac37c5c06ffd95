"""AgentState <-> stored document, and the text a search index reads."""

from __future__ import annotations

from functools import lru_cache
from itertools import chain
from typing import Any

from locus.core.state import AgentState

from locus_store.errors import InvalidTypeError

#: Longest text the full-text index reads per thread (see `search_text`).
MAX_SEARCH_TEXT = 100_000
#: Characters of the newest message text whose words are indexed.
SEARCH_WINDOW = 256 * 1024
#: Longest message whose distinct words are remembered between saves.
_CACHED_MESSAGE = 16 * 1024


def encode_state(state: object) -> dict[str, Any]:
    """The JSON document of a Locus ``AgentState``."""
    if not isinstance(state, AgentState):
        raise InvalidTypeError(f"state must be a locus AgentState, not {type(state).__name__}")
    document: dict[str, Any] = state.to_checkpoint()
    return document


def decode_state(document: dict[str, Any]) -> AgentState:
    return AgentState.from_checkpoint(document)


def _words(content: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(reversed(content.split())))


_cached_words = lru_cache(maxsize=1024)(_words)


def _distinct_words(content: str) -> tuple[str, ...]:
    """A message's distinct words, newest first.

    A conversation is saved again and again with the same older messages, so their
    words are remembered (messages up to `_CACHED_MESSAGE` characters, the
    1,024 most recent: a few megabytes at most).
    """
    return _words(content) if len(content) > _CACHED_MESSAGE else _cached_words(content)


def search_text(document: dict[str, Any]) -> str | None:
    """The words of the message contents, each once: what the full-text index reads.

    Never JSON keys. A word is a whitespace-separated token, as every engine's
    tokenizer splits at whitespace; each distinct one (ignoring case) is kept once,
    at its newest occurrence, so the index reads every word the thread contains
    (a long conversation repeats its vocabulary over and over) and parses far less
    text on every save. Matching is unchanged: each query word is matched on its
    own. Ranking sees each word once per thread, so it favours threads that hold
    more of the query's words and rarer words, not repetition.

    The words come from the newest `SEARCH_WINDOW` characters of message
    text (a bound on the work of one save) and add up to at most
    `MAX_SEARCH_TEXT` characters, newest first: PostgreSQL refuses a
    ``tsvector`` over 1 MB and would refuse the whole save.
    """
    newest: list[tuple[str, ...]] = []  # each message's distinct words, newest first
    room = SEARCH_WINDOW
    for message in reversed(document.get("messages") or ()):
        content = message.get("content") if isinstance(message, dict) else None
        if not isinstance(content, str) or not content:
            continue
        if len(content) > room:  # the window ends inside this message: its newest words
            tail = content[-room:]
            if not tail[0].isspace() and not content[-room - 1].isspace():
                parts = tail.split(maxsplit=1)  # the first word was cut: leave it out
                tail = parts[1] if len(parts) > 1 else ""
            newest.append(tuple(reversed(tail.split())))
            break
        newest.append(_distinct_words(content))
        room -= len(content) + 1
    spellings = dict.fromkeys(chain.from_iterable(newest))  # each spelling once
    # Then each word once ignoring case, up to MAX_SEARCH_TEXT characters.
    seen: set[str] = set()
    kept: list[str] = []
    size = 0
    for word in spellings:
        key = word.lower()
        if key in seen:
            continue
        size += len(word) + 1
        if size > MAX_SEARCH_TEXT + 1:
            break
        seen.add(key)
        kept.append(word)
    kept.reverse()
    return " ".join(kept) or None
