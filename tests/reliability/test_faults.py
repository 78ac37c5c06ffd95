"""Faults on PostgreSQL: the server kills the session in the middle of a repository call.

``tests/reliability/test_dead_connections.py`` checks ``Store.run`` itself; here every
repository operation that writes is run with its session terminated
(``pg_terminate_backend`` from a second connection) before or after each of its
statements, on the first attempt only or on every attempt. Whatever the moment:

- the caller sees success, or one clear error (``ConnectionLostError`` when the
  outcome is unknown, ``StoreUnavailableError`` when the work was rolled back);
- the tables hold either the state before the call or the state after it, never a
  part of it, and never the call applied twice;
- the next call succeeds.

The store connects as the least-privilege app role, whose password must not appear
in any of the errors. The database being unreachable at start-up is tested last.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.util import await_

from locus_store import ConnectionLostError, Store, StoreUnavailableError
from tests.support.backends import Target
from tests.support.database import empty_tables, made_tables, statements_sent
from tests.support.reliability.hostile import Repos
from tests.support.reliability.worker import tagged_state, tagged_writes
from tests.support.roles import APP_BACKEND

Op = Callable[[Repos], Awaitable[Any]]
S1, S2 = tagged_state("first"), tagged_state("second")


async def _seed_chain(r: Repos) -> None:
    for n, parent in (("c1", None), ("c2", "c1"), ("c3", "c2")):
        await r.saver.put(
            thread_id="t", checkpoint_id=n, checkpoint_data={"n": n}, parent_checkpoint_id=parent
        )
    await r.saver.put_writes(
        thread_id="t", checkpoint_id="c2", task_id="k", writes=tagged_writes("a", 5)
    )


@dataclass(frozen=True)
class Operation:
    seed: Op
    call: Op


async def _save_first(r: Repos) -> None:
    await r.latest.save(S1, "t", checkpoint_id="c1")


OPERATIONS: dict[str, Operation] = {
    "latest.save": Operation(
        _save_first, lambda r: r.latest.save(S2, "t", checkpoint_id="c2", metadata={"n": 2})
    ),
    "latest.copy_thread": Operation(_save_first, lambda r: r.latest.copy_thread("t", "t2")),
    "latest.delete": Operation(_save_first, lambda r: r.latest.delete("t")),
    "latest.vacuum": Operation(_save_first, lambda r: r.latest.vacuum(older_than_days=0)),
    "saver.put": Operation(
        _seed_chain,
        lambda r: r.saver.put(
            thread_id="t", checkpoint_id="c4", checkpoint_data={"n": 4}, parent_checkpoint_id="c3"
        ),
    ),
    "view.save": Operation(_seed_chain, lambda r: r.view.save(S2, "t", checkpoint_id="c4")),
    "saver.put_writes": Operation(
        _seed_chain,
        lambda r: r.saver.put_writes(
            thread_id="t", checkpoint_id="c2", task_id="k", writes=tagged_writes("b", 7)
        ),
    ),
    "saver.delete_checkpoint": Operation(
        _seed_chain, lambda r: r.saver.delete_checkpoint(thread_id="t", checkpoint_id="c2")
    ),
    "saver.copy_thread": Operation(_seed_chain, lambda r: r.saver.copy_thread("t", "t2")),
    "saver.delete_thread": Operation(_seed_chain, lambda r: r.saver.delete_thread("t")),
    "saver.vacuum": Operation(
        _seed_chain, lambda r: r.saver.vacuum(older_than_days=0, keep_last=1)
    ),
}
TIMES = {"created_at", "updated_at", "expires_at"}


async def contents(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table but its timestamps (which differ from one run to the next)."""

    async def work(conn: AsyncConnection) -> dict[str, list[tuple[Any, ...]]]:
        found: dict[str, list[tuple[Any, ...]]] = {}
        for table in await made_tables(conn, store):
            columns = [c for c in table.columns if c.key not in TIMES]
            query = sa.select(*columns).order_by(*table.primary_key.columns)
            found[table.name] = sorted(repr(tuple(r)) for r in await conn.execute(query))  # type: ignore[misc]
        return found

    return await store.run(work)


