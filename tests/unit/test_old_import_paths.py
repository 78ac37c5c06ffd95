"""Import paths the documentation showed before the layout change still work (one release)."""

from __future__ import annotations

import importlib

import pytest

ALIASES = {
    "locus_store.repositories.latest": "locus_store.latest.checkpointer",
    "locus_store.repositories.versioned": "locus_store.versioned.saver",
    "locus_store.repositories.versioned_checkpointer": "locus_store.versioned.checkpointer",
    "locus_store.admin": "locus_store.ops.admin",
    "locus_store.transfer": "locus_store.ops.transfer",
    "locus_store.erasure": "locus_store.ops.erase",
}


@pytest.mark.parametrize(("old", "new"), sorted(ALIASES.items()))
def test_an_old_module_path_is_the_new_module(old: str, new: str) -> None:
    assert importlib.import_module(old) is importlib.import_module(new)


NAMES = {
    "locus_store.admin": ("list_threads", "schema_status", "vacuum"),
    "locus_store.transfer": ("export_threads", "import_file"),
    "locus_store.repositories.latest": ("LatestCheckpointer",),
    "locus_store.repositories.versioned": ("VersionedSaver",),
    "locus_store.langgraph": ("SQLAlchemySaver",),
    "locus_store.store": ("create_engine_for",),
}


@pytest.mark.parametrize(("module", "names"), sorted(NAMES.items()))
def test_the_names_docs_showed_import_from_their_old_places(
    module: str, names: tuple[str, ...]
) -> None:
    # Through importlib: the aliases replace themselves in sys.modules, which a type
    # checker cannot follow.
    found = importlib.import_module(module)
    assert all(callable(getattr(found, name)) for name in names)
