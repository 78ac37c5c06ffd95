"""Thread-id globs mean the same on every backend: case-sensitive, only ``*`` and ``?`` wild.

SQLite's ``LIKE`` folds ASCII case, so the listing is compiled as ``GLOB`` there.
"""

from __future__ import annotations

import fnmatch

import pytest
from hypothesis import given
from hypothesis import strategies as st
from locus.core.messages import Message
from locus.core.state import AgentState

from locus_store import Store
from locus_store.sql.like import LIKE_ESCAPE, glob_to_like, like_to_glob
from tests.support.reliability.strategies import glob_matches

NAMES = ("Team-1", "team-1", "TEAM-1", "t[1]", "t*1", "t?1", "t%1", "t_1", "t/1", "t!1")
PATTERNS = ("Team-*", "team-?", "T*", "t[1]", "t[*", "t?1", "t%1", "t_1", "*/*", "t!?", "*")


@pytest.mark.parametrize("pattern", PATTERNS)
async def test_single_row_thread_listing_is_case_sensitive_and_literal(
    store: Store, pattern: str
) -> None:
    cp = store.latest()
    state = AgentState(agent_id="a", messages=(Message.user("hello"),))
    for name in NAMES:
        await cp.save(state, name)
    listed = await cp.list_threads(pattern=pattern)
    assert sorted(listed) == sorted(n for n in NAMES if glob_matches(pattern, n))


@pytest.mark.parametrize("pattern", PATTERNS)
async def test_versioned_thread_listing_is_case_sensitive_and_literal(
    store: Store, pattern: str
) -> None:
    saver = store.versioned()
    for name in NAMES:
        await saver.put(thread_id=name, checkpoint_id="c", checkpoint_data={})
    listed = await saver.list_threads(pattern=pattern)
    assert listed == sorted(n for n in NAMES if glob_matches(pattern, n))


@given(
    name=st.text(alphabet="aA*?[]%_/!-", max_size=6),
    pattern=st.text(alphabet="aA*?[]%_/!-", max_size=6),
)
def test_a_like_pattern_becomes_the_glob_that_matches_the_same_names(
    name: str, pattern: str
) -> None:
    glob = like_to_glob(glob_to_like(pattern), LIKE_ESCAPE)
    assert fnmatch.fnmatchcase(name, glob) == glob_matches(pattern, name)
