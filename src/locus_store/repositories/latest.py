"""Alias of `locus_store.latest.checkpointer`, kept for one release: import from there."""

import sys

from locus_store.latest import checkpointer as _target

sys.modules[__name__] = _target
