"""A schema owner without tablespace quota: a typed error that names the grant to run.

With deferred segment creation (Oracle's default, ``DEFERRED_SEGMENT_CREATION=TRUE``)
``CREATE TABLE`` allocates no space, so a missing quota shows up at the first INSERT
(ORA-01950), and a used-up one when a table or index grows (ORA-01536). Oracle Text
creates and fills its ``DR$`` tables during ``CREATE INDEX``, so the migration that
creates the search index meets it too, nested under the index routine's error.

The fake driver raises what python-oracledb raises for them: an
``oracledb.DatabaseError`` over an ``_Error`` carrying ``code`` and the server's text
(thin mode appends the error-help URL itself). Texts, from Oracle's error reference
(https://docs.oracle.com/error-help/db/ora-01950/, .../ora-01536/): 23ai and later say
"The user LOCUS_OWNER has insufficient quota on tablespace DATA.", earlier releases
"no privileges on tablespace 'DATA'"; ORA-01536 is "space quota exceeded for
tablespace 'DATA'".
"""

from __future__ import annotations

from collections.abc import Callable

import oracledb
import pytest
import sqlalchemy as sa
from locus.core.state import AgentState
from oracledb.errors import _Error
from sqlalchemy.ext.asyncio import AsyncConnection

from locus_store import LocusStoreError, Store, TablespaceQuotaError
from locus_store._engine.oracle_errors import install_error_translation, tablespace_quota_error
from locus_store._engine.retry import is_dead_connection_error
from tests.support.oracle.fake_driver import FakeDriver

SECRET = "s3cret-value-in-a-bind"

NO_QUOTA_23AI = "ORA-01950: The user LOCUS_OWNER has insufficient quota on tablespace DATA."
NO_QUOTA_19C = "ORA-01950: no privileges on tablespace 'DATA'"
QUOTA_USED_UP = "ORA-01536: space quota exceeded for tablespace 'DATA'"
#: What CREATE INDEX ... INDEXTYPE IS CTXSYS.CONTEXT reports when the DR$ tables get no space.
TEXT_INDEX_NO_QUOTA = (
    "ORA-29855: error occurred in the execution of ODCIINDEXCREATE routine\n"
    "ORA-20000: Oracle Text error:\n"
    "DRG-50857: oracle error in drvxtab.create_index_tables\n"
    "ORA-01950: no privileges on tablespace 'DATA'"
)


def server_error(message: str) -> oracledb.DatabaseError:
    """The exception python-oracledb raises for a server error ``ORA-nnnnn: ...``."""
    return oracledb.DatabaseError(_Error(message, code=int(message[4:9])))


def failing(fragment: str, message: str) -> Callable[[str], BaseException | None]:
    """A ``FakeDriver.fail_with`` raising ``message`` for statements containing ``fragment``."""
    return lambda sql: server_error(message) if fragment in sql else None


def state() -> AgentState:
    return AgentState(agent_id=SECRET)


@pytest.mark.parametrize(
    ("message", "code"),
    [(NO_QUOTA_23AI, "ORA-01950"), (NO_QUOTA_19C, "ORA-01950"), (QUOTA_USED_UP, "ORA-01536")],
    ids=["no-quota-23ai", "no-quota-19c", "quota-used-up"],
)
async def test_save_without_quota_raises_a_typed_error_naming_the_grant(
    oracle_store: tuple[Store, FakeDriver], message: str, code: str
) -> None:
    store, driver = oracle_store
    driver.fail_with = failing("MERGE INTO locus_threads", message)
    with pytest.raises(TablespaceQuotaError) as info:
        await store.latest().save(state(), thread_id=SECRET)
    error = info.value
    assert (error.code, error.tablespace) == (code, "DATA")
    assert "QUOTA UNLIMITED ON DATA" in str(error)
    assert "tablespace DATA" in str(error)
    assert "not applied" in str(error)
    assert isinstance(error.__cause__, oracledb.DatabaseError)
    assert error.__cause__.args[0].code == int(code[4:])


async def test_the_owner_named_by_the_server_is_the_user_in_the_grant(
    oracle_store: tuple[Store, FakeDriver],
) -> None:
    store, driver = oracle_store
    driver.fail_with = failing("MERGE INTO locus_threads", NO_QUOTA_23AI)
    with pytest.raises(TablespaceQuotaError) as info:
        await store.latest().save(state(), thread_id="t1")
    assert info.value.owner == "LOCUS_OWNER"
    assert "ALTER USER LOCUS_OWNER QUOTA UNLIMITED ON DATA" in str(info.value)


