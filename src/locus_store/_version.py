"""The version of the installed ``locus-store`` distribution (its package metadata)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("locus-store")
except PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0+unknown"
