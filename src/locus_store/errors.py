"""The typed errors callers catch.

Every error raised by locus_store for bad input derives from both
:class:`LocusStoreError` and the matching builtin (``ValueError`` /
``TypeError``), so generic callers that catch builtins keep working.
"""

from __future__ import annotations


class LocusStoreError(Exception):
    """Base class of every error raised by locus_store."""


class InvalidInputError(LocusStoreError, ValueError):
    """An argument was refused before any SQL was sent."""


class InvalidTypeError(LocusStoreError, TypeError):
    """An argument has a type the store cannot persist."""


class InvalidPrefixError(InvalidInputError):
    """A table prefix is not a safe SQL identifier."""


class CheckpointExistsError(LocusStoreError):
    """A versioned checkpoint with this (thread, namespace, id) already exists."""


class ParentNotFoundError(LocusStoreError):
    """The parent checkpoint named in a versioned ``put`` does not exist in the thread."""


class StoreUnavailableError(LocusStoreError):
    """The database could not be reached; the message names the URL without its password."""


class ConnectionLostError(LocusStoreError):
    """The connection died while an operation may have been committed; the outcome is unknown."""


class LineageConflictError(LocusStoreError):
    """Concurrent writers kept taking the next position of a lineage; the append was not made."""


class SchemaPermissionError(LocusStoreError):
    """The connection's role may not change the schema: migrations need the owner's role."""
