"""Full-text search queries over ``search_text``, one per dialect, and safe query strings.

Each engine has its own query language, so user text is never passed through:
it is split on whitespace into terms, and each term becomes an escaped phrase
that the engine's own tokenizer reads exactly as it read the stored text. A
result must contain every term.

- Oracle: ``CONTAINS(search_text, '{term} AND {term}', 1) > 0`` ranked by ``SCORE(1)``.
  Braces escape operators, reserved words (``AND``, ``NEAR``, ``ABOUT``...) and
  wildcards; the characters that could end a brace group are removed first. A word
  longer than the index keeps is cut as the index cut it (see `cap_oracle_tokens`).
- PostgreSQL: ``websearch_to_tsquery('simple', '"term" "term"')`` against the very
  expression of the GIN index, ranked by ``ts_rank``. Quotes keep ``or`` and ``-``
  from acting as operators.
- SQLite: FTS5 ``MATCH '"term" "term"'`` on the external-content table, ranked by
  ``bm25`` (negated, so a higher score is better everywhere).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Float,
    Integer,
    Select,
    String,
    Table,
    bindparam,
    column,
    func,
    literal_column,
    select,
)
from sqlalchemy import table as sql_table
from sqlalchemy.exc import CompileError
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import FromClause

from locus_store.errors import InvalidInputError, InvalidTypeError
from locus_store.schema.search import PG_TS_CONFIG, TextIndex, thread_text_index

if TYPE_CHECKING:
    from locus_store.schema.tables import Schema

#: Longest accepted query text, in characters.
MAX_QUERY_LENGTH = 1000
#: Terms beyond this many are ignored (each narrows the result further anyway).
MAX_TERMS = 32
#: Longest Oracle Text query sent, in bytes: a ``VARCHAR2`` bind in SQL.
ORACLE_QUERY_MAX_BYTES = 4000

_SEARCHABLE = re.compile(r"[^\W_]")
#: Characters no database accepts in text (NUL, lone surrogates): they separate terms.
_UNSENDABLE = re.compile(r"[\x00\ud800-\udfff]")
_ORACLE_BREAKERS = re.compile(r"[{}\\]")
#: Longest token an Oracle Text index keeps, in bytes. Oracle Text Reference, "Token
#: Limitations for Oracle Text Indexes" (18c and later): tokens are stored in
#: ``VARCHAR2(255 BYTE)`` columns and "Tokens longer than 255 bytes are truncated";
#: a query token "longer than 256 bytes" fails the whole query with DRG-50943
#: (Oracle Database Error Messages, "DRG-50943: query token too long").
ORACLE_TOKEN_MAX_BYTES = 255
#: What may be one token to Oracle Text: BASIC_LEXER ends a token at whitespace and at
#: any non-alphanumeric character (none is a printjoin by default); only ASCII ones are
#: taken as certain breakers, so a run is never longer than what the server may read.
_ORACLE_TOKEN_RUN = re.compile(r"[^\s!-/:-@\[-`{-~]+")


def search_terms(query: object) -> list[str]:
    """The whitespace-separated terms of ``query`` that hold a letter or a digit.

    Duplicates (ignoring case) are dropped and at most `MAX_TERMS` are kept.
    An empty list means nothing is searchable: the search matches nothing.
    """
    if not isinstance(query, str):
        raise InvalidTypeError(f"query must be a string, not {type(query).__name__}")
    if len(query) > MAX_QUERY_LENGTH:
        raise InvalidInputError(
            f"query is {len(query)} characters long; the limit is {MAX_QUERY_LENGTH}"
        )
    terms: list[str] = []
    seen: set[str] = set()
    for term in _UNSENDABLE.sub(" ", query).split():
        folded = term.casefold()
        if folded in seen or not _SEARCHABLE.search(term):
            continue
        seen.add(folded)
        terms.append(term)
        if len(terms) == MAX_TERMS:
            break
    return terms


def _utf8_prefix(text: str, max_bytes: int) -> str:
    return text.encode()[:max_bytes].decode(errors="ignore")


def cap_oracle_tokens(term: str) -> str:
    """``term`` with each run that could be one Oracle Text token cut to the indexed length.

    The index holds the first `ORACLE_TOKEN_MAX_BYTES` bytes of a longer word,
    so sending that same prefix finds it (a pasted hash, a long URL segment, ``"x" * 300``)
    where the whole word would fail with DRG-50943.
    """
    return _ORACLE_TOKEN_RUN.sub(
        lambda run: _utf8_prefix(run.group(), ORACLE_TOKEN_MAX_BYTES), term
    )


def oracle_text_query(terms: list[str]) -> str:
    """An Oracle Text query: each term escaped in braces, all of them required.

    Terms that would take the query past `ORACLE_QUERY_MAX_BYTES` are left out.
    """
    query = ""
    for term in terms:
        escaped = "{" + cap_oracle_tokens(_ORACLE_BREAKERS.sub(" ", term)) + "}"
        longer = f"{query} AND {escaped}" if query else escaped
        if len(longer.encode()) > ORACLE_QUERY_MAX_BYTES:
            break
        query = longer
    return query


def quoted_phrases(terms: list[str]) -> str:
    """Each term as a double-quoted phrase (FTS5 and ``websearch_to_tsquery`` alike)."""
    return " ".join('"' + term.replace('"', " ") + '"' for term in terms)


def translate_query(query: object, dialect_name: str) -> str | None:
    """The engine query string for user text ``query``; ``None`` when nothing is searchable."""
    terms = search_terms(query)
    if not terms:
        return None
    if dialect_name == "oracle":
        return oracle_text_query(terms) or None
    if dialect_name in ("postgresql", "sqlite"):
        return quoted_phrases(terms)
    raise CompileError(f"no full-text search for the {dialect_name} dialect")


@dataclass(frozen=True)
class TextMatch:
    """The pieces of a full-text match on one table: where to select from, the condition,
    and the score (higher is better) to order by."""

    source: FromClause
    matches: ColumnElement[bool]
    score: ColumnElement[float]


def text_match(
    table: Table, index: TextIndex, dialect_name: str, query: ColumnElement[str]
) -> TextMatch:
    """``table``'s ``search_text`` matching ``query`` (the output of `translate_query`)."""
    text_column = table.c.search_text
    if dialect_name == "oracle":
        score: ColumnElement[Any] = func.score(literal_column("1"), type_=Float())
        matches = func.contains(text_column, query, literal_column("1"), type_=Integer())
        return TextMatch(table, matches > literal_column("0"), score)
    if dialect_name == "postgresql":
        config: ColumnElement[str] = literal_column(f"'{PG_TS_CONFIG}'")
        text = func.coalesce(text_column, literal_column("''"))
        document = func.to_tsvector(config, text)  # the GIN index's expression, verbatim
        wanted = func.websearch_to_tsquery(config, query)
        rank = func.ts_rank(document, wanted, type_=Float())
        return TextMatch(table, document.bool_op("@@")(wanted), rank)
    if dialect_name == "sqlite":
        fts = sql_table(index.fts, column("rowid"))
        fts_handle: ColumnElement[Any] = literal_column(index.fts)
        joined = table.join(fts, fts.c.rowid == literal_column(f"{table.name}.rowid"))
        bm25 = func.bm25(fts_handle, type_=Float())
        return TextMatch(joined, fts_handle.op("MATCH")(query), -bm25)
    raise CompileError(f"no full-text search for the {dialect_name} dialect")


def search_statement(
    schema: Schema, dialect_name: str, *, where: ColumnElement[bool]
) -> Select[Any]:
    """Threads matching ``:query`` that also satisfy ``where``, best first, ``:limit`` rows.

    Columns: ``thread_id``, ``checkpoint_id``, ``updated_at`` and ``score``
    (higher is better). ``:query`` takes the output of `translate_query`.
    """
    threads = schema.threads
    query = bindparam("query", type_=String())
    columns = (threads.c.thread_id, threads.c.checkpoint_id, threads.c.updated_at)
    match = text_match(threads, thread_text_index(schema), dialect_name, query)
    return (
        select(*columns, match.score.label("score"))
        .select_from(match.source)
        .where(match.matches, where)
        .order_by(match.score.desc(), threads.c.updated_at.desc(), threads.c.thread_id)
        .limit(bindparam("limit", type_=Integer()))
    )
