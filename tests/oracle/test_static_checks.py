"""Checks over every statement the library sends to Oracle, where Oracle differs in meaning.

Every statement of the review listing (:func:`locus_store.ops.oracle_review.compiled_statements`,
the same list as ``docs/oracle/statements.sql``) is compiled for Oracle and checked for:

- time zone region names: a ``TIMESTAMP WITH TIME ZONE`` holding one cannot be fetched
  in thin mode (DPY-3022), so ``FROM_TZ`` and ``AT TIME ZONE`` take ``'+hh:mm'`` offsets;
- ``''`` literals and ``''`` binds: Oracle reads a zero-length string as NULL
  (SQL Language Reference, "Nulls"), so ``x = ''`` is never true;
- string binds in comparisons: each is a ``KeyString`` (which binds a sentinel for
  ``''``), an identifier that validation refuses empty, or a metadata-filter value
  (which never binds ``''``, checked below with every filter kind). Anything else could
  carry ``''`` and silently compare with NULL.

Each check is also run on a statement that breaks it, so none of them can pass vacuously.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.sql import ClauseElement
from sqlglot import exp

from locus_store.latest.statements import LatestStatements
from locus_store.memory import namespaces
from locus_store.ops import oracle_review as oracle_statements
from locus_store.ops.oracle_review import compiled_statements, oracle_dialect
from locus_store.schema.tables import schema_for
from locus_store.schema.types import KeyString
from locus_store.sql.json_match import json_matches
from locus_store.validation import require_key
from tests.support.oracle.sqlcheck import read_oracle, region_names

logging.getLogger("sqlglot").setLevel(logging.ERROR)  # it cannot parse item methods in paths

SCHEMA = schema_for("locus")
_COMPARISONS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.In)
#: Identifier columns: every id bound against them passed ``require_key`` (no ``''``);
#: a memory namespace is encoded from at least one label, none empty (`require_namespace`),
#: an embedded field passed ``require_key``, and a stamp is a UUID's 32 hex digits.
IDENTIFIER_COLUMNS = frozenset(
    {
        "thread_id",
        "checkpoint_id",
        "parent_checkpoint_id",
        "task_id",
        "run_id",
        "version",
        "namespace",
        "field",
        "stamp",
    }
)
#: Every kind of metadata filter value, each with an empty string somewhere.
EMPTY_STRING_FILTERS: list[dict[str, Any]] = [
    {"k": ""},
    {"a": {"b": ""}},
    {"k": "", "n": 1, "t": True, "x": None},
]


def _review_statements() -> dict[str, ClauseElement]:
    return {
        f"{group}.{name}": statement
        for group, _title, review in oracle_statements.SOURCES
        for name, statement in review(SCHEMA.prefix).items()
    }


def _compile(statement: ClauseElement) -> Any:
    return statement.compile(dialect=oracle_dialect(), compile_kwargs={"render_postcompile": True})


def _metadata_filter_statements() -> dict[str, ClauseElement]:
    """Statements filtering each repository's metadata column on an empty string."""
    columns = {
        "latest": SCHEMA.threads.c.metadata,
        "versioned": SCHEMA.checkpoints.c["metadata"],
        "langgraph": SCHEMA.lg_checkpoints.c["metadata"],
    }
    found: dict[str, ClauseElement] = {}
    for i, metadata_filter in enumerate(EMPTY_STRING_FILTERS):
        found[f"latest.query_by_metadata[{i}]"] = LatestStatements.of(
            SCHEMA.prefix, "oracle"
        ).metadata_query(*next(iter(metadata_filter.items())))
        for name, column in columns.items():
            found[f"{name}.filter[{i}]"] = sa.select(sa.literal(1)).where(
                json_matches(column, metadata_filter)
            )
    return found


# -- the checks ------------------------------------------------------------------------


def empty_literals(sql: str) -> int:
    """How many ``''`` literals ``sql`` holds."""
    tree = read_oracle(sql)
    return sum(1 for lit in tree.find_all(exp.Literal) if lit.is_string and lit.name == "")


def empty_binds(statement: ClauseElement) -> list[str]:
    """Binds whose value is ``''`` as sent (a ``KeyString`` sends its sentinel instead)."""
    compiled = _compile(statement)
    return [
        name
        for bind, name in compiled.bind_names.items()
        if compiled.params.get(name) == "" and not isinstance(bind.type, KeyString)
    ]


def _is_string(bind_type: Any) -> bool:
    impl = getattr(bind_type, "impl", bind_type)
    return isinstance(impl, sa.String) and not isinstance(bind_type, KeyString)


