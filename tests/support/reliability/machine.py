"""The base of the stateful tests: a state machine that owns an event loop and a store.

Hypothesis builds one machine per random program. The machine runs every async
call on its own ``asyncio.Runner`` (the store follows event loops), starts from
empty tables and closes its store at the end, so programs never see each other.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, ClassVar, TypeVar

import pytest
from hypothesis import settings as Settings
from hypothesis.stateful import RuleBasedStateMachine, run_state_machine_as_test

from locus_store import Store
from tests.support.backends import Target
from tests.support.database import empty_tables

T = TypeVar("T")


class StoreMachine(RuleBasedStateMachine):
    """A machine over a migrated (target, prefix); subclasses add the rules and the model."""

    target: ClassVar[Target]
    prefix: ClassVar[str]

    def __init__(self) -> None:
        super().__init__()
        self.runner = asyncio.Runner()
        self.store = Store.from_settings(self.target.settings, table_prefix=self.prefix)
        self.run(empty_tables(self.store))

    def run(self, awaitable: Awaitable[T]) -> T:
        async def wrapped() -> T:
            return await awaitable

        return self.runner.run(wrapped())

    def refused(self, awaitable: Awaitable[Any], error: type[Exception]) -> Exception:
        """Run ``awaitable`` and return the ``error`` it must raise."""
        with pytest.raises(error) as info:
            self.run(awaitable)
        return info.value

    def teardown(self) -> None:
        try:
            self.run(self.store.close())
        finally:
            self.runner.close()


def run_machine(
    machine: type[StoreMachine], target: Target, prefix: str, settings: Settings
) -> None:
    """Run ``machine``'s random programs against ``target`` under ``settings``."""
    bound = type(machine.__name__, (machine,), {"target": target, "prefix": prefix})
    run_state_machine_as_test(bound, settings=settings)
