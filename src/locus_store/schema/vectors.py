"""The embedding column: one type, a native vector where the database has one.

- Oracle 23ai+: ``VECTOR(dims, FLOAT32)``, written with two arguments as every 23ai
  release documents it (SQL Language Reference, "Data Types", Vector Data Type);
  SQLAlchemy's ``VECTOR`` writes a third, the storage type (``*``), which only 23.7 and
  later know. python-oracledb binds and fetches it as ``array.array('f')``
  (python-oracledb user guide, "Using VECTOR Data": arrays of type float (32-bit) "are
  used as bind values when inserting vector columns"). A plain ``list`` is not a vector
  to the driver: it binds a list as a PL/SQL array, which SQL refuses (ORA-01484), and
  SQLAlchemy's own list conversion lives in ``VECTOR``'s cached bind processor, which a
  ``TypeDecorator`` does not run, so `EmbeddingVector` makes the array itself.
- PostgreSQL: pgvector's ``vector(dims)`` (the ``pgvector`` package's SQLAlchemy type, text
  binds, so no per-connection codec is needed).
- SQLite: little-endian ``float32`` bytes in a BLOB, searched exactly by
  `sqlite_vector_distance`, a plain Python function registered on every connection:
  extensions such as sqlite-vec need ``enable_load_extension``, which many CPython builds
  lack, and an exact scan gives the same answers on every build.

Every dialect means the same by a distance (smaller is nearer): ``cosine`` is one minus
the cosine similarity, ``l2`` the Euclidean distance, ``dot`` the negated inner product
(pgvector's ``<#>``, Oracle's ``DOT``). `ORACLE_DISTANCE_METRICS` names them as Oracle's
vector index and ``VECTOR_DISTANCE`` do.
"""

from __future__ import annotations

import math
import operator
import sys
from array import array
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, Literal, get_args

from sqlalchemy import LargeBinary
from sqlalchemy.dialects.oracle import VECTOR, VectorStorageFormat
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.types import TypeDecorator, TypeEngine

from locus_store.errors import ConfigurationError

Distance = Literal["cosine", "dot", "l2"]
DISTANCES: tuple[Distance, ...] = get_args(Distance)
#: Name of the SQLite function `sqlite_vector_distance` is registered as.
SQLITE_DISTANCE_FUNCTION = "locus_vector_distance"
#: pgvector's HNSW index takes at most this many dimensions for ``vector``.
PGVECTOR_HNSW_MAX_DIMS = 2000
#: Oracle's ``VECTOR`` takes at most this many dimensions.
ORACLE_MAX_DIMS = 65535
#: Oracle's name of each distance, in ``CREATE VECTOR INDEX ... DISTANCE`` and
#: ``VECTOR_DISTANCE(a, b, metric)`` (SQL Language Reference, "VECTOR_DISTANCE":
#: ``COSINE``, ``DOT`` "calculates the negated dot product", ``EUCLIDEAN``).
ORACLE_DISTANCE_METRICS: dict[str, str] = {"cosine": "COSINE", "dot": "DOT", "l2": "EUCLIDEAN"}


def to_float32_bytes(values: Sequence[float]) -> bytes:
    packed = array("f", values)
    if sys.byteorder == "big":
        packed.byteswap()
    return packed.tobytes()


def from_float32_bytes(data: bytes) -> list[float]:
    unpacked = array("f")
    unpacked.frombytes(data)
    if sys.byteorder == "big":
        unpacked.byteswap()
    return unpacked.tolist()


class OracleFloat32Vector(VECTOR):
    """Oracle's ``VECTOR(dims, FLOAT32)``, written in the two-argument form."""

    cache_ok = True

    def __init__(self, dim: int | None = None) -> None:
        super().__init__(dim=dim, storage_format=VectorStorageFormat.FLOAT32)  # type: ignore[no-untyped-call]


@compiles(OracleFloat32Vector, "oracle")
def _oracle_vector_ddl(type_: OracleFloat32Vector, compiler: Any, **kw: Any) -> str:
    dims = "*" if type_.dim is None else int(type_.dim)
    return f"VECTOR({dims}, FLOAT32)"


class EmbeddingVector(TypeDecorator[list[float]]):
    """A float32 vector of ``dims`` dimensions (``None`` in the model: the migration's choice)."""

    impl = LargeBinary
    cache_ok = True

    def __init__(self, dims: int | None = None) -> None:
        super().__init__()
        self.dims = dims

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "oracle":
            return dialect.type_descriptor(OracleFloat32Vector(self.dims))
        if dialect.name == "postgresql":
            return dialect.type_descriptor(pgvector_type(self.dims))
        return dialect.type_descriptor(LargeBinary())

    def process_bind_param(self, value: Sequence[float] | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return to_float32_bytes(value)
        if dialect.name == "oracle":
            return array("f", value)
        return list(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> list[float] | None:
        if value is None:
            return None
        if isinstance(value, bytes | bytearray | memoryview):
            return from_float32_bytes(bytes(value))
        if hasattr(value, "to_list"):
            return [float(x) for x in value.to_list()]
        return [float(x) for x in value]


def pgvector_type(dims: int | None) -> TypeEngine[Any]:
    """pgvector's SQLAlchemy ``VECTOR`` type, or a `ConfigurationError` saying how to get it."""
    try:
        from pgvector.sqlalchemy import VECTOR
    except ImportError:
        raise ConfigurationError(
            "vector search on PostgreSQL needs the pgvector package: "
            "pip install 'locus-store[postgresql]'"
        ) from None
    return VECTOR(dims)


@lru_cache(maxsize=8)
def _query_vector(data: bytes) -> tuple[array[float], float]:
    unpacked = array("f")
    unpacked.frombytes(data)
    return unpacked, math.sqrt(sum(map(operator.mul, unpacked, unpacked)))


def sqlite_vector_distance(
    stored: bytes | None, query: bytes | None, distance: str
) -> float | None:
    """The distance of two float32 BLOBs (NULL when either is NULL or their lengths differ).

    The query vector is the same bytes on every row of one search, so its unpacked form
    and norm are cached.
    """
    if stored is None or query is None or len(stored) != len(query):
        return None
    q, q_norm = _query_vector(query)
    s = array("f")
    s.frombytes(stored)
    if distance == "l2":
        return math.sqrt(math.fsum((a - b) * (a - b) for a, b in zip(s, q, strict=True)))
    dot = math.fsum(map(operator.mul, s, q))
    if distance == "dot":
        return -dot
    s_norm = math.sqrt(sum(map(operator.mul, s, s)))
    if s_norm == 0.0 or q_norm == 0.0:
        return 1.0
    return 1.0 - dot / (s_norm * q_norm)


def register_sqlite_functions(dbapi_connection: Any) -> None:
    """Make `sqlite_vector_distance` callable from SQL on this connection."""
    dbapi_connection.create_function(
        SQLITE_DISTANCE_FUNCTION, 3, sqlite_vector_distance, deterministic=True
    )


def require_distance(value: object) -> Distance:
    for distance in DISTANCES:
        if value == distance:
            return distance
    raise ConfigurationError(
        f"memory distance must be one of {', '.join(DISTANCES)}, not {value!r}"
    )
