"""A model of the server under the memory store: what its MERGEs store, what its queries find.

`MemoryServer` is a ``FakeDriver.server_rules`` rule for one prefix's memory tables, made
with the dimensions and distance a migration would have chosen. It keeps the rows the
store's ``MERGE`` statements write and answers every query on those tables by evaluating
the statement's own SQL over the kept rows. One behaviour per function, each citing the
documentation it follows:

- :meth:`MemoryServer.merge` — ``MERGE INTO t USING dual ON (keys) WHEN MATCHED THEN
  UPDATE SET ... WHEN NOT MATCHED THEN INSERT ...`` (SQL Language Reference, "MERGE"): a
  row with those keys takes the UPDATE SET values, evaluated against the row as it was
  (``version = t.version + :n`` counts); otherwise the INSERT's row is stored
  (:func:`~tests.support.oracle.fake_driver.written_row`, vectors as
  :func:`~tests.support.oracle.fake_driver.stored_vector` stores them).
- :meth:`MemoryServer.query` — a query block: FROM (tables, joins and their ON,
  subqueries, ``UNION ALL``), WHERE, the select list, ORDER BY, OFFSET and FETCH
  (SQL Language Reference, SELECT). "NULLS LAST is the default for ascending order, and
  NULLS FIRST is the default for descending order"; rows an ORDER BY leaves tied come
  back in no guaranteed order, so the model returns them in the reverse of the order
  they reached it, the least convenient order a server may choose. ``FETCH APPROX``
  gets exact results, which an approximate search may return ("If any of these
  conditions are not met, an exact search will be performed").
- :func:`vector_distance` — ``VECTOR_DISTANCE(a, b, metric)`` (SQL Language Reference,
  "VECTOR_DISTANCE"): ``COSINE`` one minus the cosine similarity, ``DOT`` "the negated
  dot product", ``EUCLIDEAN``; NULL when either is NULL or "the dimensions between the
  two vectors do not match up"; a ``BINARY_DOUBLE``.
- ``CONTAINS(col, :query, label) > 0`` and ``SCORE(label)`` — the match and score of
  :func:`~tests.support.oracle.oracle_text.contains_score` for the memory items' index
  as the head migration creates it; ``SCORE`` reads the ``CONTAINS`` with its label in
  its own query block (Oracle Text Reference, "SCORE": the label "identif[ies] the
  CONTAINS clause which returns this score").
- :func:`like` — ``LIKE ... ESCAPE`` (SQL Language Reference, "LIKE Condition"): ``%``
  any string, ``_`` one character, the escape character makes the next one literal;
  case-sensitive.

- :meth:`MemoryServer.delete_or_update` — ``DELETE FROM t WHERE condition`` (SQL
  Language Reference, "DELETE": "to delete only those rows that satisfy the condition")
  and ``UPDATE t SET ... WHERE condition`` ("UPDATE": the SET values evaluated against the
  row as it was), a row being affected where the condition is TRUE (not NULL); the
  count is what ``Cursor.rowcount`` then reports.

An INSERT into the memory tables, and a condition the evaluator cannot read (a
subquery), are not modelled: the rule fails the test that sends one rather than answer
it wrongly.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
import re
from array import array
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import oracledb
from sqlglot import exp

from locus_store.schema.tables import Schema
from locus_store.schema.types import JSONDocument
from tests.support.oracle.fake_driver import (
    Answer,
    FakeDriver,
    FakeLob,
    Sent,
    ServerTimestamp,
    as_server_sees,
    declared_type,
    encode_json,
    stored_vector,
    written_row,
)
from tests.support.oracle.oracle_sql import Evaluator
from tests.support.oracle.oracle_text import contains_score, require_short_tokens, stopwords_of
from tests.support.oracle.sqlcheck import read_oracle

#: A row in a query's scope: (table or alias, COLUMN) to the value the server holds.
Scope = dict[tuple[str, str], Any]
Row = dict[str, Any]


def vector_distance(a: Any, b: Any, metric: str) -> float | None:
    """What ``VECTOR_DISTANCE(a, b, metric)`` returns (``None`` for NULL)."""
    if a is None or b is None or len(a) != len(b):
        return None
    dot = math.fsum(x * y for x, y in zip(a, b, strict=True))
    if metric == "DOT":
        return -dot
    if metric == "EUCLIDEAN":
        return math.sqrt(math.fsum((x - y) ** 2 for x, y in zip(a, b, strict=True)))
    assert metric == "COSINE", f"the model knows no metric {metric}"
    norms = math.sqrt(math.fsum(x * x for x in a)) * math.sqrt(math.fsum(y * y for y in b))
    return 1.0 - dot / norms if norms else None


def like(text: Any, pattern: Any, escape: str | None) -> bool | None:
    """``text LIKE pattern [ESCAPE escape]``, ``None`` when either side is NULL."""
    if text is None or pattern is None:
        return None
    regex, chars = [], iter(pattern)
    for char in chars:
        if escape is not None and char == escape:
            regex.append(re.escape(next(chars)))
        elif char == "%":
            regex.append(".*")
        elif char == "_":
            regex.append(".")
        else:
            regex.append(re.escape(char))
    return re.fullmatch("".join(regex), text, re.DOTALL) is not None


def _sortable(value: Any) -> Any:
    if isinstance(value, ServerTimestamp):
        return value.utc
    if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
        return Decimal(str(value))
    return value


def _compare(a: list[tuple[Any, bool]], b: list[tuple[Any, bool]]) -> int:
    for (left, descending), (right, _) in zip(a, b, strict=True):
        if left == right or (left is None and right is None):
            continue
        if left is None or right is None:  # NULLS LAST ascending, NULLS FIRST descending
            return (1 if left is None else -1) * (-1 if descending else 1)
        order = -1 if _sortable(left) < _sortable(right) else 1
        return -order if descending else order
    return 0


def _compare_keyed(
    a: tuple[list[tuple[Any, bool]], Row], b: tuple[list[tuple[Any, bool]], Row]
) -> int:
    return _compare(a[0], b[0])


class _RowEvaluator(Evaluator):
    """An expression's value over one row of a query block, as the server computes it."""

    def __init__(self, scope: Scope, parameters: Any, stopwords: frozenset[str]) -> None:
        super().__init__({}, parameters)
        self.scope = scope
        self.stopwords = stopwords
        self.scores: dict[int, int] = {}

    def column(self, node: exp.Column) -> Any:
        name, table = node.name.upper(), node.table.lower()
        if table:
            return self.scope[(table, name)]
        (value,) = [v for (_, column), v in self.scope.items() if column == name]
        return value

    def value(self, node: exp.Expression) -> Any:
        if isinstance(node, exp.Alias):
            return self.value(node.this)
        if isinstance(node, exp.Placeholder):
            name = "fetch" if node.name == "fetch_" else node.name  # see read_oracle
            value = self.parameters[name]
            return as_server_sees(value.data if isinstance(value, FakeLob) else value)
        if isinstance(node, exp.Boolean):
            return bool(node.this)
        if isinstance(node, exp.In):
            left = self.value(node.this)
            options = [self.value(e) for e in node.expressions]
            if left is None:
                return None
            if any(o is not None and _sortable(o) == _sortable(left) for o in options):
                return True
            return None if None in options else False
        if isinstance(node, exp.Escape):
            assert isinstance(node.this, exp.Like), node.sql("oracle")
            escape = self.value(node.expression)
            return like(self.value(node.this.this), self.value(node.this.expression), escape)
        if isinstance(node, exp.Like):
            return like(self.value(node.this), self.value(node.expression), None)
        if isinstance(node, exp.Add):
            left, right = self.value(node.this), self.value(node.expression)
            return None if None in (left, right) else _sortable(left) + _sortable(right)
        if isinstance(node, exp.Contains):
            text, query = self.value(node.this), self.value(node.expression)
            assert query is not None, "CONTAINS with a NULL query is not modelled"
            require_short_tokens(query)
            label = int(node.args["json_scope"].name)
            self.scores[label] = contains_score(text, query, self.stopwords)
            return Decimal(self.scores[label])
        if isinstance(node, exp.Anonymous) and node.name.upper() == "SCORE":
            return Decimal(self.scores.get(int(node.expressions[0].name), 0))
        if isinstance(node, exp.Anonymous) and node.name.upper() == "VECTOR_DISTANCE":
            stored, query, metric = node.expressions
            assert isinstance(metric, exp.Column), node.sql("oracle")
            return vector_distance(self.value(stored), self.value(query), metric.name.upper())
        return super().value(node)


