"""End-to-end demo on the embedded SQLite default (or ORACLE_* / LOCUS_STORE_URL when set).

    ./run demo

Migrates the schema, then runs the example stories that exist in examples/, each
introduced by what it writes and what it removes again.
"""

from __future__ import annotations

import asyncio
import runpy
import sys
from pathlib import Path

import sqlalchemy as sa

from locus_store import Store

HERE = Path(__file__).resolve().parent
#: Each story, and the threads it writes: some only to show how they are removed.
STORIES = {
    "checkpoint_backends.py": (
        "saves thread_1 and thread_2, which stay; then a thread 'abandoned', backdated "
        "45 days, only for vacuum to remove it"
    ),
    "versioned_saver.py": (
        "records the audit trail and the live thread of agent-incident-001, which are "
        "deleted again at the end so the story can run again"
    ),
}


async def migrate_and_describe() -> None:
    store = Store.from_env()
    print(f"store: {store!r}")
    await store.upgrade()

    def describe(conn: sa.Connection) -> list[str]:
        insp = sa.inspect(conn)
        lines = []
        for table in store.schema.metadata.sorted_tables:
            cols = ", ".join(f"{c['name']} {c['type']}" for c in insp.get_columns(table.name))
            lines.append(f"  {table.name}({cols})")
        return lines

    async def work(conn: sa.ext.asyncio.AsyncConnection) -> list[str]:
        return await conn.run_sync(describe)

    print("schema after `upgrade head`:")
    print("\n".join(await store.run(work)))
    await store.close()


def main() -> None:
    asyncio.run(migrate_and_describe())
    for name, what in STORIES.items():
        path = HERE / name
        if path.exists():
            print(f"\n##### {name} #####")
            print(f"(this story {what})")
            sys.argv = [str(path)]
            runpy.run_path(str(path), run_name="__main__")


if __name__ == "__main__":
    main()
