"""A small model of Oracle Text for the fake driver: what the store's ``CONTAINS`` finds.

:func:`oracle_text` returns a ``FakeDriver.server_rules`` rule answering the store's
search statement (``CONTAINS(<threads>.search_text, :query, 1) > 0``) from the
``search_text`` the store wrote (its MERGE and INSERT statements in ``driver.sent``),
for an index created with the given PARAMETERS string. One behaviour per function,
each citing the documentation it follows:

- :func:`stopwords_of` — the index's stoplist: ``CTXSYS.EMPTY_STOPLIST`` holds no word,
  and an index naming none uses the default stoplist of the database language
  (Oracle Text Reference, "Supplied Stoplists": "By default, the system indexes text
  using the system-supplied stoplist that corresponds to your database language").
- :func:`lex` — BASIC_LEXER: a token is a run of alphanumeric characters, any other
  character ends it (no printjoins by default), and tokens are indexed in upper case
  (``MIXED_CASE`` off) (Oracle Text Reference, "BASIC_LEXER").
- :func:`indexed` — tokens are stored in ``VARCHAR2(255 BYTE)``: "Tokens longer than 255
  bytes are truncated. Truncated tokens do not prevent searches on the whole token
  string" (Oracle Text Reference, "Token Limitations for Oracle Text Indexes").
- :func:`require_short_tokens` — a query token "longer than 256 bytes" fails the query
  with DRG-50943 "query token too long on line %s on column %s", raised through the
  index's ODCIIndexStart routine (Oracle Database Error Messages, DRG-50943), so the
  driver reports ORA-29902 on top of ORA-20000.
- :func:`brace_terms` — the query subset the store emits: terms escaped in braces
  joined by ``AND`` (Oracle Text Reference, "Special Characters in Queries",
  "Escape Characters": braces escape a whole string, read as a phrase of its tokens).
- :func:`phrase_occurs` — "When you include a stopword within your query phrase, the
  stopword matches any word" (Oracle Text Application Developer's Guide, "Querying
  Stopwords"): the index records stopword positions but no entry for them.
- :func:`contains_score` — stopword transformations for AND (Oracle Text Reference,
  "Stopword Transformations in Oracle Text"): an operand that is a stopword, a
  stopword-only phrase or a no_lex token (no indexable token) is dropped; a query left
  with no operand returns no rows ("You cannot query on a stopword itself or on a
  phrase composed of only stopwords").

The score is a positive number growing with the occurrences found, not Oracle's own
formula: the tests read which threads match, not how Oracle ranks them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import sqlglot
from sqlglot import expressions as exp

from locus_store.schema.tables import Schema
from tests.support.oracle.fake_driver import (
    Answer,
    FakeDriver,
    ServerTimestamp,
    as_server_sees,
    driver_error,
    written_row,
)

#: Oracle Text Reference, "Supplied Stoplists" / "English Default Stoplist".
# fmt: off
DEFAULT_ENGLISH_STOPLIST = frozenset(
    (
        "a", "about", "after", "all", "also", "an", "and", "any", "are", "as", "at", "be",
        "because", "been", "but", "by", "can", "co", "corp", "could", "for", "from", "had", "has",
        "have", "he", "her", "his", "if", "in", "inc", "into", "is", "it", "its", "last", "more",
        "most", "mr", "mrs", "ms", "mz", "no", "not", "of", "on", "one", "only", "or", "other",
        "out", "over", "s", "says", "she", "so", "some", "such", "than", "that", "the", "their",
        "there", "they", "this", "to", "up", "was", "we", "were", "when", "which", "who", "will",
        "with", "would",
    )
)
# fmt: on
INDEXED_TOKEN_MAX_BYTES = 255
QUERY_TOKEN_MAX_BYTES = 256
EMPTY_STOPLIST = "CTXSYS.EMPTY_STOPLIST"

_SEARCH = re.compile(r"contains\((\w+)\.search_text, :query, 1\) > 0", re.IGNORECASE)
_TOKEN = re.compile(r"[^\W_]+")
_STOPLIST = re.compile(r"\bSTOPLIST\s+([\w.$#]+)", re.IGNORECASE)

Rule = Callable[[FakeDriver, str, Any], Answer | None]


def head_index_parameters(schema: Schema) -> str:
    """The PARAMETERS of the search index as the head migration's offline script leaves it."""
    from locus_store.migrate import offline_sql

    created = re.findall(
        rf"CREATE INDEX {schema.search_index} ON {schema.threads.name} \(search_text\) "
        r"INDEXTYPE IS CTXSYS\.CONTEXT PARAMETERS \('([^']*)'\)",
        offline_sql(prefix=schema.prefix),
    )
    assert created, "the offline script creates no Oracle Text index"
    return str(created[-1])


