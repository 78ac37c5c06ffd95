"""Rewrite the reviewed Oracle scripts in docs/oracle/ from the code.

    python scripts/regenerate_oracle_sql.py

Tests regenerate the same text and fail when the files in the repository differ.
schema.sql is exactly what ``alembic upgrade head --sql`` prints for Oracle: its first
line (``WHENEVER SQLERROR ...``) and its last statement (``COMMIT``) come from
migrations/env.py, so every generated script, not only this file, has them.
"""

from __future__ import annotations

from pathlib import Path

from locus_store.migrate import offline_sql

DOCS = Path(__file__).resolve().parent.parent / "docs" / "oracle"


def main() -> None:
    DOCS.mkdir(parents=True, exist_ok=True)
    (DOCS / "schema.sql").write_text(offline_sql(), encoding="utf-8")
    try:
        from locus_store.ops.oracle_review import statements_script
    except ImportError:
        pass
    else:
        (DOCS / "statements.sql").write_text(statements_script(), encoding="utf-8")
    print(f"wrote {DOCS}")


if __name__ == "__main__":
    main()