@dataclass
class MemoryServer:
    """The memory tables of ``schema`` on a server, migrated with ``dims`` and ``distance``."""

    schema: Schema
    dims: int
    distance: str = "cosine"
    #: The memory text index's PARAMETERS (the head migration's: no stop words).
    text_parameters: str = "SYNC (ON COMMIT) STOPLIST CTXSYS.EMPTY_STOPLIST"
    #: Kept rows by table name, then by primary key.
    rows: dict[str, dict[tuple[Any, ...], Row]] = field(init=False, default_factory=dict)
    #: Every query this model answered, as sent.
    answered: list[str] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        self.tables = {
            t.name: t
            for t in (
                self.schema.memory_items,
                self.schema.memory_vectors,
                self.schema.memory_config,
            )
        }
        self.rows = {name: {} for name in self.tables}
        self.rows[self.schema.memory_config.name][(Decimal(1),)] = {
            "ID": Decimal(1),
            "VECTORS": "native",
            "DIMS": Decimal(self.dims),
            "DISTANCE": self.distance,
        }
        self.stopwords = stopwords_of(self.text_parameters)

    def __call__(self, driver: FakeDriver, sql: str, parameters: Any) -> Answer | None:
        lowered = sql.lstrip().lower()
        if lowered.startswith("merge") and self._target(sql) in self.tables:
            self.merge(sql, parameters)
            return None
        if lowered.startswith(("update", "delete")) and self._target(sql) in self.tables:
            return Answer("", [], rowcount=self.delete_or_update(sql, parameters))
        if lowered.startswith("insert"):
            assert self._target(sql) not in self.tables, f"not modelled: {sql}"
            return None
        if not lowered.startswith(("select", "with")):
            return None
        tree = read_oracle(sql)
        tables = {t.name.lower() for t in tree.find_all(exp.Table) if t.name}
        if not tables or not tables <= self.tables.keys():
            return None
        self.answered.append(sql)
        return Answer("", self.query(tree, parameters), self._types())

    # -- writes ----------------------------------------------------------------------
    def _target(self, sql: str) -> str:
        match = re.search(r"\b(?:into|from|update)\s+(\w+)", sql, re.IGNORECASE)
        return match.group(1).lower() if match else ""

    def merge(self, sql: str, parameters: Any) -> None:
        """Store what one row of a ``MERGE`` writes: the UPDATE of a match, else the INSERT."""
        table = self.tables[self._target(sql)]
        new = written_row(Sent(sql, parameters, {}), table)
        key = tuple(new[c.name.upper()] for c in table.primary_key.columns)
        kept = self.rows[table.name]
        old = kept.get(key)
        if old is None:
            kept[key] = self._checked(table, new)
            return
        tree = read_oracle(sql)
        evaluator = _RowEvaluator(
            {(table.name, k): v for k, v in old.items()}, parameters, self.stopwords
        )
        updated = dict(old)
        for update in tree.find_all(exp.Update):
            for assignment in update.expressions:
                name = assignment.this.name.upper()
                updated[name] = self._stored(table, name, evaluator.value(assignment.expression))
        kept[key] = self._checked(table, updated)

    def delete_or_update(self, sql: str, parameters: Any) -> int:
        """Delete, or update, the rows the WHERE condition holds for; how many."""
        table = self.tables[self._target(sql)]
        tree = read_oracle(sql)
        assert isinstance(tree, exp.Delete | exp.Update), f"not modelled: {sql}"
        assert not list(tree.find_all(exp.Subquery, exp.Exists)), f"not modelled: {sql}"
        where = tree.args.get("where")
        kept = self.rows[table.name]
        affected = 0
        for key, row in list(kept.items()):
            evaluator = _RowEvaluator(
                {(table.name, k): v for k, v in row.items()}, parameters, self.stopwords
            )
            if where is not None and evaluator.value(where.this) is not True:
                continue
            affected += 1
            if isinstance(tree, exp.Delete):
                del kept[key]
                continue
            updated = dict(row)
            for assignment in tree.expressions:
                name = assignment.this.name.upper()
                updated[name] = self._stored(table, name, evaluator.value(assignment.expression))
            kept[key] = self._checked(table, updated)
        return affected

    def _stored(self, table: Any, name: str, value: Any) -> Any:
        column_type = table.c[name.lower()].type
        if isinstance(column_type, JSONDocument) and isinstance(value, str):
            return encode_json(json.loads(value))
        if isinstance(value, array):
            return stored_vector(value, None)
        assert not isinstance(value, dt.datetime), "a timestamp bound without FROM_TZ"
        return value

    def _checked(self, table: Any, row: Row) -> Row:
        if table.name == self.schema.memory_vectors.name:
            stored_vector(row["EMBEDDING"], self.dims)
        return row

    # -- reads -----------------------------------------------------------------------
    def _types(self) -> dict[str, Any]:
        types = {
            c.name.upper(): declared_type(c.type) for t in self.tables.values() for c in t.columns
        }
        types.update(
            BRANCH=oracledb.DB_TYPE_NUMBER,
            SCORE=oracledb.DB_TYPE_NUMBER,
            DISTANCE=oracledb.DB_TYPE_BINARY_DOUBLE,
        )
        return types

    def _source(self, node: exp.Expression, parameters: Any) -> list[Scope]:
        if isinstance(node, exp.Table):
            name = node.name.lower()
            alias = (node.alias or name).lower()
            columns = [c.name.upper() for c in self.tables[name].columns]
            return [  # a column the INSERT left out is NULL (none has a DEFAULT)
                {(alias, column): row.get(column) for column in columns}
                for row in self.rows[name].values()
            ]
        assert isinstance(node, exp.Subquery), node.sql("oracle")
        alias = node.alias.lower()
        return [
            {(alias, column): value for column, value in row.items()}
            for row in self.query(node.this, parameters)
        ]

    def query(self, node: exp.Expression, parameters: Any) -> list[Row]:
        """The rows a query returns, each by output column name (upper case), in order."""
        if isinstance(node, exp.Union):
            assert not node.args.get("distinct"), "only UNION ALL is modelled"
            return [*self.query(node.this, parameters), *self.query(node.expression, parameters)]
        if isinstance(node, exp.Subquery | exp.Paren):
            return self.query(node.this, parameters)
        assert isinstance(node, exp.Select), node.sql("oracle")
        from_clause = node.args.get("from") or node.args.get("from_")
        assert from_clause is not None, node.sql("oracle")
        scopes = self._source(from_clause.this, parameters)
        for join in node.args.get("joins") or []:
            right = self._source(join.this, parameters)
            on = join.args["on"]
            scopes = [
                {**left, **other}
                for left in scopes
                for other in right
                if _RowEvaluator({**left, **other}, parameters, self.stopwords).value(on) is True
            ]
        where = node.args.get("where")
        found: list[tuple[_RowEvaluator, Row]] = []
        for scope in scopes:
            evaluator = _RowEvaluator(scope, parameters, self.stopwords)
            if where is not None and evaluator.value(where.this) is not True:
                continue
            row = {e.alias_or_name.upper(): evaluator.value(e) for e in node.expressions}
            found.append((evaluator, row))
        order = node.args.get("order")
        if order is not None:
            keyed: list[tuple[list[tuple[Any, bool]], Row]] = [
                ([(ev.value(o.this), bool(o.args.get("desc"))) for o in order.expressions], row)
                for ev, row in reversed(found)  # ties: the reverse of the input order
            ]
            keyed.sort(key=functools.cmp_to_key(_compare_keyed))
            rows = [row for _, row in keyed]
        else:
            rows = [row for _, row in found]
        constant = _RowEvaluator({}, parameters, self.stopwords)
        offset = node.args.get("offset")
        if offset is not None:
            rows = rows[max(0, int(constant.value(offset.expression))) :]
        fetch = node.args.get("limit")
        if isinstance(fetch, exp.Fetch):
            rows = rows[: int(constant.value(fetch.args["count"]))]
        return rows


__all__ = ["MemoryServer", "like", "vector_distance"]
