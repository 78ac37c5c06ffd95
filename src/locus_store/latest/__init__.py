"""Locus's single-row checkpointer: one row per thread, the latest save wins.

``statements.py`` builds its statements once per (prefix, dialect); ``checkpointer.py``
binds and runs them behind ``locus.memory.BaseCheckpointer``.
"""
