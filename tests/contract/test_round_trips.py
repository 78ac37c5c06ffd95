"""Round trips per call: the statements sent, plus the BEGIN and COMMIT the driver sends.

Statements are counted with SQLAlchemy's ``before_cursor_execute``. Transaction
control is counted from the driver's own state: a BEGIN went out when the
driver connection enters a transaction (asyncpg's ``is_in_transaction()``,
sqlite3's ``in_transaction``, python-oracledb's ``transaction_in_progress``),
whether the driver sent it itself (asyncpg's transaction, sqlite3's implicit
BEGIN) or was told to; a COMMIT or ROLLBACK goes out when SQLAlchemy's
``commit``/``rollback`` event fires while that transaction is open.

A call that is one statement is one round trip: no BEGIN, no COMMIT.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from langchain_core.runnables import RunnableConfig

from locus_store import Store
from tests.support.round_trips import ONE_ROUND_TRIP, Call, prepared


def _in_transaction(driver_connection: Any) -> bool:
    """Whether the driver connection has a transaction open on the server."""
    if hasattr(driver_connection, "is_in_transaction"):  # asyncpg
        return bool(driver_connection.is_in_transaction())
    if hasattr(driver_connection, "transaction_in_progress"):  # python-oracledb
        return bool(driver_connection.transaction_in_progress)
    return bool(driver_connection.in_transaction)  # aiosqlite / sqlite3


class RoundTrips:
    """What one call sends: statements, and the transaction control around them."""

    def __init__(self) -> None:
        self.statements: list[str] = []
        self.begins = 0
        self.commits = 0
        self.rollbacks = 0
        self._open: set[int] = set()

    @property
    def total(self) -> int:
        return len(self.statements) + self.begins + self.commits + self.rollbacks

    def _notice_begin(self, conn: sa.Connection) -> bool:
        """Count a BEGIN the first time the connection is seen inside a transaction."""
        driver = conn.connection.driver_connection
        key = id(driver)
        inside = _in_transaction(driver)
        if inside and key not in self._open:
            self._open.add(key)
            self.begins += 1
        return inside

    def before_statement(self, conn: sa.Connection, _cursor: Any, statement: str, *_: Any) -> None:
        self._notice_begin(conn)
        self.statements.append(statement)

    def after_statement(self, conn: sa.Connection, *_: Any) -> None:
        self._notice_begin(conn)

    def commit(self, conn: sa.Connection) -> None:
        if self._notice_begin(conn):
            self.commits += 1
        self._open.discard(id(conn.connection.driver_connection))

    def rollback(self, conn: sa.Connection) -> None:
        if conn.closed or conn.invalidated:
            return
        if self._notice_begin(conn):
            self.rollbacks += 1
        self._open.discard(id(conn.connection.driver_connection))

    def __repr__(self) -> str:
        return (
            f"RoundTrips(statements={self.statements!r}, begins={self.begins}, "
            f"commits={self.commits}, rollbacks={self.rollbacks})"
        )


@contextmanager
def round_trips(store: Store) -> Iterator[RoundTrips]:
    seen = RoundTrips()
    engine = store.engine.sync_engine
    listeners: list[tuple[str, Callable[..., Any]]] = [
        ("before_cursor_execute", seen.before_statement),
        ("after_cursor_execute", seen.after_statement),
        ("commit", seen.commit),
        ("rollback", seen.rollback),
    ]
    for name, fn in listeners:
        sa.event.listen(engine, name, fn)
    try:
        yield seen
    finally:
        for name, fn in listeners:
            sa.event.remove(engine, name, fn)


@pytest.mark.parametrize("call", ONE_ROUND_TRIP.values(), ids=ONE_ROUND_TRIP.keys())
async def test_a_single_statement_call_is_one_round_trip_without_begin_or_commit(
    store: Store, call: Call
) -> None:
    await prepared(store)
    await call(store, 1)  # the second run sends what every later run sends
    with round_trips(store) as sent:
        await call(store, 2)
    assert (len(sent.statements), sent.begins, sent.commits, sent.rollbacks) == (1, 0, 0, 0), sent


@pytest.mark.parametrize("how_many", [1, 5, 100])
async def test_put_writes_is_one_transaction_of_at_most_two_statements(
    store: Store, how_many: int
) -> None:
    await prepared(store)
    writes = [(f"channel-{i}", {"i": i}) for i in range(how_many)]
    with round_trips(store) as sent:
        await store.versioned().put_writes(
            thread_id="v1", checkpoint_id="b", task_id="k", writes=writes
        )
    assert len(sent.statements) <= 2, sent
    assert (sent.begins, sent.commits, sent.rollbacks) == (1, 1, 0), sent


async def test_a_failing_single_statement_sends_no_rollback(store: Store) -> None:
    from locus_store.errors import CheckpointExistsError

    await prepared(store)
    saver = store.versioned()
    with round_trips(store) as sent, pytest.raises(CheckpointExistsError):
        await saver.put(thread_id="v1", checkpoint_id="a", checkpoint_data={"other": True})
    assert (sent.begins, sent.commits, sent.rollbacks) == (0, 0, 0), sent


async def test_the_count_sees_the_begin_and_commit_of_a_transaction(store: Store) -> None:
    await prepared(store)
    threads = store.schema.threads
    statement = threads.update().where(threads.c.thread_id == "t1").values(checkpoint_id="c2")

    async def work(conn: Any) -> None:
        await conn.execute(statement)

    with round_trips(store) as sent:
        await store.run(work, atomic=True)
    assert (len(sent.statements), sent.begins, sent.commits, sent.rollbacks) == (1, 1, 1, 0), sent


def _graph_config(checkpoint_id: str | None = None) -> RunnableConfig:
    configurable: dict[str, Any] = {"thread_id": "g", "checkpoint_ns": ""}
    if checkpoint_id is not None:
        configurable["checkpoint_id"] = checkpoint_id
    return {"configurable": configurable}


async def _graph_put(store: Store, n: int) -> Any:
    from langgraph.checkpoint.base import empty_checkpoint

    checkpoint = empty_checkpoint()
    checkpoint["channel_values"] = {"messages": ["hi"]}
    return await store.langgraph_saver().aput(
        _graph_config(), checkpoint, {"step": n}, {"messages": str(n)}
    )


#: LangGraph calls: (call, {backend: (statements, begins, commits)}), as docs/performance.md
#: lists them.
LANGGRAPH: dict[str, tuple[Call, dict[str, tuple[int, int, int]]]] = {
    "aput": (_graph_put, {"postgresql": (1, 0, 0), "sqlite": (2, 0, 0), "oracle": (2, 0, 0)}),
    "aget_tuple": (
        lambda s, n: s.langgraph_saver().aget_tuple(_graph_config()),
        {"postgresql": (1, 0, 0), "sqlite": (1, 0, 0), "oracle": (1, 0, 0)},
    ),
    "aput_writes": (
        lambda s, n: s.langgraph_saver().aput_writes(
            _graph_config("c1"), [("messages", n)], "task"
        ),
        # Oracle: the commit goes with the statement (no BEGIN exists there).
        {"postgresql": (1, 1, 1), "sqlite": (1, 1, 1), "oracle": (1, 0, 0)},
    ),
    "aput_writes with an error": (
        lambda s, n: s.langgraph_saver().aput_writes(
            _graph_config("c1"), [("__error__", "boom"), ("messages", n)], "task"
        ),
        {"postgresql": (2, 1, 1), "sqlite": (2, 1, 1), "oracle": (2, 1, 0)},
    ),
}


@pytest.mark.parametrize("name", LANGGRAPH)
async def test_langgraph_calls_send_what_the_round_trip_table_says(
    store: Store, backend: str, name: str
) -> None:
    call, expected = LANGGRAPH[name]
    counts = expected[backend.removesuffix("-app")]
    if name.startswith("aput_writes"):
        await _graph_put(store, 0)  # writes go only into a thread that has a checkpoint
    await call(store, 1)
    with round_trips(store) as sent:
        await call(store, 2)
    assert (len(sent.statements), sent.begins, sent.commits, sent.rollbacks) == (*counts, 0), sent
