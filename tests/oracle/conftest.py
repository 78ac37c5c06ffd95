"""Fixtures shared by the Oracle statement tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from locus_store import Store
from tests.oracle.fake_driver import FakeDriver


@pytest.fixture
async def oracle_store() -> AsyncIterator[tuple[Store, FakeDriver]]:
    """A store on Oracle whose connections are fake drivers that record what they are sent."""
    driver = FakeDriver()
    engine = create_async_engine("oracle+oracledb://app:pw@", async_creator=driver.connect)
    yield Store(engine, table_prefix="locus"), driver
    await engine.dispose()
