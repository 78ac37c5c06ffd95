"""Alias of `locus_store.ops.admin`, kept for one release: import from there."""

import sys

from locus_store.ops import admin as _target

sys.modules[__name__] = _target
