"""Operator code over the library: status, browsing, vacuum, erasure, copy, export/import,
import from Locus's own savers, and the Oracle statement review.

The command line (``locus_store.cli``) is a thin layer over these; applications may
call them too.
"""
