"""Whether a store's schema is the one this package expects: the revision and the tables.

`schema_status` reads the Alembic revision recorded for the prefix; the command line
runs `require_current_schema` before every command that needs the tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.exc import DBAPIError

from locus_store.errors import SchemaNotCurrentError
from locus_store.ops.statements import ThreadStatements

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlalchemy.ext.asyncio import AsyncConnection

    from locus_store.store import Store


@dataclass(frozen=True)
class SchemaStatus:
    """The Alembic revision(s) recorded for a prefix and the heads this package ships."""

    prefix: str
    current: tuple[str, ...]
    heads: tuple[str, ...]
    #: Why the version table could not be read (a role with DML on the tables only), if so.
    unreadable: str | None = None

    @property
    def is_current(self) -> bool:
        return bool(self.current) and set(self.current) == set(self.heads)

    @property
    def is_unknown(self) -> bool:
        """A recorded revision this package does not know (a newer locus-store wrote it)."""
        from alembic.script import ScriptDirectory

        from locus_store.migrate import alembic_config

        script = ScriptDirectory.from_config(alembic_config(self.prefix))
        known = {rev.revision for rev in script.walk_revisions()}
        return any(rev not in known for rev in self.current)


async def schema_status(store: Store) -> SchemaStatus:
    """The revision recorded in the prefix's version table (empty when there is none)."""
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from locus_store.migrate import alembic_config

    version_table = store.schema.version_table

    def current(sync_conn: Connection) -> tuple[str, ...]:
        context = MigrationContext.configure(sync_conn, opts={"version_table": version_table})
        return tuple(context.get_current_heads())

    async def work(conn: AsyncConnection) -> tuple[str, ...]:
        return await conn.run_sync(current)

    heads = tuple(ScriptDirectory.from_config(alembic_config(store.table_prefix)).get_heads())
    try:
        recorded = await store.run(work)
    except DBAPIError as exc:
        reason = str(exc.orig or exc).strip().splitlines()[0]
        return SchemaStatus(store.table_prefix, (), heads, unreadable=reason)
    return SchemaStatus(store.table_prefix, recorded, heads)


async def _tables_answer(store: Store) -> bool:
    """Whether every table of the prefix can be read (it exists and this role may read it)."""
    probes = ThreadStatements.of(store.table_prefix, store.dialect_name).probes

    async def read(conn: AsyncConnection) -> None:
        for probe in probes.values():
            await conn.execute(probe)

    try:
        await store.run(read)
    except (DBAPIError, SchemaNotCurrentError):
        return False
    return True


async def require_current_schema(store: Store) -> SchemaStatus:
    """The schema status; `SchemaNotCurrentError` saying what to do when not current.

    A role that may not read the version table (DML on the tables only) passes when
    every table can be read: the revision cannot be checked then.
    """
    status = await schema_status(store)
    if status.is_current:
        return status
    if not status.current:
        if await _tables_answer(store):
            return status
        raise SchemaNotCurrentError(
            f"the tables of prefix {store.table_prefix!r} do not exist in this database: "
            "run `locus-store upgrade` (or give the right --url / --prefix)"
        )
    if status.is_unknown:
        raise SchemaNotCurrentError(
            f"the schema of prefix {store.table_prefix!r} is at revision "
            f"{', '.join(status.current)}, newer than this locus-store knows: "
            "upgrade the locus-store package"
        )
    raise SchemaNotCurrentError(
        f"the schema of prefix {store.table_prefix!r} is at revision "
        f"{', '.join(status.current)}, behind {', '.join(status.heads)}: "
        "run `locus-store upgrade`"
    )
