"""locus_store: durable checkpoints for Locus agents on SQLAlchemy and Alembic.

The public face: `Store` (which opens every repository) and every error and warning
the package raises, importable from here.
"""

from locus_store._version import __version__ as __version__
from locus_store.errors import (
    AutobeginWarning,
    CheckpointExistsError,
    CheckpointNotFoundError,
    ConfigurationError,
    ConnectionLostError,
    ConstraintError,
    ExportFormatError,
    InvalidInputError,
    InvalidNamespaceError,
    InvalidPrefixError,
    InvalidTypeError,
    LineageConflictError,
    LocusStoreError,
    LocusStoreWarning,
    ParentNotFoundError,
    SchemaNotCurrentError,
    SchemaPermissionError,
    StoreUnavailableError,
    TablespaceQuotaError,
    ThreadNotFoundError,
    UsageError,
    VectorDimensionError,
    VectorSearchUnavailableError,
)
from locus_store.ops.erase import ErasureReport
from locus_store.store import Store

__all__ = [
    "AutobeginWarning",
    "CheckpointExistsError",
    "CheckpointNotFoundError",
    "ConfigurationError",
    "ConnectionLostError",
    "ConstraintError",
    "ErasureReport",
    "ExportFormatError",
    "InvalidInputError",
    "InvalidNamespaceError",
    "InvalidPrefixError",
    "InvalidTypeError",
    "LineageConflictError",
    "LocusStoreError",
    "LocusStoreWarning",
    "ParentNotFoundError",
    "SchemaNotCurrentError",
    "SchemaPermissionError",
    "Store",
    "StoreUnavailableError",
    "TablespaceQuotaError",
    "ThreadNotFoundError",
    "UsageError",
    "VectorDimensionError",
    "VectorSearchUnavailableError",
]

# locus.memory.get_checkpointer("sqlalchemy", ...) builds our checkpointers; see registry.py.
from locus_store.registry import register as _register_with_locus

_register_with_locus()