async def test_the_error_carries_no_sql_text_and_no_bound_value(
    oracle_store: tuple[Store, FakeDriver],
) -> None:
    store, driver = oracle_store
    driver.fail_with = failing("MERGE INTO locus_threads", NO_QUOTA_23AI)
    with pytest.raises(TablespaceQuotaError) as info:
        await store.latest().save(state(), thread_id=SECRET)
    for shown in (str(info.value), repr(info.value)):
        assert SECRET not in shown
        assert "MERGE" not in shown
        assert "locus_threads" not in shown


async def test_a_quota_error_is_not_a_dead_connection_and_is_not_retried(
    oracle_store: tuple[Store, FakeDriver],
) -> None:
    store, driver = oracle_store
    attempts: list[str] = []

    def refuse(sql: str) -> BaseException | None:
        if "MERGE INTO locus_threads" not in sql:
            return None
        attempts.append(sql)
        return server_error(QUOTA_USED_UP)

    driver.fail_with = refuse
    with pytest.raises(TablespaceQuotaError) as info:
        await store.latest().save(state(), thread_id="t1")
    assert not is_dead_connection_error(info.value)
    assert len(attempts) == 1


async def test_a_transaction_run_by_the_store_raises_it_unchanged(
    oracle_store: tuple[Store, FakeDriver],
) -> None:
    store, driver = oracle_store
    driver.fail_with = failing("INSERT INTO grow", QUOTA_USED_UP)

    async def work(conn: AsyncConnection) -> None:
        await conn.execute(sa.text("INSERT INTO grow VALUES (:v)"), {"v": SECRET})

    with pytest.raises(TablespaceQuotaError) as info:
        await store.run(work, atomic=True)
    assert SECRET not in str(info.value)


async def test_a_migration_meeting_it_in_the_text_index_raises_the_same_error(
    oracle_store: tuple[Store, FakeDriver],
) -> None:
    store, driver = oracle_store
    driver.fail_with = failing("INDEXTYPE IS CTXSYS.CONTEXT", TEXT_INDEX_NO_QUOTA)
    with pytest.raises(TablespaceQuotaError) as info:
        await store.upgrade()
    assert info.value.tablespace == "DATA"
    assert "QUOTA UNLIMITED ON DATA" in str(info.value)
    assert "upgrade again" in str(info.value)  # each Oracle DDL commits: earlier steps stay


async def test_other_database_errors_stay_sqlalchemy_errors(
    oracle_store: tuple[Store, FakeDriver],
) -> None:
    store, driver = oracle_store
    driver.fail_with = failing(
        "MERGE INTO locus_threads",
        "ORA-01653: unable to extend table LOCUS.T by 128 in tablespace DATA",
    )
    with pytest.raises(sa.exc.DatabaseError) as info:
        await store.latest().save(state(), thread_id="t1")
    assert not isinstance(info.value, LocusStoreError)


def test_unknown_tablespace_and_owner_leave_placeholders_in_the_grant() -> None:
    error = tablespace_quota_error(server_error("ORA-01950: no privileges on tablespace"))
    assert error is not None
    assert error.tablespace is None
    assert error.owner is None
    assert "ALTER USER <schema owner> QUOTA UNLIMITED ON <tablespace>" in str(error)


def test_a_tablespace_name_that_needs_quoting_is_quoted_in_the_grant() -> None:
    error = tablespace_quota_error(
        server_error("ORA-01536: space quota exceeded for tablespace 'data 2'")
    )
    assert error is not None
    assert error.tablespace == "data 2"
    assert 'QUOTA UNLIMITED ON "data 2"' in str(error)


def test_translation_is_installed_once_per_engine_and_only_on_oracle() -> None:
    oracle = sa.create_engine("oracle+oracledb://app:pw@")
    install_error_translation(oracle)
    install_error_translation(oracle)
    assert len(oracle.dialect.dispatch.handle_error) == 1
    sqlite = sa.create_engine("sqlite://")
    install_error_translation(sqlite)
    assert len(sqlite.dialect.dispatch.handle_error) == 0
