"""LangGraph's ``BaseCheckpointSaver`` on the same store (needs the ``langgraph`` extra).

``statements.py`` builds its statements once per (prefix, dialect) and needs no
LangGraph; ``saver.py`` (``store.langgraph_saver()``) binds and runs them, its async
methods; ``_sync.py`` bridges the sync twins to them; ``_config.py`` reads configs
and pages listings; ``_in_flight.py`` lets writes wait for their checkpoint's put;
``retention.py`` decides what a prune or a vacuum keeps (it needs no LangGraph either).
``from locus_store.langgraph import SQLAlchemySaver`` imports LangGraph on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from locus_store.langgraph.saver import SQLAlchemySaver as SQLAlchemySaver

__all__ = ["SQLAlchemySaver"]


def __getattr__(name: str) -> Any:
    if name == "SQLAlchemySaver":
        from locus_store.langgraph.saver import SQLAlchemySaver

        return SQLAlchemySaver
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
