"""Oracle errors that need a DBA, raised as typed errors that say what to grant.

A schema owner without quota on its tablespace can create tables (with deferred
segment creation, Oracle's default, ``CREATE TABLE`` allocates nothing) and then fails
at the first INSERT with ORA-01950, or later, when a segment grows past the quota, with
ORA-01536. Both become `locus_store.errors.TablespaceQuotaError`, whose message
names the tablespace and the ``ALTER USER ... QUOTA ... ON`` to run.

Oracle's texts (https://docs.oracle.com/error-help/db/ora-01950/ and
https://docs.oracle.com/error-help/db/ora-01536/):

- ORA-01950, 23ai and later: ``The user <owner> has insufficient quota on tablespace
  <tablespace>.`` (the owner of the segment that needs the space); earlier releases:
  ``no privileges on tablespace '<tablespace>'``;
- ORA-01536: ``space quota exceeded for tablespace '<tablespace>'``.

Errors raised inside a routine carry the code further down their text (Oracle Text's
``CREATE INDEX`` reports ORA-29855 with ORA-01950 beneath it), so the text is searched,
not only the top code.

The translation is a ``handle_error`` listener, so every path through the engine
(repositories, ``Store.run``, migrations) gets it; SQLAlchemy raises the returned
exception instead of its own, ``from`` the driver's error
(``DialectEvents.handle_error``, "chained" style with ``retval=True``), and the
listeners after it still run.
"""

from __future__ import annotations

import re

from sqlalchemy import event
from sqlalchemy.engine import Engine, ExceptionContext

from locus_store.errors import TablespaceQuotaError

#: ORA-01950: no quota on the tablespace; ORA-01536: the quota is used up.
NO_QUOTA = "ORA-01950"
QUOTA_USED_UP = "ORA-01536"
_QUOTA_CODES = {1950: NO_QUOTA, 1536: QUOTA_USED_UP}

_CODE_IN_TEXT = re.compile(r"\bORA-0(1950|1536)\b")
_TABLESPACE = (
    re.compile(
        r"user (?P<owner>\S+) has insufficient quota on tablespace (?P<tablespace>[^\s'.;]+)", re.I
    ),
    re.compile(r"no privileges on tablespace '(?P<tablespace>[^']+)'", re.I),
    re.compile(r"space quota exceeded for tablespace '(?P<tablespace>[^']+)'", re.I),
)
#: A name that needs no double quotes in SQL (Oracle folds unquoted names to upper case).
_PLAIN_NAME = re.compile(r"[A-Z][A-Z0-9_$#]*")
_DDL = ("CREATE", "ALTER")


def tablespace_quota_error(
    error: BaseException, *, ddl: bool = False
) -> TablespaceQuotaError | None:
    """The typed error for a python-oracledb error reporting missing or used-up quota, else None.

    ``ddl``: the failing statement was DDL (a migration step), so the message says that
    the steps before it stay applied.
    """
    detail = error.args[0] if error.args else None
    text = getattr(detail, "message", None)
    if not isinstance(text, str):
        text = str(error)
    code = _QUOTA_CODES.get(getattr(detail, "code", 0) or 0)
    if code is None:
        found = _CODE_IN_TEXT.search(text)
        if found is None:
            return None
        code = f"ORA-0{found[1]}"
    tablespace = owner = None
    for pattern in _TABLESPACE:
        match = pattern.search(text)
        if match:
            tablespace = match["tablespace"]
            owner = match.groupdict().get("owner")
            break
    return TablespaceQuotaError(
        _message(code, tablespace, owner, ddl), code=code, tablespace=tablespace, owner=owner
    )


def _message(code: str, tablespace: str | None, owner: str | None, ddl: bool) -> str:
    space = _sql_name(tablespace) if tablespace else "<tablespace>"
    user = _sql_name(owner) if owner else "<schema owner>"
    who = f"user {owner}" if owner else "the owner of the tables"
    if code == NO_QUOTA:
        what = f"{who} has no quota on tablespace {space} ({code})"
        size = f"QUOTA <size>M ON {space}"
    else:
        what = f"{who} has used up its quota on tablespace {space} ({code})"
        size = f"a larger QUOTA <size>M ON {space}"
    outcome = "the statement that needed the space was not applied"
    if ddl:
        # Each Oracle DDL commits on its own: the migration stopped part way.
        outcome += (
            "; the migration steps before it stay applied: run the upgrade again after the grant"
        )
    grant = f"ALTER USER {user} QUOTA UNLIMITED ON {space} (or {size})"
    return f"{what}: a DBA must run {grant}; {outcome}"


def _sql_name(name: str) -> str:
    return name if _PLAIN_NAME.fullmatch(name) else '"' + name.replace('"', '""') + '"'


def _is_ddl(context: ExceptionContext) -> bool:
    if getattr(context.execution_context, "isddl", False):  # DefaultExecutionContext's flag
        return True
    words = (context.statement or "").split(None, 1)
    return bool(words) and words[0].upper() in _DDL


def _translate(context: ExceptionContext) -> TablespaceQuotaError | None:
    if context.is_pre_ping:
        return None
    original = context.original_exception
    if not isinstance(original, context.dialect.loaded_dbapi.Error):
        return None
    return tablespace_quota_error(original, ddl=_is_ddl(context))


def install_error_translation(engine: Engine) -> None:
    """Raise quota errors on ``engine`` as `TablespaceQuotaError` (Oracle; idempotent)."""
    if engine.dialect.name != "oracle":
        return
    if not event.contains(engine, "handle_error", _translate):
        event.listen(engine, "handle_error", _translate, retval=True)
