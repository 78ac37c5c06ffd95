"""Operator jobs over a whole store: what the ``locus-store`` command line runs.

One module per job: ``status`` (schema revision), ``browse`` (threads, history, one
checkpoint), ``vacuum``, ``copy``, ``erase``, ``transfer`` (export/import),
``from_locus`` (import from Locus's own savers) and ``oracle_review``; ``threads``
and ``statements`` are what they share. Applications may call them too.
"""
