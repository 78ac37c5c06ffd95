"""Importing conversations from the tables locus-sdk's own backends write.

Two shapes are read, on any database SQLAlchemy reaches:

- the key/value table of ``postgresql_checkpointer`` / ``oracle_checkpointer``
  (``StorageBackendAdapter`` over ``PostgreSQLBackend`` / ``OracleBackend``): columns
  ``thread_id`` (the key), ``checkpoint_id``, ``data``, ``created_at``, ``updated_at``,
  ``metadata``; per conversation ``<thread>:<checkpoint>`` rows, ``<thread>:latest`` and
  the index ``<thread>:_checkpoints``. A row keyed by a bare thread id (an
  ``OracleBackend`` used directly) is a conversation with one state.
- ``OracleCheckpointSaver``'s ``<name>_checkpoints`` and ``<name>_writes``.

A key/value conversation becomes a single-row thread (its latest state) and a
versioned lineage (its checkpoints oldest to newest, each the parent of the next),
or either one. Checkpoint rows the index lost (concurrent saves from several
processes) are imported too, ordered by their own timestamps; index entries whose
row is gone (vacuumed) are counted as missing. Saver rows go to the versioned
tables as they are, ordered by ``created_at`` within each (thread, namespace).

Every thread is written in one transaction with the others of its batch, and
nothing in the source tables is changed.

The package: ``common`` (source tables, report, batched write), ``key_value`` and
``saver`` (one importer each).
"""

from locus_store.ops.from_locus.common import LocusImportReport, kv_table, saver_tables
from locus_store.ops.from_locus.key_value import group_keys, import_key_value, thread_of_key
from locus_store.ops.from_locus.saver import import_saver, lineage_order

__all__ = [
    "LocusImportReport",
    "group_keys",
    "import_key_value",
    "import_saver",
    "kv_table",
    "lineage_order",
    "saver_tables",
    "thread_of_key",
]
