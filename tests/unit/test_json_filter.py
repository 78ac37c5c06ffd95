"""``json_filter``: LangGraph-style filters parsed, checked and compiled for each dialect.

What the filters find is proven on the databases by the contract tests
(``tests/contract/test_memory_langgraph_filters.py``); here: the parse, the refusals,
the SQL each dialect gets (values bound, paths checked, Oracle's type guards), the
statement cache, and SQLite's answers against a model of the semantics.
"""

from __future__ import annotations

import json
import operator
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.dialects import postgresql, sqlite

from locus_store.errors import InvalidInputError, InvalidTypeError
from locus_store.sql.json_filter import Condition, json_filter, parse_filter
from tests.support.oracle.sqlcheck import assert_parses_as_oracle, oracle_dialect

_TABLE = sa.table("items", sa.column("value", sa.JSON()))
_VALUE: Any = _TABLE.c.value


def _sql(spec: dict[str, Any], dialect: sa.engine.Dialect) -> str:
    statement = sa.select(sa.literal(1)).select_from(_TABLE).where(json_filter(_VALUE, spec))
    return str(statement.compile(dialect=dialect))


def test_a_filter_is_conditions_on_paths() -> None:
    assert parse_filter({"a": 1, "b.c": "x", "n": {"$gt": 3, "$lte": 9}, "t": {"$ne": "y"}}) == [
        Condition(("a",), "$eq", 1),
        Condition(("b", "c"), "$eq", "x"),
        Condition(("n",), "$gt", 3),
        Condition(("n",), "$lte", 9),
        Condition(("t",), "$ne", "y"),
    ]


def test_nested_dicts_and_dotted_keys_name_the_same_field() -> None:
    assert parse_filter({"b": {"c": {"d": 1}}}) == parse_filter({"b.c.d": 1})
    assert parse_filter({"b": {"c": {"$gt": 1}}}) == [Condition(("b", "c"), "$gt", 1)]
    assert parse_filter({"b": {}}) == [Condition(("b",), "object")]
    assert parse_filter({"b": {"$eq": {"c": 1}}}) == [Condition(("b",), "$eq", {"c": 1})]
    assert parse_filter(None) == []
    assert parse_filter({}) == []


