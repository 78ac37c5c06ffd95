"""The three tables, declared once as declarative models and built per table prefix.

``schema_for("locus")`` returns the mapped classes for ``locus_threads``,
``locus_checkpoints`` and ``locus_writes``. Each prefix gets its own
``MetaData`` so several prefixes live side by side in one process.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, MetaData, String, Table
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

from locus_store.errors import InvalidPrefixError
from locus_store.schema.langgraph_tables import langgraph_models
from locus_store.schema.memory_tables import memory_models
from locus_store.schema.types import JSONDocument, KeyString, SearchText, UTCDateTime

DEFAULT_PREFIX = "locus"
#: Longest accepted prefix. The longest derived name (``<prefix>_alembic_version``,
#: 16 more characters; Oracle Text adds ``DR$`` and ``$I`` around index names) stays
#: far below Oracle's 128-byte identifier limit.
MAX_PREFIX_LENGTH = 48
#: Longest thread id, checkpoint id, namespace, task id or channel name.
MAX_KEY_LENGTH = 255
ORACLE_IDENTIFIER_LIMIT = 128

_PREFIX_RE = re.compile(r"[a-z][a-z0-9_]*")


def validate_prefix(prefix: object) -> str:
    """Return ``prefix`` if it is a safe lower-case identifier; else ``InvalidPrefixError``."""
    if not isinstance(prefix, str):
        raise InvalidPrefixError(f"table prefix must be a string, not {type(prefix).__name__}")
    if not _PREFIX_RE.fullmatch(prefix) or len(prefix) > MAX_PREFIX_LENGTH:
        raise InvalidPrefixError(
            f"invalid table prefix {prefix!r}: use 1 to {MAX_PREFIX_LENGTH} characters, "
            "a lower-case letter followed by lower-case letters, digits or underscores"
        )
    return prefix


def _key(**kw: Any) -> Mapped[str]:
    return mapped_column(String(MAX_KEY_LENGTH), **kw)


class _ThreadColumns:
    """One row per thread: the single-row checkpointer (latest wins)."""

    thread_id: Mapped[str] = _key(primary_key=True)
    checkpoint_id: Mapped[str] = _key(nullable=False)
    state: Mapped[Any] = mapped_column(JSONDocument(), nullable=False)
    meta: Mapped[Any | None] = mapped_column("metadata", JSONDocument(), nullable=True)
    #: Message contents joined by newlines: what the full-text index reads.
    search_text: Mapped[str | None] = mapped_column(SearchText(), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False)
    #: Set when the checkpointer has a TTL; NULL means never expires.
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:
        name = cls.__tablename__  # type: ignore[attr-defined]
        return (
            Index(f"{name}_upd_ix", "updated_at"),
            Index(f"{name}_exp_ix", "expires_at"),
        )


class _CheckpointColumns:
    """One row per checkpoint with a parent link: the versioned saver."""

    thread_id: Mapped[str] = _key(primary_key=True)
    checkpoint_ns: Mapped[str] = mapped_column(KeyString(MAX_KEY_LENGTH), primary_key=True)
    checkpoint_id: Mapped[str] = _key(primary_key=True)
    #: Position in the (thread, namespace) lineage, strictly increasing: newest first
    #: orders by it, never by timestamp. Unique, so two writers racing for the same
    #: position cannot both win.
    seq: Mapped[int] = mapped_column(BigInteger(), nullable=False)
    parent_checkpoint_id: Mapped[str | None] = _key(nullable=True)
    checkpoint: Mapped[Any] = mapped_column(JSONDocument(), nullable=False)
    meta: Mapped[Any | None] = mapped_column("metadata", JSONDocument(), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False)

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:
        name = cls.__tablename__  # type: ignore[attr-defined]
        return (
            Index(f"{name}_seq_ux", "thread_id", "checkpoint_ns", "seq", unique=True),
            Index(f"{name}_created_ix", "created_at"),
        )


class _WriteColumns:
    """Pending intra-step writes of a checkpoint, keyed by task and position."""

    thread_id: Mapped[str] = _key(primary_key=True)
    checkpoint_ns: Mapped[str] = mapped_column(KeyString(MAX_KEY_LENGTH), primary_key=True)
    checkpoint_id: Mapped[str] = _key(primary_key=True)
    task_id: Mapped[str] = _key(primary_key=True)
    idx: Mapped[int] = mapped_column(Integer(), primary_key=True, autoincrement=False)
    channel: Mapped[str] = mapped_column(KeyString(MAX_KEY_LENGTH), nullable=False)
    value: Mapped[Any | None] = mapped_column(JSONDocument(), nullable=True)


@dataclass(frozen=True)
class Schema:
    """The mapped classes and tables of one prefix."""

    prefix: str
    metadata: MetaData
    Thread: type[Any]
    Checkpoint: type[Any]
    Write: type[Any]
    #: The LangGraph saver's tables (see ``locus_store.schema.langgraph_tables``).
    LangGraphCheckpoint: type[Any]
    LangGraphBlob: type[Any]
    LangGraphWrite: type[Any]
    #: The long-term memory tables (see ``locus_store.schema.memory_tables``).
    MemoryItem: type[Any]
    MemoryVector: type[Any]
    MemoryConfig: type[Any]

    @property
    def threads(self) -> Table:
        return self.Thread.__table__  # type: ignore[no-any-return]

    @property
    def checkpoints(self) -> Table:
        return self.Checkpoint.__table__  # type: ignore[no-any-return]

    @property
    def writes(self) -> Table:
        return self.Write.__table__  # type: ignore[no-any-return]

    @property
    def lg_checkpoints(self) -> Table:
        return self.LangGraphCheckpoint.__table__  # type: ignore[no-any-return]

    @property
    def lg_blobs(self) -> Table:
        return self.LangGraphBlob.__table__  # type: ignore[no-any-return]

    @property
    def lg_writes(self) -> Table:
        return self.LangGraphWrite.__table__  # type: ignore[no-any-return]

    @property
    def memory_items(self) -> Table:
        return self.MemoryItem.__table__  # type: ignore[no-any-return]

    @property
    def memory_vectors(self) -> Table:
        return self.MemoryVector.__table__  # type: ignore[no-any-return]

    @property
    def memory_config(self) -> Table:
        return self.MemoryConfig.__table__  # type: ignore[no-any-return]

    @property
    def version_table(self) -> str:
        """Alembic's version table for this prefix, apart from the application's own."""
        return f"{self.prefix}_alembic_version"

    @property
    def search_index(self) -> str:
        return f"{self.prefix}_threads_txt_ix"

    def identifiers(self) -> list[str]:
        """Every name this schema creates in the database (tables, indexes, constraints)."""
        from locus_store.schema.search import search_object_names

        names = [self.version_table, *search_object_names(self)]
        for table in self.metadata.sorted_tables:
            names.append(table.name)
            names.extend(str(ix.name) for ix in table.indexes)
            names.extend(str(c.name) for c in table.constraints if c.name)
        return names


_CONVENTION = {
    "pk": "%(table_name)s_pk",
    "ix": "%(table_name)s_%(column_0_name)s_ix",
    "uq": "%(table_name)s_%(column_0_name)s_uq",
}


@cache
def schema_for(prefix: str = DEFAULT_PREFIX) -> Schema:
    """Build (once per prefix) the declarative models of the three tables."""
    prefix = validate_prefix(prefix)

    class Base(DeclarativeBase):
        metadata = MetaData(naming_convention=_CONVENTION)

    thread = type("Thread", (_ThreadColumns, Base), {"__tablename__": f"{prefix}_threads"})
    checkpoint = type(
        "Checkpoint", (_CheckpointColumns, Base), {"__tablename__": f"{prefix}_checkpoints"}
    )
    write = type("Write", (_WriteColumns, Base), {"__tablename__": f"{prefix}_writes"})
    return Schema(
        prefix,
        Base.metadata,
        thread,
        checkpoint,
        write,
        *langgraph_models(Base, prefix),
        *memory_models(Base, prefix),
    )
