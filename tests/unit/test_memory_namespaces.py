"""How a namespace tuple is stored: any label text round-trips and never matches another."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from locus_store.errors import InvalidNamespaceError, InvalidTypeError
from locus_store.memory.namespaces import (
    SEPARATOR,
    below,
    decode,
    encode,
    ending_with,
    require_namespace,
)
from locus_store.sql.like import LIKE_ESCAPE

labels = st.text(
    alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\x00"),
    min_size=1,
    max_size=12,
)
namespaces = st.lists(labels, min_size=1, max_size=4).map(tuple)


def _like(pattern: str, text: str) -> bool:
    """``text LIKE pattern ESCAPE '!'`` as the databases read it."""
    regex, chars = "", iter(pattern)
    for char in chars:
        if char == LIKE_ESCAPE:
            regex += re.escape(next(chars))
        elif char == "%":
            regex += ".*"
        elif char == "_":
            regex += "."
        else:
            regex += re.escape(char)
    return re.fullmatch(regex, text, re.DOTALL) is not None


@given(namespaces)
def test_every_namespace_round_trips(namespace: tuple[str, ...]) -> None:
    assert decode(encode(namespace)) == namespace


@given(namespaces)
def test_no_encoded_label_holds_the_separator(namespace: tuple[str, ...]) -> None:
    assert encode(namespace).count(SEPARATOR) == len(namespace) - 1


@given(namespaces, namespaces)
def test_prefix_pattern_matches_exactly_the_namespaces_below(
    parent: tuple[str, ...], other: tuple[str, ...]
) -> None:
    assert _like(below(parent), encode(parent + other))
    is_below = len(other) > len(parent) and other[: len(parent)] == parent
    assert _like(below(parent), encode(other)) == is_below


@given(namespaces, namespaces)
def test_suffix_pattern_matches_exactly_the_namespaces_ending_so(
    suffix: tuple[str, ...], other: tuple[str, ...]
) -> None:
    assert _like(ending_with(suffix), encode(other + suffix))
    ends = len(other) > len(suffix) and other[-len(suffix) :] == suffix
    assert _like(ending_with(suffix), encode(other)) == ends


@pytest.mark.parametrize(
    ("namespace", "error"),
    [
        ((), InvalidNamespaceError),
        (("a", ""), InvalidNamespaceError),
        (("a\x00b",), InvalidNamespaceError),
        (("a\ud800",), InvalidNamespaceError),
        (("x" * 1001,), InvalidNamespaceError),
        ("users", InvalidTypeError),
        (("a", 1), InvalidTypeError),
    ],
)
def test_bad_namespaces_are_refused(namespace: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        require_namespace(namespace)
