"""Every statement of the single-row checkpointer, built once per (prefix, dialect).

One row per thread: a save is one upsert (``MERGE`` on Oracle), a load one
primary-key read. Expired rows (``expires_at`` at or before ``:now``) are invisible
to every read.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Self

from sqlalchemy import (
    Delete,
    Insert,
    Integer,
    Select,
    Table,
    and_,
    bindparam,
    exists,
    or_,
    select,
)
from sqlalchemy.sql.elements import BindParameter, ClauseElement, ColumnElement

from locus_store.schema.tables import Schema
from locus_store.sql.json_match import json_matches
from locus_store.sql.like import CaseSensitiveLike
from locus_store.sql.merge import Upsert, upsert
from locus_store.sql.search import search_statement, translate_query
from locus_store.sql.statements import Dialect, StatementSet, bound


def _records(threads: Table) -> tuple[ColumnElement[Any], ...]:
    """The columns of a metadata record (everything but the state and its text)."""
    c = threads.c
    return (c.thread_id, c.checkpoint_id, c.metadata, c.created_at, c.updated_at, c.expires_at)


def _visible(threads: Table) -> ColumnElement[bool]:
    """Not expired at ``:now``."""
    expires_at = threads.c.expires_at
    return or_(expires_at.is_(None), expires_at > bindparam("now", type_=expires_at.type))


def _param(threads: Table, name: str, column: str) -> BindParameter[Any]:
    return bindparam(name, type_=threads.c[column].type)


@dataclass(frozen=True)
class LatestStatements(StatementSet):
    """Every statement of the single-row checkpointer for one (prefix, dialect)."""

    threads: Table

    save: Upsert
    load: Select[Any]
    load_checkpoint: Select[Any]
    current_checkpoint: Select[Any]
    delete_thread: Delete
    delete_checkpoint: Delete
    list_threads: Select[Any]
    search: Select[Any]
    get_metadata: Select[Any]
    get_checkpoint_metadata: Select[Any]
    list_with_metadata: Select[Any]
    vacuum: Delete
    drop_expired_thread: Delete
    copy_thread: Insert
    dialect: Dialect

    @classmethod
    def build(cls, schema: Schema, dialect: Dialect) -> Self:
        t = schema.threads
        c = t.c
        thread_id = _param(t, "thread_id", "thread_id")
        checkpoint_id = _param(t, "checkpoint_id", "checkpoint_id")
        now = _param(t, "now", "updated_at")
        expires_at = _param(t, "expires_at", "expires_at")
        limit = bindparam("limit", type_=Integer())
        visible = _visible(t)
        this_thread = c.thread_id == thread_id
        this_checkpoint = and_(this_thread, c.checkpoint_id == checkpoint_id)
        newest_first = (c.updated_at.desc(), c.thread_id)

        save = upsert(
            t,
            dialect,
            values={
                "thread_id": thread_id,
                "checkpoint_id": checkpoint_id,
                "state": _param(t, "state", "state"),
                "metadata": _param(t, "meta", "metadata"),
                "search_text": _param(t, "search_text", "search_text"),
                "created_at": now,
                "updated_at": now,
                "expires_at": expires_at,
            },
            keys=["thread_id"],
            update=[
                "checkpoint_id",
                "state",
                "metadata",
                "search_text",
                "updated_at",
                "expires_at",
            ],
        )
        load = select(c.checkpoint_id, c.state).where(this_thread, visible)
        records = select(*_records(t)).where(visible)
        dest = _param(t, "dest_thread_id", "thread_id")
        taken = t.alias("taken")
        branch = select(
            dest, c.checkpoint_id, c.state, c.metadata, c.search_text, now, now, expires_at
        ).where(this_thread, visible, ~exists().where(taken.c.thread_id == dest))
        copied = ("thread_id", "checkpoint_id", "state", "metadata", "search_text")
        copy = t.insert().from_select([*copied, "created_at", "updated_at", "expires_at"], branch)
        return cls(
            threads=t,
            save=save,
            load=load,
            load_checkpoint=load.where(c.checkpoint_id == checkpoint_id),
            current_checkpoint=select(c.checkpoint_id).where(this_thread, visible),
            delete_thread=t.delete().where(this_thread),
            delete_checkpoint=t.delete().where(this_checkpoint),
            list_threads=select(c.thread_id)
            .where(CaseSensitiveLike(c.thread_id, "pattern"), visible)
            .order_by(*newest_first)
            .limit(limit),
            search=search_statement(schema, dialect, where=visible),
            get_metadata=records.where(this_thread),
            get_checkpoint_metadata=records.where(this_checkpoint),
            list_with_metadata=records.order_by(*newest_first).limit(limit),
            vacuum=t.delete().where(
                or_(
                    c.updated_at < _param(t, "cutoff", "updated_at"),
                    c.expires_at <= now,
                )
            ),
            drop_expired_thread=t.delete().where(c.thread_id == dest, c.expires_at <= now),
            copy_thread=copy,
            dialect=dialect,
        )

    def search_query(self, query: object) -> str | None:
        """``query`` as this dialect's full-text query text (`translate_query`)."""
        return translate_query(query, self.dialect)

    def metadata_query(self, key: str, value: Any) -> Select[Any]:
        """Visible threads whose metadata holds ``value`` at ``key`` (JSON type included)."""
        threads = self.threads
        return (
            select(*_records(threads))
            .where(json_matches(threads.c.metadata, {key: value}), _visible(threads))
            .order_by(threads.c.updated_at.desc(), threads.c.thread_id)
            .limit(bindparam("limit", type_=Integer()))
        )

    def review(self) -> dict[str, ClauseElement]:
        sql = self
        now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        thread = {"thread_id": "thread-1", "now": now}
        checkpoint = {**thread, "checkpoint_id": "checkpoint-1"}
        document = {"agent_id": "agent", "messages": [{"role": "user", "content": "hello"}]}
        return {
            "save": bound(
                sql.save,
                **checkpoint,
                state=document,
                meta={"source": "review"},
                search_text="hello",
                expires_at=None,
            ),
            "load": bound(sql.load, **thread),
            "load_checkpoint": bound(sql.load_checkpoint, **checkpoint),
            "current_checkpoint": bound(sql.current_checkpoint, **thread),
            "delete_thread": bound(sql.delete_thread, thread_id="thread-1"),
            "delete_checkpoint": bound(
                sql.delete_checkpoint, thread_id="thread-1", checkpoint_id="checkpoint-1"
            ),
            "list_threads": bound(sql.list_threads, pattern="user/%", now=now, limit=100),
            "search": bound(
                sql.search, query=translate_query("hello world", self.dialect), now=now, limit=10
            ),
            "query_by_metadata": bound(self.metadata_query("source", "review"), now=now, limit=100),
            "get_metadata": bound(sql.get_metadata, **thread),
            "get_checkpoint_metadata": bound(sql.get_checkpoint_metadata, **checkpoint),
            "list_with_metadata": bound(sql.list_with_metadata, now=now, limit=100),
            "vacuum": bound(sql.vacuum, now=now, cutoff=now - dt.timedelta(days=30)),
            "drop_expired_thread": bound(
                sql.drop_expired_thread, dest_thread_id="thread-2", now=now
            ),
            "copy_thread": bound(
                sql.copy_thread,
                thread_id="thread-1",
                dest_thread_id="thread-2",
                now=now,
                expires_at=None,
            ),
        }
