"""Alias of `locus_store.versioned.saver`, kept for one release: import from there."""

import sys

from locus_store.versioned import saver as _target

sys.modules[__name__] = _target