class Terminator:
    """Kill the session of the statement numbered ``at`` (0-based), before or after it runs.

    ``every``: on every connection (so the retry dies too), else on the first one only.
    """

    def __init__(self, admin: str, *, at: int, after: bool, every: bool) -> None:
        self.admin, self.at, self.after, self.every = admin, at, after, every
        self.counts: dict[int, int] = {}
        self.killed: list[int] = []

    def __call__(self, conn: sa.Connection, *_: Any) -> None:
        pid = conn.connection.driver_connection.get_server_pid()  # type: ignore[union-attr]
        number = self.counts.get(pid, 0)
        self.counts[pid] = number + 1
        if number == self.at and (self.every or not self.killed):
            self.killed.append(pid)
            await_(terminate(self.admin, pid))


async def terminate(admin: str, pid: int) -> None:
    killer = await asyncpg.connect(admin)
    try:
        assert await killer.fetchval("SELECT pg_terminate_backend($1)", pid)
        for _ in range(500):
            alive = await killer.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = $1", pid
            )
            if not alive:
                return
            await asyncio.sleep(0.01)
        raise AssertionError(f"backend {pid} survived")
    finally:
        await killer.close()


@pytest.fixture
def app(migrated: dict[str, tuple[Target, str]]) -> tuple[Target, str, str]:
    """The app role's target and prefix, and the superuser's DSN for the killer."""
    target, prefix = migrated[APP_BACKEND]
    admin_url = migrated["postgresql"][0].settings.url.set(drivername="postgresql")
    return target, prefix, admin_url.render_as_string(hide_password=False)


@pytest.fixture
async def store(app: tuple[Target, str, str]) -> AsyncIterator[Store]:
    target, prefix, _ = app
    st = Store.from_settings(target.settings, table_prefix=prefix)
    yield st
    await st.close()


async def reset(store: Store, operation: Operation) -> Repos:
    await empty_tables(store)
    repos = Repos.of(store)
    await operation.seed(repos)
    return repos


@pytest.mark.parametrize("name", OPERATIONS)
async def test_a_session_killed_at_any_statement_leaves_before_or_after_never_half(
    store: Store, app: tuple[Target, str, str], name: str
) -> None:
    target, _prefix, admin = app
    password = target.settings.url.password
    assert password
    operation = OPERATIONS[name]

    repos = await reset(store, operation)
    before = await contents(store)
    with statements_sent(store) as sent:
        await operation.call(repos)
    after = await contents(store)
    assert after != before, "the operation must change something"
    statements = len(sent.statements)
    assert statements >= 1

    outcomes: dict[str, int] = {}
    for at in range(statements):
        for after_it, every in ((False, False), (True, False), (False, True)):
            where = f"{'after' if after_it else 'before'} statement {at}, every={every}"
            repos = await reset(store, operation)
            killer = Terminator(admin, at=at, after=after_it, every=every)
            hook = "after_cursor_execute" if after_it else "before_cursor_execute"
            event.listen(store.engine.sync_engine, hook, killer)
            failure: ConnectionLostError | StoreUnavailableError | None = None
            try:
                await operation.call(repos)
            except (ConnectionLostError, StoreUnavailableError) as exc:
                failure = exc
            finally:
                event.remove(store.engine.sync_engine, hook, killer)
            outcome = "success" if failure is None else type(failure).__name__
            if failure is not None:
                shown = "".join(traceback.format_exception(failure))
                assert password not in shown, where
                assert "127.0.0.1" in str(failure), where  # names the database, not the secret
            assert killer.killed, where
            found = await contents(store)
            if outcome == "success":
                assert found == after, where
            elif outcome == "StoreUnavailableError":
                assert found == before, where
            else:
                assert found in (before, after), where
            if not every and not after_it:
                assert outcome == "success", where  # killed before it ran: retried once
            if every:
                assert outcome != "success", where  # the retry died too: one clear error
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
            # The next call succeeds.
            await repos.latest.save(S1, "next")
            assert await repos.latest.load("next") == S1
    assert outcomes.get("success", 0) >= statements


# -- the database unreachable at start-up ---------------------------------------------------

UNREACHABLE = {
    "refused port": "postgresql://app:s3cret-pw@127.0.0.1:1/test",
    "unknown host": "postgresql://app:s3cret-pw@no-such-host.invalid:5432/test",
    "unknown role": "postgresql://no_such_role_x:s3cret-pw@127.0.0.1:5432/test",
    "unknown database": "postgresql://postgres:s3cret-pw@127.0.0.1:5432/no_such_db_x",
    "missing directory": "sqlite:////nonexistent-dir/x.db",
}