@pytest.mark.parametrize(
    ("spec", "error", "message"),
    [
        ({"n": {"$in": [1]}}, InvalidInputError, "unsupported operator '\\$in'"),
        ({"n": {"$gt": 1, "x": 2}}, InvalidInputError, "operators and fields do not mix"),
        ({"$and": [{"a": 1}]}, InvalidInputError, "must follow a field"),
        ({"a b": 1}, InvalidInputError, "not queryable"),
        ({"a.": 1}, InvalidInputError, "not queryable"),
        ({"a'); DROP": 1}, InvalidInputError, "not queryable"),
        ({"a": {"$gt": True}}, InvalidInputError, "numbers or strings, not bool"),
        ({"a": {"$gt": {"b": 1}}}, InvalidInputError, "numbers or strings, not dict"),
        ({"a": {"$lt": float("nan")}}, InvalidInputError, "finite"),
        ({"a": {"$lt": 2**63}}, InvalidInputError, "64 bits"),
        ({"a": {"$gt": "nul\x00"}}, InvalidInputError, "NUL"),
        ({"a": "\ud800"}, InvalidInputError, "surrogate"),
        ({"a": {1}}, InvalidTypeError, "JSON"),
        ({1: "a"}, InvalidTypeError, "filter keys must be strings"),
        ("a=1", InvalidTypeError, "a filter must be a mapping"),
    ],
)
def test_bad_filters_are_refused_with_a_typed_error(
    spec: Any, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        parse_filter(spec)
    with pytest.raises(error):
        json_filter(_VALUE, spec)


_DIALECTS = {
    "postgresql": postgresql.dialect(),
    "sqlite": sqlite.dialect(),
    "oracle": oracle_dialect(),
}
_EVERY_OPERATOR = {
    "a": "x",
    "b.c": 1,
    "n": {"$gt": 2, "$gte": 2.5, "$lt": 10, "$lte": 9.5, "$ne": 7},
    "s": {"$gt": "m", "$lt": "z", "$gte": "", "$lte": "", "$ne": ""},
    "o": {},
    "z": None,
}


@pytest.mark.parametrize("dialect", sorted(_DIALECTS))
def test_values_are_bound_and_never_written_into_the_sql(dialect: str) -> None:
    hostile = "'); DROP TABLE items; --"
    spec = {"a": hostile, "n": {"$gt": hostile, "$ne": hostile}}
    statement = sa.select(sa.literal(1)).select_from(_TABLE).where(json_filter(_VALUE, spec))
    compiled = statement.compile(dialect=_DIALECTS[dialect])
    assert "DROP" not in str(compiled)
    assert hostile in compiled.params.values()


def test_postgresql_compares_numbers_as_jsonb_and_strings_by_code_point() -> None:
    sql = _sql({"n": {"$gt": 2}, "s": {"$lt": "z"}, "o": {}}, _DIALECTS["postgresql"])
    assert "jsonb_typeof((items.value #> '{n}')) = 'number'" in sql
    assert "(items.value #> '{n}') > CAST(" in sql
    assert "(items.value #>> '{s}') COLLATE \"C\" < " in sql
    assert "jsonb_typeof(items.value #> '{o}') = 'object'" in sql


def test_sqlite_compares_only_values_of_the_operands_json_type() -> None:
    sql = _sql({"n": {"$gte": 2}, "s": {"$lte": "z"}}, _DIALECTS["sqlite"])
    assert "json_type(items.value, '$.\"n\"') IN ('integer', 'real')" in sql
    assert "json_type(items.value, '$.\"s\"') IN ('text')" in sql


def test_oracle_guards_every_comparison_by_the_fields_own_type() -> None:
    """Lax item methods look inside arrays: without ``type()``, [5] would compare as 5."""
    statement = (
        sa.select(sa.literal(1)).select_from(_TABLE).where(json_filter(_VALUE, _EVERY_OPERATOR))
    )
    sql = assert_parses_as_oracle(statement)
    assert "JSON_VALUE(items.value, '$.\"n\".type()') IN ('number', 'double', 'float')" in sql
    assert "'$.\"n\".numberOnly()' RETURNING NUMBER NULL ON ERROR) > " in sql
    assert "JSON_VALUE(items.value, '$.\"s\".type()') = 'string'" in sql
    assert "(CASE WHEN " in sql  # $ne: an UNKNOWN equality counts as not equal
    assert "JSON_VALUE(items.value, '$.\"a\".type()') IN ('string') AND " in sql
    assert "JSON_VALUE(items.value, '$.\"b\".\"c\".type()') IN ('number', 'double', 'float')" in sql


def test_oracle_equality_of_null_empty_strings_and_arrays_needs_no_other_guard() -> None:
    for value in [None, "", [1], {"$eq": {"c": 1}}]:
        sql = _sql({"a": value}, _DIALECTS["oracle"])
        assert ".type()') IN (" not in sql, value


@pytest.mark.parametrize(
    ("operator", "expected"),
    [
        (
            "$gt",
            "(JSON_VALUE(items.value, '$.\"s\".type()') = 'string' AND "
            "JSON_VALUE(items.value, '$.\"s\".length()' RETURNING NUMBER NULL ON ERROR) > 0)",
        ),
        ("$gte", "(JSON_VALUE(items.value, '$.\"s\".type()') = 'string')"),
        ("$lt", "(1 = 0)"),
        (
            "$lte",
            "(JSON_VALUE(items.value, '$.\"s\".type()') = 'string' AND "
            "JSON_VALUE(items.value, '$.\"s\".length()' RETURNING NUMBER NULL ON ERROR) = 0)",
        ),
    ],
)
def test_oracle_compares_with_the_empty_string_by_length(operator: str, expected: str) -> None:
    """``''`` is NULL to Oracle, as a bind and as a ``JSON_VALUE`` result."""
    sql = _sql({"s": {operator: ""}}, _DIALECTS["oracle"])
    assert expected in sql
    assert "stringOnly" not in sql


def test_oracle_counts_a_stored_empty_string_below_every_other() -> None:
    below = _sql({"s": {"$lt": "m"}}, _DIALECTS["oracle"])
    assert "length()' RETURNING NUMBER NULL ON ERROR) = 0)" in below
    above = _sql({"s": {"$gt": "m"}}, _DIALECTS["oracle"])
    assert "length()" not in above


def _cache_key(spec: dict[str, Any]) -> Any:
    key = json_filter(_VALUE, spec)._generate_cache_key()
    assert key is not None
    return key.key


def test_the_statement_cache_tells_shapes_apart_but_not_values() -> None:
    assert _cache_key({"n": {"$gt": 1}}) == _cache_key({"n": {"$gt": 99}})
    assert _cache_key({"n": {"$gt": "a"}}) == _cache_key({"n": {"$gt": "b"}})
    assert _cache_key({"n": {"$gt": 1}}) != _cache_key({"n": {"$lt": 1}})
    assert _cache_key({"n": {"$gt": 1}}) != _cache_key({"n": {"$gt": "1"}})
    assert _cache_key({"n": {"$gt": "a"}}) != _cache_key({"n": {"$gt": ""}})
    assert _cache_key({"n": {"$gt": 1}}) != _cache_key({"m": {"$gt": 1}})
    assert _cache_key({"n": {"$ne": 1}}) != _cache_key({"n": 1})


# -- SQLite's answers against a model of the semantics ---------------------------------

_MISSING = object()


def _at(document: Any, path: tuple[str, ...]) -> Any:
    for step in path:
        if not isinstance(document, dict) or step not in document:
            return _MISSING
        document = document[step]
    return document


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _same(left: Any, right: Any) -> bool:
    """JSON equality: types never mix, numbers by value."""
    if _is_number(left) and _is_number(right):
        return bool(left == right)
    if type(left) is not type(right):
        return False
    if isinstance(left, list):
        return len(left) == len(right) and all(map(_same, left, right))
    return bool(left == right)


def _holds(document: Any, condition: Condition) -> bool:
    value = _at(document, condition.path)
    operand = condition.operand
    if condition.operator == "object":
        return isinstance(value, dict)
    if condition.operator in ("$eq", "$ne"):
        if operand is None:
            equal = value is _MISSING or value is None
        else:
            equal = value is not _MISSING and _same(value, operand)
        return equal if condition.operator == "$eq" else not equal
    if _is_number(operand) != _is_number(value) or (
        isinstance(operand, str) != isinstance(value, str)
    ):
        return False
    compare = {"$gt": operator.gt, "$gte": operator.ge, "$lt": operator.lt, "$lte": operator.le}
    return bool(compare[condition.operator](value, operand))


_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.sampled_from([0.5, -2.5, 3.0]),
    st.sampled_from(["", "a", "b", "Z", "é", "ab", "1"]),
)
_values = st.one_of(_scalars, st.lists(st.integers(0, 2), max_size=2))
_documents = st.dictionaries(
    st.sampled_from(["a", "b"]),
    st.one_of(_values, st.dictionaries(st.sampled_from(["a", "b"]), _values, max_size=2)),
    max_size=2,
)
_operator_names = st.sampled_from(["$eq", "$ne", "$gt", "$gte", "$lt", "$lte"])
_ordered = st.one_of(st.integers(-5, 5), st.sampled_from([0.5, -2.5, "", "a", "b", "Z", "é"]))


