"""The LangGraph saver's three tables, declared once and built per table prefix.

- ``<prefix>_lg_checkpoints``: one row per checkpoint, its body without channel
  values (typed bytes from the saver's serde), the channel versions it references
  and its metadata as JSON (list filters run in SQL), and when the thread may expire
  (``expires_at``, with the saver's ``ttl``).
- ``<prefix>_lg_blobs``: channel values, stored once per (thread, namespace,
  channel, version); a checkpoint references the versions it needs.
- ``<prefix>_lg_writes``: pending writes of a checkpoint, keyed by task and position.

``schema_for`` adds them to each prefix's ``MetaData`` next to the other tables.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from locus_store.schema.types import JSONDocument, KeyString, UTCDateTime

#: Same bound as the other tables' keys (thread id, checkpoint id, namespace, channel, task id).
LG_KEY_LENGTH = 255
#: Longest task path LangGraph hands to ``put_writes`` (nested subgraph paths grow with depth).
MAX_TASK_PATH_LENGTH = 2000
#: ... and its longest UTF-8 form: what ``VARCHAR2(2000 CHAR)`` holds on Oracle with
#: ``MAX_STRING_SIZE=STANDARD`` (4000 bytes), so the bound is one on every backend.
MAX_TASK_PATH_BYTES = 4000
#: Longest serde type tag (``"msgpack"``, ``"null"``, ``"msgpack+aes"``, ...).
MAX_TYPE_LENGTH = 64


def _key(**kw: Any) -> Mapped[str]:
    return mapped_column(String(LG_KEY_LENGTH), **kw)


def _empty_allowed_key(**kw: Any) -> Mapped[str]:
    return mapped_column(KeyString(LG_KEY_LENGTH), **kw)


class _LangGraphCheckpointColumns:
    """One row per LangGraph checkpoint; ``checkpoint_id`` sorts oldest to newest."""

    thread_id: Mapped[str] = _key(primary_key=True)
    checkpoint_ns: Mapped[str] = _empty_allowed_key(primary_key=True)
    checkpoint_id: Mapped[str] = _key(primary_key=True)
    parent_checkpoint_id: Mapped[str | None] = _key(nullable=True)
    #: ``metadata["run_id"]`` copied out, so ``delete_for_runs`` finds rows by index.
    run_id: Mapped[str | None] = _key(nullable=True)
    checkpoint_type: Mapped[str] = mapped_column(String(MAX_TYPE_LENGTH), nullable=False)
    checkpoint: Mapped[bytes] = mapped_column(LargeBinary(), nullable=False)
    #: ``[[channel, version], ...]``: the value versions the checkpoint references, in a
    #: form each engine's JSON table function reads, so one query fetches exactly those.
    channel_versions: Mapped[Any] = mapped_column(JSONDocument(), nullable=False)
    meta: Mapped[Any] = mapped_column("metadata", JSONDocument(), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False)
    #: ``created_at`` plus the saver's ``ttl`` (NULL without one). A thread expires once
    #: every checkpoint of it has: its newest write decides, and NULL never expires.
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:
        name = cls.__tablename__  # type: ignore[attr-defined]
        return (Index(f"{name}_run_ix", "run_id"), Index(f"{name}_exp_ix", "expires_at"))


class _LangGraphBlobColumns:
    """A channel value at one version. ``value`` is NULL for empty bytes (Oracle has no b'')."""

    thread_id: Mapped[str] = _key(primary_key=True)
    checkpoint_ns: Mapped[str] = _empty_allowed_key(primary_key=True)
    channel: Mapped[str] = _empty_allowed_key(primary_key=True)
    version: Mapped[str] = _key(primary_key=True)
    value_type: Mapped[str] = mapped_column(String(MAX_TYPE_LENGTH), nullable=False)
    value: Mapped[bytes | None] = mapped_column(LargeBinary(), nullable=True)


class _LangGraphWriteColumns:
    """A pending write of one task; special channels (errors, interrupts) use negative ``idx``."""

    thread_id: Mapped[str] = _key(primary_key=True)
    checkpoint_ns: Mapped[str] = _empty_allowed_key(primary_key=True)
    checkpoint_id: Mapped[str] = _key(primary_key=True)
    task_id: Mapped[str] = _key(primary_key=True)
    idx: Mapped[int] = mapped_column(Integer(), primary_key=True, autoincrement=False)
    channel: Mapped[str] = _empty_allowed_key(nullable=False)
    value_type: Mapped[str] = mapped_column(String(MAX_TYPE_LENGTH), nullable=False)
    value: Mapped[bytes | None] = mapped_column(LargeBinary(), nullable=True)
    task_path: Mapped[str] = mapped_column(KeyString(MAX_TASK_PATH_LENGTH), nullable=False)


def langgraph_models(base: type[Any], prefix: str) -> tuple[type[Any], type[Any], type[Any]]:
    """The mapped classes of the three LangGraph tables of ``prefix`` on ``base``."""
    checkpoint = type(
        "LangGraphCheckpoint",
        (_LangGraphCheckpointColumns, base),
        {"__tablename__": f"{prefix}_lg_checkpoints"},
    )
    blob = type(
        "LangGraphBlob", (_LangGraphBlobColumns, base), {"__tablename__": f"{prefix}_lg_blobs"}
    )
    write = type(
        "LangGraphWrite", (_LangGraphWriteColumns, base), {"__tablename__": f"{prefix}_lg_writes"}
    )
    return checkpoint, blob, write
