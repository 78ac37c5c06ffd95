"""AgentState <-> stored document, and the text a search index reads."""

from __future__ import annotations

from typing import Any

from locus.core.state import AgentState

from locus_store.errors import InvalidTypeError

#: Longest text the full-text index reads per thread (see :func:`search_text`).
MAX_SEARCH_TEXT = 100_000


def encode_state(state: object) -> dict[str, Any]:
    """The JSON document of a Locus ``AgentState``."""
    if not isinstance(state, AgentState):
        raise InvalidTypeError(f"state must be a locus AgentState, not {type(state).__name__}")
    document: dict[str, Any] = state.to_checkpoint()
    return document


def decode_state(document: dict[str, Any]) -> AgentState:
    return AgentState.from_checkpoint(document)


def search_text(document: dict[str, Any]) -> str | None:
    """Message contents, one per line: what the full-text index sees (never JSON keys).

    At most the newest :data:`MAX_SEARCH_TEXT` characters, from a word boundary:
    PostgreSQL refuses a ``tsvector`` over 1 MB, which a few hundred kilobytes of
    varied words already reach, and would refuse the whole save.
    """
    parts = [
        m["content"]
        for m in document.get("messages") or ()
        if isinstance(m, dict) and isinstance(m.get("content"), str) and m["content"]
    ]
    text = "\n".join(parts)
    if len(text) > MAX_SEARCH_TEXT:
        text = text[-MAX_SEARCH_TEXT:]
        text = text.split(maxsplit=1)[-1] if not text[0].isspace() else text.lstrip()
    return text or None
