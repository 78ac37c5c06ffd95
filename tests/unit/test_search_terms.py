"""Oracle Text query strings keep every token within what the index stores."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from locus_store.sql.search import ORACLE_TOKEN_MAX_BYTES, cap_oracle_tokens, translate_query


def test_a_word_longer_than_the_index_keeps_is_cut_to_its_indexed_prefix() -> None:
    assert translate_query("x" * 300, "oracle") == "{" + "x" * ORACLE_TOKEN_MAX_BYTES + "}"


def test_a_long_url_keeps_its_short_parts_and_cuts_its_long_one() -> None:
    url = "https://example.com/" + "a" * 300 + "?q=1"
    assert cap_oracle_tokens(url) == "https://example.com/" + "a" * 255 + "?q=1"


def test_a_cut_never_splits_a_character() -> None:
    assert cap_oracle_tokens("é" * 200) == "é" * 127  # 254 bytes: a 128th would need 256


def test_short_words_and_other_engines_are_untouched() -> None:
    word = "f" * 64
    assert translate_query(word, "oracle") == "{" + word + "}"
    assert translate_query("x" * 300, "postgresql") == '"' + "x" * 300 + '"'


#: Anything but whitespace and ASCII punctuation may belong to one Oracle Text token.
_POSSIBLE_TOKEN = re.compile(r"[^\s!-/:-@\[-`{-~]+")


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=1000))
def test_no_run_that_may_be_one_token_exceeds_the_indexed_length(text: str) -> None:
    query = translate_query(text, "oracle") or ""
    for run in _POSSIBLE_TOKEN.findall(query):
        assert len(run.encode()) <= ORACLE_TOKEN_MAX_BYTES, run
