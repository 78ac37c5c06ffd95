"""VECTOR binds as python-oracledb thin makes them, and why the store converts embeddings itself.

The fake driver binds and fetches vectors as the driver does (see ``fake_driver``):
``array.array`` of typecode ``f``/``d``/``b``/``B`` is a VECTOR, a ``list`` is a PL/SQL
array, which the server refuses in SQL (ORA-01484). SQLAlchemy's Oracle ``VECTOR`` would
turn a list into an array, but only in its cached bind processor, which a
``TypeDecorator`` such as `EmbeddingVector` does not run: without the store's own
conversion, every embedding would fail on a real server.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from typing import Any

import oracledb
import pytest
import sqlalchemy as sa
from sqlalchemy.dialects.oracle import VECTOR, VectorStorageFormat
from sqlalchemy.engine import Dialect

from locus_store import Store
from locus_store.ops.oracle_review import oracle_dialect
from locus_store.schema.vectors import EmbeddingVector
from tests.support.oracle.fake_driver import (
    Column,
    FakeDriver,
    bind_value,
    fetch_value,
    stored_vector,
)

DIMS = 3


class ListEmbedding(EmbeddingVector):
    """`EmbeddingVector` without its conversion: the sequence reaches the driver as a list."""

    cache_ok = True

    def process_bind_param(self, value: Sequence[float] | None, dialect: Dialect) -> Any:
        return None if value is None else list(value)


def _insert(store: Store, embedding_type: Any) -> sa.Insert:
    vectors = store.schema.memory_vectors
    return vectors.insert().values(
        namespace="users/u1",
        key="k",
        field="$",
        stamp="s",
        embedding=sa.bindparam("embedding", type_=embedding_type),
    )


async def _run(store: Store, statement: sa.Executable, **params: Any) -> None:
    async with store.engine.begin() as conn:
        await conn.execute(statement, params)


# -- the driver ----------------------------------------------------------------------


@pytest.mark.parametrize("typecode", ["f", "d", "b", "B"])
def test_an_array_of_a_vector_typecode_is_bound_as_is(typecode: str) -> None:
    value = array(typecode, [1, 2, 3])
    assert bind_value(value) is value


def test_an_array_of_another_typecode_is_refused_by_the_driver() -> None:
    with pytest.raises(oracledb.NotSupportedError, match="DPY-3013"):
        bind_value(array("i", [1, 2, 3]))


def test_an_empty_vector_is_refused_by_the_driver() -> None:
    with pytest.raises(oracledb.DatabaseError, match="DPY-4031"):
        bind_value(array("f"))


def test_a_list_becomes_a_float64_vector_only_for_a_variable_typed_vector() -> None:
    converted = bind_value([1.0, 2.0], oracledb.DB_TYPE_VECTOR)
    assert isinstance(converted, array)
    assert converted.typecode == "d"
    untyped = [1.0, 2.0]
    assert bind_value(untyped) is untyped  # a PL/SQL array bind, for the server to judge


async def test_a_list_bound_in_sql_is_refused_by_the_server(
    oracle_store: tuple[Store, FakeDriver],
) -> None:
    store, driver = oracle_store
    with pytest.raises(sa.exc.DatabaseError, match="ORA-01484: arrays can only be bound"):
        await _run(store, sa.text("SELECT :v FROM dual"), v=[1.0, 2.0])
    assert driver.trips[-1] == ("execute", "SELECT :v FROM dual")  # the server answered it


def test_a_vector_column_stores_its_format_and_its_dimensions_only() -> None:
    stored = stored_vector(array("d", [0.5, 0.25, 0.125]), DIMS)
    assert stored.typecode == "f"
    assert list(stored) == [0.5, 0.25, 0.125]
    with pytest.raises(oracledb.DatabaseError, match="ORA-51803"):
        stored_vector(array("f", [1.0, 2.0]), DIMS)


def test_a_vector_column_is_fetched_as_an_array_of_its_format() -> None:
    fetched = fetch_value(array("f", [1.5, 2.5]), Column("E", oracledb.DB_TYPE_VECTOR), None)
    assert isinstance(fetched, array)
    assert fetched.typecode == "f"


# -- the store's embeddings ----------------------------------------------------------


def test_sqlalchemys_vector_list_conversion_does_not_run_under_a_type_decorator() -> None:
    dialect = oracle_dialect()
    plain = VECTOR(DIMS, VectorStorageFormat.FLOAT32)
    assert plain.bind_processor(dialect) is None  # only its _cached_bind_processor converts
    wrapped = ListEmbedding(DIMS).dialect_impl(dialect).bind_processor(dialect)
    assert wrapped is not None
    assert type(wrapped([1.0, 2.0, 3.0])) is list


async def test_without_the_stores_conversion_an_embedding_fails_on_the_server(
    oracle_store: tuple[Store, FakeDriver],
) -> None:
    store, _driver = oracle_store
    with pytest.raises(sa.exc.DatabaseError, match="ORA-01484"):
        await _run(store, _insert(store, ListEmbedding(DIMS)), embedding=[0.5, 0.25, 0.125])


async def test_the_store_binds_an_embedding_as_a_float32_array(
    oracle_store: tuple[Store, FakeDriver],
) -> None:
    store, driver = oracle_store
    await _run(store, _insert(store, EmbeddingVector(DIMS)), embedding=[0.5, 0.25, 0.125])
    sent = driver.statements[-1].parameters["embedding"]
    assert isinstance(sent, array)
    assert sent.typecode == "f"
    assert list(sent) == [0.5, 0.25, 0.125]
    assert "embedding" not in driver.statements[-1].input_sizes  # the value alone says VECTOR
