"""LangGraph's official checkpointer conformance suite: 81 of 81, nothing skipped, per backend."""

from __future__ import annotations

from collections.abc import AsyncIterator

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.conformance import checkpointer_test, validate

from locus_store import Store
from tests.support.database import empty_tables

#: Tests per capability in langgraph-checkpoint-conformance 0.0.2.
BASE = {"put": 17, "put_writes": 10, "get_tuple": 10, "list": 16, "delete_thread": 5}
EXTENDED = {"delete_for_runs": 7, "copy_thread": 8, "prune": 8}


async def test_conformance_suite_passes_all_81_tests_with_no_capability_skipped(
    store: Store,
) -> None:
    async def fresh_saver() -> AsyncIterator[BaseCheckpointSaver[str]]:
        await empty_tables(store)
        saver = store.langgraph_saver()
        try:
            yield saver
        finally:
            await saver.aclose()

    registered = checkpointer_test(name=f"SQLAlchemySaver on {store.dialect_name}")(fresh_saver)
    report = await validate(registered)

    outcome = {
        name: (r.detected, r.tests_passed, r.tests_failed, r.tests_skipped)
        for name, r in report.results.items()
    }
    failures = [f for r in report.results.values() for f in r.failures]
    assert outcome == {name: (True, n, 0, 0) for name, n in {**BASE, **EXTENDED}.items()}, failures
    assert sum(BASE.values()) == 58
    assert sum(EXTENDED.values()) == 23
    assert report.passed_all_base()
    assert report.passed_all()
    assert report.conformance_level() == "FULL"
