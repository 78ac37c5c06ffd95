"""What the Oracle driver receives, checked here without a server (see ``fake_driver``).

The engine is a real ``oracle+oracledb`` async engine with our hooks; only the
python-oracledb connection is replaced, so the binds seen here are the binds a real
server would get.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import oracledb
import pytest
import sqlalchemy as sa

from locus_store import Store
from locus_store.schema.types import EMPTY_STRING_SENTINEL
from tests.support.oracle.fake_driver import FakeDriver, FakeLob, Sent, encode_json

NOW = dt.datetime(2026, 11, 24, 12, 30, 15, 123456, tzinfo=dt.timezone(dt.timedelta(hours=2)))


async def _store(driver: FakeDriver) -> Store:
    return Store.from_url("oracle+oracledb://app:pw@", async_creator=driver.connect)


@pytest.fixture
async def driver() -> FakeDriver:
    return FakeDriver()


@pytest.fixture
async def store(driver: FakeDriver) -> AsyncIterator[Store]:
    st = await _store(driver)
    yield st
    await st.engine.dispose()


def _thread_row(store: Store, **values: Any) -> sa.Insert:
    row: dict[str, Any] = {
        "thread_id": "t1",
        "checkpoint_id": "c1",
        "state": {"messages": []},
        "created_at": NOW,
        "updated_at": NOW,
    }
    row.update(values)
    return store.schema.threads.insert().values(**row)


async def _insert(store: Store, driver: FakeDriver, statement: sa.Executable) -> Sent:
    await store.run(lambda c: c.execute(statement))
    inserts = [s for s in driver.statements if s.sql.startswith("INSERT")]
    assert inserts, driver.statements
    return inserts[-1]


def _document(size: int) -> dict[str, Any]:
    """A state-like document of about ``size`` bytes with ints, floats and empty strings."""
    chunk = "word " * 200
    messages = [
        {"role": "user", "content": chunk, "n": i, "score": i + 0.5}
        for i in range(max(1, size // len(chunk)))
    ]
    return {"messages": messages, "iteration": 3, "confidence": 0.25, "note": ""}


async def test_json_document_is_bound_as_json_text(store: Store, driver: FakeDriver) -> None:
    document = {"messages": [{"role": "user", "content": "hi"}], "n": 2, "x": 0.5, "e": ""}
    sent = await _insert(store, driver, _thread_row(store, state=document, metadata={"k": "v"}))
    assert (
        sent.parameters["state"]
        == '{"messages":[{"role":"user","content":"hi"}],"n":2,"x":0.5,"e":""}'
    )
    assert "state" not in sent.input_sizes  # the driver binds a short str as VARCHAR
    assert json.loads(sent.parameters["metadata"]) == {"k": "v"}
    assert not driver.lobs


async def test_missing_json_document_is_sql_null(store: Store, driver: FakeDriver) -> None:
    sent = await _insert(store, driver, _thread_row(store, metadata=None))
    assert sent.parameters["metadata"] is None


@pytest.mark.parametrize("size", [40_000, 1_000_000, 10_000_000], ids=["40KB", "1MB", "10MB"])
async def test_large_documents_are_bound_as_a_temporary_clob(
    store: Store, driver: FakeDriver, size: int
) -> None:
    document = _document(size)
    sent = await _insert(store, driver, _thread_row(store, state=document))
    assert sent.input_sizes["state"] is oracledb.DB_TYPE_CLOB
    lob = sent.parameters["state"]
    assert isinstance(lob, FakeLob)
    assert lob.type is oracledb.DB_TYPE_CLOB
    assert isinstance(lob.data, str)
    assert len(lob.data) >= size * 0.9
    assert json.loads(lob.data) == document


async def test_with_extended_strings_documents_up_to_32k_stay_plain_strings() -> None:
    driver = FakeDriver(extended_strings=True)
    store = await _store(driver)
    try:
        medium, large = _document(20_000), _document(40_000)
        sent = await _insert(store, driver, _thread_row(store, state=medium))
        assert sent.input_sizes["state"] is oracledb.DB_TYPE_VARCHAR
        assert json.loads(sent.parameters["state"]) == medium
        sent = await _insert(store, driver, _thread_row(store, thread_id="t2", state=large))
        assert isinstance(sent.parameters["state"], FakeLob)
    finally:
        await store.engine.dispose()


async def test_every_row_of_an_executemany_gets_a_lob_when_one_needs_it(
    store: Store, driver: FakeDriver
) -> None:
    rows: list[dict[str, Any]] = [
        {"thread_id": "small", "checkpoint_id": "c", "state": {"a": 1}},
        {"thread_id": "large", "checkpoint_id": "c", "state": _document(40_000)},
    ]
    for row in rows:
        row.update(created_at=NOW, updated_at=NOW)
    await store.run(lambda c: c.execute(store.schema.threads.insert(), rows))
    sent = [s for s in driver.statements if s.sql.startswith("INSERT")][-1]
    assert [json.loads(p["state"].data) for p in sent.parameters] == [r["state"] for r in rows]


async def test_long_search_text_is_bound_as_a_temporary_clob(
    store: Store, driver: FakeDriver
) -> None:
    text = "é" * 3000  # 6000 bytes in UTF-8
    sent = await _insert(store, driver, _thread_row(store, search_text=text))
    assert sent.input_sizes["search_text"] is oracledb.DB_TYPE_CLOB
    lob = sent.parameters["search_text"]
    assert isinstance(lob, FakeLob)
    assert lob.type is oracledb.DB_TYPE_CLOB
    assert lob.data == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("short words", oracledb.DB_TYPE_NVARCHAR),  # SQLAlchemy's own choice for Text
        ("a" * 3999, oracledb.DB_TYPE_VARCHAR),  # fits 4000 bytes, not as NVARCHAR
    ],
)
async def test_shorter_search_text_stays_a_plain_string(
    store: Store, driver: FakeDriver, text: str, expected: Any
) -> None:
    sent = await _insert(store, driver, _thread_row(store, search_text=text))
    assert sent.parameters["search_text"] == text
    assert sent.input_sizes["search_text"] is expected
    assert not driver.lobs


async def test_long_bytes_are_bound_as_a_temporary_blob(store: Store, driver: FakeDriver) -> None:
    blobs = store.schema.lg_blobs
    value = bytes(range(256)) * 40
    statement = blobs.insert().values(
        thread_id="t", checkpoint_ns="", channel="messages", version="1", value_type="msgpack",
        value=value,
    )  # fmt: skip
    sent = await _insert(store, driver, statement)
    assert sent.input_sizes["value"] is oracledb.DB_TYPE_BLOB
    assert isinstance(sent.parameters["value"], FakeLob)
    assert sent.parameters["value"].data == value


async def test_empty_namespace_is_bound_as_the_sentinel(store: Store, driver: FakeDriver) -> None:
    checkpoints = store.schema.checkpoints
    statement = checkpoints.insert().values(
        thread_id="t", checkpoint_ns="", checkpoint_id="c", seq=1, checkpoint={}, created_at=NOW
    )
    sent = await _insert(store, driver, statement)
    assert sent.parameters["checkpoint_ns"] == EMPTY_STRING_SENTINEL


async def test_timestamps_are_bound_as_naive_utc_marked_with_a_utc_offset_in_sql(
    store: Store, driver: FakeDriver
) -> None:
    sent = await _insert(store, driver, _thread_row(store))
    assert "FROM_TZ(CAST(:created_at AS TIMESTAMP), '+00:00')" in sent.sql
    assert sent.parameters["created_at"] == dt.datetime(2026, 11, 24, 10, 30, 15, 123456)


async def test_json_numbers_come_back_as_int_and_float(store: Store, driver: FakeDriver) -> None:
    stored = {
        "i": Decimal("2"),
        "f": Decimal("0.5"),
        "big": Decimal(10**30),
        "l": [Decimal("-1.25")],
    }
    driver.answer("FROM locus_threads", [(encode_json(stored),)])
    threads = store.schema.threads
    value = await store.run(lambda c: c.scalar(sa.select(threads.c.state)))
    assert value == {"i": 2, "f": 0.5, "big": 10**30, "l": [-1.25]}
    assert type(value["i"]) is int
    assert type(value["f"]) is float


async def test_json_empty_strings_come_back_as_empty_strings(
    store: Store, driver: FakeDriver
) -> None:
    stored = {"metadata": {"source": ""}, "messages": [{"role": "assistant", "content": ""}]}
    driver.answer("FROM locus_threads", [(encode_json(stored),)])
    threads = store.schema.threads
    assert await store.run(lambda c: c.scalar(sa.select(threads.c.state))) == stored


async def test_before_21c_json_is_text_and_long_documents_go_as_a_blob() -> None:
    driver = FakeDriver(version="19.24.0.0.0")
    store = await _store(driver)
    try:
        document = _document(40_000)
        sent = await _insert(store, driver, _thread_row(store, state=document))
        lob = sent.parameters["state"]
        assert isinstance(lob, FakeLob)
        assert lob.type is oracledb.DB_TYPE_BLOB
        assert isinstance(lob.data, bytes)
        assert lob.data.startswith(b'{"messages"')
    finally:
        await store.engine.dispose()
