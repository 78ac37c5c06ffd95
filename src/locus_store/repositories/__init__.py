"""Old import paths of the repositories, kept as aliases for one release.

Use ``locus_store.latest`` and ``locus_store.versioned`` (or ``store.latest()``,
``store.versioned()``).
"""
