"""Hypothesis strategies for the stateful tests: ids, conversations, metadata, writes.

Ids are drawn from small pools so that random programs revisit the same threads and
checkpoints often; the pools hold the characters that break naive SQL: quotes,
``LIKE`` and glob wildcards, a path separator, non-ASCII letters and an emoji.
Message words come from a vocabulary free of stop words in every engine.
"""

from __future__ import annotations

import re
from typing import Any

from hypothesis import strategies as st
from locus.core.messages import Message
from locus.core.state import AgentState

THREADS = ("t-a", "T-A", "user/1", "50%_off", "q?x", "ünï-çødé 🤖", 'O\'Brien "q"', "a*b")
CHECKPOINTS = ("c1", "c2", "c'3", "ç-4")
NAMESPACES = ("default", "", "ns-x")
TASKS = ("task-1", "task'2")
CHANNELS = ("messages", "", "ch'annel")
WORDS = ("apple", "quartz", "violet", "marble", "tundra", "copper", "Apple", "QUARTZ")
#: Metadata keys that can be queried, and one that may only be stored.
QUERY_KEYS = ("tier", "n", "flag", "nested")
STORED_ONLY_KEY = "a') OR 1=1 --"
#: Values whose JSON types differ while Python calls some of them equal (1, True, "1").
META_VALUES: tuple[Any, ...] = (
    0,
    1,
    2.5,
    "1",
    "gold",
    "",
    True,
    False,
    None,
    [1, "a"],
    {"x": 1},
    {"x": 1, "y": "z"},
    {},
)

thread_ids = st.sampled_from(THREADS)
checkpoint_ids = st.sampled_from(CHECKPOINTS)
namespaces = st.sampled_from(NAMESPACES)
task_ids = st.sampled_from(TASKS)
meta_values = st.sampled_from(META_VALUES)

metadata = st.none() | st.dictionaries(
    st.sampled_from((*QUERY_KEYS, STORED_ONLY_KEY)), meta_values, max_size=3
)
sentences = st.lists(st.sampled_from(WORDS), min_size=1, max_size=4).map(" ".join)
#: Any text a JSON column takes on every backend (no NUL, no lone surrogate).
texts = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12)
writes = st.lists(
    st.tuples(
        st.sampled_from(CHANNELS),
        st.one_of(meta_values, texts, st.integers(-(2**53), 2**53)),
    ),
    max_size=4,
)
documents = st.dictionaries(
    st.sampled_from(("step", "values", "note")),
    st.one_of(meta_values, texts),
    max_size=3,
)


@st.composite
def conversations(draw: st.DrawFn) -> AgentState:
    """An AgentState with 0-3 messages of vocabulary words."""
    lines = draw(st.lists(sentences, max_size=3))
    messages = tuple(
        Message.user(line) if i % 2 == 0 else Message.assistant(line)
        for i, line in enumerate(lines)
    )
    return AgentState(agent_id=draw(st.sampled_from(("support", "ops"))), messages=messages)


def glob_matches(pattern: str, name: str) -> bool:
    """The contract's glob: ``*`` any run, ``?`` one character, everything else literal."""
    regex = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
    return re.fullmatch(regex, name, flags=re.DOTALL) is not None


@st.composite
def globs(draw: st.DrawFn) -> str:
    """A glob built from a known thread id with some characters turned into wildcards."""
    name = draw(thread_ids)
    out = []
    for ch in name:
        choice = draw(st.sampled_from(("keep", "keep", "keep", "star", "question")))
        out.append(ch if choice == "keep" else "*" if choice == "star" else "?")
    pattern = "".join(out)
    return draw(st.sampled_from((pattern, "*", pattern.upper(), pattern + "*")))


def words_of(state: AgentState) -> set[str]:
    return {w.casefold() for m in state.messages if m.content for w in str(m.content).split()}


def json_equal(stored: Any, wanted: Any) -> bool:
    """JSON equality with JSON types: ``1`` is not ``true`` nor ``"1"``; ``1`` equals ``1.0``."""
    if isinstance(wanted, bool) or isinstance(stored, bool):
        return type(stored) is type(wanted) and stored == wanted
    if isinstance(wanted, int | float):
        return isinstance(stored, int | float) and stored == wanted
    if isinstance(wanted, list):
        return (
            isinstance(stored, list)
            and len(stored) == len(wanted)
            and all(json_equal(a, b) for a, b in zip(stored, wanted, strict=True))
        )
    if isinstance(wanted, dict):
        return (
            isinstance(stored, dict)
            and stored.keys() == wanted.keys()
            and all(json_equal(stored[k], wanted[k]) for k in wanted)
        )
    return type(stored) is type(wanted) and stored == wanted


_MISSING = object()


def _leaves(filter: dict[str, Any], path: list[str]) -> list[tuple[list[str], Any]]:
    found: list[tuple[list[str], Any]] = []
    for key, value in filter.items():
        if isinstance(value, dict) and value:
            found.extend(_leaves(value, [*path, key]))
        else:
            found.append(([*path, key], value))
    return found


def _at(document: Any, path: list[str]) -> Any:
    for step in path:
        if not isinstance(document, dict) or step not in document:
            return _MISSING
        document = document[step]
    return document


def filter_matches(metadata: dict[str, Any] | None, filter: dict[str, Any]) -> bool:
    """The contract's metadata filter: every leaf of ``filter`` holds in ``metadata``.

    A non-empty dict is matched key by key; ``None`` matches a JSON null or a
    missing key; any other value by :func:`json_equal`.
    """
    for path, wanted in _leaves(filter, []):
        value = _at(metadata or {}, path)
        if wanted is None:
            if value is not _MISSING and value is not None:
                return False
        elif value is _MISSING or not json_equal(value, wanted):
            return False
    return True
