"""The long-term memory tables, shared by the Locus and LangGraph memory stores.

- ``<prefix>_memory_items``: one row per (namespace, key): a JSON value, optional
  metadata (Locus), the derived ``search_text`` the full-text index reads, timestamps,
  an optional expiry with the TTL it was set from (so a read can refresh it), and a
  version counter bumped by every put.
- ``<prefix>_memory_vectors``: embeddings of an item, one per embedded field
  (``"$"`` is the whole value, as LangGraph names it); the column's dimensions and
  distance metric are chosen when migrating and recorded in
- ``<prefix>_memory_config``: one row saying whether vectors exist on this database,
  their dimensions and metric, read once per store.

Both contracts share the tables: a namespace is the same tuple of labels in both, so
what a Locus agent remembers a LangGraph graph can recall, one migration rolls out
both, and retention and erasure cover one table.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Float, Index, Integer, String
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from locus_store.schema.types import JSONDocument, KeyString, SearchText, UTCDateTime
from locus_store.schema.vectors import EmbeddingVector

#: Longest encoded namespace (labels joined by ``/``), in characters and in UTF-8 bytes:
#: with the key it stays inside PostgreSQL's B-tree entry limit (2704 bytes) and
#: Oracle's ``VARCHAR2(1000 CHAR)`` under ``MAX_STRING_SIZE=STANDARD``.
MAX_NAMESPACE_LENGTH = 1000
#: Longest item key, in characters (and four times that in bytes at most).
MAX_ITEM_KEY_LENGTH = 255
#: Longest embedded field path (``"$"``, ``"content"``, ``"facts[*].text"``).
MAX_FIELD_LENGTH = 255
#: Length of a put's stamp (a UUID's 32 hex digits). A put without vectors is one
#: statement: the item's old vectors stay behind but no longer match its stamp, and
#: the sweep removes them.
STAMP_LENGTH = 32
#: The one row of the config table.
CONFIG_ROW = 1


class _MemoryItemColumns:
    namespace: Mapped[str] = mapped_column(String(MAX_NAMESPACE_LENGTH), primary_key=True)
    key: Mapped[str] = mapped_column(KeyString(MAX_ITEM_KEY_LENGTH), primary_key=True)
    value: Mapped[Any] = mapped_column(JSONDocument(), nullable=False)
    meta: Mapped[Any | None] = mapped_column("metadata", JSONDocument(), nullable=True)
    #: The text of the value (and metadata) the full-text index reads.
    search_text: Mapped[str | None] = mapped_column(SearchText(), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False)
    #: NULL: never expires. Expired items are invisible to every read at once.
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: The TTL ``expires_at`` was set from, so a read can push it forward again.
    ttl_seconds: Mapped[float | None] = mapped_column(Float(), nullable=True)
    version: Mapped[int] = mapped_column(Integer(), nullable=False)
    #: A token new with every put; the item's vectors carry the token of the put that
    #: wrote them, so vectors of an older value never answer a search (see `STAMP_LENGTH`).
    stamp: Mapped[str] = mapped_column(String(STAMP_LENGTH), nullable=False)

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:
        name = cls.__tablename__  # type: ignore[attr-defined]
        return (
            Index(f"{name}_upd_ix", "namespace", "updated_at"),
            Index(f"{name}_exp_ix", "expires_at"),
        )


class _MemoryVectorColumns:
    namespace: Mapped[str] = mapped_column(String(MAX_NAMESPACE_LENGTH), primary_key=True)
    key: Mapped[str] = mapped_column(KeyString(MAX_ITEM_KEY_LENGTH), primary_key=True)
    field: Mapped[str] = mapped_column(String(MAX_FIELD_LENGTH), primary_key=True)
    #: The item's ``stamp`` when these vectors were written.
    stamp: Mapped[str] = mapped_column(String(STAMP_LENGTH), nullable=False)
    #: Dimensions come from the config row (the migration's choice), not the model.
    embedding: Mapped[Any] = mapped_column(EmbeddingVector(), nullable=False)


class _MemoryConfigColumns:
    id: Mapped[int] = mapped_column(Integer(), primary_key=True, autoincrement=False)
    #: ``"native"`` (pgvector / Oracle VECTOR, with an index), ``"exact"`` (SQLite BLOBs,
    #: scanned) or ``"none"`` (PostgreSQL without pgvector: no vectors table).
    vectors: Mapped[str] = mapped_column(String(16), nullable=False)
    dims: Mapped[int | None] = mapped_column(Integer(), nullable=True)
    #: ``"cosine"``, ``"dot"`` or ``"l2"``: what the vector index was built for.
    distance: Mapped[str] = mapped_column(String(16), nullable=False)


def memory_models(base: type[Any], prefix: str) -> tuple[type[Any], type[Any], type[Any]]:
    """The mapped classes of the memory tables of ``prefix`` on ``base``."""
    item = type(
        "MemoryItem", (_MemoryItemColumns, base), {"__tablename__": f"{prefix}_memory_items"}
    )
    vector = type(
        "MemoryVector", (_MemoryVectorColumns, base), {"__tablename__": f"{prefix}_memory_vectors"}
    )
    config = type(
        "MemoryConfig", (_MemoryConfigColumns, base), {"__tablename__": f"{prefix}_memory_config"}
    )
    return item, vector, config
