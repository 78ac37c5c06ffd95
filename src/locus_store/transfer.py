"""Alias of `locus_store.ops.transfer`, kept for one release: import from there."""

import sys

from locus_store.ops import transfer as _target

sys.modules[__name__] = _target
