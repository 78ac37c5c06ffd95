"""AgentState <-> stored document, and the text a search index reads."""

from __future__ import annotations

from typing import Any

from locus.core.state import AgentState

from locus_store.errors import InvalidTypeError

#: Longest text the full-text index reads per thread (see :func:`search_text`).
MAX_SEARCH_TEXT = 100_000
#: Characters of the newest message text whose words are indexed.
SEARCH_WINDOW = 256 * 1024


def encode_state(state: object) -> dict[str, Any]:
    """The JSON document of a Locus ``AgentState``."""
    if not isinstance(state, AgentState):
        raise InvalidTypeError(f"state must be a locus AgentState, not {type(state).__name__}")
    document: dict[str, Any] = state.to_checkpoint()
    return document


def decode_state(document: dict[str, Any]) -> AgentState:
    return AgentState.from_checkpoint(document)


def search_text(document: dict[str, Any]) -> str | None:
    """The words of the message contents, each once: what the full-text index reads.

    Never JSON keys. A word is a whitespace-separated token, as every engine's
    tokenizer splits at whitespace; each distinct one (ignoring case) is kept once,
    at its newest occurrence, so the index reads every word the thread contains
    (a long conversation repeats its vocabulary over and over) and parses far less
    text on every save. Matching is unchanged: each query word is matched on its
    own. Ranking sees each word once per thread, so it favours threads that hold
    more of the query's words and rarer words, not repetition.

    The words come from the newest :data:`SEARCH_WINDOW` characters of message
    text (a bound on the work of one save) and add up to at most
    :data:`MAX_SEARCH_TEXT` characters, newest first: PostgreSQL refuses a
    ``tsvector`` over 1 MB and would refuse the whole save.
    """
    newest: list[str] = []
    size = 0
    for message in reversed(document.get("messages") or ()):
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, str) and content:
            newest.append(content)
            size += len(content) + 1
            if size > SEARCH_WINDOW:
                break
    text = "\n".join(reversed(newest))
    if len(text) > SEARCH_WINDOW:  # from a word boundary
        text = text[-SEARCH_WINDOW:]
        text = text.split(maxsplit=1)[-1] if not text[0].isspace() else text
    # Newest first, each spelling once (at C speed), then each word once ignoring case.
    spellings = dict.fromkeys(reversed(text.split()))
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