@pytest.mark.parametrize("kind", UNREACHABLE)
async def test_an_unreachable_database_is_one_clear_error_naming_the_url_without_password(
    kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    url = UNREACHABLE[kind]
    secret = "s3cret-pw"
    store = Store.from_url(url, connect_args={"timeout": 5})
    first_calls: list[Callable[[], Awaitable[Any]]] = [
        lambda: store.latest().load("t"),
        lambda: store.versioned().get(thread_id="t"),
        lambda: store.upgrade(),
    ]
    caplog.set_level(logging.DEBUG)
    try:
        for call in first_calls:
            with pytest.raises(StoreUnavailableError) as info:
                await call()
            message = str(info.value)
            assert message.startswith("cannot connect to ")
            assert secret not in "".join(traceback.format_exception(info.value))
            parsed = sa.engine.make_url(url)
            assert str(parsed.host or parsed.database) in message
            if parsed.password:
                assert f":***@{parsed.host}" in message
    finally:
        await store.close()
    assert all(secret not in record.getMessage() for record in caplog.records)
    assert secret not in repr(store)


# -- the same, on the fast path of Store.execute ----------------------------------------------
#
# Statement listeners turn the fast path off, so the kills above all happen on
# Connection.execute. Here the session is killed from the pool's checkout event (before
# the statement, on the first checkout or on every one) or from the fast path's driver
# call itself (right after the statement ran), with no statement listener attached.

#: Operations that are one statement on the fast path.
FAST_OPERATIONS = ("latest.save", "latest.delete", "latest.vacuum", "saver.put", "view.save")


class CheckoutKiller:
    """Kill the session of the connection being checked out: the first one, or every one."""

    def __init__(self, admin: str, *, every: bool) -> None:
        self.admin, self.every = admin, every
        self.killed: list[int] = []

    def __call__(self, dbapi_connection: Any, *_: Any) -> None:
        if self.every or not self.killed:
            pid = dbapi_connection.driver_connection.get_server_pid()
            self.killed.append(pid)
            await_(terminate(self.admin, pid))


@pytest.mark.parametrize("name", FAST_OPERATIONS)
@pytest.mark.parametrize("moment", ["before, first", "before, every", "after, first"])
async def test_fast_path_session_killed_before_or_after_its_statement(
    store: Store,
    app: tuple[Target, str, str],
    name: str,
    moment: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    target, _prefix, admin = app
    password = target.settings.url.password
    assert password
    assert store._fast is not None
    operation = OPERATIONS[name]
    for _ in range(2):  # the second sighting plans the statement: now on the fast path
        repos = await reset(store, operation)
        before = await contents(store)
        await operation.call(repos)
        after = await contents(store)
    assert after != before

    fast_calls: list[int] = []
    real = store._fast._runner
    killed_after: list[int] = []

    async def runner(connection: Any, sql: str, arguments: Any, kind: Any) -> Any:
        fast_calls.append(1)
        outcome = await real(connection, sql, arguments, kind)
        if moment.startswith("after") and not killed_after:
            killed_after.append(connection.get_server_pid())
            await terminate(admin, killed_after[0])
        return outcome

    repos = await reset(store, operation)
    monkeypatch.setattr(store._fast, "_runner", runner)
    pool = store.engine.sync_engine.pool
    killer = CheckoutKiller(admin, every=moment.endswith("every"))
    if moment.startswith("before"):
        event.listen(pool, "checkout", killer)
    failure: ConnectionLostError | None = None
    try:
        await operation.call(repos)
    except ConnectionLostError as exc:
        failure = exc
    finally:
        if moment.startswith("before"):
            event.remove(pool, "checkout", killer)
    outcome = "success" if failure is None else type(failure).__name__
    if failure is not None:
        assert password not in "".join(traceback.format_exception(failure))
    assert fast_calls, "the call went through the fast path"
    assert killer.killed or killed_after
    found = await contents(store)
    if moment == "before, every":
        assert outcome == "ConnectionLostError"  # the retry died too: one clear error
        assert found == before  # it never ran
    else:
        assert outcome == "success"  # killed before: retried once; after: it had run
        assert found == after  # applied exactly once
    # The next call succeeds (after a kill "after", on a dead pooled connection).
    await repos.latest.save(S1, "next")
    assert await repos.latest.load("next") == S1