def stopwords_of(parameters: str) -> frozenset[str]:
    """The stop words of an index created with ``parameters`` (upper case, as indexed)."""
    named = _STOPLIST.search(parameters)
    if named is None:
        return frozenset(word.upper() for word in DEFAULT_ENGLISH_STOPLIST)
    assert named.group(1).upper() == EMPTY_STOPLIST, f"the model knows no {named.group(1)}"
    return frozenset()


def lex(text: str) -> list[tuple[str, int]]:
    """BASIC_LEXER's tokens of ``text`` in upper case, each with its offset in ``text``."""
    return [(m.group().upper(), m.start()) for m in _TOKEN.finditer(text)]


def indexed(token: str) -> str:
    """A token as the index holds it: its first 255 bytes."""
    return token.encode()[:INDEXED_TOKEN_MAX_BYTES].decode(errors="ignore")


def require_short_tokens(query: str) -> None:
    """Fail as the server does when a token of ``query`` is over 256 bytes."""
    for token, offset in lex(query):
        if len(token.encode()) > QUERY_TOKEN_MAX_BYTES:
            raise driver_error(
                "ORA-29902: error in executing ODCIIndexStart() routine\n"
                "ORA-20000: Oracle Text error:\n"
                f"DRG-50943: query token too long on line 1 on column {offset + 1}",
                29902,
            )


def brace_terms(query: str) -> list[str]:
    """The texts of ``{a} AND {b} ...``, the only query form the store sends."""
    terms = re.findall(r"\{([^{}\\]*)\}", query)
    assert query == " AND ".join("{" + t + "}" for t in terms), f"not modelled: {query!r}"
    return terms


def phrase_occurs(document: list[str], phrase: list[str], stopwords: frozenset[str]) -> int:
    """How often ``phrase`` occurs in ``document``, a stopword matching any token."""
    span = len(phrase)
    return sum(
        all(q in stopwords or document[i + j] == q for j, q in enumerate(phrase))
        for i in range(len(document) - span + 1)
    )


def contains_score(text: str | None, query: str, stopwords: frozenset[str]) -> int:
    """``CONTAINS(text, query)``: 0 for no match, else a positive score."""
    if text is None:
        return 0
    document = [indexed(token) for token, _ in lex(text)]
    hits = []
    for term in brace_terms(query):
        phrase = [indexed(token) for token, _ in lex(term)]
        if all(token in stopwords for token in phrase):  # stopword-only, or no_lex
            continue
        found = phrase_occurs(document, phrase, stopwords)
        if not found:
            return 0
        hits.append(found)
    return min(100, 10 * sum(hits)) if hits else 0


def saved_threads(driver: FakeDriver, schema: Schema) -> dict[str, dict[str, Any]]:
    """Each thread's row as the store last wrote it (MERGE or INSERT ... VALUES)."""
    rows: dict[str, dict[str, Any]] = {}
    for sent in driver.statements:
        tree = sqlglot.parse_one(sent.sql, read="oracle")
        target = tree.this if isinstance(tree, exp.Merge | exp.Insert) else None
        table = target.this if isinstance(target, exp.Schema) else target
        if not isinstance(table, exp.Table) or table.name.lower() != schema.threads.name:
            continue
        if isinstance(tree, exp.Insert) and not isinstance(tree.expression, exp.Values):
            continue
        row = written_row(sent, schema.threads)
        rows[row["THREAD_ID"]] = row
    return rows


def _visible(row: dict[str, Any], now: dt.datetime) -> bool:
    expires = row.get("EXPIRES_AT")
    utc_now = now.astimezone(dt.UTC).replace(tzinfo=None) if now.tzinfo else now
    return not isinstance(expires, ServerTimestamp) or expires.utc > utc_now


def oracle_text(schema: Schema, parameters: str) -> Rule:
    """A server rule answering the store's search on an index created with ``parameters``."""
    stopwords = stopwords_of(parameters)

    def rule(driver: FakeDriver, sql: str, params: Any) -> Answer | None:
        if not _SEARCH.search(sql):
            return None
        query = as_server_sees(params["query"])
        assert query is not None, "CONTAINS with a NULL query is not modelled"
        require_short_tokens(query)
        found = []
        for row in saved_threads(driver, schema).values():
            score = contains_score(row.get("SEARCH_TEXT"), query, stopwords)
            if score and _visible(row, params["now"]):
                found.append({**row, "SCORE": score})
        found.sort(key=lambda r: r["THREAD_ID"])
        found.sort(key=lambda r: r["UPDATED_AT"].utc, reverse=True)
        found.sort(key=lambda r: r["SCORE"], reverse=True)
        return Answer("", rows=found[: params["limit"]])

    return rule
