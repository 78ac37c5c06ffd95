"""Alias of `locus_store.ops.erase`, kept for one release: import from there."""

import sys

from locus_store.ops import erase as _target

sys.modules[__name__] = _target
