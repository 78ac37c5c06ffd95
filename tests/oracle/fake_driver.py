"""A stand-in for a python-oracledb ``AsyncConnection`` that records what would be sent.

With it, an engine built by ``create_async_engine("oracle+oracledb://...",
async_creator=...)`` runs SQLAlchemy's real Oracle dialect, our column types and
our engine hooks, and the test sees exactly what the driver would receive: the SQL,
the bind values and the ``setinputsizes`` types. Nothing reaches a server; a
python-oracledb thin connection object (never connected) encodes OSON and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import oracledb
from oracledb.errors import _Error

#: What the fake says about the server: Oracle Database 23ai.
SERVER_VERSION = "23.5.0.0.0"


@dataclass
class Sent:
    """One statement as the driver would have received it."""

    sql: str
    parameters: Any
    input_sizes: dict[str, Any]


@dataclass
class FakeLob:
    """A temporary LOB created by ``createlob``."""

    type: Any
    data: str | bytes


class _Var:
    def __init__(self, value: Any = None) -> None:
        self.value = value

    def getvalue(self) -> Any:
        return self.value


@dataclass
class FakeDriver:
    """Shared state of the fake connections: what was sent, and canned answers."""

    sent: list[Sent] = field(default_factory=list)
    lobs: list[FakeLob] = field(default_factory=list)
    answers: list[tuple[str, list[tuple[Any, ...]]]] = field(default_factory=list)
    fail_with: Callable[[str], BaseException | None] | None = None
    version: str = SERVER_VERSION
    #: ``MAX_STRING_SIZE=EXTENDED`` (Autonomous Database) or ``STANDARD`` (the default).
    extended_strings: bool = False

    def answer(self, sql_fragment: str, rows: list[tuple[Any, ...]]) -> None:
        """Return ``rows`` for the next statement containing ``sql_fragment``."""
        self.answers.append((sql_fragment, rows))

    async def connect(self) -> FakeConnection:
        return FakeConnection(self)

    @property
    def statements(self) -> list[Sent]:
        """What the store sent (the dialect's own start-up queries left out)."""
        return [s for s in self.sent if not _is_dialect_probe(s.sql)]


_PROBES = ("FROM DUAL", "dbms_transaction", "v$transaction", "v$parameter", "sys_context")


def _is_dialect_probe(sql: str) -> bool:
    return any(p.lower() in sql.lower() for p in _PROBES) and "locus" not in sql.lower()


class FakeCursor:
    arraysize = 100
    prefetchrows = 2
    outputtypehandler: Any = None

    def __init__(self, driver: FakeDriver) -> None:
        self._driver = driver
        self._rows: list[tuple[Any, ...]] = []
        self._input_sizes: dict[str, Any] = {}
        self.description: list[tuple[Any, ...]] | None = None
        self.rowcount = 0
        self.lastrowid = None

    async def __aenter__(self) -> FakeCursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    def var(self, *args: Any, **kwargs: Any) -> _Var:
        return _Var()

    def setinputsizes(self, *args: Any, **kwargs: Any) -> None:
        self._input_sizes = dict(kwargs)

    async def execute(self, sql: str, parameters: Any = None) -> None:
        self._record(sql, parameters)
        lowered = sql.lower()
        rows: list[tuple[Any, ...]] = []
        if "varchar2(32767)" in lowered and not self._driver.extended_strings:
            raise oracledb.DatabaseError(
                _Error("ORA-00910: specified length too long for its datatype", code=910)
            )
        if "dbms_transaction.local_transaction_id" in lowered:
            parameters["trans_id"].value = "1.2.3"
        elif "from v$transaction" in lowered:
            rows = [("READ COMMITTED",)]
        elif "1.1 from dual" in lowered:
            rows = [("1.1",)]
        elif "v$parameter" in lowered:
            rows = [("23.0.0",)]
        elif "sys_context" in lowered:
            rows = [("APP",)]
        else:
            for i, (fragment, answer) in enumerate(self._driver.answers):
                if fragment.lower() in lowered:
                    rows = answer
                    del self._driver.answers[i]
                    break
        self._rows = list(rows)
        self.description = [("C0", oracledb.DB_TYPE_VARCHAR, None, None, None, None, True)] * (
            len(rows[0]) if rows else 1
        )
        if not rows and not lowered.lstrip().startswith("select"):
            self.description = None
        self.rowcount = len(rows) or 1

    async def executemany(self, sql: str, parameters: Any) -> None:
        self._record(sql, parameters)
        self.description = None
        self.rowcount = len(parameters)

    def _record(self, sql: str, parameters: Any) -> None:
        if self._driver.fail_with is not None:
            error = self._driver.fail_with(sql)
            if error is not None:
                raise error
        self._driver.sent.append(Sent(sql, parameters, self._input_sizes))
        self._input_sizes = {}

    async def fetchall(self) -> list[tuple[Any, ...]]:
        rows, self._rows = self._rows, []
        return rows

    def close(self) -> None:
        return None


class FakeConnection:
    autocommit = False
    outputtypehandler: Any = None
    stmtcachesize = 20
    max_identifier_length = 128
    thin = True

    def __init__(self, driver: FakeDriver) -> None:
        self._driver = driver
        self.version = driver.version

    def cursor(self) -> FakeCursor:
        return FakeCursor(self._driver)

    async def createlob(self, lob_type: Any, data: str | bytes | None = None) -> FakeLob:
        lob = FakeLob(lob_type, data or "")
        self._driver.lobs.append(lob)
        return lob

    async def commit(self) -> None:
        return None

    async def rollback(self) -> None:
        return None

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        return None

    def terminate(self) -> None:
        return None