@st.composite
def _filters(draw: st.DrawFn) -> dict[str, Any]:
    key = draw(st.sampled_from(["a", "b", "a.a", "a.b", "b.a"]))
    name = draw(_operator_names)
    operand = draw(_ordered if name not in ("$eq", "$ne") else _values)
    return {key: {name: operand}}


@settings(max_examples=300, deadline=None)
@given(st.lists(_documents, min_size=1, max_size=6), st.lists(_filters(), min_size=1, max_size=2))
def test_sqlite_answers_as_the_model_says(documents: list[Any], filters: list[Any]) -> None:
    spec: dict[str, Any] = {}
    for one in filters:
        for key, ops in one.items():
            spec.setdefault(key, {}).update(ops)
    conditions = parse_filter(spec)
    expected = [i for i, d in enumerate(documents) if all(_holds(d, c) for c in conditions)]
    engine = sa.create_engine("sqlite://")
    table = sa.table("items", sa.column("id", sa.Integer()), sa.column("value", sa.JSON()))
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE items (id INTEGER PRIMARY KEY, value JSON)")
        conn.execute(
            sa.text("INSERT INTO items (id, value) VALUES (:id, :value)"),
            [{"id": i, "value": json.dumps(d)} for i, d in enumerate(documents)],
        )
        query = sa.select(table.c.id).where(json_filter(table.c.value, spec)).order_by(table.c.id)
        found = [row.id for row in conn.execute(query)]
    engine.dispose()
    assert found == expected, (spec, documents)