def unguarded_string_comparisons(statement: ClauseElement) -> list[str]:
    """Comparisons of a string bind that could carry ``''``, as ``"<other side> ? :bind"``.

    Guarded are: ``KeyString`` binds, binds compared with an identifier column, and
    binds compared with ``JSON_VALUE`` (metadata-filter values, never ``''``: see
    :func:`empty_binds` over every filter kind). Assignments (``SET col = :v``) store
    a value and compare nothing.
    """
    compiled = _compile(statement)
    types = {name: bind.type for bind, name in compiled.bind_names.items()}
    tree = read_oracle(str(compiled))
    found = []
    for node in tree.find_all(*_COMPARISONS):
        if isinstance(node.parent, exp.Update):
            continue
        sides = [node.this, *([node.expression] if node.expression else node.expressions)]
        for bind in (s for s in sides if isinstance(s, exp.Placeholder)):
            bind_type = types.get(bind.name) or types.get(re.sub(r"_\d+$", "", bind.name))
            other = next(s for s in sides if s is not bind)
            guarded = (isinstance(other, exp.Column) and other.name in IDENTIFIER_COLUMNS) or (
                isinstance(other, exp.JSONValue)
            )
            if _is_string(bind_type) and not guarded:
                found.append(f"{other.sql('oracle')} ? :{bind.name}")
    return found


# -- over every statement --------------------------------------------------------------

REVIEW = _review_statements()
FILTERS = _metadata_filter_statements()


def test_the_review_statements_are_the_listing_in_docs() -> None:
    assert sorted(REVIEW) == sorted(compiled_statements())


@pytest.mark.parametrize("name", list(REVIEW))
def test_no_statement_names_a_time_zone_region(name: str) -> None:
    assert region_names(str(_compile(REVIEW[name]))) == []


@pytest.mark.parametrize("name", [*REVIEW, *FILTERS])
def test_no_statement_holds_an_empty_string_literal(name: str) -> None:
    assert empty_literals(str(_compile({**REVIEW, **FILTERS}[name]))) == 0


@pytest.mark.parametrize("name", [*REVIEW, *FILTERS])
def test_no_statement_binds_an_empty_string(name: str) -> None:
    assert empty_binds({**REVIEW, **FILTERS}[name]) == []


@pytest.mark.parametrize("name", [*REVIEW, *FILTERS])
def test_every_string_bind_compared_is_guarded_against_empty_strings(name: str) -> None:
    assert unguarded_string_comparisons({**REVIEW, **FILTERS}[name]) == []


def test_identifiers_compared_unguarded_are_refused_empty_before_any_sql() -> None:
    with pytest.raises(Exception, match="must not be empty"):
        require_key("", "thread_id")
    with pytest.raises(Exception, match="must not be empty"):
        require_key("", "embedded field")


@pytest.mark.parametrize("namespace", [(), ("",), ("users", "")])
def test_a_memory_namespace_that_would_be_stored_empty_is_refused(
    namespace: tuple[str, ...],
) -> None:
    with pytest.raises(Exception, match=r"at least one label|must not be empty"):
        namespaces.require_namespace(namespace)
    assert namespaces.encode(("",)) == ""  # stored, that would be NULL on Oracle


# -- each check fails on a statement that breaks it ------------------------------------


def test_a_region_name_is_found() -> None:
    sql = (
        "SELECT FROM_TZ(CAST(:a AS TIMESTAMP), 'UTC'), x AT TIME ZONE 'Europe/Paris', "
        "FROM_TZ(CAST(:b AS TIMESTAMP), '+00:00') FROM dual"
    )
    assert region_names(sql) == ["UTC", "Europe/Paris"]


def test_an_empty_string_literal_is_found() -> None:
    assert empty_literals("SELECT 1 FROM dual WHERE x = '' OR y = 'a'") == 1


def test_an_empty_string_bind_is_found_unless_it_is_a_key_string() -> None:
    threads = SCHEMA.threads
    plain = sa.select(threads.c.thread_id).where(threads.c.thread_id == "")
    keyed = sa.select(threads.c.thread_id).where(
        sa.bindparam("ns", "", type_=KeyString()) == sa.literal_column("x")
    )
    assert empty_binds(plain) == ["thread_id_1"]
    assert empty_binds(keyed) == []


def test_a_string_bind_compared_with_other_text_is_found() -> None:
    threads = SCHEMA.threads
    statement = sa.select(threads.c.thread_id).where(
        threads.c.search_text == sa.bindparam("text", type_=sa.String()),
        threads.c.thread_id == sa.bindparam("thread_id", type_=sa.String()),
    )
    assert unguarded_string_comparisons(statement) == ["locus_threads.search_text ? :text"]
