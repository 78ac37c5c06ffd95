"""Locus's versioned saver: a lineage of checkpoints per thread, with pending writes.

``statements.py`` builds its statements once per (prefix, dialect); ``saver.py`` binds
and runs them (``store.versioned()``); ``checkpointer.py`` is the Agent's view of it.
"""
