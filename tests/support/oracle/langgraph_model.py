"""LangGraph's memory store on the fake Oracle driver answering as the server would."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest
from langgraph.store.base import Op, Result

from locus_store import Store
from locus_store.memory.langgraph_store import SQLAlchemyStore
from tests.support.backends import MEMORY_TEST_DIMS
from tests.support.oracle.fake_driver import FakeDriver
from tests.support.oracle.oracle_memory import MemoryServer

#: Parameter ids of the LangGraph memory tests beside the backends: the Oracle model
#: (the fake driver answering as the server would) and LangGraph's ``InMemoryStore``.
ORACLE_MODEL = "oracle-model"
LANGGRAPH_IN_MEMORY = "langgraph-in-memory"


def on_oracle_model(oracle_store: tuple[Store, FakeDriver], **options: Any) -> SQLAlchemyStore:
    """The store on the fake driver answering as Oracle would (`MemoryServer`); what the
    model does not evaluate yet (its AssertionError says so) makes the test an xfail."""
    store, driver = oracle_store
    if not any(isinstance(rule, MemoryServer) for rule in driver.server_rules):
        driver.server_rules.append(MemoryServer(store.schema, dims=MEMORY_TEST_DIMS))
    lg = store.langgraph_store(**options)
    abatch = lg.abatch

    async def modelled(ops: Iterable[Op]) -> list[Result]:
        try:
            return await abatch(ops)
        except AssertionError as exc:
            if "not modelled" in str(exc) or "does not evaluate" in str(exc):
                pytest.xfail(f"the Oracle model: {str(exc)[:120]}")
            raise

    lg.abatch = modelled  # type: ignore[method-assign]
    return lg
