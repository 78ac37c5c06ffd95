"""The ``locus-store`` command line: parser, commands and the exit-code table."""

from locus_store.cli.app import Exit, main

__all__ = ["Exit", "main"]
