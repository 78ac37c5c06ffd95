"""Alias of `locus_store.versioned.checkpointer`, kept for one release: import from there."""

import sys

from locus_store.versioned import checkpointer as _target

sys.modules[__name__] = _target
