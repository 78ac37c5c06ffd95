"""The operator functions under their former home: import them from their own modules.

`locus_store.ops.status` (schema status), `locus_store.ops.browse` (threads, history,
one checkpoint), `locus_store.ops.vacuum` and `locus_store.ops.copy`; the shared
thread helpers are in `locus_store.ops.threads`, the errors in `locus_store.errors`.
"""

from locus_store.errors import SchemaNotCurrentError, ThreadNotFoundError
from locus_store.ops.browse import (
    CheckpointView,
    ThreadSummary,
    find_checkpoint,
    list_threads,
    thread_history,
)
from locus_store.ops.copy import copy_thread
from locus_store.ops.statements import ROOT_NAMESPACE
from locus_store.ops.status import SchemaStatus, require_current_schema, schema_status
from locus_store.ops.threads import existing_threads, in_threads, thread_tables
from locus_store.ops.vacuum import VacuumReport, vacuum
from locus_store.versioned.saver import DEFAULT_NAMESPACE

__all__ = [
    "DEFAULT_NAMESPACE",
    "ROOT_NAMESPACE",
    "CheckpointView",
    "SchemaNotCurrentError",
    "SchemaStatus",
    "ThreadNotFoundError",
    "ThreadSummary",
    "VacuumReport",
    "copy_thread",
    "existing_threads",
    "find_checkpoint",
    "in_threads",
    "list_threads",
    "require_current_schema",
    "schema_status",
    "thread_history",
    "thread_tables",
    "vacuum",
]
