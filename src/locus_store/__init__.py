"""locus_store: durable checkpoints for Locus agents on SQLAlchemy and Alembic."""

from locus_store.errors import (
    CheckpointExistsError,
    ConnectionLostError,
    InvalidInputError,
    InvalidPrefixError,
    InvalidTypeError,
    LocusStoreError,
    ParentNotFoundError,
    StoreUnavailableError,
)
from locus_store.store import Store

__all__ = [
    "CheckpointExistsError",
    "ConnectionLostError",
    "InvalidInputError",
    "InvalidPrefixError",
    "InvalidTypeError",
    "LocusStoreError",
    "ParentNotFoundError",
    "Store",
    "StoreUnavailableError",
]
