"""The typed errors callers catch.

Every error raised by locus_store for bad input derives from both
`LocusStoreError` and the matching builtin (``ValueError`` /
``TypeError``), so generic callers that catch builtins keep working.
"""

from __future__ import annotations


class LocusStoreError(Exception):
    """Base class of every error raised by locus_store."""


class InvalidInputError(LocusStoreError, ValueError):
    """An argument was refused before any SQL was sent."""


class InvalidTypeError(LocusStoreError, TypeError):
    """An argument has a type the store cannot persist."""


class InvalidNamespaceError(InvalidInputError):
    """A memory namespace is not a non-empty tuple of clean, non-empty string labels."""


class VectorDimensionError(InvalidInputError):
    """A vector's length differs from the dimensions the schema was migrated with, or it
    holds NaN or an infinity."""


class VectorSearchUnavailableError(LocusStoreError, NotImplementedError):
    """This database has no memory vectors (PostgreSQL without pgvector); the message says
    how to enable them."""


class InvalidPrefixError(InvalidInputError):
    """A table prefix is not a safe SQL identifier."""


class CheckpointExistsError(LocusStoreError):
    """A versioned checkpoint with this (thread, namespace, id) already exists."""


class ConstraintError(LocusStoreError):
    """A statement broke a constraint of the store's tables (a concurrent writer got there
    first, or a row it needs is gone); the repositories turn it into the error of their
    contract. Raised from SQLAlchemy's ``IntegrityError``, without its bound values."""


class ThreadNotFoundError(LocusStoreError, LookupError):
    """A thread or checkpoint named by the caller has no rows."""


class ExportFormatError(InvalidInputError):
    """A file is not a locus-store export this version can read; the message names the line."""


class UsageError(InvalidInputError):
    """The ``locus-store`` command line was given arguments it cannot run with.

    The message says what to give instead; the command exits with code 2.
    """


class ParentNotFoundError(LocusStoreError):
    """The parent checkpoint named in a versioned ``put`` does not exist in the thread."""


class CheckpointNotFoundError(LocusStoreError, LookupError):
    """Pending writes named a checkpoint that does not exist (never saved, or erased).

    Writes without their checkpoint would be a partial thread: they are refused whole,
    and nothing is written. A checkpoint saved again afterwards is accepted.
    """


class StoreUnavailableError(LocusStoreError):
    """The database could not be reached; the message names the URL without its password."""


class ConnectionLostError(LocusStoreError):
    """The connection died while an operation may have been committed; the outcome is unknown."""


class LineageConflictError(LocusStoreError):
    """Concurrent writers kept taking the next position of a lineage; the append was not made."""


class SchemaPermissionError(LocusStoreError):
    """The connection's role may not change the schema: migrations need the owner's role."""


class ConfigurationError(LocusStoreError, ValueError):
    """The connection settings cannot work; refused before connecting.

    The message names the setting (an ``ORACLE_*`` variable or its argument) and the
    file to fix, never a password.
    """


class TablespaceQuotaError(LocusStoreError):
    """Oracle refused the space a statement needed: the owner's tablespace quota is missing or
    used up (ORA-01950, ORA-01536).

    The message names the tablespace and the ``ALTER USER ... QUOTA ... ON`` a DBA must
    run; the statement that needed the space was not applied. The driver's error is the
    ``__cause__``.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str = "",
        tablespace: str | None = None,
        owner: str | None = None,
    ) -> None:
        super().__init__(message)
        #: ``"ORA-01950"`` (no quota) or ``"ORA-01536"`` (quota used up).
        self.code = code
        #: The tablespace named by the server, when it named one.
        self.tablespace = tablespace
        #: The user owning the segment, when the server named it (Oracle 23ai and later).
        self.owner = owner


class SchemaNotCurrentError(LocusStoreError):
    """The prefix's tables are missing or not at the revision this package expects.

    Raised by the first call that meets a missing table of the store's prefix; the
    message names the prefix and the command that creates the tables. The database's
    own error is the ``__cause__``, without its bound values.
    """


class LocusStoreWarning(UserWarning):
    """Base class of every warning issued by locus_store."""


class AutobeginWarning(LocusStoreWarning):
    """A bound store wrote through a session or connection with no transaction begun.

    SQLAlchemy begins one on first use (autobegin), and only the caller's ``commit()``
    makes the write last: closing the session or connection without it rolls it back.
    """
